#!/usr/bin/python3
"""Self-test of the test harness: testserver.py's features and peers.py.

    /usr/bin/python3 test/harness/test_testserver.py [-v]

Standard library only. Starts its own testserver.py (with --tls); the peers.py
tests also start dynalite and aws-ses-v2-local when test/peers/node_modules is
there, and nghttpd when installed (skipped otherwise). UVAWS_SELFTEST_CONNS sets
the number of simultaneous connections in the load test (default 2000).
"""

import asyncio
import datetime
import http.client
import json
import os
import resource
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PY = sys.executable


class Server:
    """testserver.py in a child process, with --tls."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="uvaws-selftest-")
        ready = os.path.join(self.tmp, "ready.json")
        self.log = open(os.path.join(self.tmp, "server.log"), "wb")
        self.proc = subprocess.Popen(
            [PY, os.path.join(HERE, "testserver.py"), "--tls", "--cert-dir",
             os.path.join(self.tmp, "certs"), "--ready-file", ready],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(ready):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("testserver did not start:\n" + self.logtext())
            time.sleep(0.05)
        with open(ready) as f:
            info = json.load(f)
        self.port, self.tls_port, self.ca = info["http_port"], info["https_port"], info["ca_file"]

    def logtext(self):
        self.log.flush()
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


S = None


def setUpModule():
    global S
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    S = Server()


def tearDownModule():
    S.stop()


def req(method, path, body=None, headers=None, conn=None, timeout=10):
    """One request; returns (status, headers dict lower-case, body bytes)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", S.port, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    h = {k.lower(): v for k, v in r.getheaders()}
    if conn is None:
        c.close()
    return r.status, h, data


def jreq(method, path, body=None, headers=None):
    st, h, data = req(method, path, body, headers)
    return st, json.loads(data) if data else None


def raw(data, timeout=3.0):
    """Send raw bytes, read until EOF or timeout; returns (bytes, how it ended)."""
    s = socket.create_connection(("127.0.0.1", S.port), timeout=timeout)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                return out, "timeout"
            except ConnectionResetError:
                return out, "reset"
            if not b:
                return out, "eof"
            out += b
    finally:
        s.close()


def fault_raw(name, extra=b""):
    return raw(b"GET /f HTTP/1.1\r\nHost: x\r\nx-test-fault: " + name.encode() +
               b"\r\n" + extra + b"\r\n")


def split(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    h = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        h[k.strip().lower()] = v.strip()
    return lines[0], h, body


def stats():
    return jreq("GET", "/_stats")[1]


class Basics(unittest.TestCase):
    def setUp(self):
        self.assertEqual(req("POST", "/_reset")[0], 200)

    def test_default_answer_and_keepalive(self):
        c = http.client.HTTPConnection("127.0.0.1", S.port, timeout=5)
        st, h, body = req("POST", "/", b'{"a":1}', {"x-test-id": "k"}, conn=c)
        self.assertEqual((st, body), (200, b"{}"))
        self.assertIn("x-amzn-requestid", h)
        self.assertEqual(h["x-test-attempt"], "1")
        st2, h2, _ = req("GET", "/again", conn=c)
        self.assertEqual(h["x-test-conn"], h2["x-test-conn"])   # same connection reused
        self.assertEqual(int(h2["x-test-seq"]), int(h["x-test-seq"]) + 1)
        c.close()
        s = stats()
        self.assertEqual((s["requests"], s["connections"]), (2, 1))

    def test_log(self):
        for i in range(3):
            req("POST", "/log/%d?a=b&c=%d" % (i, i), b"x" * (i + 10),
                {"x-test-id": "log-%d" % i, "X-Amz-Date": "20240101T00000%dZ" % i,
                 "Authorization": "AWS4-HMAC-SHA256 Credential=AK/%d" % i})
        st, log = jreq("GET", "/_log?last=2")
        self.assertEqual(log["total"], 3)
        items = log["requests"]
        self.assertEqual([e["x_test_id"] for e in items], ["log-1", "log-2"])
        self.assertLess(items[0]["seq"], items[1]["seq"])
        e = items[1]
        self.assertEqual((e["method"], e["path"], e["query"]), ("POST", "/log/2", "a=b&c=2"))
        self.assertEqual(e["x_amz_date"], "20240101T000002Z")
        self.assertEqual(e["authorization"], "AWS4-HMAC-SHA256 Credential=AK/2")
        self.assertEqual(e["headers"]["x-amz-date"], "20240101T000002Z")
        self.assertEqual((e["body_len"], e["body"]), (12, "x" * 12))
        self.assertGreater(e["time"], time.time() - 60)
        self.assertEqual(jreq("GET", "/_log?id=log-0")[1]["requests"][0]["body_len"], 10)
        self.assertEqual(len(jreq("GET", "/_log")[1]["requests"]), 3)

    def test_reset(self):
        req("GET", "/")
        req("POST", "/_config", b'{"imds_v1": true}')
        req("POST", "/_reset")
        s = stats()
        self.assertEqual((s["requests"], s["peak_concurrency"], s["log_size"]), (0, 0, 0))
        self.assertFalse(jreq("GET", "/_config")[1]["imds_v1"])

    def test_delay(self):
        t = time.monotonic()
        self.assertEqual(req("GET", "/", headers={"x-test-delay-ms": "300"})[0], 200)
        self.assertGreaterEqual(time.monotonic() - t, 0.29)

    def test_concurrency_is_tracked(self):
        n = 20
        threads = [threading.Thread(target=req, args=("GET", "/c"),
                                    kwargs={"headers": {"x-test-delay-ms": "500"}})
                   for _ in range(n)]
        t = time.monotonic()
        for th in threads:
            th.start()
        time.sleep(0.25)
        self.assertEqual(stats()["current"], n)
        for th in threads:
            th.join()
        self.assertLess(time.monotonic() - t, 3)
        s = stats()
        self.assertEqual((s["peak_concurrency"], s["current"], s["requests"]), (n, 0, n))

    def test_status_body_type(self):
        st, h, body = req("GET", "/", headers={"x-test-status": "404", "x-test-body": "<x/>",
                                               "x-test-content-type": "text/xml"})
        self.assertEqual((st, body, h["content-type"]), (404, b"<x/>", "text/xml"))

    def test_body_size(self):
        for n in (0, 5, 8, 100000, 3 * 65536 + 7):
            st, h, body = req("GET", "/", headers={"x-test-body-size": str(n)})
            self.assertEqual(len(body), n)
            if n >= 8:
                json.loads(body)

    def test_response_header_and_echo(self):
        st, h, body = req("POST", "/e?q=1", b"hello", {"x-test-echo": "1", "x-a": "b",
                          "x-test-response-header": "Retry-After: 2"})
        e = json.loads(body)
        self.assertEqual((e["path"], e["query"], e["body"], e["headers"]["x-a"]),
                         ("/e", "q=1", "hello", "b"))
        self.assertEqual(h["retry-after"], "2")

    def test_chunked_and_expect(self):
        resp, _ = raw(b"POST /ch HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                      b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
                      b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK"))
        e = jreq("GET", "/_log?last=1")[1]["requests"][0]
        self.assertEqual((e["body_len"], e["body"]), (11, "hello world"))

    def test_pipelining(self):
        one = b"GET /p HTTP/1.1\r\nHost: x\r\n\r\n"
        resp, _ = raw(one * 3 + b"GET /p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertEqual(resp.count(b"HTTP/1.1 200 OK"), 4)


class Robustness(unittest.TestCase):
    def alive(self):
        self.assertEqual(req("GET", "/")[0], 200)

    def test_malformed(self):
        for bad in (b"\x00\x01\x02garbage\r\n\r\n", b"GET /\r\n\r\n", b"GET / HTTP/1.1\r\nno colon\r\n\r\n",
                    b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
                    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
                    b"GET / HTTP/1.1\r\nx-test-delay-ms: soon\r\n\r\n",
                    b"GET / HTTP/1.1\r\nx-test-fault: nosuch\r\n\r\n",
                    b"GET /_nosuch HTTP/1.1\r\n\r\n",
                    b"POST /_config HTTP/1.1\r\nContent-Length: 5\r\n\r\n[1,2]"):
            resp, how = raw(bad)
            self.assertTrue(resp.split(b" ")[1] in (b"400", b"404"), (bad, resp))
            self.assertEqual(how, "eof")
            self.alive()

    def test_huge_head_and_early_close(self):
        resp, _ = raw(b"GET / HTTP/1.1\r\nx: " + b"a" * 100000 + b"\r\n\r\n")
        self.assertTrue(resp.startswith(b"HTTP/1.1 431"))
        raw(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\nshort", timeout=0.2)
        raw(b"GET / HTT", timeout=0.2)
        self.alive()

    def test_unknown_config_key(self):
        self.assertEqual(req("POST", "/_config", b'{"imds_expiry": 5}')[0], 400)


class Faults(unittest.TestCase):
    def setUp(self):
        req("POST", "/_reset")

    def test_close_before(self):
        self.assertEqual(fault_raw("close-before"), (b"", "eof"))

    def test_reset(self):
        self.assertEqual(fault_raw("reset"), (b"", "reset"))

    def test_close_mid_headers(self):
        resp, how = fault_raw("close-mid-headers")
        self.assertTrue(resp.startswith(b"HTTP/1.1 200"))
        self.assertNotIn(b"\r\n\r\n", resp)
        self.assertEqual(how, "eof")

    def test_close_mid_body_and_wrong_length(self):
        for name in ("close-mid-body", "wrong-content-length"):
            resp, how = fault_raw(name)
            line, h, body = split(resp)
            self.assertIn("200", line)
            self.assertLess(len(body), int(h["content-length"]), name)
            self.assertEqual(how, "eof")

    def test_drip(self):
        t = time.monotonic()
        st, h, body = req("GET", "/", headers={"x-test-fault": "drip", "x-test-body-size": "10"})
        self.assertEqual((st, body), (200, b'{"p":"xx"}'))
        self.assertGreaterEqual(time.monotonic() - t, 0.45)

    def test_garbage(self):
        resp, how = fault_raw("garbage")
        self.assertTrue(resp and not resp.startswith(b"HTTP/"))

    def test_stall(self):
        for hdr in (b"x-test-stall: 1\r\n", b"x-test-fault: stall\r\n"):
            resp, how = raw(b"GET / HTTP/1.1\r\n" + hdr + b"\r\n", timeout=0.3)
            self.assertEqual((resp, how), (b"", "timeout"))
        time.sleep(0.1)
        self.assertEqual(stats()["current"], 0)   # client gave up: no longer in flight

    def test_status_faults(self):
        for name, code in (("status-500", 500), ("status-503", 503), ("status-429", 429)):
            st, h, body = req("GET", "/", headers={"x-test-fault": name})
            self.assertEqual(st, code)
            self.assertIn("x-amzn-requestid", h)

    def test_json_errors(self):
        cases = {"throttle-json": (400, "com.amazonaws.dynamodb.v20120810#ThrottlingException"),
                 "transient-json": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError"),
                 "request-timeout-json": (400, "RequestTimeoutException"),
                 "expired-token": (400, "com.amazon.coral.service#ExpiredTokenException"),
                 "skew": (400, "RequestTimeTooSkewed"),
                 "signature-expired": (400, "com.amazon.coral.service#InvalidSignatureException")}
        for name, (code, typ) in cases.items():
            st, h, body = req("GET", "/", headers={"x-test-fault": name})
            self.assertEqual((st, json.loads(body)["__type"]), (code, typ), name)
            self.assertEqual(h["content-type"], "application/x-amz-json-1.0")
        st, h, body = req("GET", "/", headers={"x-test-fault": "expired-token"})
        self.assertEqual(json.loads(body)["message"],
                         "The security token included in the request is expired")

    def test_xml_errors(self):
        for name, code in (("throttle-xml", "Throttling"), ("skew-xml", "RequestTimeTooSkewed")):
            st, h, body = req("GET", "/", headers={"x-test-fault": name})
            self.assertEqual(st, 400)
            root = ET.fromstring(body)
            ns = "{http://ses.amazonaws.com/doc/2010-12-01/}"
            self.assertEqual(root.find(ns + "Error/" + ns + "Code").text, code)
            self.assertEqual(root.find(ns + "RequestId").text, h["x-amzn-requestid"])

    def test_skew_date(self):
        st, h, _ = req("GET", "/", headers={"x-test-fault": "skew"})
        off = parsedate_to_datetime(h["date"]).timestamp() - time.time()
        self.assertAlmostEqual(off, 900, delta=5)
        st, h, _ = req("GET", "/", headers={"x-test-fault": "skew", "x-test-skew-s": "-600"})
        off = parsedate_to_datetime(h["date"]).timestamp() - time.time()
        self.assertAlmostEqual(off, -600, delta=5)
        st, h, _ = req("GET", "/")
        self.assertAlmostEqual(parsedate_to_datetime(h["date"]).timestamp(), time.time(), delta=5)

    def test_fault_times(self):
        h = {"x-test-id": "ft-1", "x-test-fault": "status-503", "x-test-fault-times": "2"}
        got = [req("GET", "/", headers=h) for _ in range(4)]
        self.assertEqual([g[0] for g in got], [503, 503, 200, 200])
        self.assertEqual([g[1]["x-test-attempt"] for g in got], ["1", "2", "3", "4"])
        # a connection-level fault counts attempts too; another id counts apart
        h = {"x-test-id": "ft-2", "x-test-fault": "close-before", "x-test-fault-times": "1"}
        self.assertRaises((http.client.RemoteDisconnected, ConnectionError), req, "GET", "/",
                          headers=h)
        st, hh, _ = req("GET", "/", headers=h)
        self.assertEqual((st, hh["x-test-attempt"]), (200, "2"))
        log = jreq("GET", "/_log?id=ft-1")[1]["requests"]
        self.assertEqual([e["attempt"] for e in log], [1, 2, 3, 4])
        self.assertEqual(stats()["faults"], 3)

    def test_fault_without_times_always_applies(self):
        h = {"x-test-id": "ft-3", "x-test-fault": "status-429"}
        self.assertEqual([req("GET", "/", headers=h)[0] for _ in range(3)], [429] * 3)


class Tls(unittest.TestCase):
    def test_https_with_ca(self):
        ctx = ssl.create_default_context(cafile=S.ca)
        for host in ("127.0.0.1", "localhost"):
            r = urllib.request.urlopen(
                urllib.request.Request("https://%s:%d/tls" % (host, S.tls_port),
                                       headers={"x-test-id": "tls"}), context=ctx, timeout=5)
            self.assertEqual((r.status, r.read()), (200, b"{}"))
        e = jreq("GET", "/_log?last=1")[1]["requests"][0]
        self.assertTrue(e["tls"])

    def test_https_untrusted_fails(self):
        ctx = ssl.create_default_context()
        with self.assertRaises(urllib.error.URLError) as cm:
            urllib.request.urlopen("https://127.0.0.1:%d/" % S.tls_port, context=ctx, timeout=5)
        self.assertIsInstance(cm.exception.reason, ssl.SSLCertVerificationError)

    def test_faults_over_tls(self):
        ctx = ssl.create_default_context(cafile=S.ca)
        c = http.client.HTTPSConnection("localhost", S.tls_port, context=ctx, timeout=5)
        st, h, _ = req("GET", "/", headers={"x-test-fault": "throttle-json"}, conn=c)
        self.assertEqual(st, 400)
        c.close()
        c = http.client.HTTPSConnection("localhost", S.tls_port, context=ctx, timeout=5)
        self.assertRaises((http.client.RemoteDisconnected, ConnectionError, ssl.SSLError),
                          req, "GET", "/", headers={"x-test-fault": "close-before"}, conn=c)

    def test_handshake_delay(self):
        """The TCP accept comes at once, the handshake only after the delay (a
        lower bound: the ClientHello sits unread), and meanwhile the server
        answers others."""
        req("POST", "/_config", b'{"tls_handshake_delay_ms": 300}')
        try:
            ctx = ssl.create_default_context(cafile=S.ca)
            start = time.monotonic()  # before the connect: the server's wait comes after it
            raw = socket.create_connection(("127.0.0.1", S.tls_port), timeout=5)
            self.assertEqual(req("GET", "/meanwhile")[0], 200)
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                self.assertGreaterEqual(time.monotonic() - start, 0.3)
                t.sendall(b"GET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                self.assertTrue(t.recv(64).startswith(b"HTTP/1.1 200"))
        finally:
            req("POST", "/_reset")


class Imds(unittest.TestCase):
    P = "/latest/meta-data/iam/security-credentials/"

    def setUp(self):
        req("POST", "/_reset")

    def token(self, ttl="21600"):
        st, h, body = req("PUT", "/latest/api/token",
                          headers={"X-aws-ec2-metadata-token-ttl-seconds": ttl})
        self.assertEqual(st, 200)
        self.assertEqual(h["x-aws-ec2-metadata-token-ttl-seconds"], ttl)
        return body.decode()

    def test_v2_flow(self):
        self.assertEqual(req("PUT", "/latest/api/token")[0], 400)   # ttl header required
        self.assertEqual(req("GET", "/latest/api/token")[0], 405)
        self.assertEqual(req("GET", self.P)[0], 401)                # v1 refused by default
        self.assertEqual(req("GET", self.P, headers={"X-aws-ec2-metadata-token": "nope"})[0], 401)
        tok = {"X-aws-ec2-metadata-token": self.token()}
        st, h, role = req("GET", self.P, headers=tok)
        self.assertEqual((st, role), (200, b"uvaws-test-role"))
        self.assertEqual(req("GET", self.P + "other", headers=tok)[0], 404)
        req("POST", "/_config", json.dumps({"imds_expiry_s": 5}).encode())
        st, h, body = req("GET", self.P + role.decode(), headers=tok)
        c = json.loads(body)
        self.assertEqual((st, c["Code"], c["AccessKeyId"]), (200, "Success", "ASIAIMDS00000001"))
        exp = time.mktime(time.strptime(c["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
        self.assertAlmostEqual(exp - time.time(), 5, delta=2)
        c2 = json.loads(req("GET", self.P + role.decode(), headers=tok)[2])
        self.assertEqual(c2["AccessKeyId"], "ASIAIMDS00000002")
        self.assertTrue(c["SecretAccessKey"] and c["Token"])
        s = stats()
        self.assertEqual((s["imds_creds_fetches"], s["creds_fetches"], s["imds_token_requests"]),
                         (2, 2, 2))
        st, h, body = req("GET", "/latest/dynamic/instance-identity/document", headers=tok)
        self.assertEqual(json.loads(body)["region"], "us-east-1")

    def test_token_expires(self):
        tok = {"X-aws-ec2-metadata-token": self.token("1")}
        self.assertEqual(req("GET", self.P, headers=tok)[0], 200)
        time.sleep(1.2)
        self.assertEqual(req("GET", self.P, headers=tok)[0], 401)

    def test_v1_and_config(self):
        req("POST", "/_config", json.dumps({"imds_v1": True, "imds_token_status": 403,
                                            "imds_region": "eu-west-3", "imds_role": "r2",
                                            "imds_delay_ms": 200}).encode())
        self.assertEqual(req("PUT", "/latest/api/token",
                             headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"})[0], 403)
        t = time.monotonic()
        self.assertEqual(req("GET", self.P)[2], b"r2")
        self.assertGreaterEqual(time.monotonic() - t, 0.19)
        self.assertEqual(json.loads(req("GET", self.P + "r2")[2])["Type"], "AWS-HMAC")
        self.assertEqual(req("GET", "/latest/meta-data/placement/region")[2], b"eu-west-3")
        req("POST", "/_config", b'{"imds_creds_status": 500}')
        self.assertEqual(req("GET", self.P + "r2")[0], 500)

    def test_container(self):
        self.assertEqual(req("GET", "/creds")[0], 401)
        self.assertEqual(req("GET", "/creds", headers={"Authorization": "wrong"})[0], 401)
        st, h, body = req("GET", "/creds", headers={"Authorization": "uvaws-test-container-token"})
        c = json.loads(body)
        self.assertEqual((st, c["AccessKeyId"]), (200, "ASIACONT00000001"))
        req("POST", "/_config", b'{"container_token": null, "container_expiry_s": 60}')
        c = json.loads(req("GET", "/creds")[2])
        self.assertEqual(c["AccessKeyId"], "ASIACONT00000002")
        s = stats()
        self.assertEqual((s["container_creds_fetches"], s["creds_fetches"]), (2, 2))
        req("POST", "/_config", b'{"container_status": 503}')
        self.assertEqual(req("GET", "/creds")[0], 503)


class Load(unittest.TestCase):
    def test_many_connections_at_once(self):
        req("POST", "/_reset")
        n = int(os.environ.get("UVAWS_SELFTEST_CONNS", "2000"))

        async def one(i):
            r, w = await asyncio.open_connection("127.0.0.1", S.port)
            w.write(b"GET /load HTTP/1.1\r\nHost: x\r\nx-test-delay-ms: 1500\r\n"
                    b"x-test-id: load-%d\r\n\r\n" % i)
            head = await r.readuntil(b"\r\n\r\n")
            await r.readexactly(2)
            w.close()
            return head.startswith(b"HTTP/1.1 200")

        async def all_():
            return await asyncio.gather(*(one(i) for i in range(n)))

        t = time.monotonic()
        ok = asyncio.run(all_())
        self.assertEqual(sum(ok), n)
        s = stats()
        self.assertEqual((s["requests"], s["peak_concurrency"]), (n, n))
        self.assertLess(time.monotonic() - t, 60)

    def test_many_requests_keepalive(self):
        req("POST", "/_reset")
        c = http.client.HTTPConnection("127.0.0.1", S.port, timeout=10)
        for _ in range(3000):
            req("POST", "/k", b"{}", conn=c)
        c.close()
        s = stats()
        self.assertEqual((s["requests"], s["connections"]), (3000, 1))


def peers(*args, cmd):
    # a failing run keeps its log dir: keep those out of the real /tmp
    with tempfile.TemporaryDirectory(prefix="uvaws-selftest-peers-") as tmp:
        return subprocess.run([PY, os.path.join(HERE, "peers.py"), "run", *args, "--",
                               PY, "-c", cmd], env=dict(os.environ, TMPDIR=tmp),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=120)


HAVE_NODE = os.path.isdir(os.path.join(ROOT, "test", "peers", "node_modules", "dynalite")) \
    and shutil.which("node")


class Peers(unittest.TestCase):
    def test_testserver_tls_and_exit_code(self):
        r = peers("--tls", cmd=r"""
import os, ssl, sys, urllib.request
ctx = ssl.create_default_context(cafile=os.environ['UVAWS_TEST_CA_FILE'])
def get(url, **kw):  # unsigned on purpose: says so
    rq = urllib.request.Request(url, headers={'x-test-unsigned': '1'})
    return urllib.request.urlopen(rq, **kw).read()
a = get(os.environ['UVAWS_TEST_SERVER'] + '/x')
b = get(os.environ['UVAWS_TEST_SERVER_TLS'] + '/x', context=ctx)
assert a == b == b'{}', (a, b)
assert '127.0.0.1' in os.environ['NO_PROXY']
sys.exit(5)
""")
        self.assertEqual(r.returncode, 5, r.stderr)
        self.assertIn("command exited with status 5", r.stderr)

    @unittest.skipUnless(HAVE_NODE, "test/peers/node_modules missing: npm ci in test/peers")
    def test_dynalite_and_ses(self):
        r = peers("--dynalite", "--ses", cmd=r"""
import json, os, urllib.request, urllib.parse
auth = {'Authorization': 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/x/aws4_request, '
                         'SignedHeaders=host;x-amz-date, Signature=00',
        'X-Amz-Date': '20240101T000000Z',
        'x-test-expect-bad-signature': '1'}  # a fake signature, and it says so
def post(url, body, **h):
    rq = urllib.request.Request(url, data=body, headers=dict(auth, **h), method='POST')
    return urllib.request.urlopen(rq, timeout=10).read()
d = os.environ['UVAWS_TEST_DYNALITE']
out = json.loads(post(d, b'{}', **{'X-Amz-Target': 'DynamoDB_20120810.ListTables',
                                  'Content-Type': 'application/x-amz-json-1.0'}))
assert out == {'TableNames': []}, out
s = os.environ['UVAWS_TEST_SES']
v1 = post(s + '/', urllib.parse.urlencode({'Action': 'SendEmail', 'Version': '2010-12-01',
    'Source': 'a@example.com', 'Destination.ToAddresses.member.1': 'b@example.com',
    'Message.Subject.Data': 'v1 subject', 'Message.Body.Text.Data': 'v1 body'}).encode(),
    **{'Content-Type': 'application/x-www-form-urlencoded'})
assert b'<MessageId>' in v1, v1
v2 = json.loads(post(s + '/v2/email/outbound-emails', json.dumps({
    'FromEmailAddress': 'a@example.com', 'Destination': {'ToAddresses': ['c@example.com']},
    'Content': {'Simple': {'Subject': {'Data': 'v2 subject'},
                           'Body': {'Text': {'Data': 'v2 body'}}}}}).encode(),
    **{'Content-Type': 'application/json'}))
store = json.loads(urllib.request.urlopen(s + '/store').read())
subj = [(m['subject'], m['destination']['to']) for m in store['emails']]
assert subj == [('v1 subject', ['b@example.com']), ('v2 subject', ['c@example.com'])], subj
assert store['emails'][1]['messageId'] == v2['MessageId']
""")
        self.assertEqual(r.returncode, 0, r.stderr)

    @unittest.skipUnless(shutil.which("nghttpd"), "nghttpd not installed (nghttp2-server)")
    def test_nghttpd_h2(self):
        r = peers("--nghttpd", cmd=r"""
import os, ssl, sys, urllib.request, subprocess, json
ctx = ssl.create_default_context(cafile=os.environ['UVAWS_TEST_CA_FILE'])
ctx.set_alpn_protocols(['h2'])
import socket
host, port = os.environ['UVAWS_TEST_NGHTTPD'][8:].split(':')
with ctx.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host) as s:
    assert s.selected_alpn_protocol() == 'h2', s.selected_alpn_protocol()
log = os.environ['UVAWS_TEST_NGHTTPD_LOG']
assert os.path.exists(log)
""")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_nghttpd_stats_parser(self):
        log = ("[id=1] [  0.1] recv (stream_id=1) :method: GET\n"
               "[id=1] [  0.1] recv (stream_id=3) :method: GET\n"
               "[id=1] [  0.1] recv (stream_id=3) :path: /\n"
               "[id=1] [  0.2] stream_id=1 closed\n"
               "[id=1] [  0.2] stream_id=3 closed\n"
               "[id=2] [  0.3] recv (stream_id=1) :method: GET\n")
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as f:
            f.write(log)
        try:
            out = subprocess.run([PY, os.path.join(HERE, "peers.py"), "nghttpd-stats", f.name],
                                 stdout=subprocess.PIPE, text=True, check=True).stdout
        finally:
            os.unlink(f.name)
        self.assertEqual(json.loads(out), {"connections": 2, "streams": 3,
                                           "streams_per_connection": {"1": 2, "2": 1},
                                           "peak_open_streams": 2})


class OddAnswers(unittest.TestCase):
    def test_date_raw_big_and_many_headers(self):
        resp, _ = raw(b"GET /o HTTP/1.1\r\nHost: x\r\nx-test-date: Fri, 31 Dec 9999 \\x1b\r\n"
                      b"x-test-response-header-raw: X-Pad:  \\x07 v \r\n"
                      b"x-test-big-header: 1000\r\nx-test-many-headers: 3\r\n"
                      b"Connection: close\r\n\r\n")
        head = resp.split(b"\r\n\r\n")[0]
        self.assertIn(b"\r\nDate: Fri, 31 Dec 9999 \x1b\r\n", head)
        self.assertEqual(head.count(b"\r\nDate:"), 1)
        self.assertIn(b"\r\nX-Pad:   \x07 v \r\n", head)
        self.assertIn(b"\r\nx-big: " + b"b" * 1000 + b"\r\n", head)
        self.assertEqual(head.count(b"\r\nx-many-"), 3)


try:
    sys.path.insert(0, HERE)
    from test_sigv4check import HAVE_BOTOCORE, botocore_sign
    if HAVE_BOTOCORE:
        import botocore.auth
        import botocore.awsrequest
        import botocore.credentials
except ImportError:
    HAVE_BOTOCORE = False


def signed(method, path, body=b"", headers=(), service="dynamodb", query=False, port=None,
           host=None):
    """(method, target, headers dict) of a request botocore signed for the server."""
    netloc = host or "127.0.0.1:%d" % (port or S.port)
    m, target, wire, b = botocore_sign(method, "http://" + netloc + path, list(headers), body,
                                       service, query, when=datetime.datetime.utcnow())
    return m, target, {n: v for n, v in wire if n != "host"}, b


def signatures():
    return jreq("GET", "/_signatures")[1]


@unittest.skipUnless(HAVE_BOTOCORE, "botocore not importable: run with /usr/bin/python3")
class WireCheck(unittest.TestCase):
    """Every signed request is verified as received; a bad one gets a 403 and
    is counted, unless it says it is bad on purpose."""

    def setUp(self):
        req("POST", "/_reset")

    def test_good_bad_expected_and_unsigned(self):
        before = signatures()
        m, t, h, b = signed("POST", "/v?a=1", b'{"x":1}', [("X-Amz-Target", "T.Op")])
        st, _, body = req(m, t, b, h)
        self.assertEqual((st, body), (200, b"{}"))
        h["x-amz-target"] = "T.Other"                        # one signed byte changed
        st, _, body = req(m, t, b, h)
        self.assertEqual(st, 403)
        err = json.loads(body)
        self.assertEqual(err["__type"], "InvalidSignatureException")
        self.assertIn("x-amz-target:T.Other", err["canonical_request"])
        st, _, _ = req(m, t, b, dict(h, **{"x-test-expect-bad-signature": "1"}))
        self.assertEqual(st, 200)                            # served: it said so
        st, _, _ = req("GET", "/plain")                      # unsigned, unmarked
        self.assertEqual(st, 200)
        req("GET", "/plain", headers={"x-test-unsigned": "1"})
        req("GET", "/latest/meta-data/placement/region")     # metadata: unsigned by design
        after = signatures()
        delta = {k: after[k] - before[k] for k in after if k.endswith("_total")}
        self.assertEqual(delta, {"ok_total": 1, "bad_total": 1, "expected-bad_total": 1,
                                 "unexpected-good_total": 0, "unsigned_total": 1,
                                 "exempt_total": 2})
        verdicts = [e["signature"] for e in jreq("GET", "/_log")[1]["requests"]]
        self.assertEqual(verdicts, ["ok", "bad", "expected-bad", "unsigned", "exempt", "exempt"])
        self.assertEqual(after["failures"][-1]["verdict"], "unsigned")

    def test_presigned_and_s3(self):
        m, t, h, b = signed("GET", "/?Action=GetCallerIdentity&Version=2011-06-15",
                            service="sts", query=True)
        self.assertEqual(req(m, t, b, h)[0], 200)
        self.assertEqual(req(m, t.replace("Version", "Versio"), b, h)[0], 403)
        m, t, h, b = signed("PUT", "/bucket/a/./b", b"data", service="s3")
        self.assertEqual(req(m, t, b, h)[0], 200)
        st, _, body = req(m, "/bucket/a/b", b, h)           # the dot removed: another key
        self.assertEqual(st, 403)
        self.assertIn(b"<Code>SignatureDoesNotMatch</Code>", body)
        st, _, body = req(m, t, b"other", h)                # the body is not the one hashed
        self.assertEqual(st, 403)
        self.assertIn(b"not the body", body)

    def test_keys_learned_and_registered(self):
        ring_secret = "registered-%d" % os.getpid()
        creds = botocore.credentials.Credentials("AKIDREG", ring_secret)
        rq = botocore.awsrequest.AWSRequest(method="GET", url="http://127.0.0.1:%d/k" % S.port)
        botocore.auth.SigV4Auth(creds, "dynamodb", "us-east-1").add_auth(rq)
        hdrs = dict(rq.headers.items())
        self.assertEqual(req("GET", "/k", headers=hdrs)[0], 403)
        self.assertEqual(req("POST", "/_keys", json.dumps(
            {"keys": {"AKIDREG": ring_secret}}).encode())[0], 200)
        self.assertEqual(req("GET", "/k", headers=hdrs)[0], 200)
        # the key pairs of recorded STS answers are learnt when configured
        learnt = "learnt-%d" % os.getpid()
        req("POST", "/_config", json.dumps({"canned": [{"contains": "Action=AssumeRole",
            "body": "<AccessKeyId>ASIALEARN</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
                    % learnt}]}).encode())
        creds = botocore.credentials.Credentials("ASIALEARN", learnt)
        rq = botocore.awsrequest.AWSRequest(method="GET", url="http://127.0.0.1:%d/k" % S.port)
        botocore.auth.SigV4Auth(creds, "dynamodb", "us-east-1").add_auth(rq)
        self.assertEqual(req("GET", "/k", headers=dict(rq.headers.items()))[0], 200)
        self.assertEqual(req("POST", "/_keys", b"[1]")[0], 400)


@unittest.skipUnless(HAVE_BOTOCORE, "botocore not importable: run with /usr/bin/python3")
class WireCheckRuns(unittest.TestCase):
    """peers.py fails a run in which a request did not verify, even when the
    command itself succeeded."""

    SEND = r"""
import os, sys, urllib.request, urllib.error
sys.path.insert(0, %r)
from test_testserver import signed
url = os.environ[%r]
port = int(url.rsplit(':', 1)[1])
m, t, h, b = signed('POST', '/', b'{}', [('X-Amz-Target', 'DynamoDB_20120810.ListTables'),
                    ('Content-Type', 'application/x-amz-json-1.0')], port=port)
h = {k.lower(): v for k, v in h.items()}
h.update(%s)
try:
    print(urllib.request.urlopen(urllib.request.Request(url + t, data=b, headers=h,
                                                        method=m)).status)
except urllib.error.HTTPError as e:
    print(e.code)
"""

    def good_then_tampered(self, peer, var):
        """A signed request passes; the same with one signed header changed after
        signing gets a 403 and fails the run; returns the failing run's stderr."""
        r = peers(peer, cmd=self.SEND % (HERE, var, "{}"))
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "200"), r.stderr)
        r = peers(peer, cmd=self.SEND % (HERE, var, "{'x-amz-target': 'Other'}"))
        self.assertEqual((r.returncode, r.stdout.strip()), (1, "403"), r.stderr)
        self.assertIn("SigV4 wire check failed: 1 bad", r.stderr)
        return r.stderr

    def test_testserver(self):
        self.good_then_tampered("--testserver", "UVAWS_TEST_SERVER")

    @unittest.skipUnless(HAVE_NODE, "test/peers/node_modules missing: npm ci in test/peers")
    def test_through_the_proxy(self):
        self.assertIn("via dynalite", self.good_then_tampered("--dynalite", "UVAWS_TEST_DYNALITE"))

    @unittest.skipUnless(HAVE_NODE and os.path.isdir(os.path.join(
        ROOT, "test", "peers", "node_modules", "s3rver")), "s3rver not installed")
    def test_s3rver_sees_the_bytes_that_were_signed(self):
        # s3rver checks signatures itself (key S3RVER): the proxy must relay
        # the request byte for byte for both checks to pass
        r = peers("--s3rver", cmd=r"""
import datetime, os, sys, urllib.request
sys.path.insert(0, %r)
import botocore.auth, botocore.awsrequest, botocore.credentials
url = os.environ['UVAWS_TEST_S3']
creds = botocore.credentials.Credentials('S3RVER', 'S3RVER')
def call(method, path, body=b''):
    rq = botocore.awsrequest.AWSRequest(method=method, url=url + path, data=body)
    botocore.auth.S3SigV4Auth(creds, 's3', 'us-east-1').add_auth(rq)
    p = rq.prepare()
    return urllib.request.urlopen(urllib.request.Request(p.url, data=p.body or None,
        headers=dict(p.headers.items()), method=method)).read()
call('PUT', '/bucket1')
call('PUT', '/bucket1/a/b.txt', b'hello')
assert call('GET', '/bucket1/a/b.txt') == b'hello'
""" % HERE)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
