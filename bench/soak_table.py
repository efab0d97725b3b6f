"""The summary of bench/run_soak.sh.

  soak_table.py RESULTS.jsonl WARMUP DATA_FILE

From the soak's samples ([answers, rss_kb, fds] every N answers): RSS at the
end of warm-up, its range after it (target: within 1 MB), open descriptors
after warm-up (target: no growth); then heap per queued request (target:
512 bytes beyond its body) and the run with everything in flight at once.
DATA_FILE gets the samples for gnuplot.
"""
import json
import os
import sys

from machine import cpu_model

RSS_TARGET_KB = 1024
HEAP_TARGET_B = 512


def main(jsonl, warmup, data_file):
    warmup = int(warmup)
    res = {}
    for line in open(jsonl):
        if line.strip():
            r = json.loads(line)
            res[r['name']] = r
    print(f'uvaws soak and memory, local nginx (plain HTTP/1.1); {cpu_model()}, '
          f'{os.cpu_count()} CPUs')
    ok = True
    soak = res.get('uvaws_soak')
    if soak:
        samples = soak['samples']
        with open(data_file, 'w') as f:
            f.write('# answers  rss_kb  open_fds\n')
            for n, rss, fds in samples:
                f.write(f'{n} {rss} {fds}\n')
        after = [s for s in samples if s[0] >= warmup]
        rss = [s[1] for s in after]
        fds = [s[2] for s in after]
        grow_kb = max(rss) - min(rss)
        fd_grow = max(fds) - min(fds)
        print(f"{soak['requests']} requests, {soak['inflight']} in flight: {soak['ok']} ok, "
              f"{soak['failed']} failed, {soak['seconds']:.1f} s ({soak['rps']:.0f} req/s), "
              f"{soak['cpu_us_per_req']:.1f} µs CPU a request, {soak['connections']} connections")
        print(f"RSS sampled every {samples[0][0]} answers ({len(samples)} samples): "
              f"{samples[0][1] / 1024:.1f} MB at the first, {min(rss) / 1024:.2f} to "
              f"{max(rss) / 1024:.2f} MB after {warmup} (range {grow_kb} KB; target within "
              f"{RSS_TARGET_KB} KB: {'met' if grow_kb <= RSS_TARGET_KB else 'NOT met'})")
        print(f"open descriptors after warm-up: {min(fds)} to {max(fds)} "
              f"({'no growth' if fd_grow == 0 else f'grew by {fd_grow}'})")
        ok &= grow_kb <= RSS_TARGET_KB and fd_grow == 0 and soak['failed'] == 0
    q = res.get('uvaws_queue_heap')
    if q:
        beyond = q['bytes_per_queued_less_body']
        print(f"heap per queued request: {q['queued']} queued at once ({q['in_flight']} in flight),"
              f" {q['bytes_per_queued']:.0f} B each, {beyond:.0f} B beyond its "
              f"{q['body_bytes']}-byte body (mallinfo2; target {HEAP_TARGET_B} B: "
              f"{'met' if beyond <= HEAP_TARGET_B else 'NOT met'})")
        ok &= beyond <= HEAP_TARGET_B
    big = res.get('uvaws_big')
    if big:
        print(f"{big['inflight']} in flight at once (max_clients {big['inflight']}): "
              f"{big['ok']}/{big['requests']} succeeded in {big['seconds']:.2f} s, "
              f"{big['connections']} connections, peak RSS {big['maxrss_kb'] / 1024:.1f} MB")
        ok &= big['failed'] == 0
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main(*sys.argv[1:]))
