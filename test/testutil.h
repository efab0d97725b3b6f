/* Helpers shared by the tests that talk to servers started by
 * test/harness/peers.py: environment lookups, blocking control calls to the
 * test server (plain libcurl easy, independent of the code under test), and
 * a client factory. */
#ifndef UVAWS_TESTUTIL_H
#define UVAWS_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "uvaws.h"

/* UVAWS_TEST_FILTER=pattern runs only the matching tests (cmocka's filter):
 * handy to run one case of a long file by hand. Call before running. */
#define TEST_FILTER_FROM_ENV()                                                   \
  do {                                                                           \
    if (getenv("UVAWS_TEST_FILTER"))                                             \
      cmocka_set_test_filter(getenv("UVAWS_TEST_FILTER"));                       \
  } while (0)

extern char **environ;

/* Unsets every AWS_* variable, so that no test reads the developer's. */
static inline void clear_aws_env(void) {
  for (;;) {
    char name[256] = "";
    for (char **e = environ; *e != NULL; e++) {
      if (strncmp(*e, "AWS_", 4) == 0) {
        size_t n = strcspn(*e, "=");
        if (n < sizeof name) {
          memcpy(name, *e, n);
          name[n] = '\0';
          break;
        }
      }
    }
    if (name[0] == '\0')
      return;
    unsetenv(name);
  }
}

/* The URL in `var`, or exit 77 (meson: skipped) saying why. */
static inline const char *need_env(const char *var) {
  const char *v = getenv(var);
  if (v == NULL || v[0] == '\0') {
    printf("%s not set: run under test/harness/peers.py; skipped\n", var);
    exit(77);
  }
  return v;
}

typedef struct {
  char *data;
  size_t len, cap;
} tu_buf_t;

/* Grows geometrically: /_log answers run to megabytes. */
static size_t tu_write(char *p, size_t s, size_t n, void *u) {
  tu_buf_t *b = u;
  if (b->len + s * n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < b->len + s * n + 1)
      cap *= 2;
    char *d = realloc(b->data, cap);
    if (d == NULL)
      return 0;
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, p, s * n);
  b->len += s * n;
  b->data[b->len] = '\0';
  return s * n;
}

/* A blocking request to a control path; returns the parsed JSON (cJSON_Delete). */
static inline cJSON *control(const char *base, const char *method, const char *path,
                             const char *body) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", base, path);
  CURL *e = curl_easy_init();
  tu_buf_t b = {0};
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, tu_write);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
  if (body)
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
  CURLcode rc = curl_easy_perform(e);
  curl_easy_cleanup(e);
  cJSON *j = rc == CURLE_OK && b.data ? cJSON_Parse(b.data) : NULL;
  free(b.data);
  return j;
}

static inline double control_number(const char *base, const char *path, const char *field) {
  cJSON *j = control(base, "GET", path, NULL);
  double v = cJSON_GetNumberValue(cJSON_GetObjectItem(j, field));
  cJSON_Delete(j);
  return v;
}

static inline uvaws_client_options_t test_options(const char *endpoint) {
  uvaws_client_options_t o;
  uvaws_client_options_init(&o);
  o.service = "dynamodb";
  o.region = "us-east-1";
  o.endpoint = endpoint;
  o.access_key = "AKIDEXAMPLE";
  o.secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  return o;
}

/* A loop and a client on it, for tests that include cmocka.h first. */
typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
  int closed; /* close callbacks seen */
} tu_fixture_t;

static inline void tu_never_called(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
  fail_msg("a refused request must not call back");
}

/* The client is still allocated in its close callback (libuv's rule: under
 * ASan a freed one fails here), closed to new work, its counters readable. */
static inline void tu_on_closed(uvaws_client_t *c, void *arg) {
  tu_fixture_t *fx = arg;
  fx->closed++;
  assert_ptr_equal(c, fx->client);
  assert_ptr_equal(uvaws_client_loop(c), &fx->loop);
  uvaws_client_stats_t st;
  assert_int_equal(uvaws_client_stats(c, &st), 0);
  assert_int_equal(st.queued + st.in_flight, 0);
  assert_int_equal(st.completed, st.submitted);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(c, &req, NULL, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_fetch(c, &req, tu_never_called, NULL, NULL), UVAWS_ECLOSED);
  uvaws_client_close(c, NULL, NULL); /* a second close does nothing */
}

static inline void tu_fixture_open(tu_fixture_t *fx, const uvaws_client_options_t *o) {
  memset(fx, 0, sizeof *fx);
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  uvaws_error_t err;
  int rc = uvaws_client_new(&fx->loop, o, &fx->client, &err);
  if (rc != 0)
    print_error("client_new: %s (%s)\n", uvaws_strerror(rc), err.detail ? err.detail : "");
  uvaws_error_clear(&err);
  assert_int_equal(rc, 0);
}

/* What a response callback saw: tu_on_got records it. */
typedef struct {
  int calls, code; /* code: the error's, 0 on success */
  long status;
  size_t len;
} tu_got_t;

static inline void tu_on_got(const uvaws_response_t *r, void *arg) {
  tu_got_t *g = arg;
  g->calls++;
  g->code = r->error ? r->error->code : 0;
  g->status = r->status;
  g->len = r->body_len;
}

/* Closes the client if there is one (tu_on_closed checks it in its close
 * callback), runs the loop dry and checks that every handle was closed. */
static inline void tu_fixture_close(tu_fixture_t *fx) {
  if (fx->client) {
    uvaws_client_close(fx->client, tu_on_closed, fx);
    uv_run(&fx->loop, UV_RUN_DEFAULT);
    assert_int_equal(fx->closed, 1);
  }
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

#endif
