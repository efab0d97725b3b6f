#!/bin/sh
# The client benchmark (issue 3; the retry-cost figure of issue 5): DynamoDB
# GetItem-shaped POSTs to a local nginx (bench/nginx.conf) on 127.0.0.1,
# --inflight in flight, from
#   uvaws (signing included; retries on, and with max_attempts 1),
#   the raw libcurl-on-libuv baseline of curl's multi-uv.c (unsigned, and
#   with libcurl's CURLOPT_AWS_SIGV4), the AWS SDK for JavaScript v3, and wrk.
# Each client runs in a process of its own, so that the CPU it reports is its
# own; every round runs every client once, and the table shows the median of
# the rounds ("x raw" is the median over the rounds of CPU/request over the
# raw baseline's in the same round). Then syscalls per request (strace -c,
# and perf stat when the kernel lets it count), uvaws's heap per queued
# request, and a run with 10,000 in flight at once.
#
# Prints one table and writes it to bench/results/client.txt, every
# measurement as JSON lines to bench/results/client.jsonl and the chart to
# bench/results/client.png.
#
#   bench/run_client.sh [--requests N] [--runs N] [--inflight N]
#                       [--sdk-requests N] [--no-sdk] [--wrk-seconds S]
#                       [--syscall-requests N] [--big N]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
requests=100000
runs=3
inflight=64
sdk=1
sdk_requests=20000 # the SDK spends ~0.5 ms of CPU per request: 100,000 would take minutes
wrk_seconds=10
syscall_requests=20000
big=10000
while [ $# -gt 0 ]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --inflight) inflight=$2; shift 2 ;;
    --sdk-requests) sdk_requests=$2; shift 2 ;;
    --no-sdk) sdk=0; shift ;;
    --wrk-seconds) wrk_seconds=$2; shift 2 ;;
    --syscall-requests) syscall_requests=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    *) echo "usage: $0 [--requests N] [--runs N] [--inflight N] [--sdk-requests N] [--no-sdk]" \
         "[--wrk-seconds S] [--syscall-requests N] [--big N]" >&2; exit 2 ;;
  esac
done
for tool in nginx wrk strace python3; do
  command -v $tool >/dev/null || { echo "$0: needs $tool (Debian: nginx-light, wrk, strace)" >&2; exit 1; }
done

# The release build of run_sigv4.sh, kept apart from the development build.
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$root" -Dbuildtype=release -Dtests=disabled -Dbench=enabled >/dev/null
fi
ninja -C "$build" bench/bench_client_uvaws bench/bench_client_raw models/services.bin >/dev/null
export UVAWS_MODEL_DIR="$build/models" # uvaws_call's models, from this build
if [ "$sdk" = 1 ]; then
  stamp="$bench/node_modules/.package-lock.json"
  if [ ! -f "$stamp" ] || [ "$bench/package-lock.json" -nt "$stamp" ]; then
    (cd "$bench" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

# Enough descriptors for --big connections, here and in nginx.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((big + 200)) ]; then
  echo "$0: ulimit -n is $nofile: too low for --big $big" >&2
  exit 1
fi
[ "$nofile" = unlimited ] && nofile=1048576
conns=$((big * 2 > 4096 ? big * 2 : 4096))

tmp=$(mktemp -d)
nginx_pid=
stop() {
  if [ -n "$nginx_pid" ]; then
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap stop EXIT
trap 'exit 130' INT TERM
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed -e "s|@PORT@|$port|g; s|@DIR@|$tmp|g; s|@CONNS@|$conns|g; s|@NOFILE@|$nofile|g" \
    -e "s|@USER@|$(id -un)|g; s|@GROUP@|$(id -gn)|g" "$bench/nginx.conf" >"$tmp/nginx.conf"
nginx -p "$tmp" -e "$tmp/error.log" -c "$tmp/nginx.conf" &
nginx_pid=$!
url="http://127.0.0.1:$port"
i=0
until python3 -c "import urllib.request as u; u.urlopen('$url/', data=b'{}', timeout=1)" 2>/dev/null; do
  i=$((i + 1))
  if [ $i -gt 50 ]; then
    echo "$0: nginx did not start:" >&2
    cat "$tmp/error.log" >&2
    exit 1
  fi
  sleep 0.1
done

mkdir -p "$bench/results"
jsonl="$bench/results/client.jsonl"
: >"$jsonl"
tbl="python3 $bench/client_table.py"
B="$build/bench"

# Runs one client and appends its JSON line, tagged with the round.
one() {
  round=$1
  shift
  out=$("$@") || { echo "$0: failed: $*" >&2; exit 1; }
  printf '%s\n' "$out" | sed "s/}\$/,\"run\":$round}/" >>"$jsonl"
}

echo "nginx on $url; $runs rounds of $requests requests, $inflight in flight" >&2
r=1
while [ $r -le "$runs" ]; do
  echo "round $r: uvaws, uvaws max_attempts 1, raw, raw + CURLOPT_AWS_SIGV4 ..." >&2
  one $r "$B/bench_client_uvaws" --url "$url" --requests "$requests" --inflight "$inflight" --name uvaws
  one $r "$B/bench_client_uvaws" --url "$url" --requests "$requests" --inflight "$inflight" \
    --max-attempts 1 --name uvaws_noretry
  one $r "$B/bench_client_uvaws" --url "$url" --requests "$requests" --inflight "$inflight" \
    --call --name uvaws_call
  one $r "$B/bench_client_raw" --url "$url/" --requests "$requests" --inflight "$inflight" --name raw
  one $r "$B/bench_client_raw" --url "$url/" --requests "$requests" --inflight "$inflight" \
    --sigv4 --name raw_sigv4
  if [ "$sdk" = 1 ]; then
    echo "round $r: AWS SDK for JavaScript v3 ($sdk_requests requests) ..." >&2
    one $r node --no-warnings "$bench/peers/client_sdk.js" --url "$url" \
      --requests "$sdk_requests" --inflight "$inflight" --name sdk_js_v3
  fi
  echo "round $r: wrk (${wrk_seconds}s) ..." >&2
  /usr/bin/time -f '%U %S %M' -o "$tmp/wrk.time" \
    wrk -t1 -c"$inflight" -d"${wrk_seconds}s" -s "$bench/wrk_getitem.lua" "$url/" >"$tmp/wrk.out"
  one $r $tbl wrk "$tmp/wrk.out" "$tmp/wrk.time" "$inflight"
  r=$((r + 1))
done

echo "syscalls per request ($syscall_requests requests) ..." >&2
perf_ok=0
if command -v perf >/dev/null &&
   perf stat -x, -e raw_syscalls:sys_enter -o "$tmp/perf.probe" true 2>/dev/null; then
  perf_ok=1
fi
for c in uvaws raw; do
  if [ $c = uvaws ]; then
    cmd="$B/bench_client_uvaws --url $url"
  else
    cmd="$B/bench_client_raw --url $url/"
  fi
  strace -f -c -o "$tmp/strace.$c" $cmd --requests "$syscall_requests" --inflight "$inflight" \
    --name "${c}_strace" >/dev/null
  one 0 $tbl strace "$c" "$tmp/strace.$c" "$syscall_requests"
  if [ $perf_ok = 1 ]; then
    perf stat -x, -e raw_syscalls:sys_enter -o "$tmp/perf.$c" \
      $cmd --requests "$syscall_requests" --inflight "$inflight" --name "${c}_perf" >/dev/null
    one 0 $tbl perf "$c" "$tmp/perf.$c" "$syscall_requests"
  fi
done

echo "heap per queued request, $big in flight ..." >&2
one 0 "$B/bench_client_uvaws" --queue-heap 100000
one 0 "$B/bench_client_uvaws" --url "$url" --requests "$big" --inflight "$big" --name uvaws_big

$tbl table "$jsonl" "$bench/results/client.dat" | tee "$bench/results/client.txt"
if command -v gnuplot >/dev/null; then
  (cd "$bench/results" && gnuplot "$bench/plot_client.gp")
  echo "chart: bench/results/client.png" >&2
fi
