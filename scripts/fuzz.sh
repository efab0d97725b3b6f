#!/bin/sh
# Runs every libFuzzer target of test/fuzz for N seconds each (default 10).
#
#   scripts/fuzz.sh [seconds]
#
# Builds the fuzz build directory first if needed ($UVAWS_FUZZ_BUILD, default
# build-fuzz: clang, ASan + UBSan). Target test/fuzz/fuzz_NAME.c starts from
# the seed corpus test/fuzz/corpus/NAME/, copied, so that the committed corpus
# only changes by hand; crash inputs land in $BUILD/fuzz-artifacts/NAME/.
# Exits non-zero if any target crashed, leaked or hit undefined behaviour.
set -eu

seconds=${1:-10}
case $seconds in '' | *[!0-9]*) echo "usage: $0 [seconds]" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
build=${UVAWS_FUZZ_BUILD:-$root/build-fuzz}

if [ ! -f "$build/build.ninja" ]; then
  CC=clang meson setup "$build" "$root" -Dfuzz=true \
    -Db_sanitize=address,undefined -Db_lundef=false
fi
ninja -C "$build"
# the targets of the operation layer read the service models of that build
export UVAWS_MODEL_DIR="$build/models"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
failed=0
found=0
for src in "$root"/test/fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  target=$(basename "$src" .c)
  name=${target#fuzz_}
  exe=$build/test/fuzz/$target
  found=$((found + 1))
  if [ ! -x "$exe" ]; then
    echo "fuzz: $target was not built (is it in test/fuzz/meson.build?)" >&2
    failed=1
    continue
  fi
  mkdir -p "$work/$name" "$build/fuzz-artifacts/$name"
  if [ -d "$root/test/fuzz/corpus/$name" ]; then
    cp -R "$root/test/fuzz/corpus/$name/." "$work/$name/"
  fi
  echo "fuzz: $target for ${seconds}s"
  if "$exe" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$build/fuzz-artifacts/$name/" "$work/$name"; then
    echo "fuzz: $target ok"
  else
    echo "fuzz: $target FAILED; inputs in $build/fuzz-artifacts/$name/" >&2
    failed=1
  fi
done
[ "$found" -gt 0 ] || { echo "fuzz: no targets in test/fuzz" >&2; exit 1; }
exit $failed
