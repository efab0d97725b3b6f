#!/usr/bin/env bash
# The uvaws demo: installs what is missing, builds, starts dynalite (DynamoDB)
# and aws-ses-v2-local (SES) on free loopback ports, writes 10,000 items with
# `uvaws batch` (progress bar on a terminal), reads them back, sends mail
# through SES v1 and v2, prints a summary, and stops the emulators.
#   scripts/demo.sh [ITEMS]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/step.sh
scripts/setup.sh demo
scripts/npm-peers.sh test/peers
[ -f build/build.ninja ] || step "meson setup build" meson setup build
step "ninja -C build" ninja -C build
# The emulators accept any credentials; these are placeholders, not secrets.
export AWS_ACCESS_KEY_ID=AKIDLOCALDEMO AWS_SECRET_ACCESS_KEY=local-demo-secret AWS_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
exec /usr/bin/python3 test/harness/peers.py run --dynalite --ses -- scripts/demo-run.sh "$@"
