/* Fault tolerance against the project's fault-injecting test server (started
 * by test/harness/peers.py --testserver): every fault alone, failing fewer
 * times than max_attempts and at least as many, with the attempts counted on
 * both sides; clock-skew correction; max_attempts and retry_mode from
 * options, environment and profile; header injection refused before sending;
 * the retry quota draining and refilling; and no secret in any log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"

#define N(a) (sizeof(a) / sizeof *(a))

static const char *server;
static char home[256];

#define SESSION_TOKEN "FQoGZXIvYXdzEXAMPLEuvawsFaultsSessionToken0123456789+/="

/* ---- every log line of every client in this file ---------------------------- */

static tu_buf_t log_lines;
static size_t log_count;
static const char *log_expect; /* when set, a line containing it is counted */
static int log_expect_seen;

static void on_log(uvaws_log_level_t level, const char *message, void *arg) {
  (void)level;
  (void)arg;
  size_t n = strlen(message);
  assert_int_equal(tu_write((char *)message, 1, n, &log_lines), n);
  assert_int_equal(tu_write((char *)"\n", 1, 1, &log_lines), 1);
  log_count++;
  if (log_expect && strstr(message, log_expect))
    log_expect_seen++;
}

/* Static credentials with a session token, small backoff, every log line. */
static uvaws_client_options_t opts(void) {
  uvaws_client_options_t o = test_options(server);
  o.session_token = SESSION_TOKEN;
  o.retry_base_delay_ms = 5;
  o.retry_max_delay_ms = 50;
  o.max_attempts = 3;
  o.request_timeout_ms = 300;
  o.log_cb = on_log;
  o.log_level = UVAWS_LOG_DEBUG;
  return o;
}

/* ---- one request through a fresh client --------------------------------------- */

typedef struct {
  int calls;
  int code;
  long status, http_status;
  unsigned attempts;
  int server_attempt; /* x-test-attempt of the last answer, 0 without one */
  char type[128];
  char message[256];
  double elapsed_ms;
} outcome_t;

static int in_submit;

static void record(const uvaws_response_t *r, void *arg) {
  outcome_t *o = arg;
  assert_false(in_submit); /* never from inside uvaws_fetch */
  o->calls++;
  o->status = r->status;
  o->attempts = r->attempts;
  o->elapsed_ms = r->elapsed_ms;
  const char *a = uvaws_response_header(r, "x-test-attempt");
  o->server_attempt = a ? atoi(a) : 0;
  if (r->error) {
    o->code = r->error->code;
    o->http_status = r->error->http_status;
    snprintf(o->type, sizeof o->type, "%s", r->error->aws_type ? r->error->aws_type : "");
    snprintf(o->message, sizeof o->message, "%s", r->error->message ? r->error->message : "");
  }
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  ++*(int *)arg;
}

typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
} fixture_t;

static int fixture_open(fixture_t *fx, const uvaws_client_options_t *o, uvaws_error_t *err) {
  memset(fx, 0, sizeof *fx);
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  int rc = uvaws_client_new(&fx->loop, o, &fx->client, err);
  if (rc != 0)
    assert_int_equal(uv_loop_close(&fx->loop), 0);
  return rc;
}

static void fixture_close(fixture_t *fx) {
  int closed = 0;
  uvaws_client_close(fx->client, on_closed, &closed);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(closed, 1);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static void submit(fixture_t *fx, const uvaws_kv_t *h, size_t nh, outcome_t *out) {
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = nh};
  in_submit = 1;
  int rc = uvaws_fetch(fx->client, &req, record, out, NULL);
  in_submit = 0;
  assert_int_equal(rc, 0);
}

/* Sends one request (headers `h`) through a client made from `o`; fills the
 * client's stats when `st` is not NULL. */
static outcome_t run_one(const uvaws_client_options_t *o, const uvaws_kv_t *h, size_t nh,
                         uvaws_client_stats_t *st) {
  outcome_t out;
  memset(&out, 0, sizeof out);
  fixture_t fx;
  uvaws_error_t err;
  int rc = fixture_open(&fx, o, &err);
  if (rc != 0)
    fail_msg("client_new: %s (%s)", uvaws_strerror(rc), err.detail ? err.detail : "");
  submit(&fx, h, nh, &out);
  assert_int_equal(out.calls, 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(out.calls, 1); /* exactly once */
  if (st)
    uvaws_client_stats(fx.client, st);
  fixture_close(&fx);
  assert_int_equal(out.calls, 1);
  return out;
}

/* Requests the server logged with this x-test-id. */
static int server_count(const char *id) {
  char path[256];
  snprintf(path, sizeof path, "/_log?id=%s", id);
  cJSON *j = control(server, "GET", path, NULL);
  int n = cJSON_GetArraySize(cJSON_GetObjectItem(j, "requests"));
  cJSON_Delete(j);
  return n;
}

static double server_requests(void) { return control_number(server, "/_stats", "requests"); }

static int id_seq;
static const char *fresh_id(char *buf, size_t len, const char *what) {
  snprintf(buf, len, "%s-%d-%ld", what, ++id_seq, (long)getpid());
  return buf;
}

/* ---- each fault alone ----------------------------------------------------------- */

typedef struct {
  const char *fault;
  const char *h1, *v1; /* one more control header, or NULL */
  const char *h2, *v2;
  int retried;     /* the failure it causes is retried */
  int code;        /* its error when it is the last answer */
  long status;     /* error's http_status */
  const char *type; /* error's aws_type ("" for none) */
} fault_case_t;

static const fault_case_t cases[] = {
    {"close-before", NULL, NULL, NULL, NULL, 1, UVAWS_ENETWORK, 0, ""},
    {"close-mid-headers", NULL, NULL, NULL, NULL, 1, UVAWS_ENETWORK, 200, ""},
    {"close-mid-body", NULL, NULL, NULL, NULL, 1, UVAWS_ENETWORK, 200, ""},
    {"reset", NULL, NULL, NULL, NULL, 1, UVAWS_ENETWORK, 0, ""},
    {"wrong-content-length", NULL, NULL, NULL, NULL, 1, UVAWS_ENETWORK, 200, ""},
    {"stall", NULL, NULL, NULL, NULL, 1, UVAWS_ETIMEDOUT, 0, ""},
    /* 100 bytes, one per 50 ms: 5 s, far beyond the 300 ms timeout */
    {"drip", "x-test-drip-ms", "50", "x-test-body-size", "100", 1, UVAWS_ETIMEDOUT, 200, ""},
    {"status-500", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 500, ""},
    {"status-503", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 503, ""},
    {"status-429", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 429, ""},
    {"throttle-json", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 400, "ThrottlingException"},
    {"throttle-xml", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 400, "Throttling"},
    {"transient-json", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 500, "InternalServerError"},
    {"request-timeout-json", NULL, NULL, NULL, NULL, 1, UVAWS_EAWS, 400,
     "RequestTimeoutException"},
    /* not retried: a server that speaks no HTTP, a static key that expired */
    {"garbage", NULL, NULL, NULL, NULL, 0, UVAWS_EPROTOCOL, 0, ""},
    {"expired-token", NULL, NULL, NULL, NULL, 0, UVAWS_EAWS, 400, "ExpiredTokenException"},
};

static void check_case(const fault_case_t *fc, unsigned max_attempts, int times) {
  char id[96], k[16];
  fresh_id(id, sizeof id, fc->fault);
  snprintf(k, sizeof k, "%d", times);
  uvaws_kv_t h[5] = {{"x-test-id", id}, {"x-test-fault", fc->fault}, {"x-test-fault-times", k}};
  size_t nh = 3;
  if (fc->h1)
    h[nh++] = (uvaws_kv_t){fc->h1, fc->v1};
  if (fc->h2)
    h[nh++] = (uvaws_kv_t){fc->h2, fc->v2};
  uvaws_client_options_t o = opts();
  o.max_attempts = max_attempts;
  uvaws_client_stats_t st;
  outcome_t r = run_one(&o, h, nh, &st);

  unsigned want_attempts;
  int succeeds;
  if (fc->retried) {
    succeeds = (unsigned)times < max_attempts;
    want_attempts = succeeds ? (unsigned)times + 1 : max_attempts;
  } else {
    succeeds = 0;
    want_attempts = 1;
  }
  if (r.attempts != want_attempts || (succeeds ? r.code != 0 : r.code != fc->code))
    fail_msg("%s times=%d max=%u: got %s after %u attempts (%s %s), want %s after %u",
             fc->fault, times, max_attempts, uvaws_err_name(r.code), r.attempts, r.type,
             r.message, succeeds ? "success" : uvaws_err_name(fc->code), want_attempts);
  /* the server saw exactly as many */
  int seen = server_count(id);
  if (seen != (int)want_attempts)
    fail_msg("%s times=%d max=%u: the server saw %d requests, the client says %u", fc->fault,
             times, max_attempts, seen, r.attempts);
  assert_int_equal(st.attempts, want_attempts);
  assert_int_equal(st.retries, want_attempts - 1);
  assert_int_equal(st.submitted, 1);
  assert_int_equal(st.completed, 1);
  if (succeeds) {
    assert_int_equal(r.status, 200);
    assert_int_equal(r.server_attempt, (int)want_attempts);
  } else {
    assert_int_equal(r.http_status, fc->status);
    assert_string_equal(r.type, fc->type);
    if (fc->code == UVAWS_EAWS) {
      assert_int_equal(r.status, fc->status);
      assert_int_equal(r.server_attempt, (int)want_attempts); /* the last one answered */
    }
  }
}

static void test_each_fault(void **state) {
  (void)state;
  for (size_t i = 0; i < N(cases); i++) {
    check_case(&cases[i], 3, 1); /* below */
    check_case(&cases[i], 3, 2); /* below: the last attempt succeeds */
    check_case(&cases[i], 3, 3); /* at */
    check_case(&cases[i], 3, 5); /* above */
  }
}

static void test_max_attempts_one_disables_retries(void **state) {
  (void)state;
  for (size_t i = 0; i < N(cases); i++)
    check_case(&cases[i], 1, 1);
}

static void test_more_attempts(void **state) {
  (void)state;
  /* max_attempts 5: four failures of any retried kind still end well */
  for (size_t i = 0; i < N(cases); i++) {
    if (strcmp(cases[i].fault, "stall") == 0 || strcmp(cases[i].fault, "drip") == 0)
      continue; /* slow: covered above */
    check_case(&cases[i], 5, 4);
    check_case(&cases[i], 5, 5);
  }
}

static void test_delay_and_drip_within_timeout(void **state) {
  (void)state;
  uvaws_client_options_t o = opts();
  o.request_timeout_ms = 2000;
  char id[96];
  /* a slow answer within the timeout: one attempt */
  uvaws_kv_t slow[] = {{"x-test-id", fresh_id(id, sizeof id, "delay")}, {"x-test-delay-ms", "150"}};
  outcome_t r = run_one(&o, slow, N(slow), NULL);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 1);
  assert_true(r.elapsed_ms >= 140);
  assert_int_equal(server_count(id), 1);
  /* a dripped body within the timeout: 40 bytes × 5 ms */
  uvaws_kv_t drip[] = {{"x-test-id", fresh_id(id, sizeof id, "drip-ok")},
                       {"x-test-fault", "drip"},
                       {"x-test-drip-ms", "5"},
                       {"x-test-body-size", "40"}};
  r = run_one(&o, drip, N(drip), NULL);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 1);
  assert_int_equal(server_count(id), 1);
  /* a delay past the timeout, on every attempt (delay is not under the fault
   * plan): every attempt times out */
  o.request_timeout_ms = 200;
  uvaws_kv_t late[] = {{"x-test-id", fresh_id(id, sizeof id, "delay-late")},
                       {"x-test-delay-ms", "1000"}};
  r = run_one(&o, late, N(late), NULL);
  assert_int_equal(r.code, UVAWS_ETIMEDOUT);
  assert_int_equal(r.attempts, 3);
  assert_int_equal(server_count(id), 3);
  /* per-request timeout: the request's own wins */
  o.request_timeout_ms = 5000;
  fixture_t fx;
  assert_int_equal(fixture_open(&fx, &o, NULL), 0);
  uvaws_kv_t h[] = {{"x-test-id", fresh_id(id, sizeof id, "delay-req")},
                    {"x-test-fault", "stall"},
                    {"x-test-fault-times", "1"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = N(h),
                         .timeout_ms = 100};
  memset(&r, 0, sizeof r);
  assert_int_equal(uvaws_fetch(fx.client, &req, record, &r, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 2);
  assert_true(r.elapsed_ms < 2000);
  fixture_close(&fx);
}

static void test_response_too_big(void **state) {
  (void)state;
  uvaws_client_options_t o = opts();
  o.max_response_bytes = 1000;
  char id[96];
  uvaws_kv_t big[] = {{"x-test-id", fresh_id(id, sizeof id, "big")}, {"x-test-body-size", "5000"}};
  uvaws_client_stats_t st;
  outcome_t r = run_one(&o, big, N(big), &st);
  assert_int_equal(r.code, UVAWS_ETOOBIG); /* not retried: it would be as big again */
  assert_int_equal(r.attempts, 1);
  assert_int_equal(server_count(id), 1);
  assert_int_equal(st.retries, 0);
  uvaws_kv_t fits[] = {{"x-test-id", fresh_id(id, sizeof id, "fits")}, {"x-test-body-size", "1000"}};
  r = run_one(&o, fits, N(fits), NULL);
  assert_int_equal(r.code, 0);
}

/* ---- clock skew ------------------------------------------------------------------- */

static int64_t parse_amz_date(const char *s) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  assert_non_null(s);
  assert_int_equal(sscanf(s, "%4d%2d%2dT%2d%2d%2dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                          &tm.tm_hour, &tm.tm_min, &tm.tm_sec),
                   6);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return (int64_t)timegm(&tm);
}

/* x-amz-date of each request the server logged with this id, oldest first. */
static int signed_times(const char *id, int64_t *out, int max) {
  char path[256];
  snprintf(path, sizeof path, "/_log?id=%s", id);
  cJSON *j = control(server, "GET", path, NULL);
  cJSON *reqs = cJSON_GetObjectItem(j, "requests");
  int n = 0;
  cJSON *e;
  cJSON_ArrayForEach(e, reqs) {
    if (n < max)
      out[n++] = parse_amz_date(cJSON_GetStringValue(cJSON_GetObjectItem(e, "x_amz_date")));
  }
  cJSON_Delete(j);
  return n;
}

static void near(int64_t got, int64_t want) {
  if (got < want - 3 || got > want + 3)
    fail_msg("signed at %lld, want %lld (±3 s)", (long long)got, (long long)want);
}

/* A skew answer once: the retry and every later request are signed with the
 * server's clock. `skew_s` NULL uses the server's default (900 s). */
static void check_skew(const char *fault, const char *skew_s, int64_t skew) {
  uvaws_client_options_t o = opts();
  fixture_t fx;
  assert_int_equal(fixture_open(&fx, &o, NULL), 0);
  char id[96], id2[96];
  fresh_id(id, sizeof id, fault);
  uvaws_kv_t h[4] = {{"x-test-id", id}, {"x-test-fault", fault}, {"x-test-fault-times", "1"}};
  size_t nh = 3;
  if (skew_s)
    h[nh++] = (uvaws_kv_t){"x-test-skew-s", skew_s};
  outcome_t r = {0};
  int64_t now = (int64_t)time(NULL);
  submit(&fx, h, nh, &r);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(r.calls, 1);
  if (r.code != 0)
    fail_msg("%s: %s %s %s", fault, uvaws_err_name(r.code), r.type, r.message);
  assert_int_equal(r.attempts, 2);
  int64_t t[4];
  assert_int_equal(signed_times(id, t, 4), 2);
  near(t[0], now);
  near(t[1], now + skew); /* the retry carried the corrected time */
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_true(st.clock_skew_s >= (double)skew - 3 && st.clock_skew_s <= (double)skew + 3);
  assert_int_equal(st.retries, 1);
  /* later requests are signed with the corrected clock from the start */
  uvaws_kv_t h2[] = {{"x-test-id", fresh_id(id2, sizeof id2, "after-skew")}};
  outcome_t r2 = {0};
  submit(&fx, h2, 1, &r2);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(r2.calls, 1);
  assert_int_equal(r2.code, 0);
  assert_int_equal(r2.attempts, 1);
  assert_int_equal(signed_times(id2, t, 4), 1);
  near(t[0], now + skew);
  fixture_close(&fx);
}

static void test_skew(void **state) {
  (void)state;
  check_skew("skew", NULL, 900);
  check_skew("skew", "-1200", -1200);
  check_skew("skew-xml", "600", 600);
  check_skew("skew-xml", "-600", -600);
  check_skew("signature-expired", NULL, 900);
  check_skew("signature-expired", "-3600", -3600);
}

static void test_skew_retried_once_only(void **state) {
  (void)state;
  static const char *const faults[] = {"skew", "skew-xml", "signature-expired"};
  static const char *const types[] = {"RequestTimeTooSkewed", "RequestTimeTooSkewed",
                                      "InvalidSignatureException"};
  for (size_t i = 0; i < N(faults); i++) {
    uvaws_client_options_t o = opts();
    char id[96];
    uvaws_kv_t h[] = {{"x-test-id", fresh_id(id, sizeof id, faults[i])},
                      {"x-test-fault", faults[i]},
                      {"x-test-fault-times", "9"}};
    uvaws_client_stats_t st;
    outcome_t r = run_one(&o, h, N(h), &st);
    assert_int_equal(r.code, UVAWS_EAWS);
    assert_string_equal(r.type, types[i]);
    assert_int_equal(r.attempts, 2); /* one correction, then the error */
    assert_int_equal(server_count(id), 2);
    assert_int_equal(st.retries, 1);
    /* max_attempts 1: not even the correction */
    o.max_attempts = 1;
    uvaws_kv_t h1[] = {{"x-test-id", fresh_id(id, sizeof id, faults[i])},
                       {"x-test-fault", faults[i]},
                       {"x-test-fault-times", "1"}};
    r = run_one(&o, h1, N(h1), &st);
    assert_int_equal(r.code, UVAWS_EAWS);
    assert_int_equal(r.attempts, 1);
    assert_int_equal(server_count(id), 1);
    assert_int_equal(st.retries, 0);
  }
}

static void test_skew_from_server_clock(void **state) {
  (void)state;
  /* a server whose clock is off: every answer's Date is 900 s ahead */
  cJSON_Delete(control(server, "POST", "/_config", "{\"date_offset_s\": 900}"));
  check_skew("skew", "900", 900);
  cJSON_Delete(control(server, "POST", "/_config", "{\"date_offset_s\": -450}"));
  check_skew("skew-xml", "-450", -450);
  cJSON_Delete(control(server, "POST", "/_config", "{\"date_offset_s\": 0}"));
}

/* ---- retry settings from the environment and the profile --------------------------- */

static const char *const aws_vars[] = {
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_V1_DISABLED",
    "AWS_METADATA_SERVICE_TIMEOUT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

static void clean_env(void) {
  for (size_t i = 0; i < N(aws_vars); i++)
    unsetenv(aws_vars[i]);
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  char path[512];
  snprintf(path, sizeof path, "%s/.aws/config", home);
  unlink(path);
}

static void write_config(const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/.aws", home);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/.aws/config", home);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Attempts a request that always fails with 500 gets under the resolved
 * settings; also checks the client's debug line names `mode`. */
static unsigned attempts_resolved(const uvaws_client_options_t *o, const char *mode) {
  char id[96], want[64];
  uvaws_kv_t h[] = {{"x-test-id", fresh_id(id, sizeof id, "resolved")},
                    {"x-test-fault", "status-500"}};
  snprintf(want, sizeof want, "retries: %s mode", mode);
  log_expect = want;
  log_expect_seen = 0;
  outcome_t r = run_one(o, h, N(h), NULL);
  log_expect = NULL;
  assert_int_equal(log_expect_seen, 1);
  assert_int_equal(r.code, UVAWS_EAWS);
  assert_int_equal(server_count(id), (int)r.attempts);
  return r.attempts;
}

static void test_settings_resolved(void **state) {
  (void)state;
  uvaws_client_options_t o = opts();
  o.max_attempts = 0; /* resolve */
  o.retry_mode = NULL;

  clean_env();
  assert_int_equal(attempts_resolved(&o, "standard"), 3); /* the default */

  setenv("AWS_MAX_ATTEMPTS", "2", 1);
  assert_int_equal(attempts_resolved(&o, "standard"), 2);
  setenv("AWS_MAX_ATTEMPTS", "1", 1);
  assert_int_equal(attempts_resolved(&o, "standard"), 1);
  setenv("AWS_MAX_ATTEMPTS", "5", 1);
  setenv("AWS_RETRY_MODE", "adaptive", 1);
  assert_int_equal(attempts_resolved(&o, "adaptive"), 5);
  setenv("AWS_RETRY_MODE", "legacy", 1);
  assert_int_equal(attempts_resolved(&o, "standard"), 5);

  /* the profile, when the environment says nothing */
  clean_env();
  write_config("[default]\nmax_attempts = 4\nretry_mode = adaptive\n"
               "[profile other]\nmax_attempts = 2\n");
  assert_int_equal(attempts_resolved(&o, "adaptive"), 4);
  setenv("AWS_PROFILE", "other", 1);
  assert_int_equal(attempts_resolved(&o, "standard"), 2);
  unsetenv("AWS_PROFILE");
  /* the environment beats the profile, the options beat both */
  setenv("AWS_MAX_ATTEMPTS", "2", 1);
  setenv("AWS_RETRY_MODE", "standard", 1);
  assert_int_equal(attempts_resolved(&o, "standard"), 2);
  uvaws_client_options_t oo = o;
  oo.max_attempts = 3;
  oo.retry_mode = "adaptive";
  assert_int_equal(attempts_resolved(&oo, "adaptive"), 3);

  /* bad values are configuration errors, not silently the default */
  fixture_t fx;
  uvaws_error_t err;
  setenv("AWS_RETRY_MODE", "fast", 1);
  assert_int_equal(fixture_open(&fx, &o, &err), UVAWS_ECONFIG);
  assert_non_null(strstr(err.detail, "AWS_RETRY_MODE"));
  uvaws_error_clear(&err);
  unsetenv("AWS_RETRY_MODE");
  setenv("AWS_MAX_ATTEMPTS", "0", 1);
  assert_int_equal(fixture_open(&fx, &o, &err), UVAWS_ECONFIG);
  uvaws_error_clear(&err);
  setenv("AWS_MAX_ATTEMPTS", "three", 1);
  assert_int_equal(fixture_open(&fx, &o, &err), UVAWS_ECONFIG);
  uvaws_error_clear(&err);
  unsetenv("AWS_MAX_ATTEMPTS");
  write_config("[default]\nretry_mode = turbo\n");
  assert_int_equal(fixture_open(&fx, &o, &err), UVAWS_ECONFIG);
  assert_non_null(strstr(err.detail, "retry_mode"));
  uvaws_error_clear(&err);
  clean_env();
  uvaws_client_options_t bad = opts();
  bad.retry_mode = "fast";
  assert_int_equal(fixture_open(&fx, &bad, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  clean_env();
}

static void test_adaptive_slows_after_throttle(void **state) {
  (void)state;
  clean_env();
  write_config("[default]\nretry_mode = adaptive\n");
  uvaws_client_options_t o = opts();
  o.max_attempts = 0;
  char id[96];
  uvaws_kv_t h[] = {{"x-test-id", fresh_id(id, sizeof id, "adaptive")},
                    {"x-test-fault", "throttle-json"},
                    {"x-test-fault-times", "1"}};
  outcome_t r = run_one(&o, h, N(h), NULL);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 2);
  /* nothing measured before the throttle: the limiter starts at its floor
   * (0.5 requests/s), so the retry waited for a token, not only the 5 ms */
  assert_true(r.elapsed_ms > 500);
  clean_env();
  o.retry_mode = "standard";
  h[0].value = fresh_id(id, sizeof id, "standard");
  r = run_one(&o, h, N(h), NULL);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 2);
  assert_true(r.elapsed_ms < 500);
}

/* ---- header injection ------------------------------------------------------------- */

static void never(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
  fail_msg("a refused request's callback was called");
}

static void test_header_injection_refused(void **state) {
  (void)state;
  uvaws_client_options_t o = opts();
  fixture_t fx;
  assert_int_equal(fixture_open(&fx, &o, NULL), 0);
  double before = server_requests();
  static const struct {
    const char *hn, *hv, *qn, *qv, *path, *method;
    int want;
  } bad[] = {
      {"X-Evil\r\nX-Injected", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"X-Evil\n", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"X-Evil\r", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"X-Evil: 1\r\nX-More", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"X Evil", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"", "1", NULL, NULL, "/", "GET", UVAWS_EHEADERNAME},
      {"X-Evil", "a\r\nX-Injected: 1", NULL, NULL, "/", "GET", UVAWS_EHEADERVALUE},
      {"X-Evil", "a\nX-Injected: 1", NULL, NULL, "/", "GET", UVAWS_EHEADERVALUE},
      {"X-Evil", "a\rX-Injected: 1", NULL, NULL, "/", "GET", UVAWS_EHEADERVALUE},
      {"X-Evil", "a\r\n\r\nGET /smuggled HTTP/1.1", NULL, NULL, "/", "GET", UVAWS_EHEADERVALUE},
      {"X-Evil", "\r\n", NULL, NULL, "/", "GET", UVAWS_EHEADERVALUE},
      {NULL, NULL, "a\r\nb", "v", "/", "GET", UVAWS_EQUERY},
      {NULL, NULL, "a\nb", "v", "/", "GET", UVAWS_EQUERY},
      {NULL, NULL, "a", "v\r\nX-Injected: 1", "/", "GET", UVAWS_EQUERY},
      {NULL, NULL, "a", "v\nw", "/", "GET", UVAWS_EQUERY},
      {NULL, NULL, "a", "v\rw", "/", "GET", UVAWS_EQUERY},
      {NULL, NULL, NULL, NULL, "/a\r\nX-Injected: 1", "GET", UVAWS_EPATH},
      {NULL, NULL, NULL, NULL, "/a HTTP/1.1\r\nHost: evil\r\n\r\n", "GET", UVAWS_EPATH},
      {NULL, NULL, NULL, NULL, "/a\nb", "GET", UVAWS_EPATH},
      {NULL, NULL, NULL, NULL, "/a\rb", "GET", UVAWS_EPATH},
      {NULL, NULL, NULL, NULL, "a\r\n", "GET", UVAWS_EPATH},
      {NULL, NULL, NULL, NULL, "/", "GET /x HTTP/1.1\r\n", UVAWS_EMETHOD},
      {NULL, NULL, NULL, NULL, "/", "GET\n", UVAWS_EMETHOD},
  };
  for (size_t i = 0; i < N(bad); i++) {
    uvaws_kv_t h[2] = {{"x-test-id", "injection"}};
    size_t nh = 1;
    if (bad[i].hn)
      h[nh++] = (uvaws_kv_t){bad[i].hn, bad[i].hv};
    uvaws_kv_t q[1] = {{bad[i].qn, bad[i].qv}};
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = bad[i].method, .path = bad[i].path, .headers = h,
                           .header_count = nh, .query = bad[i].qn ? q : NULL,
                           .query_count = bad[i].qn ? 1 : 0};
    uvaws_job_t *job = (uvaws_job_t *)&req;
    int rc = uvaws_fetch(fx.client, &req, never, NULL, &job);
    if (rc != bad[i].want)
      fail_msg("case %zu: got %s, want %s", i, uvaws_err_name(rc), uvaws_err_name(bad[i].want));
    assert_null(job);
  }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.submitted, 0);
  assert_int_equal(st.attempts, 0);
  assert_true(server_requests() == before); /* nothing reached the wire */
  assert_int_equal(server_count("injection"), 0);
  /* the client is unharmed: a good request goes through */
  outcome_t r = {0};
  uvaws_kv_t ok[] = {{"x-test-id", "injection-ok"}, {"X-Fine", "a:b; c=\"d\"\té"}};
  submit(&fx, ok, N(ok), &r);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.code, 0);
  assert_true(server_requests() == before + 1);
  fixture_close(&fx);
}

/* ---- the retry quota ---------------------------------------------------------------- */

static void test_quota_drains_and_refills(void **state) {
  (void)state;
  uvaws_client_options_t o = opts();
  o.max_clients = 16;
  o.retry_base_delay_ms = 1;
  fixture_t fx;
  assert_int_equal(fixture_open(&fx, &o, NULL), 0);
  double before = server_requests();
  /* 120 requests that always fail with 500: each retry takes 5 of the 500
   * tokens, so exactly 100 retries happen, then failures are final at once */
  enum { FAILING = 120 };
  static outcome_t out[FAILING];
  memset(out, 0, sizeof out);
  uvaws_kv_t h[] = {{"x-test-fault", "status-500"}};
  for (int i = 0; i < FAILING; i++)
    submit(&fx, h, 1, &out[i]);
  log_expect = "the retry quota is spent";
  log_expect_seen = 0;
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  log_expect = NULL;
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  unsigned total = 0, single = 0;
  for (int i = 0; i < FAILING; i++) {
    assert_int_equal(out[i].calls, 1);
    assert_int_equal(out[i].code, UVAWS_EAWS);
    assert_int_equal(out[i].status, 500);
    assert_true(out[i].attempts >= 1 && out[i].attempts <= 3);
    total += out[i].attempts;
    single += out[i].attempts == 1;
  }
  assert_int_equal(st.retries, 100);
  assert_int_equal(st.retry_quota, 0);
  assert_int_equal(total, FAILING + 100);
  assert_int_equal(st.attempts, total);
  assert_true(server_requests() == before + total);
  assert_true(single >= FAILING - 100); /* later failures were not retried */
  assert_true(log_expect_seen > 0);

  /* with the quota at 0, one more failure is not retried */
  outcome_t one = {0};
  submit(&fx, h, 1, &one);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(one.attempts, 1);

  /* successes refill it, one token each ... */
  enum { OK = 30 };
  outcome_t good[OK];
  memset(good, 0, sizeof good);
  for (int i = 0; i < OK; i++)
    submit(&fx, NULL, 0, &good[i]);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < OK; i++)
    assert_int_equal(good[i].code, 0);
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.retry_quota, OK);
  /* ... so a failure is retried again (twice: 30 → 20) ... */
  memset(&one, 0, sizeof one);
  submit(&fx, h, 1, &one);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(one.attempts, 3);
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.retry_quota, OK - 10);
  /* ... and a retried success gives back what it took */
  char id[96];
  uvaws_kv_t once[] = {{"x-test-id", fresh_id(id, sizeof id, "refund")},
                       {"x-test-fault", "status-503"},
                       {"x-test-fault-times", "2"}};
  memset(&one, 0, sizeof one);
  submit(&fx, once, N(once), &one);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(one.code, 0);
  assert_int_equal(one.attempts, 3);
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.retry_quota, OK - 10);
  /* throttles cost nothing even with the quota spent */
  fixture_close(&fx);
  assert_int_equal(fixture_open(&fx, &o, NULL), 0);
  for (int i = 0; i < FAILING; i++)
    memset(&out[i], 0, sizeof out[i]);
  for (int i = 0; i < FAILING; i++)
    submit(&fx, h, 1, &out[i]);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.retry_quota, 0);
  uvaws_kv_t thr[] = {{"x-test-id", fresh_id(id, sizeof id, "throttle-free")},
                      {"x-test-fault", "throttle-json"},
                      {"x-test-fault-times", "2"}};
  memset(&one, 0, sizeof one);
  submit(&fx, thr, N(thr), &one);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(one.code, 0);
  assert_int_equal(one.attempts, 3);
  fixture_close(&fx);
}

/* ---- no secret in any log line ------------------------------------------------------- */

static void hmac(const unsigned char *key, size_t key_len, const char *data, unsigned char out[32]) {
  unsigned len = 32;
  assert_non_null(HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)data, strlen(data),
                       out, &len));
}

static void hex(const unsigned char *b, size_t n, char *out) {
  for (size_t i = 0; i < n; i++)
    sprintf(out + 2 * i, "%02x", b[i]);
}

static void assert_not_logged(const char *what, const char *s) {
  if (log_lines.data && strstr(log_lines.data, s) != NULL)
    fail_msg("%s \"%s\" appears in the log", what, s);
}

static void test_no_secret_in_logs(void **state) {
  (void)state;
  /* the other tests ran first and logged at DEBUG through on_log */
  assert_true(log_count > 100);
  uvaws_client_options_t o = opts();
  assert_not_logged("secret key", o.secret_key);
  char part[17];
  memcpy(part, o.secret_key + 8, 16);
  part[16] = '\0';
  assert_not_logged("part of the secret key", part);
  assert_not_logged("session token", SESSION_TOKEN);
  memcpy(part, &SESSION_TOKEN[10], 16);
  assert_not_logged("part of the session token", part);
  /* every signature the server received, and the signing key behind it */
  cJSON *j = control(server, "GET", "/_log", NULL);
  cJSON *e;
  int checked = 0;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(j, "requests")) {
    const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(e, "authorization"));
    if (auth == NULL)
      continue;
    const char *sig = strstr(auth, "Signature=");
    const char *cred = strstr(auth, "Credential=");
    assert_non_null(sig);
    assert_non_null(cred);
    char s16[17];
    memcpy(s16, sig + 10, 16);
    s16[16] = '\0';
    assert_not_logged("a signature", s16);
    char akid[64], date[16], region[32], service[32];
    assert_int_equal(sscanf(cred + 11, "%63[^/]/%15[^/]/%31[^/]/%31[^/]/", akid, date, region,
                            service),
                     4);
    char k0[128];
    snprintf(k0, sizeof k0, "AWS4%s", o.secret_key);
    unsigned char kd[32], kr[32], ks[32], kk[32];
    hmac((const unsigned char *)k0, strlen(k0), date, kd);
    hmac(kd, 32, region, kr);
    hmac(kr, 32, service, ks);
    hmac(ks, 32, "aws4_request", kk);
    char khex[65];
    hex(kk, 32, khex);
    khex[16] = '\0';
    assert_not_logged("a signing key", khex);
    hex(kd, 32, khex);
    khex[16] = '\0';
    assert_not_logged("a derived key", khex);
    checked++;
  }
  cJSON_Delete(j);
  assert_true(checked > 100);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  /* Nothing here may read the developer's ~/.aws: an empty HOME throughout. */
  snprintf(home, sizeof home, "/tmp/uvaws-faults-XXXXXX");
  if (mkdtemp(home) == NULL)
    return 1;
  clean_env();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_each_fault),
      cmocka_unit_test(test_max_attempts_one_disables_retries),
      cmocka_unit_test(test_more_attempts),
      cmocka_unit_test(test_delay_and_drip_within_timeout),
      cmocka_unit_test(test_response_too_big),
      cmocka_unit_test(test_skew),
      cmocka_unit_test(test_skew_retried_once_only),
      cmocka_unit_test(test_skew_from_server_clock),
      cmocka_unit_test(test_settings_resolved),
      cmocka_unit_test(test_adaptive_slows_after_throttle),
      cmocka_unit_test(test_header_injection_refused),
      cmocka_unit_test(test_quota_drains_and_refills),
      cmocka_unit_test(test_no_secret_in_logs), /* last: searches what all the others logged */
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  if (system(cmd) != 0)
    rc = rc ? rc : 1;
  free(log_lines.data);
  return rc;
}
