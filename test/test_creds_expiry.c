/* Credentials that arrive expired, or inside the window in which uvaws does
 * not sign with them, from every source: static keys with
 * AWS_CREDENTIAL_EXPIRATION, credential_process, container credentials,
 * instance metadata, STS AssumeRole and AssumeRoleWithWebIdentity. Each ends
 * the waiting request with UVAWS_ECREDS and a message that says why, asks
 * the source once (no refetch loop), and holds the source off: a request
 * right after fails at once without asking again. "Inside the window" is
 * reached with the client's clock option: hour-long credentials first, then
 * the clock moved to 30 s before their expiry, where the source answers with
 * credentials that live 30 s more.
 *
 * Also: STS requests for credentials are signed with the client's clock and
 * the skew it learnt, and web identity session names come from that clock. */
#include "creds_fixture.h"

typedef enum { S_PROCESS, S_CONTAINER, S_IMDS, S_ROLE, S_WEB, S_COUNT } source_t;

static const char *const names[] = {"credential_process", "container credentials",
                                    "instance metadata", "STS AssumeRole",
                                    "STS AssumeRoleWithWebIdentity"};

static int64_t clock_offset;

static int64_t test_clock(void *arg) {
  (void)arg;
  return (int64_t)time(NULL) + clock_offset;
}

/* Makes `s` the client's source, answering credentials that expire
 * `expires_in` seconds from now (real time). */
static void arrange(source_t s, int64_t expires_in) {
  char exp[32], json[256];
  iso_in(expires_in, exp);
  switch (s) {
  case S_PROCESS: {
    char body[1024];
    snprintf(body, sizeof body,
             "#!/bin/sh\necho run >> %s/spawns\n"
             "exp=$(date -u -d \"@$(( $(date +%%s) + %lld ))\" +%%Y-%%m-%%dT%%H:%%M:%%SZ)\n"
             "echo \"{\\\"Version\\\": 1, \\\"AccessKeyId\\\": \\\"AKIDPROC\\\", "
             "\\\"SecretAccessKey\\\": \\\"p\\\", \\\"SessionToken\\\": \\\"t\\\", "
             "\\\"Expiration\\\": \\\"$exp\\\"}\"\n",
             home, (long long)expires_in);
    use_process(body);
    break;
  }
  case S_CONTAINER:
    use_container();
    snprintf(json, sizeof json, "{\"container_expiry_s\": %lld}", (long long)expires_in);
    configure(json);
    break;
  case S_IMDS:
    use_metadata();
    snprintf(json, sizeof json, "{\"imds_expiry_s\": %lld}", (long long)expires_in);
    configure(json);
    break;
  case S_ROLE:
  case S_WEB: {
    const char *action = s == S_ROLE ? "AssumeRole" : "AssumeRoleWithWebIdentity";
    char *xml = sts_xml(action, s == S_ROLE ? "ASIAROLE" : "ASIAWEB", "sts-secret", "sts-token",
                        exp, "");
    canned_answer(action, xml);
    free(xml);
    if (s == S_ROLE)
      use_role();
    else
      use_web_identity();
    break;
  }
  default:
    fail();
  }
}

/* How often the source has been asked. */
static int fetches(source_t s) {
  switch (s) {
  case S_PROCESS: {
    char path[512], line[64];
    snprintf(path, sizeof path, "%s/spawns", home);
    FILE *f = fopen(path, "r");
    int n = 0;
    while (f && fgets(line, sizeof line, f))
      n++;
    if (f)
      fclose(f);
    return n;
  }
  case S_CONTAINER:
    return stat_of("container_creds_fetches");
  case S_IMDS:
    return stat_of("imds_creds_fetches");
  case S_ROLE:
    return logged_with("Action=AssumeRole&");
  case S_WEB:
    return logged_with("Action=AssumeRoleWithWebIdentity&");
  default:
    return -1;
  }
}

static uvaws_client_options_t clocked(void) {
  uvaws_client_options_t o = bare();
  o.clock = test_clock;
  return o;
}

/* A fresh start with `s` as the source of a client on the test clock. */
static void open_with(source_t s, int64_t expires_in, fixture_t *f, outcome_t *r) {
  fresh(NULL);
  clock_offset = 0;
  arrange(s, expires_in);
  uvaws_client_options_t o = clocked();
  memset(r, 0, sizeof *r);
  fx_open(f, &o, r);
  assert_int_equal(r->new_rc, 0);
}

/* A request ends with UVAWS_ECREDS saying `why`, the source asked `asked`
 * times by then; held off, the next request ends at once without asking. */
static void refused_then_held_off(fixture_t *f, source_t s, const char *why, int asked) {
  outcome_t r = {0};
  fx_request(f, &r, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, names[s]);
  assert_has(r.detail, why);
  assert_int_equal(fetches(s), asked);
  fx_request(f, &r, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, why);
  assert_has(r.detail, "not fetched again");
  assert_int_equal(fetches(s), asked);
}

static void test_expired_on_arrival(void **state) {
  (void)state;
  for (source_t s = 0; s < S_COUNT; s++) {
    fixture_t f;
    outcome_t r;
    open_with(s, -120, &f, &r);
    refused_then_held_off(&f, s, "expired at", 1);
    fx_close(&f);
    cleanup(NULL);
  }
}

static void test_inside_the_window_on_arrival(void **state) {
  (void)state;
  for (source_t s = 0; s < S_COUNT; s++) {
    fixture_t f;
    outcome_t r;
    open_with(s, 3600, &f, &r);
    fx_request(&f, &r, NULL, 0); /* hour-long credentials: fine */
    assert_outcome(&r, 0);
    assert_int_equal(fetches(s), 1);
    /* 30 s before they expire they are not signed with; the source answers
     * credentials with 30 s left again (3600 s after the real now) */
    clock_offset = 3600 - 30;
    refused_then_held_off(&f, s, "inside the last 60 s before expiry", 2);
    fx_close(&f);
    clock_offset = 0;
    cleanup(NULL);
  }
}

/* A source that answers near expiry after having given an hour is used
 * while it can be, but not asked again and again (background refreshes). */
static void test_no_refresh_storm(void **state) {
  (void)state;
  use_metadata();
  clock_offset = 0;
  uvaws_client_options_t o = clocked();
  fixture_t f;
  outcome_t r = {0};
  fx_open(&f, &o, &r);
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  /* 200 s before expiry: a background refresh is due, and IMDS answers
   * credentials with 200 s left; the old ones are used meanwhile */
  clock_offset = 3600 - 200;
  for (int i = 0; i < 50; i++) {
    fx_request(&f, &r, NULL, 0);
    assert_outcome(&r, 0);
  }
  /* one refresh per request without the hold-off; with it (1 s, 2 s, 4 s
   * ...) a handful at most, however slow the machine */
  assert_true(stat_of("imds_creds_fetches") <= 10);
  fx_close(&f);
  clock_offset = 0;
}

static void test_static_with_expiry(void **state) {
  (void)state;
  char exp[32];
  setenv("AWS_ACCESS_KEY_ID", "AKIDENVEXP", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  iso_in(-120, exp);
  setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
  clock_offset = 0;
  uvaws_client_options_t o = clocked();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "AWS_CREDENTIAL_EXPIRATION");
  assert_has(r.detail, "expired at");
  assert_int_equal(stat_of("requests"), 0); /* nothing was signed with them */

  iso_in(3600, exp);
  setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
  fixture_t f;
  fx_open(&f, &o, &r);
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDENVEXP");
  clock_offset = 3600 - 30;
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "too close to use");
  assert_int_equal(stat_of("requests"), 1);
  fx_close(&f);
  clock_offset = 0;

  setenv("AWS_CREDENTIAL_EXPIRATION", "tomorrow", 1);
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ECONFIG);
  assert_has(r.new_detail, "AWS_CREDENTIAL_EXPIRATION");
}

/* ---- STS and the client's clock --------------------------------------------------- */

/* x-amz-date of the n-th logged request whose body holds `text` (from 1). */
static int64_t signed_at(const char *text, int n) {
  cJSON *log = control(server, "GET", "/_log", NULL);
  cJSON *e;
  int64_t t = -1;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    const char *b = cJSON_GetStringValue(cJSON_GetObjectItem(e, "body"));
    const char *d = cJSON_GetStringValue(cJSON_GetObjectItem(e, "x_amz_date"));
    if (b && d && strstr(b, text) && --n == 0) {
      struct tm tm = {0};
      strptime(d, "%Y%m%dT%H%M%SZ", &tm);
      t = (int64_t)timegm(&tm);
    }
  }
  cJSON_Delete(log);
  return t;
}

static void test_sts_uses_the_client_clock(void **state) {
  (void)state;
  /* the client lives two days ahead; its credentials are valid there */
  clock_offset = 2 * 86400;
  arrange(S_ROLE, clock_offset + 3600);
  uvaws_client_options_t o = clocked();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, 0);
  int64_t t = signed_at("Action=AssumeRole&", 1);
  int64_t want = (int64_t)time(NULL) + clock_offset;
  assert_true(t > want - 30 && t <= want);
  clock_offset = 0;
}

static void test_sts_uses_the_learnt_skew(void **state) {
  (void)state;
  arrange(S_ROLE, 3600);
  uvaws_client_options_t o = bare();
  fixture_t f;
  outcome_t r = {0};
  fx_open(&f, &o, &r);
  /* AWS says it is 15 minutes later than we think: learnt, retried */
  uvaws_kv_t skew[] = {{"x-test-fault", "skew"}, {"x-test-fault-times", "1"},
                       {"x-test-id", "skew-once"}, {"x-test-skew-s", "900"}};
  fx_request(&f, &r, skew, 4);
  assert_outcome(&r, 0);
  /* then the credentials are refused as expired: the new AssumeRole is
   * signed with the corrected clock */
  uvaws_kv_t expired[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                          {"x-test-id", "expired-once"}};
  fx_request(&f, &r, expired, 3);
  assert_outcome(&r, 0);
  fx_close(&f);
  assert_int_equal(logged_with("Action=AssumeRole&"), 2);
  int64_t t = signed_at("Action=AssumeRole&", 2);
  int64_t want = (int64_t)time(NULL) + 900;
  assert_true(t > want - 30 && t <= want + 2);
}

static void test_web_identity_session_name_from_the_clock(void **state) {
  (void)state;
  clock_offset = 86400;
  arrange(S_WEB, clock_offset + 3600);
  uvaws_client_options_t o = clocked();
  int64_t before = (int64_t)time(NULL) + clock_offset;
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, 0);
  cJSON *log = control(server, "GET", "/_log", NULL);
  const char *body = cJSON_GetStringValue(
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0), "body"));
  assert_non_null(body);
  const char *p = strstr(body, "RoleSessionName=uvaws-session-");
  assert_non_null(p);
  long long named = atoll(p + strlen("RoleSessionName=uvaws-session-"));
  assert_true(named >= before && named <= (int64_t)time(NULL) + clock_offset);
  cJSON_Delete(log);
  clock_offset = 0;
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
#define T(name) cmocka_unit_test_setup_teardown(name, fresh, cleanup)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expired_on_arrival),
      cmocka_unit_test(test_inside_the_window_on_arrival),
      T(test_no_refresh_storm),
      T(test_static_with_expiry),
      T(test_sts_uses_the_client_clock),
      T(test_sts_uses_the_learnt_skew),
      T(test_web_identity_session_name_from_the_clock),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
