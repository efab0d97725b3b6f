#!/usr/bin/python3
"""Differential test of the uvaws SigV4 signer against botocore.

Generates random requests from a fixed seed, signs each with botocore
(SigV4Auth, S3SigV4Auth, SigV4QueryAuth, S3SigV4QueryAuth, clock mocked) and
with uvaws (through test/sigv4_oracle_cli), and compares the canonical
request, the string to sign, the signature and the added headers or the
presigned URL of every request.

Usage: sigv4_differential.py ORACLE_CLI [--seed N] [--count N]
       (or UVAWS_DIFF_SEED / UVAWS_DIFF_COUNT in the environment)
Exit: 0 all identical, 1 any difference, 77 botocore not importable (skipped).

How the inputs are made equivalent: uvaws takes the wire path (already
percent-encoded) and botocore signs the path of request.url as given, so both
get the same wire path, built by percent-encoding each plain segment (strictly,
or keeping RFC 3986 sub-delims raw as lenient clients do). Query parameters go
to botocore as a list of (name, value) tuples in request.params, unencoded, so
each side does its own encoding. Bodies are bytes; both hash them.

Payload hashes: SigV4Auth and SigV4QueryAuth hash the body unless the request
context says payload_signing_enabled=False on an https URL, then they use
UNSIGNED-PAYLOAD (header mode adds X-Amz-Content-SHA256 for it, which is uvaws's
CONTENT_SHA256 flag). S3SigV4Auth hashes unless client_config.s3 says
payload_signing_enabled=False; S3SigV4QueryAuth always uses UNSIGNED-PAYLOAD.
Each case passes uvaws the same choice (payload_hash or the body).

Cases NOT generated, because botocore differs from the official suite (the
suite wins, and uvaws follows it):
  - A session token that is added after signing (suite post-sts-header-after,
    "omit_session_token", uvaws TOKEN_UNSIGNED): botocore always signs it.
  - A presigned request with a form body (suite post-x-www-form-urlencoded*,
    query mode): SigV4QueryAuth moves the body into the query string (and
    fails on a body that is not JSON). Presign cases have no body.
Cases NOT generated, because the suite is silent and botocore does something
uvaws deliberately does not (see test/README.md):
  - Lower-case methods: botocore upper-cases the method; uvaws signs it as
    given, since methods are case-sensitive (RFC 9110) and go on the wire as
    given. Methods here are upper-case tokens.
  - Unicode whitespace (U+00A0, U+2028, ...) and VT/FF/FS..US in header
    values: botocore's trimall is Python's str.split(), which folds them; the
    SigV4 rule folds spaces (uvaws: spaces and tabs), and uvaws rejects the
    control characters. Header values here use ASCII spaces and tabs only.
  - A Date header: botocore rewrites it and then omits X-Amz-Date.
  - Presign with Authorization, X-Amz-Date or X-Amz-Security-Token headers:
    SigV4QueryAuth signs them; uvaws never signs them from the input. Header
    mode drops Authorization and X-Amz-Date like uvaws, so those are generated
    there; X-Amz-Security-Token only when there is a token (botocore replaces it
    then, but signs it as given without one).
  - A caller's X-Amz-Content-SHA256 header is signed and is the payload line,
    in both modes, for botocore and uvaws alike: generated for SigV4Auth,
    SigV4QueryAuth and S3SigV4QueryAuth (uvaws then gets no payload_hash). Not
    for S3SigV4Auth, which replaces the caller's header with its own hash, nor
    with payload_signing_enabled=False, which replaces it with UNSIGNED-PAYLOAD:
    uvaws refuses a header that disagrees with its payload hash instead. Its
    value has no surrounding blanks here: botocore would put them in the
    payload line, uvaws trims them as HTTP does (OWS is not part of a value).
  - An empty session token: botocore presign adds an empty
    X-Amz-Security-Token; uvaws treats "" as no token.
  - Presign query parameters named like the auth parameters (X-Amz-Date ...),
    repeated names (botocore builds a dict), or the Content-Type value
    'application/x-www-form-urlencoded; charset=utf-8' (botocore drops it).
"""

import datetime
import hashlib
import json
import os
import random
import subprocess
import sys
import types
from unittest import mock

DEFAULT_SEED = 20150830
DEFAULT_COUNT = 2400
SHOW_FIRST = 3

try:
    import botocore.auth as bauth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError as e:  # pragma: no cover - depends on the machine
    print(f"sigv4 differential: botocore not importable ({e}); skipped")
    sys.exit(77)

UNSIGNED = "UNSIGNED-PAYLOAD"
PRESIGN = ("query", "query-unsigned", "s3-query")
EPOCH = datetime.datetime(1970, 1, 1)

# ---- building blocks ---------------------------------------------------------

UNICODE = ["ключ", "日本語", "café", "e\u0301", "😀", "ñandú", "Ω≈ç√", "\u2028", "\ufeff",
           "ሴ", "中文/字符", "Ünïcödé"]
RESERVED = "!*'();:@&=+$,/?#[]"
OTHER = " \"%<>\\^`{|}"
UNRESERVED = "-._~"
WORDS = ["example", "bucket", "key", "a", "b", "foo", "Bar", "test123", "my object",
         "photos", "2024", "index.html", "x", "~user", "a.b-c_d~e", "%41", "%2F", "+plus"]
SUBDELIMS = "!$&'()*+,;=:@"
HEX = "0123456789ABCDEF"

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1",
           "me-south-1", "local", "sa-east-1"]
SERVICES = ["iam", "dynamodb", "sts", "execute-api", "sqs", "email", "service", "lambda",
            "es", "monitoring"]
S3_SERVICES = ["s3", "s3", "s3", "s3-object-lambda", "s3express"]
HOSTS = ["example.amazonaws.com", "iam.amazonaws.com", "dynamodb.us-east-1.amazonaws.com",
         "bucket.s3.eu-west-1.amazonaws.com", "localhost:8000", "127.0.0.1:4566",
         "[::1]:9000", "EXAMPLE.Amazonaws.COM", "s3.amazonaws.com"]
METHODS = ["GET", "GET", "POST", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS",
           "PROPFIND", "M-SEARCH", "X_CUSTOM~1"]
FIXED_TIMES = [0, 1440938160, 951782400, 951868799, 4107542400, 253402300799, 1700000000,
               1234567890, 2147483647, 2147483648, 946684799]
HEADER_NAMES = ["X-Amz-Meta-Foo", "x-custom", "Content-Type", "My-Header1", "X-Dup",
                "x-dup", "X-DUP", "Accept", "X-Weird!#$%&'*+.^_`|~", "content-md5",
                "If-Match", "X-Amz-Target", "Cache-Control", "x-amz-meta-k",
                "ZZZ", "a", "X-Amz-Meta-Empty", "Range"]
UNSIGNED_NAMES = ["User-Agent", "Expect", "X-Amzn-Trace-Id", "user-agent"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p):
        return self.r.random() < p

    def text(self, max_len=12, pools=None, allow_tab=False):
        pools = pools or ["word", "unicode", "reserved", "other", "unreserved", "hex"]
        parts = []
        for _ in range(self.r.randint(0, 4)):
            kind = self.pick(pools)
            if kind == "word":
                parts.append(self.pick(WORDS))
            elif kind == "unicode":
                parts.append(self.pick(UNICODE))
            elif kind == "reserved":
                parts.append("".join(self.pick(RESERVED) for _ in range(self.r.randint(1, 4))))
            elif kind == "other":
                parts.append("".join(self.pick(OTHER) for _ in range(self.r.randint(1, 3))))
            elif kind == "unreserved":
                parts.append("".join(self.pick(UNRESERVED) for _ in range(self.r.randint(1, 3))))
            elif kind == "hex":
                parts.append("%" + self.pick(HEX) + self.pick(HEX))
        if allow_tab and self.chance(0.1):
            parts.insert(self.r.randint(0, len(parts)), "\t")
        s = "".join(parts)
        return s[: max_len * 4]

    # -- path --
    def plain_segment(self):
        k = self.r.random()
        if k < 0.08:
            return "."
        if k < 0.16:
            return ".."
        if k < 0.24:
            return ""  # repeated slash
        if k < 0.3:
            return self.pick([".a", "..a", "a.", "...", ". ", " .."])
        seg = self.text(pools=["word", "word", "unicode", "reserved", "other", "unreserved", "hex"])
        return seg or self.pick(WORDS)

    @staticmethod
    def encode(seg, keep):
        out = []
        for b in seg.encode("utf-8"):
            c = chr(b)
            if c.isascii() and (c.isalnum() or c in UNRESERVED or c in keep):
                out.append(c)
            else:
                out.append("%%%02X" % b)
        return "".join(out)

    def wire_path(self):
        """Plain segments percent-encoded one by one, as a client puts them on the wire."""
        if self.chance(0.05):
            return "/"
        segs = [self.plain_segment() for _ in range(self.r.randint(1, 6))]
        lenient = self.chance(0.3)
        keep = SUBDELIMS if lenient else ""
        if lenient and self.chance(0.2):
            keep += " "  # raw spaces: not valid HTTP, but signable
        path = "/" + "/".join(self.encode(s, keep) for s in segs)
        if self.chance(0.25):
            path += "/"
        return path

    # -- query --
    def query(self, presign):
        params = []
        n = self.r.choice([0, 0, 1, 2, 3, 4, 6])
        names = set()
        for _ in range(n):
            if params and not presign and self.chance(0.25):
                name = self.pick(params)[0]  # repeated name
            else:
                name = self.text(pools=["word", "word", "unicode", "reserved", "other",
                                        "unreserved", "hex"], allow_tab=True)
                if self.chance(0.05):
                    name = ""
            if presign and (name in names or name.startswith("X-Amz-")):
                continue
            names.add(name)
            k = self.r.random()
            if k < 0.2:
                value = ""
            elif k < 0.3:
                value = self.pick(params)[1] if params else "dup"
            else:
                value = self.text(allow_tab=True)
            params.append((name, value))
        return params

    # -- headers --
    def header_value(self):
        core = self.text(pools=["word", "word", "unicode", "reserved", "other", "unreserved"])
        core = core.replace("\u2028", "x")  # Unicode whitespace: see the top comment
        k = self.r.random()
        if k < 0.1:
            return ""
        if k < 0.15:
            return self.pick([" ", "\t", "  \t "])
        words = [core] + [self.pick(WORDS) for _ in range(self.r.randint(0, 3))]
        seps = [" ", "  ", "\t", " \t ", "   "]
        v = words[0]
        for w in words[1:]:
            v += self.pick(seps) + w
        if self.chance(0.3):
            v = self.pick(seps) + v
        if self.chance(0.3):
            v = v + self.pick(seps)
        return v

    def mixed_case(self, name):
        return "".join(c.upper() if self.chance(0.5) else c.lower() for c in name)

    def headers(self, host, kind, has_token):
        hs = []
        host_value = host
        if self.chance(0.3):
            host_value = self.pick([" ", "\t", "  "]) + host + self.pick(["", " ", "\t "])
        hs.append((self.pick(["Host", "host", "HOST", "hOsT"]), host_value))
        for _ in range(self.r.choice([0, 1, 2, 3, 5])):
            name = self.pick(HEADER_NAMES)
            if self.chance(0.3):
                name = self.mixed_case(name)
            hs.append((name, self.header_value()))
            if self.chance(0.15):  # duplicate name, maybe in another case
                hs.append((self.mixed_case(name), self.header_value()))
        if self.chance(0.15):
            hs.append((self.pick(UNSIGNED_NAMES), self.header_value()))
        header_mode = kind in ("header", "header-unsigned", "s3", "s3-unsigned")
        if header_mode and self.chance(0.1):
            hs.append((self.pick(["Authorization", "X-Amz-Date", "x-amz-date"]), "stale"))
        if header_mode and has_token and self.chance(0.1):
            hs.append(("X-Amz-Security-Token", "stale-token"))
        if kind in ("header", "query", "s3-query") and self.chance(0.1):
            hs.append((self.pick(["X-Amz-Content-SHA256", "x-amz-content-sha256"]),
                       self.pick(["0" * 64, UNSIGNED, "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
                                  hashlib.sha256(b"x").hexdigest()])))
        self.r.shuffle(hs)
        return hs

    def body(self):
        k = self.r.random()
        if k < 0.3:
            return b""
        if k < 0.5:
            return self.text().encode("utf-8")
        if k < 0.65:
            return json.dumps({"TableName": "t", "Key": {"k": {"S": self.text()}}},
                              ensure_ascii=False).encode("utf-8")
        if k < 0.95:
            return bytes(self.r.getrandbits(8) for _ in range(self.r.randint(1, 300)))
        return bytes(self.r.getrandbits(8) for _ in range(70000))

    def credentials(self):
        ak = self.pick(["AKIDEXAMPLE", "AKIAIOSFODNN7EXAMPLE", "ASIAXXXEXAMPLE",
                        "".join(self.pick("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(20))])
        if self.chance(0.2):
            ak = self.pick(["AKIDEXAMPLE", "AKIDEXAMPLE2", "AKID3", "AKID4", "AKID5", "AKID6"])
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
        sk = self.pick(["wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                        "".join(self.pick(alphabet) for _ in range(40)),
                        "secret-" + str(self.r.randint(0, 6)),
                        "sécret ключ"])
        token = None
        if self.chance(0.4):
            token = "".join(self.pick(alphabet) for _ in range(self.r.randint(16, 700)))
            if self.chance(0.5):
                token += "=="
        return ak, sk, token

    def timestamp(self):
        if self.chance(0.4):
            return self.pick(FIXED_TIMES)
        return self.r.randint(0, 253402300799)

    def case(self, index):
        kind = self.r.choices(
            ["header", "header-unsigned", "s3", "s3-unsigned", "query", "query-unsigned",
             "s3-query"],
            weights=[40, 5, 18, 5, 12, 5, 15])[0]
        presign = kind in PRESIGN
        s3 = kind.startswith("s3")
        ak, sk, token = self.credentials()
        host = self.pick(HOSTS)
        scheme = self.pick(["https", "https", "http"])
        if kind in ("header-unsigned", "query-unsigned", "s3-unsigned"):
            scheme = "https"  # botocore signs the payload over http whatever it is told
        c = {
            "index": index,
            "kind": kind,
            "access_key": ak,
            "secret_key": sk,
            "session_token": token,
            "region": self.pick(REGIONS),
            "service": self.pick(S3_SERVICES if s3 else SERVICES),
            "timestamp": self.timestamp(),
            "method": self.pick(["GET", "GET", "GET", "PUT", "HEAD"] if presign else METHODS),
            "path": self.wire_path(),
            "query": self.query(presign),
            "headers": self.headers(host, kind, token is not None),
            "host": host,
            "scheme": scheme,
            "body": b"" if presign else self.body(),
            "expires": self.pick([1, 60, 900, 3600, 86400, 604800,
                                  self.r.randint(1, 604800)]),
        }
        return c


# ---- signing with botocore ---------------------------------------------------

class FixedClock(datetime.datetime):
    """Stands in for datetime.datetime inside botocore.auth."""
    fixed = None

    @classmethod
    def utcnow(cls):
        return cls.fixed

    @classmethod
    def now(cls, tz=None):
        return cls.fixed if tz is None else cls.fixed.replace(tzinfo=tz)


def clock_patches():
    """botocore 1.29 (Debian) calls datetime.datetime.utcnow() in botocore.auth;
    later versions call botocore.utils.get_current_datetime(), imported there."""
    module = types.SimpleNamespace(**vars(datetime))
    module.datetime = FixedClock
    patches = [mock.patch.object(bauth, "datetime", module)]
    if hasattr(bauth, "get_current_datetime"):
        patches.append(mock.patch.object(bauth, "get_current_datetime",
                                         lambda *args, **kwargs: FixedClock.fixed))
    return patches


def capturing(cls):
    class Capturing(cls):
        def string_to_sign(self, request, canonical_request):
            sts = super().string_to_sign(request, canonical_request)
            self.captured = {"canonical_request": canonical_request, "string_to_sign": sts}
            return sts

        def signature(self, string_to_sign, request):
            sig = super().signature(string_to_sign, request)
            self.captured["signature"] = sig
            return sig

    Capturing.__name__ = "Capturing" + cls.__name__
    return Capturing


SIGNERS = {
    "header": capturing(bauth.SigV4Auth),
    "header-unsigned": capturing(bauth.SigV4Auth),
    "s3": capturing(bauth.S3SigV4Auth),
    "s3-unsigned": capturing(bauth.S3SigV4Auth),
    "query": capturing(bauth.SigV4QueryAuth),
    "query-unsigned": capturing(bauth.SigV4QueryAuth),
    "s3-query": capturing(bauth.S3SigV4QueryAuth),
}


def botocore_sign(c):
    FixedClock.fixed = EPOCH + datetime.timedelta(seconds=c["timestamp"])
    creds = Credentials(c["access_key"], c["secret_key"], c["session_token"])
    cls = SIGNERS[c["kind"]]
    if c["kind"] in PRESIGN:
        signer = cls(creds, c["service"], c["region"], expires=c["expires"])
    else:
        signer = cls(creds, c["service"], c["region"])
    url = f'{c["scheme"]}://{c["host"]}{c["path"]}'
    req = AWSRequest(method=c["method"], url=url, data=c["body"] or None,
                     params=list(c["query"]))
    for name, value in c["headers"]:
        req.headers[name] = value  # HTTPMessage appends: duplicates are kept
    if c["kind"] in ("header-unsigned", "query-unsigned"):
        req.context["payload_signing_enabled"] = False
    if c["kind"] == "s3-unsigned":
        req.context["client_config"] = types.SimpleNamespace(
            s3={"payload_signing_enabled": False})
    signer.add_auth(req)
    out = dict(signer.captured)
    if c["kind"] in PRESIGN:
        out["url"] = req.url
    else:
        # the headers the signer adds (a caller's x-amz-content-sha256 stays
        # the caller's: uvaws does not add a second one)
        added = ["authorization", "x-amz-date", "x-amz-security-token"]
        if not any(n.lower() == "x-amz-content-sha256" for n, _ in c["headers"]):
            added.append("x-amz-content-sha256")
        out["headers"] = {n.lower(): v for n, v in req.headers.items() if n.lower() in added}
    return out


# ---- signing with uvaws ------------------------------------------------------

def uvaws_request(c, r):
    kind = c["kind"]
    d = {
        "mode": "query" if kind in PRESIGN else "header",
        "access_key": c["access_key"],
        "secret_key": c["secret_key"],
        "region": c["region"],
        "service": c["service"],
        "timestamp": c["timestamp"],
        "method": c["method"],
        "path": c["path"],
        "query": [list(p) for p in c["query"]],
        "headers": [list(h) for h in c["headers"]],
        "flags": [],
        "expires": c["expires"],
    }
    if c["session_token"] is not None:
        d["session_token"] = c["session_token"]
    if kind.startswith("s3"):
        d["flags"].append("S3")
    if kind == "header-unsigned":
        d["flags"].append("CONTENT_SHA256")
    has_sha = any(n.lower() == "x-amz-content-sha256" for n, _ in c["headers"])
    if has_sha:
        d["body_hex"] = c["body"].hex()  # the header is the payload line
    elif kind in ("header-unsigned", "query-unsigned", "s3-unsigned", "s3-query"):
        d["payload_hash"] = UNSIGNED
    elif c["body"] and r.random() < 0.2:
        d["payload_hash"] = hashlib.sha256(c["body"]).hexdigest()  # precomputed hash
    else:
        d["body_hex"] = c["body"].hex()
    if d["mode"] == "query" and (c["scheme"] != "https" or r.random() < 0.5):
        d["scheme"] = c["scheme"]
    return d


def query_pairs(url):
    base, _, q = url.partition("?")
    return base, sorted(q.split("&")) if q else []


def compare(c, boto, mine):
    """Returns a list of (what, botocore's, uvaws's) for every difference."""
    if mine.get("rc") != 0:
        return [("rc", 0, mine)]
    diffs = []
    for key in ("canonical_request", "string_to_sign", "signature"):
        if boto[key] != mine.get(key):
            diffs.append((key, boto[key], mine.get(key)))
    if "url" in boto:
        b, m = query_pairs(boto["url"]), query_pairs(mine.get("url", ""))
        if b != m:
            diffs.append(("url", boto["url"], mine.get("url")))
    else:
        added = {n.lower(): v for n, v in mine.get("headers", [])}
        if boto["headers"] != added:
            diffs.append(("headers", boto["headers"], added))
    return diffs


def show(c, d, diffs):
    print(f'--- case {c["index"]} ({c["kind"]}) differs in: {", ".join(x[0] for x in diffs)}')
    shown = {k: v for k, v in c.items() if k != "body"}
    shown["body_hex"] = c["body"][:64].hex() + ("..." if len(c["body"]) > 64 else "")
    print("input: " + json.dumps(shown, ensure_ascii=False))
    print("uvaws input: " + json.dumps({k: v for k, v in d.items() if k != "body_hex"},
                                       ensure_ascii=False))
    for what, b, m in diffs:
        print(f"[{what}] botocore:\n{b}\n[{what}] uvaws:\n{m}")
    print()


def parse_args(argv):
    seed = int(os.environ.get("UVAWS_DIFF_SEED", DEFAULT_SEED))
    count = int(os.environ.get("UVAWS_DIFF_COUNT", DEFAULT_COUNT))
    args = list(argv[1:])
    oracle = None
    while args:
        a = args.pop(0)
        if a == "--seed" and args:
            seed = int(args.pop(0))
        elif a == "--count" and args:
            count = int(args.pop(0))
        elif oracle is None:
            oracle = a
        else:
            sys.exit(f"usage: {argv[0]} ORACLE_CLI [--seed N] [--count N]")
    if oracle is None:
        sys.exit(f"usage: {argv[0]} ORACLE_CLI [--seed N] [--count N]")
    return oracle, seed, count


def main(argv):
    oracle, seed, count = parse_args(argv)
    gen = Gen(seed)
    cases = [gen.case(i) for i in range(count)]
    patches = clock_patches()
    for p in patches:
        p.start()
    try:
        expected = [botocore_sign(c) for c in cases]
    finally:
        for p in patches:
            p.stop()
    r = random.Random(seed ^ 0x5EED)
    inputs = [uvaws_request(c, r) for c in cases]
    stdin = "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in inputs)
    proc = subprocess.run([oracle], input=stdin.encode("utf-8"), capture_output=True, check=False)
    if proc.returncode != 0:
        print(f"sigv4 differential: {oracle} exited {proc.returncode}\n"
              f"{proc.stderr.decode(errors='replace')}")
        return 1
    lines = proc.stdout.decode("utf-8").splitlines()
    if len(lines) != count:
        print(f"sigv4 differential: expected {count} answers, got {len(lines)}")
        return 1
    different = 0
    kinds = {}
    for c, d, boto, line in zip(cases, inputs, expected, lines):
        diffs = compare(c, boto, json.loads(line))
        kinds[c["kind"]] = kinds.get(c["kind"], 0) + 1
        if diffs:
            different += 1
            if different <= SHOW_FIRST:
                show(c, d, diffs)
    print(f"seed {seed}; kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    print(f"sigv4 differential: {count} compared, {count - different} identical, "
          f"{different} different")
    return 1 if different else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
