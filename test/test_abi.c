/* The growable ABI (docs/abi.md): structs that carry their size are read as
 * far as the caller's version goes and defaulted beyond; a size of 0, one no
 * compiler makes, or a larger one with fields set that this library does not
 * know are refused with UVAWS_EINVAL; the init functions agree with the INIT
 * macros; the version functions agree with the headers. Nothing goes on the
 * wire: every request here is refused or only signed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <uv.h>

#include "uvaws.h"

typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
} fx_t;

static uvaws_client_options_t offline_options(void) {
  uvaws_client_options_t o = UVAWS_CLIENT_OPTIONS_INIT;
  o.service = "dynamodb";
  o.region = "us-east-1";
  o.endpoint = "http://127.0.0.1:9"; /* never reached: nothing is sent */
  o.access_key = "AKIDEXAMPLE";
  o.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return o;
}

static int open_with(fx_t *fx, const void *opts, uvaws_error_t *err) {
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  return uvaws_client_new(&fx->loop, opts, &fx->client, err);
}

static void fx_close(fx_t *fx) {
  if (fx->client)
    uvaws_client_close(fx->client, NULL, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

/* A caller built against a newer uvaws: our struct and a field after it. */
typedef struct {
  uvaws_client_options_t o;
  void *newer_field;
} newer_options_t;

static void test_client_options_size(void **state) {
  (void)state;
  fx_t fx;
  uvaws_error_t err;
  /* zeroed, not initialized */
  uvaws_client_options_t o = offline_options();
  o.size = 0;
  assert_int_equal(open_with(&fx, &o, &err), UVAWS_EINVAL);
  assert_non_null(strstr(err.detail, "size is 0"));
  assert_null(fx.client);
  uvaws_error_clear(&err);
  fx_close(&fx);
  /* not a size any compiler makes */
  o.size = sizeof o - 3;
  assert_int_equal(open_with(&fx, &o, &err), UVAWS_EINVAL);
  assert_non_null(strstr(err.detail, "uvaws_client_options_t"));
  uvaws_error_clear(&err);
  fx_close(&fx);
  /* newer, its extra field left at the default: runs */
  newer_options_t n;
  memset(&n, 0, sizeof n);
  n.o = offline_options();
  n.o.size = sizeof n;
  assert_int_equal(open_with(&fx, &n, &err), 0);
  fx_close(&fx);
  /* newer, its extra field set: refused, not silently ignored */
  n.newer_field = &n;
  assert_int_equal(open_with(&fx, &n, &err), UVAWS_EINVAL);
  assert_non_null(strstr(err.detail, "newer"));
  uvaws_error_clear(&err);
  fx_close(&fx);
}

typedef struct {
  int calls;
  int code;
  char body[4096];
} seen_t;

static void record(const uvaws_response_t *res, void *arg) {
  seen_t *s = arg;
  s->calls++;
  s->code = res->error ? res->error->code : 0;
  snprintf(s->body, sizeof s->body, "%s", res->body ? res->body : "");
}

static void never(const uvaws_response_t *res, void *arg) {
  (void)res;
  (void)arg;
  fail_msg("a refused request has no callback");
}

/* An older caller's struct ends before `threadsafe`: what lies beyond its
 * size is not read, even when it is not zero. */
static void test_client_options_older(void **state) {
  (void)state;
  fx_t fx;
  uvaws_client_options_t o = offline_options();
  o.threadsafe = 1;
  uvaws_request_t req = UVAWS_REQUEST_INIT;
  req.method = "GET";
  req.path = "/";
  /* the whole struct: threadsafe is read; the request is cancelled by close */
  assert_int_equal(open_with(&fx, &o, NULL), 0);
  seen_t s = {0};
  assert_int_equal(uvaws_fetch_threadsafe(fx.client, &req, record, &s), 0);
  fx_close(&fx);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.code, UVAWS_ECANCELED);
  /* cut before it: not a thread-safe client */
  o.size = offsetof(uvaws_client_options_t, threadsafe);
  assert_int_equal(o.size % sizeof(size_t), 0);
  assert_int_equal(open_with(&fx, &o, NULL), 0);
  assert_int_equal(uvaws_fetch_threadsafe(fx.client, &req, never, NULL), UVAWS_EINVAL);
  fx_close(&fx);
}

typedef struct {
  uvaws_request_t r;
  long newer_field;
} newer_request_t;

static void test_request_size(void **state) {
  (void)state;
  fx_t fx;
  uvaws_client_options_t o = offline_options();
  o.threadsafe = 1;
  assert_int_equal(open_with(&fx, &o, NULL), 0);
  uvaws_request_t req = UVAWS_REQUEST_INIT;
  req.method = "GET";
  req.path = "/";
  req.size = 0;
  assert_int_equal(uvaws_fetch(fx.client, &req, never, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_presign(fx.client, &req, 60, never, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_sign_explain(fx.client, &req, never, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch_threadsafe(fx.client, &req, never, NULL), UVAWS_EINVAL);
  int err = 0;
  assert_null(uvaws_fetch_future(fx.client, &req, &err));
  assert_int_equal(err, UVAWS_EINVAL);
  req.size = sizeof req + 1;
  assert_int_equal(uvaws_fetch(fx.client, &req, never, NULL, NULL), UVAWS_EINVAL);

  newer_request_t n;
  memset(&n, 0, sizeof n);
  n.r.size = sizeof n;
  n.r.method = "GET";
  n.r.path = "/";
  n.newer_field = 7;
  assert_int_equal(uvaws_sign_explain(fx.client, &n.r, never, NULL, NULL), UVAWS_EINVAL);
  n.newer_field = 0;
  seen_t s = {0};
  assert_int_equal(uvaws_sign_explain(fx.client, &n.r, record, &s, NULL), 0);
  uv_run(&fx.loop, UV_RUN_NOWAIT);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.code, 0);

  /* older: the fields past its size are not read (here a body length with
   * no body, which the whole struct would make UVAWS_EINVAL) */
  req.size = sizeof req;
  req.body_len = 5;
  assert_int_equal(uvaws_sign_explain(fx.client, &req, never, NULL, NULL), UVAWS_EINVAL);
  req.size = offsetof(uvaws_request_t, body);
  memset(&s, 0, sizeof s);
  assert_int_equal(uvaws_sign_explain(fx.client, &req, record, &s, NULL), 0);
  uv_run(&fx.loop, UV_RUN_NOWAIT);
  assert_int_equal(s.calls, 1);
  assert_int_equal(s.code, 0);
  assert_non_null(strstr(s.body, "canonical_request"));
  fx_close(&fx);
}

static void test_init_functions(void **state) {
  (void)state;
  assert_int_equal(uvaws_client_options_init(NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_request_init(NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_call_options_init(NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_wait_options_init(NULL), UVAWS_EINVAL);

  /* zeroed whole, padding included (bindings may compare bytes), size set */
  uvaws_client_options_t o, oz;
  memset(&o, 0xa5, sizeof o);
  memset(&oz, 0, sizeof oz);
  oz.size = sizeof oz;
  assert_int_equal(uvaws_client_options_init(&o), 0);
  assert_memory_equal(&o, &oz, sizeof o);

  uvaws_request_t r, rz;
  memset(&r, 0xa5, sizeof r);
  memset(&rz, 0, sizeof rz);
  rz.size = sizeof rz;
  assert_int_equal(uvaws_request_init(&r), 0);
  assert_memory_equal(&r, &rz, sizeof r);

  uvaws_call_options_t c, cm = UVAWS_CALL_OPTIONS_INIT;
  memset(&c, 0xa5, sizeof c);
  assert_int_equal(uvaws_call_options_init(&c), 0);
  assert_int_equal(c.size, sizeof c);
  assert_int_equal(c.upload_fd, -1);
  assert_int_equal(c.download_fd, -1);
  assert_int_equal(c.payload_len, cm.payload_len);

  uvaws_wait_options_t w;
  memset(&w, 0xa5, sizeof w);
  assert_int_equal(uvaws_wait_options_init(&w), 0);
  assert_int_equal(w.size, sizeof w);
  assert_int_equal(w.delay_ms, 0);
  assert_int_equal(w.max_attempts, 0);
}

/* Call options share the rule: a newer caller's unknown field set is refused. */
typedef struct {
  uvaws_call_options_t o;
  long newer_field;
} newer_call_options_t;

static void on_result(uvaws_result_t *r, void *arg) {
  (void)r;
  (void)arg;
  fail_msg("a refused call has no callback");
}

static void test_call_options_size(void **state) {
  (void)state;
  fx_t fx;
  uvaws_client_options_t o = offline_options();
  assert_int_equal(open_with(&fx, &o, NULL), 0);
  newer_call_options_t n;
  memset(&n, 0, sizeof n);
  uvaws_call_options_init(&n.o);
  n.o.size = sizeof n;
  n.newer_field = 1;
  assert_int_equal(uvaws_call_ex(fx.client, "ListTables", NULL, &n.o, on_result, NULL, NULL),
                   UVAWS_EINVAL);
  uvaws_wait_options_t w = UVAWS_WAIT_OPTIONS_INIT;
  w.size = 0;
  assert_int_equal(uvaws_wait_for(fx.client, "TableExists", NULL, &w, NULL, NULL, NULL),
                   UVAWS_EINVAL);
  fx_close(&fx);
}

static void test_version(void **state) {
  (void)state;
  unsigned v = uvaws_version();
  assert_int_equal(v, UVAWS_VERSION_HEX);
  assert_int_equal(v >> 16, UVAWS_VERSION_MAJOR);
  assert_int_equal((v >> 8) & 0xff, UVAWS_VERSION_MINOR);
  assert_int_equal(v & 0xff, UVAWS_VERSION_PATCH);
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", UVAWS_VERSION_MAJOR, UVAWS_VERSION_MINOR,
           UVAWS_VERSION_PATCH);
  assert_string_equal(uvaws_version_string(), want);
  assert_string_equal(uvaws_version_string(), UVAWS_VERSION_STRING);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client_options_size), cmocka_unit_test(test_client_options_older),
      cmocka_unit_test(test_request_size),        cmocka_unit_test(test_init_functions),
      cmocka_unit_test(test_call_options_size),   cmocka_unit_test(test_version),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
