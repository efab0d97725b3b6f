/* Lifecycle and memory safety: everything a callback may do at every moment,
 * futures after their client closed, and the queue bound over every place a
 * request can wait. Run under ASan and UBSan as well: a use of freed memory
 * fails there even when the plain build survives it. Needs
 * test/harness/peers.py --testserver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "testutil.h"

static const char *server;
static char home[256];

static const char *const aws_vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS",
};

/* No AWS variable, an empty HOME, metadata off, a fresh test server. */
static int fresh(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof aws_vars / sizeof *aws_vars; i++)
    unsetenv(aws_vars[i]);
  snprintf(home, sizeof home, "/tmp/uvaws-lifecycle-XXXXXX");
  assert_non_null(mkdtemp(home));
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  return 0;
}

static int cleanup(void **state) {
  (void)state;
  return rmdir(home);
}

static void configure(const char *json) { cJSON_Delete(control(server, "POST", "/_config", json)); }

typedef tu_fixture_t fixture_t;
#define on_closed tu_on_closed
#define open_fx tu_fixture_open

/* Closes the client unless a callback did, runs the loop dry, checks the
 * close callback came once and no handle is left. */
static void close_fx(fixture_t *fx) {
  if (!fx->closed)
    uvaws_client_close(fx->client, on_closed, fx);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(fx->closed, 1);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static uvaws_client_options_t static_options(void) {
  uvaws_client_options_t o = test_options(server);
  o.retry_base_delay_ms = 5;
  return o;
}

typedef struct {
  int calls, code;
  long status;
} outcome_t;

static void record(const uvaws_response_t *r, void *arg) {
  outcome_t *o = arg;
  o->calls++;
  o->code = r->error ? r->error->code : 0;
  o->status = r->status;
}

static const uvaws_request_t get_root = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
static uvaws_kv_t slow_h[] = {{"x-test-delay-ms", "30000"}};
static const uvaws_request_t slow = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow_h,
                                     .header_count = 1};

/* ---- item 1: every state a callback can observe ---------------------------- */

typedef enum {
  A_CANCEL_SELF,        /* its own job (or its own future): nothing left to cancel */
  A_CANCEL_OTHER,       /* another request, pending in the origin's way */
  A_CLOSE,              /* close the client */
  A_CLOSE_THEN_CANCEL,  /* close, then cancel another and submit: ECLOSED */
  A_RELEASE_FUTURE,     /* release a pending future (and its own, from a then) */
  A_SUBMIT,             /* new work: a request, a presign, a future */
  A_WAIT,               /* uvaws_future_wait: refused inside a callback */
  A_COUNT
} action_t;

static const char *const action_names[] = {"cancel self", "cancel other", "close",
                                           "close, cancel, submit", "release future",
                                           "submit", "wait"};

typedef enum {
  O_ANSWER,    /* an answer arrived */
  O_RETRIED,   /* an answer after a retry's backoff */
  O_CANCELLED, /* a deferred completion: cancelled before it was sent */
  O_PRESIGN,   /* a sign-only job: uvaws_presign */
  O_EXPLAIN,   /* a sign-only job: uvaws_sign_explain */
  O_THEN,      /* a future's then */
  O_BACKOFF,   /* an answer while the other request waits in a backoff */
  O_CREDS,     /* a cancelled request while credentials are being fetched */
  O_REGION,    /* a cancelled request while the region is being fetched */
  O_COUNT
} origin_t;

static const char *const origin_names[] = {"answer", "after a retry", "cancelled", "presign",
                                           "explain", "then", "other in backoff",
                                           "waiting for credentials", "waiting for the region"};

typedef struct {
  fixture_t *fx;
  action_t act;
  uvaws_job_t *self;            /* the acting job's handle (NULL for sign-only) */
  uvaws_future_t *self_future;  /* O_THEN: the future whose then acts */
  uvaws_job_t *other;           /* another pending request */
  uvaws_future_t *future;       /* another pending future */
  int calls, code, rc, submit_rc, presign_rc, future_rc;
  outcome_t other_out, submitted, presigned;
  uvaws_future_t *submitted_future;
} scene_t;

static void act(const uvaws_response_t *r, void *arg) {
  scene_t *s = arg;
  uvaws_client_t *c = s->fx->client;
  s->calls++;
  s->code = r->error ? r->error->code : 0;
  const uvaws_response_t *ignored;
  switch (s->act) {
  case A_CANCEL_SELF:
    s->rc = s->self_future ? uvaws_future_cancel(s->self_future) : uvaws_cancel(s->self);
    break;
  case A_CANCEL_OTHER:
    s->rc = uvaws_cancel(s->other);
    break;
  case A_CLOSE:
    uvaws_client_close(c, on_closed, s->fx);
    break;
  case A_CLOSE_THEN_CANCEL:
    uvaws_client_close(c, on_closed, s->fx);
    s->rc = uvaws_cancel(s->other);
    s->submit_rc = uvaws_fetch(c, &get_root, record, &s->submitted, NULL);
    s->presign_rc = uvaws_presign(c, &get_root, 60, record, &s->presigned, NULL);
    break;
  case A_RELEASE_FUTURE:
    uvaws_future_release(s->future);
    s->future = NULL;
    if (s->self_future) {
      uvaws_future_release(s->self_future);
      s->self_future = NULL;
    }
    break;
  case A_SUBMIT:
    s->submit_rc = uvaws_fetch(c, &get_root, record, &s->submitted, NULL);
    s->presign_rc = uvaws_presign(c, &get_root, 60, record, &s->presigned, NULL);
    s->submitted_future = uvaws_fetch_future(c, &get_root, &s->future_rc);
    break;
  case A_WAIT:
    s->rc = uvaws_future_wait(s->future, &ignored);
    break;
  default:
    break;
  }
}

/* A client for the origin: static credentials, or credentials or the region
 * from the test server's fakes, answered only after a delay. */
static void open_for(fixture_t *fx, origin_t origin, size_t max_queue) {
  uvaws_client_options_t o = static_options();
  o.max_queue = max_queue;
  char url[300];
  if (origin == O_BACKOFF) {
    o.retry_base_delay_ms = 600000; /* the other waits in its backoff all along */
    o.retry_max_delay_ms = 600000;
  } else if (origin == O_CREDS) {
    o.access_key = o.secret_key = NULL;
    snprintf(url, sizeof url, "%s/creds", server);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
    configure("{\"container_delay_ms\": 1500}");
  } else if (origin == O_REGION) {
    o.region = NULL;
    unsetenv("AWS_EC2_METADATA_DISABLED");
    setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server, 1);
    configure("{\"imds_delay_ms\": 500}");
  }
  open_fx(fx, &o);
}

static void run_scene(origin_t origin, action_t action) {
  print_message("scene: %s, %s\n", origin_names[origin], action_names[action]);
  fresh(NULL);
  fixture_t fx;
  open_for(&fx, origin, 0);
  uvaws_client_t *c = fx.client;
  scene_t s;
  memset(&s, 0, sizeof s);
  s.fx = &fx;
  s.act = action;
  /* the others first: they are pending when the acting callback runs */
  static uvaws_kv_t always_503[] = {{"x-test-fault", "status-503"}};
  uvaws_request_t failing = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = always_503,
                             .header_count = 1};
  const uvaws_request_t *other_req = origin == O_BACKOFF ? &failing : &slow;
  assert_int_equal(uvaws_fetch(c, other_req, record, &s.other_out, &s.other), 0);
  s.future = uvaws_fetch_future(c, &slow, NULL);
  assert_non_null(s.future);
  char id[64];
  snprintf(id, sizeof id, "scene-%d-%d", (int)origin, (int)action);
  uvaws_kv_t retried_h[] = {{"x-test-id", id}, {"x-test-fault", "status-503"},
                            {"x-test-fault-times", "1"}};
  uvaws_kv_t late_h[] = {{"x-test-delay-ms", "300"}};
  uvaws_request_t retried = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = retried_h,
                             .header_count = 3};
  uvaws_request_t late = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = late_h, .header_count = 1};
  switch (origin) {
  case O_ANSWER:
    assert_int_equal(uvaws_fetch(c, &get_root, act, &s, &s.self), 0);
    break;
  case O_RETRIED:
    assert_int_equal(uvaws_fetch(c, &retried, act, &s, &s.self), 0);
    break;
  case O_BACKOFF:
    assert_int_equal(uvaws_fetch(c, &late, act, &s, &s.self), 0);
    break;
  case O_CANCELLED:
  case O_CREDS:
  case O_REGION:
    assert_int_equal(uvaws_fetch(c, &slow, act, &s, &s.self), 0);
    assert_int_equal(uvaws_cancel(s.self), 0);
    break;
  case O_PRESIGN:
    assert_int_equal(uvaws_presign(c, &get_root, 60, act, &s, &s.self), 0);
    break;
  case O_EXPLAIN:
    assert_int_equal(uvaws_sign_explain(c, &get_root, act, &s, &s.self), 0);
    break;
  case O_THEN:
    s.self_future = uvaws_fetch_future(c, &get_root, NULL);
    assert_int_equal(uvaws_future_then(s.self_future, act, &s), 0);
    break;
  default:
    break;
  }
  /* Run until the acting callback has run, then close (unless it did). */
  while (s.calls == 0)
    assert_int_not_equal(uv_run(&fx.loop, UV_RUN_ONCE), 0);
  uvaws_future_t *future_left = s.future, *self_left = s.self_future;
  close_fx(&fx);

  if (s.calls != 1 || (action == A_CANCEL_SELF && s.rc != UVAWS_EBUSY))
    print_error("origin %s, action %s: %d calls, rc %d\n", origin_names[origin],
                action_names[action], s.calls, s.rc);
  assert_int_equal(s.calls, 1);
  int cancelled = origin == O_CANCELLED || origin == O_CREDS || origin == O_REGION;
  assert_int_equal(s.code, cancelled ? UVAWS_ECANCELED : 0);
  assert_int_equal(s.other_out.calls, 1); /* whatever happened, once */
  switch (action) {
  case A_CANCEL_SELF:
    assert_int_equal(s.rc, UVAWS_EBUSY);
    break;
  case A_CANCEL_OTHER:
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.other_out.code, UVAWS_ECANCELED);
    break;
  case A_CLOSE_THEN_CANCEL:
    assert_int_equal(s.rc, 0); /* still pending: the close cancels it from the loop */
    assert_int_equal(s.other_out.code, UVAWS_ECANCELED);
    assert_int_equal(s.submit_rc, UVAWS_ECLOSED);
    assert_int_equal(s.presign_rc, UVAWS_ECLOSED);
    assert_int_equal(s.submitted.calls + s.presigned.calls, 0);
    break;
  case A_SUBMIT:
    assert_int_equal(s.submit_rc, 0);
    assert_int_equal(s.presign_rc, 0);
    assert_int_equal(s.future_rc, 0);
    assert_int_equal(s.submitted.calls, 1);
    assert_int_equal(s.presigned.calls, 1);
    assert_true(uvaws_future_done(s.submitted_future));
    uvaws_future_release(s.submitted_future);
    break;
  case A_WAIT:
    assert_int_equal(s.rc, UVAWS_EBUSY);
    break;
  default:
    break;
  }
  /* futures left pending by the scene completed with the close */
  if (future_left) {
    assert_true(uvaws_future_done(future_left));
    uvaws_future_release(future_left);
  }
  if (self_left) {
    assert_true(uvaws_future_done(self_left));
    uvaws_future_release(self_left);
  }
  cleanup(NULL);
}

static void test_every_callback_state(void **state) {
  (void)state;
  for (int o = 0; o < O_COUNT; o++)
    for (int a = 0; a < A_COUNT; a++)
      run_scene((origin_t)o, (action_t)a);
}

/* ---- item 2: futures after their client closed ------------------------------ */

typedef struct then_s {
  int calls;
  int *inside; /* set while the caller is inside a uvaws call */
  long status;
  uvaws_future_t *then_on; /* asks for a then on this future from inside */
  int then_rc;
  struct then_s *inner;    /* ... with this state */
} then_t;

static void on_then(const uvaws_response_t *r, void *arg) {
  then_t *t = arg;
  t->calls++;
  t->status = r->status;
  if (t->inside)
    assert_false(*t->inside);
}

static void then_from_cancelled(const uvaws_response_t *r, void *arg) {
  (void)r;
  then_t *t = arg;
  t->calls++;
  /* the client is tearing down: a then asked for now still comes, from the loop */
  t->then_rc = uvaws_future_then(t->then_on, on_then, t->inner);
}

static void test_future_after_close(void **state) {
  (void)state;
  fresh(NULL);
  uvaws_client_options_t o = static_options();
  fixture_t fx;
  open_fx(&fx, &o);
  uvaws_future_t *done = uvaws_fetch_future(fx.client, &get_root, NULL);
  uvaws_future_t *done2 = uvaws_fetch_future(fx.client, &get_root, NULL);
  const uvaws_response_t *r = NULL;
  assert_int_equal(uvaws_future_wait(done, &r), 0);
  assert_int_equal(uvaws_future_wait(done2, &r), 0);
  const uvaws_response_t *kept = uvaws_future_response(done);
  assert_non_null(kept);
  uvaws_future_t *pending = uvaws_fetch_future(fx.client, &slow, NULL);
  /* A request cancelled by the close whose callback asks for a then on a
   * done future while the client is being torn down. */
  then_t from_cb = {0}, inner = {0};
  from_cb.then_on = done2;
  from_cb.inner = &inner;
  assert_int_equal(uvaws_fetch(fx.client, &slow, then_from_cancelled, &from_cb, NULL), 0);
  uvaws_client_close(fx.client, on_closed, &fx);
  uv_run(&fx.loop, UV_RUN_DEFAULT); /* the client is freed here; the loop lives on */
  assert_int_equal(fx.closed, 1);
  assert_int_equal(from_cb.calls, 1);
  assert_int_equal(from_cb.then_rc, 0);
  assert_int_equal(inner.calls, 1);

  /* everything still works on the futures, touching no freed memory */
  assert_true(uvaws_future_done(pending));
  assert_int_equal(uvaws_future_response(pending)->error->code, UVAWS_ECANCELED);
  assert_ptr_equal(uvaws_future_response(done), kept);
  assert_int_equal(uvaws_future_wait(done, &r), 0);
  assert_ptr_equal(r, kept);
  assert_int_equal(r->status, 200);
  assert_int_equal(uvaws_future_cancel(done), UVAWS_EBUSY);
  int inside = 1;
  then_t t = {0};
  t.inside = &inside;
  assert_int_equal(uvaws_future_then(done, on_then, &t), 0);
  assert_int_equal(uvaws_future_then(done, on_then, &t), UVAWS_EBUSY);
  inside = 0;
  assert_int_equal(t.calls, 0); /* from the loop, never from inside */
  uvaws_future_t *members[] = {done, pending};
  uvaws_future_t *all = uvaws_future_all(members, 2);
  assert_non_null(all);
  assert_int_equal(uvaws_future_wait(all, &r), 0);
  assert_int_equal(r->error->code, UVAWS_ECANCELED);
  then_t ta = {0};
  assert_int_equal(uvaws_future_then(all, on_then, &ta), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(t.calls, 1);
  assert_int_equal(t.status, 200);
  assert_int_equal(ta.calls, 1);
  uvaws_future_release(all);
  uvaws_future_release(done);
  uvaws_future_release(done2);
  uvaws_future_release(pending);
  assert_int_equal(uv_loop_close(&fx.loop), 0);
  cleanup(NULL);
}

/* ---- item 3: max_queue bounds everything not yet on the wire ---------------- */

static void never_called(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
  fail_msg("a refused request must not call back");
}

/* Submits `n` requests (every third a presign); returns how many were accepted. */
static int submit_many(fixture_t *fx, int n, outcome_t *out) {
  int accepted = 0;
  for (int i = 0; i < n; i++) {
    int rc = i % 3 == 2 ? uvaws_presign(fx->client, &get_root, 60, record, &out[accepted], NULL)
                        : uvaws_fetch(fx->client, &get_root, record, &out[accepted], NULL);
    if (rc == 0)
      accepted++;
    else
      assert_int_equal(rc, UVAWS_EQUEUEFULL);
  }
  return accepted;
}

static void queue_bound_while(origin_t origin) {
  enum { N = 2000, MAX = 100 };
  fresh(NULL);
  fixture_t fx;
  open_for(&fx, origin, MAX);
  outcome_t *out = calloc(N, sizeof *out);
  int accepted = submit_many(&fx, N, out);
  assert_int_equal(accepted, MAX); /* not 2,000: they all wait, not on the wire */
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.queued, MAX);
  assert_int_equal(st.in_flight, 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < accepted; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, 0);
  }
  free(out);
  close_fx(&fx);
  cleanup(NULL);
}

static void test_queue_bound_while_waiting_for_credentials(void **state) {
  (void)state;
  queue_bound_while(O_CREDS);
}

static void test_queue_bound_while_waiting_for_region(void **state) {
  (void)state;
  queue_bound_while(O_REGION);
}

static void tick_done(uv_timer_t *t) { (void)t; }

/* Runs the loop until the server has seen `n` requests in all. */
static void run_until_server_saw(fixture_t *fx, int n) {
  uv_timer_t tick;
  uv_timer_init(&fx->loop, &tick);
  while ((int)control_number(server, "/_stats", "requests") < n) {
    uv_timer_start(&tick, tick_done, 10, 0);
    uv_run(&fx->loop, UV_RUN_ONCE);
  }
  uv_close((uv_handle_t *)&tick, NULL);
  uv_run(&fx->loop, UV_RUN_NOWAIT);
}

/* Requests waiting for a retry's backoff count against max_queue: they were
 * accepted and are not on the wire; without them a failing server lets the
 * waiting set grow without bound. */
static void test_queue_bound_counts_backoff(void **state) {
  (void)state;
  fresh(NULL);
  uvaws_client_options_t o = static_options();
  o.max_clients = 4;
  o.max_queue = 3;
  o.retry_base_delay_ms = 600000;
  o.retry_max_delay_ms = 600000;
  fixture_t fx;
  open_fx(&fx, &o);
  uvaws_kv_t h[] = {{"x-test-fault", "status-503"}};
  uvaws_request_t failing = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = 1};
  outcome_t out[4] = {0};
  uvaws_job_t *jobs[4];
  for (int i = 0; i < 4; i++)
    assert_int_equal(uvaws_fetch(fx.client, &failing, record, &out[i], &jobs[i]), 0);
  run_until_server_saw(&fx, 4); /* all four failed once: now in their backoff */
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.in_flight + st.queued, 0);
  assert_int_equal(uvaws_fetch(fx.client, &get_root, never_called, NULL, NULL),
                   UVAWS_EQUEUEFULL);
  assert_int_equal(uvaws_presign(fx.client, &get_root, 60, never_called, NULL, NULL),
                   UVAWS_EQUEUEFULL);
  for (int i = 0; i < 4; i++)
    assert_int_equal(uvaws_cancel(jobs[i]), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  outcome_t later = {0};
  assert_int_equal(uvaws_fetch(fx.client, &get_root, record, &later, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(later.code, 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(out[i].code, UVAWS_ECANCELED);
  close_fx(&fx);
  cleanup(NULL);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  TEST_FILTER_FROM_ENV();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_callback_state),
      cmocka_unit_test(test_future_after_close),
      cmocka_unit_test(test_queue_bound_while_waiting_for_credentials),
      cmocka_unit_test(test_queue_bound_while_waiting_for_region),
      cmocka_unit_test(test_queue_bound_counts_backoff),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
