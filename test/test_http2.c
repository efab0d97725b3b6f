/* HTTP/2 against nghttpd over TLS: many concurrent requests share one
 * multiplexed connection, and each still completes exactly once. */
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

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

static void test_multiplexed(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_options_t o = test_options(nghttpd);
  o.ca_file = ca_file;
  o.max_clients = 64;
  uvaws_client_t *client;
  assert_int_equal(uvaws_client_new(&loop, &o, &client, NULL), 0);
  enum { N = 500 };
  count_t *counts = calloc(N, sizeof *counts);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/hello.txt"};
  for (int i = 0; i < N; i++)
    assert_int_equal(uvaws_fetch(client, &req, count, &counts[i], NULL), 0);
  uv_run(&loop, UV_RUN_DEFAULT);
  for (int i = 0; i < N; i++) {
    assert_int_equal(counts[i].calls, 1);
    assert_int_equal(counts[i].ok, 1);
  }
  uvaws_client_stats_t st;
  uvaws_client_stats(client, &st);
  /* 64 in flight at once over one connection: HTTP/2 streams, not sockets */
  assert_int_equal(st.connections, 1);
  assert_int_equal(st.completed, N);
  free(counts);
  uvaws_client_close(client, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void) {
  nghttpd = need_env("UVAWS_TEST_NGHTTPD");
  ca_file = need_env("UVAWS_TEST_CA_FILE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_multiplexed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
