#!/bin/sh
# The service models' cost: for dynamodb, s3 and ec2 (the largest)
# and for every service at once, the time to map the model file, the time to
# load (check) the service, and the resident memory that adds, each in fresh
# processes; the median of --runs runs. Prints a table.
#
#   bench/run_models.sh [--runs N]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
runs=7
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done
bench="$root/bench"
. "$bench/build.sh"
bench_build bench/bench_models
printf '%-10s %12s %8s %8s %9s %12s\n' service "model bytes" "map µs" "load µs" "RSS +kB" "of the file"
for svc in dynamodb s3 ec2 --all; do
  arg="--service $svc"
  [ "$svc" = --all ] && arg=--all
  i=0
  : >"$build/models.jsonl"
  while [ $i -lt "$runs" ]; do
    "$build/bench/bench_models" $arg >>"$build/models.jsonl"
    i=$((i + 1))
  done
  python3 - "$build/models.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda k: statistics.median(r[k] for r in rows)
print("%-10s %12d %8.0f %8.0f %9.0f %12.0f" % (rows[0]["service"], rows[0]["bytes"], med("map_us"),
      med("load_us"), statistics.median(r["rss_kb_after"] - r["rss_kb_before"] for r in rows),
      med("file_rss_kb")))
PY
done
