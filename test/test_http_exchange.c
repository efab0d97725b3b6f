/* The seam the credential sources stand on: one HTTP exchange over the
 * transport, against the test server. Answers with their status, headers,
 * body and curl's timings; the size cap, the timeout and cancel each end it
 * with their code, exactly once and from the loop (never inside the call
 * that started or cancelled it); curl's failures arrive classified; a secret
 * exchange leaves nothing in the pooled transfers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http_exchange.h"
#include "kv.h"
#include "testutil.h"

static const char *server;

typedef struct {
  int calls, inside, code, status;
  char body[4096], detail[512], header[64];
  transport_timings_t timings;
  size_t body_len;
} seen_t;

static int starting; /* set while inside http_exchange_start or _cancel */

static void on_done(const transport_result_t *res, void *arg) {
  seen_t *s = arg;
  s->calls++;
  s->inside += starting;
  s->code = res->code;
  s->status = (int)res->status;
  s->body_len = res->body_len;
  snprintf(s->body, sizeof s->body, "%s", res->body);
  snprintf(s->detail, sizeof s->detail, "%s", res->detail);
  const char *h = kv_get(res->headers, res->header_count, "x-one");
  snprintf(s->header, sizeof s->header, "%s", h ? h : "");
  s->timings = res->timings;
}

typedef struct {
  uv_loop_t loop;
  transport_t *t;
} env_t;

static void env_open(env_t *e) {
  uv_loop_init(&e->loop);
  transport_options_t o = {.connect_timeout_ms = 5000, .max_connections = 4};
  assert_int_equal(transport_new(&e->loop, &o, &e->t), 0);
}

static void env_close(env_t *e) {
  transport_close(e->t, NULL, NULL);
  uv_run(&e->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&e->loop), 0);
}

/* Starts an exchange of `url` with these headers and runs the loop until it
 * completed. */
static seen_t exchange(env_t *e, const char *method, const char *url, const uvaws_kv_t *h,
                       size_t nh, const char *body, long timeout_ms, size_t max_answer,
                       int secret) {
  seen_t s;
  memset(&s, 0, sizeof s);
  http_request_t r = {.method = method, .url = url, .headers = h, .header_count = nh,
                      .body = body, .body_len = body ? strlen(body) : 0,
                      .timeout_ms = timeout_ms, .max_answer = max_answer, .secret = secret};
  starting = 1;
  assert_int_equal(http_exchange_start(&e->loop, e->t, &r, on_done, &s, NULL), 0);
  starting = 0;
  uv_run(&e->loop, UV_RUN_DEFAULT); /* the exchange keeps the loop alive until it ends */
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.inside, 0);
  return s;
}

static void test_answer(void **state) {
  (void)state;
  env_t e;
  env_open(&e);
  uvaws_kv_t h[] = {{"x-test-unsigned", "1"}, {"x-test-body", "hello"},
                    {"x-test-response-header", "X-One: 1"}};
  seen_t s = exchange(&e, "GET", server, h, 3, NULL, 5000, 65536, 0);
  assert_int_equal(s.code, 0);
  assert_int_equal(s.status, 200);
  assert_string_equal(s.body, "hello");
  assert_string_equal(s.header, "1");
  /* curl's measures, consistent with what was exchanged */
  assert_true(s.timings.bytes_down > s.body_len);
  assert_true(s.timings.bytes_up > strlen("GET / HTTP/1.1\r\n"));
  assert_true(s.timings.total_us >= s.timings.first_byte_us);
  assert_true(s.timings.first_byte_us >= s.timings.connect_us);
  assert_true(s.timings.connect_us > 0); /* a new connection */
  assert_int_equal(s.timings.tls_us, 0);  /* plain http */
  /* a body goes out as given; any status is an answer, not a failure */
  uvaws_kv_t echo[] = {{"x-test-unsigned", "1"}, {"x-test-echo", "1"}};
  s = exchange(&e, "POST", server, echo, 2, "Action=Test&Value=1", 5000, 65536, 0);
  assert_int_equal(s.code, 0);
  assert_non_null(strstr(s.body, "Action=Test&Value=1"));
  uvaws_kv_t status[] = {{"x-test-unsigned", "1"}, {"x-test-status", "503"}};
  s = exchange(&e, "GET", server, status, 2, NULL, 5000, 65536, 0);
  assert_int_equal(s.code, 0);
  assert_int_equal(s.status, 503);
  env_close(&e);
}

static void test_limits(void **state) {
  (void)state;
  env_t e;
  env_open(&e);
  uvaws_kv_t big[] = {{"x-test-unsigned", "1"}, {"x-test-body-size", "2000"}};
  seen_t s = exchange(&e, "GET", server, big, 2, NULL, 5000, 1000, 0);
  assert_int_equal(s.code, UVAWS_ETOOBIG);
  assert_non_null(strstr(s.detail, "larger than 1000 bytes"));
  assert_string_equal(s.body, "");
  s = exchange(&e, "GET", server, big, 2, NULL, 5000, 2000, 0); /* exactly at the cap */
  assert_int_equal(s.code, 0);
  assert_int_equal(s.body_len, 2000);
  uvaws_kv_t slow[] = {{"x-test-unsigned", "1"}, {"x-test-delay-ms", "3000"}};
  s = exchange(&e, "GET", server, slow, 2, NULL, 100, 1000, 0);
  assert_int_equal(s.code, UVAWS_ETIMEDOUT);
  assert_non_null(strstr(s.detail, "timed out"));
  env_close(&e);
}

/* curl's failures arrive as uvaws codes. */
static void test_failures_classified(void **state) {
  (void)state;
  env_t e;
  env_open(&e);
  seen_t s = exchange(&e, "GET", "ftp://127.0.0.1/x", NULL, 0, NULL, 5000, 1000, 0);
  assert_int_equal(s.code, UVAWS_EPROTOCOL);
  uv_tcp_t probe; /* a port nothing listens on: bound, then closed */
  struct sockaddr_in a;
  uv_ip4_addr("127.0.0.1", 0, &a);
  uv_tcp_init(&e.loop, &probe);
  assert_int_equal(uv_tcp_bind(&probe, (const struct sockaddr *)&a, 0), 0);
  int len = sizeof a;
  uv_tcp_getsockname(&probe, (struct sockaddr *)&a, &len);
  uv_close((uv_handle_t *)&probe, NULL);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
  s = exchange(&e, "GET", url, NULL, 0, NULL, 5000, 1000, 0);
  assert_int_equal(s.code, UVAWS_ENETWORK);
  assert_true(s.detail[0] != '\0');
  env_close(&e);
}

static void test_cancel(void **state) {
  (void)state;
  env_t e;
  env_open(&e);
  uvaws_kv_t stall[] = {{"x-test-unsigned", "1"}, {"x-test-stall", "1"}};
  http_request_t r = {.method = "GET", .url = server, .headers = stall, .header_count = 2,
                      .timeout_ms = 60000, .max_answer = 1000};
  seen_t s;
  memset(&s, 0, sizeof s);
  http_exchange_t *x = NULL;
  starting = 1;
  assert_int_equal(http_exchange_start(&e.loop, e.t, &r, on_done, &s, &x), 0);
  http_exchange_cancel(x);
  http_exchange_cancel(x); /* a second cancel before the callback does nothing */
  starting = 0;
  assert_int_equal(s.calls, 0);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.inside, 0);
  assert_int_equal(s.code, UVAWS_ECANCELED);
  /* refused at once: no callback, nothing left running */
  r.timeout_ms = 0;
  assert_int_equal(http_exchange_start(&e.loop, e.t, &r, on_done, &s, NULL), UVAWS_EINVAL);
  r.timeout_ms = 1000;
  assert_int_equal(http_exchange_start(&e.loop, e.t, &r, NULL, &s, NULL), UVAWS_EINVAL);
  assert_int_equal(http_exchange_start(&e.loop, NULL, &r, on_done, &s, NULL), UVAWS_EINVAL);
  http_exchange_cancel(NULL);
  uv_run(&e.loop, UV_RUN_DEFAULT);
  assert_int_equal(s.calls, 1);
  env_close(&e);
}

/* What a secret exchange sent and got is cleansed from the pooled
 * transfers; without the flag it stays (so the check can see it). */
static void test_secrets_cleansed(void **state) {
  (void)state;
  for (int secret = 0; secret <= 1; secret++) {
    env_t e;
    env_open(&e);
    uvaws_kv_t h[] = {{"x-test-unsigned", "1"}, {"x-test-body", "an-answer-secret"},
                      {"X-Token", "a-request-secret"}};
    seen_t s = exchange(&e, "POST", server, h, 3, "a-body-secret", 5000, 1000, secret);
    assert_int_equal(s.code, 0);
    assert_int_equal(transport_pool_holds(e.t, "an-answer-secret"), !secret);
    assert_int_equal(transport_pool_holds(e.t, "a-request-secret"), !secret);
    env_close(&e);
  }
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_answer),
      cmocka_unit_test(test_limits),
      cmocka_unit_test(test_failures_classified),
      cmocka_unit_test(test_cancel),
      cmocka_unit_test(test_secrets_cleansed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
