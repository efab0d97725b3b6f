"""SigV4 verification of requests as they arrive on the wire.

Written from the specification (AWS Signature Version 4, and the rules the AWS
SDKs follow where it is silent), independent of uvaws's signer: the test server
rebuilds the canonical request from the bytes it received (request line, header
lines, body), recomputes the signature with the secret it knows for the access
key, and compares. Every integration test is therefore also a test that what
went on the wire is what was signed.

Standard library only. `verify()` is the entry point; `Keyring` holds the
secrets. test/harness/test_sigv4check.py checks this module against the
official test suite and against botocore's signer.
"""

import calendar
import hashlib
import hmac
import re
import time
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# Services that sign the path as sent (no normalization, no second encoding)
# and carry the payload hash in x-amz-content-sha256.
S3_SERVICES = {"s3", "s3-object-lambda", "s3express"}
MAX_EXPIRES = 7 * 24 * 3600
AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
               "X-Amz-SignedHeaders", "X-Amz-Signature")
HEX64 = re.compile(r"[0-9a-f]{64}")

# Secrets the test programs sign with (static options, environment, shared
# files, credential_process helpers, the demo, emulators' defaults). Requests
# signed with an access key the server was not told about (POST /_keys) are
# checked against each of them: what this verifier proves is that the bytes
# on the wire are the bytes that were signed; which key signed is checked by
# the tests themselves. A test with a new secret adds it here or registers it.
TEST_SECRETS = (
    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY",
    "file-secret", "env-secret", "base-secret", "tools-test-secret-never-printed",
    "local-demo-secret", "do-not-print-me",
    "s", "s1", "s2", "s3", "c", "e", "f", "o", "p", "x",
    "S3RVER",
)


class Keyring:
    """Secrets by access key, plus a pool for keys nobody registered."""

    def __init__(self, secrets=TEST_SECRETS):
        self.by_key = {}
        self.pool = list(dict.fromkeys(secrets))
        self._keys = {}  # (secret, date, region, service) -> signing key
        self._hint = {}  # access key -> the secret that last verified it

    def add(self, access_key, secret):
        self.by_key[access_key] = secret
        self.add_secret(secret)

    def add_secret(self, secret):
        if secret and secret not in self.pool:
            self.pool.append(secret)

    def learn_from_text(self, text):
        """Registers key pairs found in a credentials answer (JSON or XML)."""
        for m in re.finditer(r'"AccessKeyId"\s*:\s*"([^"]+)".*?"SecretAccessKey"\s*:\s*"([^"]+)"'
                             r'|<AccessKeyId>([^<]+)</AccessKeyId>.*?'
                             r'<SecretAccessKey>([^<]+)</SecretAccessKey>', text, re.S):
            akid, secret = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            self.add(akid, secret)
        for m in re.finditer(r'"SecretAccessKey"\s*:\s*"([^"]+)"'
                             r'|<SecretAccessKey>([^<]+)</SecretAccessKey>', text):
            self.add_secret(m.group(1) or m.group(2))

    def candidates(self, access_key):
        """The registered secret first, then the last one that worked for this
        key, then the pool (keys are reused across tests with other secrets)."""
        seen = set()
        for s in (self.by_key.get(access_key), self._hint.get(access_key)):
            if s is not None and s not in seen:
                seen.add(s)
                yield s
        for s in self.pool:
            if s not in seen:
                yield s

    def worked(self, access_key, secret):
        if self._hint.get(access_key) != secret:
            if len(self._hint) > 4096:
                self._hint.clear()
            self._hint[access_key] = secret

    def signing_key(self, secret, date, region, service):
        k = (secret, date, region, service)
        key = self._keys.get(k)
        if key is None:
            key = ("AWS4" + secret).encode("utf-8")
            for part in (date, region, service, "aws4_request"):
                key = hmac.digest(key, part.encode("utf-8"), "sha256")
            if len(self._keys) > 4096:
                self._keys.clear()
            self._keys[k] = key
        return key


class Result:
    """ok: verified; kind: "header", "query" or None (not signed at all)."""
    __slots__ = ("ok", "kind", "reason", "access_key", "service", "canonical_request",
                 "string_to_sign")

    def __init__(self, ok, kind, reason="", **kw):
        self.ok, self.kind, self.reason = ok, kind, reason
        self.access_key = kw.get("access_key")
        self.service = kw.get("service")
        self.canonical_request = kw.get("canonical_request")
        self.string_to_sign = kw.get("string_to_sign")

    def as_dict(self):
        return {k: getattr(self, k) for k in self.__slots__}


BLANKS = re.compile(r"[ \t]+")
AMZ_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z")
AUTH_HEAD = re.compile(r"AWS4-HMAC-SHA256[ \t]+(.*)$", re.S)


def trimall(value):
    """Blanks around removed, runs of blanks inside made one space (SP and HT)."""
    value = value.strip(" \t")
    if "  " in value or "\t" in value:
        value = BLANKS.sub(" ", value)
    return value


def remove_dot_segments(path):
    """RFC 3986 5.2.4 as the AWS SDKs apply it: empty segments go too, and a
    trailing slash stays only when the path ends in one."""
    if not path:
        return "/"
    out = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
        else:
            out.append(seg)
    first = "/" if path[0] == "/" else ""
    last = "/" if path[-1] == "/" and out else ""
    return first + "/".join(out) + last


PLAIN_PATH = re.compile(r"/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*/?)*")


def canonical_uri(raw_path, normalize, encode):
    """S3 signs the path as sent; other services sign it with dot segments and
    empty segments removed, percent-encoded once more."""
    path = raw_path or "/"
    if normalize and encode and PLAIN_PATH.fullmatch(path) and "/." not in path:
        return path  # nothing to remove, nothing to encode (most requests)
    if normalize:
        path = remove_dot_segments(path)
    return quote(path.encode("latin-1"), safe="/~") if encode else path


def query_pairs(raw_query):
    """[(decoded name bytes, decoded value bytes)] of a raw query string."""
    pairs = []
    for part in raw_query.split("&") if raw_query else ():
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((unquote_to_bytes(name.encode("latin-1")),
                      unquote_to_bytes(value.encode("latin-1"))))
    return pairs


def canonical_query(pairs, drop=()):
    enc = sorted((quote(n, safe="~"), quote(v, safe="~")) for n, v in pairs
                 if n.decode("latin-1") not in drop)
    return "&".join("%s=%s" % nv for nv in enc)


def header_values(headers, name):
    return [v for n, v in headers if n == name]


def parse_amz_date(text):
    m = AMZ_DATE.fullmatch(text or "")
    if m is None:
        return None
    y, mo, d, h, mi, sec = (int(x) for x in m.groups())
    if not (1 <= mo <= 12 and 1 <= d <= 31 and h < 24 and mi < 60 and sec < 61):
        return None
    return calendar.timegm((y, mo, d, h, mi, sec, 0, 0, 0))


def _bad(kind, reason, **kw):
    return Result(False, kind, reason, **kw)


def _parse_authorization(value):
    m = AUTH_HEAD.match(value)
    if not m:
        return None
    fields = {}
    for item in m.group(1).split(","):
        k, sep, v = item.strip(" \t").partition("=")
        if not sep or k in fields:
            return None
        fields[k] = v
    if set(fields) != {"Credential", "SignedHeaders", "Signature"}:
        return None
    return fields


def verify(method, target, headers, body, keyring, now=None, normalize=None):
    """Verifies one request as received.

    method, target: the request line's first two words, as sent.
    headers: [(lower-case name, value)] in wire order, values as sent after the
             colon (surrounding blanks are trimmed here, as the spec says).
    body: the body bytes. keyring: a Keyring. now: epoch seconds for presigned
    URL expiry (None: don't check). normalize: None to decide by the scope's
    service (S3 signs the path as sent), else force path normalization on or
    off (the official suite's "normalize").
    Returns a Result; kind None means the request carries no SigV4 at all.
    """
    raw_path, _, raw_query = target.partition("?")
    raw_path = raw_path.partition("#")[0]
    pairs = query_pairs(raw_query)
    by_name = {}
    for n, v in headers:
        by_name.setdefault(n, []).append(v)
    auth = by_name.get("authorization", [])
    qnames = {n.decode("latin-1") for n, _ in pairs}
    sigv4_auth = [a for a in auth if a.strip(" \t").startswith("AWS4-")]
    if "X-Amz-Signature" in qnames or "X-Amz-Algorithm" in qnames:
        kind = "query"
        if sigv4_auth:
            return _bad(kind, "both an Authorization header and a presigned query")
        params = {}
        for n, v in pairs:
            name = n.decode("latin-1")
            if name in AUTH_PARAMS or name == "X-Amz-Security-Token":
                if name in params:
                    return _bad(kind, "query parameter %s repeated" % name)
                params[name] = v.decode("latin-1")
        missing = [p for p in AUTH_PARAMS if p not in params]
        if missing:
            return _bad(kind, "presigned URL lacks %s" % ", ".join(missing))
        if params["X-Amz-Algorithm"] != ALGORITHM:
            return _bad(kind, "X-Amz-Algorithm is %r" % params["X-Amz-Algorithm"])
        credential, signed, signature = (params["X-Amz-Credential"],
                                         params["X-Amz-SignedHeaders"],
                                         params["X-Amz-Signature"])
        amz_date = params["X-Amz-Date"]
        expires = params["X-Amz-Expires"]
        if not expires.isdigit() or not 1 <= int(expires) <= MAX_EXPIRES:
            return _bad(kind, "X-Amz-Expires %r out of range" % expires)
    elif sigv4_auth:
        kind = "header"
        if len(auth) != 1:
            return _bad(kind, "%d Authorization headers" % len(auth))
        fields = _parse_authorization(auth[0].strip(" \t"))
        if fields is None:
            return _bad(kind, "malformed Authorization %r" % auth[0][:200])
        credential, signed, signature = (fields["Credential"], fields["SignedHeaders"],
                                         fields["Signature"])
        dates = by_name.get("x-amz-date", [])
        if len(dates) != 1:
            return _bad(kind, "want one X-Amz-Date header, got %d" % len(dates))
        amz_date = dates[0].strip(" \t")
        expires = None
    else:
        return Result(False, None, "not signed")

    parts = credential.split("/")
    if len(parts) != 5 or parts[4] != "aws4_request" or not all(parts):
        return _bad(kind, "malformed credential scope %r" % credential)
    access_key, date, region, service, _ = parts
    info = {"access_key": access_key, "service": service}
    t = parse_amz_date(amz_date) if expires is not None else AMZ_DATE.fullmatch(amz_date)
    if t is None:
        return _bad(kind, "X-Amz-Date %r is not YYYYMMDDTHHMMSSZ" % amz_date, **info)
    if amz_date[:8] != date:
        return _bad(kind, "scope date %s is not the day of X-Amz-Date %s" % (date, amz_date),
                    **info)
    if expires is not None and now is not None and t + int(expires) < now:
        return _bad(kind, "presigned URL expired %d s ago" % (now - t - int(expires)), **info)
    if not HEX64.fullmatch(signature):
        return _bad(kind, "signature %r is not 64 hex digits" % signature[:80], **info)
    names = signed.split(";")
    if signed != signed.lower() or "" in names or any(
            names[i] >= names[i + 1] for i in range(len(names) - 1)):
        return _bad(kind, "SignedHeaders %r not sorted, unique, lower-case" % signed, **info)
    if "host" not in names:
        return _bad(kind, "Host is not signed", **info)

    canon_headers = []
    for name in names:
        values = by_name.get(name)
        if not values:
            return _bad(kind, "signed header %r is not on the wire" % name, **info)
        canon_headers.append("%s:%s\n" % (name, ",".join(trimall(v) for v in values)))

    s3 = service in S3_SERVICES
    normalize_path = not s3 if normalize is None else normalize
    body_hash = hashlib.sha256(body).hexdigest()
    content_sha = by_name.get("x-amz-content-sha256", [])
    if len(content_sha) > 1:
        return _bad(kind, "x-amz-content-sha256 repeated", **info)
    if content_sha:
        payload = content_sha[0].strip(" \t")
        if HEX64.fullmatch(payload) and payload != body_hash:
            return _bad(kind, "x-amz-content-sha256 %s is not the body's hash %s" %
                        (payload, body_hash), **info)
    elif kind == "query":
        payload = UNSIGNED_PAYLOAD if s3 else body_hash
    elif s3:
        return _bad(kind, "an S3 request without x-amz-content-sha256", **info)
    else:
        payload = body_hash

    # A presigned URL may carry its session token unsigned (appended after
    # signing, as a few services want): try without it when it is there.
    drops = [("X-Amz-Signature",)] if kind == "query" else [()]
    if kind == "query" and "X-Amz-Security-Token" in qnames:
        drops.append(("X-Amz-Signature", "X-Amz-Security-Token"))
    scope = "/".join(parts[1:])
    path = canonical_uri(raw_path, normalize_path, not s3)
    for drop in drops:
        canonical = "\n".join([method, path, canonical_query(pairs, drop),
                               "".join(canon_headers), signed, payload])
        sts = "\n".join([ALGORITHM, amz_date, scope,
                         hashlib.sha256(canonical.encode("latin-1")).hexdigest()])
        if not info.get("canonical_request"):
            info.update(canonical_request=canonical, string_to_sign=sts)
        sts_bytes = sts.encode("latin-1")
        for secret in keyring.candidates(access_key):
            key = keyring.signing_key(secret, date, region, service)
            want = hmac.digest(key, sts_bytes, "sha256").hex()
            if hmac.compare_digest(want, signature):
                keyring.worked(access_key, secret)
                info.update(canonical_request=canonical, string_to_sign=sts)
                return Result(True, kind, "", **info)
    return _bad(kind, "signature does not match (tried %d secrets for %s)" %
                (len(list(keyring.candidates(access_key))), access_key), **info)
