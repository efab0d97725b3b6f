#!/bin/sh
# Runs one benchmark: scripts/bench.sh NAME [ARGS...] runs bench/run_NAME.sh.
# Without NAME, lists the benchmarks there are.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -eq 0 ]; then
  echo "usage: $0 NAME [ARGS...]; benchmarks:"
  for f in "$root"/bench/run_*.sh; do
    n=${f##*/run_}
    echo "  ${n%.sh}"
  done
  exit 2
fi
name=$1
shift
script="$root/bench/run_$name.sh"
if [ ! -f "$script" ]; then
  echo "$0: no benchmark '$name' (no $script)" >&2
  exit 2
fi
exec sh "$script" "$@"
