-- wrk script of the client benchmark (bench/run_client.sh): the same
-- DynamoDB GetItem POST the clients send (bench_client.h), unsigned.
-- wrk formats the request once and sends the same bytes every time; with
-- no response() function here it parses no answer in Lua, and reports
-- answers other than 2xx/3xx itself ("Non-2xx or 3xx responses").
wrk.method = "POST"
wrk.body = '{"TableName":"users","Key":{"id":{"S":"user-000042"}},"ProjectionExpression":"id,visits"}'
wrk.headers["Content-Type"] = "application/x-amz-json-1.0"
wrk.headers["X-Amz-Target"] = "DynamoDB_20120810.GetItem"

