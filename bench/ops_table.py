"""Turns the JSON lines of the operation-layer benchmark into its table.

For each case: uvaws's and botocore's median ns (over the runs) to check and
serialize the parameters and to parse the answer into the output (and, for
uvaws, free it), and botocore's median over uvaws's. `same` is the check
that both sides parsed the answer to the same output (timestamps compared
as instants, numbers as numbers); a ✗ makes the script fail.

usage: ops_table.py RESULTS.jsonl UVAWS_CHECK BOTOCORE_CHECK
"""
import datetime
import json
import os
import statistics
import sys

from machine import cpu_model


def lines(path):
    with open(path) as f:
        return [json.loads(x) for x in f if x.strip()]


def normal(v):
    """Outputs compared as values: timestamps as instants, numbers as floats."""
    if isinstance(v, dict):
        return {k: normal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [normal(x) for x in v]
    if isinstance(v, bool) or v is None:
        return v
    if isinstance(v, (int, float)):
        return float(v)
    for fmt in ('%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%d %H:%M:%S%z'):
        try:
            t = datetime.datetime.strptime(v, fmt)
            return (t.replace(tzinfo=t.tzinfo or datetime.timezone.utc)).timestamp()
        except ValueError:
            pass
    return v


def main(jsonl, uvaws_check, botocore_check):
    rows, order = {}, []
    for r in lines(jsonl):
        key = (r['name'], r.get('peer', 'uvaws'))
        if r['name'] not in order:
            order.append(r['name'])
        rows.setdefault(key, {'protocol': r['protocol'], 'ser': [], 'parse': []})
        rows[key]['ser'].append(r['serialize_ns'])
        rows[key]['parse'].append(r['parse_ns'])
    same = {}
    boto = {r['name']: r['output'] for r in lines(botocore_check)}
    for r in lines(uvaws_check):
        same[r['name']] = normal(r['output']) == normal(boto.get(r['name']))
    runs = len(rows[(order[0], 'uvaws')]['ser'])
    print(f'Operation layer alone, ns per operation: median of {runs} runs '
          '(serialize: check + serialize the parameters; parse: the answer into the output)')
    print(f'{cpu_model()}, {os.cpu_count()} CPUs; botocore {botocore_version()} on CPython')
    print()
    print(f'{"operation":<20} {"protocol":<9} {"uvaws ser":>10} {"uvaws parse":>12} '
          f'{"botocore ser":>13} {"botocore parse":>15} {"x ser":>6} {"x parse":>8}  same')
    bad = False
    for name in order:
        u, b = rows[(name, 'uvaws')], rows.get((name, 'botocore'))
        us, up = statistics.median(u['ser']), statistics.median(u['parse'])
        line = f'{name:<20} {u["protocol"]:<9} {us:>10.0f} {up:>12.0f} '
        if b:
            bs, bp = statistics.median(b['ser']), statistics.median(b['parse'])
            line += f'{bs:>13.0f} {bp:>15.0f} {bs / us:>6.1f} {bp / up:>8.1f}'
        else:
            line += f'{"":>13} {"":>15} {"":>6} {"":>8}'
        if not boto:  # --no-peers: nothing to compare with
            print(line + '  -')
            continue
        ok = same.get(name, False)
        bad |= not ok
        print(line + ('  ✓' if ok else '  ✗'))
    print()
    print('x: botocore\'s median over uvaws\'s (how many times slower botocore is)')
    return 1 if bad else 0


def botocore_version():
    try:
        import botocore
        return botocore.__version__
    except ImportError:
        return '?'


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
