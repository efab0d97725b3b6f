#!/usr/bin/env bash
# Installs what uvaws needs to build, test, demo and benchmark on Debian 12, as
# root. Quick when everything is there: it asks dpkg first and runs apt-get
# (update once, then install) only for what is missing.
#
#   scripts/setup.sh [build|demo|test|bench]...   (default: build)
#
#   build  what `meson setup build && ninja -C build` needs: the library, the
#          tool, the examples and the service models (python3-botocore's data);
#          tests and benchmarks are skipped without their own packages
#   demo   build + Node.js and npm for the emulators the demo starts
#   test   demo + cmocka, botocore (the oracle), clang (fuzzing), nghttpd, valgrind,
#          abigail-tools (abidw, abidiff: scripts/abi-check.sh)
#   bench  build + nginx, wrk, gnuplot, Node.js (the JS SDK)
set -euo pipefail
. "$(dirname "$0")/step.sh"

want=(build-essential meson ninja-build pkg-config libuv1-dev libcurl4-openssl-dev
      libssl-dev libcjson-dev libexpat1-dev openssl ca-certificates python3
      python3-botocore)  # the AWS service models the operation layer is built from
node=0
for set in "${@:-build}"; do
  case "$set" in
    build) ;;
    demo) node=1 ;;
    test) node=1
          want+=(libcmocka-dev python3-botocore clang libclang-rt-14-dev nghttp2-server
                 valgrind abigail-tools) ;;
    bench) node=1
           want+=(python3-botocore nginx-light openssl wrk gnuplot-nox strace time valgrind) ;;
    *) echo "setup.sh: unknown set '$set' (build, demo, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (with its own npm): take any.
if [ "$node" = 1 ]; then
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages and not root; run as root or install them: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  step "apt-get update" apt-get update
  step "apt-get install" apt-get install -y --no-install-recommends "${missing[@]}"
fi
