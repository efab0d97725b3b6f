/* HTTP/2 against nghttpd over TLS: many concurrent requests share one
 * multiplexed connection, and each still completes exactly once; the
 * observation hook counts every request body once over HTTP/2 too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static const char *nghttpd, *ca_file;

typedef struct {
  int calls, ok;
} count_t;

static void count(const uvaws_response_t *r, void *arg) {
  count_t *c = arg;
  c->calls++;
  if (r->error == NULL && r->status == 200 && strcmp(r->body, "hello from nghttpd\n") == 0)
    c->ok++;
}

/* N requests with max_clients in flight: each completes once, whole. */
static uvaws_client_stats_t run_many(unsigned max_clients, int n) {
  uvaws_client_options_t o = test_options(nghttpd);
  o.ca_file = ca_file;
  o.max_clients = max_clients;
  tu_fixture_t fx;
  tu_fixture_open(&fx, &o);
  count_t *counts = calloc((size_t)n, sizeof *counts);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/hello.txt"};
  for (int i = 0; i < n; i++)
    assert_int_equal(uvaws_fetch(fx.client, &req, count, &counts[i], NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < n; i++) {
    assert_int_equal(counts[i].calls, 1);
    assert_int_equal(counts[i].ok, 1);
  }
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.completed, n);
  free(counts);
  tu_fixture_close(&fx);
  return st;
}

static void test_multiplexed(void **state) {
  (void)state;
  /* 64 in flight at once over one connection: HTTP/2 streams, not sockets */
  assert_int_equal(run_many(64, 500).connections, 1);
}

/* More in flight than the server lets one connection carry (nghttpd's
 * SETTINGS_MAX_CONCURRENT_STREAMS is 100): every request completes once.
 * libcurl 7.88 opens a connection for each transfer that finds the first one
 * full instead of waiting for a stream (README: "HTTP/2"), so the
 * connections are bounded by what is in flight, not by the streams. */
static void test_beyond_stream_limit(void **state) {
  (void)state;
  uvaws_client_stats_t st = run_many(300, 1500);
  assert_true(st.connections >= 1 && st.connections <= 300);
}

/* ---- what the observation hook counts over HTTP/2 ---------------------------------- */

enum { OBS_MAX = 64 };

typedef struct {
  uvaws_observation_t o[OBS_MAX];
  uintptr_t tag[OBS_MAX];
  int n;
} observed_t;

static void on_observe(const uvaws_observation_t *obs, void *arg) {
  observed_t *seen = arg;
  if (seen->n < OBS_MAX)
    seen->o[seen->n++] = *obs;
}

/* A client of `service` on nghttpd whose observations go to `seen`; one
 * attempt a request, so that every request is observed once. */
static void open_observed(tu_fixture_t *fx, observed_t *seen, const char *service) {
  uvaws_client_options_t o = test_options(nghttpd);
  o.service = service;
  o.ca_file = ca_file;
  o.max_attempts = 1;
  o.observe = on_observe;
  o.observe_arg = seen;
  tu_fixture_open(fx, &o);
}

static void on_tagged(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
}

/* The request size libcurl reports over HTTP/2 holds a small body as over
 * HTTP/1 (in the head's buffer); the observation must count every body once,
 * small (sent with the head) or large (sent after it), whatever the version. */
static void test_observed_bytes(void **state) {
  (void)state;
  observed_t seen = {.n = 0};
  tu_fixture_t fx;
  open_observed(&fx, &seen, "dynamodb");
  static char big[100 * 1024];
  memset(big, 'b', sizeof big);
  const size_t sizes[] = {0, 1000, sizeof big}; /* none, with the head, after it */
  enum { EACH = 4 };
  for (int round = 0; round < EACH; round++)
    for (size_t k = 0; k < 3; k++) {
      uvaws_request_t req = {.size = sizeof(uvaws_request_t),
                             .method = sizes[k] ? "POST" : "GET",
                             .path = "/hello.txt",
                             .body = big,
                             .body_len = sizes[k]};
      assert_int_equal(uvaws_fetch(fx.client, &req, on_tagged, NULL, NULL), 0);
    }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(seen.n, 3 * EACH);
  uint64_t up[3] = {0, 0, 0};
  for (int i = 0; i < seen.n; i++) {
    const uvaws_observation_t *ob = &seen.o[i];
    size_t k = 0;
    while (k < 3 && ob->request_body_bytes != sizes[k])
      k++;
    assert_true(k < 3);
    assert_int_equal(ob->error, 0);
    assert_int_equal(ob->attempts, 1);
    assert_int_equal(ob->response_body_bytes, strlen("hello from nghttpd\n"));
    assert_true(ob->response_wire_bytes > ob->response_body_bytes);
    /* identical requests, identical counts (the date and signature keep their lengths) */
    if (up[k] == 0)
      up[k] = ob->request_wire_bytes;
    assert_int_equal(ob->request_wire_bytes, up[k]);
  }
  /* a body is counted once: a POST's count over the GET's is its body and
   * the few head bytes a body adds (Content-Length, the method's letter) */
  for (size_t k = 1; k < 3; k++) {
    assert_true(up[k] >= up[0] + sizes[k]);
    assert_true(up[k] <= up[0] + sizes[k] + 64);
  }
  tu_fixture_close(&fx);
}

/* ---- large answers over one connection ---------------------------------------------- */

enum { BIG = 3 << 20 }; /* htdocs/big.bin (test/harness/peers.py): byte i is i % 251 */

/* A body past max_response_bytes fails that stream alone: the requests
 * multiplexed beside it complete, and the connection serves more after. */
static void test_body_cap(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(nghttpd);
  o.ca_file = ca_file;
  o.max_response_bytes = 1 << 20;
  o.max_attempts = 1;
  tu_fixture_t fx;
  tu_fixture_open(&fx, &o);
  enum { N = 24 };
  tu_got_t got[N];
  memset(got, 0, sizeof got);
  for (int i = 0; i < N; i++) {
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET",
                           .path = i % 6 == 0 ? "/big.bin" : "/hello.txt"};
    assert_int_equal(uvaws_fetch(fx.client, &req, tu_on_got, &got[i], NULL), 0);
  }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  for (int i = 0; i < N; i++) {
    assert_int_equal(got[i].calls, 1);
    if (i % 6 == 0) {
      assert_int_equal(got[i].code, UVAWS_ETOOBIG);
    } else {
      assert_int_equal(got[i].code, 0);
      assert_int_equal(got[i].len, strlen("hello from nghttpd\n"));
    }
  }
  tu_got_t after = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/hello.txt"};
  assert_int_equal(uvaws_fetch(fx.client, &req, tu_on_got, &after, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(after.calls, 1);
  assert_int_equal(after.code, 0);
  tu_fixture_close(&fx);
}

/* Cancelled from a neighbour's callback, streams end alone: the others on the
 * connection complete whole, and the connection stays for the next request. */
typedef struct {
  uvaws_job_t *jobs[4];
  tu_got_t got[4];
  int cancel_rc[4];
} beside_t;

static beside_t *beside;

static void on_big(const uvaws_response_t *r, void *arg) {
  tu_got_t *g = arg;
  tu_on_got(r, arg);
  size_t i = (size_t)(g - beside->got);
  beside->jobs[i] = NULL;
  if (r->error == NULL && r->body_len == BIG) /* whole and in order */
    for (size_t k = 0; k < BIG; k++)
      if ((unsigned char)r->body[k] != k % 251)
        fail_msg("stream %zu: byte %zu is %u", i, k, (unsigned char)r->body[k]);
}

static void cancel_neighbours(const uvaws_response_t *r, void *arg) {
  tu_on_got(r, arg);
  for (int i = 0; i < 4; i += 2)
    beside->cancel_rc[i] = uvaws_cancel(beside->jobs[i]);
}

static void test_cancel_beside_streams(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(nghttpd);
  o.ca_file = ca_file;
  tu_fixture_t fx;
  tu_fixture_open(&fx, &o);
  beside_t b;
  memset(&b, 0, sizeof b);
  beside = &b;
  uvaws_request_t big = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/big.bin"};
  uvaws_request_t small = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/hello.txt"};
  for (int i = 0; i < 4; i++)
    assert_int_equal(uvaws_fetch(fx.client, &big, on_big, &b.got[i], &b.jobs[i]), 0);
  tu_got_t canceller = {0};
  assert_int_equal(uvaws_fetch(fx.client, &small, cancel_neighbours, &canceller, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(canceller.calls, 1);
  assert_int_equal(canceller.code, 0);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(b.got[i].calls, 1);
    if (i % 2 == 0 && b.cancel_rc[i] == 0) { /* cancelled in time: cancelled it is */
      assert_int_equal(b.got[i].code, UVAWS_ECANCELED);
    } else { /* never cancelled, or already complete when asked */
      assert_int_equal(b.got[i].code, 0);
      assert_int_equal(b.got[i].len, BIG);
    }
  }
  tu_got_t after = {0};
  assert_int_equal(uvaws_fetch(fx.client, &small, tu_on_got, &after, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  assert_int_equal(after.code, 0);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.connections, 1); /* a cancelled stream is reset, not its connection */
  beside = NULL;
  tu_fixture_close(&fx);
}

typedef struct {
  int calls, code;
  uint64_t done, total;
} download_t;

static void on_progress(uint64_t done, uint64_t total, void *arg) {
  download_t *d = arg;
  assert_true(done >= d->done); /* never backwards */
  d->done = done;
  d->total = total;
}

static void on_downloaded(uvaws_result_t *res, void *arg) {
  download_t *d = arg;
  d->calls++;
  d->code = res->error ? res->error->code : 0;
  if (res->error)
    print_error("GetObject: %s\n", res->error->message ? res->error->message : "");
}

/* S3 GetObject bodies streamed to files, several at once on one HTTP/2
 * connection: each file holds exactly the object, whatever the
 * interleaving of the streams' DATA frames. */
static void test_streamed_downloads(void **state) {
  (void)state;
  uvaws_client_options_t o = test_options(nghttpd);
  o.service = "s3";
  o.ca_file = ca_file;
  tu_fixture_t fx;
  tu_fixture_open(&fx, &o);
  enum { N = 4 };
  FILE *files[N];
  download_t d[N];
  memset(d, 0, sizeof d);
  cJSON *params = cJSON_Parse("{\"Bucket\":\"b\",\"Key\":\"big.bin\"}");
  for (int i = 0; i < N; i++) {
    assert_non_null(files[i] = tmpfile());
    uvaws_call_options_t co = UVAWS_CALL_OPTIONS_INIT;
    co.path_style = 1;
    co.download_fd = fileno(files[i]);
    co.progress = on_progress;
    co.progress_arg = &d[i];
    assert_int_equal(uvaws_call_ex(fx.client, "GetObject", params, &co, on_downloaded, &d[i], NULL), 0);
  }
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  unsigned char *buf = malloc(BIG + 1);
  assert_non_null(buf);
  for (int i = 0; i < N; i++) {
    assert_int_equal(d[i].calls, 1);
    assert_int_equal(d[i].code, 0);
    assert_int_equal(d[i].done, BIG);
    rewind(files[i]);
    assert_int_equal(fread(buf, 1, BIG + 1, files[i]), BIG);
    for (size_t k = 0; k < BIG; k++)
      if (buf[k] != k % 251)
        fail_msg("download %d: byte %zu is %u", i, k, buf[k]);
    fclose(files[i]);
  }
  free(buf);
  cJSON_Delete(params);
  uvaws_client_stats_t st;
  uvaws_client_stats(fx.client, &st);
  assert_int_equal(st.connections, 1);
  tu_fixture_close(&fx);
}

/* A body streamed from a file (upload_fd) is counted once over HTTP/2 too,
 * small or large, and as a body given in memory is: the streamed request's
 * head differs from the in-memory one's only in its payload hash header
 * (UNSIGNED-PAYLOAD over https instead of 64 hex digits). */
static void on_put(uvaws_result_t *res, void *arg) {
  (void)res;
  (*(int *)arg)++;
}

static void test_streamed_upload_bytes(void **state) {
  (void)state;
  observed_t seen = {.n = 0};
  tu_fixture_t fx;
  open_observed(&fx, &seen, "s3");
  static char body[200 * 1024];
  memset(body, 'u', sizeof body);
  const size_t sizes[] = {1000, sizeof body}; /* with the head, after it */
  cJSON *params = cJSON_Parse("{\"Bucket\":\"b\",\"Key\":\"up.bin\"}");
  int done = 0;
  FILE *files[2];
  for (size_t k = 0; k < 2; k++) {
    assert_non_null(files[k] = tmpfile());
    assert_int_equal(fwrite(body, 1, sizes[k], files[k]), sizes[k]);
    fflush(files[k]);
    uvaws_call_options_t streamed = UVAWS_CALL_OPTIONS_INIT, inline_ = UVAWS_CALL_OPTIONS_INIT;
    streamed.path_style = inline_.path_style = 1;
    streamed.upload_fd = fileno(files[k]);
    inline_.payload = body;
    inline_.payload_len = sizes[k];
    /* one after the other: the observations come in this order */
    assert_int_equal(uvaws_call_ex(fx.client, "PutObject", params, &streamed, on_put, &done, NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(uvaws_call_ex(fx.client, "PutObject", params, &inline_, on_put, &done, NULL), 0);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
  }
  assert_int_equal(done, 4);
  assert_int_equal(seen.n, 4);
  for (size_t k = 0; k < 2; k++) {
    const uvaws_observation_t *st = &seen.o[2 * k], *in = &seen.o[2 * k + 1];
    assert_int_equal(st->request_body_bytes, sizes[k]);
    assert_int_equal(in->request_body_bytes, sizes[k]);
    assert_true(st->request_wire_bytes >= sizes[k]);
    assert_true(st->request_wire_bytes <= sizes[k] + 2048);
    /* the heads: within the hash header's 48 bytes and a few of HPACK's */
    int64_t diff = (int64_t)in->request_wire_bytes - (int64_t)st->request_wire_bytes;
    if (diff < -16 || diff > 96)
      fail_msg("%zu bytes: streamed %llu on the wire, in memory %llu", sizes[k],
               (unsigned long long)st->request_wire_bytes, (unsigned long long)in->request_wire_bytes);
    fclose(files[k]);
  }
  cJSON_Delete(params);
  tu_fixture_close(&fx);
}

int main(void) {
  nghttpd = need_env("UVAWS_TEST_NGHTTPD");
  ca_file = need_env("UVAWS_TEST_CA_FILE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_multiplexed),
      cmocka_unit_test(test_beyond_stream_limit),
      cmocka_unit_test(test_observed_bytes),
      cmocka_unit_test(test_body_cap),
      cmocka_unit_test(test_cancel_beside_streams),
      cmocka_unit_test(test_streamed_downloads),
      cmocka_unit_test(test_streamed_upload_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
