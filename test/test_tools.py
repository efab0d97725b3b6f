#!/usr/bin/python3
"""The uvaws command-line tool and every example, against the emulators.

Run by meson under test/harness/peers.py (--dynalite --ses), with the build
directory as the first argument. Exercises call, batch (a few hundred lines
with failures and bad lines), presign, sign --explain and bad arguments, then
runs each example the way a user would.
"""
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BUILD = sys.argv.pop(1) if len(sys.argv) > 1 else "build"
TOOL = os.path.join(BUILD, "tools", "uvaws")
EX = os.path.join(BUILD, "examples")
DDB = os.environ.get("UVAWS_TEST_DYNALITE")
SES = os.environ.get("UVAWS_TEST_SES")
SERVER = os.environ.get("UVAWS_TEST_SERVER")
S3 = os.environ.get("UVAWS_TEST_S3")
SECRET = "tools-test-secret-never-printed"
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDTOOLS", AWS_SECRET_ACCESS_KEY=SECRET,
           AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    ENV.pop(var, None)


def run(*args, stdin=None, env=None, timeout=120):
    p = subprocess.run(list(args), input=stdin, capture_output=True, text=True,
                       env=env or ENV, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def uvaws(*args, **kw):
    return run(TOOL, *args, **kw)


def create_table(name):
    """Creates a table and waits until it is ACTIVE, as real DynamoDB wants."""
    uvaws("--endpoint", DDB, "call", "dynamodb", "CreateTable",
          json.dumps(dict(TABLE_SPEC, TableName=name)))
    for _ in range(600):
        rc, out, _ = uvaws("--endpoint", DDB, "call", "dynamodb", "DescribeTable",
                           json.dumps({"TableName": name}))
        if rc == 0 and json.loads(out)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(0.1)
    raise AssertionError("table %s never became ACTIVE" % name)


TABLE_SPEC = {"AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
              "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
              "BillingMode": "PAY_PER_REQUEST"}


class FakeServer:
    """A loopback HTTP server that answers every request with one canned page."""

    def __init__(self, status, ctype, body):
        import http.server
        import threading
        answer = (status, ctype, body)

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.send_response(answer[0])
                self.send_header("Content-Type", answer[1])
                self.send_header("Content-Length", str(len(answer[2])))
                self.end_headers()
                self.wfile.write(answer[2])

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@contextlib.contextmanager
def temp_file(name, data):
    """A file holding `data` (bytes or text) for the time of a with block."""
    path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "uvaws-%s-%d" % (name, os.getpid()))
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    try:
        yield path
    finally:
        os.unlink(path)


def control(path, body=None):
    """A control request to the test server; its JSON answer."""
    req = urllib.request.Request(SERVER + path, data=body.encode() if body else None,
                                 method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def botocore_signature(rec, secret):
    """The signature botocore computes for a request the test server logged,
    from its method, path, query, signed headers, body and X-Amz-Date."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    auth = rec["authorization"]
    scope = auth.split("Credential=")[1].split(",")[0].split("/")
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    headers = {k: rec["headers"][k] for k in signed}
    url = "http://" + rec["headers"]["host"] + rec["target"]
    req = AWSRequest(method=rec["method"], url=url, data=rec["body"].encode(), headers=headers)
    req.context["timestamp"] = rec["x_amz_date"]
    signer = SigV4Auth(Credentials(scope[0], secret), scope[3], scope[2])
    canonical = signer.canonical_request(req)
    return signer.signature(signer.string_to_sign(req, canonical), req)


class ModelsFound(unittest.TestCase):
    """The tool in a build tree finds the models built beside it; with none
    anywhere it says where it looked, not that the service is unknown."""

    def test_build_tree_models_without_environment(self):
        env = dict(ENV)
        env.pop("UVAWS_MODEL_DIR", None)
        rc, out, err = run(TOOL, "help", "dynamodb", env=env)
        self.assertEqual(rc, 0, err)
        self.assertIn("protocol json", out)
        # a copy of the tool away from the build tree has no models next to it
        with tempfile.TemporaryDirectory() as d:
            lone = os.path.join(d, "uvaws")
            shutil.copy(TOOL, lone)
            env["UVAWS_MODEL_DIR"] = os.path.join(d, "nothing-here")
            rc, _, err = run(lone, "call", "dynamodb", "ListTables", env=env)
            self.assertEqual(rc, 2)
            self.assertIn("no service models in %s" % env["UVAWS_MODEL_DIR"], err)
            self.assertNotIn("unknown service", err)


@unittest.skipUnless(DDB and SES, "needs the emulators (run under peers.py)")
class Tool(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        create_table("tooltable")

    def test_help_and_bad_arguments(self):
        rc, out, _ = uvaws("--help")
        self.assertEqual(rc, 0)
        for word in ("call SERVICE OPERATION", "batch SERVICE", "presign", "--explain",
                     "exit status"):
            self.assertIn(word, out)
        self.assertEqual(uvaws("--version")[0], 0)
        rc, _, err = uvaws("--bogus")
        self.assertEqual(rc, 2)
        self.assertIn("unknown option", err)
        self.assertEqual(uvaws("call", "dynamodb")[0], 2)
        self.assertEqual(uvaws("--concurrency", "zero", "batch", "dynamodb")[0], 2)
        rc, _, err = uvaws("--endpoint", DDB, "call", "dynamodb", "ListTables", "{not json")
        self.assertEqual(rc, 2)
        self.assertIn("not valid JSON", err)
        for text, kind in (("[1, 2]", "an array"), ('"x"', "a string"), ("3", "a number"),
                           ("null", "null")):
            rc, _, err = uvaws("--endpoint", DDB, "call", "dynamodb", "ListTables", text)
            self.assertEqual(rc, 2)
            self.assertIn("JSON, but %s, not an object" % kind, err)

    def test_command_help(self):
        for cmd in ("call", "batch", "presign", "sign", "help"):
            rc, out, err = uvaws(cmd, "--help")
            self.assertEqual(rc, 0, err)
            self.assertTrue(out.startswith("usage: uvaws [options] %s" % cmd), out)
            self.assertEqual(uvaws("help", cmd), (0, out, ""))
        self.assertIn("--concurrency", uvaws("batch", "--help")[1])
        self.assertIn("--deadline", uvaws("call", "-h")[1])
        self.assertNotIn("--concurrency", uvaws("call", "--help")[1])
        self.assertIn("--explain", uvaws("help", "sign")[1])
        self.assertEqual(uvaws("help")[0], 0)
        # an unknown command, an unknown service: each named as such
        rc, _, err = uvaws("frobnicate", "dynamodb")
        self.assertEqual(rc, 2)
        self.assertIn("unknown command 'frobnicate'", err)
        self.assertIn("call, batch, presign, sign, help", err)
        self.assertEqual(uvaws("help", "frobnicate")[0], 2)
        for cmd in (["call", "dynamodbb", "ListTables"], ["batch", "nosuchservice"]):
            rc, _, err = uvaws("--endpoint", DDB, *cmd, stdin="")
            self.assertEqual(rc, 2)
            self.assertIn("unknown service '%s'" % cmd[1], err)
            self.assertNotIn("operation", err.replace("operations", ""))
        # a command with the wrong arguments shows its own synopsis
        rc, _, err = uvaws("presign", "s3")
        self.assertEqual(rc, 2)
        self.assertIn("usage: uvaws [options] presign SERVICE PATH", err)

    def test_call(self):
        item = {"TableName": "tooltable", "Item": {"id": {"S": "c1"}, "v": {"N": "7"}}}
        self.assertEqual(uvaws("--endpoint", DDB, "call", "dynamodb", "PutItem",
                               json.dumps(item))[0], 0)
        # parameters from a file and from stdin
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "uvaws-get-%d.json" % os.getpid())
        with open(path, "w") as f:
            json.dump({"TableName": "tooltable", "Key": {"id": {"S": "c1"}}}, f)
        rc, out, err = uvaws("--endpoint", DDB, "call", "dynamodb", "GetItem", "@" + path)
        os.unlink(path)
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out)["Item"]["v"]["N"], "7")
        rc, out, _ = uvaws("--endpoint", DDB, "call", "dynamodb", "GetItem", "-",
                           stdin=json.dumps({"TableName": "tooltable", "Key": {"id": {"S": "c1"}}}))
        self.assertEqual(json.loads(out)["Item"]["id"]["S"], "c1")
        # an AWS error: type, message and request id on stderr, exit 1
        rc, out, err = uvaws("--endpoint", DDB, "call", "dynamodb", "DescribeTable",
                             '{"TableName": "missing-table"}')
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("ResourceNotFoundException", err)
        self.assertIn("request id", err)
        self.assertNotIn(SECRET, out + err)
        # nothing listens there: exit 3
        rc, _, err = uvaws("--endpoint", "http://127.0.0.1:9", "--max-attempts", "1", "call",
                           "dynamodb", "ListTables")
        self.assertEqual(rc, 3)

    @unittest.skipUnless(SERVER, "needs the test server")
    def test_any_service(self):
        # services the hand-written table never had, by their models alone:
        # Route 53 (rest-xml) and CloudFormation (query), recorded answers
        control("/_reset", "")
        control("/_config", json.dumps({"canned": [
            {"path": "/2013-04-01/hostedzone/Z1/rrset", "content_type": "text/xml", "body":
             "<ChangeResourceRecordSetsResponse xmlns=\"https://route53.amazonaws.com/doc/"
             "2013-04-01/\"><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status><SubmittedAt>"
             "2024-05-01T12:00:00.000Z</SubmittedAt></ChangeInfo></ChangeResourceRecordSetsResponse>"},
            {"contains": "Action=DescribeStacks", "content_type": "text/xml", "body":
             "<DescribeStacksResponse><DescribeStacksResult><Stacks><member><StackName>web"
             "</StackName><StackStatus>CREATE_COMPLETE</StackStatus><CreationTime>"
             "2024-05-01T12:00:00Z</CreationTime><EnableTerminationProtection>false"
             "</EnableTerminationProtection></member></Stacks></DescribeStacksResult>"
             "<ResponseMetadata><RequestId>cf-1</RequestId></ResponseMetadata>"
             "</DescribeStacksResponse>"}]}))
        change = {"HostedZoneId": "Z1", "ChangeBatch": {"Changes": [{"Action": "UPSERT",
                  "ResourceRecordSet": {"Name": "www.example.com", "Type": "A", "TTL": 60,
                                        "ResourceRecords": [{"Value": "192.0.2.1"}]}}]}}
        rc, out, err = uvaws("--endpoint", SERVER, "call", "route53", "ChangeResourceRecordSets",
                             json.dumps(change))
        self.assertEqual(rc, 0, err)
        info = json.loads(out)["ChangeInfo"]
        self.assertEqual(info, {"Id": "/change/C1", "Status": "PENDING",
                                "SubmittedAt": "2024-05-01T12:00:00Z"})
        rc, out, err = uvaws("--endpoint", SERVER, "call", "cloudformation", "DescribeStacks",
                             '{"StackName": "web"}')
        self.assertEqual(rc, 0, err)
        stack = json.loads(out)["Stacks"][0]
        self.assertEqual(stack["StackStatus"], "CREATE_COMPLETE")
        self.assertIs(stack["EnableTerminationProtection"], False)
        log = control("/_log")["requests"]
        self.assertEqual(len(log), 2)
        r53, cf = log
        self.assertEqual((r53["method"], r53["path"]), ("POST", "/2013-04-01/hostedzone/Z1/rrset/"))
        self.assertIn('<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/'
                      '2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action>', r53["body"])
        self.assertIn("/us-east-1/route53/aws4_request", r53["authorization"])
        self.assertEqual(cf["body"], "Action=DescribeStacks&Version=2010-05-15&StackName=web")
        self.assertIn("/us-east-1/cloudformation/aws4_request", cf["authorization"])
        # what went on the wire is what was signed: botocore agrees on both signatures
        for rec in (r53, cf):
            self.assertIn("Signature=" + botocore_signature(rec, SECRET), rec["authorization"])
        # checked before sending: nothing more reached the server
        rc, _, err = uvaws("--endpoint", SERVER, "call", "route53", "ChangeResourceRecordSets",
                           '{"HostedZoneId": "Z1", "ChangeBatch": {"Change": []}}')
        self.assertEqual(rc, 2)
        self.assertIn("ChangeBatch.Change: unknown parameter; did you mean Changes?", err)
        self.assertIn("ChangeBatch.Changes: missing", err)
        rc, _, err = uvaws("--endpoint", SERVER, "call", "cloudformation", "DescribeStack")
        self.assertEqual(rc, 2)
        self.assertIn("did you mean DescribeStacks", err)
        self.assertEqual(control("/_stats")["requests"], 2)

    def test_service_quirks(self):
        # Glacier's rules beyond its model (accountId "-", the version header,
        # the tree hash and linear hash of uploads), checked against botocore's
        # own tree hash, for bodies streamed from a file and given in memory;
        # API Gateway asked for JSON
        import base64
        import hashlib
        import io
        from botocore.utils import calculate_tree_hash
        control("/_reset", "")
        control("/_config", json.dumps({"canned": [
            {"path": "/-/vaults/v/archives", "status": 201, "body": ""}]}))
        mib = 1 << 20
        cases = []
        for size in (0, mib, 2 * mib + mib // 2 + 17):   # no leaf, one, three (odd)
            data = bytes((i * 7 + size) & 0xff for i in range(size))
            with temp_file("glacier", data) as path:
                rc, _, err = uvaws("--endpoint", SERVER, "call", "glacier", "UploadArchive",
                                   '{"vaultName": "v"}', "--payload", path)
            self.assertEqual(rc, 0, err)
            cases.append(data)
        data = bytes((i * 13) & 0xff for i in range(mib + mib // 2))   # two leaves
        params = json.dumps({"vaultName": "v", "body": base64.b64encode(data).decode()})
        with temp_file("glacier-params", params) as path:
            rc, _, err = uvaws("--endpoint", SERVER, "call", "glacier", "UploadArchive", "@" + path)
        self.assertEqual(rc, 0, err)
        cases.append(data)
        rc, _, err = uvaws("--endpoint", SERVER, "call", "glacier", "ListVaults")
        self.assertEqual(rc, 0, err)
        rc, _, err = uvaws("--endpoint", SERVER, "call", "apigateway", "GetRestApis")
        self.assertEqual(rc, 0, err)
        log = control("/_log")["requests"]
        self.assertEqual(len(log), len(cases) + 2)
        apis = log.pop()
        self.assertEqual((apis["method"], apis["path"]), ("GET", "/restapis"))
        self.assertEqual(apis["headers"]["accept"], "application/json")
        for rec, data in zip(log, cases):
            h = rec["headers"]
            self.assertEqual((rec["method"], rec["path"]), ("POST", "/-/vaults/v/archives"))
            self.assertEqual(h["x-amz-glacier-version"], "2012-06-01")
            self.assertEqual(h["x-amz-sha256-tree-hash"], calculate_tree_hash(io.BytesIO(data)))
            self.assertEqual(h["x-amz-content-sha256"], hashlib.sha256(data).hexdigest())
            self.assertEqual(rec["body_sha256"], hashlib.sha256(data).hexdigest())
            self.assertEqual(rec["signature"], "ok")
        vaults = log[-1]
        self.assertEqual((vaults["method"], vaults["path"]), ("GET", "/-/vaults"))
        self.assertEqual(vaults["headers"]["x-amz-glacier-version"], "2012-06-01")
        self.assertNotIn("x-amz-sha256-tree-hash", vaults["headers"])

    def test_help_from_models(self):
        rc, out, err = uvaws("help", "services")
        self.assertEqual(rc, 0, err)
        for name in ("cloudformation", "dynamodb", "route53", "s3", "sesv2"):
            self.assertIn(name, out.split())
        rc, out, _ = uvaws("help", "s3")
        self.assertEqual(rc, 0)
        self.assertIn("protocol rest-xml", out)
        for op in ("PutObject", "GetObject", "ListObjectsV2", "CompleteMultipartUpload"):
            self.assertIn(op, out.split())
        rc, out, _ = uvaws("help", "s3", "PutObject")
        self.assertEqual(rc, 0)
        self.assertIn("s3 PutObject: PUT /{Bucket}/{Key+}", out)
        self.assertRegex(out, r"Bucket +string, required, uri Bucket")
        self.assertRegex(out, r"Body +blob, the body \(streamed\)")
        self.assertRegex(out, r"ContentType +string, header Content-Type")
        rc, out, _ = uvaws("help", "dynamodb", "DescribeTable")
        self.assertIn("waiters (uvaws_wait_for): TableExists TableNotExists", out)
        self.assertEqual(uvaws("help", "nosuch")[0], 2)
        self.assertEqual(uvaws("help", "s3", "NoSuchOperation")[0], 2)

    @unittest.skipUnless(S3, "needs s3rver")
    def test_s3_payload_files(self):
        env = dict(ENV, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER")
        tmp = os.environ.get("TMPDIR", "/tmp")
        src = os.path.join(tmp, "uvaws-tool-src-%d" % os.getpid())
        dst = os.path.join(tmp, "uvaws-tool-dst-%d" % os.getpid())
        data = os.urandom(3 << 20)
        with open(src, "wb") as f:
            f.write(data)
        try:
            self.assertEqual(uvaws("--endpoint", S3, "call", "s3", "CreateBucket",
                                   '{"Bucket": "tool-bucket"}', env=env)[0], 0)
            rc, out, err = uvaws("--endpoint", S3, "call", "s3", "PutObject",
                                 '{"Bucket": "tool-bucket", "Key": "a/b.bin"}', "--payload", src,
                                 env=env)
            self.assertEqual(rc, 0, err)
            self.assertIn("ETag", json.loads(out))
            rc, out, err = uvaws("--endpoint", S3, "call", "s3", "GetObject",
                                 '{"Bucket": "tool-bucket", "Key": "a/b.bin"}',
                                 "--output-payload", dst, env=env)
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out)["ContentLength"], len(data))
            with open(dst, "rb") as f:
                self.assertEqual(f.read(), data)
            # without a file, a small payload is shown as base64
            uvaws("--endpoint", S3, "call", "s3", "PutObject",
                  '{"Bucket": "tool-bucket", "Key": "small", "Body": "aGk="}', env=env)
            rc, out, _ = uvaws("--endpoint", S3, "call", "s3", "GetObject",
                               '{"Bucket": "tool-bucket", "Key": "small"}', env=env)
            self.assertEqual(json.loads(out)["Body"], "aGk=")
            rc, _, err = uvaws("--endpoint", S3, "call", "s3", "PutObject",
                               '{"Bucket": "tool-bucket", "Key": "x"}', "--payload",
                               src + ".missing", env=env)
            self.assertNotEqual(rc, 0)
            self.assertIn("--payload", err)
        finally:
            for path in (src, dst):
                if os.path.exists(path):
                    os.unlink(path)

    def test_not_an_aws_error(self):
        # a wrong endpoint answering HTML: a short excerpt, control bytes escaped
        page = b"<html>\n<head><title>500 Internal Server Error</title></head>\n<body>\x1b[2J" \
               + b"<h1>Oops</h1>" + b"x" * 4000 + b"</body></html>"
        with FakeServer(500, "text/html", page) as url:
            rc, out, err = uvaws("--endpoint", url, "--max-attempts", "1", "call", "dynamodb",
                                 "ListTables")
        self.assertEqual(rc, 1)
        self.assertEqual(out, "")
        self.assertIn("not an AWS error (text/html): <html> <head><title>500 Internal Server "
                      "Error</title></head> <body>\\x1B[2J<h1>Oops</h1>xxx", err)
        self.assertIn("(HTTP 500)", err)
        self.assertNotIn("\x1b", err)
        self.assertLess(len(err), 400)

    def test_silent_endpoint(self):
        # accepts connections, never answers: the timeout ends it (exit 3)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen(64)
            url = "http://127.0.0.1:%d" % s.getsockname()[1]
            t0 = time.monotonic()
            rc, _, err = uvaws("--endpoint", url, "--timeout", "0.3", "--max-attempts", "1",
                               "call", "dynamodb", "ListTables", timeout=30)
            self.assertEqual(rc, 3, err)
            self.assertIn("UVAWS_ETIMEDOUT", err)
            # the deadline bounds all attempts together
            rc, _, err = uvaws("--endpoint", url, "--timeout", "5", "--deadline", "0.5",
                               "--max-attempts", "10", "call", "dynamodb", "ListTables",
                               timeout=30)
            self.assertEqual(rc, 3, err)
            self.assertIn("deadline", err)
            self.assertLess(time.monotonic() - t0, 10)
            self.assertEqual(uvaws("--timeout", "-1", "call", "dynamodb", "ListTables")[0], 2)

    def test_batch_progress(self):
        each = [json.dumps({"op": "PutItem", "id": i, "params": {
            "TableName": "tooltable", "Item": {"id": {"S": "p%d" % i}}}}) + "\n"
            for i in range(3000)]
        lines = "".join(each)
        # a file: a percentage and an ETA from the first drawing on
        with temp_file("prog", lines) as path:
            rc, out, err = uvaws("--endpoint", DDB, "--progress", "--concurrency", "8",
                                 "batch", "dynamodb", path)
        self.assertEqual(rc, 0, err)
        draws = [d.strip() for d in err.splitlines() if d.strip().startswith("[")]
        self.assertTrue(draws)
        for d in draws:
            self.assertRegex(d, r"^\[[#-]{30}\] +\d+% .* ETA \d+s")
        self.assertIn("100% 3000/3000", draws[-1])
        # a pipe whose end nobody knows yet: a count and a rate, no percentage
        # (results to a file: a full stdout pipe would stop it reading stdin)
        sink = open(os.devnull, "w")
        p = subprocess.Popen([TOOL, "--endpoint", DDB, "--progress", "batch", "dynamodb"],
                             stdin=subprocess.PIPE, stdout=sink,
                             stderr=subprocess.PIPE, env=ENV, text=True)
        p.stdin.write("".join(each[:2000]))
        p.stdin.flush()
        time.sleep(0.6)
        _, err = p.communicate(input="".join(each[2000:2500]), timeout=120)
        sink.close()
        self.assertEqual(p.returncode, 0, err)
        draws = [d.strip() for d in err.splitlines() if d.strip()]
        self.assertRegex(draws[0], r"^\d+ done +\d+/s +failed 0$")
        self.assertIn("100% 2500/2500", draws[-2] if draws[-1].startswith("batch:") else draws[-1])

    def test_batch(self):
        lines = []
        for i in range(300):
            lines.append(json.dumps({"op": "PutItem", "id": "put-%d" % i, "params": {
                "TableName": "tooltable", "Item": {"id": {"S": "b%d" % i}}}}))
        lines.insert(50, "this is not json")
        lines.insert(100, json.dumps({"params": {}}))  # no op
        lines.append(json.dumps({"op": "GetItem", "id": "bad-table", "params": {
            "TableName": "missing-table", "Key": {"id": {"S": "x"}}}}))
        lines.append("")  # blank lines are not requests
        rc, out, err = uvaws("--endpoint", DDB, "--concurrency", "16", "--progress", "batch",
                             "dynamodb", stdin="\n".join(lines) + "\n")
        self.assertEqual(rc, 1)  # one request failed
        results = [json.loads(l) for l in out.splitlines()]
        self.assertEqual(len(results), 303)
        ok = [r for r in results if r.get("ok")]
        self.assertEqual(len(ok), 300)
        self.assertEqual(sorted(r["id"] for r in ok), sorted("put-%d" % i for i in range(300)))
        bad = {r.get("id", r.get("line")): r for r in results if not r.get("ok")}
        self.assertEqual(bad["bad-table"]["error"]["type"], "ResourceNotFoundException")
        self.assertEqual(bad[51]["error"]["code"], "UVAWS_EINVAL")   # line numbers, 1-based
        self.assertEqual(bad[101]["error"]["code"], "UVAWS_EINVAL")
        self.assertIn("batch: 301 requests, 300 ok, 1 failed, 2 invalid lines", err)
        self.assertIn("p99", err)
        self.assertIn("[####", err)  # the progress bar, forced on
        # the batch from a file, all good: exit 0, no bar when asked not to
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), "uvaws-batch-%d.jsonl" % os.getpid())
        with open(path, "w") as f:
            f.write("\n".join(lines[:40]) + "\n")
        rc, out, err = uvaws("--endpoint", DDB, "--no-progress", "batch", "dynamodb", path)
        os.unlink(path)
        self.assertEqual(rc, 0, err)
        self.assertNotIn("[#", err)
        self.assertEqual(len(out.splitlines()), 40)

    def test_presign_and_sign(self):
        rc, out, err = uvaws("--region", "eu-west-1", "presign", "--expires", "600", "s3",
                             "/my-bucket/a key.txt")
        self.assertEqual(rc, 0, err)
        url = out.strip()
        self.assertTrue(url.startswith("https://s3.eu-west-1.amazonaws.com/my-bucket/a%20key.txt?"))
        self.assertIn("X-Amz-Expires=600", url)
        self.assertIn("X-Amz-Credential=AKIDTOOLS%2F", url)
        self.assertNotIn(SECRET, url)
        env = dict(ENV, AWS_SESSION_TOKEN="tools-session-token-secret")
        rc, out, err = uvaws("--endpoint", DDB, "sign", "--explain", "--method", "POST", "-H",
                             "Content-Type: application/x-amz-json-1.0", "--data", "{}",
                             "dynamodb", "/", env=env)
        self.assertEqual(rc, 0, err)
        self.assertIn("--- canonical request\nPOST\n/\n", out)
        self.assertIn("--- string to sign\nAWS4-HMAC-SHA256\n", out)
        self.assertIn("Authorization: AWS4-HMAC-SHA256 Credential=AKIDTOOLS/", out)
        self.assertNotIn("tools-session-token-secret", out + err)
        self.assertNotIn(SECRET, out + err)
        self.assertEqual(uvaws("presign", "--expires", "999999", "s3", "/b/k")[0], 2)


@unittest.skipUnless(DDB and SES, "needs the emulators (run under peers.py)")
class Examples(unittest.TestCase):
    def test_sigv4_demo(self):
        rc, out, _ = run(os.path.join(EX, "sigv4_demo"))
        self.assertEqual(rc, 0)
        self.assertIn("--- canonical request", out)
        self.assertIn("X-Amz-Signature=", out)
        self.assertNotIn(SECRET, out)

    def test_dynamodb_callbacks_and_futures(self):
        rc, out, err = run(os.path.join(EX, "dynamodb_bulk"), "--endpoint", DDB, "--items", "300",
                           "--table", "ex_bulk")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"PutItem +300 items .* failed 0")
        self.assertRegex(out, r"GetItem +300 items .* failed 0")
        rc, out, err = run(os.path.join(EX, "dynamodb_futures"), "--endpoint", DDB, "--items",
                           "300", "--table", "ex_futures")
        self.assertEqual(rc, 0, err)
        self.assertIn("PutItem: 300 items", out)
        self.assertIn("0 failed", out)

    def test_ses_send(self):
        rc, out, err = run(os.path.join(EX, "ses_send"), "--endpoint", SES, "--to",
                           "examples@example.com")
        self.assertEqual(rc, 0, err)
        self.assertIn("SES v1 SendEmail: MessageId", out)
        self.assertIn("SES v2 SendEmail: MessageId", out)
        store = json.load(urllib.request.urlopen(SES + "/store"))
        subjects = [m["subject"] for m in store["emails"]]
        self.assertIn("Hello from uvaws (SES v1)", subjects)
        self.assertIn("Hello from uvaws (SES v2)", subjects)

    def test_s3_presign(self):
        rc, out, err = run(os.path.join(EX, "s3_presign"), "bucket", "dir/file.txt", "120")
        self.assertEqual(rc, 0, err)
        self.assertTrue(out.startswith("https://s3.us-east-1.amazonaws.com/bucket/dir/file.txt?"))
        self.assertIn("X-Amz-Expires=120", out)

    def test_creds_provider(self):
        """A provider of one's own: credentials read from a file, never printed."""
        path = os.path.join(BUILD, "creds-provider-test.json")
        exp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3600))
        with open(path, "w") as f:
            json.dump({"AccessKeyId": "ASIAFILEPROVIDER", "SecretAccessKey": SECRET,
                       "SessionToken": "file-provider-token", "Expiration": exp}, f)
        try:
            env = {k: v for k, v in ENV.items() if not k.startswith("AWS_ACCESS")}
            env.pop("AWS_SECRET_ACCESS_KEY", None)
            rc, out, err = run(os.path.join(EX, "creds_provider"), "--endpoint", DDB, "--file",
                               path, "--requests", "5", env=env)
            self.assertEqual(rc, 0, err)
            self.assertEqual(out.count("credentials ASIAFILEPROVIDER from"), 1, out)
            self.assertIn("ListTables: 5 ok, 0 failed", out)
            self.assertNotIn(SECRET, out + err)
            os.unlink(path)  # gone: the request fails with the reason, nothing hangs
            rc, out, err = run(os.path.join(EX, "creds_provider"), "--endpoint", DDB, "--file",
                               path, env=env)
            self.assertEqual(rc, 1)
            self.assertIn("no such file", err)
        finally:
            if os.path.exists(path):
                os.unlink(path)

    def test_latency_histogram(self):
        """The observation hook as a histogram: every request in every phase's column."""
        rc, out, err = run(os.path.join(EX, "latency_histogram"), "--endpoint", DDB,
                           "--requests", "60", "--concurrency", "4")
        self.assertEqual(rc, 0, err)
        self.assertIn("dynamodb ListTables: 60 requests, 60 ok, 0 failed", out)
        lines = out.splitlines()
        head = lines.index(next(l for l in lines if l.startswith("bucket")))
        phases = lines[head].split()[1:]
        self.assertEqual(phases, ["queued", "creds", "signing", "connect", "1st-byte", "total"])
        rows = [l[11:].split() for l in lines[head + 1:] if l.strip()]
        self.assertTrue(rows)
        sums = [sum(int(r[i]) for r in rows) for i in range(6)]
        self.assertEqual(sums, [60] * 6, out)
        # a request takes more than a microsecond in all
        if lines[head + 1].startswith("< 1 us"):
            self.assertEqual(rows[0][-1], "0", out)
        rc, _, err = run(os.path.join(EX, "latency_histogram"))
        self.assertEqual(rc, 2)
        self.assertIn("usage", err)

    def test_ddb_server(self):
        put = {"TableName": "uvaws_demo", "Item": {"id": {"S": "srv-1"}, "v": {"S": "hello"}}}
        create_table("uvaws_demo")
        self.assertEqual(uvaws("--endpoint", DDB, "call", "dynamodb", "PutItem",
                               json.dumps(put))[0], 0)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        srv = subprocess.Popen([os.path.join(EX, "ddb_server"), "--endpoint", DDB, "--port",
                                str(port)], stdout=subprocess.PIPE, text=True, env=ENV)
        try:
            self.assertIn("listening", srv.stdout.readline())
            # two clients at once: the slow one does not hold up the other
            a = socket.create_connection(("127.0.0.1", port), timeout=10)
            b = socket.create_connection(("127.0.0.1", port), timeout=10)
            a.sendall(b"GET srv-1\nGET nothing-here\n")
            b.sendall(b"bogus\nGET srv-1\n")
            fa = a.makefile()
            ra = fa.readline() + fa.readline()
            fb = b.makefile()
            rb = [json.loads(fb.readline()), json.loads(fb.readline())]
            answers = [json.loads(l) for l in ra.splitlines()]
            by_key = {x["key"]: x for x in answers}
            self.assertEqual(by_key["srv-1"]["item"], {"id": "srv-1", "v": "hello"})
            self.assertIsNone(by_key["nothing-here"]["item"])
            self.assertEqual(rb[0]["error"], "want: GET <key>")
            self.assertEqual(rb[1]["item"]["v"], "hello")
            fa.close()
            fb.close()
            a.close()
            b.close()
        finally:
            srv.terminate()
            srv.wait(timeout=10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
