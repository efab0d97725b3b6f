#!/usr/bin/env bash
# The body of the demo, run by scripts/demo.sh under test/harness/peers.py,
# which has started dynalite and aws-ses-v2-local on loopback and exported
# UVAWS_TEST_DYNALITE and UVAWS_TEST_SES.
set -euo pipefail
items=${1:-10000}
uvaws=build/tools/uvaws
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== DynamoDB (dynalite at $UVAWS_TEST_DYNALITE)"
$uvaws --endpoint "$UVAWS_TEST_DYNALITE" call dynamodb CreateTable '{"TableName":"uvaws_demo",
  "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
  "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}' >/dev/null

# A new table is CREATING for a while: wait until it is ACTIVE.
for _ in $(seq 1 600); do
  $uvaws --endpoint "$UVAWS_TEST_DYNALITE" call dynamodb DescribeTable '{"TableName":"uvaws_demo"}' \
    | grep -q '"TableStatus":[[:space:]]*"ACTIVE"' && break
  sleep 0.1
done

echo "-- uvaws batch: PutItem x $items, 64 in flight"
seq 1 "$items" | awk '{printf "{\"op\":\"PutItem\",\"id\":%d,\"params\":{\"TableName\":\"uvaws_demo\",\"Item\":{\"id\":{\"S\":\"item-%06d\"},\"n\":{\"N\":\"%d\"},\"note\":{\"S\":\"written by uvaws batch\"}}}}\n", $1, $1, $1}' \
  | $uvaws --endpoint "$UVAWS_TEST_DYNALITE" --concurrency 64 batch dynamodb > "$out/put.jsonl" || true

echo "-- uvaws batch: GetItem x $items, reading them back"
seq 1 "$items" | awk '{printf "{\"op\":\"GetItem\",\"id\":%d,\"params\":{\"TableName\":\"uvaws_demo\",\"Key\":{\"id\":{\"S\":\"item-%06d\"}}}}\n", $1, $1}' \
  | $uvaws --endpoint "$UVAWS_TEST_DYNALITE" --concurrency 64 batch dynamodb > "$out/get.jsonl" || true

written=$(grep -c '"ok":true' "$out/put.jsonl" || true)
found=$(grep -c '"Item":' "$out/get.jsonl" || true)

echo
echo "== SES (aws-ses-v2-local at $UVAWS_TEST_SES)"
for i in 1 2; do
  $uvaws --endpoint "$UVAWS_TEST_SES" call ses SendEmail "{\"Source\":\"demo@example.com\",
    \"Destination\":{\"ToAddresses\":[\"reader$i@example.com\"]},\"Message\":{\"Subject\":
    {\"Data\":\"uvaws demo, SES v1, mail $i\"},\"Body\":{\"Text\":{\"Data\":\"Hello from uvaws.\"}}}}" \
    | grep -o '"MessageId":[^,}]*' | tr -d '\t ' | sed 's/^/  SES v1 SendEmail /'
  $uvaws --endpoint "$UVAWS_TEST_SES" call sesv2 SendEmail "{\"FromEmailAddress\":\"demo@example.com\",
    \"Destination\":{\"ToAddresses\":[\"reader$i@example.com\"]},\"Content\":{\"Simple\":{\"Subject\":
    {\"Data\":\"uvaws demo, SES v2, mail $i\"},\"Body\":{\"Text\":{\"Data\":\"Hello from uvaws.\"}}}}}" \
    | grep -o '"MessageId":[^,}]*' | tr -d '\t ' | sed 's/^/  SES v2 SendEmail /'
done
mails=$(/usr/bin/python3 -c 'import json,sys,urllib.request; s=json.load(urllib.request.urlopen(sys.argv[1]+"/store")); print(len(s["emails"]))' "$UVAWS_TEST_SES")

echo
echo "== summary"
echo "  items written: $written of $items; read back: $found of $items; mails in the SES store: $mails"
[ "$written" = "$items" ] && [ "$found" = "$items" ] && [ "$mails" -ge 4 ]
