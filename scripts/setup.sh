#!/usr/bin/env bash
# Installs what uvaws needs to build, test, demo and benchmark on Debian 12, as
# root. Quick when everything is there: it asks dpkg first and runs apt-get
# (update once, then install) only for what is missing.
#
#   scripts/setup.sh [build|test|bench]...   (default: build)
set -euo pipefail

want=(build-essential meson ninja-build pkg-config libuv1-dev libcurl4-openssl-dev
      libssl-dev libcjson-dev libexpat1-dev openssl ca-certificates python3)
for set in "$@"; do
  case "$set" in
    build) ;;
    test) want+=(libcmocka-dev python3 python3-botocore clang libclang-rt-14-dev
                 nghttp2-server valgrind) ;;
    bench) want+=(python3 python3-botocore nginx-light openssl wrk gnuplot-nox strace time valgrind) ;;
    *) echo "setup.sh: unknown set '$set' (build, test, bench)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (with its own npm): take any.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing packages and not root; run as root or install them: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
