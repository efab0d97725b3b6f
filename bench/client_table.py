"""Helpers of the client benchmark (bench/run_client.sh).

  client_table.py wrk WRK_OUTPUT TIME_OUTPUT INFLIGHT   wrk's run as a JSON line
  client_table.py strace CLIENT STRACE_C_FILE REQUESTS  syscalls per request (strace -c)
  client_table.py perf CLIENT PERF_STAT_FILE REQUESTS   the same from perf stat -x,
  client_table.py table RESULTS.jsonl DATA_FILE         the one table; DATA_FILE for gnuplot

The table shows, per client, the medians over the rounds of requests/s, CPU
µs per request and peak RSS; `x raw` is the median over the rounds of the
client's CPU per request over the raw baseline's in the same round.
"""
import json
import os
import re
import statistics
import sys

from machine import cpu_model

ROWS = [  # name, label in the table, label in the chart
    ('uvaws', 'uvaws_fetch (signed)', 'uvaws_fetch'),
    ('uvaws_call', 'uvaws_call GetItem (operation layer)', 'uvaws_call'),
    ('raw', 'raw curl multi-uv (unsigned)', 'raw multi-uv'),
    ('raw_pad', 'raw + 285 B of headers (unsigned)', 'raw + 285 B'),
    ('raw_lean', 'raw, lean (unsigned)', 'raw lean'),
    ('raw_lean_pad', 'raw, lean + 285 B (unsigned): the floor', 'lean + 285 B'),
    ('raw_sigv4', 'raw + CURLOPT_AWS_SIGV4', 'raw + AWS_SIGV4'),
    ('sdk_js_v3', 'AWS SDK for JavaScript v3', 'JS SDK v3'),
    ('wrk', 'wrk -t1 (floor, unsigned)', 'wrk (floor)'),
]
TRANSPORTS = [  # name, heading
    ('plain', 'plain HTTP/1.1, keep-alive'),
    ('tls', 'TLS 1.3, HTTP/1.1 keep-alive'),
    ('h2', 'TLS 1.3, HTTP/2 multiplexed'),
]


def wrk(out_file, time_file, inflight):
    text = open(out_file).read()
    m = re.search(r'(\d+) requests in ([\d.]+)(m?s)', text)
    n, secs = int(m.group(1)), float(m.group(2))
    if m.group(3) == 'ms':
        secs /= 1000
    bad = re.search(r'Non-2xx or 3xx responses: (\d+)', text)
    errs = re.search(r'Socket errors: (.*)', text)
    user, sys_, rss = open(time_file).read().split()[-3:]
    cpu = float(user) + float(sys_)
    failed = int(bad.group(1)) if bad else 0
    print(json.dumps({
        'name': 'wrk', 'requests': n, 'inflight': int(inflight), 'ok': n - failed,
        'failed': failed, 'seconds': secs, 'rps': round(n / secs, 1),
        'cpu_us_per_req': round(cpu * 1e6 / n, 3), 'maxrss_kb': int(rss),
        'socket_errors': errs.group(1).strip() if errs else ''}))


def strace(client, file, requests):
    calls = None
    for line in open(file):
        f = line.split()
        if f and f[-1] == 'total':
            calls = int(f[3])
    print(json.dumps({'name': f'syscalls_{client}', 'method': 'strace -f -c',
                      'requests': int(requests), 'syscalls': calls,
                      'per_request': round(calls / int(requests), 2)}))


def perf(client, file, requests):
    calls = None
    for line in open(file):
        f = line.strip().split(',')
        if len(f) > 2 and 'raw_syscalls:sys_enter' in f[2]:
            calls = int(f[0])
    print(json.dumps({'name': f'syscalls_{client}', 'method': 'perf stat raw_syscalls:sys_enter',
                      'requests': int(requests), 'syscalls': calls,
                      'per_request': round(calls / int(requests), 2)}))


def load(jsonl):
    """{(transport, name): {round: result}} and the lines that belong to no round."""
    runs, other = {}, []
    for line in open(jsonl):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get('run', 0) > 0:
            runs.setdefault((r.get('transport', 'plain'), r['name']), {})[r['run']] = r
        else:
            other.append(r)
    return runs, other


def summary(runs):
    """Per (transport, name): medians over the rounds, and x raw, the median of
    the per-round ratios to the raw baseline on the same transport."""
    med = statistics.median
    out = {}
    for (t, name), rr in runs.items():
        raw = runs.get((t, 'raw'), {})
        ratios = [rr[k]['cpu_us_per_req'] / raw[k]['cpu_us_per_req'] for k in rr if k in raw]
        conns = [r.get('server_connections') for r in rr.values()]
        out[(t, name)] = {
            'rounds': len(rr),
            'requests': next(iter(rr.values()))['requests'],
            'rps': med(r['rps'] for r in rr.values()),
            'cpu': med(r['cpu_us_per_req'] for r in rr.values()),
            'user': med(r.get('user_us_per_req', float('nan')) for r in rr.values()),
            'sys': med(r.get('sys_us_per_req', float('nan')) for r in rr.values()),
            'rss_mb': med(r['maxrss_kb'] for r in rr.values()) / 1024,
            'x_raw': med(ratios) if ratios else float('nan'),
            'x_raw_all': sorted(ratios),
            'conns': max(c for c in conns if c is not None) if any(
                c is not None for c in conns) else None,
            'failed': sum(r['failed'] for r in rr.values()),
        }
    return out


def table(jsonl, data_file):
    runs, other = load(jsonl)
    s = summary(runs)
    any_run = next(iter(runs.values()))
    first = any_run[min(any_run)]
    rounds = max(v['rounds'] for v in s.values())
    sdk = [v['requests'] for (t, n), v in s.items() if n == 'sdk_js_v3']
    wrk_s = [r['seconds'] for (t, n), rr in runs.items() if n == 'wrk' for r in rr.values()]
    print(f"Client benchmark: DynamoDB GetItem POSTs (89-byte body) to a local nginx, "
          f"{first['inflight']} in flight")
    print(f"median of {rounds} interleaved rounds; uvaws/raw "
          f"{s.get(('plain', 'uvaws'), s.get(('tls', 'uvaws'), {'requests': '?'}))['requests']}"
          f" requests a run" + (f", SDK {sdk[0]}" if sdk else '')
          + (f", wrk {statistics.median(wrk_s):.0f} s" if wrk_s else ''))
    print(f'{cpu_model()}, {os.cpu_count()} CPUs; CPU = user+sys of the client process alone; '
          f'x raw = CPU/request over the raw loop\'s, same transport, same round; '
          f'conns = connections nginx accepted in a run (over TLS: handshakes), the most of any round')
    hdr = (f"{'client':<38} {'req/s':>8} {'CPU µs/req':>11} {'user':>7} {'sys':>7} {'x raw':>6} "
           f"{'peak RSS MB':>12} {'conns':>6} {'failed':>7}")
    data = []
    for t, heading in TRANSPORTS:
        rows = [(n, l, c) for n, l, c in ROWS if (t, n) in s]
        if not rows:
            continue
        print()
        print(heading)
        print(hdr)
        for name, label, short in rows:
            v = s[(t, name)]
            conns = '' if v['conns'] is None else str(v['conns'])
            print(f"{label:<38} {v['rps']:8.0f} {v['cpu']:11.1f} {v['user']:7.1f} {v['sys']:7.1f} "
                  f"{v['x_raw']:6.2f} {v['rss_mb']:12.1f} {conns:>6} {v['failed']:7d}")
            data.append((t, short, v['rps'], v['cpu']))
    with open(data_file, 'w') as f:
        # one line per client: CPU µs/request and requests/s on each transport
        f.write('# client  cpu_plain cpu_tls cpu_h2  rps_plain rps_tls rps_h2\n')
        for name, label, short in ROWS:
            cells = {t: (rps, cpu) for t, sh, rps, cpu in data if sh == short}
            if not cells:
                continue
            cpu = [f"{cells[t][1]:.3f}" if t in cells else 'NaN' for t, _ in TRANSPORTS]
            rps = [f"{cells[t][0]:.1f}" if t in cells else 'NaN' for t, _ in TRANSPORTS]
            f.write(f'"{short}" {" ".join(cpu)} {" ".join(rps)}\n')
    print()
    sc = {}
    for r in other:
        if r['name'].startswith('syscalls_'):
            sc.setdefault(r['name'][9:], []).append(f"{r['per_request']:.2f} ({r['method']})")
    for c in ('uvaws', 'raw'):
        if c in sc:
            print(f"syscalls per request, plain, {c}: {', '.join(sc[c])}")
    return 0


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({'wrk': wrk, 'strace': strace, 'perf': perf, 'table': table}[cmd](*args) or 0)
