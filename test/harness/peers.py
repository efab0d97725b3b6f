#!/usr/bin/python3
"""Start uvaws's test peers on 127.0.0.1, run a command against them, stop them.

    peers.py run [--dynalite] [--ses] [--s3rver] [--testserver] [--tls] [--nghttpd]
                 [--timeout S] [--keep-logs] [-- CMD ARGS...]
    peers.py nghttpd-stats LOGFILE

`run` starts each requested server on a free port, waits until it accepts
connections, exports its URL (UVAWS_TEST_*; see test/README.md), runs CMD,
stops every server (SIGTERM, then SIGKILL) and exits with CMD's exit code.
The emulators are reached through testserver.py's signature-verifying proxy,
and testserver.py verifies every request it serves: a run in which any
request's SigV4 signature did not verify, or a request went unsigned without
saying so, fails (exit 1) even when CMD succeeded.
Without CMD it prints the variables as shell `export` lines and serves until
interrupted. Exit 77 (meson: skipped) when a peer's software is missing, 99
(meson: hard error) when a peer fails to start.

`nghttpd-stats` reads the verbose log nghttpd writes under --nghttpd and prints
JSON: connections, streams, and streams per connection (multiplexing check).

Python standard library only; run with /usr/bin/python3.
"""

import argparse
import ctypes
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PEERS_DIR = os.path.join(ROOT, "test", "peers")
NODE_MODULES = os.path.join(PEERS_DIR, "node_modules")
HOST = "127.0.0.1"
SKIP, HARD_ERROR = 77, 99

sys.path.insert(0, HERE)


class Interrupted(Exception):
    def __init__(self, signum):
        super().__init__("signal %d" % signum)
        self.signum = signum


class StartError(Exception):
    pass


def say(msg):
    print("peers.py: " + msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def accepts(port):
    try:
        with socket.create_connection((HOST, port), timeout=0.5):
            return True
    except OSError:
        return False


def die_with_parent():
    # if this launcher is SIGKILLed, its servers must not outlive it
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def tail(path, n=40):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - 64 * 1024))
            lines = f.read().decode("utf-8", "replace").splitlines()
        return "\n".join(lines[-n:])
    except OSError as e:
        return "(no log: %s)" % e


class Peer:
    """One server process. Subclasses say how to start it and when it is ready."""
    name = "peer"
    port_retries = 3   # a free port can be taken between our probe and its bind

    def __init__(self, tmp, timeout):
        self.tmp = tmp
        self.timeout = timeout
        self.log = os.path.join(tmp, self.name + ".log")
        self.proc = None
        self.env = {}

    def argv(self, port):
        raise NotImplementedError

    def ready(self, port):
        """Return the env vars once ready, None while not yet."""
        raise NotImplementedError

    def start(self):
        for attempt in range(self.port_retries):
            port = free_port()
            with open(self.log, "ab") as log:
                log.write(("--- %s\n" % " ".join(self.argv(port))).encode())
                log.flush()
                self.proc = subprocess.Popen(
                    self.argv(port), stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, cwd=self.tmp, start_new_session=True,
                    preexec_fn=die_with_parent)
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                env = self.ready(port)
                if env:
                    self.env = env
                    return
                if self.proc.poll() is not None:
                    break
                time.sleep(0.05)
            else:
                self.stop()
                raise StartError("%s did not accept connections within %gs" %
                                 (self.name, self.timeout))
            # exited early: retry on another port only if the port was the problem
            if "EADDRINUSE" not in tail(self.log) and "in use" not in tail(self.log):
                break
        raise StartError("%s exited with status %s while starting" %
                         (self.name, self.proc.returncode))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, grace=3.0):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()


class Dynalite(Peer):
    name = "dynalite"
    env_var = "UVAWS_TEST_DYNALITE"

    def argv(self, port):
        # tables become ACTIVE at once: tests need not poll DescribeTable
        return ["node", os.path.join(NODE_MODULES, "dynalite", "cli.js"),
                "--host", HOST, "--port", str(port), "--createTableMs", "0",
                "--deleteTableMs", "0", "--updateTableMs", "0"]

    def ready(self, port):
        return accepts(port) and {"UVAWS_TEST_DYNALITE": "http://%s:%d" % (HOST, port)}


class Ses(Peer):
    name = "ses"
    env_var = "UVAWS_TEST_SES"

    def argv(self, port):
        return ["node", os.path.join(NODE_MODULES, "aws-ses-v2-local", "dist", "cli.js"),
                "--host", HOST, "--port", str(port)]

    def ready(self, port):
        return accepts(port) and {"UVAWS_TEST_SES": "http://%s:%d" % (HOST, port)}


class S3rver(Peer):
    """S3 emulator. It accepts SigV4 with the access key S3RVER (secret
    S3RVER) but does not verify the signature (the proxy in front does); its
    data lives in the run's temporary directory."""
    name = "s3rver"
    env_var = "UVAWS_TEST_S3"

    def argv(self, port):
        data = os.path.join(self.tmp, "s3rver-data")
        os.makedirs(data, exist_ok=True)
        # path-style buckets only: the endpoint is an IP address
        return ["node", os.path.join(NODE_MODULES, "s3rver", "bin", "s3rver.js"),
                "-d", data, "-a", HOST, "-p", str(port), "--no-vhost-buckets"]

    def ready(self, port):
        return accepts(port) and {self.env_var: "http://%s:%d" % (HOST, port)}


class TestServer(Peer):
    """testserver.py; also the verifying proxy in front of each emulator:
    UVAWS_TEST_<NAME> points at the proxy, UVAWS_TEST_<NAME>_DIRECT at the
    emulator itself (for requests meant to bypass the check)."""
    name = "testserver"
    port_retries = 1   # it binds port 0 itself

    def __init__(self, tmp, timeout, certs, emulators=(), export=True):
        super().__init__(tmp, timeout)
        self.certs = certs
        self.emulators = emulators
        self.export = export
        self.ready_file = os.path.join(tmp, "testserver.ready")
        self.http_port = None

    def argv(self, port):
        a = [sys.executable, os.path.join(HERE, "testserver.py"),
             "--ready-file", self.ready_file]
        if self.certs:
            a += ["--tls", "--cert", self.certs["cert"], "--key", self.certs["key"],
                  "--ca", self.certs["ca"]]
        for e in self.emulators:
            a += ["--proxy", "%s=%s" % (e.name, e.env[e.env_var].rsplit(":", 1)[1])]
        return a

    def ready(self, port):
        try:
            with open(self.ready_file) as f:
                info = json.load(f)
        except (OSError, ValueError):
            return None
        if not accepts(info["http_port"]):
            return None
        self.http_port = info["http_port"]
        env = {}
        if self.export:
            env["UVAWS_TEST_SERVER"] = "http://%s:%d" % (HOST, info["http_port"])
            if info.get("https_port"):
                env["UVAWS_TEST_SERVER_TLS"] = "https://%s:%d" % (HOST, info["https_port"])
        for e in self.emulators:
            env[e.env_var + "_DIRECT"] = e.env[e.env_var]
            env[e.env_var] = "http://%s:%d" % (HOST, info["proxies"][e.name])
        return env

    def signature_report(self):
        """None when every request verified, else what went wrong (text)."""
        if self.http_port is None or not self.alive():
            return None
        import urllib.request
        try:
            url = "http://%s:%d/_signatures" % (HOST, self.http_port)
            with urllib.request.urlopen(url, timeout=10) as f:
                s = json.load(f)
        except (OSError, ValueError) as e:
            return "cannot read the signature check's results: %s" % e
        bad = {k: s[k + "_total"] for k in ("bad", "unsigned", "unexpected-good")
               if s.get(k + "_total")}
        if not bad:
            return None
        lines = ["SigV4 wire check failed: %s (of %d verified requests)" %
                 (", ".join("%d %s" % (n, k) for k, n in bad.items()), s.get("ok_total", 0))]
        for f in s.get("failures", [])[-10:]:
            lines.append("  %s %s %s (via %s, x-test-id %s): %s" % (
                f["verdict"], f["method"], f["target"][:200], f["via"], f.get("x_test_id"),
                f["reason"]))
            if f.get("canonical_request"):
                lines.append("    canonical request the server computed:\n      " +
                             f["canonical_request"].replace("\n", "\n      "))
        lines.append("  a test that sends such requests on purpose marks them with "
                     "x-test-expect-bad-signature: 1 or x-test-unsigned: 1")
        return "\n".join(lines)


class Nghttpd(Peer):
    name = "nghttpd"

    def __init__(self, tmp, timeout, certs):
        super().__init__(tmp, timeout)
        self.certs = certs
        self.docroot = os.path.join(tmp, "htdocs")
        os.makedirs(self.docroot, exist_ok=True)
        for name, text in (("index.html", "<html><body>uvaws nghttpd</body></html>\n"),
                           ("hello.txt", "hello from nghttpd\n"),
                           ("hello.json", "{}")):
            with open(os.path.join(self.docroot, name), "w") as f:
                f.write(text)
        # 3 MiB whose byte i is i % 251 (test_http2.c makes the same): larger
        # than the streams' flow-control windows; also as S3 object b/big.bin
        big = bytes(i % 251 for i in range(3 << 20))
        os.makedirs(os.path.join(self.docroot, "b"), exist_ok=True)
        for name in ("big.bin", os.path.join("b", "big.bin")):
            with open(os.path.join(self.docroot, name), "wb") as f:
                f.write(big)

    def argv(self, port):
        return ["nghttpd", "-v", "-a", HOST, "-d", self.docroot, str(port),
                self.certs["key"], self.certs["cert"]]

    def ready(self, port):
        return accepts(port) and {"UVAWS_TEST_NGHTTPD": "https://%s:%d" % (HOST, port),
                                  "UVAWS_TEST_NGHTTPD_LOG": self.log}


def nghttpd_stats(path):
    """Connections and streams seen in an `nghttpd -v` log."""
    streams = {}   # session id -> set of stream ids that carried a request
    open_now, peak = {}, {}
    pat_req = re.compile(r"^\[id=(\d+)\] \[[ \d.]+\] recv \(stream_id=(\d+)\) :method:")
    pat_closed = re.compile(r"^\[id=(\d+)\] \[[ \d.]+\] stream_id=(\d+) closed")
    with open(path, errors="replace") as f:
        for line in f:
            m = pat_req.match(line)
            if m:
                sid, st = m.groups()
                s = streams.setdefault(sid, set())
                if st not in s:
                    s.add(st)
                    open_now[sid] = open_now.get(sid, 0) + 1
                    peak[sid] = max(peak.get(sid, 0), open_now[sid])
                continue
            m = pat_closed.match(line)
            if m and m.group(2) in streams.get(m.group(1), ()):
                open_now[m.group(1)] -= 1
    return {"connections": len(streams),
            "streams": sum(len(s) for s in streams.values()),
            "streams_per_connection": {k: len(v) for k, v in streams.items()},
            "peak_open_streams": max(peak.values(), default=0)}


def missing(args):
    """Why the requested peers can't run here, or None."""
    if args.dynalite or args.ses or args.s3rver:
        if shutil.which("node") is None:
            return ("node is not installed (dynalite, aws-ses-v2-local and s3rver run on "
                    "Node.js >= 18)")
        for pkg in (["dynalite"] if args.dynalite else []) + \
                   (["aws-ses-v2-local"] if args.ses else []) + \
                   (["s3rver"] if args.s3rver else []):
            if not os.path.isdir(os.path.join(NODE_MODULES, pkg)):
                return ("%s is not installed: run `npm ci` in %s" % (pkg, PEERS_DIR))
    if (args.tls or args.nghttpd) and shutil.which("openssl") is None:
        return "the openssl command is not installed"
    if args.nghttpd and shutil.which("nghttpd") is None:
        return "nghttpd is not installed (Debian package nghttp2-server)"
    return None


def run(args):
    cmd = args.command
    if cmd and cmd[0] == "--":
        cmd = cmd[1:]
    if args.tls:
        args.testserver = True
    if not (args.dynalite or args.ses or args.s3rver or args.testserver or args.nghttpd):
        say("no peer requested (--dynalite, --ses, --s3rver, --testserver, --tls, --nghttpd)")
        return 2
    why = missing(args)
    if why:
        say("skipping: " + why)
        return SKIP

    tmp = tempfile.mkdtemp(prefix="uvaws-peers-")
    peers, env, code, failed = [], {}, HARD_ERROR, True

    def on_signal(signum, frame):
        raise Interrupted(signum)
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    child = None
    try:
        certs = None
        if args.tls or args.nghttpd:
            from certs import make_certs
            certs = make_certs(os.path.join(tmp, "certs"))
            env["UVAWS_TEST_CA_FILE"] = certs["ca"]
        emulators = []
        if args.dynalite:
            emulators.append(Dynalite(tmp, args.timeout))
        if args.ses:
            emulators.append(Ses(tmp, args.timeout))
        if args.s3rver:
            emulators.append(S3rver(tmp, args.timeout))
        peers.extend(emulators)
        server = None
        if args.testserver or emulators:  # after the emulators: it proxies to them
            server = TestServer(tmp, args.timeout, certs if args.tls else None, emulators,
                                export=args.testserver)
            peers.append(server)
        if args.nghttpd:
            peers.append(Nghttpd(tmp, args.timeout, certs))
        for p in peers:   # sequential: on 2 cores parallel node startups only compete
            p.start()
            env.update(p.env)
        env["UVAWS_TEST_LOG_DIR"] = tmp

        full = dict(os.environ)
        full.update(env)
        # the peers are local: a proxy from the environment must not see this traffic
        for k in ("NO_PROXY", "no_proxy"):
            full[k] = ",".join(x for x in (full.get(k), "127.0.0.1,localhost,::1") if x)

        if not cmd:
            for k in sorted(env):
                print("export %s=%s" % (k, env[k]), flush=True)
            say("serving until interrupted (Ctrl-C)")
            while all(p.alive() for p in peers):
                time.sleep(0.5)
            dead = [p.name for p in peers if not p.alive()]
            say("%s exited" % ", ".join(dead))
            code = 1
        else:
            child = subprocess.Popen(cmd, env=full, preexec_fn=die_with_parent)
            rc = child.wait()
            child = None
            code = 128 - rc if rc < 0 else rc
            failed = code not in (0, SKIP)
            if failed:
                say("command exited with status %d" % code)
            report = server.signature_report() if server else None
            if report:
                say(report)
                failed = True
                if code in (0, SKIP):
                    code = 1
            for p in peers:
                if not p.alive():
                    say("warning: %s died during the run (status %s)" %
                        (p.name, p.proc.returncode))
                    failed = True
    except StartError as e:
        say(str(e))
        code, failed = HARD_ERROR, True
    except FileNotFoundError as e:
        say("cannot run: %s" % e)
        code, failed = 127 if cmd else HARD_ERROR, True
    except Interrupted as e:
        say("interrupted by signal %d: stopping" % e.signum)
        code, failed = 128 + e.signum, False
        if child is not None and child.poll() is None:
            try:
                child.send_signal(signal.SIGTERM)
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
            except Interrupted:
                child.kill()
    finally:
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)
        for p in reversed(peers):
            p.stop()
        for s, h in old.items():
            signal.signal(s, h)
        if failed:
            for p in peers:
                say("---- %s log (%s), last lines:\n%s" % (p.name, p.log, tail(p.log)))
        if failed or args.keep_logs:
            say("logs kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return code


def main():
    ap = argparse.ArgumentParser(description="uvaws test peers launcher")
    sub = ap.add_subparsers(dest="verb", required=True)
    r = sub.add_parser("run", help="start peers, run a command, stop peers")
    r.add_argument("--dynalite", action="store_true", help="DynamoDB emulator")
    r.add_argument("--ses", action="store_true", help="SES v1+v2 emulator")
    r.add_argument("--s3rver", action="store_true", help="S3 emulator")
    r.add_argument("--testserver", action="store_true", help="uvaws's fault-injecting server")
    r.add_argument("--tls", action="store_true", help="testserver also on HTTPS (implies --testserver)")
    r.add_argument("--nghttpd", action="store_true", help="HTTP/2 TLS server (nghttp2-server)")
    r.add_argument("--timeout", type=float, default=30.0,
                   help="seconds each peer gets to accept connections (default 30)")
    r.add_argument("--keep-logs", action="store_true", help="keep the log dir on success")
    r.add_argument("command", nargs=argparse.REMAINDER, help="-- CMD ARGS...")
    s = sub.add_parser("nghttpd-stats", help="connections and streams in an nghttpd -v log")
    s.add_argument("log")
    a = ap.parse_args()
    if a.verb == "nghttpd-stats":
        print(json.dumps(nghttpd_stats(a.log)))
        return 0
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
