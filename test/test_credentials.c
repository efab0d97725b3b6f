/* Credentials and region resolved as the AWS CLI does, never blocking the
 * loop: each source alone, the precedence order, credential_process, container
 * credentials, IMDSv2 (and its v1 fallback rules), region from the instance
 * identity document, refresh of short-lived credentials, the one retry after
 * an expired-token answer. The fake metadata and container endpoints are the
 * test server's; metadata is disabled unless a test points it there, so no
 * test ever reaches a real link-local address. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "creds_fixture.h"

/* ---- each source alone ------------------------------------------------------ */

static void test_environment(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("AKIDFROMENV");
}

static void test_key_without_secret_is_ignored(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV", 1); /* no secret: ignored */
  home_file("credentials", "[default]\naws_access_key_id = AKIDFROMFILE\n"
                           "aws_secret_access_key = file-secret\n");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("AKIDFROMFILE");
}

static void test_credentials_file_profile(void **state) {
  (void)state;
  home_file("credentials", "[default]\naws_access_key_id = AKIDDEFAULT\naws_secret_access_key = s1\n"
                           "[work]\naws_access_key_id = AKIDWORK\naws_secret_access_key = s2\n");
  setenv("AWS_PROFILE", "work", 1);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("AKIDWORK");
  o.profile = "default"; /* the option beats AWS_PROFILE */
  r = run_one(&o, NULL, 0);
  assert_signed_by("AKIDDEFAULT");
}

static void test_config_file_profile(void **state) {
  (void)state;
  unsetenv("AWS_REGION");
  home_file("config", "[profile cfg]\nregion = eu-west-1\naws_access_key_id = AKIDCONFIG\n"
                      "aws_secret_access_key = s3\n");
  uvaws_client_options_t o = bare();
  o.profile = "cfg";
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  char key[64], region[64];
  last_signature(key, sizeof key, region, sizeof region);
  assert_string_equal(key, "AKIDCONFIG");
  assert_string_equal(region, "eu-west-1");
}

static void test_precedence(void **state) {
  (void)state;
  home_file("config", "[default]\naws_access_key_id = AKIDCONFIG\naws_secret_access_key = c\n");
  home_file("credentials", "[default]\naws_access_key_id = AKIDCREDS\naws_secret_access_key = f\n");
  uvaws_client_options_t o = bare();
  run_one(&o, NULL, 0);
  assert_signed_by("AKIDCREDS"); /* credentials file beats config file */
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "e", 1);
  run_one(&o, NULL, 0);
  assert_signed_by("AKIDENV"); /* environment beats both files */
  o.access_key = "AKIDOPTION";
  o.secret_key = "o";
  run_one(&o, NULL, 0);
  assert_signed_by("AKIDOPTION"); /* options beat everything */
}

static void test_named_profile_missing(void **state) {
  (void)state;
  home_file("config", "[default]\nregion = us-east-1\n");
  setenv("AWS_PROFILE", "nope", 1);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ENOPROFILE);
  assert_non_null(strstr(r.new_detail, "nope"));
}

static void test_config_errors(void **state) {
  (void)state;
  setenv("AWS_CONFIG_FILE", "/nonexistent/uvaws/config", 1);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ENOCONFIG);
  assert_non_null(strstr(r.new_detail, "/nonexistent/uvaws/config"));
  unsetenv("AWS_CONFIG_FILE");
  home_file("credentials", "[default]\naws_access_key_id = AKIDX\naws_secret_access_key = "
                           "do-not-print-me\nthis line is broken\n");
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ECONFIG);
  assert_non_null(strstr(r.new_detail, "credentials:4"));
  assert_null(strstr(r.new_detail, "do-not-print-me"));
}

static void test_no_credentials_anywhere(void **state) {
  (void)state;
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ENOCREDS);
  /* says what was tried, where */
  assert_non_null(strstr(r.new_detail, "AWS_ACCESS_KEY_ID"));
  assert_non_null(strstr(r.new_detail, ".aws/credentials"));
  assert_non_null(strstr(r.new_detail, "credential_process"));
  assert_non_null(strstr(r.new_detail, "AWS_EC2_METADATA_DISABLED"));
}

static void test_no_region(void **state) {
  (void)state;
  unsetenv("AWS_REGION");
  uvaws_client_options_t o = bare();
  o.access_key = "AKIDX";
  o.secret_key = "x";
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ENOREGION);
  assert_non_null(strstr(r.new_detail, "AWS_REGION"));
}

/* A request submitted before the region (and so the endpoint) is known waits
 * for it, as for credentials; when it cannot be found the request ends with
 * UVAWS_ENOREGION and what was tried. No endpoint is configured in these
 * tests, so nothing may be sent: a derived endpoint would be a real AWS
 * host. A fetch is used only where metadata cannot answer; where it can, a
 * presign (signed, never sent) shows the endpoint the request was bound to. */
static int closed_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
  close(fd); /* nothing listens there now: connections are refused */
  return ntohs(a.sin_port);
}

static uvaws_client_options_t no_region_no_endpoint(void) {
  unsetenv("AWS_REGION");
  uvaws_client_options_t o = bare();
  o.endpoint = NULL;
  o.access_key = "AKIDSTATIC";
  o.secret_key = "s";
  return o;
}

static void test_region_pending_metadata_refused(void **state) {
  (void)state;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", url, 1);
  uvaws_client_options_t o = no_region_no_endpoint();
  /* several requests wait; each ends once, with the region error */
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  outcome_t out[3];
  memset(out, 0, sizeof out);
  for (int i = 0; i < 3; i++) {
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = i == 1 ? "/a b/c" : "/"};
    assert_int_equal(uvaws_fetch(c, &req, on_done, &out[i], NULL), 0);
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(out[i].code, UVAWS_ENOREGION);
    assert_int_equal(out[i].status, 0);
    assert_non_null(strstr(out[i].detail, "AWS_REGION"));
    assert_non_null(strstr(out[i].detail, "instance metadata"));
  }
  uvaws_client_close(c, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

typedef struct {
  int code, calls;
  char url[1024];
  uint64_t done_ns;
} presigned_t;

static void on_presigned(const uvaws_response_t *r, void *arg) {
  presigned_t *p = arg;
  p->calls++;
  p->code = r->error ? r->error->code : 0;
  snprintf(p->url, sizeof p->url, "%.*s", (int)r->body_len, r->body);
  p->done_ns = uv_hrtime();
}

static presigned_t presign_with_pending_region(const char *imds_config) {
  use_metadata();
  configure(imds_config);
  uvaws_client_options_t o = no_region_no_endpoint();
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  presigned_t p = {0};
  uint64_t t0 = uv_hrtime();
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/tables/a b"};
  assert_int_equal(uvaws_presign(c, &req, 60, on_presigned, &p, NULL), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uvaws_client_close(c, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_int_equal(p.calls, 1);
  p.done_ns -= t0;
  return p;
}

static void test_region_pending_slow_metadata(void **state) {
  (void)state;
  presigned_t p = presign_with_pending_region("{\"imds_delay_ms\": 300, \"imds_region\": \"eu-west-3\"}");
  assert_int_equal(p.code, 0);
  assert_true(p.done_ns >= 300000000ull); /* it waited for the answer */
  /* bound at dispatch to the endpoint the region gives, path encoded once */
  assert_true(strncmp(p.url, "https://dynamodb.eu-west-3.amazonaws.com/tables/a%20b?", 53) == 0);
  assert_non_null(strstr(p.url, "%2Feu-west-3%2Fdynamodb%2Faws4_request"));
}

static void test_region_pending_metadata_times_out(void **state) {
  (void)state;
  setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.2", 1);
  presigned_t p = presign_with_pending_region("{\"imds_delay_ms\": 3000}");
  assert_int_equal(p.code, UVAWS_ENOREGION);
  assert_int_equal(p.url[0], '\0');
}

/* ---- credential_process ------------------------------------------------------ */

static void process_profile(const char *script_body) {
  char script[512], cfg[1024];
  snprintf(script, sizeof script, "%s/creds.sh", home);
  write_file(script, script_body, 0700);
  /* the ';' in an argument is not a command separator: shell-like words only */
  snprintf(cfg, sizeof cfg, "[default]\ncredential_process = %s 'arg;with;semicolons'\n", script);
  home_file("config", cfg);
}

static void test_credential_process(void **state) {
  (void)state;
  process_profile("#!/bin/sh\n[ \"$1\" = 'arg;with;semicolons' ] || exit 3\n"
                  "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROCESS\", "
                  "\"SecretAccessKey\": \"p\", \"SessionToken\": \"tok\", "
                  "\"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("AKIDPROCESS");
}

static void test_credential_process_failures(void **state) {
  (void)state;
  uvaws_client_options_t o = bare();
  process_profile("#!/bin/sh\necho 'cannot reach the vault' >&2\nexit 7\n");
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "status 7"));
  assert_non_null(strstr(r.detail, "cannot reach the vault"));
  process_profile("#!/bin/sh\necho '{\"Version\": 2, \"AccessKeyId\": \"A\"}'\n");
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "Version"));
  home_file("config", "[default]\ncredential_process = /nonexistent/helper --x\n");
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "/nonexistent/helper"));
}

/* ---- container credentials --------------------------------------------------- */

static void test_container(void **state) {
  (void)state;
  char url[300];
  snprintf(url, sizeof url, "%s/creds", server);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("ASIACONT00000001");

  /* the token from a file, read without blocking */
  char path[512];
  snprintf(path, sizeof path, "%s/token", home);
  write_file(path, "uvaws-test-container-token\n", 0600);
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("ASIACONT00000002");

  /* a wrong token: the endpoint refuses, the request fails with the reason */
  write_file(path, "wrong", 0600);
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "HTTP 401"));

  /* plain http to anywhere but the loopback or the agents is refused */
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://192.0.2.1/creds", 1);
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_ECREDS);
}

/* The deadline also bounds the wait for credentials. */
static void test_deadline_while_fetching_credentials(void **state) {
  (void)state;
  char url[300];
  snprintf(url, sizeof url, "%s/creds", server);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
  configure("{\"container_delay_ms\": 1500}");
  uvaws_client_options_t o = bare();
  o.deadline_ms = 200;
  uint64_t t0 = uv_hrtime();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ETIMEDOUT);
  assert_int_equal(r.attempts, 0);
  assert_non_null(strstr(r.detail, "deadline"));
  assert_true((r.done_ns - t0) / 1000000 < 1200); /* not when the credentials came */
}

/* ---- instance metadata -------------------------------------------------------- */

static void test_imds_v2(void **state) {
  (void)state;
  use_metadata();
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, 0);
  assert_signed_by("ASIAIMDS00000001");
  assert_int_equal((int)control_number(server, "/_stats", "imds_token_requests"), 1);
}

static void test_imds_v1_fallback_rules(void **state) {
  (void)state;
  use_metadata();
  configure("{\"imds_token_status\": 403, \"imds_v1\": true}");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0); /* token refused: v1 is used */
  assert_int_equal(r.code, 0);
  assert_signed_by("ASIAIMDS00000001");
  setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1); /* never v1 then */
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ENOCREDS);
  assert_non_null(strstr(r.detail, "IMDSv1 is disabled"));
  unsetenv("AWS_EC2_METADATA_V1_DISABLED");
  configure("{\"imds_token_status\": 400}"); /* not a fallback status: final */
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ENOCREDS);
  assert_non_null(strstr(r.detail, "token refused"));
}

static void test_imds_timeout(void **state) {
  (void)state;
  use_metadata();
  setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.2", 1);
  configure("{\"imds_delay_ms\": 3000}");
  uvaws_client_options_t o = bare();
  uint64_t t0 = uv_hrtime();
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.code, UVAWS_ENOCREDS);
  assert_true((uv_hrtime() - t0) / 1000000 < 2000); /* short timeouts, not 3 s each */
}

/* The milliseconds of the exchange's "no answer within N ms". */
static long timed_out_after(const char *detail) {
  const char *within = strstr(detail, "no answer within ");
  if (within == NULL)
    print_error("no \"within N\" in: %s\n", detail);
  assert_non_null(within);
  return atol(within + 17);
}

/* The documented default timeouts of the HTTP sources: instance metadata 1 s
 * a request (AWS_METADATA_SERVICE_TIMEOUT's default), container credentials
 * 2 s. Each answer comes later than that, and earlier than a larger default
 * would allow; the timeout the failure names is the default, not less. */
static void test_default_source_timeouts(void **state) {
  (void)state;
  use_metadata();
  configure("{\"imds_delay_ms\": 2500}");
  uvaws_client_options_t o = bare();
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ENOCREDS);
  long ms = timed_out_after(r.detail);
  assert_true(ms >= 1000 && ms < 2500);

  fresh(NULL);
  use_container();
  configure("{\"container_delay_ms\": 3000}");
  r = run_one(&o, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  ms = timed_out_after(r.detail);
  assert_true(ms >= 2000 && ms < 3000);
}

static void test_region_from_metadata(void **state) {
  (void)state;
  use_metadata();
  unsetenv("AWS_REGION");
  configure("{\"imds_region\": \"eu-west-3\"}");
  uvaws_client_options_t o = bare();
  o.access_key = "AKIDSTATIC";
  o.secret_key = "s";
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, 0);
  assert_int_equal(r.code, 0);
  char key[64], region[64];
  last_signature(key, sizeof key, region, sizeof region);
  assert_string_equal(region, "eu-west-3");
}

/* ---- refresh and the loop ------------------------------------------------------ */

typedef struct {
  int remaining, in_flight, done, failed;
  uvaws_client_t *client;
  uint64_t stop_at_ns;
} load_t;

static void load_next(load_t *l);

static void load_done(const uvaws_response_t *r, void *arg) {
  load_t *l = arg;
  l->done++;
  l->in_flight--;
  if (r->error)
    l->failed++;
  load_next(l);
}

static void load_next(load_t *l) {
  while (l->in_flight < 32 && uv_hrtime() < l->stop_at_ns) {
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
    assert_int_equal(uvaws_fetch(l->client, &req, load_done, l, NULL), 0);
    l->in_flight++;
  }
}

static void test_short_lived_credentials(void **state) {
  (void)state;
  use_metadata();
  configure("{\"imds_expiry_s\": 4, \"imds_delay_ms\": 100}");
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o = bare();
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  load_t l = {.client = c, .stop_at_ns = uv_hrtime() + 9000000000ull};
  load_next(&l);
  uv_run(&loop, UV_RUN_DEFAULT);
  uvaws_client_close(c, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_int_equal(l.failed, 0);
  assert_true(l.done > 2000);

  /* From the server's log: when each key was handed out, and what each
   * request was signed with and when. */
  cJSON *log = control(server, "GET", "/_log", NULL);
  cJSON *reqs = cJSON_GetObjectItem(log, "requests");
  double issued[64] = {0};
  int keys = 0, checked = 0;
  double last_fetch = -1;
  cJSON *e;
  cJSON_ArrayForEach(e, reqs) {
    const char *path = cJSON_GetStringValue(cJSON_GetObjectItem(e, "path"));
    double t = cJSON_GetNumberValue(cJSON_GetObjectItem(e, "time"));
    if (strncmp(path, "/latest/meta-data/iam/security-credentials/", 43) == 0 && path[43]) {
      assert_true(keys < 64);
      /* one refresh at a time: fetches never overlap (each takes 100 ms) */
      assert_true(last_fetch < 0 || t - last_fetch >= 0.1);
      issued[++keys] = t; /* key N is the Nth fetch */
      last_fetch = t;
      continue;
    }
    const char *auth = cJSON_GetStringValue(cJSON_GetObjectItem(e, "authorization"));
    const char *date = cJSON_GetStringValue(cJSON_GetObjectItem(e, "x_amz_date"));
    if (auth == NULL || date == NULL)
      continue;
    const char *k = strstr(auth, "ASIAIMDS");
    assert_non_null(k);
    int n = atoi(k + 8);
    assert_true(n >= 1 && n <= keys);
    struct tm tm = {0};
    strptime(date, "%Y%m%dT%H%M%SZ", &tm);
    double signed_at = (double)timegm(&tm);
    /* signed before that key's expiry (issued + 4 s, whole seconds) */
    assert_true(signed_at < issued[n] + 4.0);
    checked++;
  }
  cJSON_Delete(log);
  assert_int_equal(checked, l.done);
  /* about one refresh per 2 s of a 4 s lifetime over 9 s; never one per request */
  assert_true(keys >= 3 && keys <= 8);
}

static void test_expired_token_retry(void **state) {
  (void)state;
  use_metadata();
  uvaws_client_options_t o = bare();
  uvaws_kv_t once[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                       {"x-test-id", "expired-once"}};
  outcome_t r = run_one(&o, once, 3);
  assert_int_equal(r.code, 0);
  assert_int_equal(r.attempts, 2);
  assert_int_equal((int)control_number(server, "/_stats", "imds_creds_fetches"), 2);
  assert_signed_by("ASIAIMDS00000002"); /* the retry used the new credentials */

  uvaws_kv_t always[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "99"},
                         {"x-test-id", "expired-always"}};
  r = run_one(&o, always, 3);
  assert_int_equal(r.code, UVAWS_EAWS);
  assert_string_equal(r.type, "ExpiredTokenException");
  assert_int_equal(r.attempts, 2); /* exactly one retry */

  /* static credentials are not refreshable: no retry */
  o.access_key = "AKIDSTATIC";
  o.secret_key = "s";
  uvaws_kv_t again[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                        {"x-test-id", "expired-static"}};
  r = run_one(&o, again, 3);
  assert_int_equal(r.code, UVAWS_EAWS);
  assert_int_equal(r.attempts, 1);
}

/* An expired-token answer to a request signed with credentials that were
 * replaced meanwhile does not throw away the new ones: a burst of such
 * answers fetches once. Request B answers 1.5 s late; by then A's answer has
 * refreshed the credentials, and B is retried with them. */
static void test_expired_token_after_refresh(void **state) {
  (void)state;
  use_container();
  uvaws_client_options_t o = bare();
  fixture_t f;
  outcome_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  fx_open(&f, &o, &a);
  assert_int_equal(a.new_rc, 0);
  fx_request(&f, &a, NULL, 0); /* the first credentials */
  assert_outcome(&a, 0);
  uvaws_kv_t ha[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                     {"x-test-id", "burst-a"}};
  uvaws_kv_t hb[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                     {"x-test-id", "burst-b"}, {"x-test-delay-ms", "1500"}};
  uvaws_request_t ra = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = ha, .header_count = 3};
  uvaws_request_t rb = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = hb, .header_count = 4};
  memset(&a, 0, sizeof a);
  assert_int_equal(uvaws_fetch(f.client, &rb, on_done, &b, NULL), 0);
  assert_int_equal(uvaws_fetch(f.client, &ra, on_done, &a, NULL), 0);
  fx_run(&f, &b);
  assert_outcome(&a, 0);
  assert_outcome(&b, 0);
  assert_int_equal(a.attempts, 2);
  assert_int_equal(b.attempts, 2);
  assert_int_equal(stat_of("container_creds_fetches"), 2); /* the first, and one refresh */
  assert_signed_by("ASIACONT00000002");
  fx_close(&f);
}

typedef struct {
  uint64_t last_ns, max_gap_ns;
  int ticks;
} ticker_t;

static void tick(uv_timer_t *t) {
  ticker_t *k = t->data;
  uint64_t now = uv_hrtime();
  if (k->last_ns && now - k->last_ns > k->max_gap_ns)
    k->max_gap_ns = now - k->last_ns;
  k->last_ns = now;
  k->ticks++;
}

static void stop_ticker(const uvaws_response_t *r, void *arg) {
  (void)r;
  uv_close((uv_handle_t *)arg, NULL);
}

static void test_loop_never_blocked(void **state) {
  (void)state;
  use_metadata();
  configure("{\"imds_delay_ms\": 400}"); /* token, role, credentials: 1.2 s in all */
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o = bare();
  uvaws_client_t *c;
  assert_int_equal(uvaws_client_new(&loop, &o, &c, NULL), 0);
  uv_timer_t timer;
  ticker_t k = {0};
  uv_timer_init(&loop, &timer);
  timer.data = &k;
  uv_timer_start(&timer, tick, 1, 1);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(c, &req, stop_ticker, &timer, NULL), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  uvaws_client_close(c, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_true(k.ticks > 500);                /* ~1,200 ms of 1 ms ticks */
  assert_true(k.max_gap_ns < 100000000ull);  /* never stalled 100 ms */
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
#define T(name) cmocka_unit_test_setup_teardown(name, fresh, cleanup)
  const struct CMUnitTest tests[] = {
      T(test_environment),
      T(test_key_without_secret_is_ignored),
      T(test_credentials_file_profile),
      T(test_config_file_profile),
      T(test_precedence),
      T(test_named_profile_missing),
      T(test_config_errors),
      T(test_no_credentials_anywhere),
      T(test_no_region),
      T(test_credential_process),
      T(test_credential_process_failures),
      T(test_container),
      T(test_deadline_while_fetching_credentials),
      T(test_imds_v2),
      T(test_imds_v1_fallback_rules),
      T(test_imds_timeout),
      T(test_default_source_timeouts),
      T(test_region_from_metadata),
      T(test_region_pending_metadata_refused),
      T(test_region_pending_slow_metadata),
      T(test_region_pending_metadata_times_out),
      T(test_short_lived_credentials),
      T(test_expired_token_retry),
      T(test_expired_token_after_refresh),
      T(test_loop_never_blocked),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
