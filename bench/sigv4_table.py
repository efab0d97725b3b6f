"""Turns the JSON lines of the SigV4 benchmark into its one table.

Rows in a fixed order. `x floor` is the median over the runs of the row's
time over the OpenSSL floor's in the same run, for the rows bench_sigv4
interleaves with the floor (uvaws, OpenSSL, libcurl); for the peers, which
run in their own processes afterwards, it is their median over the floor's
median, marked with a *. `x uvaws` is the row's median over that of uvaws
with a cached key. `sig` is the check that a signer did the same work: its
signature for the request at the fixed time must equal uvaws's (the GetItem
signature for header signing, the presigned-URL signature for presigning).

usage: sigv4_table.py RESULTS.jsonl CHECK_FILE
"""
import json
import os
import sys

from machine import cpu_model

ROWS = [
    ('uvaws_cached', 'getitem'),
    ('uvaws_cold', 'getitem'),
    ('uvaws_presign_s3', 'presign'),
    ('openssl_floor', None),
    ('openssl_floor_evp_mac', None),
    ('libcurl_aws_sigv4', 'getitem'),
    ('aws4', 'getitem'),
    ('smithy', 'getitem'),
    ('botocore', 'getitem'),
    ('aws4_presign_s3', 'presign'),
    ('smithy_presign_s3', 'presign'),
    ('botocore_presign_s3', 'presign'),
]


def main(jsonl, check_file):
    results = {}
    with open(jsonl) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                results[r['name']] = r
    expected = {}
    with open(check_file) as f:
        for line in f:
            key, _, value = line.strip().partition(' ')
            if key.endswith('_signature'):
                expected[key[:-len('_signature')]] = value
    base = results['uvaws_cached']['median_ns']
    floor = results['openssl_floor']['median_ns']
    runs = results['uvaws_cached']['runs']
    print(f'SigV4 signing, ns per signature: median of {runs} interleaved runs (min in brackets)')
    print(f'{cpu_model()}, {os.cpu_count()} CPUs')
    print()
    print(f"{'signer':<34} {'median ns/op':>13} {'(min)':>10} {'x floor':>8} {'x uvaws':>8}  sig")
    for name, kind in ROWS:
        r = results.get(name)
        if r is None:
            continue
        if kind is None or name.startswith('uvaws'):
            mark = ''
        else:
            mark = '✓' if r.get('signature') == expected.get(kind) else '✗'
        xf = (f"{r['x_floor']:8.2f}" if 'x_floor' in r
              else f"{r['median_ns'] / floor:7.1f}*")
        print(f"{r['label']:<34} {r['median_ns']:13.1f} {'(%.1f)' % r['min_ns']:>10} {xf} "
              f"{r['median_ns'] / base:8.2f}  {mark}".rstrip())
    x = results['uvaws_cached'].get('x_floor')
    if x is not None:
        print(f"\ntarget: a cached-key GetItem signature at most 1.25x the floor: {x:.2f}x, "
              f"{'met' if x <= 1.25 else 'not met'}")
    bad = [n for n, k in ROWS if k and not n.startswith('uvaws') and n in results
           and results[n].get('signature') != expected.get(k)]
    if bad:
        print(f"\nsignature mismatch: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
