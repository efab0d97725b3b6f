#!/usr/bin/python3
"""Differential test of uvaws's operation layer against botocore.

    ops_differential.py ORACLE_CLI [--seed N] [--count N] [--shard I/N] [--show N]

For a fixed-seed sample of operations across every service and all five
protocols (json, rest-json, rest-xml, query, ec2), parameters are generated
from each input shape (every member kind, unicode, empty lists and maps,
edge numbers, now and then a mistake) and serialized by botocore (Debian's
python3-botocore, run with /usr/bin/python3) and by uvaws (ORACLE_CLI, the
test/ops_oracle_cli.c program, over JSON lines); then an answer is generated
from each output shape, rendered as the protocol sends it, and parsed by
both. The two sides read the same models: uvaws's model file is compiled
from botocore's data.

Compared: method, path, query pairs, the headers that carry members, the
body (as JSON, as form pairs, as canonical XML, or as bytes) and the host
prefix; whether both refuse the parameters; the parsed outputs (timestamps
in uvaws's output form, blobs as base64). Every difference is a bug or one
of the divergences listed in DIVERGENCES (documented in test/README.md),
which are counted apart. Exit 0 when there is no other difference, 1 else,
77 (skipped) when botocore is missing.
"""

import argparse
import base64
import datetime
import io
import json
import os
import random
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import unquote

try:
    import botocore.session
    import botocore.serialize
    import botocore.parsers
    import botocore.handlers
    import botocore.awsrequest
    import botocore.response
    from botocore.utils import percent_encode_sequence
except ImportError:
    print("botocore not importable: install python3-botocore; skipped")
    sys.exit(77)

UTC = datetime.timezone.utc
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")

# Where uvaws deliberately differs from botocore (test/README.md says why).
DIVERGENCES = {
    "header-boolean": "a boolean header is sent true/false; botocore sends True/False",
    "integral-float-text": "an integral float is written \"2\" in text; botocore writes 2.0",
    "rest-json-header-boolean": "a rest-json boolean header parses to a boolean; botocore keeps the text",
    "big-json-integer": "an integer beyond 2^53 in a JSON answer comes out rounded (cJSON's double)",
    "ambiguous-xml-names": "two members share an element name: botocore gives raw elements",
}

STRINGS = ["a", "hello world", "caf\u00e9", "\u6f22\u5b57", "emoji \U0001F600", "a/b c?d&e=f+g%h#i~j",
           "x" * 40, "Tab\there", "quote \" and 'apos'", "<xml>&amp;", "line\nbreak", "-_.~"]
HEADER_STRINGS = ["a", "hello world", "a/b c?d&e=f+g%h#i~j", "x" * 40, "quote \" and 'apos'",
                  "<xml>&amp;", "-_.~", "Mixed.Case-Value_1"]
INTS = [0, 1, -1, 7, 42, 2147483647, -2147483648, 9007199254740992, -9007199254740991]
LONGS = INTS + [9223372036854775807, -9223372036854775808, 12345678901234567]
FLOATS = [0.5, -1.25, 3.141592653589793, 1e-07, 1.5e+300, -2.5e-300, 123456.789, 2.0, 0.0, 1e+16]
BLOBS = [b"", b"\x00\x01\x02", b"hello", bytes(range(256))[:37], "h\u00e9".encode()]
TIMES = [datetime.datetime(2015, 1, 1, tzinfo=UTC), datetime.datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
         datetime.datetime(1999, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
         datetime.datetime(2024, 2, 29, 12, 0, 0, 123456, tzinfo=UTC),
         datetime.datetime(1970, 1, 1, tzinfo=UTC), datetime.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)]


class Skip(Exception):
    pass


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + (".%06dZ" % dt.microsecond if dt.microsecond else "Z")


def out_form(dt):
    """uvaws's output form of a timestamp."""
    dt = dt.astimezone(UTC)
    s = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.microsecond:
        s += ("." + "%06d" % dt.microsecond).rstrip("0")
    return s + "Z"


# ---- parameters ------------------------------------------------------------------

class Gen:
    """Generates a value for botocore and its JSON twin for uvaws."""

    def __init__(self, rnd, protocol):
        self.r = rnd
        self.protocol = protocol

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def value(self, shape, depth, loc=None, stack=()):
        t = shape.type_name
        ser = shape.serialization
        if t == "structure":
            if shape.is_document_type:
                v = self.pick([{"a": [1, "x", None, True]}, [], "doc", 3, {"n": {"m": 1.5}}])
                return v, v
            if shape.name in stack and depth > 2:
                raise Skip("recursive")
            return self.structure(shape, depth, stack + (shape.name,))
        if t == "list":
            n = self.r.randrange(0, 4)
            n = max(n, int(shape.metadata.get("min", 0)))
            if loc == "header":
                n = max(n, 1)
            py, js = [], []
            for _ in range(n):
                a, b = self.value(shape.member, depth + 1, "item" if loc else None, stack)
                py.append(a)
                js.append(b)
            return py, js
        if t == "map":
            n = self.r.randrange(0, 3)
            py, js = {}, {}
            for i in range(n):
                k, _ = self.value(shape.key, depth + 1, "mapkey", stack)
                if not isinstance(k, str) or k in py:
                    continue
                a, b = self.value(shape.value, depth + 1, "item" if loc else None, stack)
                py[k] = a
                js[k] = b
            return py, js
        if t == "string":
            if ser.get("jsonvalue") and loc == "header":
                v = self.pick([{"k": "v"}, [1, 2], "s", {"n": {"x": None}}])
                return v, v
            enum = shape.metadata.get("enum")
            mn = int(shape.metadata.get("min", 0))
            if loc in ("uri", "hostlabel") or ser.get("hostLabel"):
                mn = max(mn, 1)
            if ser.get("hostLabel"):
                s = "h" + "".join(self.pick("abc019-") for _ in range(5)) + "z"
            elif enum and self.r.random() < 0.7:
                s = self.pick(enum)
            elif loc in ("header", "item", "mapkey") and loc != "mapkey" or loc == "header":
                s = self.pick(HEADER_STRINGS)
            elif loc == "mapkey":
                s = self.pick(["key", "k" + str(self.r.randrange(100)), "K\u00e9y", "a.b"])
            else:
                s = self.pick(STRINGS + ([""] if mn == 0 and loc is None else []))
            if loc == "headers-value":
                s = self.pick(HEADER_STRINGS)
            while len(s) < mn:
                s += "x"
            mx = shape.metadata.get("max")
            if mx is not None and len(s) > mx:
                s = s[:max(mx, mn)]
            return s, s
        if t in ("integer", "long"):
            v = self.pick(LONGS if t == "long" else INTS)
            mn = shape.metadata.get("min")
            if mn is not None and v < mn:
                v = int(mn) + self.r.randrange(3)
            if abs(v) > 2 ** 53:
                return v, {"$raw": str(v)}
            return v, v
        if t in ("float", "double"):
            v = self.pick(FLOATS)
            mn = shape.metadata.get("min")
            if mn is not None and v < mn:
                v = float(mn) + 0.5
            return v, v
        if t == "boolean":
            v = self.r.random() < 0.5
            return v, v
        if t == "timestamp":
            dt = self.pick(TIMES)
            form = self.r.randrange(3)
            if form == 0:
                return dt, iso(dt)
            if form == 1 and dt.microsecond == 0:
                n = int(dt.timestamp())
                return n, n
            return iso(dt), iso(dt)
        if t == "blob":
            b = self.pick(BLOBS)
            return b, base64.b64encode(b).decode()
        raise Skip("type " + t)

    def structure(self, shape, depth, stack):
        py, js = {}, {}
        required = set(shape.required_members)
        names = list(shape.members)
        if shape.is_tagged_union:
            names = [self.pick(names)] if names else []
            required = set(names)
        for name in names:
            m = shape.members[name]
            if (shape.name, name) in EXTRAS:
                continue
            if name not in required:
                if depth > 3 or self.r.random() < 0.45:
                    continue
            loc = m.serialization.get("location")
            if m.serialization.get("eventstream") or m.serialization.get("eventpayload"):
                raise Skip("event stream")
            try:
                a, b = self.value(m, depth + 1, loc or ("hostlabel" if m.serialization.get("hostLabel") else None), stack)
            except Skip:
                if name in required:
                    raise
                continue
            if loc == "headers":  # a map under a header prefix: names must be tokens
                a = {self.pick(["a", "Color", "x-y", "K9"]) + str(i): self.pick(HEADER_STRINGS)
                     for i in range(len(a))}
                b = dict(a)
            py[name] = a
            js[name] = b
        return py, js

    def mistake(self, shape, py, js):
        """One error botocore's validator finds: an unknown, a missing or a mistyped member."""
        kind = self.r.randrange(3)
        if kind == 0:
            py["NoSuchMemberXyz"] = "x"
            js["NoSuchMemberXyz"] = "x"
            return
        req = [n for n in shape.required_members if n in py]
        if kind == 1 and req:
            n = self.pick(req)
            del py[n]
            del js[n]
            return
        members = [n for n in py if shape.members[n].type_name in ("string", "integer", "boolean", "list")]
        if members:
            n = self.pick(members)
            bad = {"string": 5, "integer": "five", "boolean": "yes", "list": "notalist"}[shape.members[n].type_name]
            py[n] = bad
            js[n] = bad
        else:
            py["NoSuchMemberXyz"] = 1
            js["NoSuchMemberXyz"] = 1


# ---- answers ---------------------------------------------------------------------

def wire(shape, name):
    return shape.serialization.get("name", name)


def to_dt(v):
    if isinstance(v, datetime.datetime):
        return v
    if isinstance(v, (int, float)):
        return datetime.datetime.fromtimestamp(v, UTC)
    return datetime.datetime.strptime(v.replace("Z", "+0000"),
                                      "%Y-%m-%dT%H:%M:%S.%f%z" if "." in v else "%Y-%m-%dT%H:%M:%S%z")


def ts_text(dt, fmt):
    dt = to_dt(dt).astimezone(UTC)
    if fmt == "unixtimestamp":
        return "%d" % int(dt.timestamp()) if not dt.microsecond else "%.6f" % dt.timestamp()
    if fmt == "rfc822":
        return dt.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return iso(dt)


class Answer:
    """Renders generated output data as a protocol's HTTP answer."""

    def __init__(self, protocol, op):
        self.protocol = protocol
        self.op = op

    def scalar_text(self, shape, v, where="body"):
        t = shape.type_name
        if t == "boolean":
            return "true" if v else "false"
        if t == "timestamp":
            default = "rfc822" if where == "header" else "iso8601"
            return ts_text(v, (shape.serialization.get("timestampFormat") or default).lower())
        if t == "blob":
            return base64.b64encode(v).decode()
        if t in ("float", "double"):
            return repr(float(v))
        return str(v)

    def json_value(self, shape, v):
        t = shape.type_name
        if t == "structure":
            if shape.is_document_type:
                return v
            return {wire(shape.members[k], k): self.json_value(shape.members[k], x) for k, x in v.items()}
        if t == "list":
            return [self.json_value(shape.member, x) for x in v]
        if t == "map":
            return {k: self.json_value(shape.value, x) for k, x in v.items()}
        if t == "timestamp":
            fmt = (shape.serialization.get("timestampFormat") or "unixtimestamp").lower()
            if fmt == "unixtimestamp":
                return to_dt(v).timestamp()
            return ts_text(v, fmt)
        if t == "blob":
            return base64.b64encode(v).decode()
        return v

    def xml_value(self, parent, shape, name, v):
        t = shape.type_name
        if t == "structure":
            el = ET.SubElement(parent, name)
            for k, x in v.items():
                m = shape.members[k]
                if m.serialization.get("location"):
                    continue
                if m.serialization.get("xmlAttribute"):
                    el.set(wire(m, k), x)
                    continue
                self.xml_value(el, m, wire(m, k), x)
            return
        if t == "list":
            flat = shape.serialization.get("flattened")
            if flat:
                item = shape.member.serialization.get("name", name)
                for x in v:
                    self.xml_value(parent, shape.member, item, x)
            else:
                el = ET.SubElement(parent, name)
                item = shape.member.serialization.get("name", "member")
                for x in v:
                    self.xml_value(el, shape.member, item, x)
            return
        if t == "map":
            flat = shape.serialization.get("flattened")
            kn = shape.key.serialization.get("name", "key")
            vn = shape.value.serialization.get("name", "value")
            holder = parent if flat else ET.SubElement(parent, name)
            for k, x in v.items():
                entry = ET.SubElement(holder, name if flat else "entry")
                self.xml_value(entry, shape.key, kn, k)
                self.xml_value(entry, shape.value, vn, x)
            return
        el = ET.SubElement(parent, name)
        el.text = self.scalar_text(shape, v)

    def render(self, shape, data, rnd):
        """(status, headers, body bytes)."""
        headers = [("x-amzn-RequestId", "req-0001")]
        status = 200
        body_data = dict(data)
        if self.protocol in ("rest-json", "rest-xml"):
            for name, m in shape.members.items():
                if name not in data:
                    continue
                loc = m.serialization.get("location")
                v = data[name]
                if loc == "header":
                    if m.type_name == "list":
                        text = ",".join(self.scalar_text(m.member, x, "header") for x in v)
                    elif m.type_name == "string" and m.serialization.get("jsonvalue"):
                        text = base64.b64encode(json.dumps(v).encode()).decode()
                    else:
                        text = self.scalar_text(m, v, "header")
                    headers.append((wire(m, name), text))
                elif loc == "headers":
                    for k, x in v.items():
                        headers.append((wire(m, name) + k, x))
                elif loc == "statusCode":
                    status = v
                if loc:
                    del body_data[name]
            payload = shape.serialization.get("payload")
            if payload:
                m = shape.members[payload]
                v = data.get(payload)
                if m.type_name == "blob":
                    return status, headers, v or b""
                if m.type_name == "string":
                    return status, headers, (v or "").encode()
                if v is None:
                    return status, headers, b""
                if self.protocol == "rest-json":
                    return status, headers, json.dumps(self.json_value(m, v)).encode()
                root = ET.Element("root")
                self.xml_value(root, m, wire(m, payload), v)
                return status, headers, ET.tostring(list(root)[0])
            if self.protocol == "rest-json":
                return status, headers, json.dumps(self.json_value(shape, body_data)).encode()
            root = ET.Element("root")
            self.xml_value(root, shape, "OperationResult", body_data)
            return status, headers, ET.tostring(list(root)[0])
        if self.protocol == "json":
            return status, headers, json.dumps(self.json_value(shape, data)).encode()
        # query and ec2
        opname = self.op.name
        top = ET.Element(opname + "Response")
        if self.protocol == "ec2":
            ET.SubElement(top, "requestId").text = "req-0002"
            holder = ET.Element("x")
            self.xml_value(holder, shape, "x", data)
            for child in list(list(holder)[0]):
                top.append(child)
        else:
            wrapper = shape.serialization.get("resultWrapper")
            holder = ET.Element("x")
            self.xml_value(holder, shape, wrapper or "Result", data)
            result = list(holder)[0]
            if wrapper:
                top.append(result)
            else:
                for child in list(result):
                    top.append(child)
            md = ET.SubElement(top, "ResponseMetadata")
            ET.SubElement(md, "RequestId").text = "req-0003"
        return status, headers, ET.tostring(top)


def render_error(proto, op, rnd):
    """An error answer as the protocol sends one: (status, headers, body)."""
    codes = [e.metadata.get("error", {}).get("code", e.name) for e in op.error_shapes]
    code = rnd.choice(codes + ["ThrottlingException", "ValidationError", "AccessDenied"])
    msg = rnd.choice(["Rate exceeded", "caf\u00e9 <&> \"q\"", "two  spaces"])
    status = rnd.choice([400, 403, 404, 409, 500, 503])
    rid = "err-%d" % rnd.randrange(1000)
    if rnd.random() < 0.12:  # no body at all (S3's HEAD errors, a proxy's 503)
        return status, [("x-amz-request-id" if proto == "rest-xml" else "x-amzn-RequestId", rid)], b""
    if proto == "json":
        body = json.dumps({"__type": "com.amazonaws.svc#" + code, "message": msg})
        return status, [("x-amzn-RequestId", rid)], body.encode()
    if proto == "rest-json":
        if rnd.random() < 0.5:
            return status, [("x-amzn-RequestId", rid), ("x-amzn-ErrorType", code + ":http://internal/")], \
                json.dumps({"message": msg}).encode()
        return status, [("x-amzn-RequestId", rid)], json.dumps({"code": code, "message": msg}).encode()
    esc = msg.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if proto == "query":
        body = ("<ErrorResponse xmlns=\"https://x.amazonaws.com/doc/\"><Error><Type>Sender</Type>"
                "<Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
                % (code, esc, rid))
        return status, [], body.encode()
    if proto == "ec2":
        body = ("<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors>"
                "<RequestID>%s</RequestID></Response>" % (code, esc, rid))
        return status, [], body.encode()
    body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message>"
            "<RequestId>%s</RequestId></Error>" % (code, esc, rid))
    return status, [("x-amz-request-id", rid)], body.encode()


# ---- normalizing and comparing ------------------------------------------------------

def canon_xml(data):
    if not data:
        return None
    text = data.decode("utf-8")
    text = re.sub(r"^<\?xml[^>]*\?>\s*", "", text)
    root = ET.fromstring(text)

    def c(el):
        return [el.tag, sorted(el.attrib.items()), (el.text or "") if len(el) == 0 else "",
                [c(x) for x in el]]
    return c(root)


def xml_same_numbers(a, b):
    """Trees equal but for leaf texts that are the same number."""
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return all(xml_same_numbers(x, y) for x, y in zip(a, b))
    return a == b or (isinstance(a, str) and isinstance(b, str) and num_equal(a, b))


def num_equal(a, b):
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def json_equal(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b and type(a) is type(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b))
    return a == b


def mask_uuids(v):
    if isinstance(v, str) and UUID_RE.match(v):
        return "<uuid>"
    if isinstance(v, dict):
        return {k: mask_uuids(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [mask_uuids(x) for x in v]
    return v


def pairs_of_form(body):
    out = []
    for part in body.split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        out.append((unquote(k), unquote(v)))
    return out


class Case:
    def __init__(self, svc, op, protocol):
        self.svc, self.op, self.protocol = svc, op, protocol
        self.diffs = []
        self.known = []

    def diff(self, what, ours, theirs, known=None):
        (self.known if known else self.diffs).append((what, ours, theirs, known))


def float_members(shape, out, path=""):
    """Paths (wire names) of float members, for the integral-float divergence."""
    return out


def compare_request(case, op, bot, ours, fshape_names):
    proto = case.protocol
    if bot["method"] != ours["method"]:
        case.diff("method", ours["method"], bot["method"])
    path, _, fixed = bot["url_path"].partition("?")
    if path != ours["path"]:
        case.diff("path", ours["path"], path)
    bq = []
    for part in fixed.split("&") if fixed else []:
        k, _, v = part.partition("=")
        bq.append((unquote(k), unquote(v)))
    qs = bot["query_string"]
    if isinstance(qs, dict):
        for k, v in qs.items():
            for x in v if isinstance(v, list) else [v]:
                bq.append((k, str(x)))
    oq = [tuple(p) for p in ours["query"]]
    if sorted(mask_uuids(bq)) != sorted(mask_uuids(oq)):
        known = None
        if len(bq) == len(oq) and all(a == c or num_equal(b, d) for (a, b), (c, d) in zip(sorted(bq), sorted(oq))):
            known = "integral-float-text"
        case.diff("query", sorted(oq), sorted(bq), known)
    bh = {k.lower(): v for k, v in bot["headers"].items()}
    oh = {k.lower(): v for k, v in ours["headers"]}
    for k in set(bh) | set(oh):
        a, b = oh.get(k), bh.get(k)
        if a == b or (a and b and mask_uuids(a) == mask_uuids(b)):
            continue
        known = None
        if a and b and a.lower() == b.lower() and b in ("True", "False"):
            known = "header-boolean"
        elif a and b and num_equal(a, b):
            known = "integral-float-text"
        elif a and b:
            try:
                if json.loads(base64.b64decode(a)) == json.loads(base64.b64decode(b)):
                    continue  # the same JSON value, written with other spacing or escapes
            except (ValueError, TypeError):
                pass
        case.diff("header " + k, a, b, known)
    body = base64.b64decode(ours["body_b64"])
    bb = bot["body"]
    if isinstance(bb, dict):
        bb = percent_encode_sequence(bb)
    if isinstance(bb, str):
        bb = bb.encode()
    if bb is None:
        bb = b""
    if hasattr(bb, "read"):
        bb = bb.read()
    if proto in ("query", "ec2"):
        a, b = pairs_of_form(body.decode()), pairs_of_form(bb.decode())
        if sorted(mask_uuids(a)) != sorted(mask_uuids(b)):
            known = None
            if len(a) == len(b) and all(x == y or (x[0] == y[0] and num_equal(x[1], y[1]))
                                        for x, y in zip(sorted(a), sorted(b))):
                known = "integral-float-text"
            case.diff("body", sorted(a), sorted(b), known)
    elif ours.get("raw_payload"):
        if body != bb:
            case.diff("payload", body, bb)
    elif proto in ("json", "rest-json") and (body or bb):
        try:
            ja, jb = json.loads(body or b"null"), json.loads(bb or b"null")
        except ValueError:
            case.diff("body", body, bb)
        else:
            if not json_equal(mask_uuids(ja), mask_uuids(jb)):
                case.diff("body", ja, jb)
    elif proto == "rest-xml" and (body or bb):
        try:
            a, b = canon_xml(body), canon_xml(bb)
        except ET.ParseError as e:
            case.diff("body", body, bb + b" (" + str(e).encode() + b")")
        else:
            a, b = mask_uuids(a), mask_uuids(b)
            if a != b:
                case.diff("body", a, b, "integral-float-text" if xml_same_numbers(a, b) else None)
    if (bot.get("host_prefix") or "") != ours["host_prefix"]:
        case.diff("host_prefix", ours["host_prefix"], bot.get("host_prefix"))


def norm_botocore_output(v, shape):
    """botocore's parsed output in uvaws's output form."""
    if shape is None:
        return v
    t = shape.type_name
    if v is None:
        return None
    if t == "structure":
        if shape.is_document_type:
            return v
        return {k: norm_botocore_output(x, shape.members.get(k)) for k, x in v.items()
                if k != "ResponseMetadata" and k in shape.members}
    if t == "list":
        return [norm_botocore_output(x, shape.member) for x in v]
    if t == "map":
        return {k: norm_botocore_output(x, shape.value) for k, x in v.items()}
    if t == "timestamp":
        return out_form(v)
    if t == "blob":
        if hasattr(v, "read"):
            v = v.read()
        return base64.b64encode(v).decode()
    if t in ("float", "double") and isinstance(v, float) and v != v:
        return "NaN"
    return v


def compare_output(case, ours, theirs, shape, proto):
    def walk(a, b, sh, path):
        t = sh.type_name if sh is not None else None
        if t == "structure" and isinstance(a, dict) and isinstance(b, dict) and not sh.is_document_type:
            for k in set(a) | set(b):
                walk(a.get(k), b.get(k), sh.members.get(k), path + "." + k)
            return
        if t == "list" and isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, sh.member, "%s[%d]" % (path, i))
            return
        if t == "map" and isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
            for k in a:
                walk(a[k], b[k], sh.value, path + "." + k)
            return
        if json_equal(a, b):
            return
        known = None
        if isinstance(b, ET.Element) or (isinstance(b, list) and b and isinstance(b[0], ET.Element)):
            known = "ambiguous-xml-names"
        elif (proto == "rest-json" and t == "boolean" and sh.serialization.get("location") == "header"
                and isinstance(b, str) and b == ("true" if a else "false")):
            known = "rest-json-header-boolean"
        elif (proto in ("json", "rest-json") and t in ("integer", "long") and isinstance(b, int)
              and abs(b) > 2 ** 53 and isinstance(a, (int, float)) and float(a) == float(b)):
            known = "big-json-integer"
        case.diff("output" + path, a, b, known)
    walk(ours, theirs, shape, "")


# ---- the run ---------------------------------------------------------------------

class Oracle:
    def __init__(self, cli):
        self.p = subprocess.Popen([cli], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  encoding="utf-8", bufsize=1)

    def ask(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline()
        if not line:
            raise RuntimeError("ops_oracle_cli died")
        return json.loads(line)

    def close(self):
        """The oracle's exit status: a sanitizer's leak report makes it non-zero."""
        self.p.stdin.close()
        return self.p.wait()


def has_event_stream(shape):
    if shape is None:
        return False
    for m in shape.members.values():
        if m.type_name == "structure" and m.serialization.get("eventstream"):
            return True
    return False


def extra_members(data_dir):
    """(shape, member) pairs that botocore's sdk-extras add to service models:
    client-side parameters (SourceRegion) that uvaws's models leave out."""
    out = set()
    for svc in os.listdir(data_dir):
        d = os.path.join(data_dir, svc)
        if not os.path.isdir(d):
            continue
        for v in os.listdir(d):
            p = os.path.join(d, v, "service-2.sdk-extras.json")
            if os.path.exists(p):
                with open(p) as f:
                    shapes = json.load(f).get("merge", {}).get("shapes", {})
                for sn, sh in shapes.items():
                    for mn in sh.get("members", {}):
                        out.add((sn, mn))
    return out


EXTRAS = set()


def run_case(oracle, session_models, svc, opname, rnd, stats):
    model = session_models[svc]
    op = model.operation_model(opname)
    proto = model.metadata["protocol"]
    case = Case(svc, opname, proto)
    if has_event_stream(op.input_shape) or has_event_stream(op.output_shape):
        stats["skipped (event streams)"] += 1
        return case
    gen = Gen(rnd, proto)
    try:
        py, js = gen.structure(op.input_shape, 0, ()) if op.input_shape else ({}, {})
    except Skip as e:
        stats["skipped (%s)" % e] += 1
        return case
    wrong = op.input_shape is not None and rnd.random() < 0.08
    if wrong:
        gen.mistake(op.input_shape, py, js)
    # botocore fills idempotency tokens before validating, as uvaws does
    botocore.handlers.generate_idempotent_uuid(py, op)
    ser = botocore.serialize.create_serializer(proto)
    bot_err = None
    try:
        bot = ser.serialize_to_request(py, op)
    except Exception as e:  # validation errors and serializer failures alike
        bot_err = e
    ours = oracle.ask({"mode": "serialize", "service": svc, "operation": opname, "params": js})
    stats["requests"] += 1
    if bot_err is not None or "error" in ours:
        if (bot_err is None) != ("error" not in ours):
            case.diff("refusal", ours.get("message", "accepted"),
                      str(bot_err).replace("\n", " ") if bot_err else "accepted")
        else:
            stats["refused by both"] += 1
    else:
        compare_request(case, op, bot, ours, None)
    if rnd.random() < 0.15:
        compare_error(oracle, case, svc, op, proto, rnd, stats)
        return case
    # an answer for the output shape, parsed by both
    if op.output_shape is None:
        return case
    try:
        data, _ = gen.structure(op.output_shape, 0, ())
    except Skip as e:
        stats["outputs skipped (%s)" % e] += 1
        return case
    shape = op.output_shape
    # an output string payload is text; statusCode members are HTTP statuses
    for name, m in shape.members.items():
        if m.serialization.get("location") == "statusCode" and name in data:
            data[name] = rnd.choice([200, 201, 202, 204, 206])
    status, headers, body = Answer(proto, op).render(shape, data, rnd)
    hd = botocore.awsrequest.HeadersDict()
    for k, v in headers:
        hd[k] = v
    resp = {"status_code": status, "headers": hd, "body": body, "context": {"operation_name": opname}}
    if op.has_streaming_output:
        resp["body"] = botocore.response.StreamingBody(io.BytesIO(body), len(body))
    try:
        theirs = botocore.parsers.create_parser(proto).parse(resp, shape)
    except Exception as e:
        stats["outputs botocore cannot parse"] += 1
        return case
    ours = oracle.ask({"mode": "parse", "service": svc, "operation": opname, "status": status,
                       "headers": headers, "body_b64": base64.b64encode(body).decode()})
    stats["outputs"] += 1
    if "error" in ours:
        case.diff("parse", ours.get("message"), "parsed")
        return case
    payload = shape.serialization.get("payload")
    theirs = norm_botocore_output(theirs, shape)
    if payload and shape.members[payload].type_name == "blob":
        theirs.pop(payload, None)  # the body is the caller's, not in the output
    compare_output(case, ours["output"], theirs, shape, proto)
    return case


def compare_error(oracle, case, svc, op, proto, rnd, stats):
    status, headers, body = render_error(proto, op, rnd)
    hd = botocore.awsrequest.HeadersDict()
    for k, v in headers:
        hd[k] = v
    try:
        theirs = botocore.parsers.create_parser(proto).parse(
            {"status_code": status, "headers": hd, "body": body, "context": {}}, op.output_shape)
    except Exception:  # botocore reads no empty 4xx body in the query protocols
        stats["errors botocore cannot parse"] += 1
        return
    ours = oracle.ask({"mode": "parse", "service": svc, "operation": op.name, "status": status,
                       "headers": headers, "body_b64": base64.b64encode(body).decode()})
    stats["errors"] += 1
    e = ours.get("aws_error", {})
    te = theirs.get("Error", {})
    if e.get("code") != te.get("Code"):
        case.diff("error code", e.get("code"), te.get("Code"))
    if te.get("Message") and e.get("message") != te.get("Message"):
        case.diff("error message", e.get("message"), te.get("Message"))
    rid = theirs.get("ResponseMetadata", {}).get("RequestId")
    if rid and e.get("request_id") != rid:
        case.diff("error request id", e.get("request_id"), rid)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cli")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("UVAWS_DIFF_SEED", 20240501)))
    ap.add_argument("--count", type=int, default=int(os.environ.get("UVAWS_OPS_COUNT", 0)),
                    help="operations to sample; 0: every operation of every service")
    ap.add_argument("--shard", default="0/1")
    ap.add_argument("--show", type=int, default=8)
    ap.add_argument("--only", default=None, help="service[:operation] to run alone")
    a = ap.parse_args()
    shard, shards = (int(x) for x in a.shard.split("/"))
    session = botocore.session.get_session()
    EXTRAS.update(extra_members(os.path.join(os.path.dirname(botocore.__file__), "data")))
    rnd = random.Random(a.seed)
    services = session.get_available_services()
    pairs = []
    for svc in services:
        names = session.get_service_data(svc)["operations"]
        pairs += [(svc, op) for op in sorted(names)]
    if a.only:
        svc, _, op = a.only.partition(":")
        pairs = [p for p in pairs if p[0] == svc and (not op or p[1] == op)]
        sample = pairs
    else:
        rnd.shuffle(pairs)
        sample = pairs[:a.count] if a.count > 0 else pairs
    mine = [p for i, p in enumerate(sample) if i % shards == shard]
    models = {}
    oracle = Oracle(a.cli)
    stats = {"requests": 0, "outputs": 0, "refused by both": 0}
    stats = __import__("collections").Counter(stats)
    protos = __import__("collections").Counter()
    bad, known = [], __import__("collections").Counter()
    for i, (svc, op) in enumerate(mine):
        if svc not in models:
            models[svc] = session.get_service_model(svc)
        r = random.Random("%d/%s/%s" % (a.seed, svc, op))
        case = run_case(oracle, models, svc, op, r, stats)
        protos[case.protocol] += 1
        for d in case.known:
            known[d[3]] += 1
        if case.diffs:
            bad.append(case)
    status = oracle.close()
    if status != 0:
        print("ops_oracle_cli exited with status %d" % status)
        return 1
    n_diff = sum(len(c.diffs) for c in bad)
    print("ops differential (seed %d, shard %d/%d): %d operations (%s), %d requests compared "
          "(%d refused by both), %d outputs and %d errors compared; %d unexplained differences in %d "
          "operations; "
          "documented divergences: %s; %s" % (
              a.seed, shard, shards, len(mine), ", ".join("%s %d" % kv for kv in sorted(protos.items())),
              stats["requests"], stats["refused by both"], stats["outputs"], stats["errors"], n_diff, len(bad),
              dict(known) or "none",
              ", ".join("%s %d" % (k, v) for k, v in sorted(stats.items())
                        if k.startswith(("skipped", "outputs ", "errors ")))))
    for c in bad[:a.show]:
        print("--- %s %s (%s)" % (c.svc, c.op, c.protocol))
        for what, ours, theirs, _ in c.diffs[:6]:
            print("  %s\n    uvaws:    %r\n    botocore: %r" % (what, ours, theirs))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
