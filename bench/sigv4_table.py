"""Turns the JSON lines of the SigV4 benchmark into its one table.

Rows in a fixed order; `x uvaws` is the row's median over that of uvaws with
a cached key. `sig` is the check that a peer did the same work: its
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
    runs = results['uvaws_cached']['runs']
    print(f'SigV4 signing, ns per signature: median of {runs} runs (min in brackets)')
    print(f'{cpu_model()}, {os.cpu_count()} CPUs')
    print()
    print(f"{'signer':<34} {'median ns/op':>13} {'(min)':>10} {'x uvaws':>9}  sig")
    for name, kind in ROWS:
        r = results.get(name)
        if r is None:
            continue
        if kind is None or name.startswith('uvaws'):
            mark = ''
        else:
            mark = '✓' if r.get('signature') == expected.get(kind) else '✗'
        print(f"{r['label']:<34} {r['median_ns']:13.1f} {'(%.1f)' % r['min_ns']:>10} "
              f"{r['median_ns'] / base:9.2f}  {mark}".rstrip())
    bad = [n for n, k in ROWS if k and not n.startswith('uvaws') and n in results
           and results[n].get('signature') != expected.get(k)]
    if bad:
        print(f"\nsignature mismatch: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1], sys.argv[2]))
