"""The benchmark report: tables from the results of bench/run_*.sh, and the
figures sections of bench/README.md and README.md rewritten from them.

  report.py callgrind RESULTS.jsonl     the instruction-count table
  report.py perf PERF_REPORT.txt        top symbols of a perf report, as a table
  report.py write SECONDS START_LOAD [COMMIT]
                                        rewrites the marked sections of
                                        bench/README.md and README.md from
                                        bench/results/ (run_report.sh calls it)

A marked section lies between '<!-- report:NAME -->' and '<!-- /report:NAME -->';
everything outside the markers is left alone.
"""
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

from machine import cpu_model

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, 'results')

CALLGRIND_ROWS = [
    ('uvaws', 'uvaws_fetch, per request'),
    ('uvaws_call', 'uvaws_call GetItem, per request'),
    ('raw', 'raw curl multi-uv (unsigned), per request'),
    ('raw_pad', 'raw + uvaws\'s extra header bytes (unsigned), per request'),
    ('raw_lean', 'raw, lean (unsigned), per request'),
    ('raw_lean_pad', 'raw, lean + uvaws\'s extra bytes (unsigned), per request'),
    ('raw_sigv4', 'raw + CURLOPT_AWS_SIGV4, per request'),
    ('uvaws_cached', 'uvaws signature, cached key'),
    ('uvaws_cold', 'uvaws signature, cold key'),
    ('uvaws_presign_s3', 'uvaws presigned S3 URL'),
    ('openssl_floor', 'OpenSSL floor (2 SHA-256 + 1 HMAC)'),
]


def jsonl(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def callgrind(path):
    res = {r['name']: r for r in (json.loads(l) for l in open(path) if l.strip())}
    print('Instructions (callgrind; OpenSSL without SHA-NI under valgrind)')
    print()
    print(f"{'what':<58} {'instructions':>13} {'x':>6}")
    for name, label in CALLGRIND_ROWS:
        r = res.get(name)
        if r is None:
            continue
        base = res.get('raw' if r['unit'] == 'request' else 'openssl_floor')
        x = f"{r['ir_per'] / base['ir_per']:6.2f}" if base else ''
        print(f"{label:<58} {r['ir_per']:13,} {x}")
    print()
    print('x: over the raw loop (requests) or the OpenSSL floor (signatures); per request is '
          f"(count at {r['large']} - count at {r['small']}) / {r['large'] - r['small']}")
    return 0


def perf(path, top=12):
    """perf report --sort dso,sym --stdio: the top symbols overall and the top
    ones of uvaws's own code (the bench binary, where the library is linked)."""
    rows = []
    for line in open(path):
        m = re.match(r'\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$', line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3).strip()))
    own = [r for r in rows if r[1].startswith('bench_client')]
    by_dso = {}
    for pct, dso, _ in rows:
        name = 'uvaws (the bench binary)' if dso.startswith('bench_client') else dso
        by_dso[name] = by_dso.get(name, 0) + pct
    print('By library: ' + ', '.join(f'{d} {p:.1f}%' for d, p in
                                     sorted(by_dso.items(), key=lambda kv: -kv[1]) if p >= 0.5)
          + ' (libcrypto is the signature\'s SHA-256 and HMAC).')
    print()
    print('| % of the client\'s CPU | where | symbol |')
    print('|---:|---|---|')
    for pct, dso, sym in rows[:top]:
        print(f'| {pct:.2f} | {dso} | `{sym}` |')
    print()
    print(f'uvaws\'s own code: {sum(r[0] for r in own):.1f}% of the client\'s CPU in all; '
          'its top symbols:')
    print()
    print('| % | symbol |')
    print('|---:|---|')
    for pct, dso, sym in own[:top]:
        print(f'| {pct:.2f} | `{sym}` |')
    return 0


def version(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
        return (out.stdout + out.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.SubprocessError):
        return '?'


def machine(seconds, start_load, commit='unknown'):
    debian = '?'
    if os.path.exists('/etc/debian_version'):
        debian = open('/etc/debian_version').read().strip()
    curl = version(['curl', '--version'])
    m = re.search(r'libcurl/([\d.]+) (OpenSSL/[\d.]+)', curl)
    node = version(['node', '--version'])
    nginx = version(['nginx', '-v']).replace('nginx version: ', '')
    end_load = os.getloadavg()[0]
    return (f'{cpu_model()}, {os.cpu_count()} CPUs, Linux {platform.release()}, Debian {debian}; '
            f"libcurl {m.group(1) if m else '?'}, {m.group(2) if m else 'OpenSSL ?'}, "
            f'{nginx}, Node {node}. Load average {float(start_load):.1f} at the start, '
            f'{end_load:.1f} at the end; `scripts/bench.sh report` took {int(seconds) // 60} min '
            f'{int(seconds) % 60} s, {time.strftime("%Y-%m-%d", time.gmtime())}, on commit {commit}.')


def client_summary():
    """{(transport, name): median over rounds, per-round ratio to raw, to uvaws}."""
    rows = [r for r in jsonl('client.jsonl') if r.get('run', 0) > 0]
    by = {}
    for r in rows:
        by.setdefault((r['transport'], r['name']), {})[r['run']] = r
    out = {}
    med = statistics.median
    for (t, n), rr in by.items():
        raw = by.get((t, 'raw'), {})
        uv = by.get((t, 'uvaws'), {})
        out[(t, n)] = {
            'cpu': med(r['cpu_us_per_req'] for r in rr.values()),
            'rps': med(r['rps'] for r in rr.values()),
            'rss': med(r['maxrss_kb'] for r in rr.values()) / 1024,
            'conns': max(r.get('server_connections', -1) for r in rr.values()),
            'requests': next(iter(rr.values()))['requests'],
            'x_raw': med(rr[k]['cpu_us_per_req'] / raw[k]['cpu_us_per_req']
                         for k in rr if k in raw) if raw else float('nan'),
            'x_uvaws': med(rr[k]['cpu_us_per_req'] / uv[k]['cpu_us_per_req']
                           for k in rr if k in uv) if uv else float('nan'),
            'rounds': len(rr),
        }
    return out


def targets():
    c = client_summary()
    sig = {r['name']: r for r in jsonl('sigv4.jsonl')}
    soak = {r['name']: r for r in jsonl('soak.jsonl')}
    lines = ['| target | measured | |', '|---|---|---|']

    def row(what, value, ok):
        lines.append(f"| {what} | {value} | {'met' if ok else '**not met**'} |")

    names = {'plain': 'plain', 'tls': 'TLS 1.3 HTTP/1.1', 'h2': 'TLS 1.3 HTTP/2'}
    for t in ('tls', 'h2'):
        for n in ('uvaws', 'raw'):
            v = c.get((t, n))
            if v:
                want = 64 if t == 'tls' else 1
                row(f'{names[t]}: connection reuse, {n} ({v["requests"]:,} requests)',
                    f"{v['conns']} handshakes", 0 <= v['conns'] <= want)
    for t in ('plain', 'tls', 'h2'):
        v = c.get((t, 'uvaws'))
        if v:
            floor = c.get((t, 'raw_lean_pad'))
            why = (f" (the lean loop sending the same bytes unsigned: {floor['x_raw']:.2f}x)"
                   if floor else '')
            row(f'{names[t]}: uvaws_fetch CPU/request <= 0.80x the raw loop',
                f"{v['x_raw']:.2f}x{why}", v['x_raw'] <= 0.80)
        v = c.get((t, 'uvaws_call'))
        if v:
            row(f'{names[t]}: uvaws_call <= 1.10x uvaws_fetch', f"{v['x_uvaws']:.2f}x",
                v['x_uvaws'] <= 1.10)
    if 'uvaws_cached' in sig:
        x = sig['uvaws_cached'].get('x_floor', float('nan'))
        row('cached-key GetItem signature <= 1.25x the crypto floor', f'{x:.2f}x', x <= 1.25)
    s = soak.get('uvaws_soak')
    if s:
        warm = s.get('warmup', 100000)
        after = [x for x in s['samples'] if x[0] >= warm]
        rss = max(x[1] for x in after) - min(x[1] for x in after)
        fds = max(x[2] for x in after) - min(x[2] for x in after)
        row(f"soak, {s['requests']:,} requests at {s['inflight']}: RSS flat after "
            f"{warm:,} (within 1 MB)", f'{rss} KB range', rss <= 1024)
        row('soak: no growth of open descriptors', f'{fds} more at most', fds == 0)
    q = soak.get('uvaws_queue_heap')
    if q:
        row(f"heap per queued request, {q['queued']:,} at once, beyond its body <= 512 B",
            f"{q['bytes_per_queued_less_body']:.0f} B", q['bytes_per_queued_less_body'] <= 512)
    b = soak.get('uvaws_big')
    if b:
        row(f"{b['inflight']:,} in flight at once", f"{b['ok']:,}/{b['requests']:,} ok",
            b['failed'] == 0)
    return '\n'.join(lines)


def fenced(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        return f'(no {name}: that part of the report did not run)'
    return '```\n' + open(path).read().rstrip() + '\n```'


def readme_summary():
    """The short quote for README.md's performance section."""
    c = client_summary()
    sig = {r['name']: r for r in jsonl('sigv4.jsonl')}
    soak = {r['name']: r for r in jsonl('soak.jsonl')}
    out = []
    if sig:
        out.append('| signer (one DynamoDB GetItem signature) | ns | x the crypto floor |')
        out.append('|---|---:|---:|')
        floor = sig.get('openssl_floor', {}).get('median_ns')
        for n, label in (('uvaws_cached', 'uvaws, cached signing key'),
                         ('uvaws_cold', 'uvaws, cold key (first request of a day)'),
                         ('uvaws_presign_s3', 'uvaws, presigned S3 URL'),
                         ('openssl_floor', 'the OpenSSL crypto a signature needs, nothing else'),
                         ('libcurl_aws_sigv4', "libcurl's `CURLOPT_AWS_SIGV4`"),
                         ('aws4', 'npm `aws4`'),
                         ('smithy', '`@smithy/signature-v4` (the JavaScript SDK\'s)'),
                         ('botocore', 'botocore')):
            r = sig.get(n)
            if r:
                x = r.get('x_floor') or (r['median_ns'] / floor if floor else float('nan'))
                out.append(f"| {label} | {r['median_ns']:,.0f} | {x:.2f} |")
        out.append('')
    if c:
        out.append('| client, CPU µs per request (x the raw loop) | plain HTTP/1.1 | '
                   'TLS 1.3, HTTP/1.1 | TLS 1.3, HTTP/2 |')
        out.append('|---|---:|---:|---:|')
        for n, label in (('uvaws', '`uvaws_fetch`'), ('uvaws_call', '`uvaws_call` GetItem'),
                         ('raw', 'raw libcurl multi on libuv (unsigned)'),
                         ('raw_pad', 'raw + the header bytes a signature adds (unsigned)'),
                         ('raw_lean', 'raw, driven lean as uvaws drives libcurl (unsigned)'),
                         ('raw_lean_pad', 'lean + the header bytes a signature adds: '
                          'the floor of a signed request on libcurl 7.88'),
                         ('raw_sigv4', "raw + libcurl's `CURLOPT_AWS_SIGV4`"),
                         ('sdk_js_v3', 'AWS SDK for JavaScript v3')):
            cells = []
            for t in ('plain', 'tls', 'h2'):
                v = c.get((t, n))
                cells.append(f"{v['cpu']:.1f} ({v['x_raw']:.2f})" if v else '')
            if any(cells):
                out.append(f"| {label} | {' | '.join(cells)} |")
        calls = [f"{names} {c[(t, 'uvaws_call')]['x_uvaws']:.2f}x"
                 for t, names in (('plain', 'plain'), ('tls', 'TLS'), ('h2', 'HTTP/2'))
                 if (t, 'uvaws_call') in c]
        if calls:
            out.append('')
            out.append('`uvaws_call` over `uvaws_fetch`, CPU per request: ' + ', '.join(calls) +
                       '.')
        out.append('')
    s = soak.get('uvaws_soak')
    q = soak.get('uvaws_queue_heap')
    if s and q:
        after = [x for x in s['samples'] if x[0] >= s.get('warmup', 100000)]
        out.append(f"Soak: {s['requests']:,} requests at {s['inflight']} in flight, "
                   f"{s['failed']} failed, RSS within "
                   f"{max(x[1] for x in after) - min(x[1] for x in after)} KB after warm-up, "
                   f"open descriptors {min(x[2] for x in after)} to {max(x[2] for x in after)}; "
                   f"{q['bytes_per_queued_less_body']:.0f} bytes of heap per queued request "
                   f"beyond its body.")
    return '\n'.join(out)


def replace(path, name, text):
    s = open(path).read()
    begin, end = f'<!-- report:{name} -->', f'<!-- /report:{name} -->'
    if begin not in s or end not in s:
        print(f'{path}: no {begin} ... {end}: not rewritten', file=sys.stderr)
        return
    head, rest = s.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(path, 'w').write(f'{head}{begin}\n{text}\n{end}{tail}')


def write(seconds, start_load, commit='unknown'):
    bench_readme = os.path.join(HERE, 'README.md')
    replace(bench_readme, 'machine', machine(float(seconds), start_load, commit))
    replace(bench_readme, 'targets', targets())
    replace(bench_readme, 'sigv4', fenced('sigv4.txt'))
    replace(bench_readme, 'client', fenced('client.txt'))
    replace(bench_readme, 'soak', fenced('soak.txt'))
    replace(bench_readme, 'ops', fenced('ops.txt'))
    replace(bench_readme, 'callgrind', fenced('callgrind.txt'))
    perf_md = os.path.join(RESULTS, 'perf.md')
    replace(bench_readme, 'perf', open(perf_md).read().rstrip() if os.path.exists(perf_md)
            else '(perf did not run)')
    replace(os.path.join(ROOT, 'README.md'), 'performance',
            machine(float(seconds), start_load, commit) + '\n\n' + readme_summary())
    return 0


if __name__ == '__main__':
    cmd, args = sys.argv[1], sys.argv[2:]
    sys.exit({'callgrind': callgrind, 'perf': perf, 'write': write}[cmd](*args) or 0)
