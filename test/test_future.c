/* Futures: then (always from the loop), wait (runs the loop, refuses inside a
 * uvaws callback), all over 1,000 requests, cancel, and release in any order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static const char *server;

typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
} fixture_t;

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (*(int *)arg)++;
}

static void open_fx(fixture_t *fx, unsigned max_clients) {
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  uvaws_client_options_t o = test_options(server);
  o.max_clients = max_clients;
  o.max_attempts = 1; /* failures here are outcomes, not something to retry */
  assert_int_equal(uvaws_client_new(&fx->loop, &o, &fx->client, NULL), 0);
}

static void close_fx(fixture_t *fx) {
  int closed = 0;
  uvaws_client_close(fx->client, on_closed, &closed);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(closed, 1);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static const uvaws_request_t get_root = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};

static void test_wait(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 4);
  int err = -1;
  uvaws_future_t *f = uvaws_fetch_future(fx.client, &get_root, &err);
  assert_non_null(f);
  assert_int_equal(err, 0);
  assert_false(uvaws_future_done(f));
  assert_null(uvaws_future_response(f));
  const uvaws_response_t *r = NULL;
  assert_int_equal(uvaws_future_wait(f, &r), 0);
  assert_non_null(r);
  assert_null(r->error);
  assert_int_equal(r->status, 200);
  assert_string_equal(r->body, "{}");
  assert_non_null(uvaws_response_header(r, "X-AMZN-REQUESTID"));
  assert_true(uvaws_future_done(f));
  assert_ptr_equal(uvaws_future_response(f), r);
  /* waiting again returns the same response at once */
  const uvaws_response_t *r2 = NULL;
  assert_int_equal(uvaws_future_wait(f, &r2), 0);
  assert_ptr_equal(r, r2);
  assert_int_equal(uvaws_future_cancel(f), UVAWS_EBUSY); /* done */
  uvaws_future_release(f);
  close_fx(&fx);
}

typedef struct {
  int calls;
  long status;
  int wait_rc;
  uvaws_future_t *other;
  int *submitting;
} then_t;

static void on_then(const uvaws_response_t *r, void *arg) {
  then_t *t = arg;
  t->calls++;
  t->status = r->status;
  if (t->submitting)
    assert_false(*t->submitting);
  if (t->other) {
    const uvaws_response_t *ignored;
    t->wait_rc = uvaws_future_wait(t->other, &ignored);
  }
}

static void test_then(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 4);
  int submitting = 1;
  then_t t = {0};
  t.submitting = &submitting;
  uvaws_future_t *f = uvaws_fetch_future(fx.client, &get_root, NULL);
  assert_int_equal(uvaws_future_then(f, on_then, &t), 0);
  assert_int_equal(uvaws_future_then(f, on_then, &t), UVAWS_EBUSY); /* one then */
  submitting = 0;
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(t.calls, 1);
  assert_int_equal(t.status, 200);

  /* then on a future that is already done: still from the loop, not from here */
  uvaws_future_t *g = uvaws_fetch_future(fx.client, &get_root, NULL);
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(g, &r), 0);
  then_t t2 = {0};
  submitting = 1;
  t2.submitting = &submitting;
  assert_int_equal(uvaws_future_then(g, on_then, &t2), 0);
  assert_int_equal(t2.calls, 0);
  submitting = 0;
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(t2.calls, 1);

  /* wait from inside a uvaws callback is refused */
  uvaws_future_t *h = uvaws_fetch_future(fx.client, &get_root, NULL);
  uvaws_future_t *other = uvaws_fetch_future(fx.client, &get_root, NULL);
  then_t t3 = {0};
  t3.other = other;
  t3.wait_rc = 12345;
  assert_int_equal(uvaws_future_then(h, on_then, &t3), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(t3.calls, 1);
  assert_int_equal(t3.wait_rc, UVAWS_EBUSY);

  assert_int_equal(uvaws_future_then(NULL, on_then, &t), UVAWS_EINVAL);
  assert_int_equal(uvaws_future_then(f, NULL, &t), UVAWS_EINVAL);
  uvaws_future_release(f);
  uvaws_future_release(g);
  uvaws_future_release(h);
  uvaws_future_release(other);
  uvaws_future_release(NULL);
  close_fx(&fx);
}

static void test_all_thousand(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 64);
  enum { N = 1000 };
  uvaws_future_t **fs = calloc(N, sizeof *fs);
  char (*ids)[24] = calloc(N, sizeof *ids);
  for (int i = 0; i < N; i++) {
    snprintf(ids[i], sizeof ids[i], "all-%d", i);
    uvaws_kv_t h[] = {{"x-test-id", ids[i]}};
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
    fs[i] = uvaws_fetch_future(fx.client, &req, NULL);
    assert_non_null(fs[i]);
  }
  uvaws_future_t *all = uvaws_future_all(fs, N);
  assert_non_null(all);
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(all, &r), 0);
  assert_null(r->error);
  for (int i = 0; i < N; i++) {
    const uvaws_response_t *m = uvaws_future_response(fs[i]);
    assert_non_null(m);
    assert_int_equal(m->status, 200);
    assert_null(m->error);
  }
  /* release the members first, the aggregate last: any order is fine */
  for (int i = 0; i < N; i++)
    uvaws_future_release(fs[i]);
  uvaws_future_release(all);
  assert_null(uvaws_future_all(NULL, 3));
  assert_null(uvaws_future_all(fs, 0));
  free(fs);
  free(ids);
  close_fx(&fx);
}

static void test_all_reports_first_failure(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 4);
  uvaws_kv_t fail[] = {{"x-test-status", "503"}};
  uvaws_request_t bad = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = fail, .header_count = 1};
  uvaws_future_t *fs[3] = {uvaws_fetch_future(fx.client, &get_root, NULL),
                           uvaws_fetch_future(fx.client, &bad, NULL),
                           uvaws_fetch_future(fx.client, &get_root, NULL)};
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(fs[0], &r), 0); /* one done before all() */
  uvaws_future_t *all = uvaws_future_all(fs, 3);
  uvaws_future_release(fs[1]); /* the aggregate keeps it alive */
  assert_int_equal(uvaws_future_wait(all, &r), 0);
  assert_non_null(r->error);
  assert_int_equal(r->error->code, UVAWS_EAWS);
  assert_int_equal(r->error->http_status, 503);
  /* the copy keeps every field of the member's error, the request id too */
  assert_non_null(r->error->request_id);
  assert_int_equal(strlen(r->error->request_id), 36); /* the server's UUID */
  uvaws_future_release(all);
  uvaws_future_release(fs[0]);
  uvaws_future_release(fs[2]);
  close_fx(&fx);
}

/* With two failures, the one first in the array speaks for the whole, not
 * the one that came back first nor the last one. */
static void test_all_reports_first_failure_in_array_order(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 4);
  uvaws_kv_t late_503[] = {{"x-test-status", "503"}, {"x-test-delay-ms", "300"}};
  uvaws_kv_t now_404[] = {{"x-test-status", "404"}};
  uvaws_kv_t now_500[] = {{"x-test-status", "500"}, {"x-test-delay-ms", "100"}};
  uvaws_request_t a = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = late_503, .header_count = 2};
  uvaws_request_t b = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = now_404, .header_count = 1};
  uvaws_request_t c = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = now_500, .header_count = 2};
  uvaws_future_t *fs[4] = {uvaws_fetch_future(fx.client, &get_root, NULL),
                           uvaws_fetch_future(fx.client, &a, NULL),
                           uvaws_fetch_future(fx.client, &b, NULL),
                           uvaws_fetch_future(fx.client, &c, NULL)};
  uvaws_future_t *all = uvaws_future_all(fs, 4);
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(all, &r), 0);
  assert_non_null(r->error);
  assert_int_equal(r->error->http_status, 503);
  assert_int_equal(r->status, 503);
  for (int i = 0; i < 4; i++)
    uvaws_future_release(fs[i]);
  uvaws_future_release(all);
  close_fx(&fx);
}

static void test_cancel_and_release_pending(void **state) {
  (void)state;
  fixture_t fx;
  open_fx(&fx, 1);
  uvaws_kv_t slow[] = {{"x-test-delay-ms", "300"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1};
  uvaws_future_t *a = uvaws_fetch_future(fx.client, &req, NULL); /* in flight */
  uvaws_future_t *b = uvaws_fetch_future(fx.client, &req, NULL); /* queued */
  uvaws_future_t *c = uvaws_fetch_future(fx.client, &req, NULL); /* queued, released */
  then_t tc = {0};
  assert_int_equal(uvaws_future_then(c, on_then, &tc), 0);
  assert_int_equal(uvaws_future_cancel(a), 0);
  assert_int_equal(uvaws_future_cancel(b), 0);
  uvaws_future_release(c); /* pending: cancelled, its then still comes once */
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.in_flight + st.queued, 0); /* nobody wants c's answer: not sent */
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(a, &r), 0);
  assert_int_equal(r->error->code, UVAWS_ECANCELED);
  assert_int_equal(uvaws_future_wait(b, &r), 0);
  assert_int_equal(r->error->code, UVAWS_ECANCELED);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(tc.calls, 1);
  assert_int_equal(tc.status, 0); /* cancelled, no answer */
  uvaws_future_release(a);
  uvaws_future_release(b);
  /* a future that cannot be made */
  int err = 0;
  uvaws_request_t bad = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "no-slash"};
  assert_null(uvaws_fetch_future(fx.client, &bad, &err));
  assert_int_equal(err, UVAWS_EPATH);
  assert_null(uvaws_fetch_future(NULL, &bad, &err));
  assert_int_equal(err, UVAWS_EINVAL);
  const uvaws_response_t *none;
  assert_int_equal(uvaws_future_wait(NULL, &none), UVAWS_EINVAL);
  close_fx(&fx);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wait),
      cmocka_unit_test(test_then),
      cmocka_unit_test(test_all_thousand),
      cmocka_unit_test(test_all_reports_first_failure),
      cmocka_unit_test(test_all_reports_first_failure_in_array_order),
      cmocka_unit_test(test_cancel_and_release_pending),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
