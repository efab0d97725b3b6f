/* A soak under faults: UVAWS_SOAK_SIZE requests (default 20,000) through one
 * client with max_clients 128, over a fixed plan that gives every request
 * index a fault (or none): each fault of the test server, some failing fewer
 * times than max_attempts (they must end well), some more (they must end with
 * the fault's error), some never retried. Checks that every request completes
 * exactly once with the planned outcome and number of attempts, that the
 * retry quota never goes negative and recovers, and that the resident set
 * stays flat between 25 % and 100 % of the run. Run under peers.py
 * --testserver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#ifdef UNDER_ASAN
/* ASan keeps freed memory in a quarantine (256 MB by default) to catch use
 * after free; it would show as RSS growth. A small one fills during warm-up,
 * so the flat-RSS check stays meaningful under ASan too. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=8"; }
#endif

static const char *server;

/* ---- the plan -------------------------------------------------------------- */

typedef struct {
  const char *fault; /* x-test-fault, NULL: none */
  const char *times; /* x-test-fault-times */
  const char *h1, *v1, *h2, *v2; /* more control headers */
  int code;          /* the outcome: 0 or UVAWS_E* */
  unsigned attempts; /* how many sends */
  int at_most;       /* attempts may be fewer (see below) */
} plan_t;

/* `at_most`: curl itself resends, once, a request whose reused keep-alive
 * connection was closed or reset before a byte of answer came (it cannot
 * tell that from a connection the server had idly closed). The server counts
 * that as an attempt, so "fail once" may be used up inside one of ours. */
static const plan_t by_rest[] = {
    /* retried, then fine */
    {"status-500", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"status-503", "2", NULL, NULL, NULL, NULL, 0, 3, 0},
    {"status-429", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"throttle-json", "2", NULL, NULL, NULL, NULL, 0, 3, 0},
    {"throttle-xml", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"transient-json", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"request-timeout-json", "2", NULL, NULL, NULL, NULL, 0, 3, 0},
    {"close-before", "1", NULL, NULL, NULL, NULL, 0, 2, 1},
    {"close-mid-headers", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"close-mid-body", "2", NULL, NULL, NULL, NULL, 0, 3, 0},
    {"reset", "1", NULL, NULL, NULL, NULL, 0, 2, 1},
    {"wrong-content-length", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"skew", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    {"signature-expired", "1", NULL, NULL, NULL, NULL, 0, 2, 0},
    /* never retried */
    {"garbage", "1", NULL, NULL, NULL, NULL, UVAWS_EPROTOCOL, 1, 0},
    {"expired-token", "1", NULL, NULL, NULL, NULL, UVAWS_EAWS, 1, 0},
    {NULL, NULL, "x-test-body-size", "4096", NULL, NULL, UVAWS_ETOOBIG, 1, 0},
    /* failing more often than max_attempts allows */
    {"status-503", "9", NULL, NULL, NULL, NULL, UVAWS_EAWS, 3, 0},
    {"throttle-json", "9", NULL, NULL, NULL, NULL, UVAWS_EAWS, 3, 0},
    {"close-mid-body", "9", NULL, NULL, NULL, NULL, UVAWS_ENETWORK, 3, 0},
    {"reset", "99", NULL, NULL, NULL, NULL, UVAWS_ENETWORK, 3, 0},
    {"skew-xml", "9", NULL, NULL, NULL, NULL, UVAWS_EAWS, 2, 0}, /* corrected once only */
    /* slow but within the timeout: few bytes, since each one waits for a turn
     * of the server's event loop, which a loaded machine makes long */
    {"drip", "1", "x-test-drip-ms", "1", "x-test-body-size", "4", 0, 1, 0},
    {NULL, NULL, "x-test-delay-ms", "20", NULL, NULL, 0, 1, 0},
};
#define PERIOD 100 /* indices by_rest[] don't cover are plain successes */

/* Timeouts are slow (one request timeout per attempt): rarer. */
static const plan_t stall_once = {"stall", "1", NULL, NULL, NULL, NULL, 0, 2, 0};
static const plan_t drip_late = {"drip", "1", "x-test-drip-ms", "50", "x-test-body-size", "100",
                                 0, 2, 0};
static const plan_t stall_always = {"stall", "9", NULL, NULL, NULL, NULL, UVAWS_ETIMEDOUT, 3, 0};
static const plan_t plain = {NULL, NULL, NULL, NULL, NULL, NULL, 0, 1, 0};

static const plan_t *plan_for(size_t i) {
  if (i % 1000 == 530)
    return &stall_once;
  if (i % 1000 == 780)
    return &drip_late;
  if (i % 2000 == 1290)
    return &stall_always;
  size_t r = i % PERIOD;
  return r < sizeof by_rest / sizeof *by_rest ? &by_rest[r] : &plain;
}

/* ---- the run ----------------------------------------------------------------- */

typedef struct {
  uint8_t calls;
  uint8_t attempts;
  int16_t code; /* UVAWS_E* fit in 16 bits */
} result_t;

typedef struct soak_s soak_t;

typedef struct {
  soak_t *s;
  size_t index;
} slot_t;

struct soak_s {
  uv_loop_t loop;
  uvaws_client_t *client;
  size_t n, next, done, window;
  result_t *results;
  char run[32];
  int in_submit;
  int quota_min, quota_max;
  long rss_25, rss_100;
  uint64_t t0;
};

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void on_done(const uvaws_response_t *r, void *arg);

static void submit_next(soak_t *s) {
  size_t i = s->next++;
  const plan_t *p = plan_for(i);
  char id[64];
  snprintf(id, sizeof id, "soak-%s-%zu", s->run, i);
  uvaws_kv_t h[6];
  size_t nh = 0;
  h[nh++] = (uvaws_kv_t){"x-test-id", id};
  if (p->fault) {
    h[nh++] = (uvaws_kv_t){"x-test-fault", p->fault};
    h[nh++] = (uvaws_kv_t){"x-test-fault-times", p->times};
  }
  if (p->h1)
    h[nh++] = (uvaws_kv_t){p->h1, p->v1};
  if (p->h2)
    h[nh++] = (uvaws_kv_t){p->h2, p->v2};
  /* Only the plans meant to time out keep the client's short timeout: under
   * a loaded machine (sanitizers, a shared CI host) a 10 ms drip may take
   * over a second, and must not turn into an unplanned retry. */
  int times_out = p == &stall_once || p == &drip_late || p == &stall_always;
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/soak", .headers = h, .header_count = nh,
                         .body = "{}", .body_len = 2, .timeout_ms = times_out ? 0 : 30000};
  s->in_submit = 1;
  int rc = uvaws_fetch(s->client, &req, on_done, (void *)(uintptr_t)i, NULL);
  s->in_submit = 0;
  assert_int_equal(rc, 0);
}

static soak_t *the_soak;

static void on_done(const uvaws_response_t *r, void *arg) {
  soak_t *s = the_soak;
  size_t i = (size_t)(uintptr_t)arg;
  assert_false(s->in_submit);
  assert_true(i < s->n);
  result_t *res = &s->results[i];
  if (res->calls < 255)
    res->calls++;
  res->attempts = (uint8_t)(r->attempts > 255 ? 255 : r->attempts);
  res->code = (int16_t)(r->error ? r->error->code : 0);
  s->done++;
  uvaws_client_stats_t st;
  uvaws_client_stats(s->client, &st);
  if (st.retry_quota < s->quota_min)
    s->quota_min = st.retry_quota;
  if (st.retry_quota > s->quota_max)
    s->quota_max = st.retry_quota;
  if (s->done == s->n / 4)
    s->rss_25 = rss_kb();
  if (s->next < s->n)
    submit_next(s);
}

static void count_ok(const uvaws_response_t *r, void *arg) {
  assert_null(r->error);
  --*(int *)arg;
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  ++*(int *)arg;
}

static size_t soak_size(void) {
  const char *v = getenv("UVAWS_SOAK_SIZE");
  if (v == NULL || v[0] == '\0')
    return 20000;
  long n = strtol(v, NULL, 10);
  return n >= 100 ? (size_t)n : 100;
}

static void test_soak(void **state) {
  (void)state;
  soak_t *s = calloc(1, sizeof *s);
  assert_non_null(s);
  the_soak = s;
  s->n = soak_size();
  s->window = 512; /* requests outstanding: 128 on the wire, the rest queued or waiting */
  s->results = calloc(s->n, sizeof *s->results);
  assert_non_null(s->results);
  snprintf(s->run, sizeof s->run, "%ld-%llu", (long)getpid(), (unsigned long long)uv_hrtime());
  s->quota_min = 1 << 30;
  s->quota_max = -1;
  assert_int_equal(uv_loop_init(&s->loop), 0);

  uvaws_client_options_t o = test_options(server);
  o.max_clients = 128;
  o.max_attempts = 3;
  o.retry_base_delay_ms = 2;
  o.retry_max_delay_ms = 20;
  o.request_timeout_ms = 1000;
  o.max_response_bytes = 2048;
  uvaws_error_t err;
  int rc = uvaws_client_new(&s->loop, &o, &s->client, &err);
  if (rc != 0)
    fail_msg("client_new: %s", err.detail ? err.detail : uvaws_strerror(rc));
  double before = control_number(server, "/_stats", "requests");

  s->t0 = uv_hrtime();
  while (s->next < s->n && s->next < s->window)
    submit_next(s);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  double secs = (double)(uv_hrtime() - s->t0) / 1e9;
  s->rss_100 = rss_kb();

  uvaws_client_stats_t st;
  uvaws_client_stats(s->client, &st);
  double server_seen = control_number(server, "/_stats", "requests") - before;

  /* every request once, as planned */
  uint64_t sum_attempts = 0;
  size_t failures = 0, mismatches = 0, succeeded = 0;
  for (size_t i = 0; i < s->n; i++) {
    const plan_t *p = plan_for(i);
    const result_t *r = &s->results[i];
    sum_attempts += r->attempts;
    int ok = r->calls == 1 && r->code == p->code &&
             (p->at_most ? r->attempts >= 1 && r->attempts <= p->attempts
                         : r->attempts == p->attempts);
    if (!ok && mismatches++ < 20)
      print_error("request %zu (%s×%s %s): %u calls, %s after %u attempts; planned %s after %u\n",
                  i, p->fault ? p->fault : "-", p->times ? p->times : "-", p->h1 ? p->h1 : "",
                  r->calls, uvaws_err_name(r->code), r->attempts, uvaws_err_name(p->code),
                  p->attempts);
    failures += r->code != 0;
    succeeded += r->code == 0;
  }
  printf("soak: %zu requests in %.2f s (%.0f/s), %llu attempts (server saw %.0f), %zu ok, "
         "%zu failed as planned; retries %llu; quota min %d max %d end %d; "
         "RSS %ld kB at 25%%, %ld kB at 100%% (%+ld kB)\n",
         s->n, secs, s->n / secs, (unsigned long long)st.attempts, server_seen, succeeded,
         failures, (unsigned long long)st.retries, s->quota_min, s->quota_max, st.retry_quota,
         s->rss_25, s->rss_100, s->rss_100 - s->rss_25);
  fflush(stdout);
  assert_int_equal(mismatches, 0);
  assert_int_equal(s->done, s->n);
  assert_int_equal(st.submitted, s->n);
  assert_int_equal(st.completed, s->n);
  assert_int_equal(st.attempts, sum_attempts);
  assert_int_equal(st.retries, sum_attempts - s->n);
  assert_int_equal(st.queued, 0);
  assert_int_equal(st.in_flight, 0);
  /* curl's own resend after a dead keep-alive connection is the only way the
   * server sees more than we sent */
  assert_true(server_seen >= (double)sum_attempts);
  assert_true(server_seen <= (double)sum_attempts + (double)s->n / PERIOD * 8 + 10);
  /* the quota: never negative, never above its size, recovered at the end */
  assert_true(s->quota_min >= 0);
  assert_true(s->quota_max <= 500);
  /* recovered: requests still failing when the run ended (the slow ones
   * finish last) took tokens no later success gave back; 500 successes
   * (one token each) fill the quota up again */
  int left = 500;
  uvaws_request_t ok = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  for (int i = 0; i < 500; i++)
    assert_int_equal(uvaws_fetch(s->client, &ok, count_ok, &left, NULL), 0);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  assert_int_equal(left, 0);
  int end_quota = st.retry_quota;
  uvaws_client_stats(s->client, &st);
  printf("soak: quota %d when the run ended, %d after 500 more successes\n", end_quota,
         st.retry_quota);
  assert_int_equal(st.retry_quota, 500);
  /* flat memory after warm-up */
  assert_true(s->rss_25 > 0);
  if (s->rss_100 - s->rss_25 > 4096)
    fail_msg("RSS grew by %ld kB between 25%% and 100%% of the run", s->rss_100 - s->rss_25);

  int closed = 0;
  uvaws_client_close(s->client, on_closed, &closed);
  uv_run(&s->loop, UV_RUN_DEFAULT);
  assert_int_equal(closed, 1);
  assert_int_equal(uv_loop_close(&s->loop), 0);
  free(s->results);
  free(s);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_soak),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
