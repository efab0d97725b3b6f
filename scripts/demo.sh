#!/usr/bin/env bash
# The uvaws demo: installs what is missing, builds, starts dynalite (the
# DynamoDB emulator) on a free loopback port, writes 10,000 items with 64
# requests in flight, reads them back, prints throughput and p50/p99 latency,
# and stops the emulator. Extra arguments go to the example
# (--items N, --concurrency N).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh build
scripts/npm-peers.sh test/peers
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
# The emulator accepts any credentials; these are placeholders, not secrets.
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret AWS_REGION=us-east-1
exec /usr/bin/python3 test/harness/peers.py run --dynalite -- \
  sh -c 'exec build/examples/dynamodb_bulk --endpoint "$UVAWS_TEST_DYNALITE" "$@"' demo "$@"
