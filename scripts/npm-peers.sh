#!/usr/bin/env bash
# Installs the npm packages pinned in DIR/package-lock.json (npm ci), unless
# node_modules already matches the lock. Usage: scripts/npm-peers.sh DIR
set -euo pipefail
. "$(dirname "$0")/step.sh"
dir=$1
[ -f "$dir/package-lock.json" ] || exit 0
stamp="$dir/node_modules/.uvaws-lock.sha256"
want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "npm ci in $dir"
# Engine warnings stay in the log: a peer too new for this Node shows there.
(cd "$dir" && step "npm ci in $dir" npm ci --no-audit --no-fund)
echo "$want" > "$stamp"
