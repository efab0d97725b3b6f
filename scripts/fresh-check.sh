#!/usr/bin/env bash
# What a newcomer does on a pristine Debian 12 (minimal, as root, Debian's own
# Node.js 18 and npm 9): the README's demo command, then the README's install
# steps and its first sample built against the installed library. Runs in a
# fresh root made by ../shared/fresh-run.sh from the committed HEAD.
# Prints one line per check, "fresh: NAME ok|FAILED|SKIPPED (why)", for
# scripts/count_tests.py; skipped (not failed) when it cannot run here: inside
# a fresh root already, not root, no ../shared/fresh-run.sh, or the Debian
# mirror out of reach (fresh-run's exit 3).
set -uo pipefail
cd "$(dirname "$0")/.."
checks=(demo readme-install)
skip() { for c in "${checks[@]}"; do echo "fresh: $c SKIPPED ($1)"; done; exit 0; }
runner=../shared/fresh-run.sh
[ "${FRESH_INSIDE:-0}" = 1 ] && skip "already inside a fresh root"
[ -x "$runner" ] || skip "no $runner beside the project"
[ "$(id -u)" = 0 ] || skip "needs root (chroot and mounts)"

log=$(mktemp "${TMPDIR:-/tmp}/uvaws-fresh-XXXXXX.log")
echo "== fresh Debian 12 root: scripts/demo.sh, then the README install (log: $log)"
start=$(date +%s)
"$runner" . 'scripts/demo.sh && echo "fresh-marker: demo ok" && scripts/readme-install.sh && echo "fresh-marker: readme-install ok"' >"$log" 2>&1
rc=$?
echo "== fresh root: exit $rc after $(( $(date +%s) - start )) s"
[ "$rc" = 3 ] && skip "the Debian mirror cannot be reached to make the root; see $log"
failed=0
for c in "${checks[@]}"; do
  if grep -q "^fresh-marker: $c ok" "$log"; then
    echo "fresh: $c ok"
  else
    echo "fresh: $c FAILED (see $log)"
    failed=1
  fi
done
if [ "$failed" = 1 ]; then
  echo "---- last lines of $log:"
  tail -n 40 "$log"
fi
exit 0
