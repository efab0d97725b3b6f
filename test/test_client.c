/* The async client against the project's test server (started by
 * test/harness/peers.py): the max_clients cap, FIFO dispatch, exactly-once
 * completion at volume, cancel and close, timeouts, the response limit,
 * futures, signing at dispatch, TLS, and bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client_priv.h"
#include "testutil.h"

static const char *server;     /* http://127.0.0.1:PORT */
static const char *server_tls; /* https://127.0.0.1:PORT */
static const char *ca_file;

/* ---- plumbing -------------------------------------------------------------- */

typedef tu_fixture_t fixture_t;
#define on_closed tu_on_closed
#define fixture_open tu_fixture_open
#define fixture_close tu_fixture_close

/* One completion record per request: each callback must come exactly once. */
typedef struct {
  int calls;
  int code; /* 0 or the error code */
  long status;
  unsigned attempts;
  char *body;
} outcome_t;

static int in_submit; /* set around uvaws_fetch: no callback may come from inside */

static void record(const uvaws_response_t *r, void *arg) {
  outcome_t *o = arg;
  assert_false(in_submit);
  o->calls++;
  o->code = r->error ? r->error->code : 0;
  o->status = r->status;
  o->attempts = r->attempts;
  free(o->body);
  o->body = strndup(r->body, r->body_len);
}

static int submit(uvaws_client_t *c, const uvaws_request_t *req, outcome_t *o, uvaws_job_t **job) {
  in_submit = 1;
  int rc = uvaws_fetch(c, req, record, o, job);
  in_submit = 0;
  return rc;
}

static void free_outcomes(outcome_t *o, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(o[i].body);
    o[i].body = NULL; /* freed twice is then harmless: a loop may free before each try */
  }
}

static void reset_server(void) { cJSON_Delete(control(server, "POST", "/_reset", NULL)); }

/* ---- tests ----------------------------------------------------------------- */

static void test_roundtrip(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  fixture_t fx;
  fixture_open(&fx, &o);
  const char *body = "{\"TableName\":\"users\"}";
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.DescribeTable"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  outcome_t out = {0};
  assert_int_equal(submit(fx.client, &req, &out, NULL), 0);
  assert_int_equal(out.calls, 0); /* nothing from inside the call */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out.calls, 1);
  assert_int_equal(out.code, 0);
  assert_int_equal(out.status, 200);
  assert_int_equal(out.attempts, 1);

  /* What the server saw: signed, with our headers and no Expect/Accept noise. */
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
  cJSON *hd = cJSON_GetObjectItem(e, "headers");
  const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(e, "authorization"));
  assert_non_null(auth);
  assert_non_null(strstr(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
  assert_non_null(strstr(auth, "SignedHeaders=content-type;host;x-amz-date;x-amz-target"));
  assert_null(cJSON_GetObjectItem(hd, "expect"));
  /* the Host on the wire (written by curl) is the Host that was signed */
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(hd, "host")), server + strlen("http://"));
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "body")), body);
  assert_non_null(strstr(cJSON_GetStringValue(cJSON_GetObjectItem(hd, "user-agent")), "uvaws/"));
  cJSON_Delete(log);
  free_outcomes(&out, 1);
  fixture_close(&fx);
}

/* One User-Agent on the wire: uvaws's by default, the caller's (any case of
 * the name) instead of it, never both (the server joins repeated headers
 * with ", "). */
static void test_user_agent(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  fixture_t fx;
  fixture_open(&fx, &o);
  const char *names[] = {NULL, "User-Agent", "user-agent", "USER-AGENT"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    reset_server();
    uvaws_kv_t h[] = {{names[i] ? names[i] : "X-Other", "mine/1.0"}};
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
    outcome_t out = {0};
    assert_int_equal(submit(fx.client, &req, &out, NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(out.code, 0);
    cJSON *log = control(server, "GET", "/_log?last=1", NULL);
    cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
    const char *ua =
        cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "headers"), "user-agent"));
    assert_non_null(ua);
    if (names[i] == NULL)
      assert_true(strncmp(ua, "uvaws/", 6) == 0 && strchr(ua, ',') == NULL);
    else
      assert_string_equal(ua, "mine/1.0");
    cJSON_Delete(log);
    free_outcomes(&out, 1);
  }
  fixture_close(&fx);
}

/* One connection, one easy handle (max_clients 1), a request after another:
 * each goes out with its own URL, whether it differs from the last one (the
 * handle keeps the parsed URL it was last given), repeats it, or comes back
 * to an older one; and the path goes out as it was signed, dot segments and
 * empty segments included. */
static void test_url_per_request(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  fixture_t fx;
  fixture_open(&fx, &o);
  static const struct {
    const char *path, *query, *target;
  } steps[] = {
      {"/a", NULL, "/a"},           {"/a", NULL, "/a"},       {"/b", "1", "/b?q=1"},
      {"/b", "2", "/b?q=2"},        {"/a", NULL, "/a"},       {"/a/../b", NULL, "/a/../b"},
      {"/a//b/./c", NULL, "/a//b/./c"}, {"/a", NULL, "/a"},
  };
  enum { N = sizeof steps / sizeof *steps };
  outcome_t out[N];
  memset(out, 0, sizeof out);
  uvaws_kv_t q[N];
  for (size_t i = 0; i < N; i++) {
    q[i] = (uvaws_kv_t){"q", steps[i].query};
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = steps[i].path, .query = &q[i],
                           .query_count = steps[i].query ? 1 : 0};
    assert_int_equal(submit(fx.client, &req, &out[i], NULL), 0);
  }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  char last[32];
  snprintf(last, sizeof last, "/_log?last=%d", (int)N);
  cJSON *log = control(server, "GET", last, NULL);
  cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  assert_int_equal(cJSON_GetArraySize(reqs), N);
  for (size_t i = 0; i < N; i++) {
    assert_int_equal(out[i].code, 0);
    cJSON *e = cJSON_GetArrayItem(reqs, (int)i);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "target")), steps[i].target);
  }
  assert_true(cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, N - 1), "conn")) ==
              cJSON_GetNumberValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "conn")));
  cJSON_Delete(log);
  free_outcomes(out, N);
  fixture_close(&fx);
}

static void test_path_and_query_encoding(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.endpoint = NULL;
  char ep[300];
  snprintf(ep, sizeof ep, "%s/base/", server); /* a base path, trailing slash ignored */
  o.endpoint = ep;
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_kv_t q[] = {{"name", "a b&c=d/é"}, {"empty", ""}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/my table/ключ", .query = q, .query_count = 2};
  outcome_t out = {0};
  assert_int_equal(submit(fx.client, &req, &out, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out.code, 0);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "target")),
                      "/base/my%20table/%D0%BA%D0%BB%D1%8E%D1%87"
                      "?name=a%20b%26c%3Dd%2F%C3%A9&empty=");
  cJSON_Delete(log);
  free_outcomes(&out, 1);
  fixture_close(&fx);
}

static void test_max_clients_cap(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 8;
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 200 };
  static outcome_t out[N];
  memset(out, 0, sizeof out);
  uvaws_kv_t h[] = {{"x-test-delay-ms", "20"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
  for (int i = 0; i < N; i++)
    assert_int_equal(submit(fx.client, &req, &out[i], NULL), 0);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.in_flight, 8);
  assert_int_equal(st.queued, N - 8);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < N; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, 0);
  }
  assert_int_equal((int)control_number(server, "/_stats", "peak_concurrency"), 8);
  uvaws_client_stats(fx.client, &st);
  assert_true(st.connections <= 8); /* kept alive and reused */
  free_outcomes(out, N);
  fixture_close(&fx);
}

static void test_fifo_dispatch(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 50 };
  outcome_t out[N] = {0};
  char ids[N][16];
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "fifo-%d", i);
    uvaws_kv_t h[] = {{"x-test-id", ids[i]}};
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
    assert_int_equal(submit(fx.client, &req, &out[i], NULL), 0);
  }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  cJSON *log = control(server, "GET", "/_log?last=50", NULL);
  cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  assert_int_equal(cJSON_GetArraySize(reqs), N);
  for (int i = 0; i < N; i++) {
    cJSON *e = cJSON_GetArrayItem(reqs, i);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(e, "x_test_id")), ids[i]);
    assert_int_equal(out[i].calls, 1);
  }
  cJSON_Delete(log);
  free_outcomes(out, N);
  fixture_close(&fx);
}

static void count_once(const uvaws_response_t *r, void *arg) {
  int *calls = arg;
  calls[0]++;
  if (r->error == NULL && r->status == 200)
    calls[1]++;
}

static void test_ten_thousand(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 64;
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 10000 };
  int(*calls)[2] = calloc(N, sizeof *calls);
  const char *body = "{\"TableName\":\"users\",\"Key\":{\"id\":{\"S\":\"user-000042\"}}}";
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  for (int i = 0; i < N; i++)
    assert_int_equal(uvaws_fetch(fx.client, &req, count_once, calls[i], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  int ok = 0;
  for (int i = 0; i < N; i++) {
    assert_int_equal(calls[i][0], 1);
    ok += calls[i][1];
  }
  assert_int_equal(ok, N);
  assert_int_equal((int)control_number(server, "/_stats", "requests"), N);
  assert_true(control_number(server, "/_stats", "peak_concurrency") <= 64);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.completed, N);
  assert_true(st.connections <= 64);
  free(calls);
  fixture_close(&fx);
}

static void test_cancel(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 2;
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 10 };
  outcome_t out[N] = {0};
  uvaws_job_t *jobs[N];
  uvaws_kv_t h[] = {{"x-test-delay-ms", "200"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
  for (int i = 0; i < N; i++)
    assert_int_equal(submit(fx.client, &req, &out[i], &jobs[i]), 0);
  /* jobs[0] is in flight, jobs[5] queued */
  assert_int_equal(uvaws_cancel(jobs[0]), 0);
  assert_int_equal(uvaws_cancel(jobs[5]), 0);
  assert_int_equal(uvaws_cancel(jobs[5]), UVAWS_EBUSY); /* already on its way */
  assert_int_equal(uvaws_cancel(NULL), UVAWS_EINVAL);
  assert_int_equal(out[0].calls, 0); /* cancellation is delivered from the loop */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < N; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, (i == 0 || i == 5) ? UVAWS_ECANCELED : 0);
  }
  free_outcomes(out, N);
  fixture_close(&fx);
}

static void close_soon(uv_timer_t *t) {
  fixture_t *fx = t->data;
  uvaws_client_close(fx->client, on_closed, fx);
  uv_close((uv_handle_t *)t, NULL);
}

static void test_close_with_pending(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 4;
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 20 };
  outcome_t out[N] = {0};
  uvaws_kv_t h[] = {{"x-test-delay-ms", "2000"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
  for (int i = 0; i < N; i++)
    assert_int_equal(submit(fx.client, &req, &out[i], NULL), 0);
  uv_timer_t t;
  uv_timer_init(&fx.loop, &t);
  t.data = &fx;
  uv_timer_start(&t, close_soon, 50, 0);
  uint64_t t0 = uv_hrtime();
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_true((uv_hrtime() - t0) / 1000000 < 1500); /* did not wait for the answers */
  assert_int_equal(fx.closed, 1);
  for (int i = 0; i < N; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, UVAWS_ECANCELED);
  }
  free_outcomes(out, N);
  fx.client = NULL;
  fixture_close(&fx);
}

typedef struct {
  fixture_t *fx;
  int calls;
  int fetch_after_close;
} close_in_cb_t;

static void close_from_callback(const uvaws_response_t *r, void *arg) {
  (void)r;
  close_in_cb_t *s = arg;
  s->calls++;
  uvaws_client_close(s->fx->client, on_closed, s->fx);
  uvaws_client_close(s->fx->client, on_closed, s->fx); /* a second call does nothing */
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  s->fetch_after_close = uvaws_fetch(s->fx->client, &req, close_from_callback, s, NULL);
}

static void test_close_inside_callback(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  fixture_t fx;
  fixture_open(&fx, &o);
  close_in_cb_t s = {&fx, 0, 0};
  outcome_t later[3] = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(fx.client, &req, close_from_callback, &s, NULL), 0);
  for (int i = 0; i < 3; i++)
    assert_int_equal(submit(fx.client, &req, &later[i], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.fetch_after_close, UVAWS_ECLOSED);
  assert_int_equal(fx.closed, 1);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(later[i].calls, 1);
    assert_int_equal(later[i].code, UVAWS_ECANCELED);
  }
  free_outcomes(later, 3);
  fx.client = NULL;
  fixture_close(&fx);
}

static void test_timeouts(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  o.request_timeout_ms = 200;
  o.max_attempts = 1; /* a timeout is retried otherwise: here it is the outcome */
  fixture_t fx;
  fixture_open(&fx, &o);
  outcome_t out[3] = {0};
  uvaws_kv_t slow[] = {{"x-test-delay-ms", "3000"}};
  uvaws_kv_t stall[] = {{"x-test-stall", "1"}};
  uvaws_request_t r1 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1};
  uvaws_request_t r2 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = stall, .header_count = 1};
  uvaws_request_t r3 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1,
                        .timeout_ms = 50}; /* per-request timeout wins */
  assert_int_equal(submit(fx.client, &r1, &out[0], NULL), 0);
  assert_int_equal(submit(fx.client, &r2, &out[1], NULL), 0);
  assert_int_equal(submit(fx.client, &r3, &out[2], NULL), 0);
  uint64_t t0 = uv_hrtime();
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_true((uv_hrtime() - t0) / 1000000 < 2000);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, UVAWS_ETIMEDOUT);
  }
  free_outcomes(out, 3);
  fixture_close(&fx);
}

/* The default per-attempt limit is set (a silent endpoint cannot hang a
 * request), and -1 lifts it for one request or the whole client. */
static void test_timeout_default_and_lifted(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  fixture_t fx;
  fixture_open(&fx, &o);
  assert_int_equal(fx.client->request_timeout_ms, 60000); /* documented in client.h */
  fixture_close(&fx);

  o.request_timeout_ms = 200;
  o.max_attempts = 1;
  fixture_open(&fx, &o);
  outcome_t out[2] = {0};
  uvaws_kv_t slow[] = {{"x-test-delay-ms", "600"}};
  uvaws_request_t lifted = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1,
                            .timeout_ms = -1};
  uvaws_request_t limited = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1};
  assert_int_equal(submit(fx.client, &lifted, &out[0], NULL), 0);
  assert_int_equal(submit(fx.client, &limited, &out[1], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out[0].code, 0);
  assert_int_equal(out[1].code, UVAWS_ETIMEDOUT);
  free_outcomes(out, 2);
  fixture_close(&fx);

  o.request_timeout_ms = -1;
  fixture_open(&fx, &o);
  memset(out, 0, sizeof out);
  assert_int_equal(submit(fx.client, &limited, &out[0], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out[0].code, 0);
  free_outcomes(out, 1);
  fixture_close(&fx);

  uvaws_client_t *c = NULL;
  o.request_timeout_ms = -2;
  assert_int_equal(uvaws_client_new(uv_default_loop(), &o, &c, NULL), UVAWS_EINVAL);
  o.request_timeout_ms = 0;
  o.deadline_ms = -7;
  assert_int_equal(uvaws_client_new(uv_default_loop(), &o, &c, NULL), UVAWS_EINVAL);
  assert_null(c);
}

/* The deadline bounds a request wherever it waits: on the wire across
 * attempts, in the queue behind max_clients, and it stops retries whose
 * backoff would pass it (the last answer is delivered instead). */
static void test_deadline(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  o.request_timeout_ms = 150; /* each attempt times out ... */
  o.max_attempts = 10;        /* ... and would be retried for a long while */
  o.retry_base_delay_ms = 1;
  o.retry_max_delay_ms = 1;
  o.deadline_ms = 500;
  fixture_t fx;
  fixture_open(&fx, &o);
  outcome_t out[3] = {0};
  uvaws_kv_t stall[] = {{"x-test-stall", "1"}};
  uvaws_request_t stalled = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = stall, .header_count = 1};
  uvaws_request_t quick = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .deadline_ms = 100};
  uvaws_request_t unbounded = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .deadline_ms = -1};
  uint64_t t0 = uv_hrtime();
  assert_int_equal(submit(fx.client, &stalled, &out[0], NULL), 0);
  assert_int_equal(submit(fx.client, &quick, &out[1], NULL), 0);     /* queued behind it */
  assert_int_equal(submit(fx.client, &unbounded, &out[2], NULL), 0); /* queued, no limit */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uint64_t ms = (uv_hrtime() - t0) / 1000000;
  assert_int_equal(out[0].calls, 1);
  assert_int_equal(out[0].code, UVAWS_ETIMEDOUT);
  assert_in_range(out[0].attempts, 2, 5); /* 150 ms attempts within 500 ms */
  assert_int_equal(out[1].calls, 1);
  assert_int_equal(out[1].code, UVAWS_ETIMEDOUT); /* ended while still queued */
  assert_int_equal(out[1].attempts, 0);
  assert_int_equal(out[2].calls, 1);
  assert_int_equal(out[2].code, 0); /* sent once the slot freed */
  assert_true(ms >= 450 && ms < 3000);
  free_outcomes(out, 3);
  fixture_close(&fx);

  /* A retry whose backoff would end past the deadline is not made. */
  o = test_options(server);
  o.retry_base_delay_ms = 5000;
  o.retry_max_delay_ms = 5000;
  o.deadline_ms = 300;
  fixture_open(&fx, &o);
  uvaws_kv_t busy[] = {{"x-test-status", "503"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = busy, .header_count = 1};
  int tries = 0;
  do { /* full jitter may draw a delay short enough to fit: then it retried */
    free_outcomes(out, 3); /* a try before: its answer's body */
    memset(out, 0, sizeof out);
    assert_int_equal(submit(fx.client, &req, &out[0], NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
  } while (out[0].attempts != 1 && ++tries < 5);
  assert_int_equal(out[0].code, UVAWS_EAWS);
  assert_int_equal(out[0].status, 503);
  assert_int_equal(out[0].attempts, 1);
  free_outcomes(out, 1);
  fixture_close(&fx);
}

/* A request cancelled before its deadline ends once, cancelled; one whose
 * deadline ended it cannot be cancelled from its callback. */
typedef struct {
  uvaws_job_t *job;
  int calls, code, cancel_rc;
} deadline_cancel_t;

static void cancel_self(const uvaws_response_t *r, void *arg) {
  deadline_cancel_t *d = arg;
  d->calls++;
  d->code = r->error ? r->error->code : 0;
  d->cancel_rc = uvaws_cancel(d->job);
}

static void test_deadline_and_cancel(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  o.deadline_ms = 100;
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_kv_t stall[] = {{"x-test-stall", "1"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = stall, .header_count = 1};
  outcome_t out = {0};
  uvaws_job_t *job;
  assert_int_equal(submit(fx.client, &req, &out, &job), 0);
  assert_int_equal(uvaws_cancel(job), 0);
  deadline_cancel_t d = {0};
  assert_int_equal(uvaws_fetch(fx.client, &req, cancel_self, &d, &d.job), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out.calls, 1);
  assert_int_equal(out.code, UVAWS_ECANCELED);
  assert_int_equal(d.calls, 1);
  assert_int_equal(d.code, UVAWS_ETIMEDOUT);
  assert_int_equal(d.cancel_rc, UVAWS_EBUSY);
  free_outcomes(&out, 1);
  fixture_close(&fx);
}

static void test_response_limit(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  o.max_response_bytes = 1000;
  fixture_t fx;
  fixture_open(&fx, &o);
  outcome_t out[2] = {0};
  uvaws_kv_t big[] = {{"x-test-body-size", "50000"}};
  uvaws_kv_t fits[] = {{"x-test-body-size", "1000"}};
  uvaws_request_t r1 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = big, .header_count = 1};
  uvaws_request_t r2 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = fits, .header_count = 1};
  assert_int_equal(submit(fx.client, &r1, &out[0], NULL), 0);
  assert_int_equal(submit(fx.client, &r2, &out[1], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out[0].code, UVAWS_ETOOBIG);
  assert_int_equal(out[1].code, 0);
  assert_int_equal(strlen(out[1].body), 1000);
  free_outcomes(out, 2);
  memset(out, 0, sizeof out);

  /* The limit is exact, and holds without a Content-Length too (a chunked
   * answer announces nothing: only the client's own count can stop it). */
  static const struct {
    const char *size, *chunked;
    int code;
  } cases[] = {{"1000", "1", 0}, {"1001", "1", UVAWS_ETOOBIG}, {"1001", "0", UVAWS_ETOOBIG}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    outcome_t one = {0};
    uvaws_kv_t h[] = {{"x-test-body-size", cases[i].size}, {"x-test-chunked", cases[i].chunked}};
    uvaws_request_t r = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 2};
    assert_int_equal(submit(fx.client, &r, &one, NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(one.calls, 1);
    assert_int_equal(one.code, cases[i].code);
    if (cases[i].code == 0)
      assert_int_equal(strlen(one.body), 1000);
    free_outcomes(&one, 1);
  }
  fixture_close(&fx);

  /* The default is 64 MiB: 2 MB pass, 64 MiB + 1 do not. */
  o.max_response_bytes = 0;
  fixture_open(&fx, &o);
  uvaws_kv_t two_mb[] = {{"x-test-body-size", "2000000"}};
  uvaws_kv_t past[] = {{"x-test-body-size", "67108865"}};
  uvaws_request_t r3 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = two_mb, .header_count = 1};
  uvaws_request_t r4 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = past, .header_count = 1};
  assert_int_equal(submit(fx.client, &r3, &out[0], NULL), 0);
  assert_int_equal(submit(fx.client, &r4, &out[1], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out[0].code, 0);
  assert_int_equal(strlen(out[0].body), 2000000);
  assert_int_equal(out[1].code, UVAWS_ETOOBIG);
  free_outcomes(out, 2);
  fixture_close(&fx);
}

/* Without max_clients, 100 requests go out at once and the rest wait. */
static void test_max_clients_default(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  fixture_t fx;
  fixture_open(&fx, &o);
  enum { N = 150 };
  static outcome_t out[N];
  memset(out, 0, sizeof out);
  uvaws_kv_t h[] = {{"x-test-stall", "1"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
  for (int i = 0; i < N; i++)
    assert_int_equal(submit(fx.client, &req, &out[i], NULL), 0);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.in_flight, 100);
  assert_int_equal(st.queued, N - 100);
  fixture_close(&fx); /* cancels them all */
  for (int i = 0; i < N; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, UVAWS_ECANCELED);
  }
  free_outcomes(out, N);
}

typedef struct {
  int calls, code;
  long status;
  char type[128], message[128], request_id[128];
} error_seen_t;

static void copy_error(const uvaws_response_t *r, void *arg) {
  error_seen_t *s = arg;
  s->calls++;
  s->status = r->status;
  if (r->error) {
    s->code = r->error->code;
    snprintf(s->type, sizeof s->type, "%s", r->error->aws_type ? r->error->aws_type : "");
    snprintf(s->message, sizeof s->message, "%s", r->error->message ? r->error->message : "");
    snprintf(s->request_id, sizeof s->request_id, "%s",
             r->error->request_id ? r->error->request_id : "");
  }
}

static void test_aws_error_parsed(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_kv_t h[] = {
      {"x-test-status", "400"},
      {"x-test-content-type", "application/x-amz-json-1.0"},
      {"x-test-body", "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
                      "\"message\":\"Requested resource not found\"}"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 3};
  error_seen_t seen = {0};
  assert_int_equal(uvaws_fetch(fx.client, &req, copy_error, &seen, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(seen.calls, 1);
  assert_int_equal(seen.code, UVAWS_EAWS);
  assert_int_equal(seen.status, 400);
  assert_string_equal(seen.type, "ResourceNotFoundException");
  assert_string_equal(seen.message, "Requested resource not found");
  assert_true(strlen(seen.request_id) > 0); /* from x-amzn-RequestId */
  fixture_close(&fx);
}

static void test_network_error(void **state) {
  (void)state;
  /* A port nothing listens on: bind one, read its number, close it. */
  uv_loop_t l;
  uv_loop_init(&l);
  uv_tcp_t tcp;
  uv_tcp_init(&l, &tcp);
  struct sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", 0, &addr);
  uv_tcp_bind(&tcp, (const struct sockaddr *)&addr, 0);
  int len = sizeof addr;
  uv_tcp_getsockname(&tcp, (struct sockaddr *)&addr, &len);
  uv_close((uv_handle_t *)&tcp, NULL);
  uv_run(&l, UV_RUN_DEFAULT);
  uv_loop_close(&l);
  char ep[64];
  snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(addr.sin_port));
  uvaws_client_options_t o = test_options(ep);
  o.max_attempts = 1; /* refused connections are retried otherwise */
  fixture_t fx;
  fixture_open(&fx, &o);
  error_seen_t seen = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(fx.client, &req, copy_error, &seen, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(seen.calls, 1);
  assert_int_equal(seen.code, UVAWS_ENETWORK);
  assert_int_equal(seen.status, 0);
  fixture_close(&fx);
}

static void test_tls(void **state) {
  (void)state;
  if (server_tls == NULL || ca_file == NULL)
    skip();
  /* Trusted through the CA file option. */
  uvaws_client_options_t o = test_options(server_tls);
  o.ca_file = ca_file;
  fixture_t fx;
  fixture_open(&fx, &o);
  error_seen_t seen = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(fx.client, &req, copy_error, &seen, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(seen.code, 0);
  assert_int_equal(seen.status, 200);
  fixture_close(&fx);
  /* Refused without it: verification is on by default. */
  o.ca_file = NULL;
  fixture_open(&fx, &o);
  memset(&seen, 0, sizeof seen);
  assert_int_equal(uvaws_fetch(fx.client, &req, copy_error, &seen, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(seen.calls, 1);
  assert_int_equal(seen.code, UVAWS_ETLS);
  fixture_close(&fx);
}

/* A clock the test moves by hand. */
static int64_t fake_now;
static int64_t fake_clock(void *arg) {
  (void)arg;
  return fake_now;
}

static void step_clock(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
  fake_now += 3600; /* an hour passes while the second request waits */
}

static void test_signed_at_dispatch(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  o.clock = fake_clock;
  fake_now = 1700000000; /* 2023-11-14T22:13:20Z */
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_kv_t h1[] = {{"x-test-id", "first"}};
  uvaws_kv_t h2[] = {{"x-test-id", "second"}};
  uvaws_request_t r1 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h1, .header_count = 1};
  uvaws_request_t r2 = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h2, .header_count = 1};
  outcome_t out = {0};
  assert_int_equal(uvaws_fetch(fx.client, &r1, step_clock, NULL, NULL), 0);
  assert_int_equal(submit(fx.client, &r2, &out, NULL), 0); /* queued behind the first */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  cJSON *log = control(server, "GET", "/_log?last=2", NULL);
  cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 0), "x_amz_date")),
                      "20231114T221320Z");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(reqs, 1), "x_amz_date")),
                      "20231114T231320Z");
  cJSON_Delete(log);
  free_outcomes(&out, 1);
  fixture_close(&fx);
}

static void test_bad_input(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(server);
  o.max_clients = 1;
  o.max_queue = 1;
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_client_t *c = fx.client;
  uvaws_request_t ok = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(NULL, &ok, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch(c, NULL, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch(c, &ok, NULL, NULL, NULL), UVAWS_EINVAL);
  uvaws_request_t r = ok;
  r.method = NULL;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  r.method = "";
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  r.method = "GE T";
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EMETHOD);
  r = ok;
  r.path = "relative";
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EPATH);
  r.path = "/a\r\nX-Injected: 1";
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EPATH);
  r.path = NULL;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EPATH);
  r = ok;
  uvaws_kv_t bad_name[] = {{"Bad Name", "v"}};
  r.headers = bad_name;
  r.header_count = 1;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EHEADERNAME);
  uvaws_kv_t bad_value[] = {{"X-Ok", "v\r\nX-Injected: 1"}};
  r.headers = bad_value;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EHEADERVALUE);
  uvaws_kv_t null_value[] = {{"X-Ok", NULL}};
  r.headers = null_value;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  r.headers = NULL; /* count without array */
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EINVAL);
  r = ok;
  uvaws_kv_t bad_query[] = {{"a", "b\nc"}};
  r.query = bad_query;
  r.query_count = 1;
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EQUERY);
  r = ok;
  r.body_len = 10; /* no body */
  assert_int_equal(uvaws_fetch(c, &r, tu_never_called, NULL, NULL), UVAWS_EINVAL);

  /* The queue bound: one in flight, one queued, the third refused. */
  outcome_t out[2] = {0};
  assert_int_equal(submit(c, &ok, &out[0], NULL), 0);
  assert_int_equal(submit(c, &ok, &out[1], NULL), 0);
  assert_int_equal(uvaws_fetch(c, &ok, tu_never_called, NULL, NULL), UVAWS_EQUEUEFULL);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out[0].calls + out[1].calls, 2);
  free_outcomes(out, 2);
  fixture_close(&fx);
}

typedef struct {
  int calls, code;
  long status;
  char body[8192];
} body_t;

static void copy_body(const uvaws_response_t *r, void *arg) {
  body_t *b = arg;
  b->calls++;
  b->code = r->error ? r->error->code : 0;
  b->status = r->status;
  snprintf(b->body, sizeof b->body, "%s", r->body);
}

static void test_presign_and_explain(void **state) {
  (void)state;
  reset_server();
  uvaws_client_options_t o = test_options(server);
  o.session_token = "FwoGZXIvYXdzEXAMPLETOKEN";
  fixture_t fx;
  fixture_open(&fx, &o);
  uvaws_kv_t q[] = {{"list-type", "2"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/bucket/my key.txt", .query = q, .query_count = 1};
  body_t url = {0}, ex = {0};
  assert_int_equal(uvaws_presign(fx.client, &req, 0, copy_body, &url, NULL), UVAWS_EEXPIRES);
  assert_int_equal(uvaws_presign(fx.client, &req, 700000, copy_body, &url, NULL), UVAWS_EEXPIRES);
  assert_int_equal(uvaws_presign(fx.client, &req, 900, copy_body, &url, NULL), 0);
  assert_int_equal(uvaws_sign_explain(fx.client, &req, copy_body, &ex, NULL), 0);
  assert_int_equal(url.calls + ex.calls, 0); /* from the loop, never from inside */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(url.code, 0);
  assert_int_equal(url.status, 200);
  char prefix[300];
  snprintf(prefix, sizeof prefix, "%s/bucket/my%%20key.txt?list-type=2&X-Amz-Algorithm=", server);
  assert_true(strncmp(url.body, prefix, strlen(prefix)) == 0);
  assert_non_null(strstr(url.body, "X-Amz-Expires=900"));
  assert_non_null(strstr(url.body, "X-Amz-Security-Token="));
  assert_int_equal((int)control_number(server, "/_stats", "requests"), 0); /* nothing sent */
  /* the URL works as it is, for the method it was signed for (the server
   * verifies it) */
  CURL *e = curl_easy_init();
  curl_easy_setopt(e, CURLOPT_URL, url.body);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, tu_write);
  tu_buf_t sink = {0};
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &sink);
  assert_int_equal(curl_easy_perform(e), CURLE_OK);
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  assert_int_equal(code, 200);
  curl_easy_cleanup(e);
  free(sink.data);
  cJSON *j = cJSON_Parse(ex.body);
  assert_non_null(j);
  const char *cr = cJSON_GetStringValue(cJSON_GetObjectItem(j, "canonical_request"));
  assert_non_null(cr);
  const char *want = "GET\n/bucket/my%2520key.txt\nlist-type=2\n";
  assert_true(strncmp(cr, want, strlen(want)) == 0);
  assert_non_null(cJSON_GetStringValue(cJSON_GetObjectItem(j, "string_to_sign")));
  assert_null(strstr(ex.body, "FwoGZXIvYXdzEXAMPLETOKEN")); /* never the token */
  assert_null(strstr(ex.body, "wJalrXUtnFEMI")); /* never the secret */
  cJSON_Delete(j);
  fixture_close(&fx);
}

static void test_client_options(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_t *c = (uvaws_client_t *)&loop;
  uvaws_error_t err;
  uvaws_client_options_t o = test_options(server);
  assert_int_equal(uvaws_client_new(NULL, &o, &c, &err), UVAWS_EINVAL);
  assert_null(c);
  uvaws_error_clear(&err);
  assert_int_equal(uvaws_client_new(&loop, NULL, &c, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  o.service = NULL;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  o = test_options(server);
  o.region = "us east";
  assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  o = test_options(server);
  o.secret_key = NULL; /* a key without its secret is a mistake, said so */
  assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), UVAWS_EINVAL);
  assert_null(strstr(err.detail, "wJalr")); /* never the secret */
  uvaws_error_clear(&err);
  const char *bad_endpoints[] = {"not a url", "ftp://127.0.0.1/", "http://127.0.0.1/?q=1",
                                 "http://user@127.0.0.1/", "http://127.0.0.1/#frag"};
  for (size_t i = 0; i < sizeof bad_endpoints / sizeof *bad_endpoints; i++) {
    o = test_options(bad_endpoints[i]);
    assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), UVAWS_EENDPOINT);
    assert_non_null(err.detail);
    uvaws_error_clear(&err);
  }
  o = test_options(server);
  o.session_token = "tok\r\nen";
  assert_int_equal(uvaws_client_new(&loop, &o, &c, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  uvaws_client_close(NULL, NULL, NULL); /* no-op */
  assert_int_equal(uvaws_client_stats(NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  server_tls = getenv("UVAWS_TEST_SERVER_TLS");
  ca_file = getenv("UVAWS_TEST_CA_FILE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_roundtrip),
      cmocka_unit_test(test_user_agent),
      cmocka_unit_test(test_url_per_request),
      cmocka_unit_test(test_path_and_query_encoding),
      cmocka_unit_test(test_max_clients_cap),
      cmocka_unit_test(test_max_clients_default),
      cmocka_unit_test(test_fifo_dispatch),
      cmocka_unit_test(test_ten_thousand),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_close_with_pending),
      cmocka_unit_test(test_close_inside_callback),
      cmocka_unit_test(test_timeouts),
      cmocka_unit_test(test_timeout_default_and_lifted),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_deadline_and_cancel),
      cmocka_unit_test(test_response_limit),
      cmocka_unit_test(test_aws_error_parsed),
      cmocka_unit_test(test_network_error),
      cmocka_unit_test(test_tls),
      cmocka_unit_test(test_signed_at_dispatch),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_client_options),
      cmocka_unit_test(test_presign_and_explain),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
