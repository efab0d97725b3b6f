"""botocore's SigV4 signers on the benchmark requests, timed as bench_sigv4
times uvaws (warm-up, then RUNS runs of N, median and minimum ns/op).

add_auth reads the clock through datetime.datetime.utcnow(); the module's
datetime is replaced by one whose utcnow() returns the benchmark's fixed time.
botocore derives the signing key on every call: it has no key cache.
SigV4Auth.add_auth removes what it added before, so one request serves every
header signature; query signing rewrites the URL, so each presign gets a
fresh request.
"""
import datetime as _dt
import json
import os
import re
import sys
import time
import types

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

WARMUP_NS = 300e6
TARGET_RUN_NS = 100e6

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'sigv4_request.json')) as f:
    REQ = json.load(f)

FIXED = _dt.datetime.fromtimestamp(REQ['timestamp'], _dt.timezone.utc).replace(tzinfo=None)


class _FixedDatetime(_dt.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED


botocore.auth.datetime = types.SimpleNamespace(datetime=_FixedDatetime)


def measure(op, runs):
    done = 0
    w0 = time.perf_counter_ns()
    dt = 0
    while dt < WARMUP_NS:
        for _ in range(16):
            op()
        done += 16
        dt = time.perf_counter_ns() - w0
    n = max(1, int(TARGET_RUN_NS * done / dt) + 1)
    ns = []
    for _ in range(runs):
        t0 = time.perf_counter_ns()
        for _ in range(n):
            op()
        ns.append((time.perf_counter_ns() - t0) / n)
    ns.sort()
    return {'median_ns': ns[runs // 2], 'min_ns': ns[0], 'iters': n, 'runs': runs}


def report(args, name, label, r, signature):
    if args['json']:
        print(json.dumps({'bench': 'sigv4', 'name': name, 'label': label,
                          'median_ns': round(r['median_ns'], 1), 'min_ns': round(r['min_ns'], 1),
                          'iters': r['iters'], 'runs': r['runs'], 'signature': signature},
                         separators=(',', ':')))
    else:
        print(f"{label:<28} {r['median_ns']:12.1f} {r['min_ns']:12.1f} {r['iters']:10d}  {signature}")
    sys.stdout.flush()


def main(argv):
    args = {'runs': 7, 'json': False}
    it = iter(argv[1:])
    for a in it:
        if a == '--runs':
            args['runs'] = int(next(it))
        elif a == '--json':
            args['json'] = True
        else:
            sys.exit(f'unknown argument {a}')

    creds = Credentials(REQ['access_key'], REQ['secret_key'])
    g = REQ['getitem']
    signer = botocore.auth.SigV4Auth(creds, g['service'], REQ['region'])
    request = AWSRequest(method=g['method'], url=f"https://{g['headers']['host']}{g['path']}",
                         headers=dict(g['headers']), data=g['body'].encode())

    def sign_getitem():
        signer.add_auth(request)
        return re.search(r'Signature=([0-9a-f]{64})', request.headers['Authorization']).group(1)

    p = REQ['presign']
    qsigner = botocore.auth.S3SigV4QueryAuth(creds, p['service'], REQ['region'],
                                             expires=p['expires'])
    url = f"https://{p['host']}{p['path']}"

    def presign():
        r = AWSRequest(method=p['method'], url=url, headers={'host': p['host']})
        qsigner.add_auth(r)
        return re.search(r'X-Amz-Signature=([0-9a-f]{64})', r.url).group(1)

    report(args, 'botocore', 'botocore', measure(sign_getitem, args['runs']), sign_getitem())
    report(args, 'botocore_presign_s3', 'botocore presign S3', measure(presign, args['runs']),
           presign())


if __name__ == '__main__':
    main(sys.argv)
