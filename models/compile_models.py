#!/usr/bin/python3
"""Compile the AWS service models into the file uvaws maps at run time.

    compile_models.py DATA_DIR OUTPUT [--only NAME,NAME...] [--stats]

DATA_DIR is botocore's data directory (Debian's python3-botocore installs it
at /usr/lib/python3/dist-packages/botocore/data): one directory per service,
one per API version inside, each with service-2.json and, for most,
paginators-1.json and waiters-2.json. The latest API version of every service
is compiled, as botocore loads it. Documentation, examples and endpoint rules
are dropped. The layout is lib/model_format.h's; the two must change together.

Python standard library only: run with /usr/bin/python3.
"""

import json
import os
import struct
import sys

FORMAT_VERSION = 3
NONE = 0xFFFFFFFF

PROTOCOLS = {"json": 1, "rest-json": 2, "rest-xml": 3, "query": 4, "ec2": 5}
SIGNATURES = {"v4": 1, "s3": 2, "s3v4": 2, "v2": 3, "bearer": 4}
TYPES = {"structure": 1, "list": 2, "map": 3, "string": 4, "integer": 5, "long": 6,
         "float": 7, "double": 8, "boolean": 9, "timestamp": 10, "blob": 11}
LOCATIONS = {None: 0, "uri": 1, "querystring": 2, "header": 3, "headers": 4, "statusCode": 5}
TS_FORMATS = {None: 0, "iso8601": 1, "rfc822": 2, "unixtimestamp": 3}

MS_HAS_MIN, MS_DOCUMENT, MS_UNION, MS_EXCEPTION, MS_EVENTSTREAM, MS_EVENT, MS_SENSITIVE = (
    1 << i for i in range(7))
(MR_REQUIRED, MR_FLATTENED, MR_XML_ATTRIBUTE, MR_JSONVALUE, MR_IDEMPOTENCY, MR_HOST_LABEL,
 MR_STREAMING, MR_EVENTPAYLOAD, MR_HAS_NAME) = (1 << i for i in range(9))
MR_TS_SHIFT = 12
MO_CHECKSUM_REQUIRED, MO_AUTH_NONE, MO_UNSIGNED_BODY, MO_DEPRECATED, MO_ENDPOINT_DISCOVERY, \
    MO_IDEMPOTENCY, MO_EVENTSTREAM = (1 << i for i in range(7))

SHAPE_WORDS, MREF_WORDS, OP_WORDS = 11, 10, 10
SVC_HDR_WORDS = 31
FILE_HDR_WORDS = 16  # after the 8-byte magic
INDEX_WORDS = 12


class ModelError(Exception):
    pass


def fnv1a(data, h=2166136261):
    for b in data:
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    return h


def member_hash(parent, name):
    return fnv1a(name.encode()) ^ ((parent * 0x9E3779B1) & 0xFFFFFFFF)


def hash_table(keys):
    """Open addressing: slot holds index + 1; keys are hashes in index order."""
    size = 4
    while size < 2 * len(keys):
        size *= 2
    table = [0] * size
    for i, h in enumerate(keys):
        slot = h & (size - 1)
        while table[slot]:
            slot = (slot + 1) & (size - 1)
        table[slot] = i + 1
    return table


class Strings:
    def __init__(self):
        self.data = bytearray(b"\0")
        self.at = {"": 0}

    def add(self, s):
        if s is None:
            return 0
        if s not in self.at:
            b = s.encode("utf-8")
            if b"\0" in b:
                raise ModelError("NUL in string %r" % s)
            self.at[s] = len(self.data)
            self.data += b + b"\0"
        return self.at[s]


def words(*vals):
    for v in vals:
        if not 0 <= v <= 0xFFFFFFFF:
            raise ModelError("value %r does not fit a word" % (v,))
    return struct.pack("<%dI" % len(vals), *vals)


def latest_version(svc_dir):
    versions = sorted(v for v in os.listdir(svc_dir)
                      if os.path.isfile(os.path.join(svc_dir, v, "service-2.json")))
    return versions[-1] if versions else None


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def deep_merge(base, extra):
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            deep_merge(base[k], v)
        else:
            base[k] = v


def with_extras(vdir, name, data, skip=()):
    """botocore's NAME.sdk-extras.json merged in, as its loader does, except
    the parts in `skip` (service-2's extra shape members: SourceRegion, a
    parameter botocore consumes to presign a URL, never sent)."""
    path = os.path.join(vdir, name + ".sdk-extras.json")
    if os.path.exists(path):
        merge = load_json(path).get("merge", {})
        deep_merge(data, {k: v for k, v in merge.items() if k not in skip})
    return data


SERIAL_KEYS = ("locationName", "queryName", "flattened", "location", "streaming",
               "timestampFormat", "xmlNamespace", "resultWrapper", "xmlAttribute",
               "eventpayload", "jsonvalue", "hostLabel")


class Service:
    """One service compiled into its section."""

    def __init__(self, name, model, paginators, waiters):
        self.name = name
        self.model = model
        self.shapes = model.get("shapes", {})
        self.strings = Strings()
        self.shape_index = {n: i for i, n in enumerate(self.shapes)}
        self.shape_recs = []
        self.mrefs = []        # lists of words
        self.mref_keys = []    # (parent, name) of structure members, else None
        self.enums = []
        self.paginators = paginators
        self.waiters = waiters

    def shape_of(self, ref, where):
        target = ref.get("shape")
        if target not in self.shape_index:
            raise ModelError("%s: %s refers to unknown shape %r" % (self.name, where, target))
        return target

    def mref(self, ref, parent=NONE, member=None, required=False, where=""):
        """A member reference with the shape's traits merged under its own."""
        target = self.shape_of(ref, where)
        traits = {k: v for k, v in self.shapes[target].items() if k in SERIAL_KEYS}
        traits.update({k: v for k, v in ref.items() if k in SERIAL_KEYS})
        flags = 0
        if required:
            flags |= MR_REQUIRED
        for key, bit in (("flattened", MR_FLATTENED), ("xmlAttribute", MR_XML_ATTRIBUTE),
                         ("jsonvalue", MR_JSONVALUE), ("hostLabel", MR_HOST_LABEL),
                         ("streaming", MR_STREAMING), ("eventpayload", MR_EVENTPAYLOAD)):
            if traits.get(key):
                flags |= bit
        if ref.get("idempotencyToken") or self.shapes[target].get("idempotencyToken"):
            flags |= MR_IDEMPOTENCY
        if "locationName" in traits:
            flags |= MR_HAS_NAME
        ts = traits.get("timestampFormat")
        if ts is not None and ts.lower() not in TS_FORMATS:
            raise ModelError("%s: unknown timestampFormat %r" % (self.name, ts))
        flags |= TS_FORMATS[ts.lower() if ts else None] << MR_TS_SHIFT
        loc = traits.get("location")
        if loc not in LOCATIONS:
            raise ModelError("%s: %s: unknown location %r" % (self.name, where, loc))
        ns = traits.get("xmlNamespace") or {}
        if isinstance(ns, str):
            ns = {"uri": ns}
        s = self.strings
        rec = [s.add(member or ""), self.shape_index[target], parent, LOCATIONS[loc],
               s.add(traits.get("locationName", "")), s.add(traits.get("queryName", "")),
               s.add(ns.get("uri", "")), s.add(ns.get("prefix", "")), flags,
               s.add(traits.get("resultWrapper", ""))]
        self.mrefs.append(rec)
        self.mref_keys.append((parent, member) if parent != NONE else None)
        return len(self.mrefs) - 1

    def compile_shapes(self):
        # Structure members first take consecutive mrefs; the rest (list
        # members, map keys and values) follow, shape by shape.
        for name, shape in self.shapes.items():
            t = shape.get("type")
            if t not in TYPES:
                raise ModelError("%s: shape %s has unknown type %r" % (self.name, name, t))
            idx = self.shape_index[name]
            flags = 0
            a = b = 0
            c = NONE
            if t == "structure":
                members = shape.get("members", {})
                required = set(shape.get("required", []))
                a = len(self.mrefs)
                for mname, ref in members.items():
                    self.mref(ref, idx, mname, mname in required, "%s.%s" % (name, mname))
                b = len(members)
                payload = shape.get("payload")
                if payload is not None:
                    if payload not in members:
                        raise ModelError("%s: %s payload %s is no member" % (self.name, name, payload))
                    c = a + list(members).index(payload)
                if shape.get("document"):
                    flags |= MS_DOCUMENT
                if shape.get("union"):
                    flags |= MS_UNION
                if shape.get("exception"):
                    flags |= MS_EXCEPTION
                if shape.get("eventstream"):
                    flags |= MS_EVENTSTREAM
                if shape.get("event"):
                    flags |= MS_EVENT
            elif t == "list":
                a = NONE  # filled below
            elif t == "map":
                a = b = NONE
            elif t == "string" and "enum" in shape:
                a = len(self.enums)
                self.enums += [self.strings.add(v) for v in shape["enum"]]
                b = len(shape["enum"])
            if shape.get("sensitive"):
                flags |= MS_SENSITIVE
            lo = hi = 0
            if "min" in shape:
                flags |= MS_HAS_MIN
                lo, hi = struct.unpack("<II", struct.pack("<d", float(shape["min"])))
            err = shape.get("error", {})
            code = err.get("code", name) if shape.get("exception") else ""
            nreq = len(set(shape.get("required", [])) & set(shape.get("members", {})))
            self.shape_recs.append([self.strings.add(name), TYPES[t], flags, a, b, c,
                                    self.strings.add(code), int(err.get("httpStatusCode", 0)),
                                    lo, hi, nreq])
        for name, shape in self.shapes.items():
            rec = self.shape_recs[self.shape_index[name]]
            if shape["type"] == "list":
                rec[3] = self.mref(shape["member"], where="%s.member" % name)
            elif shape["type"] == "map":
                rec[3] = self.mref(shape["key"], where="%s.key" % name)
                rec[4] = self.mref(shape["value"], where="%s.value" % name)

    def compile_ops(self):
        ops = []
        for name in sorted(self.model.get("operations", {})):
            op = self.model["operations"][name]
            http = op.get("http", {})
            flags = 0
            hc = op.get("httpChecksum", {})
            if op.get("httpChecksumRequired") or hc.get("requestChecksumRequired"):
                flags |= MO_CHECKSUM_REQUIRED
            auth = op.get("authtype")
            if auth == "none":
                flags |= MO_AUTH_NONE
            elif auth == "v4-unsigned-body":
                flags |= MO_UNSIGNED_BODY
            if op.get("deprecated"):
                flags |= MO_DEPRECATED
            if op.get("endpointdiscovery", {}).get("required"):
                flags |= MO_ENDPOINT_DISCOVERY
            inp = self.mref(op["input"], where=name + " input") if "input" in op else NONE
            if "input" in op:
                members = self.shapes[op["input"]["shape"]].get("members", {})
                if any(r.get("idempotencyToken") or self.shapes[r["shape"]].get("idempotencyToken")
                       for r in members.values()):
                    flags |= MO_IDEMPOTENCY
            out = self.mref(op["output"], where=name + " output") if "output" in op else NONE
            for side in ("input", "output"):
                members = self.shapes[op[side]["shape"]].get("members", {}) if side in op else {}
                if any(self.shapes[r["shape"]].get("eventstream") for r in members.values()):
                    flags |= MO_EVENTSTREAM
            s = self.strings
            ops.append([s.add(name), s.add(http.get("method", "POST")),
                        s.add(http.get("requestUri", "/")), inp, out, flags,
                        s.add(op.get("endpoint", {}).get("hostPrefix", "")),
                        s.add(hc.get("requestAlgorithmMember", "")),
                        int(http.get("responseCode", 0)), 0])
        return ops

    def named(self, table):
        recs = []
        for name in sorted(table):
            text = json.dumps(table[name], separators=(",", ":"), sort_keys=True)
            recs.append([self.strings.add(name), self.strings.add(text)])
        return recs

    def build(self):
        self.compile_shapes()
        ops = self.compile_ops()
        pagers = self.named(self.paginators)
        waiters = self.named(self.waiters)
        op_hash = hash_table([fnv1a(n.encode()) for n in sorted(self.model.get("operations", {}))])
        keys = [member_hash(*k) if k else None for k in self.mref_keys]
        # Only structure members go in the member table.
        mtable_keys = [(i, h) for i, h in enumerate(keys) if h is not None]
        size = 4
        while size < 2 * max(1, len(mtable_keys)):
            size *= 2
        mtable = [0] * size
        for i, h in mtable_keys:
            slot = h & (size - 1)
            while mtable[slot]:
                slot = (slot + 1) & (size - 1)
            mtable[slot] = i + 1
        pager_hash = hash_table([fnv1a(n.encode()) for n in sorted(self.paginators)])
        waiter_hash = hash_table([fnv1a(n.encode()) for n in sorted(self.waiters)])
        md = self.model["metadata"]
        xmlns = self.strings.add(md.get("xmlNamespace", ""))
        checksum = self.strings.add(md.get("checksumFormat", ""))

        parts = []
        off = SVC_HDR_WORDS * 4

        def section(recs, nwords):
            nonlocal off
            start = off
            data = b"".join(words(*r) for r in recs) if nwords else words(*recs)
            parts.append(data)
            off += len(data)
            return start

        shapes_off = section(self.shape_recs, SHAPE_WORDS)
        mrefs_off = section(self.mrefs, MREF_WORDS)
        ops_off = section(ops, OP_WORDS)
        op_hash_off = section(op_hash, 0)
        mhash_off = section(mtable, 0)
        enums_off = section(self.enums, 0)
        pagers_off = section(pagers, 2)
        pager_hash_off = section(pager_hash, 0)
        waiters_off = section(waiters, 2)
        waiter_hash_off = section(waiter_hash, 0)
        strings_off = off
        hdr = words(0x31435653, len(self.shape_recs), shapes_off, len(self.mrefs), mrefs_off,
                    len(ops), ops_off, len(op_hash), op_hash_off, len(mtable), mhash_off,
                    len(self.enums), enums_off, len(pagers), pagers_off, len(pager_hash),
                    pager_hash_off, len(waiters), waiters_off, len(waiter_hash),
                    waiter_hash_off, strings_off, len(self.strings.data), xmlns, checksum,
                    *([0] * 6))
        assert len(hdr) == SVC_HDR_WORDS * 4
        blob = hdr + b"".join(parts) + bytes(self.strings.data)
        return blob + b"\0" * (-len(blob) % 8)


def compile_all(data_dir, only=None):
    services = []
    for name in sorted(os.listdir(data_dir)):
        svc_dir = os.path.join(data_dir, name)
        if not os.path.isdir(svc_dir) or (only and name not in only):
            continue
        version = latest_version(svc_dir)
        if version is None:
            continue
        vdir = os.path.join(svc_dir, version)
        model = with_extras(vdir, "service-2", load_json(os.path.join(vdir, "service-2.json")),
                            skip=("shapes",))
        pag = os.path.join(vdir, "paginators-1.json")
        wai = os.path.join(vdir, "waiters-2.json")
        paginators = (with_extras(vdir, "paginators-1", load_json(pag)).get("pagination", {})
                      if os.path.exists(pag) else {})
        waiters = load_json(wai).get("waiters", {}) if os.path.exists(wai) else {}
        services.append((name, model, Service(name, model, paginators, waiters).build()))
    return services


def botocore_version(data_dir):
    init = os.path.join(os.path.dirname(os.path.abspath(data_dir)), "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            for line in f:
                if line.startswith("__version__"):
                    return "botocore " + line.split("=")[1].strip().strip("'\"")
    except OSError:
        pass
    return "botocore data at " + data_dir


def write_file(data_dir, out, only=None, stats=False):
    services = compile_all(data_dir, only)
    strings = Strings()
    index = []
    hdr_len = 8 + FILE_HDR_WORDS * 4
    index_off = hdr_len
    index_len = len(services) * INDEX_WORDS * 4
    svc_hash = hash_table([fnv1a(n.encode()) for n, _, _ in services])
    hash_off = index_off + index_len
    blobs_off = hash_off + 4 * len(svc_hash)
    blobs_off += -blobs_off % 8
    off = blobs_off
    for name, model, blob in services:
        md = model["metadata"]
        proto = md.get("protocol")
        if proto not in PROTOCOLS:
            raise ModelError("%s: unknown protocol %r" % (name, proto))
        sig = SIGNATURES.get(md.get("signatureVersion", "v4"), 1)
        prefix = md.get("endpointPrefix", name)
        index.append([strings.add(name), strings.add(md.get("serviceId", name)),
                      strings.add(md.get("signingName", prefix)), strings.add(prefix),
                      PROTOCOLS[proto], strings.add(md.get("apiVersion", "")),
                      strings.add(md.get("jsonVersion", "") if proto in ("json", "rest-json") else ""),
                      strings.add(md.get("targetPrefix", "")),
                      strings.add(md.get("globalEndpoint", "")), sig, off, len(blob)])
        off += len(blob)
    source = strings.add(botocore_version(data_dir))
    strings_off = off
    file_len = strings_off + len(strings.data)
    head = (b"UVAWSMDL" + words(FORMAT_VERSION, 0x01020304, len(services), index_off,
                                len(svc_hash), hash_off, strings_off, len(strings.data),
                                file_len, source, *([0] * 6)))
    assert len(head) == hdr_len
    body = b"".join(words(*r) for r in index) + words(*svc_hash)
    pad = b"\0" * (blobs_off - hdr_len - len(body))
    tmp = out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(head + body + pad)
        for _, _, blob in services:
            f.write(blob)
        f.write(bytes(strings.data))
    os.replace(tmp, out)
    if stats:
        for name, model, blob in services:
            print("%-32s %8d bytes %5d operations %5d shapes" %
                  (name, len(blob), len(model.get("operations", {})), len(model.get("shapes", {}))))
        print("%d services, %d bytes" % (len(services), file_len))


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    only = None
    for a in argv[1:]:
        if a.startswith("--only="):
            only = set(a.split("=", 1)[1].split(","))
    if len(args) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    data_dir, out = args
    if not os.path.isdir(data_dir):
        print("compile_models.py: %s is not a directory: install python3-botocore "
              "(Debian) or give its botocore/data directory" % data_dir, file=sys.stderr)
        return 1
    try:
        write_file(data_dir, out, only, "--stats" in argv)
    except (ModelError, ValueError, KeyError, OSError) as e:
        print("compile_models.py: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
