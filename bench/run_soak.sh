#!/bin/sh
# The soak and the memory figures of uvaws against the local nginx (plain
# HTTP/1.1, bench/nginx.sh):
#   - --requests (1,000,000) GetItem requests at --inflight (64) in flight,
#     the resident set and the open descriptors sampled every --sample (10,000)
#     answers: after warm-up (the first --warmup, 100,000, answers) the RSS
#     must stay within 1 MB and the descriptors must not grow;
#   - heap per queued request: --big (10,000) requests submitted at once to a
#     client with max_clients 64, mallinfo2() before and after, less the
#     request's body (uvaws copies it into the same allocation);
#   - --big requests in flight at once (max_clients = --big): all must succeed.
# Prints the summary and writes it to bench/results/soak.txt, the JSON lines to
# bench/results/soak.jsonl and the chart of the samples to
# bench/results/soak.png.
#
#   bench/run_soak.sh [--requests N] [--inflight N] [--sample N] [--warmup N] [--big N]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
bench="$root/bench"
build="$root/build-bench"
requests=1000000
inflight=64
sample=10000
warmup=100000
big=10000
while [ $# -gt 0 ]; do
  case $1 in
    --requests) requests=$2; shift 2 ;;
    --inflight) inflight=$2; shift 2 ;;
    --sample) sample=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --big) big=$2; shift 2 ;;
    *) echo "usage: $0 [--requests N] [--inflight N] [--sample N] [--warmup N] [--big N]" >&2
       exit 2 ;;
  esac
done
for tool in nginx python3 openssl; do
  command -v $tool >/dev/null || { echo "$0: needs $tool" >&2; exit 1; }
done

. "$bench/build.sh"
bench_build bench/bench_client_uvaws

# Enough descriptors for --big connections, here and in nginx.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((big + 200)) ]; then
  echo "$0: ulimit -n is $nofile: too low for --big $big" >&2
  exit 1
fi
[ "$nofile" = unlimited ] && nofile=1048576
conns=$((big * 2 > 4096 ? big * 2 : 4096))

. "$bench/nginx.sh"
tmp=$(mktemp -d)
trap 'nginx_stop; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
nginx_start "$tmp" "$conns" "$nofile"

mkdir -p "$bench/results"
jsonl="$bench/results/soak.jsonl"
: >"$jsonl"
B="$build/bench"
echo "soak: $requests requests, $inflight in flight, sampled every $sample ..." >&2
out=$("$B/bench_client_uvaws" --url "$url" --requests "$requests" --inflight "$inflight" \
  --sample "$sample" --name uvaws_soak)
printf '%s\n' "$out" | sed "s/}\$/,\"warmup\":$warmup}/" >>"$jsonl"
echo "heap per queued request ($big at once) ..." >&2
"$B/bench_client_uvaws" --queue-heap "$big" >>"$jsonl"
echo "$big in flight at once ..." >&2
"$B/bench_client_uvaws" --url "$url" --requests "$big" --inflight "$big" --name uvaws_big >>"$jsonl"

python3 "$bench/soak_table.py" "$jsonl" "$warmup" "$bench/results/soak.dat" |
  tee "$bench/results/soak.txt"
if command -v gnuplot >/dev/null; then
  (cd "$bench/results" && gnuplot "$bench/plot_soak.gp")
  echo "chart: bench/results/soak.png" >&2
fi
