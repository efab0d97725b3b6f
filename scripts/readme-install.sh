#!/usr/bin/env bash
# Runs the README's "Build and install" commands exactly as written (as root,
# into /usr/local), with app.c the README's first sample, then starts the app:
# it must load the installed library and answer (here: no credentials, so an
# error from uvaws, not from the loader). Meant for a pristine machine or
# root: scripts/fresh-check.sh runs it in one.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/step.sh
scripts/setup.sh build
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work" <<'PY'
import re, sys
text = open("README.md", encoding="utf-8").read()
section = text.split("## Build and install", 1)[1].split("\n## ", 1)[0]
sh = re.search(r"^```sh\n(.*?)^```", section, re.S | re.M).group(1)
c = next(b for b in re.findall(r"^```c\n(.*?)^```", text, re.S | re.M) if "main(" in b)
open(sys.argv[1] + "/install.sh", "w").write("set -ex\n" + sh)
open(sys.argv[1] + "/app.c", "w").write(c)
PY
echo "== the README's install steps:"
cat "$work/install.sh"
# In a copy of the sources without build directories, so the commands run
# exactly as written.
mkdir "$work/src"
tar -c --exclude='./build*' --exclude=node_modules . | tar -x -C "$work/src"
cp "$work/app.c" "$work/src/app.c"
(cd "$work/src" && step "README install steps" bash "$work/install.sh")
set +e
out=$(cd "$work" && env -i PATH=/usr/bin:/bin HOME="$work" AWS_EC2_METADATA_DISABLED=true \
      src/app 2>&1)
rc=$?
set -e
echo "== ./app exited $rc: $out"
if [ "$rc" = 1 ] && grep -q "no credentials" <<<"$out"; then
  echo "readme-install: ok (the installed library loads; the sample runs)"
else
  echo "readme-install: the sample did not run as expected" >&2
  exit 1
fi
