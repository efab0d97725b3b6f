#!/usr/bin/python3
"""Tests of the test server's SigV4 verifier (sigv4check.py).

    /usr/bin/python3 test/harness/test_sigv4check.py [-v]

The verifier must accept every signed request of the official test suite
(../shared/sigv4-test-suite/v4, or $UVAWS_SIGV4_SUITE) and every request
botocore signs (Debian's python3-botocore; those tests skip without it), and
must reject each of them once any signed byte is changed.
"""

import datetime
import hashlib
import json
import os
import random
import sys
import unittest
from unittest import mock
from urllib.parse import urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import sigv4check  # noqa: E402

SUITE = os.environ.get("UVAWS_SIGV4_SUITE") or os.path.join(
    os.path.dirname(ROOT), "shared", "sigv4-test-suite", "v4")
if not os.path.isdir(SUITE):
    SUITE = os.path.join(ROOT, "..", "..", "shared", "sigv4-test-suite", "v4")

try:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
    HAVE_BOTOCORE = True
except ImportError:
    HAVE_BOTOCORE = False


def parse_wire(data):
    """(method, target, [(name, value)], body) of a request as raw bytes."""
    head, _, body = data.partition(b"\n\n")
    lines = head.decode("latin-1").split("\n")
    first = lines[0].split(" ")
    method, target = first[0], " ".join(first[1:-1])
    headers = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # obs-fold: a continuation
            n, v = headers[-1]
            headers[-1] = (n, v + " " + line.strip(" \t"))
            continue
        name, _, value = line.partition(":")
        headers.append((name.lower(), value))
    return method, target, headers, body


def mutations(method, target, headers, body):
    """The request with one signed thing changed, each way."""
    yield "method", (method + "X", target, headers, body)
    yield "path", (method, target.replace("/", "/zz/", 1), headers, body)
    sep = "&" if "?" in target else "?"
    yield "extra query", (method, target + sep + "zz=1", headers, body)
    for i, (n, v) in enumerate(headers):
        if n in ("host", "x-amz-date", "my-header1", "content-type"):
            h = list(headers)
            h[i] = (n, v + "x")
            yield "header " + n, (method, target, h, body)
    if body:
        yield "body", (method, target, headers, body + b"x")


class Suite(unittest.TestCase):
    def cases(self):
        if not os.path.isdir(SUITE):
            self.skipTest("official suite not found at %s" % SUITE)
        for name in sorted(os.listdir(SUITE)):
            d = os.path.join(SUITE, name)
            if os.path.isdir(d):
                with open(os.path.join(d, "context.json")) as f:
                    yield name, d, json.load(f)

    def test_every_signed_request_verifies_and_every_change_fails(self):
        n = 0
        for name, d, ctx in self.cases():
            t = datetime.datetime.strptime(ctx["timestamp"], "%Y-%m-%dT%H:%M:%SZ")
            now = t.replace(tzinfo=datetime.timezone.utc).timestamp()
            for mode in ("header", "query"):
                with open(os.path.join(d, mode + "-signed-request.txt"), "rb") as f:
                    wire = parse_wire(f.read())
                ring = sigv4check.Keyring(())
                ring.add(ctx["credentials"]["access_key_id"], ctx["credentials"]["secret_access_key"])
                r = sigv4check.verify(*wire, ring, now=now, normalize=ctx["normalize"])
                with self.subTest(case=name, mode=mode):
                    self.assertTrue(r.ok, "%s\n%s" % (r.reason, r.canonical_request))
                    self.assertEqual(r.kind, mode)
                    with open(os.path.join(d, mode + "-canonical-request.txt"), "rb") as f:
                        want = f.read().decode("latin-1")
                    if "X-Amz-Security-Token" not in wire[1] or mode == "header":
                        self.assertEqual(r.canonical_request, want)
                for what, bad in mutations(*wire):
                    r = sigv4check.verify(*bad, ring, now=now, normalize=ctx["normalize"])
                    with self.subTest(case=name, mode=mode, changed=what):
                        self.assertFalse(r.ok)
                n += 1
        self.assertGreater(n, 60)

    def test_presigned_url_expires(self):
        d = os.path.join(SUITE, "get-vanilla")
        if not os.path.isdir(d):
            self.skipTest("official suite not found")
        with open(os.path.join(d, "query-signed-request.txt"), "rb") as f:
            wire = parse_wire(f.read())
        ring = sigv4check.Keyring()
        signed_at = 1440938160  # 2015-08-30T12:36:00Z
        self.assertTrue(sigv4check.verify(*wire, ring, now=signed_at + 3600).ok)
        r = sigv4check.verify(*wire, ring, now=signed_at + 3601)
        self.assertFalse(r.ok)
        self.assertIn("expired", r.reason)

    def test_unsigned_and_malformed(self):
        ring = sigv4check.Keyring()
        r = sigv4check.verify("GET", "/", [("host", "a")], b"", ring)
        self.assertEqual((r.ok, r.kind), (False, None))
        for auth in ("AWS4-HMAC-SHA256 Credential=AKID/x, SignedHeaders=host, Signature=00",
                     "AWS4-HMAC-SHA256 garbage",
                     "AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws4_request, "
                     "SignedHeaders=x-amz-date;host, Signature=" + "0" * 64):
            r = sigv4check.verify("GET", "/", [("host", "a"), ("x-amz-date", "20150830T123600Z"),
                                              ("authorization", auth)], b"", ring)
            self.assertEqual((r.ok, r.kind), (False, "header"), auth)

    def test_blank_and_repeated_headers_count(self):
        """A signed header with an empty value must be on the wire, and each
        repeated line counts: dropping one changes the canonical request."""
        if not HAVE_BOTOCORE:
            self.skipTest("botocore not importable: run with /usr/bin/python3")
        for headers in ([("X-Blank", "")], [("X-Rep", "a"), ("X-Rep", "")],
                        [("X-Rep", "a"), ("X-Rep", "   ")]):
            wire = botocore_sign("GET", "http://127.0.0.1:8000/p", headers, b"", "dynamodb", False)
            ring = sigv4check.Keyring()
            self.assertTrue(sigv4check.verify(*wire, ring).ok, headers)
            m, t, h, b = wire
            last = max(i for i, (n, _) in enumerate(h) if n.startswith("x-"))
            dropped = h[:last] + h[last + 1:]
            self.assertFalse(sigv4check.verify(m, t, dropped, b, ring).ok, headers)


def botocore_sign(method, url, headers, body, service, query, token=None, expires=900,
                  when=datetime.datetime(2024, 5, 6, 7, 8, 9)):
    """Signs with botocore; returns the request as it goes on the wire."""
    creds = botocore.credentials.Credentials(
        "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    s3 = service == "s3"
    if query:
        cls = botocore.auth.S3SigV4QueryAuth if s3 else botocore.auth.SigV4QueryAuth
        auth = cls(creds, service, "us-east-1", expires=expires)
    else:
        cls = botocore.auth.S3SigV4Auth if s3 else botocore.auth.SigV4Auth
        auth = cls(creds, service, "us-east-1")
    req = botocore.awsrequest.AWSRequest(method=method, url=url, data=body)
    for n, v in headers:
        req.headers.add_header(n, v) if n in req.headers else req.headers.__setitem__(n, v)
    with mock.patch("botocore.auth.datetime") as dt:
        dt.datetime.utcnow.return_value = when
        dt.datetime.now.return_value = when
        auth.add_auth(req)
    prepared = req.prepare()
    u = urlsplit(prepared.url)
    target = (u.path or "/") + ("?" + u.query if u.query else "")
    wire = [("host", u.netloc)]
    for n, v in req.headers.items():  # every line: prepare() folds repeated names
        wire.append((n.lower(), v))
    return prepared.method, target, wire, prepared.body or b""


@unittest.skipUnless(HAVE_BOTOCORE, "botocore not importable: run with /usr/bin/python3")
class Botocore(unittest.TestCase):
    """Random requests signed by botocore verify; one changed byte fails."""

    def test_random_requests(self):
        rnd = random.Random(20150830)
        words = ["a", "b c", "ü", "x/y", "%", "~._-", "+", "=", "&"]
        n = 0
        when = datetime.datetime.utcnow().replace(microsecond=0)
        for i in range(400):
            service = rnd.choice(["dynamodb", "sts", "s3", "ses"])
            query = rnd.random() < 0.4
            method = rnd.choice(["GET", "PUT", "POST", "DELETE"])
            segs = [rnd.choice(words + ["seg%d" % i]) for _ in range(rnd.randint(0, 3))]
            from urllib.parse import quote, urlencode
            path = "/" + "/".join(quote(s, safe="") for s in segs)
            params = [(rnd.choice(words), rnd.choice(words)) for _ in range(rnd.randint(0, 3))]
            url = "http://127.0.0.1:8000" + path
            if params:
                url += "?" + urlencode(params, safe="~", quote_via=quote)
            headers = [("X-Test-%d" % k, rnd.choice(["v", " v  w ", "", "1,2"]))
                       for k in range(rnd.randint(0, 3))]
            body = b"" if method in ("GET", "DELETE") or query else \
                rnd.choice([b"", b"{}", b"Action=x&y=1", bytes(range(256))])
            if query and body:
                body = b""
            token = rnd.choice([None, "session-token-%d" % i])
            wire = botocore_sign(method, url, headers, body, service, query, token, when=when)
            ring = sigv4check.Keyring()
            r = sigv4check.verify(*wire, ring, now=when.replace(
                tzinfo=datetime.timezone.utc).timestamp())
            with self.subTest(i=i, service=service, query=query, url=url, headers=headers):
                self.assertTrue(r.ok, "%s\n%s\n%r" % (r.reason, r.canonical_request, wire))
                for what, bad in mutations(*wire):
                    self.assertFalse(sigv4check.verify(*bad, ring).ok, what)
            n += 1
        self.assertEqual(n, 400)

    def test_sts_presigned_get_caller_identity(self):
        """The EKS/Vault login pattern: the payload line is the empty body's hash."""
        url = "https://sts.us-east-1.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
        wire = botocore_sign("GET", url, [], b"", "sts", True)
        self.assertIn(hashlib.sha256(b"").hexdigest(),
                      sigv4check.verify(*wire, sigv4check.Keyring()).canonical_request)
        self.assertTrue(sigv4check.verify(*wire, sigv4check.Keyring()).ok)


if __name__ == "__main__":
    unittest.main()
