/* Requests from other threads (uvaws_fetch_threadsafe): 8 threads submitting
 * 10,000 requests each while the loop runs, every callback exactly once and
 * on the loop's thread; posting while the client closes (each post either
 * refused at once or called back once); and, in debug builds, the loop-only
 * API refusing a call from the wrong thread. Built and run under
 * ThreadSanitizer too (scripts/test.sh, build-tsan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

#define THREADS 8

static const char *server;
static long per_thread = 10000;

typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
  uv_thread_t loop_thread;
  uv_mutex_t lock; /* guards the counters the posting threads read */
  long accepted, refused, calls, failures, wrong_thread, closed_calls;
  uint8_t *seen; /* per request: times called back */
  long total;
  int closing_at; /* close when this many callbacks came (0: never) */
  int stop;       /* posters stop (under lock) */
  int closed;     /* the close callback ran (loop thread only) */
  struct poster_s *posters;
} shared_t;

typedef struct poster_s {
  shared_t *s;
  int index;
  uv_thread_t thread;
} poster_t;

/* The contract: no thread posts once the close callback has returned. So
 * the close callback stops the posters and waits for them (they never wait
 * on the loop, so this cannot deadlock). */
static void stop_posters(uvaws_client_t *c, void *arg) {
  (void)c;
  shared_t *s = arg;
  uv_mutex_lock(&s->lock);
  s->stop = 1;
  uv_mutex_unlock(&s->lock);
  for (int i = 0; i < THREADS; i++)
    uv_thread_join(&s->posters[i].thread);
  s->closed = 1;
}

/* One turn of the loop; when nothing keeps it alive (requests posted from
 * other threads wake it, but an idle client holds no reference) it returns at
 * once, so wait a little for the posters. */
static void turn(uv_loop_t *loop) {
  if (uv_run(loop, UV_RUN_ONCE) == 0)
    uv_sleep(1);
}

typedef struct {
  shared_t *s;
  long id;
} ticket_t;

static void on_done(const uvaws_response_t *r, void *arg) {
  ticket_t *t = arg;
  shared_t *s = t->s;
  uv_thread_t self = uv_thread_self();
  uv_mutex_lock(&s->lock);
  if (!uv_thread_equal(&self, &s->loop_thread))
    s->wrong_thread++;
  s->calls++;
  s->seen[t->id]++;
  if (r->error != NULL) {
    s->failures++;
    if (r->error->code == UVAWS_ECANCELED || r->error->code == UVAWS_ECLOSED)
      s->closed_calls++;
  }
  long calls = s->calls;
  uv_mutex_unlock(&s->lock);
  free(t);
  if (s->closing_at && calls == s->closing_at)
    uvaws_client_close(s->client, stop_posters, s);
}

static void post_all(void *arg) {
  poster_t *p = arg;
  shared_t *s = p->s;
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  for (long i = 0; i < per_thread; i++) {
    uv_mutex_lock(&s->lock);
    int stop = s->stop;
    uv_mutex_unlock(&s->lock);
    if (stop)
      return;
    ticket_t *t = malloc(sizeof *t);
    t->s = s;
    t->id = p->index * per_thread + i;
    char body[64];
    int n = snprintf(body, sizeof body, "{\"thread\":%d,\"i\":%ld}", p->index, i);
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                           .body = body, .body_len = (size_t)n};
    int rc = uvaws_fetch_threadsafe(s->client, &req, on_done, t);
    uv_mutex_lock(&s->lock);
    if (rc == 0)
      s->accepted++;
    else {
      s->refused++;
      assert_int_equal(rc, UVAWS_ECLOSED);
    }
    uv_mutex_unlock(&s->lock);
    if (rc != 0)
      free(t);
  }
}

static void run(shared_t *s, long per, int closing_at, unsigned max_clients) {
  per_thread = per;
  memset(s, 0, sizeof *s);
  s->total = THREADS * per;
  s->closing_at = closing_at;
  s->seen = calloc((size_t)s->total, 1);
  uv_mutex_init(&s->lock);
  assert_int_equal(uv_loop_init(&s->loop), 0);
  s->loop_thread = uv_thread_self();
  uvaws_client_options_t o = test_options(server);
  o.max_clients = max_clients;
  o.threadsafe = 1;
  assert_int_equal(uvaws_client_new(&s->loop, &o, &s->client, NULL), 0);
  /* The posting threads start before the loop runs and keep posting while
   * it does; a timer keeps the loop alive until they are all done. */
  poster_t p[THREADS];
  s->posters = p;
  for (int i = 0; i < THREADS; i++) {
    p[i] = (poster_t){s, i, 0};
    assert_int_equal(uv_thread_create(&p[i].thread, post_all, &p[i]), 0);
  }
  if (closing_at) {
    while (!s->closed) /* until the close (after `closing_at` answers) is complete */
      turn(&s->loop);
    uv_run(&s->loop, UV_RUN_DEFAULT);
  } else {
    for (;;) {
      uv_mutex_lock(&s->lock);
      int all = s->accepted == s->total && s->calls == s->accepted;
      uv_mutex_unlock(&s->lock);
      if (all)
        break;
      turn(&s->loop);
    }
    uvaws_client_close(s->client, stop_posters, s);
    uv_run(&s->loop, UV_RUN_DEFAULT);
  }
  assert_int_equal(uv_loop_close(&s->loop), 0);
  uv_mutex_destroy(&s->lock);
}

static void check_once(const shared_t *s) {
  long twice = 0, never = 0;
  for (long i = 0; i < s->total; i++) {
    twice += s->seen[i] > 1;
    never += s->seen[i] == 0;
  }
  assert_int_equal(twice, 0);
  /* a post refused, or never made (stopped), is never called back */
  assert_int_equal(never, s->total - s->accepted);
  assert_int_equal(s->wrong_thread, 0);
}

static void test_many_threads(void **state) {
  (void)state;
  shared_t s;
  const char *n = getenv("UVAWS_THREADS_PER_THREAD");
  run(&s, n ? atol(n) : 10000, 0, 64);
  printf("threads: %d x %ld requests: %ld called back, %ld failed\n", THREADS, per_thread, s.calls,
         s.failures);
  check_once(&s);
  assert_int_equal(s.refused, 0);
  assert_int_equal(s.calls, s.total);
  assert_int_equal(s.failures, 0);
  free(s.seen);
}

static void test_posting_while_closing(void **state) {
  (void)state;
  shared_t s;
  run(&s, 2000, 3000, 16); /* the client closes after 3,000 answers */
  printf("threads, closing: %ld accepted (%ld ended by the close), %ld refused at once\n",
         s.accepted, s.closed_calls, s.refused);
  check_once(&s);
  assert_int_equal(s.calls, s.accepted);
  assert_true(s.calls >= 3000);
  assert_int_equal(s.failures, s.closed_calls); /* only the close ended any in failure */
  free(s.seen);
}

/* ---- the loop-only API from another thread --------------------------------- */

typedef struct {
  uvaws_client_t *client;
  uvaws_job_t *job;
  int fetch_rc, cancel_rc, stats_rc, threadsafe_rc;
} intruder_t;

static void on_any(const uvaws_response_t *r, void *arg) {
  (void)r;
  (*(int *)arg)++;
}

static int intruder_calls;

static void intrude(void *arg) {
  intruder_t *x = arg;
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  x->fetch_rc = uvaws_fetch(x->client, &req, on_any, &intruder_calls, NULL);
  x->cancel_rc = uvaws_cancel(x->job);
  uvaws_client_stats_t st;
  x->stats_rc = uvaws_client_stats(x->client, &st);
  uvaws_client_close(x->client, NULL, NULL); /* ignored, and logged */
  x->threadsafe_rc = uvaws_fetch_threadsafe(x->client, &req, on_any, &intruder_calls);
}

/* A client on a new loop that takes requests from any thread. */
static uvaws_client_t *threadsafe_client(uv_loop_t *loop) {
  uv_loop_init(loop);
  uvaws_client_options_t o = test_options(server);
  o.threadsafe = 1;
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(loop, &o, &c, NULL), 0);
  return c;
}

static void test_wrong_thread(void **state) {
  (void)state;
  uv_loop_t loop;
  uvaws_client_t *c = threadsafe_client(&loop);
  intruder_t x = {c, NULL, 0, 0, 0, 0};
  uvaws_kv_t slow[] = {{"x-test-delay-ms", "300"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = slow, .header_count = 1};
  int own_calls = 0;
  assert_int_equal(uvaws_fetch(c, &req, on_any, &own_calls, &x.job), 0);
  uv_thread_t t;
  uv_thread_create(&t, intrude, &x);
  uv_thread_join(&t);
  assert_int_equal(x.fetch_rc, UVAWS_ETHREAD);
  assert_int_equal(x.cancel_rc, UVAWS_ETHREAD);
  assert_int_equal(x.stats_rc, UVAWS_ETHREAD);
  assert_int_equal(x.threadsafe_rc, 0); /* the one made for other threads */
  while (own_calls + intruder_calls < 2) /* the close was ignored: both answer */
    uv_run(&loop, UV_RUN_ONCE);
  uvaws_client_close(c, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_bad_input(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o = test_options(server);
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  int calls = 0;
  uvaws_request_t ok = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  uvaws_request_t bad = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "no-slash"};
  assert_int_equal(uvaws_fetch_threadsafe(NULL, &ok, on_any, &calls), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch_threadsafe(c, NULL, on_any, &calls), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch_threadsafe(c, &ok, NULL, &calls), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch_threadsafe(c, &bad, on_any, &calls), UVAWS_EINVAL); /* not enabled */
  uvaws_client_close(c, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  o.threadsafe = 1;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  assert_int_equal(uvaws_fetch_threadsafe(c, &bad, on_any, &calls), UVAWS_EPATH);
  uvaws_client_close(c, NULL, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(calls, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void on_cancelled(const uvaws_response_t *r, void *arg) {
  int *calls = arg;
  assert_non_null(r->error);
  assert_int_equal(r->error->code, UVAWS_ECANCELED);
  ++*calls;
}

typedef struct {
  int rc, calls;
} late_post_t;

/* The close callback: the client is still allocated, its posts shut. */
static void post_when_closed(uvaws_client_t *c, void *arg) {
  late_post_t *late = arg;
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  late->rc = uvaws_fetch_threadsafe(c, &req, on_any, &late->calls);
}

/* Posts the loop has not taken yet when the client closes end with the
 * close (cancelled, each once); a post once the client is closed is refused
 * at once and never answered. Deterministic: posted from the loop's own thread,
 * which the thread-safe entry allows, before the loop runs. */
static void test_posts_across_close(void **state) {
  (void)state;
  uv_loop_t loop;
  uvaws_client_t *c = threadsafe_client(&loop);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  int calls = 0;
  late_post_t late = {0};
  for (int i = 0; i < 3; i++)
    assert_int_equal(uvaws_fetch_threadsafe(c, &req, on_cancelled, &calls), 0);
  /* closing, not yet torn down: still taken, and ended by the close */
  assert_int_equal(uvaws_fetch_threadsafe(c, &req, on_cancelled, &calls), 0);
  uvaws_client_close(c, post_when_closed, &late);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(calls, 4);
  assert_int_equal(late.rc, UVAWS_ECLOSED);
  assert_int_equal(late.calls, 0);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  TEST_FILTER_FROM_ENV();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_posts_across_close),
      cmocka_unit_test(test_wrong_thread),
      cmocka_unit_test(test_posting_while_closing),
      cmocka_unit_test(test_many_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
