#!/bin/sh
# Instruction counts (valgrind --tool=callgrind): repeatable whatever else
# the machine is doing, so they show a change of a few percent that timings
# on a shared machine cannot. Under valgrind OpenSSL runs without SHA-NI and
# AES-NI, so the crypto counts high against real hardware: compare rows
# with each other, not with the timed benchmarks.
#   - per request: a client run with --small and --large requests against the
#     local nginx (plain HTTP/1.1), (count(large) - count(small)) / (large -
#     small), so that start-up and teardown cancel out: uvaws_fetch,
#     uvaws_call, the raw loop, the raw loop with uvaws's extra header bytes
#     (--pad), the lean loop (--lean) without and with them, the raw loop
#     with CURLOPT_AWS_SIGV4;
#   - per signature: bench_sigv4 --only CASE --count N the same way.
# Writes bench/results/callgrind.jsonl and bench/results/callgrind.txt.
#
#   bench/run_callgrind.sh [--small N] [--large N] [--pad N]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
small=1000
large=4000
pad=285
while [ $# -gt 0 ]; do
  case $1 in
    --small) small=$2; shift 2 ;;
    --large) large=$2; shift 2 ;;
    --pad) pad=$2; shift 2 ;;
    *) echo "usage: $0 [--small N] [--large N] [--pad N]" >&2; exit 2 ;;
  esac
done
command -v valgrind >/dev/null || { echo "$0: needs valgrind" >&2; exit 1; }
. "$bench/build.sh"
bench_build bench/bench_client_uvaws bench/bench_client_raw bench/bench_sigv4
. "$bench/nginx.sh"
tmp=$(mktemp -d)
trap 'nginx_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
nginx_start "$tmp" 4096 1024

mkdir -p "$bench/results"
out="$bench/results/callgrind.jsonl"
: >"$out"
B="$build/bench"

# Instructions valgrind counted for one command.
count() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.out" "$@" >/dev/null 2>"$tmp/cg.err" ||
    { cat "$tmp/cg.err" >&2; exit 1; }
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$tmp/cg.err"
}

# NAME UNIT N1 N2 COMMAND... (the command gets the count appended by the caller's flag)
per() {
  name=$1 unit=$2 flag=$3
  shift 3
  echo "callgrind: $name ..." >&2
  a=$(count "$@" "$flag" "$small")
  b=$(count "$@" "$flag" "$large")
  printf '{"name":"%s","unit":"%s","small":%s,"large":%s,"ir_small":%s,"ir_large":%s,"ir_per":%s}\n' \
    "$name" "$unit" "$small" "$large" "$a" "$b" "$(( (b - a) / (large - small) ))" >>"$out"
}

per uvaws request --requests "$B/bench_client_uvaws" --url "$url"
per uvaws_call request --requests "$B/bench_client_uvaws" --url "$url" --call
per raw request --requests "$B/bench_client_raw" --url "$url/"
per raw_pad request --requests "$B/bench_client_raw" --url "$url/" --pad "$pad"
per raw_lean request --requests "$B/bench_client_raw" --url "$url/" --lean
per raw_lean_pad request --requests "$B/bench_client_raw" --url "$url/" --lean --pad "$pad"
per raw_sigv4 request --requests "$B/bench_client_raw" --url "$url/" --sigv4
for k in uvaws_cached uvaws_cold uvaws_presign_s3 openssl_floor; do
  per "$k" signature --count "$B/bench_sigv4" --only "$k"
done
python3 "$bench/report.py" callgrind "$out" | tee "$bench/results/callgrind.txt"
