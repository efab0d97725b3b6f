#!/usr/bin/python3
"""uvaws's own HTTP/1.1 test server: records, counts and misbehaves on request.

Standard library only (asyncio). One server serves every test: each request
says through x-test-* headers how it wants to be answered, and tests read the
server's view back through the control paths /_stats, /_log, /_reset and
/_config. It also fakes EC2 instance metadata (IMDSv1/v2) and the container
credentials endpoint. test/README.md documents all of it.

    testserver.py [--port 0] [--tls [--tls-port 0] [--cert F --key F --ca F]]
                  [--ready-file PATH]

Listens on 127.0.0.1 only. When both listeners are up it prints one line per
listener and writes --ready-file (JSON: http_port, https_port, ca_file, pid)
atomically, which is what test/harness/peers.py waits for.
"""

import argparse
import asyncio
import collections
import email.utils
import hashlib
import http
import itertools
import json
import os
import re
import resource
import secrets
import signal
import socket
import ssl
import struct
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import wirecheck  # noqa: E402
from wirecheck import WIRE, WIRE_CONTROL, check_signature, start_proxies  # noqa: E402

HOST = "127.0.0.1"
MAX_HEAD = 64 * 1024          # request line + headers
MAX_BODY = 256 * 1024 * 1024  # larger request bodies get 413
LOG_BODY = 4096               # bytes of each request body kept in /_log
LOG_MAX = 200000              # requests kept in /_log
JSON10 = "application/x-amz-json-1.0"

DEFAULT_CONFIG = {
    "imds_v1": False,            # allow credential GETs without a session token
    "imds_token_status": 200,    # status for PUT /latest/api/token (403/404/405 = v2 off)
    "imds_token_text": None,     # the token PUT's answer instead of a fresh valid token
    "imds_expiry_s": 3600,       # Expiration of IMDS credentials, seconds from now
    "imds_delay_ms": 0,          # delay every IMDS answer
    "imds_role": "uvaws-test-role",
    "imds_role_list": None,      # the role list's text, if not just imds_role
    "imds_region": "us-east-1",
    "imds_creds_status": 200,    # status for GET .../security-credentials/ROLE
    "container_token": "uvaws-test-container-token",  # null: no Authorization check
    "container_expiry_s": 3600,
    "container_status": 200,
    "container_delay_ms": 0,
    "date_offset_s": 0,          # shift the Date header of every response
    "tls_handshake_delay_ms": 0,  # a new TLS connection waits this long before its handshake
    # Hostile credential answers (see hostile_creds_answer and friends):
    "creds_override": {},        # merged into every IMDS and container credentials answer
    "creds_override_times": -1,  # how many answers get the override (-1: all)
    "creds_pad_to": 0,           # pad those answers to exactly this many bytes
    "imds_fail_times": 0,        # the first N IMDS credential GETs answer 500
    "imds_token_epoch": 1,       # raising it revokes every IMDS token issued before
    # Recorded answers: a list of {"contains": TEXT, "path": PREFIX, "status": N,
    # "content_type": T, "body": TEXT, "headers": {NAME: VALUE}}; the first whose `contains` is in the
    # request body (or query) and whose `path` prefixes the path answers it. "times": N answers
    # only the first N such requests; "fault": NAME answers with that x-test-fault instead;
    # "s3_request_id": true names the request id x-amz-request-id, as S3 does.
    "canned": [],
}

DDB = "com.amazonaws.dynamodb.v20120810#"

# name: (status, content type, body or None for a default message, extra headers)
CANNED = {
    "status-500": (500, "application/json", None),
    "status-503": (503, "application/json", None),
    "status-429": (429, "application/json", None),
    "throttle-json": (400, JSON10, {"__type": DDB + "ThrottlingException",
                                    "message": "Rate exceeded"}),
    "throttle-xml": (400, "text/xml", "xml:Sender:Throttling:Rate exceeded"),
    "transient-json": (500, JSON10, {"__type": DDB + "InternalServerError",
                                     "message": "Internal server error"}),
    "request-timeout-json": (400, JSON10, {"__type": "RequestTimeoutException",
                                           "message": "Request timed out"}),
    "expired-token": (400, JSON10, {
        "__type": "com.amazon.coral.service#ExpiredTokenException",
        "message": "The security token included in the request is expired"}),
    "skew": (400, JSON10, {
        "__type": "RequestTimeTooSkewed",
        "message": "The difference between the request time and the current "
                   "time is too large."}),
    "skew-xml": (400, "text/xml", "xml:Sender:RequestTimeTooSkewed:The difference "
                 "between the request time and the current time is too large."),
    "signature-expired": (400, JSON10, {
        "__type": "com.amazon.coral.service#InvalidSignatureException",
        "message": "Signature expired: the request time is now earlier than "
                   "(current time - 5 min.)"}),
}
RAW_FAULTS = {"close-before", "reset", "close-mid-headers", "close-mid-body",
              "wrong-content-length", "drip", "garbage", "stall"}
SKEW_FAULTS = {"skew", "skew-xml", "signature-expired"}
FAULTS = RAW_FAULTS | set(CANNED)


class BadRequest(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


def http_date(offset_s=0):
    return email.utils.formatdate(time.time() + offset_s, usegmt=True)


def iso8601(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def reason(status):
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Status"


def sized_body(n):
    """An n-byte body that is valid JSON when n >= 8: {"p":"xxxx"}."""
    if n < 8:
        return b"x" * n
    return b'{"p":"' + b"x" * (n - 8) + b'"}'


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers",
                 "hdict", "body", "keep_alive", "raw_head", "wire_headers", "chunked")

    def header(self, name, default=None):
        return self.hdict.get(name, default)

    def int_header(self, name, default=0):
        v = self.hdict.get(name)
        if v is None:
            return default
        try:
            return int(v.strip())
        except ValueError:
            raise BadRequest(400, "header %s is not an integer: %r" % (name, v))


class State:
    def __init__(self):
        self.current = 0
        self.open_connections = 0
        self.seq = 0
        self.conn_ids = itertools.count(1)
        self.tokens = {}
        self.reset()

    def reset(self):
        self.config = dict(DEFAULT_CONFIG)
        self.epoch = getattr(self, "epoch", 0) + 1
        self.requests = 0
        self.peak = self.current
        self.connections = 0
        self.tls_connections = 0
        self.faults = 0
        self.attempts = collections.Counter()
        self.log = collections.deque(maxlen=LOG_MAX)
        self.imds_token_requests = 0
        self.imds_creds = 0
        self.container_creds = 0
        self.hostile_answers = 0
        self.imds_failures = 0
        self.tokens.clear()

    def stats(self):
        return {"requests": self.requests, "peak_concurrency": self.peak,
                "current": self.current, "connections": self.connections,
                "open_connections": self.open_connections,
                "tls_connections": self.tls_connections,
                "faults": self.faults,
                "creds_fetches": self.imds_creds + self.container_creds,
                "imds_creds_fetches": self.imds_creds,
                "container_creds_fetches": self.container_creds,
                "imds_token_requests": self.imds_token_requests,
                "log_size": len(self.log)}


ST = State()


# ---------------------------------------------------------------- parsing

async def read_request(reader, writer):
    """Read one request; None on a clean EOF between requests."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial.strip():
            return None
        raise BadRequest(400, "connection closed inside the request head")
    except asyncio.LimitOverrunError:
        raise BadRequest(431, "request head larger than %d bytes" % MAX_HEAD)
    lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(400, "malformed request line %r" % lines[0][:200])
    r = Request()
    r.raw_head = head
    r.method, r.target, r.version = parts
    if not r.method.isalpha():
        raise BadRequest(400, "malformed method")
    r.headers = []
    r.wire_headers = []  # values exactly as sent, for the signature check
    r.hdict = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header line %r" % line[:200])
        name = name.lower()
        r.wire_headers.append((name, value))
        value = value.strip()
        r.headers.append((name, value))
        r.hdict[name] = r.hdict[name] + ", " + value if name in r.hdict else value
    u = urllib.parse.urlsplit(r.target)
    r.path = u.path or "/"
    r.query = u.query
    conn = [t.strip().lower() for t in r.hdict.get("connection", "").split(",")]
    r.keep_alive = ("close" not in conn) if r.version == "HTTP/1.1" else ("keep-alive" in conn)

    if r.hdict.get("expect", "").lower() == "100-continue" and r.version == "HTTP/1.1":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    te = r.hdict.get("transfer-encoding", "").lower()
    r.chunked = "chunked" in te
    if r.chunked:
        chunks, total = [], 0
        while True:
            line = await reader.readuntil(b"\r\n")
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise BadRequest(400, "malformed chunk size")
            if size == 0:
                while (await reader.readuntil(b"\r\n")) != b"\r\n":
                    pass  # trailers
                break
            total += size
            if total > MAX_BODY:
                raise BadRequest(413, "request body too large")
            chunks.append(await reader.readexactly(size))
            if await reader.readexactly(2) != b"\r\n":
                raise BadRequest(400, "malformed chunk")
        r.body = b"".join(chunks)
    elif te:
        raise BadRequest(501, "unsupported transfer-encoding %r" % te)
    else:
        cl = r.hdict.get("content-length", "0").strip()
        if not cl.isdigit():
            raise BadRequest(400, "bad content-length %r" % cl)
        n = int(cl)
        if n > MAX_BODY:
            raise BadRequest(413, "request body too large")
        r.body = await reader.readexactly(n) if n else b""
    return r


# ---------------------------------------------------------------- responses

class Conn:
    def __init__(self, reader, writer, tls):
        self.reader, self.writer, self.tls = reader, writer, tls
        self.id = next(ST.conn_ids)
        self.nreq = 0
        self.epoch = 0       # ST.epoch when this connection was last counted
        self.abort = False   # close with RST instead of FIN


def head_bytes(status, headers, keep_alive):
    out = ["HTTP/1.1 %d %s" % (status, reason(status))]
    out += ["%s: %s" % kv for kv in headers]
    if not keep_alive:
        out.append("Connection: close")
    return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")


async def send(c, status, body=b"", ctype="application/json", headers=(),
               keep_alive=True, date_offset=None):
    if isinstance(body, str):
        body = body.encode()
    off = ST.config["date_offset_s"] if date_offset is None else date_offset
    h = [("Date", http_date(off))] if not has_date(headers) else []
    h += [("Content-Type", ctype), ("Content-Length", str(len(body)))]
    h.extend(headers)
    c.writer.write(head_bytes(status, h, keep_alive) + body)
    await c.writer.drain()
    return keep_alive


def has_date(headers):
    return any(k.lower() == "date" for k, _ in headers)


def odd_response_headers(r):
    """Answer headers a test asks for to see how the client copes:
    x-test-date: TEXT            the Date header, verbatim (unparsable, year 9999 ...)
    x-test-response-header-raw: Name:value   a header with its value's blanks kept
    x-test-big-header: N         one header line of N bytes
    x-test-many-headers: K       K header lines of 100 bytes each
    In TEXT and value, \\xHH stands for that byte (a request header cannot
    carry control bytes)."""
    out = []
    if "x-test-date" in r.hdict:
        out.append(("Date", unescape(r.hdict["x-test-date"])))
    for name, value in r.wire_headers:
        if name == "x-test-response-header-raw":
            k, sep, v = value.lstrip(" \t").partition(":")
            if sep and k:
                out.append((k, unescape(v)))
    n = r.int_header("x-test-big-header", 0)
    if n > 0:
        out.append(("x-big", "b" * min(n, MAX_BODY)))
    for i in range(min(r.int_header("x-test-many-headers", 0), 100000)):
        out.append(("x-many-%d" % i, "m" * 88))
    return out


def unescape(text):
    return re.sub(r"\\x([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def find_canned(r):
    """The first recorded answer of /_config's "canned" list matching r."""
    text = (r.body or b"").decode("utf-8", "replace") + "&" + (r.query or "")
    for entry in ST.config.get("canned") or []:
        if not isinstance(entry, dict):
            continue
        if entry.get("contains", "") in text and r.path.startswith(entry.get("path", "/")):
            if "times" in entry:  # only the first N matching requests
                if entry.get("_used", 0) >= int(entry["times"]):
                    continue
                entry["_used"] = entry.get("_used", 0) + 1
            return entry
    return None


def jbody(obj):
    return json.dumps(obj, separators=(",", ":")).encode()


def xml_error(spec, rid):
    _, typ, code, msg = spec.split(":", 3)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">'
            "<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>%s</RequestId></ErrorResponse>" % (typ, code, msg, rid)).encode()


async def stall(c):
    """Never answer: hold the connection until the client gives up."""
    while await c.reader.read(65536):
        pass
    return False


async def do_fault(c, r, name, base):
    ST.faults += 1
    w = c.writer
    if name == "close-before":
        return False
    if name == "reset":
        c.abort = True
        return False
    if name == "stall":
        return await stall(c)
    if name == "garbage":
        w.write(b"\x00\xffGARBAGE this is not HTTP at all\r\n\x01\x02\r\n\r\n")
        await w.drain()
        return False
    if name == "close-mid-headers":
        # curl takes a head cut by EOF as a complete close-delimited response,
        # so declare a length first: the cut then surfaces as an error
        w.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Content-Length: 50\r\nx-amzn-Requ")
        await w.drain()
        return False
    body = body_for(r)
    h = [("Date", http_date(ST.config["date_offset_s"])),
         ("Content-Type", r.header("x-test-content-type", "application/json"))] + base
    if name == "close-mid-body":
        body = sized_body(max(len(body), 200))
        w.write(head_bytes(200, h + [("Content-Length", str(len(body)))], True)
                + body[:len(body) // 2])
        await w.drain()
        return False
    if name == "wrong-content-length":
        w.write(head_bytes(200, h + [("Content-Length", str(len(body) + 100))], True) + body)
        await w.drain()
        return False
    if name == "drip":
        interval = r.int_header("x-test-drip-ms", 50) / 1000.0
        w.write(head_bytes(200, h + [("Content-Length", str(len(body)))], r.keep_alive))
        await w.drain()
        for i in range(len(body)):
            await asyncio.sleep(interval)
            w.write(body[i:i + 1])
            await w.drain()
        return r.keep_alive
    status, ctype, spec = CANNED[name]
    rid = dict(base)["x-amzn-RequestId"]
    if spec is None:
        data = jbody({"message": "injected fault %s" % name})
    elif isinstance(spec, str):
        data = xml_error(spec, rid)
    else:
        data = jbody(spec)
    off = r.int_header("x-test-skew-s", 900) if name in SKEW_FAULTS else None
    return await send(c, status, data, ctype, base, r.keep_alive, off)


def body_for(r):
    if "x-test-body" in r.hdict:
        return r.hdict["x-test-body"].encode("latin-1")
    if "x-test-body-size" in r.hdict:
        n = r.int_header("x-test-body-size")
        if n < 0 or n > MAX_BODY:
            raise BadRequest(400, "x-test-body-size out of range")
        return sized_body(n)
    return b"{}"


# ---------------------------------------------------------------- fake credential endpoints

def creds(prefix, n, expiry_s):
    now = time.time()
    WIRE.keyring.add("ASIA%s%08d" % (prefix, n), "%s-secret-%d" % (prefix.lower(), n))
    return {"AccessKeyId": "ASIA%s%08d" % (prefix, n),
            "SecretAccessKey": "%s-secret-%d" % (prefix.lower(), n),
            "Token": "%s-session-token-%d" % (prefix.lower(), n),
            "Expiration": iso8601(now + expiry_s),
            "LastUpdated": iso8601(now)}


async def imds(c, r, base):
    cfg = ST.config
    if cfg["imds_delay_ms"]:
        await asyncio.sleep(cfg["imds_delay_ms"] / 1000.0)
    text = "text/plain"
    if r.path == "/latest/api/token":
        if r.method != "PUT":
            return await send(c, 405, "", text, base, r.keep_alive)
        ST.imds_token_requests += 1
        ttl = r.header("x-aws-ec2-metadata-token-ttl-seconds")
        if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return await send(c, 400, "", text, base, r.keep_alive)
        if cfg["imds_token_status"] != 200:
            return await send(c, cfg["imds_token_status"], "", text, base, r.keep_alive)
        if cfg["imds_token_text"] is not None:
            return await send(c, 200, cfg["imds_token_text"], text,
                              base + [("X-aws-ec2-metadata-token-ttl-seconds", ttl)], r.keep_alive)
        token = "imds-token-" + secrets.token_hex(16)
        ST.tokens[token] = (time.time() + int(ttl), cfg["imds_token_epoch"])
        return await send(c, 200, token, text,
                          base + [("X-aws-ec2-metadata-token-ttl-seconds", ttl)], r.keep_alive)
    if r.method != "GET":
        return await send(c, 405, "", text, base, r.keep_alive)
    token = r.header("x-aws-ec2-metadata-token")
    if token is not None:
        if not imds_token_valid(token):
            return await send(c, 401, "", text, base, r.keep_alive)
    elif not cfg["imds_v1"]:
        return await send(c, 401, "", text, base, r.keep_alive)
    prefix = "/latest/meta-data/iam/security-credentials/"
    if r.path == prefix:
        roles = cfg["imds_role_list"] if cfg["imds_role_list"] is not None else cfg["imds_role"]
        return await send(c, 200, roles, text, base, r.keep_alive)
    if r.path.startswith(prefix):
        if r.path[len(prefix):] != cfg["imds_role"]:
            return await send(c, 404, "", text, base, r.keep_alive)
        if cfg["imds_creds_status"] != 200:
            return await send(c, cfg["imds_creds_status"], "", text, base, r.keep_alive)
        if imds_injected_failure():
            return await send(c, 500, "", text, base, r.keep_alive)
        ST.imds_creds += 1
        body = dict(Code="Success", Type="AWS-HMAC",
                    **creds("IMDS", ST.imds_creds, cfg["imds_expiry_s"]))
        return await send(c, 200, hostile_creds_answer(body), text, base, r.keep_alive)
    if r.path == "/latest/dynamic/instance-identity/document":
        doc = {"region": cfg["imds_region"], "availabilityZone": cfg["imds_region"] + "a",
               "instanceId": "i-0123456789abcdef0", "accountId": "123456789012",
               "architecture": "x86_64", "imageId": "ami-0123456789abcdef0",
               "instanceType": "t3.micro", "privateIp": "127.0.0.1",
               "pendingTime": iso8601(time.time() - 3600), "version": "2017-09-30"}
        return await send(c, 200, jbody(doc), "application/json", base, r.keep_alive)
    if r.path == "/latest/meta-data/placement/region":
        return await send(c, 200, cfg["imds_region"], text, base, r.keep_alive)
    return await send(c, 404, "", text, base, r.keep_alive)


async def container(c, r, base):
    cfg = ST.config
    if cfg["container_delay_ms"]:
        await asyncio.sleep(cfg["container_delay_ms"] / 1000.0)
    want = cfg["container_token"]
    if want is not None and r.header("authorization") != want:
        return await send(c, 401, jbody({"message": "bad or missing Authorization"}),
                          "application/json", base, r.keep_alive)
    if cfg["container_status"] != 200:
        return await send(c, cfg["container_status"], jbody({"message": "injected"}),
                          "application/json", base, r.keep_alive)
    ST.container_creds += 1
    body = dict(creds("CONT", ST.container_creds, cfg["container_expiry_s"]),
                AccountId="123456789012")
    return await send(c, 200, hostile_creds_answer(body), "application/json", base, r.keep_alive)


# ---------------------------------------------------------------- hostile credential answers
# What the credential tests configure to attack the client with: overridden
# fields (control characters, bad or past Expiration), answers padded to an
# exact size, failing IMDS credential GETs, revoked IMDS tokens.

def hostile_creds_answer(body):
    """The JSON of a credentials answer, with /_config's override and padding."""
    cfg = ST.config
    times = cfg["creds_override_times"]
    if cfg["creds_override"] and (times < 0 or ST.hostile_answers < times):
        ST.hostile_answers += 1
        body = dict(body, **cfg["creds_override"])
    data = jbody(body)
    want = cfg["creds_pad_to"]
    if want:
        # {...,"Padding":"xxx"}: 14 bytes of syntax plus the x's
        room = want - len(data) - len(',"Padding":""')
        if room < 0:
            raise BadRequest(400, "creds_pad_to %d is below the answer's %d bytes" % (want, len(data)))
        data = data[:-1] + b',"Padding":"' + b"x" * room + b'"}'
    return data


def imds_injected_failure():
    """True for the first imds_fail_times credential GETs since the reset."""
    if ST.imds_failures < ST.config["imds_fail_times"]:
        ST.imds_failures += 1
        return True
    return False


def imds_token_valid(token):
    """Issued, not expired, and not revoked by a later imds_token_epoch."""
    expiry, epoch = ST.tokens.get(token, (0, 0))
    return expiry >= time.time() and epoch >= ST.config["imds_token_epoch"]


# ---------------------------------------------------------------- control paths

async def control(c, r):
    q = urllib.parse.parse_qs(r.query)
    p = r.path
    if p == "/_stats" and r.method == "GET":
        return await send(c, 200, jbody(ST.stats()), keep_alive=r.keep_alive)
    if p == "/_reset" and r.method == "POST":
        ST.reset()
        return await send(c, 200, b'{"ok":true}', keep_alive=r.keep_alive)
    if p == "/_log" and r.method == "GET":
        items = list(ST.log)
        if "id" in q:
            items = [e for e in items if e["x_test_id"] == q["id"][0]]
        if "last" in q:
            try:
                n = int(q["last"][0])
            except ValueError:
                raise BadRequest(400, "last must be an integer")
            items = items[-n:] if n > 0 else []
        return await send(c, 200, jbody({"total": ST.requests, "requests": items}),
                          keep_alive=r.keep_alive)
    if p in WIRE_CONTROL:
        return await WIRE_CONTROL[p](c, r)
    if p == "/_config":
        if r.method == "POST":
            try:
                upd = json.loads(r.body or b"{}")
            except ValueError:
                raise BadRequest(400, "/_config wants a JSON object")
            if not isinstance(upd, dict):
                raise BadRequest(400, "/_config wants a JSON object")
            bad = [k for k in upd if k not in DEFAULT_CONFIG]
            if bad:
                raise BadRequest(400, "unknown config keys %s" % bad)
            ST.config.update(upd)
            for entry in upd.get("canned") or []:  # recorded STS answers carry keys
                if isinstance(entry, dict):
                    WIRE.keyring.learn_from_text(str(entry.get("body", "")))
        elif r.method != "GET":
            raise BadRequest(405, "GET or POST /_config")
        return await send(c, 200, jbody(ST.config), keep_alive=r.keep_alive)
    raise BadRequest(404, "no control path %s %s" % (r.method, p))


# ---------------------------------------------------------------- request pipeline

async def handle(c, r):
    """Answer one request; return whether the connection stays open."""
    if r.path.startswith("/_"):
        return await control(c, r)
    c.nreq += 1
    if c.epoch != ST.epoch:
        # counted at its first non-control request (since the last reset), so
        # connections made only to read /_stats or to probe the port don't count
        c.epoch = ST.epoch
        ST.connections += 1
        if c.tls:
            ST.tls_connections += 1
    sig = check_signature(r)
    ST.requests += 1
    ST.seq += 1
    seq = ST.seq
    tid = r.header("x-test-id")
    if tid is not None:
        ST.attempts[tid] += 1
        attempt = ST.attempts[tid]
    else:
        attempt = 1
    rec = {
        "seq": seq, "conn": c.id, "conn_req": c.nreq, "tls": c.tls, "time": time.time(),
        "method": r.method, "path": r.path, "query": r.query, "target": r.target,
        "headers": r.hdict, "body_len": len(r.body),
        "body": r.body[:LOG_BODY].decode("utf-8", "replace"),
        "body_sha256": hashlib.sha256(r.body).hexdigest(),
        "x_test_id": tid, "attempt": attempt,
        "x_amz_date": r.header("x-amz-date"), "authorization": r.header("authorization"),
        "signature": sig["verdict"]}
    ST.log.append(rec)
    ST.current += 1
    ST.peak = max(ST.peak, ST.current)
    try:
        base = [("x-amzn-RequestId", str(uuid.uuid4())), ("x-test-seq", str(seq)),
                ("x-test-attempt", str(attempt)), ("x-test-conn", str(c.id))]
        for name, value in r.headers:
            if name == "x-test-response-header":
                k, sep, v = value.partition(":")
                if sep and k.strip():
                    base.append((k.strip(), v.strip()))
        base.extend(odd_response_headers(r))
        if sig.get("answer"):
            return await send(c, *sig["answer"], base[:4], r.keep_alive)
        if r.header("x-test-stall", "0") not in ("", "0"):
            return await stall(c)
        delay = r.int_header("x-test-delay-ms")
        if delay > 0:
            await asyncio.sleep(delay / 1000.0)
        fault = r.header("x-test-fault")
        if fault is not None:
            fault = fault.strip().lower()
            if fault not in FAULTS:
                raise BadRequest(400, "unknown x-test-fault %r" % fault)
            times = r.int_header("x-test-fault-times", -1)
            if times < 0 or attempt <= times:
                return await do_fault(c, r, fault, base)
        if r.path.startswith("/latest/"):
            return await imds(c, r, base)
        if r.path == "/creds":
            return await container(c, r, base)
        if r.header("x-test-echo", "0") not in ("", "0"):
            return await send(c, 200, jbody(rec), "application/json", base, r.keep_alive)
        canned = find_canned(r)
        if canned is not None and canned.get("fault") in FAULTS:
            return await do_fault(c, r, canned["fault"], base)
        if canned is not None:
            extra = [(str(k), str(v)) for k, v in (canned.get("headers") or {}).items()]
            if canned.get("s3_request_id"):  # S3's header name for the request id, alone
                rid = dict(base)["x-amzn-RequestId"]
                base = [h for h in base if h[0] != "x-amzn-RequestId"] + [("x-amz-request-id", rid)]
            return await send(c, int(canned.get("status", 200)), canned.get("body", ""),
                              canned.get("content_type", "text/xml"), base + extra, r.keep_alive)
        status = r.int_header("x-test-status", 200)
        if not 100 <= status <= 999:
            raise BadRequest(400, "x-test-status out of range")
        body = body_for(r)
        ctype = r.header("x-test-content-type", "application/json")
        off = ST.config["date_offset_s"]
        # x-test-chunked: 1 sends the body chunked, with no length announced
        # up front (so that only the client's own count can cap it)
        chunked = r.header("x-test-chunked", "0") not in ("", "0")
        length = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(len(body)))
        h = ([("Date", http_date(off))] if not has_date(base) else []) + \
            [("Content-Type", ctype), length] + base
        w = c.writer
        w.write(head_bytes(status, h, r.keep_alive))
        if r.method == "HEAD" or status in (204, 304) or status < 200:
            body = b""  # these answers end at their head whatever they announce
            chunked = False
        for i in range(0, len(body), 1 << 16):
            piece = body[i:i + (1 << 16)]
            w.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            await w.drain()
        if chunked:
            w.write(b"0\r\n\r\n")
        await w.drain()
        return r.keep_alive
    finally:
        ST.current -= 1


async def on_connection(reader, writer, tls):
    c = Conn(reader, writer, tls)
    ST.open_connections += 1
    try:
        while True:
            try:
                r = await read_request(reader, writer)
                if r is None:
                    break
                if not await handle(c, r):
                    break
            except BadRequest as e:
                # the rest of the stream can't be trusted: answer and close
                await send(c, e.status, jbody({"message": str(e)}), keep_alive=False)
                break
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
            ssl.SSLError, TimeoutError, OSError):
        pass
    except asyncio.CancelledError:
        pass
    except Exception:
        traceback.print_exc()
    finally:
        ST.open_connections -= 1
        try:
            if c.abort:
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            else:
                writer.close()
        except Exception:
            pass


class HeldTlsServer:
    """The HTTPS listener. Each accepted connection waits tls_handshake_delay_ms
    before its handshake, its ClientHello unread in the socket, so a client's
    connect phase (TCP, then TLS) lasts at least that; then the handshake and
    the stream, as asyncio.start_server(ssl=...) makes them. The handshake is
    started here (connect_accepted_socket) because start_server's begins at
    the accept."""

    def __init__(self, ctx, port):
        self.ctx = ctx
        self.sock = socket.create_server((HOST, port), backlog=4096)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]
        self.pending = set()  # handshakes under way (the loop keeps only weak references)
        self.accepting = asyncio.ensure_future(self.accept())

    async def accept(self):
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(self.sock)
            except OSError:  # out of descriptors, a connection reset before the accept
                await asyncio.sleep(0.01)
                continue
            t = asyncio.ensure_future(self.handshake(loop, conn))
            self.pending.add(t)
            t.add_done_callback(self.pending.discard)

    async def handshake(self, loop, conn):
        delay = ST.config["tls_handshake_delay_ms"]
        if delay:
            await asyncio.sleep(delay / 1000.0)

        def stream():
            return asyncio.StreamReaderProtocol(asyncio.StreamReader(limit=MAX_HEAD, loop=loop),
                                                lambda r, w: on_connection(r, w, True), loop=loop)
        try:
            await loop.connect_accepted_socket(stream, conn, ssl=self.ctx,
                                               ssl_handshake_timeout=30)
        except (ConnectionError, ssl.SSLError, OSError, TimeoutError):
            conn.close()  # a failed handshake: nothing to serve

    def close(self):
        self.accepting.cancel()
        self.sock.close()


wirecheck.bind(sys.modules[__name__])


def quiet_exceptions(loop, ctx):
    exc = ctx.get("exception")
    if isinstance(exc, (ConnectionError, ssl.SSLError, OSError)):
        return
    loop.default_exception_handler(ctx)


async def main(args):
    loop = asyncio.get_running_loop()
    loop.set_exception_handler(quiet_exceptions)
    stop = asyncio.Event()
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(s, stop.set)

    servers = []
    srv = await asyncio.start_server(lambda r, w: on_connection(r, w, False), HOST, args.port,
                                     limit=MAX_HEAD, backlog=4096, reuse_address=True)
    servers.append(srv)
    info = {"pid": os.getpid(), "http_port": srv.sockets[0].getsockname()[1],
            "https_port": None, "ca_file": None}
    if args.tls:
        if not args.cert:
            from certs import make_certs
            d = args.cert_dir or tempfile.mkdtemp(prefix="uvaws-testserver-certs-")
            paths = make_certs(d)
            args.cert, args.key, args.ca = paths["cert"], paths["key"], paths["ca"]
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        ctx.set_alpn_protocols(["http/1.1"])
        tsrv = HeldTlsServer(ctx, args.tls_port)
        servers.append(tsrv)
        info["https_port"] = tsrv.port
        info["ca_file"] = os.path.abspath(args.ca) if args.ca else None

    WIRE.verify = not args.no_verify
    info["proxies"], proxy_servers = await start_proxies(args.proxy or [])
    servers.extend(proxy_servers)
    for name, port in info["proxies"].items():
        print("testserver verifying proxy for %s on http://%s:%d" % (name, HOST, port), flush=True)

    print("testserver listening http://%s:%d" % (HOST, info["http_port"]), flush=True)
    if info["https_port"]:
        print("testserver listening https://%s:%d ca=%s" % (HOST, info["https_port"],
                                                         info["ca_file"]), flush=True)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump(info, f)
        os.replace(tmp, args.ready_file)

    await stop.wait()
    for s in servers:
        s.close()


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = 1 << 20
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError):
            pass


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, default=0, help="HTTP port (0: any free one)")
    ap.add_argument("--tls", action="store_true", help="also serve HTTPS")
    ap.add_argument("--tls-port", type=int, default=0)
    ap.add_argument("--cert", help="server certificate chain (PEM); made at start if absent")
    ap.add_argument("--key", help="server private key (PEM)")
    ap.add_argument("--ca", help="CA file clients should trust (reported in the ready file)")
    ap.add_argument("--cert-dir", help="where to make certificates when --cert is absent")
    ap.add_argument("--ready-file", help="write JSON with the ports here once listening")
    ap.add_argument("--proxy", action="append", metavar="NAME=PORT",
                    help="also listen as a signature-verifying proxy to 127.0.0.1:PORT")
    ap.add_argument("--no-verify", action="store_true",
                    help="do not check request signatures (benchmarks)")
    a = ap.parse_args()
    if bool(a.cert) != bool(a.key):
        ap.error("--cert and --key go together")
    raise_nofile()
    try:
        asyncio.run(main(a))
    except KeyboardInterrupt:
        pass
