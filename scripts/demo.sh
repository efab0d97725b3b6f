#!/usr/bin/env bash
# The uvaws demo: installs what is missing, builds, and runs the main example.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec build/examples/sigv4_demo
