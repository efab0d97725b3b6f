/* What the credential test suites share: every test starts from a clean
 * environment (no AWS_* variable, an empty temporary HOME, metadata off, a
 * reset test server), and runs requests through fresh clients with a
 * watchdog, so that a client that never completes a request fails the test
 * instead of hanging it. The fake metadata, container and STS endpoints are
 * the test server's; no test ever reaches a real link-local address. */
#ifndef UVAWS_CREDS_FIXTURE_H
#define UVAWS_CREDS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"

#define WATCHDOG_MS 20000 /* a request not done by then never will be */

static const char *server;
static char home[256];

static inline void write_file(const char *path, const char *text, int mode) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  chmod(path, (mode_t)mode);
}

static inline void home_file(const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/.aws", home);
  mkdir(path, 0700);
  snprintf(path, sizeof path, "%s/.aws/%s", home, name);
  write_file(path, text, 0600);
}

/* Every test starts from nothing: no AWS variable, an empty HOME, metadata
 * off, a fresh test server. */
static inline int fresh(void **state) {
  (void)state;
  clear_aws_env();
  snprintf(home, sizeof home, "/tmp/uvaws-creds-XXXXXX");
  assert_non_null(mkdtemp(home));
  setenv("HOME", home, 1);
  setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
  setenv("AWS_REGION", "us-east-1", 1);
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  return 0;
}

static inline int cleanup(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  return system(cmd) == 0 ? 0 : -1;
}

static inline void use_metadata(void) {
  unsetenv("AWS_EC2_METADATA_DISABLED");
  setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", server, 1);
}

static inline void use_container(void) {
  char url[300];
  snprintf(url, sizeof url, "%s/creds", server);
  setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "uvaws-test-container-token", 1);
}

static inline void configure(const char *json) {
  cJSON *r = control(server, "POST", "/_config", json);
  assert_non_null(r); /* an unknown key or a bad value is a broken test */
  cJSON_Delete(r);
}

/* ---- one request through a client ---------------------------------------------- */

typedef struct {
  int new_rc;
  char new_detail[1024];
  int done, code, watchdog;
  long status;
  unsigned attempts;
  char type[128];
  char detail[1024];
  uint64_t done_ns; /* uv_hrtime() at the callback */
} outcome_t;

static inline void on_done(const uvaws_response_t *r, void *arg) {
  outcome_t *o = arg;
  o->done++;
  o->done_ns = uv_hrtime();
  o->status = r->status;
  o->attempts = r->attempts;
  o->code = r->error ? r->error->code : 0;
  o->type[0] = o->detail[0] = '\0';
  if (r->error) {
    snprintf(o->type, sizeof o->type, "%s", r->error->aws_type ? r->error->aws_type : "");
    snprintf(o->detail, sizeof o->detail, "%s", r->error->detail ? r->error->detail : "");
  }
}

static inline void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

/* Options with no credentials and no region: everything from the environment. */
static inline uvaws_client_options_t bare(void) {
  uvaws_client_options_t o;
  uvaws_client_options_init(&o);
  o.service = "dynamodb";
  o.endpoint = server;
  return o;
}

typedef struct {
  uv_loop_t loop;
  uv_timer_t watchdog;
  uvaws_client_t *client;
  int fired;
} fixture_t;

static inline void on_watchdog(uv_timer_t *t) {
  fixture_t *f = t->data;
  f->fired = 1;
  uv_stop(&f->loop);
}

/* A loop with an unreferenced watchdog, and a client on it (f->client NULL
 * and *o set when creation fails). */
static inline void fx_open(fixture_t *f, const uvaws_client_options_t *opts, outcome_t *o) {
  memset(f, 0, sizeof *f);
  uv_loop_init(&f->loop);
  uv_timer_init(&f->loop, &f->watchdog);
  f->watchdog.data = f;
  uv_unref((uv_handle_t *)&f->watchdog);
  uvaws_error_t err;
  o->new_rc = uvaws_client_new(&f->loop, opts, &f->client, &err);
  snprintf(o->new_detail, sizeof o->new_detail, "%s", err.detail ? err.detail : "");
  uvaws_error_clear(&err);
}

/* Runs until nothing is pending, or the watchdog fires (o->watchdog set). */
static inline void fx_run(fixture_t *f, outcome_t *o) {
  f->fired = 0;
  uv_timer_start(&f->watchdog, on_watchdog, WATCHDOG_MS, 0);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  uv_timer_stop(&f->watchdog);
  if (o && f->fired)
    o->watchdog = 1;
}

/* One GET / with headers h; the outcome. */
static inline void fx_request(fixture_t *f, outcome_t *o, const uvaws_kv_t *h, size_t nh) {
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .headers = h, .header_count = nh};
  o->done = 0;
  o->code = 0;
  assert_int_equal(uvaws_fetch(f->client, &req, on_done, o, NULL), 0);
  fx_run(f, o);
}

static inline void fx_close(fixture_t *f) {
  if (f->client)
    uvaws_client_close(f->client, on_closed, NULL);
  uv_close((uv_handle_t *)&f->watchdog, NULL);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* One request through a fresh client. */
static inline outcome_t run_one(const uvaws_client_options_t *o, const uvaws_kv_t *h, size_t nh) {
  outcome_t out;
  memset(&out, 0, sizeof out);
  fixture_t f;
  fx_open(&f, o, &out);
  if (out.new_rc == 0)
    fx_request(&f, &out, h, nh);
  fx_close(&f);
  return out;
}

/* Asserts that the request completed (once) with `code`; prints what came. */
static inline void assert_outcome(const outcome_t *o, int code) {
  if (o->watchdog || o->done != 1 || o->code != code)
    print_error("want %s, got %s (done %d, watchdog %d): %s\n", uvaws_err_name(code),
                uvaws_err_name(o->code), o->done, o->watchdog, o->detail);
  assert_false(o->watchdog);
  assert_int_equal(o->done, 1);
  assert_int_equal(o->code, code);
}

static inline void assert_has(const char *text, const char *want) {
  if (strstr(text, want) == NULL)
    print_error("\"%s\" not in \"%s\"\n", want, text);
  assert_non_null(strstr(text, want));
}

/* The access key and region in the last signed request the server saw. */
static inline void last_signature(char *key, size_t key_len, char *region, size_t region_len) {
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  const char *auth = cJSON_GetStringValue(
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(log, "requests"), 0), "authorization"));
  key[0] = '\0';
  if (region)
    region[0] = '\0';
  const char *p = auth ? strstr(auth, "Credential=") : NULL;
  if (p) {
    p += strlen("Credential=");
    snprintf(key, key_len, "%.*s", (int)strcspn(p, "/"), p);
    if (region) {
      p = strchr(strchr(p, '/') + 1, '/') + 1; /* past the date */
      snprintf(region, region_len, "%.*s", (int)strcspn(p, "/"), p);
    }
  }
  cJSON_Delete(log);
}

static inline void assert_signed_by(const char *want) {
  char key[128];
  last_signature(key, sizeof key, NULL, 0);
  assert_string_equal(key, want);
}

static inline int stat_of(const char *field) { return (int)control_number(server, "/_stats", field); }

/* How many requests the server logged whose body holds `text`. */
static inline int logged_with(const char *text) {
  cJSON *log = control(server, "GET", "/_log", NULL);
  int n = 0;
  cJSON *e;
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(log, "requests")) {
    const char *b = cJSON_GetStringValue(cJSON_GetObjectItem(e, "body"));
    n += b != NULL && strstr(b, text) != NULL;
  }
  cJSON_Delete(log);
  return n;
}

/* "YYYY-MM-DDTHH:MM:SSZ" for now + s. */
static inline void iso_in(int64_t s, char out[32]) {
  time_t t = (time_t)(time(NULL) + s);
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* /_config's "canned" list with one answer for `action`: `status` with the
 * body `xml` (JSON-escaped here), or the test server's `fault` (a
 * connection reset, say) when that is not NULL. */
static inline void canned_sts(const char *action, int status, const char *xml, const char *fault) {
  cJSON *cfg = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(cfg, "canned");
  cJSON *e = cJSON_CreateObject();
  char contains[128];
  snprintf(contains, sizeof contains, "Action=%s&", action);
  cJSON_AddStringToObject(e, "contains", contains);
  cJSON_AddNumberToObject(e, "status", status);
  cJSON_AddStringToObject(e, "body", xml);
  if (fault != NULL)
    cJSON_AddStringToObject(e, "fault", fault);
  cJSON_AddItemToArray(list, e);
  char *text = cJSON_PrintUnformatted(cfg);
  configure(text);
  free(text);
  cJSON_Delete(cfg);
}

/* The same, answering `xml` with 200. */
static inline void canned_answer(const char *action, const char *xml) {
  canned_sts(action, 200, xml, NULL);
}

/* An STS answer for `action` with these credentials (`extra` goes inside
 * <Credentials>, for padding or odd elements). */
static inline char *sts_xml(const char *action, const char *key, const char *secret, const char *token,
                     const char *expiration, const char *extra) {
  size_t n = 1024 + strlen(secret) + strlen(token) + strlen(expiration) + strlen(extra) +
             2 * strlen(action);
  char *x = malloc(n);
  assert_non_null(x);
  snprintf(x, n,
           "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><%sResult>"
           "<Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s</SecretAccessKey>"
           "<SessionToken>%s</SessionToken><Expiration>%s</Expiration>%s</Credentials>"
           "</%sResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>"
           "</%sResponse>",
           action, action, key, secret, token, expiration, extra, action, action);
  return x;
}

/* A role profile whose source is static (AssumeRole at the test server). */
static inline void use_role(void) {
  home_file("config",
            "[default]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\n"
            "role_session_name = uvaws-test\n"
            "[profile base]\naws_access_key_id = AKIDBASE\naws_secret_access_key = base-secret\n");
  setenv("AWS_ENDPOINT_URL_STS", server, 1);
}

/* A role profile whose source is container credentials (credential_source
 * EcsContainer): the container request, then AssumeRole, both at the server. */
static inline void use_role_from_container(void) {
  use_container();
  home_file("config", "[default]\nrole_arn = arn:aws:iam::123456789012:role/app\n"
                      "credential_source = EcsContainer\n");
  setenv("AWS_ENDPOINT_URL_STS", server, 1);
}

/* Web identity from the environment (AssumeRoleWithWebIdentity at the server). */
static inline void use_web_identity(void) {
  char token[512];
  snprintf(token, sizeof token, "%s/web-token", home);
  write_file(token, "eyJhbGciOi.web-identity-token\n", 0600);
  setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
  setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web", 1);
  setenv("AWS_ENDPOINT_URL_STS", server, 1);
}

/* A credential_process helper: the script's body, run as `SCRIPT 'a b'`. */
static inline void use_process(const char *script_body) {
  char script[512], cfg[1024];
  snprintf(script, sizeof script, "%s/creds.sh", home);
  write_file(script, script_body, 0700);
  snprintf(cfg, sizeof cfg, "[default]\ncredential_process = %s\n", script);
  home_file("config", cfg);
}

/* ---- asking a provider directly ------------------------------------------------- */

/* What one fetch of a provider was answered (on_answer records it). */
typedef struct {
  int answers;
  int code;
  char key[64];
  char detail[1024];
} answer_t;

static inline void on_answer(const uvaws_credentials_t *creds, const uvaws_error_t *err,
                             void *arg) {
  answer_t *a = arg;
  a->answers++;
  a->code = err ? err->code : 0;
  snprintf(a->key, sizeof a->key, "%s", creds ? creds->access_key : "");
  snprintf(a->detail, sizeof a->detail, "%s", err && err->detail ? err->detail : "");
}

/* A credential_process script in HOME answering `key`; its path in script. */
static inline void process_script(char script[512], const char *key) {
  snprintf(script, 512, "%s/proc.sh", home);
  char text[256];
  snprintf(text, sizeof text, "#!/bin/sh\necho '{\"Version\": 1, \"AccessKeyId\": \"%s\", "
                              "\"SecretAccessKey\": \"p\"}'\n", key);
  write_file(script, text, 0700);
}

#endif
