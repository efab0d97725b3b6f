"""Throwaway TLS material for the test servers, made with the openssl CLI.

make_certs(dir) writes ca.pem (the file a client trusts), server.pem (leaf
certificate followed by the CA, as servers want a chain) and server.key, for
127.0.0.1 and localhost. P-256 keys: generating them takes milliseconds.
"""

import os
import subprocess

EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _run(args, cwd):
    r = subprocess.run(args, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("openssl failed: %s\n%s" % (" ".join(args), r.stdout))


def make_certs(d):
    """Create the CA and a server certificate in directory d; return paths."""
    os.makedirs(d, exist_ok=True)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _run(["openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem",
          "-days", "30", "-subj", "/CN=uvaws test CA",
          "-addext", "basicConstraints=critical,CA:TRUE",
          "-addext", "keyUsage=critical,keyCertSign,cRLSign"], d)
    _run(["openssl", "req", *ec, "-keyout", "server.key", "-out", "server.csr",
          "-subj", "/CN=localhost"], d)
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write(EXT)
    _run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
          "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem",
          "-days", "30", "-extfile", "server.ext"], d)
    with open(os.path.join(d, "server.pem"), "w") as out:
        for name in ("leaf.pem", "ca.pem"):
            with open(os.path.join(d, name)) as f:
                out.write(f.read())
    return {"ca": os.path.join(d, "ca.pem"),
            "cert": os.path.join(d, "server.pem"),
            "key": os.path.join(d, "server.key")}


if __name__ == "__main__":
    import sys
    print(make_certs(sys.argv[1] if len(sys.argv) > 1 else "."))
