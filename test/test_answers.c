/* Hostile and odd answers: clock-skew answers dated decades away or not
 * dated at all, control characters in everything a server says, response
 * heads past libcurl's limits and requests past them, redirects, blanks
 * around header values, and a connect that never completes. Needs
 * test/harness/peers.py --testserver. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

static const char *server;

/* ---- plumbing -------------------------------------------------------------- */

static char logged[65536]; /* every line the clients logged, " || " after each */

static void log_line(uvaws_log_level_t level, const char *line, void *arg) {
  (void)level;
  (void)arg;
  size_t n = strlen(logged);
  snprintf(logged + n, sizeof logged - n, "%s || ", line);
}

typedef struct {
  int calls, code;
  long status, http_status;
  unsigned attempts;
  char type[512], message[512], request_id[512], detail[512], pad[128];
} seen_t;

static void record(const uvaws_response_t *r, void *arg) {
  seen_t *s = arg;
  s->calls++;
  s->status = r->status;
  s->attempts = r->attempts;
  const char *pad = uvaws_response_header(r, "X-Pad");
  snprintf(s->pad, sizeof s->pad, "%s", pad ? pad : "(none)");
  if (r->error) {
    const uvaws_error_t *e = r->error;
    s->code = e->code;
    s->http_status = e->http_status;
    snprintf(s->type, sizeof s->type, "%s", e->aws_type ? e->aws_type : "");
    snprintf(s->message, sizeof s->message, "%s", e->message ? e->message : "");
    snprintf(s->request_id, sizeof s->request_id, "%s", e->request_id ? e->request_id : "");
    snprintf(s->detail, sizeof s->detail, "%s", e->detail ? e->detail : "");
  }
}

static uvaws_client_options_t options(void) {
  uvaws_client_options_t o = test_options(server);
  o.retry_base_delay_ms = 5;
  o.log_cb = log_line;
  o.log_level = UVAWS_LOG_DEBUG;
  return o;
}

static void open_client(tu_fixture_t *fx, const uvaws_client_options_t *o) {
  logged[0] = '\0';
  tu_fixture_open(fx, o);
}

static void close_client(tu_fixture_t *fx) {
  uvaws_client_close(fx->client, tu_on_closed, fx);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(fx->closed, 1);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

static seen_t send_headers(tu_fixture_t *fx, const uvaws_kv_t *h, size_t n) {
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = n};
  seen_t s = {0};
  assert_int_equal(uvaws_fetch(fx->client, &req, record, &s, NULL), 0);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(s.calls, 1);
  return s;
}

static double skew_now(tu_fixture_t *fx) {
  uvaws_client_stats_t st;
  uvaws_client_stats(fx->client, &st);
  return st.clock_skew_s;
}

/* No byte below 0x20 nor DEL, no C1 control, no bidirectional override. */
static void assert_printable(const char *what, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    int bad = *p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) ||
              (p[0] == 0xE2 && p[1] == 0x80 && p[2] >= 0xAA && p[2] <= 0xAE);
    if (bad)
      fail_msg("%s holds a control character at %d: %s", what, (int)(p - (const unsigned char *)s),
               s);
  }
}

/* ---- item 11: clock skew, bounded and recoverable ---------------------------- */

static void test_skew_answer_dated_far_away_is_ignored(void **state) {
  (void)state;
  static const char *const dates[] = {
      "Fri, 31 Dec 9999 23:59:59 GMT", /* the year 9999: every later request failed */
      "Thu, 01 Jan 1970 00:00:00 GMT", /* decades ago */
      "Sat, 01 Jan 2000 00:00:00 GMT",
      "not a date \\x1b[31mat all",    /* unparsable, with an escape sequence */
      "",
  };
  uvaws_client_options_t o = options();
  for (size_t i = 0; i < sizeof dates / sizeof *dates; i++) {
    tu_fixture_t fx;
    open_client(&fx, &o);
    char id[32];
    snprintf(id, sizeof id, "far-%zu", i);
    uvaws_kv_t h[] = {{"x-test-id", id}, {"x-test-fault", "skew"}, {"x-test-fault-times", "1"},
                      {"x-test-date", dates[i]}};
    seen_t s = send_headers(&fx, h, 4);
    /* not corrected, so not retried for it: the skew answer is the outcome */
    assert_int_equal(s.code, UVAWS_EAWS);
    assert_string_equal(s.type, "RequestTimeTooSkewed");
    assert_int_equal(s.attempts, 1);
    assert_true(skew_now(&fx) == 0.0);
    if (dates[i][0] != '\0')
      assert_non_null(strstr(logged, "not corrected"));
    assert_printable("the log", logged);
    /* and the client still sends, signed with its own clock */
    seen_t next = send_headers(&fx, NULL, 0);
    assert_int_equal(next.code, 0);
    cJSON *log = control(server, "GET", "/_log?last=1", NULL);
    const char *amz = cJSON_GetStringValue(cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0), "x_amz_date"));
    char today[9];
    time_t t = time(NULL);
    strftime(today, sizeof today, "%Y%m%d", gmtime(&t));
    assert_memory_equal(amz, today, 8);
    cJSON_Delete(log);
    close_client(&fx);
  }
}

static void test_skew_correction_recovers(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  tu_fixture_t fx;
  open_client(&fx, &o);
  /* a server 20 hours ahead: within bounds, corrected and retried */
  uvaws_kv_t ahead[] = {{"x-test-id", "rec-1"}, {"x-test-fault", "skew"},
                        {"x-test-fault-times", "1"}, {"x-test-skew-s", "72000"}};
  seen_t s = send_headers(&fx, ahead, 4);
  assert_int_equal(s.code, 0);
  assert_int_equal(s.attempts, 2);
  assert_true(skew_now(&fx) > 71000 && skew_now(&fx) < 73000);
  /* it was wrong: the next skew answer says the right time, and the client
   * comes back to it */
  uvaws_kv_t back[] = {{"x-test-id", "rec-2"}, {"x-test-fault", "skew"},
                       {"x-test-fault-times", "1"}, {"x-test-skew-s", "0"}};
  s = send_headers(&fx, back, 4);
  assert_int_equal(s.code, 0);
  assert_true(skew_now(&fx) > -600 && skew_now(&fx) < 600);
  close_client(&fx);
}

/* ---- item 13: control characters from servers -------------------------------- */

static void test_control_characters_escaped(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  o.max_attempts = 1;
  tu_fixture_t fx;
  open_client(&fx, &o);
  /* a JSON error: type and message with an escape sequence, a bell, line
   * breaks and a right-to-left override */
  uvaws_kv_t json[] = {
      {"x-test-status", "400"},
      {"x-test-content-type", "application/x-amz-json-1.0"},
      {"x-test-body", "{\"__type\":\"com.x#Evil\\u001b[31mType\",\"message\":\"line1\\nFORGED "
                      "LINE\\r\\u001b]0;title\\u0007 \\u202egnp.exe\\u0085\"}"}};
  seen_t s = send_headers(&fx, json, 3);
  assert_int_equal(s.code, UVAWS_EAWS);
  assert_printable("aws_type", s.type);
  assert_printable("message", s.message);
  assert_string_equal(s.type, "Evil\\x1B[31mType");
  assert_non_null(strstr(s.message, "line1\\nFORGED LINE\\r\\x1B]0;title\\x07 \\u202Egnp.exe"));
  assert_non_null(strstr(s.message, "\\u0085"));
  /* an XML error: request id and message with character references */
  uvaws_kv_t xml[] = {
      {"x-test-status", "400"},
      {"x-test-content-type", "text/xml"},
      {"x-test-body", "<ErrorResponse><Error><Code>Bad&#13;&#10;Code</Code><Message>m&#10;"
                      "X-Forged: 1</Message></Error><RequestId>id&#10;forged</RequestId>"
                      "</ErrorResponse>"}};
  s = send_headers(&fx, xml, 3);
  assert_printable("aws_type", s.type);
  assert_printable("message", s.message);
  assert_printable("request_id", s.request_id);
  assert_string_equal(s.request_id, "id\\nforged");
  assert_string_equal(s.type, "Bad\\r\\nCode");
  /* the error type from a header, with an escape sequence */
  uvaws_kv_t hdr[] = {{"x-test-status", "400"},
                      {"x-test-response-header-raw", "x-amzn-ErrorType:Bad\\x1b[2JType:http://x"}};
  s = send_headers(&fx, hdr, 2);
  assert_string_equal(s.type, "Bad\\x1B[2JType");
  /* and every log line the client wrote about them */
  assert_non_null(strstr(logged, "Evil\\x1B[31mType"));
  assert_printable("the log", logged);
  close_client(&fx);
}

/* ---- item 14: libcurl's size limits --------------------------------------------- */

static void test_head_size_limits(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  tu_fixture_t fx;
  open_client(&fx, &o);
  /* a 1 MB response header line; 4,000 header lines (390 KB): not "out of
   * memory", not a network error retried three times */
  uvaws_kv_t big[] = {{"x-test-big-header", "1048576"}};
  uvaws_kv_t many[] = {{"x-test-many-headers", "4000"}};
  const uvaws_kv_t *answers[] = {big, many};
  for (size_t i = 0; i < 2; i++) {
    seen_t s = send_headers(&fx, answers[i], 1);
    assert_int_equal(s.code, UVAWS_EHEADTOOBIG);
    assert_int_equal(s.attempts, 1);
    assert_non_null(strstr(s.detail, "libcurl's limits"));
  }
  assert_string_equal(uvaws_strerror(UVAWS_EHEADTOOBIG),
                      "request or response head larger than libcurl allows");
  assert_string_equal(uvaws_err_name(UVAWS_EHEADTOOBIG), "UVAWS_EHEADTOOBIG");

  /* requests past libcurl's: a 2 MB path, a 2 MB header, a 9 MB path (past
   * which curl refuses the URL and kept the handle's previous one); after a
   * request that left its handle in the pool, so a stale URL would show */
  seen_t first = send_headers(&fx, NULL, 0);
  assert_int_equal(first.code, 0);
  double before = control_number(server, "/_stats", "requests");
  size_t sizes[] = {2u << 20, 9u << 20};
  for (size_t i = 0; i < 2; i++) {
    char *path = malloc(sizes[i] + 2);
    path[0] = '/';
    memset(path + 1, 'p', sizes[i]);
    path[sizes[i] + 1] = '\0';
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = path, .path_encoded = 1};
    seen_t s = {0};
    assert_int_equal(uvaws_fetch(fx.client, &req, record, &s, NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(s.code, UVAWS_EHEADTOOBIG);
    assert_non_null(strstr(s.detail, "libcurl sends at most"));
    free(path);
  }
  char *value = malloc((2u << 20) + 1);
  memset(value, 'v', 2u << 20);
  value[2u << 20] = '\0';
  uvaws_kv_t huge[] = {{"X-Huge", value}};
  seen_t s = send_headers(&fx, huge, 1);
  assert_int_equal(s.code, UVAWS_EHEADTOOBIG);
  free(value);
  assert_int_equal(control_number(server, "/_stats", "requests"), before); /* nothing sent */
  close_client(&fx);
}

/* ---- what the mutation run found untested ---------------------------------------- */

/* A redirect is not a success (uvaws follows none). */
static void test_redirects_are_errors(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  o.max_attempts = 1;
  tu_fixture_t fx;
  open_client(&fx, &o);
  const char *codes[] = {"300", "301", "302", "304", "307", "308", "399"};
  for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
    uvaws_kv_t h[] = {{"x-test-status", codes[i]},
                      {"x-test-response-header", "Location: http://127.0.0.1:9/elsewhere"}};
    seen_t s = send_headers(&fx, h, 2);
    assert_int_equal(s.code, UVAWS_EAWS);
    assert_int_equal(s.status, atol(codes[i]));
    assert_int_equal(s.http_status, atol(codes[i]));
  }
  uvaws_kv_t ok[] = {{"x-test-status", "299"}};
  assert_int_equal(send_headers(&fx, ok, 1).code, 0);
  close_client(&fx);
}

/* Blanks around a response header's value are not part of it. */
static void test_response_header_blanks_trimmed(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  tu_fixture_t fx;
  open_client(&fx, &o);
  uvaws_kv_t h[] = {{"x-test-response-header-raw", "X-Pad: \t  the value \t "}};
  seen_t s = send_headers(&fx, h, 1);
  assert_int_equal(s.code, 0);
  assert_string_equal(s.pad, "the value");
  uvaws_kv_t empty[] = {{"x-test-response-header-raw", "X-Pad:\t \t"}};
  s = send_headers(&fx, empty, 1);
  assert_string_equal(s.pad, "");
  close_client(&fx);
}

/* connect_timeout_ms reaches curl: a connect that never completes (a
 * listening socket whose accept queue is full drops new SYNs) ends with the
 * connect timeout, not the request timeout far behind it. */
static void test_connect_timeout_reaches_curl(void **state) {
  (void)state;
  int lfd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(lfd, 0), 0);
  socklen_t al = sizeof a;
  getsockname(lfd, (struct sockaddr *)&a, &al);
  int fill[4];
  for (int i = 0; i < 4; i++) { /* fill the accept queue; later SYNs are dropped */
    fill[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fill[i], (struct sockaddr *)&a, sizeof a);
  }
  usleep(100000);
  char ep[64];
  snprintf(ep, sizeof ep, "http://127.0.0.1:%d", ntohs(a.sin_port));
  uvaws_client_options_t o = test_options(ep);
  o.connect_timeout_ms = 300;
  o.request_timeout_ms = 30000;
  o.max_attempts = 1;
  tu_fixture_t fx;
  open_client(&fx, &o);
  seen_t s = send_headers(&fx, NULL, 0);
  assert_int_equal(s.code, UVAWS_ETIMEDOUT);
  /* curl's text names the phase and the time: "Connection timed out after N
   * milliseconds", N the connect timeout (300), not the request's 30000 */
  const char *after = strstr(s.detail, "after ");
  assert_non_null(strstr(s.detail, "onnect"));
  assert_non_null(after);
  assert_true(atol(after + 6) < 10000); /* nor the default connect timeout, 10 s */
  close_client(&fx);
  /* without the option, the documented default: 10 s, not less, not the
   * request timeout */
  o.connect_timeout_ms = 0;
  o.request_timeout_ms = 25000;
  open_client(&fx, &o);
  s = send_headers(&fx, NULL, 0);
  assert_int_equal(s.code, UVAWS_ETIMEDOUT);
  after = strstr(s.detail, "after ");
  assert_non_null(strstr(s.detail, "onnect"));
  assert_non_null(after);
  assert_true(atol(after + 6) >= 10000 && atol(after + 6) < 25000);
  close_client(&fx);
  for (int i = 0; i < 4; i++)
    close(fill[i]);
  close(lfd);
}

/* An encoded path goes on the wire as given: a '?', '#' or blank in it would
 * end it there (and the part after it, unsigned, would be the query), so it
 * is refused before anything is signed or sent; "%3F" is the way to say it. */
static void test_encoded_path_holds_no_query(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  tu_fixture_t fx;
  open_client(&fx, &o);
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  const char *bad[] = {"/a?b=c", "/a?", "/a#b", "/a b", "/a\tb"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = bad[i], .path_encoded = 1};
    assert_int_equal(uvaws_fetch(fx.client, &req, tu_never_called, NULL, NULL), UVAWS_EPATH);
    assert_int_equal(uvaws_presign(fx.client, &req, 60, tu_never_called, NULL, NULL), UVAWS_EPATH);
  }
  assert_int_equal(control_number(server, "/_stats", "requests"), 0); /* nothing sent */
  uvaws_request_t ok = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/a%3Fb", .path_encoded = 1};
  seen_t s = {0};
  assert_int_equal(uvaws_fetch(fx.client, &ok, record, &s, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(s.code, 0);
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "target")), "/a%3Fb");
  cJSON_Delete(log);
  close_client(&fx);
}

/* retry_base_delay_ms and retry_max_delay_ms shape every backoff: attempt n
 * waits at most min(base * 2^(n-1), max), as the client logs it. */
static void test_retry_delays_follow_the_options(void **state) {
  (void)state;
  uvaws_client_options_t o = options();
  o.retry_base_delay_ms = 8;
  o.retry_max_delay_ms = 20;
  o.max_attempts = 6;
  tu_fixture_t fx;
  open_client(&fx, &o);
  uvaws_kv_t h[] = {{"x-test-fault", "status-503"}};
  seen_t s = send_headers(&fx, h, 1);
  assert_int_equal(s.code, UVAWS_EAWS);
  assert_int_equal(s.attempts, 6);
  int seen = 0;
  for (const char *p = logged; (p = strstr(p, "failed (")) != NULL; p++) {
    const char *attempt = p;
    while (attempt > logged && strncmp(attempt, "attempt ", 8) != 0)
      attempt--;
    const char *in = strstr(p, "retrying in ");
    assert_non_null(in);
    long n = atol(attempt + 8), ms = atol(in + strlen("retrying in "));
    long cap = 8L << (n - 1);
    if (cap > 20)
      cap = 20;
    if (ms > cap)
      fail_msg("attempt %ld waited %ld ms, more than %ld: %s", n, ms, cap, logged);
    seen++;
  }
  assert_int_equal(seen, 5);
  /* and the policy the client states (the waits above are random below their cap) */
  assert_non_null(strstr(logged, "backoff 8 ms to 20 ms"));
  close_client(&fx);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  TEST_FILTER_FROM_ENV();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_skew_answer_dated_far_away_is_ignored),
      cmocka_unit_test(test_skew_correction_recovers),
      cmocka_unit_test(test_control_characters_escaped),
      cmocka_unit_test(test_head_size_limits),
      cmocka_unit_test(test_redirects_are_errors),
      cmocka_unit_test(test_response_header_blanks_trimmed),
      cmocka_unit_test(test_connect_timeout_reaches_curl),
      cmocka_unit_test(test_encoded_path_holds_no_query),
      cmocka_unit_test(test_retry_delays_follow_the_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
