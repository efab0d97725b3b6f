#!/bin/sh
# The whole benchmark report from one command: every benchmark, then the
# figures sections of bench/README.md and README.md rewritten and the charts
# copied to docs/.
#
#   scripts/bench.sh report [--quick]
#
# In order: sigv4 (interleaved runs, 11), client (plain, TLS 1.3 HTTP/1.1,
# TLS 1.3 HTTP/2; 5 interleaved rounds of 100,000 requests), soak (1,000,000
# requests; 10,000 at once), the operation layer alone beside botocore (7
# runs), a perf profile of uvaws_fetch (when perf can sample), and the
# callgrind instruction counts. --quick runs everything
# smaller, to check the pipeline (its figures are not worth quoting).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1; shift ;;
    *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
  esac
done
start=$(date +%s)
start_load=$(cut -d' ' -f1 /proc/loadavg)
# The code measured: later commits are not in these figures.
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git -C "$root" status --porcelain -- lib include bench 2>/dev/null)" ]; then
  commit="$commit with uncommitted changes"
fi
if [ $quick = 1 ]; then
  sig="--runs 3" cli="--requests 5000 --runs 2 --sdk-requests 500 --wrk-seconds 2 --syscall-requests 2000"
  soak="--requests 50000 --sample 5000 --warmup 10000 --big 1000" prof=5000 cg="--small 200 --large 600"
  ops="--runs 2"
else
  sig="--runs 11" cli="" soak="" prof=50000 cg="" ops="--runs 7"
fi

# shellcheck disable=SC2086
sh "$bench/run_sigv4.sh" $sig
# shellcheck disable=SC2086
sh "$bench/run_client.sh" $cli
# shellcheck disable=SC2086
sh "$bench/run_soak.sh" $soak
# shellcheck disable=SC2086
sh "$bench/run_ops.sh" $ops

# Where uvaws_fetch's CPU goes: perf's sampling of the real process (no
# valgrind), all of it and uvaws's own code apart.
rm -f "$bench/results/perf.md"
if command -v perf >/dev/null && perf record -q -e cpu-clock -o /dev/null true 2>/dev/null; then
  . "$bench/nginx.sh"
  tmp=$(mktemp -d)
  trap 'nginx_stop; rm -rf "$tmp"' EXIT
  nginx_start "$tmp" 4096 1024
  echo "perf: uvaws_fetch, $prof requests ..." >&2
  perf record -q -e cpu-clock -F 5000 -o "$tmp/perf.data" \
    "$build/bench/bench_client_uvaws" --url "$url" --requests "$prof" >/dev/null 2>&1
  perf report -i "$tmp/perf.data" --sort dso,sym --stdio 2>/dev/null >"$tmp/perf.txt"
  python3 "$bench/report.py" perf "$tmp/perf.txt" >"$bench/results/perf.md"
  nginx_stop
fi

# shellcheck disable=SC2086
sh "$bench/run_callgrind.sh" $cg

for f in client soak; do
  [ -f "$bench/results/$f.png" ] && cp "$bench/results/$f.png" "$root/docs/bench-$f.png"
done
python3 "$bench/report.py" write $(( $(date +%s) - start )) "$start_load" "$commit"
echo "report: bench/README.md and README.md rewritten in $(( $(date +%s) - start )) s" >&2
