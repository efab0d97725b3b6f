/* The operation layer's own rules on the test server's recorded answers:
 * pagination (tokens carried, an empty token ends it, the same token twice
 * is an error, cancel from a page), waiters (acceptors, attempts, the
 * deadline, cancel in the pause), handles and futures (cancel semantics,
 * futures that outlive their client), and the endpoints of global services. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static const char *server;

#include "calltest.h"

static void canned(const char *json_list) { canned_answers(server, json_list); }

/* ---- paginators, waiters and handles on recorded answers ------------------------ */

/* One recorded answer: for requests whose body (or query) holds `contains`. */
static cJSON *answer(const char *contains, int status, const char *ctype, const char *body) {
  cJSON *a = cJSON_CreateObject();
  if (contains)
    cJSON_AddStringToObject(a, "contains", contains);
  cJSON_AddNumberToObject(a, "status", status);
  cJSON_AddStringToObject(a, "content_type", ctype);
  cJSON_AddStringToObject(a, "body", body);
  return a;
}

static void answers(cJSON *a, cJSON *b) {
  cJSON *list = cJSON_CreateArray();
  cJSON_AddItemToArray(list, a);
  if (b)
    cJSON_AddItemToArray(list, b);
  char *t = cJSON_PrintUnformatted(list);
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned(t);
  free(t);
  cJSON_Delete(list);
}

#define DDB_JSON "application/x-amz-json-1.0"

typedef struct {
  int pages, stop_at, cancel_at;
  uvaws_op_t *op;
  int ends, code;
  unsigned counted;
  char message[256];
} pg_t;

static int on_pg_page(uvaws_result_t *page, void *arg) {
  pg_t *p = arg;
  (void)page;
  p->pages++;
  if (p->cancel_at && p->pages == p->cancel_at)
    assert_int_equal(uvaws_op_cancel(p->op), 0);
  return p->stop_at && p->pages >= p->stop_at;
}

static void on_pg_end(const uvaws_error_t *err, unsigned pages, void *arg) {
  pg_t *p = arg;
  p->ends++;
  p->code = err ? err->code : 0;
  p->counted = pages;
  snprintf(p->message, sizeof p->message, "%s",
           err ? (err->message ? err->message : err->detail ? err->detail : "") : "");
}

static pg_t run_pages(fx_t *fx, const char *op, int cancel_at) {
  pg_t p = {.cancel_at = cancel_at};
  assert_int_equal(uvaws_paginate(fx->client, op, NULL, on_pg_page, on_pg_end, &p, &p.op), 0);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(p.ends, 1);
  return p;
}

static void test_pagination_rules(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "dynamodb", server);
  /* the second page's token is "": no token, the end */
  answers(answer("\"ExclusiveStartTableName\":\"tb2\"", 200, DDB_JSON,
                 "{\"TableNames\":[\"tb3\"],\"LastEvaluatedTableName\":\"\"}"),
          answer(NULL, 200, DDB_JSON,
                 "{\"TableNames\":[\"tb1\",\"tb2\"],\"LastEvaluatedTableName\":\"tb2\"}"));
  pg_t p = run_pages(&fx, "ListTables", 0);
  assert_int_equal(p.code, 0);
  assert_int_equal(p.pages, 2);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 2);
  /* the same token back: an error after its page, not a loop */
  answers(answer(NULL, 200, DDB_JSON, "{\"TableNames\":[\"tb1\"],\"LastEvaluatedTableName\":\"tb1\"}"),
          NULL);
  p = run_pages(&fx, "ListTables", 0);
  assert_int_equal(p.code, UVAWS_EPROTOCOL);
  assert_non_null(strstr(p.message, "same continuation token"));
  assert_int_equal(p.pages, 2);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 2);
  /* cancelled from its page callback: it ends after that page, cancelled */
  answers(answer(NULL, 200, DDB_JSON, "{\"TableNames\":[\"tb1\"],\"LastEvaluatedTableName\":\"xyz\"}"),
          NULL);
  p = run_pages(&fx, "ListTables", 1);
  assert_int_equal(p.code, UVAWS_ECANCELED);
  assert_int_equal(p.pages, 1);
  /* an operation without a paginator, with the closest names */
  p = run_pages(&fx, "ListTable", 0);
  assert_int_equal(p.code, UVAWS_EOPERATION);
  assert_non_null(strstr(p.message, "ListTables"));
  fx_close(&fx);
  /* a false "more results" ends it whatever the token (S3 ListObjects: IsTruncated) */
  fx_open(&fx, "s3", server);
  answers(answer(NULL, 200, "application/xml",
                 "<ListBucketResult><IsTruncated>false</IsTruncated><NextMarker>m</NextMarker>"
                 "<Contents><Key>a</Key></Contents></ListBucketResult>"), NULL);
  pg_t q = {0};
  cJSON *params = cJSON_Parse("{\"Bucket\":\"bk\"}");
  assert_int_equal(uvaws_paginate(fx.client, "ListObjects", params, on_pg_page, on_pg_end, &q, NULL), 0);
  cJSON_Delete(params);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(q.code, 0);
  assert_int_equal(q.pages, 1);
  fx_close(&fx);
}

typedef struct {
  int calls, code;
  char type[64], message[256];
} wt_t;

static void on_wt(const uvaws_error_t *err, void *arg) {
  wt_t *w = arg;
  w->calls++;
  w->code = err ? err->code : 0;
  snprintf(w->type, sizeof w->type, "%s", err && err->aws_type ? err->aws_type : "");
  snprintf(w->message, sizeof w->message, "%s",
           err ? (err->message ? err->message : err->detail ? err->detail : "") : "");
}

static wt_t wait_for(fx_t *fx, const char *waiter, const char *params_json, unsigned attempts) {
  wt_t w = {0};
  uvaws_wait_options_t o = UVAWS_WAIT_OPTIONS_INIT;
  o.delay_ms = 10;
  o.max_attempts = attempts;
  cJSON *params = cJSON_Parse(params_json);
  assert_int_equal(uvaws_wait_for(fx->client, waiter, params, &o, on_wt, &w, NULL), 0);
  cJSON_Delete(params);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(w.calls, 1);
  return w;
}

static void test_waiter_rules(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "dynamodb", server);
  const char *not_found = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                          "\"message\":\"no table\"}";
  /* an error acceptor in success state (TableNotExists) */
  answers(answer(NULL, 400, DDB_JSON, not_found), NULL);
  wt_t w = wait_for(&fx, "TableNotExists", "{\"TableName\":\"tbl\"}", 5);
  assert_int_equal(w.code, 0);
  /* the same error in retry state (TableExists): every attempt, then a timeout */
  w = wait_for(&fx, "TableExists", "{\"TableName\":\"tbl\"}", 4);
  assert_int_equal(w.code, UVAWS_ETIMEDOUT);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 1 + 4);
  /* an error no acceptor matches ends it with that error */
  answers(answer(NULL, 400, DDB_JSON, "{\"__type\":\"AccessDeniedException\",\"message\":\"no\"}"), NULL);
  w = wait_for(&fx, "TableExists", "{\"TableName\":\"tbl\"}", 4);
  assert_int_equal(w.code, UVAWS_EAWS);
  assert_string_equal(w.type, "AccessDeniedException");
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 1);
  fx_close(&fx);
  /* a failure state (pathAny): ends with the reason */
  fx_open(&fx, "ec2", server);
  answers(answer(NULL, 200, "text/xml",
                 "<DescribeInstancesResponse><requestId>r</requestId><reservationSet><item>"
                 "<instancesSet><item><instanceId>i-1</instanceId><instanceState><name>terminated"
                 "</name></instanceState></item></instancesSet></item></reservationSet>"
                 "</DescribeInstancesResponse>"), NULL);
  w = wait_for(&fx, "InstanceRunning", "{\"InstanceIds\":[\"i-1\"]}", 5);
  assert_int_equal(w.code, UVAWS_EAWS);
  assert_non_null(strstr(w.message, "a failure state"));
  assert_non_null(strstr(w.message, "terminated"));
  /* ... and success (pathAll) */
  answers(answer(NULL, 200, "text/xml",
                 "<DescribeInstancesResponse><reservationSet><item><instancesSet><item>"
                 "<instanceState><name>running</name></instanceState></item><item><instanceState>"
                 "<name>running</name></instanceState></item></instancesSet></item></reservationSet>"
                 "</DescribeInstancesResponse>"), NULL);
  w = wait_for(&fx, "InstanceRunning", "{}", 5);
  assert_int_equal(w.code, 0);
  fx_close(&fx);
}

static void cancel_op(uv_timer_t *t) {
  assert_int_equal(uvaws_op_cancel(t->data), 0);
  uv_close((uv_handle_t *)t, NULL);
}

typedef struct {
  int calls, code, cancel_in_cb;
  uvaws_op_t *op;
} own_t;

static void on_own(uvaws_result_t *r, void *arg) {
  own_t *o = arg;
  o->calls++;
  o->code = r->error ? r->error->code : 0;
  /* a handle whose callback runs cannot be cancelled any more */
  o->cancel_in_cb = uvaws_op_cancel(o->op);
}

static void count_then(const uvaws_response_t *r, void *arg) {
  (void)r;
  ++*(int *)arg;
}

static void test_handles_and_futures(void **state) {
  (void)state;
  fx_t fx;
  fx_open(&fx, "dynamodb", server);
  answers(answer(NULL, 400, DDB_JSON, "{\"__type\":\"ResourceNotFoundException\",\"message\":\"n\"}"),
          NULL);
  /* a waiter cancelled in its pause: once, cancelled */
  wt_t w = {0};
  uvaws_op_t *op = NULL;
  uvaws_wait_options_t o = UVAWS_WAIT_OPTIONS_INIT;
  o.delay_ms = 60000;
  cJSON *params = cJSON_Parse("{\"TableName\":\"tbl\"}");
  assert_int_equal(uvaws_wait_for(fx.client, "TableExists", params, &o, on_wt, &w, &op), 0);
  uv_timer_t t;
  uv_timer_init(&fx.loop, &t);
  t.data = op;
  uv_timer_start(&t, cancel_op, 100, 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(w.calls, 1);
  assert_int_equal(w.code, UVAWS_ECANCELED);
  /* a call cancelled on the wire, and one cancelled from its own callback (refused) */
  own_t a = {0}, b = {0};
  assert_int_equal(uvaws_call(fx.client, "DescribeTable", params, on_own, &a, &a.op), 0);
  assert_int_equal(uvaws_op_cancel(a.op), 0);
  assert_int_equal(uvaws_call(fx.client, "DescribeTable", params, on_own, &b, &b.op), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.code, UVAWS_ECANCELED);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.code, UVAWS_EAWS);
  assert_int_equal(b.cancel_in_cb, UVAWS_EBUSY);
  assert_int_equal(uvaws_op_cancel(NULL), UVAWS_EINVAL);
  /* an early error cannot be cancelled either: it is on its way */
  own_t c = {0};
  assert_int_equal(uvaws_call(fx.client, "NoSuchThing", params, on_own, &c, &c.op), 0);
  assert_int_equal(uvaws_op_cancel(c.op), UVAWS_EBUSY);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(c.code, UVAWS_EOPERATION);
  cJSON_Delete(params);

  /* futures: a blocking call is uvaws_future_wait */
  answers(answer(NULL, 200, DDB_JSON, "{\"TableNames\":[\"a\"]}"), NULL);
  int err = -1;
  uvaws_future_t *f = uvaws_call_future(fx.client, "ListTables", NULL, &err);
  assert_non_null(f);
  assert_int_equal(err, 0);
  const uvaws_response_t *res;
  assert_int_equal(uvaws_future_wait(f, &res), 0);
  assert_null(res->error);
  assert_int_equal(res->status, 200);
  const cJSON *out = uvaws_future_output(f);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(out, "TableNames"), 0)), "a");
  cJSON *taken = uvaws_future_take_output(f);
  assert_null(uvaws_future_output(f));
  cJSON_Delete(taken);
  uvaws_future_release(f);
  /* a problem of the parameters: the future's response carries it */
  cJSON *badp = cJSON_Parse("{\"Limit\":\"ten\"}");
  f = uvaws_call_future(fx.client, "ListTables", badp, &err);
  cJSON_Delete(badp);
  assert_non_null(f);
  assert_int_equal(uvaws_future_wait(f, &res), 0);
  assert_int_equal(res->error->code, UVAWS_EPARAM);
  assert_int_equal(res->status, 0);
  assert_null(uvaws_future_output(f));
  uvaws_future_release(f);
  /* released while pending: the call is cancelled, nothing leaks */
  f = uvaws_call_future(fx.client, "ListTables", NULL, &err);
  uvaws_future_release(f);
  assert_null(uvaws_call_future(NULL, "ListTables", NULL, &err));
  assert_int_equal(err, UVAWS_EINVAL);
  /* a call future outlives its client: closing completes it (cancelled,
   * unless the answer won the race), a cancel then says it is too late, a
   * `then` still comes from the loop */
  f = uvaws_call_future(fx.client, "ListTables", NULL, &err);
  assert_non_null(f);
  uvaws_client_close(fx.client, fx_on_closed, NULL);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_true(uvaws_future_done(f));
  const uvaws_error_t *closed = uvaws_future_response(f)->error;
  if (closed != NULL)
    assert_int_equal(closed->code, UVAWS_ECANCELED);
  assert_int_equal(uvaws_future_cancel(f), UVAWS_EBUSY);
  assert_int_equal(uvaws_future_wait(f, &res), 0);
  int thens = 0;
  assert_int_equal(uvaws_future_then(f, count_then, &thens), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(thens, 1);
  uvaws_future_release(f);
  assert_int_equal(uv_loop_close(&fx.loop), 0);
}

typedef struct {
  int calls;
  char text[4096];
} explained_t;

static void on_explained(const uvaws_response_t *r, void *arg) {
  explained_t *e = arg;
  e->calls++;
  snprintf(e->text, sizeof e->text, "%s", r->body ? r->body : "");
}

/* Where a client of `service` in eu-west-1 sends, and the scope it signs. */
static void expect_endpoint(const char *service, const char *url, const char *scope) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o;
  uvaws_client_options_init(&o);
  o.service = service;
  o.region = "eu-west-1";
  o.access_key = "AKIDEXAMPLE";
  o.secret_key = "secret";
  uvaws_client_t *c;
  uvaws_error_t err;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), 0);
  explained_t e = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_sign_explain(c, &req, on_explained, &e, NULL), 0); /* nothing is sent */
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(e.calls, 1);
  cJSON *j = cJSON_Parse(e.text);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(j, "url")), url);
  assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(j, "string_to_sign")), scope));
  cJSON_Delete(j);
  uvaws_client_close(c, fx_on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_global_endpoints(void **state) {
  (void)state;
  /* nothing configured may point elsewhere: static keys, no files, no endpoints */
  const char *vars[] = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ENDPOINT_URL",
                        "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_ROUTE_53",
                        "AWS_ENDPOINT_URL_CLOUDFRONT", "AWS_ENDPOINT_URL_DYNAMODB",
                        "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SES"};
  for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
    unsetenv(vars[i]);
  unsetenv("AWS_CONFIG_FILE");
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  char home[] = "/tmp/uvaws-rules-XXXXXX"; /* no ~/.aws to read */
  assert_non_null(mkdtemp(home));
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  /* the models' global services: one endpoint, signed for us-east-1 */
  expect_endpoint("iam", "https://iam.amazonaws.com/", "/us-east-1/iam/aws4_request");
  expect_endpoint("route53", "https://route53.amazonaws.com/", "/us-east-1/route53/aws4_request");
  expect_endpoint("cloudfront", "https://cloudfront.amazonaws.com/",
                  "/us-east-1/cloudfront/aws4_request");
  /* the others, S3 and STS included, stay in their region */
  expect_endpoint("dynamodb", "https://dynamodb.eu-west-1.amazonaws.com/",
                  "/eu-west-1/dynamodb/aws4_request");
  expect_endpoint("s3", "https://s3.eu-west-1.amazonaws.com/", "/eu-west-1/s3/aws4_request");
  expect_endpoint("sts", "https://sts.eu-west-1.amazonaws.com/", "/eu-west-1/sts/aws4_request");
  /* SES signs as "ses" at email.REGION */
  expect_endpoint("ses", "https://email.eu-west-1.amazonaws.com/", "/eu-west-1/ses/aws4_request");
  rmdir(home);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pagination_rules),
      cmocka_unit_test(test_waiter_rules),
      cmocka_unit_test(test_handles_and_futures),
      cmocka_unit_test(test_global_endpoints),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
