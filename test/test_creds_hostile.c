/* Credential sources that lie, cheat or attack: control characters in every
 * credential field (refused when fetched, then fetched again), container
 * URLs judged on the host curl connects to, answers capped at 64 KiB, IAM
 * role names and regions from instance metadata checked, numeric settings
 * read strictly, IMDSv2 tokens (one token for many fetches, the v1 fallback
 * where the SDKs fall back, a new token after a 401, retries up to
 * AWS_METADATA_SERVICE_NUM_ATTEMPTS), and the pooled buffers cleansed of
 * what instance metadata answered. */
#include "creds_fixture.h"

#include "client_priv.h"

static void on_waited(uv_timer_t *t) { uv_close((uv_handle_t *)t, NULL); }

static void pause_ms(fixture_t *f, uint64_t ms) {
  uv_timer_t t;
  uv_timer_init(&f->loop, &t);
  uv_timer_start(&t, on_waited, ms, 0);
  uv_run(&f->loop, UV_RUN_DEFAULT);
}

/* ---- control characters ------------------------------------------------------- */

static const char *const bad_fields[] = {
    "{\"AccessKeyId\": \"ASIA\\r\\nX-Evil: 1\"}", "{\"AccessKeyId\": \"ASIA\\u0000X\"}",
    "{\"SecretAccessKey\": \"s\\u0000x\"}",       "{\"SecretAccessKey\": \"s\\nx\"}",
    "{\"Token\": \"t\\r\\nX-Evil: 1\"}",          "{\"Token\": \"t\\u0000x\"}",
    "{\"Token\": \"t\\tx\"}",                     "{\"Token\": \"t\\u007fx\"}",
    "{\"Expiration\": 4070908800}",               "{\"Expiration\": \"2099-01-01T00:00:00+1:2\"}",
};

static void test_control_chars_refused_when_fetched(void **state) {
  (void)state;
  for (int imds = 0; imds <= 1; imds++) {
    for (size_t i = 0; i < sizeof bad_fields / sizeof *bad_fields; i++) {
      fresh(NULL);
      if (imds)
        use_metadata();
      else
        use_container();
      char cfg[256];
      snprintf(cfg, sizeof cfg, "{\"creds_override\": %s, \"creds_override_times\": 1}",
               bad_fields[i]);
      configure(cfg);
      uvaws_client_options_t o = bare();
      fixture_t f;
      outcome_t r = {0};
      fx_open(&f, &o, &r);
      fx_request(&f, &r, NULL, 0);
      if (r.code != UVAWS_ECREDS)
        print_error("%s from %s\n", bad_fields[i], imds ? "IMDS" : "container");
      assert_outcome(&r, UVAWS_ECREDS);
      assert_int_equal(stat_of("requests"), imds ? 3 : 1); /* nothing signed with them */
      if (i == 0 || i == 4) {
        /* refused once, then fetched again: the source answers well now */
        pause_ms(&f, 1100);
        fx_request(&f, &r, NULL, 0);
        assert_outcome(&r, 0);
        assert_signed_by(imds ? "ASIAIMDS00000002" : "ASIACONT00000002");
      }
      fx_close(&f);
      cleanup(NULL);
    }
  }
}

/* A role whose AssumeRole is answered with `xml` (freed here) fails with
 * UVAWS_ECREDS, saying `why`. */
static void sts_answer_refused(char *xml, const char *why) {
  canned_answer("AssumeRole", xml);
  free(xml);
  use_role();
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, why);
}

static void test_control_chars_from_process_and_sts(void **state) {
  (void)state;
  use_process("#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKID\\\\r\\\\nX\", "
              "\"SecretAccessKey\": \"s\"}'\n");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "AccessKeyId");
  fresh(NULL);
  char exp[32];
  iso_in(3600, exp);
  const char *tokens[] = {"t&#13;&#10;X-Evil: 1", "t&#9;x", "t&#127;x"};
  for (size_t i = 0; i < 3; i++)
    sts_answer_refused(sts_xml("AssumeRole", "ASIAROLE", "s", tokens[i], exp, ""),
                       "session token");
  assert_int_equal(stat_of("requests"), 3); /* the AssumeRoles only */
  /* an STS answer holds a session token and an Expiration, or none is taken */
  const char *without[2][2] = {{"", exp}, {"t", ""}};
  for (size_t i = 0; i < 2; i++) {
    fresh(NULL);
    char *xml = sts_xml("AssumeRole", "ASIAROLE", "s", without[i][0], without[i][1], "");
    const char *gone = i == 0 ? "<SessionToken></SessionToken>" : "<Expiration></Expiration>";
    char *at = strstr(xml, gone);
    memmove(at, at + strlen(gone), strlen(at + strlen(gone)) + 1);
    sts_answer_refused(xml, "no usable credentials");
  }
}

/* ---- container URLs ---------------------------------------------------------------- */

static void test_container_urls(void **state) {
  (void)state;
  const char *port = strrchr(server, ':') + 1;
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
  uvaws_client_options_t o = bare();
  char url[256];
  /* refused before anything is sent */
  const char *refused[] = {"http://127.0.0.1@192.0.2.1:%s/creds", "http://u:p@127.0.0.1:%s/creds",
                           "http://127.0.0.1.nip.io:%s/creds", "ftp://127.0.0.1:%s/creds",
                           "http://192.0.2.1:%s/creds", "http://localhost.example:%s/creds",
                           "http://[::1]@192.0.2.1:%s/creds"};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    snprintf(url, sizeof url, refused[i], port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    outcome_t r = run_one(&o, NULL, 0);
    if (r.new_rc != UVAWS_ECREDS)
      print_error("%s: %s\n", url, uvaws_err_name(r.new_rc));
    assert_int_equal(r.new_rc, UVAWS_ECREDS);
    assert_has(r.new_detail, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
    assert_null(strstr(r.new_detail, "u:p")); /* the URL itself is not repeated */
  }
  assert_int_equal(stat_of("requests"), 0);
  /* what curl reads as the loopback reaches the test server */
  const char *loopback[] = {"http://2130706433:%s/creds", "http://0177.0.0.1:%s/creds",
                            "HTTP://127.0.0.1:%s/creds", "http://localhost:%s/creds",
                            "http://127.1:%s/creds"};
  for (size_t i = 0; i < sizeof loopback / sizeof *loopback; i++) {
    snprintf(url, sizeof url, loopback[i], port);
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
    outcome_t r = run_one(&o, NULL, 0);
    if (r.new_rc != 0)
      print_error("%s: %s\n", url, r.new_detail);
    assert_int_equal(r.new_rc, 0);
    assert_outcome(&r, 0);
    assert_int_equal(stat_of("container_creds_fetches"), (int)i + 1);
  }
  /* the agents' addresses and https are accepted (only created: nothing is
   * ever sent to them from a test) */
  const char *agents[] = {"http://169.254.170.2/v2/credentials/x",
                          "http://169.254.170.23/v1/credentials",
                          "http://[fd00:ec2::23]/v1/credentials", "http://[::1]:1/creds",
                          "https://creds.example.com/x"};
  for (size_t i = 0; i < sizeof agents / sizeof *agents; i++) {
    setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", agents[i], 1);
    fixture_t f;
    outcome_t r = {0};
    fx_open(&f, &o, &r);
    if (r.new_rc != 0)
      print_error("%s: %s\n", agents[i], r.new_detail);
    assert_int_equal(r.new_rc, 0);
    fx_close(&f);
  }
  /* a relative URI stays on the agent, whatever it holds */
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "@192.0.2.1/creds", 1);
  fixture_t f;
  outcome_t r = {0};
  fx_open(&f, &o, &r);
  assert_int_equal(r.new_rc, 0);
  fx_close(&f);
}

/* ---- 64 KiB ----------------------------------------------------------------------------- */

static void test_answers_capped(void **state) {
  (void)state;
  for (int imds = 0; imds <= 1; imds++) {
    for (int over = 0; over <= 1; over++) {
      fresh(NULL);
      if (imds)
        use_metadata();
      else
        use_container();
      char cfg[64];
      snprintf(cfg, sizeof cfg, "{\"creds_pad_to\": %d}", 65536 + over);
      configure(cfg);
      uvaws_client_options_t o = bare();
      outcome_t r = run_one(&o, NULL, 0);
      assert_outcome(&r, over ? (imds ? UVAWS_ENOCREDS : UVAWS_ECREDS) : 0);
      if (over)
        assert_has(r.detail, "larger than the limit");
      cleanup(NULL);
    }
  }
  /* STS: the whole answer, padded inside <Credentials> */
  char exp[32];
  iso_in(3600, exp);
  for (int over = 0; over <= 1; over++) {
    fresh(NULL);
    char *base = sts_xml("AssumeRole", "ASIAROLE", "s", "t", exp, "");
    size_t pad = 65536 + (size_t)over - strlen(base) - strlen("<P></P>");
    free(base);
    char *extra = malloc(pad + 16);
    snprintf(extra, pad + 16, "<P>%0*d</P>", (int)pad, 0);
    char *xml = sts_xml("AssumeRole", "ASIAROLE", "s", "t", exp, extra);
    assert_int_equal(strlen(xml), 65536 + (size_t)over);
    canned_answer("AssumeRole", xml);
    free(xml);
    free(extra);
    use_role();
    uvaws_client_options_t o = bare();
    outcome_t r = run_one(&o, NULL, 0);
    assert_outcome(&r, over ? UVAWS_ECREDS : 0);
    cleanup(NULL);
  }
  fresh(NULL);
}

/* ---- what else instance metadata says --------------------------------------------------- */

static void test_imds_names_checked(void **state) {
  (void)state;
  use_metadata();
  configure("{\"imds_role\": \"role with spaces\"}");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "role name");
  assert_int_equal(stat_of("imds_creds_fetches"), 0);
  /* a region becomes part of a host name: only a region name will do */
  unsetenv("AWS_REGION");
  configure("{\"imds_role\": \"uvaws-test-role\", \"imds_region\": \"evil.example/x\"}");
  o.access_key = "AKIDSTATIC";
  o.secret_key = "s";
  r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ENOREGION);
  assert_has(r.detail, "region");
  /* several roles, one a line: the first is the instance's */
  setenv("AWS_REGION", "us-east-1", 1);
  configure("{\"imds_region\": \"us-east-1\", "
            "\"imds_role_list\": \"uvaws-test-role\\nsecond-role\\n\"}");
  o = bare();
  r = run_one(&o, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("ASIAIMDS00000001");
}

/* A container authorization token file is read up to 16 KiB: one byte more
 * is refused without asking the endpoint (a token that long is no token). */
static void test_container_token_file_capped(void **state) {
  (void)state;
  use_container();
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  char path[512];
  snprintf(path, sizeof path, "%s/token", home);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
  for (int over = 0; over <= 1; over++) {
    size_t n = 16384 + (size_t)over;
    char *token = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
      token[i] = (char)('a' + i % 26);
    token[n] = '\0';
    write_file(path, token, 0600);
    char *cfg = malloc(n + 64);
    snprintf(cfg, n + 64, "{\"container_token\": \"%s\"}", token); /* the endpoint wants it */
    configure(cfg);
    free(cfg);
    free(token);
    uvaws_client_options_t o = bare();
    outcome_t r = run_one(&o, NULL, 0);
    assert_outcome(&r, over ? UVAWS_ECREDS : 0);
    if (over) {
      assert_has(r.detail, "token file");
      assert_int_equal(stat_of("container_creds_fetches"), 1); /* only the first run's */
    }
  }
  /* a line break inside the token would inject a header: refused, not sent */
  write_file(path, "tok\nX-Evil: 1\n", 0600);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "holds control characters");
  assert_int_equal(stat_of("container_creds_fetches"), 1);
}

/* ---- numeric settings ---------------------------------------------------------------------- */

static void test_numeric_settings(void **state) {
  (void)state;
  static const struct {
    const char *env, *key;
    const char *good;
    const char *extra_bad; /* out of this setting's range */
  } settings[] = {
      {"AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout", "0.5", "3601"},
      {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", "3", "11"},
      {"AWS_MAX_ATTEMPTS", "max_attempts", "5", "101"},
      {NULL, "duration_seconds", "3600", "899"},
  };
  const char *bad[] = {"inf", "nan", "1e300", "-1", "0", "99999999999999999999", "1e3", "0x10",
                       " 1", "1 ", "+1", "", "abc", "1.0001", "-inf", "NaN", "1,5", "1.",
                       ".5", "."};
  uvaws_client_options_t o = bare();
  o.access_key = "AKIDSTATIC";
  o.secret_key = "s";
  for (size_t s = 0; s < sizeof settings / sizeof *settings; s++) {
    for (size_t b = 0; b <= sizeof bad / sizeof *bad; b++) {
      const char *v = b < sizeof bad / sizeof *bad ? bad[b] : settings[s].extra_bad;
      if (v[0] == '\0' && settings[s].env != NULL)
        continue; /* an empty variable counts as unset */
      for (int from_env = 0; from_env <= 1; from_env++) {
        if (from_env && settings[s].env == NULL)
          continue;
        if (!from_env && v[0] != '\0' && (v[0] == ' ' || v[strlen(v) - 1] == ' '))
          continue; /* the file format trims blanks around a value */
        fresh(NULL);
        char cfg[256];
        if (from_env) {
          setenv(settings[s].env, v, 1);
        } else {
          snprintf(cfg, sizeof cfg, "[default]\n%s = %s\n", settings[s].key, v);
          home_file("config", cfg);
        }
        outcome_t r = run_one(&o, NULL, 0);
        if (r.new_rc != UVAWS_ECONFIG)
          print_error("%s = \"%s\" (%s): %s\n", settings[s].key, v, from_env ? "env" : "profile",
                      uvaws_err_name(r.new_rc));
        assert_int_equal(r.new_rc, UVAWS_ECONFIG);
        assert_has(r.new_detail, from_env ? settings[s].env : settings[s].key);
        cleanup(NULL);
      }
    }
    fresh(NULL);
    if (settings[s].env)
      setenv(settings[s].env, settings[s].good, 1);
    char cfg[256];
    snprintf(cfg, sizeof cfg, "[default]\n%s = %s\n", settings[s].key, settings[s].good);
    home_file("config", cfg);
    outcome_t r = run_one(&o, NULL, 0);
    assert_int_equal(r.new_rc, 0);
    cleanup(NULL);
  }
  fresh(NULL);
}

/* One request through a fresh client, instance metadata configured by
 * `json` (after whatever the caller set since fresh()). */
static outcome_t imds_run(const char *json) {
  use_metadata();
  configure(json);
  uvaws_client_options_t o = bare();
  return run_one(&o, NULL, 0);
}

static void test_metadata_attempts(void **state) {
  (void)state;
  outcome_t r = imds_run("{\"imds_fail_times\": 2}"); /* one attempt by default */
  assert_outcome(&r, UVAWS_ENOCREDS);
  assert_has(r.detail, "HTTP 500");
  fresh(NULL);
  setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "3", 1);
  r = imds_run("{\"imds_fail_times\": 2}");
  assert_outcome(&r, 0);
  assert_signed_by("ASIAIMDS00000001");
  fresh(NULL);
  home_file("config", "[default]\nmetadata_service_num_attempts = 3\n");
  r = imds_run("{\"imds_fail_times\": 3}");
  assert_outcome(&r, UVAWS_ENOCREDS);
  fresh(NULL);
  home_file("config", "[default]\nmetadata_service_timeout = 0.2\n");
  r = imds_run("{\"imds_delay_ms\": 3000}");
  assert_outcome(&r, UVAWS_ENOCREDS);
  assert_has(r.detail, "timed out");
}

/* ---- IMDSv2 tokens --------------------------------------------------------------------------- */

/* A request the server answers ExpiredToken once: the client drops its
 * credentials and fetches new ones for the retry. */
static void refetch_once(fixture_t *f, outcome_t *r, int n) {
  char id[32];
  snprintf(id, sizeof id, "refetch-%d", n);
  uvaws_kv_t h[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                    {"x-test-id", id}};
  fx_request(f, r, h, 3);
}

static void test_imds_token_reused(void **state) {
  (void)state;
  use_metadata();
  uvaws_client_options_t o = bare();
  fixture_t f;
  outcome_t r = {0};
  fx_open(&f, &o, &r);
  for (int i = 0; i < 4; i++) {
    refetch_once(&f, &r, i);
    assert_outcome(&r, 0);
  }
  fx_close(&f);
  assert_int_equal(stat_of("imds_creds_fetches"), 5);
  assert_int_equal(stat_of("imds_token_requests"), 1);
}

static void test_imds_v1_fallback_statuses(void **state) {
  (void)state;
  /* as the SDKs: 403, 404 and 405 mean "no IMDSv2 here", anything else is final */
  const int status[] = {403, 404, 405, 400, 500, 401};
  for (size_t i = 0; i < sizeof status / sizeof *status; i++) {
    fresh(NULL);
    char cfg[96];
    snprintf(cfg, sizeof cfg, "{\"imds_token_status\": %d, \"imds_v1\": true}", status[i]);
    outcome_t r = imds_run(cfg);
    if (i < 3) {
      assert_outcome(&r, 0);
      assert_signed_by("ASIAIMDS00000001");
    } else {
      assert_outcome(&r, UVAWS_ENOCREDS);
      assert_has(r.detail, "token refused");
      assert_int_equal(stat_of("imds_creds_fetches"), 0);
    }
    cleanup(NULL);
  }
  fresh(NULL);
}

/* A token answer that cannot be a header value (a line break: it would
 * inject headers) is refused, and so is one past the 64 KiB cap: neither
 * falls back to IMDSv1, which only "no IMDSv2 here" answers do. */
static void test_imds_token_checked(void **state) {
  (void)state;
  outcome_t r = imds_run("{\"imds_v1\": true, \"imds_token_text\": \"tok\\r\\nX-Evil: 1\"}");
  assert_outcome(&r, UVAWS_ENOCREDS);
  assert_has(r.detail, "IMDSv2 token is not a header value");
  assert_int_equal(stat_of("imds_creds_fetches"), 0);
  fresh(NULL);
  char *cfg = malloc(70000);
  assert_non_null(cfg);
  snprintf(cfg, 70000, "{\"imds_v1\": true, \"imds_token_text\": \"%0*d\"}", 65537, 0);
  r = imds_run(cfg);
  free(cfg);
  assert_outcome(&r, UVAWS_ENOCREDS);
  assert_has(r.detail, "larger than the limit");
  assert_int_equal(stat_of("imds_creds_fetches"), 0);
  fresh(NULL);
}

/* A role whose source (instance metadata here) has nothing to give: the
 * role's own failure (UVAWS_ECREDS), not "no credentials" that would let a
 * chain go on past the role the profile names. */
static void test_role_source_without_credentials(void **state) {
  (void)state;
  home_file("config", "[default]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                      "credential_source = Ec2InstanceMetadata\n");
  setenv("AWS_ENDPOINT_URL_STS", server, 1);
  outcome_t r = imds_run("{\"imds_token_status\": 500}");
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "token refused");
  fresh(NULL);
}

/* A web identity token file that holds only a line end: refused without
 * asking STS (an empty token is no token). */
static void test_empty_web_identity_token(void **state) {
  (void)state;
  use_web_identity();
  char token[512];
  snprintf(token, sizeof token, "%s/web-token", home);
  write_file(token, "\n", 0600);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "is empty");
  fresh(NULL);
}

static void test_imds_token_renewed_after_401(void **state) {
  (void)state;
  use_metadata();
  uvaws_client_options_t o = bare();
  fixture_t f;
  outcome_t r = {0};
  fx_open(&f, &o, &r);
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  configure("{\"imds_token_epoch\": 2}"); /* every token issued so far is revoked */
  refetch_once(&f, &r, 1);
  assert_outcome(&r, 0);
  assert_signed_by("ASIAIMDS00000002");
  assert_int_equal(stat_of("imds_token_requests"), 2);
  refetch_once(&f, &r, 2); /* and the new token is used from then on */
  assert_outcome(&r, 0);
  assert_int_equal(stat_of("imds_token_requests"), 2);
  fx_close(&f);
}

/* ---- pooled buffers -------------------------------------------------------------------------------- */

static void on_presigned(const uvaws_response_t *res, void *arg) { on_done(res, arg); }

static void test_pooled_buffers_cleansed(void **state) {
  (void)state;
  for (int imds = 0; imds <= 1; imds++) {
    fresh(NULL);
    if (imds)
      use_metadata();
    else
      use_container();
    uvaws_client_options_t o = bare();
    fixture_t f;
    outcome_t r = {0};
    fx_open(&f, &o, &r);
    /* a presign fetches credentials and sends nothing else: the pooled
     * transfers then hold only what the credential exchanges left */
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
    assert_int_equal(uvaws_presign(f.client, &req, 60, on_presigned, &r, NULL), 0);
    fx_run(&f, &r);
    assert_outcome(&r, 0);
    const char *secrets[] = {"secret-1", "session-token-1", "imds-token-",
                             "uvaws-test-container-token"};
    for (size_t i = 0; i < sizeof secrets / sizeof *secrets; i++) {
      if (transport_pool_holds(f.client->transport, secrets[i]))
        print_error("%s left in a pooled buffer\n", secrets[i]);
      assert_false(transport_pool_holds(f.client->transport, secrets[i]));
    }
    fx_close(&f);
    cleanup(NULL);
  }
  fresh(NULL);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
#define T(name) cmocka_unit_test_setup_teardown(name, fresh, cleanup)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_control_chars_refused_when_fetched),
      T(test_control_chars_from_process_and_sts),
      T(test_container_urls),
      T(test_answers_capped),
      T(test_imds_names_checked),
      T(test_container_token_file_capped),
      T(test_numeric_settings),
      T(test_metadata_attempts),
      T(test_imds_token_reused),
      T(test_imds_v1_fallback_statuses),
      T(test_imds_token_renewed_after_401),
      T(test_imds_token_checked),
      T(test_role_source_without_credentials),
      T(test_empty_web_identity_token),
      T(test_pooled_buffers_cleansed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
