"""The test server's wire check: every request's SigV4 signature verified
as it arrived (sigv4check.py), counted, and a bad one answered as AWS would;
and the verifying reverse proxy testserver.py puts in front of the emulators.

Used by testserver.py, which binds its HTTP plumbing here at start (bind()).
test/README.md ("The wire check") documents the behaviour.
"""

import asyncio
import collections
import json
import re
import sys
import time
import uuid

import sigv4check

# testserver.py's plumbing (read_request, send, Conn, jbody, BadRequest ...)
S = None


def bind(server_module):
    global S
    S = server_module


class Wire:
    """What the SigV4 check saw. Counters named *_total survive /_reset: the
    launcher reads them once the tests are over (peers.py fails the run on
    any bad signature or unmarked unsigned request)."""

    def __init__(self):
        self.keyring = sigv4check.Keyring()
        self.verify = True
        self.totals = collections.Counter()
        self.failures = collections.deque(maxlen=50)

    def note(self, verdict, r, reason="", via=None, result=None):
        self.totals[verdict] += 1
        if verdict in BAD_VERDICTS:
            item = {"verdict": verdict, "reason": reason, "method": r.method,
                    "target": r.target[:500], "via": via or "testserver",
                    "x_test_id": r.hdict.get("x-test-id")}
            if result is not None and result.canonical_request is not None:
                item["canonical_request"] = result.canonical_request[:4000]
            self.failures.append(item)
            print("testserver: %s %s %s: %s" % (verdict, r.method, r.target[:200], reason),
                  file=sys.stderr, flush=True)

    def summary(self):
        out = {k + "_total": self.totals[k] for k in ALL_VERDICTS}
        out["failures"] = list(self.failures)
        out["verify"] = self.verify
        return out


WIRE = Wire()
BAD_VERDICTS = ("bad", "unsigned", "unexpected-good")
ALL_VERDICTS = ("ok", "bad", "expected-bad", "unexpected-good", "unsigned", "exempt")
# Unsigned by design: instance metadata, container credentials, the STS calls
# AWS accepts without a signature, and the emulators' own test endpoints.
EXEMPT_PREFIXES = ("/latest/", "/creds", "/_")
EXEMPT_ACTIONS = re.compile(r"(^|&)Action=AssumeRoleWith(WebIdentity|SAML)(&|$)")
EMULATOR_EXEMPT = {"ses": ("/store", "/clear-store", "/health-check")}


def flag(r, name):
    return r.hdict.get(name, "0") not in ("", "0")


def check_signature(r, via=None):
    """Verifies r's SigV4 signature as received. Returns {"verdict": ...} and,
    when the request must not be served, "answer": (status, body, type): a 403
    as AWS gives it. A test that means to send a bad signature says so with
    `x-test-expect-bad-signature: 1`, an unsigned one with `x-test-unsigned: 1`."""
    if not WIRE.verify:
        return {"verdict": "unchecked"}
    res = sigv4check.verify(r.method, r.target, r.wire_headers, r.body, WIRE.keyring,
                            now=time.time())
    path = r.path
    if res.kind is None:
        text = (r.query or "") + "&" + (r.body or b"")[:4096].decode("latin-1")
        exempt = (path.startswith(EXEMPT_PREFIXES) or EXEMPT_ACTIONS.search(text)
                  or path in EMULATOR_EXEMPT.get(via, ()) or flag(r, "x-test-unsigned"))
        verdict = "exempt" if exempt else "unsigned"
        WIRE.note(verdict, r, "no Authorization header and no presigned query", via)
        return {"verdict": verdict}
    expect_bad = flag(r, "x-test-expect-bad-signature")
    if res.ok:
        verdict = "unexpected-good" if expect_bad else "ok"
        WIRE.note(verdict, r, "the signature verified, but the test said it would not", via, res)
        return {"verdict": verdict}
    if expect_bad:
        WIRE.note("expected-bad", r, res.reason, via, res)
        return {"verdict": "expected-bad"}
    WIRE.note("bad", r, res.reason, via, res)
    return {"verdict": "bad", "answer": signature_error(res)}


def signature_error(res):
    """(status, body, content type) of the 403 AWS answers a bad signature with."""
    msg = ("The request signature we calculated does not match the signature you "
           "provided: " + res.reason)
    if res.service in sigv4check.S3_SERVICES:
        from xml.sax.saxutils import escape
        body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch"
                "</Code><Message>%s</Message><CanonicalRequest>%s</CanonicalRequest>"
                "<StringToSign>%s</StringToSign></Error>" %
                (escape(msg), escape(res.canonical_request or ""),
                 escape(res.string_to_sign or "")))
        return 403, body, "application/xml"
    return 403, S.jbody({"__type": "InvalidSignatureException", "message": msg,
                       "canonical_request": res.canonical_request,
                       "string_to_sign": res.string_to_sign}), S.JSON10


async def ctl_signatures(c, r):
    if r.method != "GET":
        raise S.BadRequest(405, "GET /_signatures")
    return await S.send(c, 200, S.jbody(WIRE.summary()), keep_alive=r.keep_alive)


async def ctl_keys(c, r):
    """POST {"keys": {"AKID": "secret"}, "secrets": ["..."]}: secrets a test
    signs with that the server cannot know otherwise."""
    if r.method != "POST":
        raise S.BadRequest(405, "POST /_keys")
    try:
        upd = json.loads(r.body or b"{}")
        keys, pool = upd.get("keys", {}), upd.get("secrets", [])
        for k, v in keys.items():
            WIRE.keyring.add(str(k), str(v))
        for v in pool:
            WIRE.keyring.add_secret(str(v))
    except (ValueError, AttributeError, TypeError):
        raise S.BadRequest(400, '/_keys wants {"keys": {...}, "secrets": [...]}')
    return await S.send(c, 200, b'{"ok":true}', keep_alive=r.keep_alive)


WIRE_CONTROL = {"/_signatures": ctl_signatures, "/_keys": ctl_keys}


# ---------------------------------------------------------------- verifying reverse proxy

async def read_response(reader, method):
    """One response from upstream: (raw head, raw body, keep-alive)."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        if not 100 <= status < 200 or status == 101:
            break
    hd = {}
    for line in lines[1:]:
        n, sep, v = line.partition(":")
        if sep:
            hd[n.strip().lower()] = v.strip()
    keep = "close" not in hd.get("connection", "").lower()
    if method == "HEAD" or status in (204, 304):
        return head, b"", keep
    if "chunked" in hd.get("transfer-encoding", "").lower():
        parts = []
        while True:
            line = await reader.readuntil(b"\r\n")
            parts.append(line)
            size = int(line.split(b";")[0].strip(), 16)
            if size == 0:
                while True:
                    t = await reader.readuntil(b"\r\n")
                    parts.append(t)
                    if t == b"\r\n":
                        break
                break
            parts.append(await reader.readexactly(size + 2))
        return head, b"".join(parts), keep
    if "content-length" in hd:
        return head, await reader.readexactly(int(hd["content-length"])), keep
    return head, await reader.read(), False


def forward_head(r):
    """The request head as received, less Expect (this proxy answered it)."""
    lines = r.raw_head.split(b"\r\n")
    keep = [ln for ln in lines if not ln.lower().startswith(b"expect:")]
    return b"\r\n".join(keep)


async def on_proxy_connection(reader, writer, name, port):
    """Verifies each request's signature, then relays it to 127.0.0.1:port
    byte for byte (a bad one gets the 403 here and never reaches upstream)."""
    c = S.Conn(reader, writer, False)
    up = None
    try:
        while True:
            try:
                r = await S.read_request(reader, writer)
            except S.BadRequest as e:
                await S.send(c, e.status, S.jbody({"message": str(e)}), keep_alive=False)
                break
            if r is None:
                break
            sig = check_signature(r, via=name)
            if sig.get("answer"):
                await S.send(c, *sig["answer"], [("x-amzn-RequestId", str(uuid.uuid4()))],
                           r.keep_alive)
                if not r.keep_alive:
                    break
                continue
            body = r.body
            if r.chunked:
                body = (b"%x\r\n" % len(body) + body + b"\r\n" if body else b"") + b"0\r\n\r\n"
            for attempt in (0, 1):  # a kept-alive upstream may have closed meanwhile
                if up is None:
                    up = await asyncio.open_connection(S.HOST, port, limit=S.MAX_HEAD * 4)
                try:
                    up[1].write(forward_head(r) + body)
                    await up[1].drain()
                    head, rbody, keep = await read_response(up[0], r.method)
                    break
                except (ConnectionError, asyncio.IncompleteReadError):
                    up[1].close()
                    up = None
                    if attempt:
                        raise
            writer.write(head + rbody)
            await writer.drain()
            if not keep:
                up[1].close()
                up = None
            if not r.keep_alive or not keep:
                break
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError,
            ValueError, IndexError):
        pass
    finally:
        if up is not None:
            up[1].close()
        writer.close()


async def start_proxies(specs):
    """--proxy NAME=PORT: one verifying listener each; returns {NAME: port}."""
    out, servers = {}, []
    for spec in specs:
        name, _, port = spec.partition("=")
        srv = await asyncio.start_server(
            lambda rd, wr, n=name, p=int(port): on_proxy_connection(rd, wr, n, p), S.HOST, 0,
            limit=S.MAX_HEAD, backlog=4096, reuse_address=True)
        servers.append(srv)
        out[name] = srv.sockets[0].getsockname()[1]
    return out, servers
