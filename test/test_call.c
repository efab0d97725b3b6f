/* The operation layer against real emulators and recorded answers:
 * dynalite (DynamoDB, JSON 1.0), aws-ses-v2-local (SES v1 query and SES v2
 * rest-json, checked through the emulator's mail store), the test server's
 * recorded STS, SNS, EC2 and Lambda answers, and the STS credential providers
 * (a role profile, web identity) refreshed before expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "testutil.h"

static const char *dynalite, *ses, *server;

#include "calltest.h"

/* ---- DynamoDB -------------------------------------------------------------- */

static void on_waited(const uvaws_error_t *err, void *arg) { *(int *)arg = err ? err->code : 0; }

static void test_dynamodb_items(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "dynamodb", dynalite);
  got_t g = call(&fx, "CreateTable",
                 "{\"TableName\":\"calls\",\"AttributeDefinitions\":[{\"AttributeName\":\"pk\","
                 "\"AttributeType\":\"S\"},{\"AttributeName\":\"sk\",\"AttributeType\":\"N\"}],"
                 "\"KeySchema\":[{\"AttributeName\":\"pk\",\"KeyType\":\"HASH\"},"
                 "{\"AttributeName\":\"sk\",\"KeyType\":\"RANGE\"}],"
                 "\"BillingMode\":\"PAY_PER_REQUEST\"}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "TableDescription.TableName"), "calls");
  cJSON_Delete(g.out);
  /* CREATING until ACTIVE: the model's TableExists waiter polls DescribeTable */
  cJSON *dp = cJSON_Parse("{\"TableName\":\"calls\"}");
  int waited = -1;
  uvaws_wait_options_t wo = UVAWS_WAIT_OPTIONS_INIT;
  wo.delay_ms = 50;
  assert_int_equal(uvaws_wait_for(fx.client, "TableExists", dp, &wo, on_waited, &waited, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(waited, 0);
  /* a state that never comes: the waiter gives up after its attempts ... */
  waited = -1;
  wo.max_attempts = 3;
  assert_int_equal(uvaws_wait_for(fx.client, "TableNotExists", dp, &wo, on_waited, &waited, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(waited, UVAWS_ETIMEDOUT);
  /* ... or at its deadline */
  waited = -1;
  wo.max_attempts = 1000;
  wo.timeout_ms = 300;
  assert_int_equal(uvaws_wait_for(fx.client, "TableNotExists", dp, &wo, on_waited, &waited, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(waited, UVAWS_ETIMEDOUT);
  assert_int_equal(uvaws_wait_for(fx.client, NULL, dp, &wo, on_waited, &waited, NULL), UVAWS_EINVAL);
  /* an unknown waiter: the callback says so, with the closest names */
  waited = -1;
  assert_int_equal(uvaws_wait_for(fx.client, "TableExist", dp, NULL, on_waited, &waited, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(waited, UVAWS_EOPERATION);
  cJSON_Delete(dp);

  /* every AttributeValue type, through the helpers, both ways */
  const char *plain_text =
      "{\"pk\":\"user#1\",\"sk\":1,\"name\":\"caf\xc3\xa9\",\"big\":12345678901234567890123,"
      "\"ok\":true,\"none\":null,\"map\":{\"a\":[1,\"two\",false]},"
      "\"blob\":{\"$b64\":\"AAEC\"},\"tags\":{\"$ss\":[\"x\",\"y\"]},"
      "\"nums\":{\"$ns\":[\"1\",\"2.5\"]},\"blobs\":{\"$bs\":[\"AQ==\"]}}";
  cJSON *plain = cJSON_Parse(plain_text);
  /* the big number must keep every digit: make it raw */
  cJSON_ReplaceItemInObject(plain, "big", cJSON_CreateRaw("12345678901234567890123"));
  cJSON *item = uvaws_ddb_to_item(plain);
  assert_non_null(item);
  cJSON *put = cJSON_CreateObject();
  cJSON_AddStringToObject(put, "TableName", "calls");
  cJSON_AddItemToObject(put, "Item", item);
  got_t pg = {0};
  assert_int_equal(uvaws_call(fx.client, "PutItem", put, on_result, &pg, NULL), 0);
  cJSON_Delete(put);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(pg.code, 0);
  cJSON_Delete(pg.out);

  g = call(&fx, "GetItem", "{\"TableName\":\"calls\",\"Key\":{\"pk\":{\"S\":\"user#1\"},"
                           "\"sk\":{\"N\":\"1\"}},\"ConsistentRead\":true}");
  assert_int_equal(g.code, 0);
  cJSON *back = uvaws_ddb_from_item(cJSON_GetObjectItem(g.out, "Item"));
  assert_non_null(back);
  /* numbers come back raw (exact digits), so compare the JSON text */
  char *m1 = cJSON_PrintUnformatted(cJSON_GetObjectItem(back, "map"));
  char *m2 = cJSON_PrintUnformatted(cJSON_GetObjectItem(plain, "map"));
  assert_string_equal(m1, m2);
  free(m1);
  free(m2);
  char *big = cJSON_PrintUnformatted(cJSON_GetObjectItem(back, "big"));
  assert_string_equal(big, "12345678901234567890123");
  free(big);
  assert_string_equal(str_at(back, "blob.$b64"), "AAEC");
  assert_string_equal(str_at(back, "name"), "caf\xc3\xa9");
  cJSON_Delete(back);
  cJSON_Delete(plain);
  cJSON_Delete(g.out);

  g = call(&fx, "UpdateItem", "{\"TableName\":\"calls\",\"Key\":{\"pk\":{\"S\":\"user#1\"},"
                              "\"sk\":{\"N\":\"1\"}},\"UpdateExpression\":\"SET visits = :one\","
                              "\"ExpressionAttributeValues\":{\":one\":{\"N\":\"1\"}},"
                              "\"ReturnValues\":\"UPDATED_NEW\"}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "Attributes.visits.N"), "1");
  cJSON_Delete(g.out);

  /* a condition that fails is a typed error */
  g = call(&fx, "PutItem", "{\"TableName\":\"calls\",\"Item\":{\"pk\":{\"S\":\"user#1\"},"
                           "\"sk\":{\"N\":\"1\"}},\"ConditionExpression\":"
                           "\"attribute_not_exists(pk)\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_string_equal(g.type, "ConditionalCheckFailedException");
  assert_null(g.out);

  g = call(&fx, "DeleteItem", "{\"TableName\":\"calls\",\"Key\":{\"pk\":{\"S\":\"user#1\"},"
                              "\"sk\":{\"N\":\"1\"}},\"ReturnValues\":\"ALL_OLD\"}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "Attributes.pk.S"), "user#1");
  cJSON_Delete(g.out);
  fx_close(&fx);
}

typedef struct {
  int calls, code;
} waited_t;

static void count_waited(const uvaws_error_t *err, void *arg) {
  waited_t *w = arg;
  w->calls++;
  w->code = err ? err->code : 0;
}

static void close_client(uv_timer_t *t) {
  uvaws_client_close(t->data, fx_on_closed, NULL);
  uv_close((uv_handle_t *)t, NULL);
}

/* A client closed while a waiter pauses, or while its call is out: the waiter
 * ends once, cancelled, and never touches the closed client. */
static void test_waiter_and_close(void **state) {
  (void)state;
  cJSON *dp = cJSON_Parse("{\"TableName\":\"calls\"}");
  for (int in_flight = 0; in_flight < 2; in_flight++) {
    fx_t fx;
    fx_open(&fx, "dynamodb", dynalite);
    waited_t w = {0};
    uvaws_wait_options_t wo = UVAWS_WAIT_OPTIONS_INIT;
    wo.delay_ms = 200;
    assert_int_equal(uvaws_wait_for(fx.client, "TableNotExists", dp, &wo, count_waited, &w, NULL), 0);
    uv_timer_t t;
    uv_timer_init(&fx.loop, &t);
    t.data = fx.client;
    uv_timer_start(&t, close_client, in_flight ? 0 : 100, 0); /* 100 ms: inside a pause */
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(w.calls, 1);
    assert_int_equal(w.code, UVAWS_ECANCELED);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
  }
  cJSON_Delete(dp);
}

typedef struct {
  int pages, items, stop_after;
} scan_t;

static int on_scan_page(uvaws_result_t *page, void *arg) {
  scan_t *s = arg;
  s->pages++;
  s->items += cJSON_GetArraySize(cJSON_GetObjectItem(page->output, "Items"));
  return s->stop_after && s->pages >= s->stop_after;
}

static int pages_done_err;
static unsigned pages_done_n;
static void on_pages_done(const uvaws_error_t *err, unsigned pages, void *arg) {
  (void)arg;
  pages_done_err = err ? err->code : 0;
  pages_done_n = pages;
}

static void test_dynamodb_batch_query_scan(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "dynamodb", dynalite);
  /* 25 items in one BatchWriteItem (its limit) */
  cJSON *req = cJSON_CreateObject();
  cJSON *ri = cJSON_AddObjectToObject(req, "RequestItems");
  cJSON *list = cJSON_AddArrayToObject(ri, "calls");
  for (int i = 0; i < 25; i++) {
    char t[160];
    snprintf(t, sizeof t, "{\"PutRequest\":{\"Item\":{\"pk\":{\"S\":\"batch\"},\"sk\":{\"N\":\"%d\"}}}}", i);
    cJSON_AddItemToArray(list, cJSON_Parse(t));
  }
  got_t g = {0};
  assert_int_equal(uvaws_call(fx.client, "BatchWriteItem", req, on_result, &g, NULL), 0);
  cJSON_Delete(req);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(g.code, 0);
  cJSON_Delete(g.out);

  g = call(&fx, "Query", "{\"TableName\":\"calls\",\"KeyConditionExpression\":\"pk = :p AND sk >= :s\","
                         "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"batch\"},\":s\":{\"N\":\"20\"}}}");
  assert_int_equal(g.code, 0);
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(g.out, "Count")), 5);
  cJSON_Delete(g.out);

  /* Scan 7 at a time: 25 items over 4 pages, LastEvaluatedKey followed */
  scan_t s = {0};
  cJSON *p = cJSON_Parse("{\"TableName\":\"calls\",\"Limit\":7}");
  assert_int_equal(uvaws_paginate(fx.client, "Scan", p, on_scan_page, on_pages_done, &s, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(pages_done_err, 0);
  assert_int_equal(s.items, 25);
  assert_true(s.pages >= 4);
  assert_int_equal(pages_done_n, (unsigned)s.pages);
  /* the page callback can stop it */
  scan_t s2 = {.stop_after = 2};
  assert_int_equal(uvaws_paginate(fx.client, "Scan", p, on_scan_page, on_pages_done, &s2, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(s2.pages, 2);
  assert_int_equal(pages_done_n, 2);
  cJSON_Delete(p);
  fx_close(&fx);
}

/* ---- SES ------------------------------------------------------------------- */

/* The emulator's stored mails. */
static cJSON *ses_store(void) { return control(ses, "GET", "/store", NULL); }

static const cJSON *find_mail(const cJSON *store, const char *subject) {
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItem(store, "emails")) {
    const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(m, "subject"));
    if (s && strcmp(s, subject) == 0)
      return m;
  }
  return NULL;
}

static void test_ses_v1(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "ses", ses);
  got_t g = call(&fx, "SendEmail",
                 "{\"Source\":\"sender@example.com\",\"Destination\":{\"ToAddresses\":"
                 "[\"a@example.com\",\"b@example.com\"]},\"Message\":{\"Subject\":{\"Data\":"
                 "\"uvaws v1 hello & welcome\"},\"Body\":{\"Text\":{\"Data\":\"plain text\"},"
                 "\"Html\":{\"Data\":\"<p>html</p>\"}}}}");
  if (g.code)
    print_error("SendEmail: %s %s\n", uvaws_err_name(g.code), g.type);
  assert_int_equal(g.code, 0);
  assert_non_null(str_at(g.out, "MessageId"));
  cJSON_Delete(g.out);
  cJSON *store = ses_store();
  const cJSON *m = find_mail(store, "uvaws v1 hello & welcome");
  assert_non_null(m);
  assert_string_equal(str_at(m, "from"), "sender@example.com");
  /* The emulator keeps only ToAddresses.member.1 (its schema declares no
   * other); lists are checked against botocore in test_query_ser. */
  assert_string_equal(str_at(m, "destination.to.0"), "a@example.com");
  assert_string_equal(str_at(m, "body.text"), "plain text");
  assert_string_equal(str_at(m, "body.html"), "<p>html</p>");
  cJSON_Delete(store);

  /* SendRawEmail: the MIME message base64-encoded in RawMessage.Data */
  const char *mime = "From: raw@example.com\r\nTo: c@example.com\r\nSubject: uvaws raw\r\n"
                     "Content-Type: text/plain\r\n\r\nraw body\r\n";
  unsigned char b64[512];
  EVP_EncodeBlock(b64, (const unsigned char *)mime, (int)strlen(mime));
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(cJSON_AddObjectToObject(params, "RawMessage"), "Data", (char *)b64);
  got_t r = {0};
  assert_int_equal(uvaws_call(fx.client, "SendRawEmail", params, on_result, &r, NULL), 0);
  cJSON_Delete(params);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(r.code, 0);
  assert_non_null(str_at(r.out, "MessageId"));
  cJSON_Delete(r.out);
  store = ses_store();
  assert_non_null(find_mail(store, "uvaws raw"));
  cJSON_Delete(store);
  fx_close(&fx);
}

static void test_ses_v2(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "sesv2", ses);
  got_t g = call(&fx, "SendEmail",
                 "{\"FromEmailAddress\":\"v2@example.com\",\"Destination\":{\"ToAddresses\":"
                 "[\"d@example.com\"]},\"Content\":{\"Simple\":{\"Subject\":{\"Data\":\"uvaws v2\"},"
                 "\"Body\":{\"Text\":{\"Data\":\"v2 text\"}}}}}");
  assert_int_equal(g.code, 0);
  assert_non_null(str_at(g.out, "MessageId"));
  cJSON_Delete(g.out);
  cJSON *store = ses_store();
  const cJSON *m = find_mail(store, "uvaws v2");
  assert_non_null(m);
  assert_string_equal(str_at(m, "from"), "v2@example.com");
  assert_string_equal(str_at(m, "body.text"), "v2 text");
  cJSON_Delete(store);
  fx_close(&fx);
}

/* ---- recorded answers: STS, SNS, EC2, Lambda --------------------------------- */

static void canned(const char *json_list) { canned_answers(server, json_list); }

static const char *last_body(void) {
  static char body[4096];
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  const char *b = str_at(log, "requests.0.body");
  snprintf(body, sizeof body, "%s", b ? b : "");
  cJSON_Delete(log);
  return body;
}

#define ASSUME_ROLE_XML(key, expiration)                                                         \
  "<AssumeRoleResponse xmlns=\\\"https://sts.amazonaws.com/doc/2011-06-15/\\\"><AssumeRoleResult>"   \
  "<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn><AssumedRoleId>"     \
  "ARO123EXAMPLE123:s</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>" key           \
  "</AccessKeyId><SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>"   \
  "<SessionToken>AQoDYXdzEPT//////////wEXAMPLE</SessionToken><Expiration>" expiration            \
  "</Expiration></Credentials><PackedPolicySize>6</PackedPolicySize></AssumeRoleResult>"        \
  "<ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>"                \
  "</ResponseMetadata></AssumeRoleResponse>"

static void test_query_protocols(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"contains\":\"Action=AssumeRole&\",\"body\":\"" ASSUME_ROLE_XML("ASIAROLEEXAMPLE",
         "2099-01-01T00:00:00Z") "\"},"
         "{\"contains\":\"Action=DescribeInstances\",\"body\":\"<DescribeInstancesResponse "
         "xmlns=\\\"http://ec2.amazonaws.com/doc/2016-11-15/\\\"><requestId>8f7724cf-496f</requestId>"
         "<reservationSet><item><reservationId>r-1</reservationId><instancesSet><item>"
         "<instanceId>i-1</instanceId><tagSet><item><key>Name</key><value>web</value></item>"
         "</tagSet></item><item><instanceId>i-2</instanceId></item></instancesSet></item>"
         "</reservationSet></DescribeInstancesResponse>\"},"
         "{\"contains\":\"Action=ListTopics\",\"body\":\"<ListTopicsResponse><ListTopicsResult>"
         "<Topics><member><TopicArn>arn:aws:sns:us-east-1:1:a</TopicArn></member></Topics>"
         "</ListTopicsResult><ResponseMetadata><RequestId>r-sns</RequestId></ResponseMetadata>"
         "</ListTopicsResponse>\"},"
         "{\"contains\":\"Action=Publish\",\"status\":400,\"body\":\"<ErrorResponse><Error>"
         "<Type>Sender</Type><Code>InvalidParameter</Code><Message>Invalid parameter: "
         "TopicArn</Message></Error><RequestId>r-err</RequestId></ErrorResponse>\"}]");

  fx_t fx;
  fx_open(&fx, "sts", server);
  got_t g = call(&fx, "AssumeRole", "{\"RoleArn\":\"arn:aws:iam::123456789012:role/demo\","
                                    "\"RoleSessionName\":\"s1\",\"DurationSeconds\":900}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "Credentials.AccessKeyId"), "ASIAROLEEXAMPLE");
  /* typed by the output shape: a timestamp in the output form, a number */
  assert_string_equal(str_at(g.out, "Credentials.Expiration"), "2099-01-01T00:00:00Z");
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(g.out, "PackedPolicySize")), 6);
  assert_string_equal(g.request_id, "c6104cbe-af31-11e0-8154-cbc7ccf896c7");
  assert_null(cJSON_GetObjectItem(g.out, "ResponseMetadata"));
  assert_string_equal(last_body(), "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam"
                                   "%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1&DurationSeconds=900");
  cJSON_Delete(g.out);
  fx_close(&fx);

  fx_open(&fx, "ec2", server);
  g = call(&fx, "DescribeInstances", "{\"InstanceIds\":[\"i-1\",\"i-2\"],\"Filters\":[{\"Name\":"
                                     "\"instance-state-name\",\"Values\":[\"running\"]}]}");
  assert_int_equal(g.code, 0);
  assert_string_equal(last_body(), "Action=DescribeInstances&Version=2016-11-15&InstanceId.1=i-1&"
                                   "InstanceId.2=i-2&Filter.1.Name=instance-state-name&"
                                   "Filter.1.Value.1=running");
  /* wire names (reservationSet, instancesSet, tagSet) become member names */
  assert_string_equal(str_at(g.out, "Reservations.0.Instances.1.InstanceId"), "i-2");
  assert_string_equal(str_at(g.out, "Reservations.0.Instances.0.Tags.0.Value"), "web");
  assert_string_equal(g.request_id, "8f7724cf-496f");
  cJSON_Delete(g.out);
  fx_close(&fx);

  fx_open(&fx, "sns", server);
  g = call(&fx, "ListTopics", NULL);
  assert_int_equal(g.code, 0);
  /* a list of one stays a list */
  assert_true(cJSON_IsArray(cJSON_GetObjectItem(g.out, "Topics")));
  assert_string_equal(str_at(g.out, "Topics.0.TopicArn"), "arn:aws:sns:us-east-1:1:a");
  cJSON_Delete(g.out);
  g = call(&fx, "Publish", "{\"TopicArn\":\"bad\",\"Message\":\"hi\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_string_equal(g.type, "InvalidParameter");
  assert_string_equal(g.request_id, "r-err");
  fx_close(&fx);
}

static void test_lambda_invoke(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/2015-03-31/functions/my%3Afn/invocations\",\"content_type\":"
         "\"application/json\",\"body\":\"{\\\"result\\\":42}\",\"headers\":"
         "{\"X-Amz-Function-Error\":\"Unhandled\",\"X-Amz-Executed-Version\":\"7\"}}]");
  fx_t fx;
  fx_open(&fx, "lambda", server);
  /* the payload as bytes, not base64 in the parameters */
  const char *payload = "{\"x\":1}";
  uvaws_call_options_t o = UVAWS_CALL_OPTIONS_INIT;
  o.payload = payload;
  o.payload_len = strlen(payload);
  cJSON *params = cJSON_Parse("{\"FunctionName\":\"my:fn\",\"InvocationType\":\"RequestResponse\","
                              "\"Qualifier\":\"live\"}");
  got_t g = {0};
  assert_int_equal(uvaws_call_ex(fx.client, "Invoke", params, &o, on_result, &g, NULL), 0);
  cJSON_Delete(params);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(g.code, 0);
  assert_string_equal((const char *)g.payload, "{\"result\":42}");
  assert_null(cJSON_GetObjectItem(g.out, "Payload")); /* the bytes are the payload's */
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(g.out, "StatusCode")), 200);
  /* outputs that come as headers */
  assert_string_equal(str_at(g.out, "FunctionError"), "Unhandled");
  assert_string_equal(str_at(g.out, "ExecutedVersion"), "7");
  assert_null(cJSON_GetObjectItem(g.out, "LogResult")); /* not in the answer */
  done(&g);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  assert_string_equal(str_at(log, "requests.0.target"),
                      "/2015-03-31/functions/my%3Afn/invocations?Qualifier=live");
  assert_string_equal(str_at(log, "requests.0.headers.x-amz-invocation-type"), "RequestResponse");
  assert_string_equal(str_at(log, "requests.0.body"), "{\"x\":1}");
  cJSON_Delete(log);
  /* the same payload given as base64 in the parameters */
  g = call(&fx, "Invoke", "{\"FunctionName\":\"my:fn\",\"Payload\":\"eyJ4IjoxfQ==\"}");
  assert_int_equal(g.code, 0);
  done(&g);
  log = control(server, "GET", "/_log?last=1", NULL);
  assert_string_equal(str_at(log, "requests.0.body"), "{\"x\":1}");
  cJSON_Delete(log);
  fx_close(&fx);
}

/* Calls that fail before anything is sent; returns the message. */
static got_t refused(fx_t *fx, const char *op, const char *params_json, int code) {
  got_t g = call(fx, op, params_json);
  if (g.code != code)
    print_error("%s: %s (%s)\n", op, uvaws_err_name(g.code), g.message);
  assert_int_equal(g.code, code);
  assert_false(g.sent);
  assert_null(g.out);
  return g;
}

static void test_bad_input(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  fx_t fx;
  fx_open(&fx, "sesv2", server);
  got_t g = {0};
  cJSON *arr = cJSON_CreateArray();
  /* misuse: refused at once, no callback */
  assert_int_equal(uvaws_call(fx.client, "SendEmail", arr, on_result, &g, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_call(fx.client, NULL, NULL, on_result, &g, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_call(fx.client, "", NULL, on_result, &g, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_call(fx.client, "SendEmail", NULL, NULL, &g, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_call(NULL, "SendEmail", NULL, on_result, &g, NULL), UVAWS_EINVAL);
  uvaws_call_options_t zero = {0};
  assert_int_equal(uvaws_call_ex(fx.client, "SendEmail", NULL, &zero, on_result, &g, NULL),
                   UVAWS_EINVAL);
  uvaws_call_options_t both = UVAWS_CALL_OPTIONS_INIT; /* a payload twice: bytes and a file */
  both.payload = "x";
  both.payload_len = 1;
  both.upload_fd = 0;
  assert_int_equal(uvaws_call_ex(fx.client, "SendEmail", NULL, &both, on_result, &g, NULL),
                   UVAWS_EINVAL);
  assert_int_equal(g.calls, 0);
  cJSON_Delete(arr);
  /* an unknown operation: the closest names */
  g = refused(&fx, "SendEmails", NULL, UVAWS_EOPERATION);
  assert_non_null(strstr(g.message, "did you mean SendEmail"));
  g = refused(&fx, "Send Email", NULL, UVAWS_EOPERATION);
  fx_close(&fx);
  /* a service signed with Signature Version 2 (SimpleDB): refused, never sent */
  fx_open(&fx, "sdb", server);
  g = refused(&fx, "ListDomains", NULL, UVAWS_EOPERATION);
  assert_non_null(strstr(g.message, "Signature Version 2"));
  fx_close(&fx);
  /* an operation that streams events, in its output or its input: refused, never sent */
  const char *const streaming[][3] = {
      {"s3", "SelectObjectContent",
       "{\"Bucket\":\"b\",\"Key\":\"k\",\"Expression\":\"x\",\"ExpressionType\":\"SQL\","
       "\"InputSerialization\":{},\"OutputSerialization\":{}}"},
      {"kinesis", "SubscribeToShard",
       "{\"ConsumerARN\":\"arn\",\"ShardId\":\"s\",\"StartingPosition\":{\"Type\":\"LATEST\"}}"},
      {"lexv2-runtime", "StartConversation", "{}"}, /* events both ways */
  };
  for (size_t i = 0; i < sizeof streaming / sizeof streaming[0]; i++) {
    fx_open(&fx, streaming[i][0], server);
    g = refused(&fx, streaming[i][1], streaming[i][2], UVAWS_EOPERATION);
    assert_non_null(strstr(g.message, "streams events"));
    fx_close(&fx);
  }
  fx_open(&fx, "s3", server); /* its neighbours are not: they reach the parameters' check */
  g = refused(&fx, "GetObject", "{}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "Bucket: missing"));
  fx_close(&fx);
  fx_open(&fx, "sesv2", server);
  /* a path label that is missing, an unknown member, wrong types: each with its path */
  g = refused(&fx, "GetEmailIdentity", "{}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "EmailIdentity: missing"));
  g = refused(&fx, "SendEmail", "{\"FromEmailAddress\":\"a@b\",\"Destination\":{\"ToAdresses\":"
                                "[\"x\"]},\"Content\":{\"Simple\":{\"Subject\":{\"Data\":1},"
                                "\"Body\":{\"Text\":{\"Data\":\"t\"}}}}}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "Destination.ToAdresses: unknown parameter; did you mean ToAddresses?"));
  assert_non_null(strstr(g.message, "Content.Simple.Subject.Data: expected a string, got a number"));
  g = refused(&fx, "SendEmail", "{\"Destination\":{\"ToAddresses\":[\"a\",2]},\"Content\":"
                                "{\"Simple\":{\"Subject\":{\"Data\":\"s\"},\"Body\":{}}}}",
              UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "Destination.ToAddresses[1]: expected a string, got a number"));
  fx_close(&fx);
  fx_open(&fx, "sns", server);
  g = refused(&fx, "Publish", "{\"TopicArn\":null,\"Message\":\"m\"}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "TopicArn: expected a string, got null"));
  g = refused(&fx, "Publish", "{}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "Message: missing (required)"));
  fx_close(&fx);
  fx_open(&fx, "dynamodb", server);
  g = refused(&fx, "GetItem", "{\"TableName\":\"ab\",\"Key\":{\"k\":{\"S\":\"v\"}},"
                              "\"ConsistentRead\":\"yes\"}", UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "TableName: shorter than the minimum of 3"));
  assert_non_null(strstr(g.message, "ConsistentRead: expected true or false, got a string"));
  g = refused(&fx, "GetItem", "{\"TableName\":\"abc\",\"Key\":{\"k\":{\"B\":\"not base64\"}}}",
              UVAWS_EPARAM);
  assert_non_null(strstr(g.message, "Key.k.B: not base64"));
  fx_close(&fx);
  fx_open(&fx, "not-in-the-models", server);
  g = refused(&fx, "Anything", NULL, UVAWS_ESERVICE);
  assert_null(uvaws_client_service(fx.client));
  fx_close(&fx);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 0); /* nothing sent */
  assert_non_null(uvaws_service_find("DynamoDB"));
  assert_string_equal(uvaws_service_find("ses")->endpoint_prefix, "email");
  assert_null(uvaws_service_find(NULL));
}

/* ---- what the mutation run found untested ---------------------------------------- */

/* The JSON protocols say which in the content type (1.0 DynamoDB, 1.1
 * Kinesis and most others); an answer of nothing but blanks is {}. */
static void test_json_protocol_wire(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"contains\":\"\\\"ExclusiveStartStreamName\\\":\\\"blank\\\"\",\"content_type\":\"application/x-amz-json-1.1\","
         "\"body\":\" \\r\\n\\t \"}]");
  fx_t fx;
  fx_open(&fx, "kinesis", server);
  got_t g = call(&fx, "ListStreams", "{\"Limit\":1}");
  assert_int_equal(g.code, 0);
  cJSON_Delete(g.out);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  assert_string_equal(str_at(log, "requests.0.headers.content-type"), "application/x-amz-json-1.1");
  assert_string_equal(str_at(log, "requests.0.headers.x-amz-target"), "Kinesis_20131202.ListStreams");
  assert_string_equal(str_at(log, "requests.0.body"), "{\"Limit\":1}");
  cJSON_Delete(log);
  g = call(&fx, "ListStreams", "{\"ExclusiveStartStreamName\":\"blank\"}");
  assert_int_equal(g.code, 0);
  assert_true(cJSON_IsObject(g.out));
  assert_null(g.out->child);
  cJSON_Delete(g.out);
  fx_close(&fx);
}

typedef struct {
  int pages;
  char tokens[256];
} pages_t;

static int on_page(uvaws_result_t *page, void *arg) {
  pages_t *p = arg;
  p->pages++;
  const char *t = str_at(page->output, "NextToken");
  size_t n = strlen(p->tokens);
  snprintf(p->tokens + n, sizeof p->tokens - n, "[%s]", t ? t : "-");
  return 0;
}

/* Pages end on an empty continuation token, as on none; an IsTruncated
 * "true" (text, as query XML has it) with a Marker goes on. */
static void test_pagination_ends(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"contains\":\"\\\"NextToken\\\":\\\"\\\"\",\"status\":400,"
         "\"content_type\":\"application/x-amz-json-1.1\",\"body\":\"{\\\"__type\\\":"
         "\\\"EmptyTokenSent\\\"}\"},"
         "{\"contains\":\"\\\"NextToken\\\":\\\"t1\\\"\",\"content_type\":"
         "\"application/x-amz-json-1.1\",\"body\":\"{\\\"NextToken\\\":\\\"\\\"}\"},"
         "{\"contains\":\"\\\"MaxResults\\\":2\",\"content_type\":\"application/x-amz-json-1.1\","
         "\"body\":\"{\\\"NextToken\\\":\\\"t1\\\"}\"},"
         "{\"contains\":\"Marker=m1\",\"body\":\"<ListUsersResponse><ListUsersResult>"
         "<IsTruncated>false</IsTruncated></ListUsersResult></ListUsersResponse>\"},"
         "{\"contains\":\"Action=ListUsers\",\"body\":\"<ListUsersResponse><ListUsersResult>"
         "<IsTruncated>true</IsTruncated><Marker>m1</Marker></ListUsersResult>"
         "</ListUsersResponse>\"}]");
  fx_t fx;
  fx_open(&fx, "kinesis", server);
  pages_t pg = {0};
  cJSON *p = cJSON_Parse("{\"MaxResults\":2}");
  assert_int_equal(uvaws_paginate(fx.client, "ListShards", p, on_page, on_pages_done, &pg, NULL), 0);
  cJSON_Delete(p);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(pages_done_err, 0);
  assert_int_equal(pg.pages, 2);
  assert_string_equal(pg.tokens, "[t1][]");
  assert_int_equal(pages_done_n, 2);
  fx_close(&fx);

  fx_open(&fx, "iam", server);
  memset(&pg, 0, sizeof pg);
  assert_int_equal(uvaws_paginate(fx.client, "ListUsers", NULL, on_page, on_pages_done, &pg, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(pages_done_err, 0);
  assert_int_equal(pg.pages, 2);
  assert_non_null(strstr(last_body(), "Marker=m1"));
  fx_close(&fx);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 4);
}

/* ---- STS credential providers -------------------------------------------------- */

static char home[256];

static void clean_env(void) {
  const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                        "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
                        "AWS_SHARED_CREDENTIALS_FILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                        "AWS_ROLE_SESSION_NAME", "AWS_ENDPOINT_URL", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  snprintf(home, sizeof home, "/tmp/uvaws-call-XXXXXX");
  assert_non_null(mkdtemp(home));
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  setenv("AWS_ENDPOINT_URL_STS", server, 1);
}

static void write_file(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/.aws", home);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/%s", home, rel);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

typedef struct {
  int remaining, done, failed;
  uvaws_client_t *client;
} drive_t;

static void drive_next(drive_t *d);
static void drive_done(const uvaws_response_t *r, void *arg) {
  drive_t *d = arg;
  d->done++;
  if (r->error)
    d->failed++;
  drive_next(d);
}
static void drive_next(drive_t *d) {
  if (d->remaining-- <= 0)
    return;
  uvaws_kv_t h[] = {{"x-test-delay-ms", "20"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/work", .headers = h, .header_count = 1};
  assert_int_equal(uvaws_fetch(d->client, &req, drive_done, d, NULL), 0);
}

/* The keys requests to /work were signed with, in order of first use. */
static int signed_with(const char *key) {
  cJSON *log = control(server, "GET", "/_log", NULL);
  int n = 0;
  const cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(e, "authorization"));
    if (path && strcmp(path, "/work") == 0 && auth && strstr(auth, key))
      n++;
  }
  cJSON_Delete(log);
  return n;
}

static void run_requests(int n) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o;
  uvaws_client_options_init(&o);
  o.service = "dynamodb";
  o.endpoint = server;
  uvaws_client_t *c;
  uvaws_error_t err;
  int rc = uvaws_client_new(&loop, &o, &c, &err);
  if (rc)
    print_error("client: %s\n", err.detail ? err.detail : "");
  uvaws_error_clear(&err);
  assert_int_equal(rc, 0);
  drive_t d = {.remaining = n, .client = c};
  drive_next(&d);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(d.failed, 0);
  uvaws_client_close(c, fx_on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void iso_in(int seconds, char *out, size_t n) {
  time_t t = time(NULL) + seconds;
  strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
}

static void test_role_profile(void **state) {
  (void)state;
  clean_env();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  char exp[32], list[4096];
  iso_in(3600, exp, sizeof exp);
  snprintf(list, sizeof list, "[{\"contains\":\"Action=AssumeRole&\",\"body\":\"%s\"}]",
           "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED"
           "</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
           "<Expiration>EXP</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>");
  char *e = strstr(list, "EXP");
  memmove(e + strlen(exp), e + 3, strlen(e + 3) + 1);
  memcpy(e, exp, strlen(exp));
  canned(list);
  write_file(".aws/config", "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                            "source_profile = base\nrole_session_name = uvaws-test\n");
  write_file(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\n"
                                 "aws_secret_access_key = base-secret\n");
  setenv("AWS_PROFILE", "app", 1);
  run_requests(5);
  assert_int_equal(signed_with("Credential=ASIAASSUMED/"), 5);
  /* the AssumeRole request itself was signed by the source profile */
  cJSON *log = control(server, "GET", "/_log?last=6", NULL);
  assert_non_null(strstr(str_at(log, "requests.0.authorization"), "Credential=AKIDBASE/"));
  assert_non_null(strstr(str_at(log, "requests.0.body"), "RoleSessionName=uvaws-test"));
  cJSON_Delete(log);
}

/* The canned AssumeRole answer (ASIAASSUMED, an hour ahead). */
static void canned_assume_role(void) {
  char exp[32], list[4096];
  iso_in(3600, exp, sizeof exp);
  snprintf(list, sizeof list, "[{\"contains\":\"Action=AssumeRole&\",\"body\":\"%s%s%s\"}]",
           "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAASSUMED"
           "</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken>"
           "<Expiration>", exp, "</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>");
  canned(list);
}

/* A role profile that also holds keys assumes the role (the keys are not
 * the profile's credentials, as the AWS CLI chains them), for the
 * duration_seconds it asks. */
static void test_role_profile_with_keys(void **state) {
  (void)state;
  clean_env();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned_assume_role();
  write_file(".aws/config", "[profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                            "source_profile = base\nduration_seconds = 1800\n");
  write_file(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\n"
                                 "aws_secret_access_key = base-secret\n"
                                 "[app]\naws_access_key_id = AKIDAPPKEYS\n"
                                 "aws_secret_access_key = app-secret\n");
  setenv("AWS_PROFILE", "app", 1);
  run_requests(2);
  assert_int_equal(signed_with("Credential=ASIAASSUMED/"), 2);
  assert_int_equal(signed_with("Credential=AKIDAPPKEYS/"), 0);
  cJSON *log = control(server, "GET", "/_log?last=3", NULL);
  assert_non_null(strstr(str_at(log, "requests.0.body"), "&DurationSeconds=1800"));
  cJSON_Delete(log);
}

/* credential_source = EcsContainer: the container's credentials sign the
 * AssumeRole request, the role's sign the rest. */
static void test_role_from_container(void **state) {
  (void)state;
  clean_env();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned_assume_role();
  write_file(".aws/config", "[profile ecs]\nrole_arn = arn:aws:iam::123456789012:role/ecs\n"
                            "credential_source = EcsContainer\n");
  char url[300];
  snprintf(url, sizeof url, "%s/creds", server);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
  setenv("AWS_PROFILE", "ecs", 1);
  run_requests(3);
  assert_int_equal(signed_with("Credential=ASIAASSUMED/"), 3);
  assert_int_equal((int)control_number(server, "/_stats", "container_creds_fetches"), 1);
  cJSON *log = control(server, "GET", "/_log?last=4", NULL);
  assert_non_null(strstr(str_at(log, "requests.0.body"), "Action=AssumeRole&"));
  assert_non_null(strstr(str_at(log, "requests.0.authorization"), "Credential=ASIACONT00000001/"));
  cJSON_Delete(log);
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  /* credential_source = Environment without the variables: refused at once, saying why */
  write_file(".aws/config", "[profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/env\n"
                            "credential_source = Environment\n");
  setenv("AWS_PROFILE", "envrole", 1);
  uvaws_creds_provider_t *p = NULL;
  uvaws_error_t err = {0};
  assert_int_equal(uvaws_creds_provider_default_chain(uv_default_loop(), NULL, &p, &err),
                   UVAWS_ECREDS);
  assert_null(p);
  assert_non_null(strstr(err.detail, "credential_source Environment, but AWS_ACCESS_KEY_ID"));
  uvaws_error_clear(&err);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

static void test_web_identity_refresh(void **state) {
  (void)state;
  clean_env();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  char exp[32], list[4096];
  iso_in(4, exp, sizeof exp); /* four seconds: refreshed during the run */
  snprintf(list, sizeof list, "[{\"contains\":\"Action=AssumeRoleWithWebIdentity\",\"body\":"
           "\"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
           "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>"
           "t</SessionToken><Expiration>%s</Expiration></Credentials>"
           "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>\"}]", exp);
  canned(list);
  char token[512];
  snprintf(token, sizeof token, "%s/token", home);
  FILE *f = fopen(token, "w");
  fputs("eyJhbGciOi.web-identity-token\n", f);
  fclose(f);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web", 1);
  run_requests(40); /* ~1 s */
  assert_int_equal(signed_with("Credential=ASIAWEB/"), 40);
  cJSON *log = control(server, "GET", "/_log?last=41", NULL);
  const char *body = str_at(log, "requests.0.body");
  assert_non_null(strstr(body, "Action=AssumeRoleWithWebIdentity"));
  /* the token is the last parameter, its line end trimmed */
  const char *tok = strstr(body, "WebIdentityToken=");
  assert_non_null(tok);
  assert_string_equal(tok, "WebIdentityToken=eyJhbGciOi.web-identity-token");
  assert_null(str_at(log, "requests.0.authorization")); /* unsigned */
  cJSON_Delete(log);
  /* a profile's web_identity_token_file without its role_arn leaves the
   * environment's pair whole (the two are never mixed) */
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned(list);
  write_file(".aws/config", "[default]\nweb_identity_token_file = /nonexistent\n");
  run_requests(2);
  assert_int_equal(signed_with("Credential=ASIAWEB/"), 2);
  unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
  unsetenv("AWS_ROLE_ARN");
}

int main(void) {
  dynalite = need_env("UVAWS_TEST_DYNALITE");
  ses = need_env("UVAWS_TEST_SES");
  server = need_env("UVAWS_TEST_SERVER");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dynamodb_items),
      cmocka_unit_test(test_dynamodb_batch_query_scan),
      cmocka_unit_test(test_waiter_and_close),
      cmocka_unit_test(test_ses_v1),
      cmocka_unit_test(test_ses_v2),
      cmocka_unit_test(test_query_protocols),
      cmocka_unit_test(test_lambda_invoke),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_json_protocol_wire),
      cmocka_unit_test(test_pagination_ends),
      cmocka_unit_test(test_role_profile),
      cmocka_unit_test(test_role_profile_with_keys),
      cmocka_unit_test(test_role_from_container),
      cmocka_unit_test(test_web_identity_refresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
