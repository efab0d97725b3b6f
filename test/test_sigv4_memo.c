/* A signer that signed before signs exactly as a fresh one would.
 *
 * The signer keeps the canonical request of its last header signature and
 * reuses it when the next request has the same shape (lib/sigv4_memo.h). The
 * class of bug that can bring is a stale signature: an input changed, the
 * memo matched anyway. So every step below changes one input of the request
 * signed before it (each kind of input in turn, including changes of the same
 * length, changes made in place in the caller's buffers, and a presign or a
 * failed call in between) and compares everything the warm signer produced
 * with what a fresh signer produces for the same input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uvaws.h"

#define T0 INT64_C(1700000000) /* 2023-11-14T22:13:20Z */

typedef struct {
  uvaws_signer_t *warm;
  uvaws_sigv4_input_t in;
  uvaws_kv_t headers[4];
  uvaws_kv_t query[2];
  char target[32]; /* a header value the caller rewrites in place */
  char qvalue[16];
  char path[16];
  char body[32];
  int steps; /* signatures compared */
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  if (f == NULL || uvaws_signer_new(&f->warm) != 0)
    return -1;
  strcpy(f->target, "DynamoDB_20120810.GetItem");
  strcpy(f->qvalue, "v1");
  strcpy(f->path, "/");
  strcpy(f->body, "{\"TableName\":\"users\"}");
  f->headers[0] = (uvaws_kv_t){"Host", "dynamodb.us-east-1.amazonaws.com"};
  f->headers[1] = (uvaws_kv_t){"Content-Type", "application/x-amz-json-1.0"};
  f->headers[2] = (uvaws_kv_t){"X-Amz-Target", f->target};
  f->query[0] = (uvaws_kv_t){"q", f->qvalue};
  f->in = (uvaws_sigv4_input_t){
      .access_key = "AKIDEXAMPLE",
      .secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
      .region = "us-east-1",
      .service = "dynamodb",
      .timestamp = T0,
      .method = "POST",
      .path = f->path,
      .query = f->query,
      .query_count = 0,
      .headers = f->headers,
      .header_count = 3,
      .body = f->body,
      .body_len = strlen(f->body),
  };
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  uvaws_signer_free(f->warm);
  free(f);
  return 0;
}

static void same_output(const uvaws_sigv4_output_t *a, const uvaws_sigv4_output_t *b) {
  assert_string_equal(a->canonical_request, b->canonical_request);
  assert_string_equal(a->string_to_sign, b->string_to_sign);
  assert_string_equal(a->signed_headers, b->signed_headers);
  assert_string_equal(a->signature, b->signature);
  assert_int_equal(a->header_count, b->header_count);
  for (size_t i = 0; i < a->header_count; i++) {
    assert_string_equal(a->headers[i].name, b->headers[i].name);
    assert_string_equal(a->headers[i].value, b->headers[i].value);
  }
}

/* Signs f->in with the warm signer, twice (the second time through the memo
 * when the shape allows), and with a fresh one: all three must agree. */
static void check(fixture_t *f) {
  uvaws_signer_t *fresh;
  assert_int_equal(uvaws_signer_new(&fresh), 0);
  uvaws_sigv4_output_t want, got;
  assert_int_equal(uvaws_signer_sign_headers(fresh, &f->in, &want), 0);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(uvaws_signer_sign_headers(f->warm, &f->in, &got), 0);
    same_output(&got, &want);
  }
  uvaws_signer_free(fresh);
  f->steps++;
}

static void test_every_input_change_is_seen(void **state) {
  fixture_t *f = *state;
  check(f);
  /* time: the second, then the day (the scope) */
  f->in.timestamp = T0 + 1;
  check(f);
  f->in.timestamp = T0 + 86400;
  check(f);
  /* the body, in place, same length */
  f->body[2] = 'X';
  check(f);
  f->in.body_len -= 1;
  check(f);
  /* method, path (in place, then other lengths) */
  f->in.method = "PUT";
  check(f);
  f->in.method = "POST";
  strcpy(f->path, "/a");
  check(f);
  strcpy(f->path, "/b");
  check(f);
  strcpy(f->path, "/a//b/../c/");
  check(f);
  f->in.flags = UVAWS_SIGV4_NO_NORMALIZE;
  check(f);
  f->in.flags = UVAWS_SIGV4_NO_NORMALIZE | UVAWS_SIGV4_NO_DOUBLE_ENCODE;
  check(f);
  f->in.flags = 0;
  strcpy(f->path, "/");
  check(f);
  /* a header value in place, same length; then its name's case; order; count */
  f->target[sizeof "DynamoDB_20120810." - 1] = 'P';
  check(f);
  f->headers[2].name = "x-amz-target";
  check(f);
  f->headers[2].name = "X-Amz-Targes";
  check(f);
  f->headers[2].name = "X-Amz-Target";
  uvaws_kv_t t = f->headers[1];
  f->headers[1] = f->headers[2];
  f->headers[2] = t;
  check(f);
  f->headers[3] = (uvaws_kv_t){"X-Extra", "  a   b  "};
  f->in.header_count = 4;
  check(f);
  f->headers[3].value = "a b";
  check(f);
  f->headers[3].value = "a b c"; /* longer, starting with the last one */
  check(f);
  f->headers[3].name = "X-Amz-Target"; /* a duplicate: values joined */
  check(f);
  f->in.header_count = 3;
  check(f);
  /* the query: added, value in place, NULL, name */
  f->in.query_count = 1;
  check(f);
  f->qvalue[1] = '2';
  check(f);
  f->query[0].value = NULL;
  check(f);
  f->query[0].value = "";
  check(f);
  f->query[0] = (uvaws_kv_t){"r", f->qvalue};
  check(f);
  f->in.query_count = 0;
  check(f);
  /* the session token: added, changed (same length), unsigned, removed */
  char token[] = "AQoDYXdzEPT//////////wEXAMPLE+token=";
  f->in.session_token = token;
  check(f);
  token[3] = 'Z';
  check(f);
  f->in.flags = UVAWS_SIGV4_TOKEN_UNSIGNED;
  check(f);
  f->in.flags = 0;
  f->in.session_token = NULL;
  check(f);
  /* the payload hash given, and signed as a header (S3) */
  f->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  check(f);
  f->in.flags = UVAWS_SIGV4_CONTENT_SHA256;
  check(f);
  f->in.payload_hash = NULL;
  check(f);
  f->in.flags = 0;
  check(f);
  /* scope and credentials */
  f->in.region = "eu-west-1";
  check(f);
  f->in.service = "sqs";
  check(f);
  f->in.access_key = "AKIDEXAMPLF";
  check(f);
  f->in.secret_key = "another secret";
  check(f);
  assert_int_equal(f->steps, 39); /* every step above ran */
}

/* A presign, or a call that fails, between two signatures of one shape. */
static void test_other_calls_in_between(void **state) {
  fixture_t *f = *state;
  check(f);
  uvaws_sigv4_output_t out;
  f->in.method = "GET";
  assert_int_equal(uvaws_signer_presign(f->warm, &f->in, 60, &out), 0);
  f->in.method = "POST";
  check(f);
  f->headers[2].value = "bad\r\nvalue";
  assert_int_equal(uvaws_signer_sign_headers(f->warm, &f->in, &out), UVAWS_EHEADERVALUE);
  f->headers[2].value = f->target;
  check(f);
  /* a request that fails after the shape was checked (the body is missing) */
  f->in.body = NULL;
  assert_int_equal(uvaws_signer_sign_headers(f->warm, &f->in, &out), UVAWS_EINVAL);
  f->in.body = f->body;
  check(f);
}

/* Two shapes in alternation, as a client with two kinds of request. */
static void test_alternating_shapes(void **state) {
  fixture_t *f = *state;
  for (int i = 0; i < 6; i++) {
    f->in.method = i % 2 ? "PUT" : "POST";
    f->in.timestamp = T0 + i;
    check(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_every_input_change_is_seen, setup, teardown),
      cmocka_unit_test_setup_teardown(test_other_calls_in_between, setup, teardown),
      cmocka_unit_test_setup_teardown(test_alternating_shapes, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
