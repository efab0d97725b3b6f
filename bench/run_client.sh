#!/bin/sh
# The client benchmark: DynamoDB GetItem-shaped POSTs to a local nginx
# (bench/nginx.conf, started by bench/nginx.sh) on 127.0.0.1, --inflight in
# flight, over three transports:
#   plain  HTTP/1.1 keep-alive
#   tls    TLS 1.3, HTTP/1.1 keep-alive (the server offers no h2)
#   h2     TLS 1.3, HTTP/2, every transfer multiplexed on one connection
# from uvaws (uvaws_fetch, and uvaws_call: the operation layer), the raw
# libcurl-on-libuv baseline of curl's multi-uv.c (unsigned; unsigned with
# the request-head bytes a signature adds, --pad; with libcurl's
# CURLOPT_AWS_SIGV4), the same loop driving libcurl the lean way uvaws does
# (--lean: URL parsed once, poll handles kept; with --pad it is the floor of
# any libcurl client sending a signed request's bytes), the AWS SDK for
# JavaScript v3 (plain and tls) and wrk (plain: the floor of HTTP itself).
#
# Each client runs in a process of its own, so that the CPU it reports is its
# own. A round runs every client on every transport once, in an order that
# rotates from round to round; the table shows the median of the rounds, and
# "x raw" is the median over the rounds of CPU/request over the raw
# baseline's on the same transport in the same round. nginx's accepted
# connections are read around every run: over TLS, the run's handshakes.
# Then syscalls per request (strace -c, and perf stat when the kernel lets it
# count).
#
# Prints one table and writes it to bench/results/client.txt, every
# measurement as JSON lines to bench/results/client.jsonl and the chart to
# bench/results/client.png.
#
#   bench/run_client.sh [--requests N] [--runs N] [--inflight N]
#                       [--sdk-requests N] [--no-sdk] [--wrk-seconds S]
#                       [--syscall-requests N] [--transports "plain tls h2"]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
requests=100000
runs=5
inflight=64
sdk=1
sdk_requests=20000 # the SDK spends ~0.5 ms of CPU per request: 100,000 would take minutes
wrk_seconds=10
syscall_requests=20000
transports="plain tls h2"
# What uvaws's signing adds to the request head: User-Agent (25 bytes),
# X-Amz-Date (28) and Authorization (232 for this request).
pad=285
while [ $# -gt 0 ]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --inflight) inflight=$2; shift 2 ;;
    --sdk-requests) sdk_requests=$2; shift 2 ;;
    --no-sdk) sdk=0; shift ;;
    --wrk-seconds) wrk_seconds=$2; shift 2 ;;
    --syscall-requests) syscall_requests=$2; shift 2 ;;
    --transports) transports=$2; shift 2 ;;
    *) echo "usage: $0 [--requests N] [--runs N] [--inflight N] [--sdk-requests N] [--no-sdk]" \
         "[--wrk-seconds S] [--syscall-requests N] [--transports \"plain tls h2\"]" >&2; exit 2 ;;
  esac
done
for tool in nginx wrk strace python3 openssl; do
  command -v $tool >/dev/null ||
    { echo "$0: needs $tool (Debian: nginx-light, wrk, strace, openssl)" >&2; exit 1; }
done

. "$bench/build.sh"
bench_build bench/bench_client_uvaws bench/bench_client_raw
[ "$sdk" = 1 ] && bench_npm_ci

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
[ "$nofile" = unlimited ] && nofile=1048576

. "$bench/nginx.sh"
tmp=$(mktemp -d)
trap 'nginx_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
nginx_start "$tmp" 4096 "$nofile"

mkdir -p "$bench/results"
jsonl="$bench/results/client.jsonl"
: >"$jsonl"
tbl="python3 $bench/client_table.py"
B="$build/bench"

# Runs one client and appends its JSON line, tagged with the round, the
# transport and the connections nginx accepted meanwhile (less the one that
# reads the second count).
one() {
  round=$1 transport=$2
  shift 2
  a0=$(nginx_accepts)
  out=$("$@") || { echo "$0: failed: $*" >&2; exit 1; }
  a1=$(nginx_accepts)
  printf '%s\n' "$out" |
    sed "s/}\$/,\"run\":$round,\"transport\":\"$transport\",\"server_connections\":$((a1 - a0 - 1))}/" \
    >>"$jsonl"
}

# The clients of one transport, one a line: NAME COMMAND...
clients() {
  case $1 in
    plain) u=$url c= h= ;;
    tls) u=$tls_url c="--cafile $cafile" h= ;;
    h2) u=$h2_url c="--cafile $cafile" h=--http2 ;;
  esac
  n="--requests $requests --inflight $inflight"
  echo "uvaws $B/bench_client_uvaws --url $u $c $n --name uvaws"
  echo "uvaws_call $B/bench_client_uvaws --url $u $c $n --call --name uvaws_call"
  echo "raw $B/bench_client_raw --url $u/ $c $n $h --name raw"
  echo "raw_pad $B/bench_client_raw --url $u/ $c $n $h --pad $pad --name raw_pad"
  echo "raw_lean $B/bench_client_raw --url $u/ $c $n $h --lean --name raw_lean"
  echo "raw_lean_pad $B/bench_client_raw --url $u/ $c $n $h --lean --pad $pad --name raw_lean_pad"
  echo "raw_sigv4 $B/bench_client_raw --url $u/ $c $n $h --sigv4 --name raw_sigv4"
  if [ "$sdk" = 1 ] && [ "$1" != h2 ]; then
    echo "sdk_js_v3 node --no-warnings $bench/peers/client_sdk.js --url $u" \
      "--requests $sdk_requests --inflight $inflight --name sdk_js_v3"
  fi
}

echo "nginx: $url, $tls_url (TLS 1.3), $h2_url (TLS 1.3, h2);" \
  "$runs rounds of $requests requests, $inflight in flight" >&2
export NODE_EXTRA_CA_CERTS="$cafile"
r=1
while [ $r -le "$runs" ]; do
  for t in $transports; do
    clients "$t" >"$tmp/clients"
    k=$(wc -l <"$tmp/clients")
    # Rotate the order by round, so that no client always runs first.
    shift_by=$(( (r - 1) % k ))
    { tail -n +$((shift_by + 1)) "$tmp/clients"; head -n "$shift_by" "$tmp/clients"; } |
      while read -r name cmd; do
        echo "round $r, $t: $name" >&2
        # shellcheck disable=SC2086
        one $r "$t" $cmd </dev/null
      done
  done
  case " $transports " in *" plain "*)
    echo "round $r, plain: wrk (${wrk_seconds}s)" >&2
    one $r plain sh -c "/usr/bin/time -f '%U %S %M' -o '$tmp/wrk.time' \
      wrk -t1 -c$inflight -d${wrk_seconds}s -s '$bench/wrk_getitem.lua' '$url/' >'$tmp/wrk.out' &&
      $tbl wrk '$tmp/wrk.out' '$tmp/wrk.time' $inflight"
  esac
  r=$((r + 1))
done

if [ "$syscall_requests" -gt 0 ]; then
  echo "syscalls per request ($syscall_requests requests, plain) ..." >&2
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
    $tbl strace "$c" "$tmp/strace.$c" "$syscall_requests" >>"$jsonl"
    if [ $perf_ok = 1 ]; then
      perf stat -x, -e raw_syscalls:sys_enter -o "$tmp/perf.$c" \
        $cmd --requests "$syscall_requests" --inflight "$inflight" --name "${c}_perf" >/dev/null
      $tbl perf "$c" "$tmp/perf.$c" "$syscall_requests" >>"$jsonl"
    fi
  done
fi

$tbl table "$jsonl" "$bench/results/client.dat" | tee "$bench/results/client.txt"
if command -v gnuplot >/dev/null; then
  (cd "$bench/results" && gnuplot "$bench/plot_client.gp")
  echo "chart: bench/results/client.png" >&2
fi
