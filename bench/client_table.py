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
    ('uvaws', 'uvaws (signed; retries on)', 'uvaws'),
    ('uvaws_noretry', 'uvaws (signed; max_attempts 1)', 'uvaws, max_attempts 1'),
    ('uvaws_call', 'uvaws_call GetItem (operation layer)', 'uvaws_call'),
    ('raw', 'raw curl multi-uv (unsigned)', 'raw multi-uv'),
    ('raw_sigv4', 'raw + CURLOPT_AWS_SIGV4', 'raw + AWS_SIGV4'),
    ('sdk_js_v3', 'AWS SDK for JavaScript v3', 'JS SDK v3'),
    ('wrk', 'wrk -t1 (floor, unsigned)', 'wrk (floor)'),
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


def table(jsonl, data_file):
    runs = {}
    other = []
    for line in open(jsonl):
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get('run', 0) > 0:
            runs.setdefault(r['name'], {})[r['run']] = r
        else:
            other.append(r)
    med = statistics.median
    raw = runs.get('raw', {})
    first = runs.get('uvaws') or next(iter(runs.values()))
    any_run = next(iter(first.values()))
    print(f"Client benchmark: DynamoDB GetItem POSTs (89-byte body) to a local nginx, "
          f"{any_run['inflight']} in flight")
    print(f"median of {len(first)} rounds; uvaws/raw {any_run['requests']} requests a run"
          + (f", SDK {runs['sdk_js_v3'][min(runs['sdk_js_v3'])]['requests']}"
             if 'sdk_js_v3' in runs else '')
          + (f", wrk {runs['wrk'][min(runs['wrk'])]['seconds']:.0f} s" if 'wrk' in runs else ''))
    print(f'{cpu_model()}, {os.cpu_count()} CPUs; CPU = user+sys of the client process alone')
    print()
    print(f"{'client':<32} {'req/s':>9} {'CPU µs/req':>11} {'x raw':>7} {'peak RSS MB':>12} {'failed':>7}")
    data = []
    for name, label, short in ROWS:
        rr = runs.get(name)
        if not rr:
            continue
        rps = med(r['rps'] for r in rr.values())
        cpu = med(r['cpu_us_per_req'] for r in rr.values())
        rss = med(r['maxrss_kb'] for r in rr.values()) / 1024
        ratios = [rr[k]['cpu_us_per_req'] / raw[k]['cpu_us_per_req'] for k in rr if k in raw]
        x = med(ratios) if ratios else float('nan')
        failed = sum(r['failed'] for r in rr.values())
        print(f'{label:<32} {rps:9.0f} {cpu:11.1f} {x:7.2f} {rss:12.1f} {failed:7d}')
        data.append((short, rps, cpu))
    with open(data_file, 'w') as f:
        f.write('# client  requests_per_s  cpu_us_per_request\n')
        for label, rps, cpu in data:
            f.write(f'"{label}" {rps:.1f} {cpu:.3f}\n')
    print()
    sc = {}
    for r in other:
        if r['name'].startswith('syscalls_'):
            sc.setdefault(r['name'][9:], []).append(f"{r['per_request']:.2f} ({r['method']})")
    for c in ('uvaws', 'raw'):
        if c in sc:
            print(f"syscalls per request, {c}: {', '.join(sc[c])}")
    for r in other:
        if r['name'] == 'uvaws_queue_heap':
            print(f"heap per queued uvaws request: {r['bytes_per_queued']:.0f} B, "
                  f"{r['bytes_per_queued_less_body']:.0f} B beyond its {r['body_bytes']}-byte body "
                  f"({r['queued']} queued, mallinfo2)")
        if r['name'] == 'uvaws_big':
            print(f"{r['inflight']} in flight at once (uvaws, max_clients {r['inflight']}): "
                  f"{r['ok']}/{r['requests']} succeeded in {r['seconds']:.2f} s, "
                  f"{r.get('connections', '?')} connections, peak RSS {r['maxrss_kb'] / 1024:.1f} MB")
    return 0


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({'wrk': wrk, 'strace': strace, 'perf': perf, 'table': table}[cmd](*args) or 0)
