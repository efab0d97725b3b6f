/* The observation hook (uvaws_client_options_t.observe) against the test
 * server: once per accepted request, before its callback, whatever the end
 * (success, AWS error, network error, cancel, close); each field plausible
 * and consistent with the others and with what the server logged (bytes,
 * attempts); queue time split between waiting for a slot and waiting for
 * credentials; the connect time over TLS ending with the handshake; and a
 * hook that submits, cancels and closes from inside. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof *(a))
#define MAX_SEEN 64

static const char *server, *server_tls, *ca_file;

/* ---- what the hook and the callbacks saw -------------------------------------- */

typedef struct {
  uvaws_observation_t o;
  char service[32], operation[64], method[16];
  uintptr_t tag; /* the request's callback arg, matched at its callback */
  int callback_seen_before; /* its callback had run already: a bug */
  uv_thread_t thread;
} seen_obs_t;

typedef struct recorder_s recorder_t;
typedef void (*reenter_fn)(recorder_t *r, const uvaws_observation_t *o);

struct recorder_s {
  seen_obs_t obs[MAX_SEEN];
  size_t n_obs;
  size_t n_callbacks;
  uintptr_t pending_tag; /* set by the callback wrapper just before delivery */
  uvaws_client_t *client;
  reenter_fn reenter; /* what the hook does besides recording */
  int closed;
};

static void copy_text(char *dst, size_t n, const char *s) {
  snprintf(dst, n, "%s", s ? s : "(null)");
}

static void on_observe(const uvaws_observation_t *o, void *arg) {
  recorder_t *r = arg;
  assert_true(r->n_obs < MAX_SEEN);
  seen_obs_t *s = &r->obs[r->n_obs++];
  s->o = *o;
  assert_int_equal(o->size, sizeof *o);
  copy_text(s->service, sizeof s->service, o->service);
  copy_text(s->operation, sizeof s->operation, o->operation);
  copy_text(s->method, sizeof s->method, o->method);
  s->thread = uv_thread_self();
  if (r->reenter)
    r->reenter(r, o);
}

typedef struct {
  recorder_t *rec;
  int calls;
  int code;
  long status;
  size_t body_len;
  unsigned attempts;
  size_t obs_before; /* observations when the callback ran */
} req_t;

static void on_done(const uvaws_response_t *res, void *arg) {
  req_t *q = arg;
  q->calls++;
  q->rec->n_callbacks++;
  q->code = res->error ? res->error->code : 0;
  q->status = res->status;
  q->body_len = res->body_len;
  q->attempts = res->attempts;
  q->obs_before = q->rec->n_obs;
}

static uvaws_client_options_t observed(recorder_t *rec) {
  uvaws_client_options_t o = test_options(server);
  o.observe = on_observe;
  o.observe_arg = rec;
  o.retry_base_delay_ms = 5;
  o.retry_max_delay_ms = 20;
  return o;
}

static void open_observed(tu_fixture_t *fx, recorder_t *rec, const uvaws_client_options_t *o) {
  memset(rec, 0, sizeof *rec);
  tu_fixture_open(fx, o);
  rec->client = fx->client;
}

/* A fresh server log and an observed client (max_clients 0: the default). */
static void begin(tu_fixture_t *fx, recorder_t *rec, unsigned max_clients) {
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  uvaws_client_options_t o = observed(rec);
  o.max_clients = max_clients;
  open_observed(fx, rec, &o);
}

static uvaws_request_t request(const char *method, const char *path) {
  uvaws_request_t q = UVAWS_REQUEST_INIT;
  q.method = method;
  q.path = path;
  return q;
}

static void close_fx(tu_fixture_t *fx) {
  if (fx->client)
    uvaws_client_close(fx->client, NULL, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

/* Sums and order every observation must keep. */
static void check_consistent(const uvaws_observation_t *o) {
  assert_true(o->queued_us + o->credentials_us + o->signing_us + o->transfer_us <=
              o->total_us + 1); /* +1: each rounds down on its own */
  assert_true(o->connect_us <= o->first_byte_us || o->first_byte_us == 0);
  assert_true(o->first_byte_us <= o->transfer_us);
  if (o->attempts == 0) { /* never on the wire */
    assert_int_equal(o->transfer_us, 0);
    assert_int_equal(o->request_wire_bytes, 0);
    assert_int_equal(o->response_wire_bytes, 0);
    assert_int_equal(o->status, 0);
  }
  if (o->status == 0)
    assert_int_equal(o->response_body_bytes, 0);
  if (o->response_wire_bytes > 0) /* the head comes with the body */
    assert_true(o->response_wire_bytes > o->response_body_bytes);
}

/* The bytes of a request as the server logged it: request line, headers,
 * blank line, body. */
static uint64_t logged_request_bytes(cJSON *rec) {
  const char *method = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "method"));
  const char *target = cJSON_GetStringValue(cJSON_GetObjectItem(rec, "target"));
  uint64_t n = strlen(method) + 1 + strlen(target) + strlen(" HTTP/1.1\r\n");
  const cJSON *h;
  cJSON_ArrayForEach(h, cJSON_GetObjectItem(rec, "headers")) {
    n += strlen(h->string) + 2 + strlen(cJSON_GetStringValue(h)) + 2;
  }
  return n + 2 + (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(rec, "body_len"));
}

/* ---- a fetch: every field ------------------------------------------------------ */

static void test_fetch_fields(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  begin(&fx, &rec, 0);
  uvaws_kv_t h[] = {{"x-test-body-size", "100"}};
  uvaws_request_t q1 = request("POST", "/first");
  q1.headers = h;
  q1.header_count = N(h);
  q1.body = "hello";
  q1.body_len = 5;
  req_t a = {.rec = &rec}, b = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q1, on_done, &a, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  /* the same again on the kept-alive connection */
  assert_int_equal(uvaws_fetch(fx.client, &q1, on_done, &b, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 2);
  assert_int_equal(a.calls, 1);
  assert_int_equal(a.obs_before, 1); /* the hook came first */
  assert_int_equal(b.obs_before, 2);
  cJSON *log = control(server, "GET", "/_log?last=2", NULL);
  for (int i = 0; i < 2; i++) {
    const uvaws_observation_t *ob = &rec.obs[i].o;
    check_consistent(ob);
    assert_string_equal(rec.obs[i].service, "dynamodb");
    assert_string_equal(rec.obs[i].operation, "(null)");
    assert_string_equal(rec.obs[i].method, "POST");
    assert_int_equal(ob->status, 200);
    assert_int_equal(ob->error, 0);
    assert_int_equal(ob->attempts, 1);
    assert_int_equal(ob->request_body_bytes, 5);
    assert_int_equal(ob->response_body_bytes, 100);
    assert_int_equal(ob->response_body_bytes, a.body_len);
    cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), i);
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "body_len")), 5);
    assert_int_equal(ob->request_wire_bytes, logged_request_bytes(r));
    assert_true(ob->response_wire_bytes > 100);
    assert_true(ob->signing_us > 0);
    assert_true(ob->first_byte_us > 0);
    assert_int_equal(ob->credentials_us, 0); /* static keys: nothing to wait for */
    assert_true(ob->total_us > 0);
  }
  assert_true(rec.obs[0].o.connect_us > 0); /* a new connection */
  assert_int_equal(rec.obs[1].o.connect_us, 0); /* the kept one */
  cJSON_Delete(log);
  close_fx(&fx);
}

/* ---- over TLS: the connect phase ends with the handshake ------------------------ */

#define HANDSHAKE_DELAY_MS 300

/* The server holds each new TLS connection HANDSHAKE_DELAY_MS before its
 * handshake (the TCP accept comes at once), so the connect time, which
 * ends when the handshake does, is at least that: a lower bound, not a
 * race. A new connection counts, the kept one does not, and the new one a
 * request needs when its kept connection closes under it counts again. */
static void test_connect_includes_tls_handshake(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  char cfg[64];
  snprintf(cfg, sizeof cfg, "{\"tls_handshake_delay_ms\": %d}", HANDSHAKE_DELAY_MS);
  cJSON *r = control(server, "POST", "/_config", cfg);
  assert_non_null(r);
  cJSON_Delete(r);
  recorder_t rec;
  tu_fixture_t fx;
  uvaws_client_options_t o = observed(&rec);
  o.endpoint = server_tls;
  o.ca_file = ca_file;
  o.max_attempts = 2;
  open_observed(&fx, &rec, &o);
  uvaws_request_t q = request("GET", "/tls");
  req_t a = {.rec = &rec}, b = {.rec = &rec}, c = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &b, NULL), 0); /* kept connection */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  /* the kept connection closed unanswered: the request connects anew */
  uvaws_kv_t once[] = {{"x-test-fault", "close-before"}, {"x-test-fault-times", "1"},
                       {"x-test-id", "obs-tls-retry"}};
  q.headers = once;
  q.header_count = N(once);
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &c, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 3);
  for (int i = 0; i < 3; i++) {
    check_consistent(&rec.obs[i].o);
    if (rec.obs[i].o.status != 200)
      print_error("request %d: status %ld, error %s, attempts %u\n", i, (long)rec.obs[i].o.status,
                  uvaws_err_name(rec.obs[i].o.error), (unsigned)rec.obs[i].o.attempts);
    assert_int_equal(rec.obs[i].o.status, 200);
  }
  const uint64_t floor_us = HANDSHAKE_DELAY_MS * 1000;
  assert_true(rec.obs[0].o.connect_us >= floor_us);
  assert_true(rec.obs[0].o.first_byte_us >= rec.obs[0].o.connect_us);
  assert_int_equal(rec.obs[1].o.connect_us, 0);
  /* the kept connection closed under it: the new one (libcurl's own retry
   * on a reused connection, or ours) was held as long */
  assert_true(rec.obs[2].o.connect_us >= floor_us);
  assert_true(control_number(server, "/_stats", "tls_connections") >= 1);
  close_fx(&fx);
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
}

/* A body past libcurl's head buffer goes out apart from the head: counted
 * once all the same, and a streamed-in answer body counted as it came. */
static void test_large_body_bytes(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  begin(&fx, &rec, 0);
  size_t n = 100000;
  char *body = malloc(n);
  assert_non_null(body);
  memset(body, 'b', n);
  uvaws_kv_t h[] = {{"x-test-body-size", "70000"}, {"x-test-chunked", "1"}};
  uvaws_request_t q = request("PUT", "/big");
  q.headers = h;
  q.header_count = N(h);
  q.body = body;
  q.body_len = n;
  req_t a = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  free(body); /* copied */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 1);
  const uvaws_observation_t *ob = &rec.obs[0].o;
  check_consistent(ob);
  assert_int_equal(ob->status, 200);
  assert_int_equal(ob->request_body_bytes, n);
  assert_int_equal(ob->response_body_bytes, 70000);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
  assert_int_equal(ob->request_wire_bytes, logged_request_bytes(r));
  assert_true(ob->response_wire_bytes > 70000);
  cJSON_Delete(log);
  close_fx(&fx);
}

/* ---- operation calls name their operation -------------------------------------- */

typedef struct {
  int calls;
  int code;
} call_seen_t;

static void on_result(uvaws_result_t *r, void *arg) {
  call_seen_t *c = arg;
  c->calls++;
  c->code = r->error ? r->error->code : 0;
}

/* A body streamed from a file (upload_fd) is not in the request's memory: its
 * bytes are counted all the same, once, and match what the server read. */
static void test_streamed_body_bytes(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  uvaws_client_options_t o = observed(&rec);
  o.service = "s3";
  open_observed(&fx, &rec, &o);
  const size_t n = 90000;
  FILE *f = tmpfile();
  assert_non_null(f);
  for (size_t i = 0; i < n; i++)
    fputc('a' + (int)(i % 26), f);
  fflush(f);
  uvaws_call_options_t co = UVAWS_CALL_OPTIONS_INIT;
  co.path_style = 1;
  co.upload_fd = fileno(f);
  cJSON *p = cJSON_Parse("{\"Bucket\":\"b\",\"Key\":\"streamed.txt\"}");
  call_seen_t c = {0};
  assert_int_equal(uvaws_call_ex(fx.client, "PutObject", p, &co, on_result, &c, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(c.calls, 1);
  assert_int_equal(rec.n_obs, 1);
  const uvaws_observation_t *ob = &rec.obs[0].o;
  check_consistent(ob);
  assert_int_equal(ob->request_body_bytes, n);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
  assert_int_equal((uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "body_len")), n);
  assert_int_equal(ob->request_wire_bytes, logged_request_bytes(r));
  cJSON_Delete(log);
  cJSON_Delete(p);
  fclose(f);
  close_fx(&fx);
}

static void test_operation_named(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  begin(&fx, &rec, 0);
  call_seen_t c = {0};
  cJSON *p = cJSON_Parse("{\"Limit\":3}");
  assert_int_equal(uvaws_call(fx.client, "ListTables", p, on_result, &c, NULL), 0);
  int err = 0;
  uvaws_future_t *f = uvaws_call_future(fx.client, "DescribeLimits", NULL, &err);
  assert_non_null(f);
  cJSON_Delete(p);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(c.calls, 1);
  uvaws_future_release(f);
  assert_int_equal(rec.n_obs, 2);
  assert_string_equal(rec.obs[0].operation, "ListTables");
  assert_string_equal(rec.obs[1].operation, "DescribeLimits");
  cJSON *log = control(server, "GET", "/_log?last=2", NULL);
  for (int i = 0; i < 2; i++) {
    check_consistent(&rec.obs[i].o);
    assert_string_equal(rec.obs[i].method, "POST");
    cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), i);
    assert_int_equal(rec.obs[i].o.request_body_bytes,
                     (uint64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(r, "body_len")));
    assert_int_equal(rec.obs[i].o.request_wire_bytes, logged_request_bytes(r));
  }
  cJSON_Delete(log);
  /* calls that never became a request are observed too, before their callback */
  call_seen_t bad = {0}, unknown = {0};
  p = cJSON_Parse("{\"Limit\":\"three\"}");
  assert_int_equal(uvaws_call(fx.client, "ListTables", p, on_result, &bad, NULL), 0);
  cJSON_Delete(p);
  assert_int_equal(uvaws_call(fx.client, "ListTablez", NULL, on_result, &unknown, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(bad.code, UVAWS_EPARAM);
  assert_int_equal(unknown.code, UVAWS_EOPERATION);
  assert_int_equal(rec.n_obs, 4);
  const char *ops[] = {"ListTables", "ListTablez"};
  const int codes[] = {UVAWS_EPARAM, UVAWS_EOPERATION};
  for (int i = 0; i < 2; i++) {
    const uvaws_observation_t *ob = &rec.obs[2 + i].o;
    check_consistent(ob);
    assert_string_equal(rec.obs[2 + i].operation, ops[i]);
    assert_string_equal(rec.obs[2 + i].method, "(null)");
    assert_int_equal(ob->error, codes[i]);
    assert_int_equal(ob->attempts, 0);
    assert_int_equal(ob->signing_us, 0);
  }
  assert_int_equal(control_number(server, "/_stats", "requests"), 2); /* nothing sent */
  close_fx(&fx);
}

/* ---- retries: attempts and bytes summed over them ------------------------------ */

static void test_retries_counted(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  recorder_t rec;
  tu_fixture_t fx;
  uvaws_client_options_t o = observed(&rec);
  o.max_attempts = 3;
  open_observed(&fx, &rec, &o);
  /* fails twice, then answers; and one that fails every time */
  uvaws_kv_t twice[] = {{"x-test-id", "obs-twice"}, {"x-test-fault", "status-503"},
                        {"x-test-fault-times", "2"}};
  uvaws_kv_t always[] = {{"x-test-id", "obs-always"}, {"x-test-fault", "status-500"}};
  uvaws_request_t q = request("POST", "/");
  q.body = "{}";
  q.body_len = 2;
  req_t a = {.rec = &rec}, b = {.rec = &rec};
  q.headers = twice;
  q.header_count = N(twice);
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  q.headers = always;
  q.header_count = N(always);
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &b, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 2);
  const char *ids[] = {"obs-twice", "obs-always"};
  for (int i = 0; i < 2; i++) {
    const uvaws_observation_t *ob = &rec.obs[i].o;
    check_consistent(ob);
    assert_int_equal(ob->attempts, 3);
    char path[64];
    snprintf(path, sizeof path, "/_log?id=%s", ids[i]);
    cJSON *log = control(server, "GET", path, NULL);
    cJSON *reqs = cJSON_GetObjectItem(log, "requests");
    assert_int_equal(cJSON_GetArraySize(reqs), 3); /* the server saw as many */
    uint64_t bytes = 0;
    cJSON *r;
    cJSON_ArrayForEach(r, reqs) { bytes += logged_request_bytes(r); }
    assert_int_equal(ob->request_wire_bytes, bytes);
    assert_int_equal(ob->request_body_bytes, 2); /* the body, once */
    cJSON_Delete(log);
  }
  assert_int_equal(rec.obs[0].o.status, 200);
  assert_int_equal(rec.obs[0].o.error, 0);
  assert_int_equal(rec.obs[1].o.status, 500);
  assert_int_equal(rec.obs[1].o.error, UVAWS_EAWS);
  assert_int_equal(b.code, UVAWS_EAWS);
  close_fx(&fx);
}

/* ---- a network failure: no answer ---------------------------------------------- */

static void test_network_failure(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  uvaws_client_options_t o = observed(&rec);
  o.endpoint = "http://127.0.0.1:1"; /* refused */
  o.max_attempts = 1;
  open_observed(&fx, &rec, &o);
  uvaws_request_t q = request("GET", "/");
  req_t a = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 1);
  const uvaws_observation_t *ob = &rec.obs[0].o;
  check_consistent(ob);
  assert_int_equal(ob->error, UVAWS_ENETWORK);
  assert_int_equal(ob->status, 0);
  assert_int_equal(ob->attempts, 1);
  assert_int_equal(ob->response_body_bytes, 0);
  close_fx(&fx);
}

/* ---- queued behind max_clients ------------------------------------------------- */

static void test_queued_behind_slot(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  begin(&fx, &rec, 1);
  uvaws_kv_t slow[] = {{"x-test-delay-ms", "100"}};
  uvaws_request_t q = request("GET", "/");
  q.headers = slow;
  q.header_count = N(slow);
  req_t a = {.rec = &rec}, b = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  q.header_count = 0;
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &b, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 2);
  check_consistent(&rec.obs[0].o);
  check_consistent(&rec.obs[1].o);
  /* the second waited for the first's slot: at least the server's delay */
  assert_true(rec.obs[1].o.queued_us >= 95000);
  assert_true(rec.obs[1].o.queued_us > rec.obs[0].o.queued_us);
  assert_true(rec.obs[0].o.first_byte_us >= 95000); /* the delay was the first's answer */
  assert_int_equal(rec.obs[1].o.credentials_us, 0);
  close_fx(&fx);
}

/* ---- waiting for credentials: a slow provider ---------------------------------- */

typedef struct {
  uv_timer_t timer;
  uvaws_creds_cb cb;
  void *arg;
  int fetches;
} slow_provider_t;

static void slow_answer(uv_timer_t *t) {
  slow_provider_t *sp = t->data;
  uvaws_credentials_t creds = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL,
                               0};
  sp->cb(&creds, NULL, sp->arg);
}

static int slow_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  slow_provider_t *sp = p->data;
  sp->cb = cb;
  sp->arg = arg;
  sp->fetches++;
  *handle = sp;
  uv_timer_start(&sp->timer, slow_answer, 80, 0);
  return 0;
}

static void slow_cancel(uvaws_creds_provider_t *p, void *handle) {
  (void)handle;
  slow_provider_t *sp = p->data;
  uv_timer_stop(&sp->timer);
}

static void slow_free(uvaws_creds_provider_t *p) { (void)p; }

static void test_credentials_wait(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  recorder_t rec;
  tu_fixture_t fx;
  static const uvaws_creds_provider_ops_t ops = {slow_fetch, slow_cancel, slow_free};
  slow_provider_t sp = {0};
  uvaws_creds_provider_t prov = {&ops, &sp, "slow", 0};
  uvaws_client_options_t o = observed(&rec);
  o.access_key = o.secret_key = NULL;
  o.credentials_provider = &prov;
  open_observed(&fx, &rec, &o);
  uv_timer_init(&fx.loop, &sp.timer);
  sp.timer.data = &sp;
  uvaws_request_t q = request("GET", "/");
  req_t a = {.rec = &rec}, b = {.rec = &rec}, c = {.rec = &rec};
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, NULL), 0);
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &b, NULL), 0);
  assert_int_equal(uvaws_presign(fx.client, &q, 60, on_done, &c, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(sp.fetches, 1);
  assert_int_equal(rec.n_obs, 3);
  for (int i = 0; i < 3; i++) {
    const uvaws_observation_t *ob = &rec.obs[i].o;
    check_consistent(ob);
    assert_int_equal(ob->error, 0);
    assert_true(ob->credentials_us >= 75000); /* the provider's 80 ms, timer slack aside */
    assert_true(ob->signing_us > 0);
  }
  /* the presign (observed just before its callback): signed, nothing sent */
  const uvaws_observation_t *ps = &rec.obs[c.obs_before - 1].o;
  assert_int_equal(ps->attempts, 1);
  assert_int_equal(ps->status, 200);
  assert_int_equal(ps->request_wire_bytes, 0);
  assert_int_equal(ps->transfer_us, 0);
  assert_int_equal(rec.obs[a.obs_before - 1].o.attempts, 1); /* the fetches went out */
  assert_true(rec.obs[a.obs_before - 1].o.request_wire_bytes > 0);
  uvaws_client_close(fx.client, NULL, NULL);
  fx.client = NULL;
  uv_close((uv_handle_t *)&sp.timer, NULL);
  close_fx(&fx);
}

/* ---- cancels, once each -------------------------------------------------------- */

static void cancel_later(uv_timer_t *t) { uvaws_cancel(t->data); }

static void test_cancel_reported_once(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  begin(&fx, &rec, 1);
  uvaws_kv_t stall[] = {{"x-test-stall", "1"}};
  uvaws_request_t q = request("GET", "/");
  q.headers = stall;
  q.header_count = N(stall);
  req_t a = {.rec = &rec}, b = {.rec = &rec};
  uvaws_job_t *ja, *jb;
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &a, &ja), 0); /* on the wire */
  assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &b, &jb), 0); /* queued behind it */
  assert_int_equal(uvaws_cancel(jb), 0);
  uv_timer_t t;
  uv_timer_init(&fx.loop, &t);
  t.data = ja;
  uv_timer_start(&t, cancel_later, 50, 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(rec.n_obs, 2);
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  /* the queued one: cancelled before anything was signed or sent */
  const uvaws_observation_t *ob = &rec.obs[0].o;
  check_consistent(ob);
  assert_int_equal(ob->error, UVAWS_ECANCELED);
  assert_int_equal(ob->attempts, 0);
  assert_int_equal(ob->signing_us, 0);
  /* the one in flight: sent once, no answer */
  ob = &rec.obs[1].o;
  check_consistent(ob);
  assert_int_equal(ob->error, UVAWS_ECANCELED);
  assert_int_equal(ob->attempts, 1);
  assert_int_equal(ob->status, 0);
  assert_true(ob->signing_us > 0);
  uv_close((uv_handle_t *)&t, NULL);
  close_fx(&fx);
  assert_int_equal(rec.n_obs, 2); /* closing told nothing more */
}

/* ---- a hook that calls back into the client ------------------------------------ */

typedef struct {
  req_t extra;
  uvaws_job_t *victim;
  int submitted, cancelled, closed;
} reentry_t;

static reentry_t reentry;

/* The first observation submits a request and cancels a queued one; the
 * observation of the submitted one closes the client. */
static void reenter(recorder_t *r, const uvaws_observation_t *o) {
  (void)o;
  if (!reentry.submitted) {
    reentry.submitted = 1;
    uvaws_request_t q = UVAWS_REQUEST_INIT;
    q.method = "GET";
    q.path = "/from-the-hook";
    reentry.extra.rec = r;
    assert_int_equal(uvaws_fetch(r->client, &q, on_done, &reentry.extra, NULL), 0);
    assert_int_equal(uvaws_cancel(reentry.victim), 0);
    reentry.cancelled = 1;
  } else if (!reentry.closed && r->n_obs == 3) {
    reentry.closed = 1;
    uvaws_client_close(r->client, NULL, NULL);
  }
}

static void test_hook_reenters(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  memset(&reentry, 0, sizeof reentry);
  recorder_t rec;
  tu_fixture_t fx;
  uvaws_client_options_t o = observed(&rec);
  o.max_clients = 1;
  open_observed(&fx, &rec, &o);
  rec.reenter = reenter;
  uvaws_request_t q = request("GET", "/");
  req_t r[4];
  for (size_t i = 0; i < N(r); i++)
    r[i] = (req_t){.rec = &rec};
  uvaws_job_t *jobs[4];
  for (size_t i = 0; i < N(r); i++)
    assert_int_equal(uvaws_fetch(fx.client, &q, on_done, &r[i], &jobs[i]), 0);
  reentry.victim = jobs[1]; /* queued behind the first */
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  fx.client = NULL; /* closed by the hook */
  assert_true(reentry.cancelled && reentry.closed);
  /* every request, the hook's own included, observed once and called back once */
  assert_int_equal(rec.n_obs, 5);
  assert_int_equal(rec.n_callbacks, 5);
  for (size_t i = 0; i < N(r); i++)
    assert_int_equal(r[i].calls, 1);
  assert_int_equal(reentry.extra.calls, 1);
  assert_int_equal(r[0].code, 0);
  assert_int_equal(r[1].code, UVAWS_ECANCELED);
  for (size_t i = 0; i < rec.n_obs; i++)
    check_consistent(&rec.obs[i].o);
  close_fx(&fx);
}

/* ---- the thread-safe entry point: the hook runs on the loop's thread ----------- */

typedef struct {
  uvaws_client_t *client;
  req_t *q;
  int rc;
} poster_t;

static void post_one(void *arg) {
  poster_t *p = arg;
  uvaws_request_t q = request("GET", "/threaded");
  p->rc = uvaws_fetch_threadsafe(p->client, &q, on_done, p->q);
}

static void close_when_done(const uvaws_observation_t *o, void *arg) {
  recorder_t *r = arg;
  on_observe(o, arg);
  uvaws_client_close(r->client, NULL, NULL); /* the client holds the loop until closed */
}

static void test_threadsafe_observed_on_loop(void **state) {
  (void)state;
  recorder_t rec;
  tu_fixture_t fx;
  uvaws_client_options_t o = observed(&rec);
  o.threadsafe = 1;
  o.observe = close_when_done;
  open_observed(&fx, &rec, &o);
  req_t a = {.rec = &rec};
  poster_t p = {fx.client, &a, -1};
  uv_thread_t t;
  assert_int_equal(uv_thread_create(&t, post_one, &p), 0);
  assert_int_equal(uv_thread_join(&t), 0);
  assert_int_equal(p.rc, 0);
  uv_thread_t self = uv_thread_self();
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  fx.client = NULL;
  assert_int_equal(rec.n_obs, 1);
  assert_int_equal(a.calls, 1);
  assert_true(uv_thread_equal(&rec.obs[0].thread, &self));
  check_consistent(&rec.obs[0].o);
  assert_int_equal(rec.obs[0].o.status, 200);
  close_fx(&fx);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  server_tls = need_env("UVAWS_TEST_SERVER_TLS");
  ca_file = need_env("UVAWS_TEST_CA_FILE");
  clear_aws_env();
  TEST_FILTER_FROM_ENV();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fetch_fields),
      cmocka_unit_test(test_connect_includes_tls_handshake),
      cmocka_unit_test(test_large_body_bytes),
      cmocka_unit_test(test_streamed_body_bytes),
      cmocka_unit_test(test_operation_named),
      cmocka_unit_test(test_retries_counted),
      cmocka_unit_test(test_network_failure),
      cmocka_unit_test(test_queued_behind_slot),
      cmocka_unit_test(test_credentials_wait),
      cmocka_unit_test(test_cancel_reported_once),
      cmocka_unit_test(test_hook_reenters),
      cmocka_unit_test(test_threadsafe_observed_on_loop),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
