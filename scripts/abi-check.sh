#!/usr/bin/env bash
# Checks the exported ABI of the built libuvaws.so against the committed
# baseline abi/libuvaws.abi (abidiff, from Debian's abigail-tools), as the
# SONAME policy in docs/abi.md says:
#   - compatible changes (functions added, a struct grown at its end where the
#     size field makes that safe) pass, and `--update` records them;
#   - an incompatible change fails, unless the SONAME was bumped (meson.build's
#     soversion) and the baseline regenerated in the same change: that is an
#     announced break. `--update` refuses to record a break without the bump.
# abidiff calls only removed symbols incompatible; every other change it
# reports (a struct's member moved or retyped, a struct callers allocate
# grown) is judged by scripts/abi_report.py against the same policy.
# Prints "abi: libuvaws ok|FAILED ..." for scripts/count_tests.py.
#
#   scripts/abi-check.sh [--update] [BUILD_DIR]   (default build)
#   ABI_BASELINE=FILE scripts/abi-check.sh ...    another baseline (tests)
set -uo pipefail
cd "$(dirname "$0")/.."
update=0
[ "${1:-}" = --update ] && { update=1; shift; }
build=${1:-build}
base=${ABI_BASELINE:-abi/libuvaws.abi}
lib=$(ls "$build"/lib/libuvaws.so.*.*.* 2>/dev/null | head -n1)
fail() { echo "abi: libuvaws FAILED ($*)"; exit 1; }
command -v abidiff >/dev/null || fail "abidiff missing: apt-get install abigail-tools"
[ -n "$lib" ] || fail "no $build/lib/libuvaws.so.X.Y.Z: build first"
dump() { abidw --headers-dir include --drop-private-types --no-corpus-path --no-comp-dir-path \
  "$lib" --out-file "$1"; }
soname_of() { sed -n "s/.*soname='\([^']*\)'.*/\1/p" "$1" | head -n1; }

tmp=$(mktemp); trap 'rm -f "$tmp" "$tmp.report"' EXIT
dump "$tmp" || fail "abidw failed on $lib"
now=$(soname_of "$tmp")

if [ ! -f "$base" ]; then
  [ "$update" = 1 ] || fail "no baseline $base: run scripts/abi-check.sh --update"
  install -m 644 "$tmp" "$base"; echo "abi: baseline written for $now"; exit 0
fi
was=$(soname_of "$base")
abidiff --headers-dir1 include --headers-dir2 include "$base" "$lib" > "$tmp.report" 2>&1
rc=$?
cat "$tmp.report"
if (( rc & 1 )); then rm -f "$tmp.report"; fail "abidiff could not compare (exit $rc)"; fi
# a change abidiff lets pass may still break the policy: then it is a break too
if (( rc & 4 )) && ! (( rc & 8 )) && ! python3 scripts/abi_report.py "$tmp.report"; then
  rc=$(( rc | 8 ))
fi
rm -f "$tmp.report"
if (( rc & 8 )); then
  if [ "$now" = "$was" ]; then
    fail "incompatible ABI change without a SONAME bump ($now): bump soversion in meson.build"
  fi
  [ "$update" = 1 ] || fail "SONAME is now $now (was $was): record the announced break with --update"
fi
if [ "$update" = 1 ]; then
  dump "$base"; echo "abi: baseline updated ($was -> $now)"; exit 0
fi
if [ "$now" != "$was" ]; then
  fail "SONAME $now but the baseline is for $was: run --update"
fi
if (( rc & 4 )); then
  echo "abi: libuvaws ok (compatible changes: record them with scripts/abi-check.sh --update)"
else
  echo "abi: libuvaws ok"
fi
