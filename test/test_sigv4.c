/* Unit tests of the SigV4 signer: every input error returns its code and
 * leaves the output alone; published vectors are reproduced byte for byte; the
 * key cache, the flags, the URI encoders and the output shapes do what
 * sigv4.h says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4_crypto.h"
#include "uvaws.h"

#define AKID "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define S3_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" /* the S3 docs' key */
#define T_20150830 INT64_C(1440938160)                       /* 2015-08-30T12:36:00Z */
#define T_20130524 INT64_C(1369353600)                       /* 2013-05-24T00:00:00Z */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define TOKEN "AQoDYXdzEPT//////////wEXAMPLE+token="

/* A valid request that each error test breaks in exactly one place. */
typedef struct {
  uvaws_sigv4_input_t in;
  uvaws_kv_t headers[4];
  uvaws_kv_t query[2];
  uvaws_signer_t *signer;
} fixture_t;

static int setup(void **state) {
  fixture_t *f = calloc(1, sizeof *f);
  if (f == NULL || uvaws_signer_new(&f->signer) != 0)
    return -1;
  f->headers[0] = (uvaws_kv_t){"Host", "example.amazonaws.com"};
  f->headers[1] = (uvaws_kv_t){"X-Custom", "value"};
  f->query[0] = (uvaws_kv_t){"Action", "ListUsers"};
  f->query[1] = (uvaws_kv_t){"Version", "2010-05-08"};
  f->in = (uvaws_sigv4_input_t){
      .access_key = AKID,
      .secret_key = SECRET,
      .region = "us-east-1",
      .service = "service",
      .timestamp = T_20150830,
      .method = "GET",
      .path = "/",
      .query = f->query,
      .query_count = 2,
      .headers = f->headers,
      .header_count = 2,
  };
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture_t *f = *state;
  uvaws_signer_free(f->signer);
  free(f);
  return 0;
}

/* Signs in both modes, expecting `code` from each; the output must be
 * untouched (still the 0xA5 pattern). */
static void expect_error(fixture_t *f, int code) {
  uvaws_sigv4_output_t out, pattern;
  memset(&pattern, 0xA5, sizeof pattern);
  memcpy(&out, &pattern, sizeof out);
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), code);
  assert_memory_equal(&out, &pattern, sizeof out);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 3600, &out), code);
  assert_memory_equal(&out, &pattern, sizeof out);
}

static void expect_ok(fixture_t *f) {
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 3600, &out), 0);
}

static void assert_prefix(const char *s, const char *prefix) {
  assert_non_null(s);
  if (strncmp(s, prefix, strlen(prefix)) != 0) {
    print_error("expected a string starting with\n%s\ngot\n%s\n", prefix, s);
    fail();
  }
}

/* ---- error paths ----------------------------------------------------------- */

static void test_fixture_is_valid(void **state) { expect_ok(*state); }

static void test_null_arguments(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out, pattern;
  memset(&pattern, 0xA5, sizeof pattern);
  memcpy(&out, &pattern, sizeof out);
  assert_int_equal(uvaws_signer_new(NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_sign_headers(NULL, &f->in, &out), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_sign_headers(f->signer, NULL, &out), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_presign(NULL, &f->in, 60, &out), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_presign(f->signer, NULL, 60, &out), UVAWS_EINVAL);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, NULL), UVAWS_EINVAL);
  assert_memory_equal(&out, &pattern, sizeof out);
  uvaws_signer_free(NULL); /* a no-op */
}

static void test_credentials_and_scope(void **state) {
  fixture_t *f = *state;
  const char *bad[] = {NULL, "", "AK/ID", "AK ID", "AKID\n"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->in.access_key = bad[i];
    expect_error(f, UVAWS_EINVAL);
    f->in.access_key = AKID;
    f->in.region = bad[i];
    expect_error(f, UVAWS_EINVAL);
    f->in.region = "us-east-1";
    f->in.service = bad[i];
    expect_error(f, UVAWS_EINVAL);
    f->in.service = "service";
  }
  f->in.region = "us/east-1";
  expect_error(f, UVAWS_EINVAL);
  f->in.region = "us east-1";
  expect_error(f, UVAWS_EINVAL);
  f->in.region = "us-east-1";
  f->in.service = "s3/x";
  expect_error(f, UVAWS_EINVAL);
  f->in.service = "s 3";
  expect_error(f, UVAWS_EINVAL);
  f->in.service = "service";
  f->in.secret_key = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->in.secret_key = "";
  expect_error(f, UVAWS_EINVAL);
  f->in.secret_key = SECRET;
  f->in.session_token = "tok\r\nen";
  expect_error(f, UVAWS_EINVAL);
  f->in.session_token = NULL;
  expect_ok(f);
}

static void test_method(void **state) {
  fixture_t *f = *state;
  f->in.method = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->in.method = "";
  expect_error(f, UVAWS_EINVAL);
  f->in.method = "GE T";
  expect_error(f, UVAWS_EMETHOD);
  f->in.method = "GET\r\n";
  expect_error(f, UVAWS_EMETHOD);
  f->in.method = "GET\n";
  expect_error(f, UVAWS_EMETHOD);
  f->in.method = "G(ET)";
  expect_error(f, UVAWS_EMETHOD);
  f->in.method = "M-SEARCH";
  expect_ok(f);
}

static void test_path(void **state) {
  fixture_t *f = *state;
  f->in.path = NULL;
  expect_error(f, UVAWS_EPATH);
  const char *bad[] = {"", "relative", "a/b", "/a\rb", "/a\nb", "/a\r\n", "/a?b", "/a#b",
                       "/a\tb", "/a\x01"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->in.path = bad[i];
    expect_error(f, UVAWS_EPATH);
  }
  f->in.path = "/a%20b/./../c//";
  expect_ok(f);
}

static void test_header_names(void **state) {
  fixture_t *f = *state;
  const char *bad[] = {"Bad Name", "X:Y", "", "X-Ünicode", "X\r\nY", "(x)"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->headers[1].name = bad[i];
    expect_error(f, UVAWS_EHEADERNAME);
  }
  f->headers[1].name = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->headers[1].name = "X-Weird!#$%&'*+.^_`|~";
  expect_ok(f);
}

static void test_header_values(void **state) {
  fixture_t *f = *state;
  const char *bad[] = {"a\rb", "a\nb", "a\r\n b", "\x01", "a\x1b[0m", "a\x7f", "\x0b", "\x0c"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->headers[1].value = bad[i];
    expect_error(f, UVAWS_EHEADERVALUE);
  }
  f->headers[1].value = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->headers[1].value = " \tvalue with\ttab and ünïcode ";
  expect_ok(f);
}

static void test_query(void **state) {
  fixture_t *f = *state;
  const char *bad[] = {"a\rb", "a\nb", "\r\n", "\x01"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->query[1].name = bad[i];
    expect_error(f, UVAWS_EQUERY);
    f->query[1].name = "Version";
    f->query[1].value = bad[i];
    expect_error(f, UVAWS_EQUERY);
    f->query[1].value = "2010-05-08";
  }
  f->query[1].name = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->query[1].name = "";
  f->query[1].value = NULL; /* a NULL value is an empty one */
  expect_ok(f);
}

static void test_host(void **state) {
  fixture_t *f = *state;
  f->in.header_count = 0;
  f->in.headers = NULL;
  expect_error(f, UVAWS_ENOHOST);
  f->in.headers = f->headers;
  f->in.header_count = 2;
  f->headers[0].name = "X-Not-Host";
  expect_error(f, UVAWS_ENOHOST);
  f->headers[0].name = "hOsT";
  f->headers[0].value = "";
  expect_error(f, UVAWS_ENOHOST);
  f->headers[0].value = " \t ";
  expect_error(f, UVAWS_ENOHOST);
  f->headers[0].value = "example.com";
  expect_ok(f);
}

/* A presigned URL carries Host verbatim, so only an authority is accepted. */
static void test_presign_host(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out, pattern;
  memset(&pattern, 0xA5, sizeof pattern);
  const char *bad[] = {"evil.com/x", "evil.com?x=", "evil.com#", "user@evil.com", "a b.com",
                       "h\xc3\xa9.com"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    memcpy(&out, &pattern, sizeof out);
    f->headers[0].value = bad[i];
    assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), UVAWS_EHEADERVALUE);
    assert_memory_equal(&out, &pattern, sizeof out);
    assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0); /* just a header */
  }
  /* The first Host counts: a blank one cannot make a URL. */
  uvaws_kv_t hs[] = {{"Host", " "}, {"host", "example.com"}};
  f->in.headers = hs;
  f->in.header_count = 2;
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), UVAWS_EHEADERVALUE);
  f->in.header_count = 1;
  f->in.query_count = 0;
  const char *good[] = {"[::1]:9000", "127.0.0.1:4566", "Bucket.S3.amazonaws.com", " h:80\t"};
  const char *urls[] = {"https://[::1]:9000/?X-Amz-", "https://127.0.0.1:4566/?X-Amz-",
                        "https://Bucket.S3.amazonaws.com/?X-Amz-", "https://h:80/?X-Amz-"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    hs[0].value = good[i];
    assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
    assert_prefix(out.url, urls[i]);
  }
}

static void test_timestamp(void **state) {
  fixture_t *f = *state;
  f->in.timestamp = -1;
  expect_error(f, UVAWS_ETIME);
  f->in.timestamp = INT64_MIN;
  expect_error(f, UVAWS_ETIME);
  f->in.timestamp = INT64_C(253402300800); /* 10000-01-01T00:00:00Z */
  expect_error(f, UVAWS_ETIME);
  f->in.timestamp = INT64_MAX;
  expect_error(f, UVAWS_ETIME);

  uvaws_sigv4_output_t out;
  f->in.timestamp = INT64_C(253402300799);
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.headers[0].value, "99991231T235959Z");
  f->in.timestamp = 0;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.headers[0].value, "19700101T000000Z");
  f->in.timestamp = INT64_C(951782400); /* a leap day */
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.headers[0].value, "20000229T000000Z");
}

static void test_expires(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out, pattern;
  memset(&pattern, 0xA5, sizeof pattern);
  memcpy(&out, &pattern, sizeof out);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 0, &out), UVAWS_EEXPIRES);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, UVAWS_SIGV4_MAX_EXPIRES + 1, &out),
                   UVAWS_EEXPIRES);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 0xFFFFFFFFu, &out), UVAWS_EEXPIRES);
  assert_memory_equal(&out, &pattern, sizeof out);
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 1, &out), 0);
  assert_non_null(strstr(out.url, "&X-Amz-Expires=1&"));
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, UVAWS_SIGV4_MAX_EXPIRES, &out), 0);
  assert_non_null(strstr(out.url, "&X-Amz-Expires=604800&"));
}

static void test_payload_hash(void **state) {
  fixture_t *f = *state;
  char long_hash[130];
  memset(long_hash, 'a', 129);
  long_hash[129] = '\0';
  const char *bad[] = {"", "has space", "a\nb", "abc/def", "+", long_hash};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->in.payload_hash = bad[i];
    expect_error(f, UVAWS_EINVAL);
  }
  f->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  expect_ok(f);
  f->in.payload_hash = EMPTY_SHA256;
  expect_ok(f);
  f->in.payload_hash = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
  expect_ok(f);
}

static void test_counts_without_arrays(void **state) {
  fixture_t *f = *state;
  f->in.headers = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->in.headers = f->headers;
  f->in.query = NULL;
  expect_error(f, UVAWS_EINVAL);
  f->in.query = f->query;
  f->in.body = NULL;
  f->in.body_len = 1;
  expect_error(f, UVAWS_EINVAL);
  f->in.body_len = 0; /* NULL body of length 0: the empty body */
  expect_ok(f);
}

static void test_scheme(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out, pattern;
  memset(&pattern, 0xA5, sizeof pattern);
  const char *bad[] = {"ftp", "", "HTTPS", "https:", "file"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    memcpy(&out, &pattern, sizeof out);
    f->in.scheme = bad[i];
    assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), UVAWS_EINVAL);
    assert_memory_equal(&out, &pattern, sizeof out);
  }
  f->in.scheme = "http";
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_prefix(out.url, "http://example.amazonaws.com/?");
  f->in.scheme = "https";
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_prefix(out.url, "https://example.amazonaws.com/?");
  f->in.scheme = NULL;
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_prefix(out.url, "https://example.amazonaws.com/?");
}

/* ---- published vectors ----------------------------------------------------- */

/* The IAM ListUsers example of the AWS SigV4 documentation. */
static void test_iam_list_users(void **state) {
  fixture_t *f = *state;
  f->headers[0] = (uvaws_kv_t){"Host", "iam.amazonaws.com"};
  f->headers[1] = (uvaws_kv_t){"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
  f->in.service = "iam";
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.canonical_request,
                      "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
                      "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
                      "host:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                      "content-type;host;x-amz-date\n" EMPTY_SHA256);
  assert_string_equal(out.string_to_sign,
                      "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n"
                      "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
  assert_string_equal(out.signature,
                      "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
  assert_string_equal(out.signed_headers, "content-type;host;x-amz-date");
  assert_null(out.url);
  assert_int_equal(out.header_count, 2);
  assert_string_equal(out.headers[0].name, "X-Amz-Date");
  assert_string_equal(out.headers[0].value, "20150830T123600Z");
  assert_string_equal(out.headers[1].name, "Authorization");
  assert_string_equal(out.headers[1].value,
                      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
                      "SignedHeaders=content-type;host;x-amz-date, "
                      "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
}

static void s3_example(fixture_t *f) {
  f->headers[0] = (uvaws_kv_t){"Host", "examplebucket.s3.amazonaws.com"};
  f->headers[1] = (uvaws_kv_t){"Range", "bytes=0-9"};
  f->in.access_key = "AKIAIOSFODNN7EXAMPLE";
  f->in.secret_key = S3_SECRET;
  f->in.service = "s3";
  f->in.timestamp = T_20130524;
  f->in.path = "/test.txt";
  f->in.query_count = 0;
  f->in.flags = UVAWS_SIGV4_S3;
}

/* "GET Object" of the S3 SigV4 documentation. */
static void test_s3_get_object(void **state) {
  fixture_t *f = *state;
  s3_example(f);
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.canonical_request,
                      "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
                      "x-amz-content-sha256:" EMPTY_SHA256 "\nx-amz-date:20130524T000000Z\n\n"
                      "host;range;x-amz-content-sha256;x-amz-date\n" EMPTY_SHA256);
  assert_string_equal(out.signature,
                      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_int_equal(out.header_count, 3);
  assert_string_equal(out.headers[0].name, "X-Amz-Date");
  assert_string_equal(out.headers[1].name, "x-amz-content-sha256");
  assert_string_equal(out.headers[1].value, EMPTY_SHA256);
  assert_string_equal(out.headers[2].name, "Authorization");
}

/* The presigned GET of the S3 query-string-auth documentation. */
static void test_s3_presigned_url(void **state) {
  fixture_t *f = *state;
  s3_example(f);
  f->in.header_count = 1;
  f->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 86400, &out), 0);
  assert_string_equal(out.canonical_request,
                      "GET\n/test.txt\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
                      "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date="
                      "20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\n"
                      "host:examplebucket.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
  assert_string_equal(out.signature,
                      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  assert_string_equal(out.url,
                      "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-"
                      "SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
                      "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-SignedHeaders=host&X-Amz-"
                      "Expires=86400&X-Amz-Signature="
                      "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
  assert_int_equal(out.header_count, 0);
}

/* ---- behaviour ------------------------------------------------------------- */

static void test_key_cache(void **state) {
  fixture_t *f = *state;
  /* More credential sets than the cache holds, each changing one scope part. */
  static const struct {
    const char *secret, *region, *service;
    int64_t t;
  } sets[] = {
      {SECRET, "us-east-1", "service", T_20150830},
      {"other-secret", "us-east-1", "service", T_20150830},
      {SECRET, "eu-west-1", "service", T_20150830},
      {SECRET, "us-east-1", "iam", T_20150830},
      {SECRET, "us-east-1", "service", T_20150830 + 86400},
      {"other-secret", "eu-west-1", "iam", T_20130524},
  };
  enum { N = sizeof sets / sizeof *sets };
  char expected[N][65];
  uvaws_sigv4_output_t out;
  for (int i = 0; i < N; i++) { /* each on a fresh signer: no cache involved */
    uvaws_signer_t *fresh = NULL;
    assert_int_equal(uvaws_signer_new(&fresh), 0);
    f->in.secret_key = sets[i].secret;
    f->in.region = sets[i].region;
    f->in.service = sets[i].service;
    f->in.timestamp = sets[i].t;
    assert_int_equal(uvaws_signer_sign_headers(fresh, &f->in, &out), 0);
    memcpy(expected[i], out.signature, 65);
    for (int j = 0; j < i; j++)
      assert_string_not_equal(expected[i], expected[j]);
    uvaws_signer_free(fresh);
  }
  /* One signer, sets in an order that hits, misses and evicts. */
  const int order[] = {0, 0, 1, 2, 3, 4, 5, 0, 5, 1, 4, 2, 3, 3, 0, 5, 5, 2};
  for (size_t k = 0; k < sizeof order / sizeof *order; k++) {
    int i = order[k];
    f->in.secret_key = sets[i].secret;
    f->in.region = sets[i].region;
    f->in.service = sets[i].service;
    f->in.timestamp = sets[i].t;
    assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
    assert_string_equal(out.signature, expected[i]);
  }
  /* Same day, another second: same cached key, another signature. */
  f->in.timestamp = sets[0].t + 1;
  f->in.secret_key = sets[0].secret;
  f->in.region = sets[0].region;
  f->in.service = sets[0].service;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_not_equal(out.signature, expected[0]);
}

/* kSigning from OpenSSL's one-shot HMAC, step by step as the specification
 * writes it, and the signature of `sts` with it, in hex. */
static void reference_signature(const char *secret, const char *date, const char *region,
                                const char *service, const char *sts, char hex[65]) {
  unsigned char k[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  char first[300];
  snprintf(first, sizeof first, "AWS4%s", secret);
  const char *steps[] = {date, region, service, "aws4_request", sts};
  const unsigned char *key = (const unsigned char *)first;
  int key_len = (int)strlen(first);
  for (int i = 0; i < 5; i++) {
    assert_non_null(HMAC(EVP_sha256(), key, key_len, (const unsigned char *)steps[i],
                         strlen(steps[i]), k, &n));
    key = k;
    key_len = (int)n;
  }
  for (unsigned i = 0; i < n; i++)
    snprintf(hex + 2 * i, 3, "%02x", k[i]);
}

/* HMAC keys longer than SHA-256's 64-byte block are hashed first: "AWS4"
 * plus a secret of 60 characters is exactly a block, 61 one byte past it. */
static void test_secret_lengths(void **state) {
  fixture_t *f = *state;
  const size_t lens[] = {1, 40, 59, 60, 61, 64, 65, 128, 200};
  for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
    char secret[256];
    for (size_t j = 0; j < lens[i]; j++)
      secret[j] = (char)('a' + (j * 7 + lens[i]) % 26);
    secret[lens[i]] = '\0';
    f->in.secret_key = secret;
    uvaws_sigv4_output_t out;
    assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
    char want[65];
    reference_signature(secret, "20150830", "us-east-1", "service", out.string_to_sign, want);
    if (strcmp(out.signature, want) != 0)
      fail_msg("a secret of %zu characters: signature %s, want %s", lens[i], out.signature, want);
  }
}

static void test_content_sha256(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out;
  f->in.body = "hello";
  f->in.body_len = 5;
  f->in.flags = UVAWS_SIGV4_CONTENT_SHA256;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  const char *hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  assert_string_equal(out.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-custom");
  assert_non_null(strstr(out.canonical_request, "\nx-amz-content-sha256:2cf24dba"));
  assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 64, hello);
  assert_int_equal(out.header_count, 3);
  assert_string_equal(out.headers[1].name, "x-amz-content-sha256");
  assert_string_equal(out.headers[1].value, hello);

  /* The payload hash given wins over the body. */
  f->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.headers[1].value, "UNSIGNED-PAYLOAD");
  assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 17,
                      "\nUNSIGNED-PAYLOAD");

  /* Without the flag the hash is signed but no header is added. */
  f->in.flags = 0;
  f->in.header_count = 1;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.signed_headers, "host;x-amz-date");
  assert_int_equal(out.header_count, 2);
  assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 17,
                      "\nUNSIGNED-PAYLOAD");

  /* Presigning never adds the header, even with the flag. */
  f->in.flags = UVAWS_SIGV4_S3;
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_string_equal(out.signed_headers, "host");
  assert_null(strstr(out.url, "content-sha256"));
}

/* A caller's x-amz-content-sha256 is the payload line, in every mode and with
 * or without the S3 flag (as botocore takes it), and goes out once: never a
 * header saying one hash while the payload line says another. */
static void test_caller_content_sha256(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out;
  const char *hello = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
  f->in.body = "hello";
  f->in.body_len = 5;
  f->headers[1] = (uvaws_kv_t){"X-Amz-Content-Sha256", " UNSIGNED-PAYLOAD "};
  const unsigned flags[] = {0, UVAWS_SIGV4_CONTENT_SHA256, UVAWS_SIGV4_S3};
  for (size_t i = 0; i < 3; i++) {
    f->in.flags = flags[i];
    assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
    assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 17,
                        "\nUNSIGNED-PAYLOAD");
    assert_non_null(strstr(out.canonical_request, "\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"));
    assert_string_equal(out.signed_headers, "host;x-amz-content-sha256;x-amz-date");
    for (size_t k = 0; k < out.header_count; k++) /* the caller's copy is the one sent */
      assert_string_not_equal(out.headers[k].name, "x-amz-content-sha256");
    assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
    assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 17,
                        "\nUNSIGNED-PAYLOAD");
    assert_string_equal(out.signed_headers, "host;x-amz-content-sha256");
  }
  /* A hash given as the header: the body is not hashed instead. */
  f->headers[1].value = hello;
  f->in.body = "other";
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.canonical_request + strlen(out.canonical_request) - 64, hello);
  /* Both the header and payload_hash: they must agree. */
  f->in.payload_hash = hello;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  f->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  expect_error(f, UVAWS_EHEADERVALUE);
  f->in.payload_hash = NULL;
  /* Refused: a value that is no payload hash, an empty one, two headers. */
  const char *bad[] = {"stale!", "", "  ", "abc def", "x\tUNSIGNED-PAYLOAD", "sha=1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    f->headers[1].value = bad[i];
    expect_error(f, UVAWS_EHEADERVALUE);
  }
  f->headers[1].value = hello;
  f->headers[2] = (uvaws_kv_t){"x-amz-content-sha256", hello};
  f->in.header_count = 3;
  expect_error(f, UVAWS_EHEADERVALUE);
}

static void test_session_token(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out;
  f->in.header_count = 1;
  f->in.query_count = 0;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  char no_token[65];
  memcpy(no_token, out.signature, 65);

  f->in.session_token = TOKEN;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.signed_headers, "host;x-amz-date;x-amz-security-token");
  assert_non_null(strstr(out.canonical_request, "\nx-amz-security-token:" TOKEN "\n"));
  assert_string_not_equal(out.signature, no_token);
  assert_int_equal(out.header_count, 3);
  assert_string_equal(out.headers[1].name, "X-Amz-Security-Token");
  assert_string_equal(out.headers[1].value, TOKEN);

  /* Unsigned: sent, not signed, so the signature is the token-less one. */
  f->in.flags = UVAWS_SIGV4_TOKEN_UNSIGNED;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.signed_headers, "host;x-amz-date");
  assert_null(strstr(out.canonical_request, "security-token"));
  assert_string_equal(out.signature, no_token);
  assert_int_equal(out.header_count, 3);
  assert_string_equal(out.headers[1].value, TOKEN);

  /* Presigned: the token is a parameter, signed unless asked otherwise. */
  const char *encoded = "X-Amz-Security-Token=AQoDYXdzEPT%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEXAMPLE%2B"
                        "token%3D";
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_null(strstr(out.canonical_request, "Security-Token"));
  assert_non_null(strstr(out.url, encoded));
  f->in.flags = 0;
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_non_null(strstr(out.canonical_request, encoded));
  assert_non_null(strstr(out.url, encoded));

  /* An empty token is no token. */
  f->in.session_token = "";
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.signature, no_token);
  assert_int_equal(out.header_count, 2);
}

static void test_output_header_order(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out;
  f->in.session_token = TOKEN;
  f->in.flags = UVAWS_SIGV4_CONTENT_SHA256;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  const char *names[] = {"X-Amz-Date", "X-Amz-Security-Token", "x-amz-content-sha256",
                         "Authorization"};
  assert_int_equal(out.header_count, 4);
  for (size_t i = 0; i < 4; i++)
    assert_string_equal(out.headers[i].name, names[i]);
  assert_string_equal(out.headers[2].value, EMPTY_SHA256);
  assert_prefix(out.headers[3].value, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                      "aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                      "x-amz-security-token;x-custom, Signature=");
  assert_string_equal(out.headers[3].value + strlen(out.headers[3].value) - 64, out.signature);
}

/* Headers the signer owns or that proxies rewrite are never signed from the
 * input; duplicates join in order; values are trimmed and folded. */
static void test_header_canonicalization(void **state) {
  fixture_t *f = *state;
  uvaws_kv_t hs[] = {
      {"X-B", "  two\t\twords  "}, {"host", "example.amazonaws.com"},
      {"Authorization", "stale"},  {"X-Amz-Date", "stale"},
      {"User-Agent", "ua"},        {"Expect", "100-continue"},
      {"X-Amzn-Trace-Id", "Root"}, {"x-b", "second"},
      {"X-A", ""},                 {"X-Amz-Security-Token", "stale"},
  };
  f->in.headers = hs;
  f->in.header_count = sizeof hs / sizeof *hs;
  f->in.query_count = 0;
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_string_equal(out.canonical_request,
                      "GET\n/\n\nhost:example.amazonaws.com\nx-a:\nx-amz-date:20150830T123600Z\n"
                      "x-b:two words,second\n\nhost;x-a;x-amz-date;x-b\n" EMPTY_SHA256);
}

static void test_path_encoding_flags(void **state) {
  fixture_t *f = *state;
  uvaws_sigv4_output_t out;
  f->in.query_count = 0;
  f->in.path = "/a%20b//./c/../d/";
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_prefix(out.canonical_request, "GET\n/a%2520b/d/\n\n");
  f->in.flags = UVAWS_SIGV4_NO_NORMALIZE;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_prefix(out.canonical_request, "GET\n/a%2520b//./c/../d/\n\n");
  f->in.flags = UVAWS_SIGV4_NO_DOUBLE_ENCODE;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_prefix(out.canonical_request, "GET\n/a%20b/d/\n\n");
  f->in.flags = UVAWS_SIGV4_S3;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_prefix(out.canonical_request, "GET\n/a%20b//./c/../d/\n\n");
  /* The URL carries the wire path as given whatever the flags. */
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_prefix(out.url, "https://example.amazonaws.com/a%20b//./c/../d/?X-Amz-");
}

static void test_query_encoding(void **state) {
  fixture_t *f = *state;
  uvaws_kv_t q[] = {{"b", "2"}, {"a b", "x&y=z"}, {"b", "1"}, {"ключ", "é"}, {"e", NULL},
                    {"", "v"},  {"~-._", "!*'()"}};
  f->in.query = q;
  f->in.query_count = sizeof q / sizeof *q;
  f->in.header_count = 1;
  uvaws_sigv4_output_t out;
  assert_int_equal(uvaws_signer_sign_headers(f->signer, &f->in, &out), 0);
  assert_prefix(out.canonical_request, "GET\n/\n=v&%D0%BA%D0%BB%D1%8E%D1%87=%C3%A9&a%20b=x%26y%3Dz&b=1&b=2&e=&"
                      "~-._=%21%2A%27%28%29\n");
  assert_int_equal(uvaws_signer_presign(f->signer, &f->in, 60, &out), 0);
  assert_prefix(out.url, "https://example.amazonaws.com/?b=2&a%20b=x%26y%3Dz&b=1&"
                      "%D0%BA%D0%BB%D1%8E%D1%87=%C3%A9&e=&=v&~-._=%21%2A%27%28%29&"
                      "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=");
}

/* uvaws_uri_encode into a buffer of ample room; returns the length. */
static size_t encode(const char *src, size_t len, int keep_slash, char *dst) {
  size_t size = 3 * len + 1;
  assert_int_equal(uvaws_uri_encode(src, len, keep_slash, dst, &size), 0);
  assert_int_equal(size, strlen(dst));
  return size;
}

static void test_uri_encode(void **state) {
  (void)state;
  char dst[256];
  const char *unreserved = "ABCXYZabcxyz0189-._~";
  assert_int_equal(encode(unreserved, strlen(unreserved), 0, dst), 20);
  assert_string_equal(dst, unreserved);
  const char *reserved = "!*'();:@&=+$,/?#[] %\"<>\\^`{|}";
  size_t n = encode(reserved, strlen(reserved), 0, dst);
  assert_string_equal(dst, "%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%20%25%22%3C"
                           "%3E%5C%5E%60%7B%7C%7D");
  assert_int_equal(n, strlen(dst));
  encode("/a b/c/", 7, 1, dst);
  assert_string_equal(dst, "/a%20b/c/");
  encode("/a b/c/", 7, 0, dst);
  assert_string_equal(dst, "%2Fa%20b%2Fc%2F");
  encode("ключ😀", strlen("ключ😀"), 1, dst);
  assert_string_equal(dst, "%D0%BA%D0%BB%D1%8E%D1%87%F0%9F%98%80");
  assert_int_equal(encode("\0\xff\x7f\x80", 4, 0, dst), 12); /* bytes, not C strings */
  assert_string_equal(dst, "%00%FF%7F%80");
  assert_int_equal(encode("abc", 0, 0, dst), 0);
  assert_string_equal(dst, "");
  assert_int_equal(encode(NULL, 0, 0, dst), 0);
  /* bad arguments */
  size_t size = sizeof dst;
  assert_int_equal(uvaws_uri_encode(NULL, 3, 0, dst, &size), UVAWS_EINVAL);
  assert_int_equal(uvaws_uri_encode("abc", 3, 0, NULL, &size), UVAWS_EINVAL);
  assert_int_equal(uvaws_uri_encode("abc", 3, 0, dst, NULL), UVAWS_EINVAL);
}

/* The destination's size is honoured to the byte: one short of the text and
 * its NUL writes nothing and says what is needed; exactly enough fits, the
 * byte after it untouched. */
static void test_uri_encode_size(void **state) {
  (void)state;
  const char *src = "a b/ключ~";
  const char *want = "a%20b/%D0%BA%D0%BB%D1%8E%D1%87~";
  size_t need = strlen(want) + 1;
  size_t size = 0;
  assert_int_equal(uvaws_uri_encode(src, strlen(src), 1, NULL, &size), UVAWS_ENOBUFS);
  assert_int_equal(size, need);
  char dst[64];
  for (size_t room = 1; room < need; room++) {
    memset(dst, '#', sizeof dst);
    size = room;
    assert_int_equal(uvaws_uri_encode(src, strlen(src), 1, dst, &size), UVAWS_ENOBUFS);
    assert_int_equal(size, need);
    for (size_t i = 0; i < sizeof dst; i++)
      assert_int_equal(dst[i], '#'); /* nothing written */
  }
  memset(dst, '#', sizeof dst);
  size = need;
  assert_int_equal(uvaws_uri_encode(src, strlen(src), 1, dst, &size), 0);
  assert_int_equal(size, need - 1);
  assert_string_equal(dst, want);
  assert_int_equal(dst[need], '#');
  size = 1; /* an empty input needs its NUL only */
  assert_int_equal(uvaws_uri_encode("", 0, 1, dst, &size), 0);
  assert_int_equal(size, 0);
  assert_string_equal(dst, "");
}

static void test_uri_encode_path(void **state) {
  (void)state;
  char *p = uvaws_uri_encode_path("/my bucket/ключ");
  assert_string_equal(p, "/my%20bucket/%D0%BA%D0%BB%D1%8E%D1%87");
  free(p);
  p = uvaws_uri_encode_path("/a//b/./c/../%41?x#y");
  assert_string_equal(p, "/a//b/./c/../%2541%3Fx%23y");
  free(p);
  p = uvaws_uri_encode_path("/!*'();:@&=+$,");
  assert_string_equal(p, "/%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C");
  free(p);
  p = uvaws_uri_encode_path("");
  assert_string_equal(p, "");
  free(p);
  assert_null(uvaws_uri_encode_path(NULL));
}

/* Hex of every length a block split can meet (16-byte SSE2 blocks, 4-byte
 * words, single bytes) and of every byte value in every lane, against
 * printf's; nothing written past the digits and their NUL. */
static void test_hex(void **state) {
  (void)state;
  unsigned char in[80];
  char out[2 * sizeof in + 8], want[2 * sizeof in + 1];
  for (unsigned shift = 0; shift < 256; shift += 7) {
    for (size_t i = 0; i < sizeof in; i++)
      in[i] = (unsigned char)(i * 37 + shift);
    for (size_t n = 0; n <= sizeof in; n++) {
      memset(out, '#', sizeof out);
      sigv4_hex(in, n, out);
      for (size_t i = 0; i < n; i++)
        snprintf(want + 2 * i, 3, "%02x", in[i]);
      want[2 * n] = '\0';
      assert_string_equal(out, want);
      assert_int_equal(out[2 * n + 1], '#');
    }
  }
  for (unsigned b = 0; b < 256; b++) { /* each value in each lane of a block */
    memset(in, (int)b, 32);
    sigv4_hex(in, 32, out);
    char two[3];
    snprintf(two, sizeof two, "%02x", b);
    for (size_t i = 0; i < 32; i++)
      assert_memory_equal(out + 2 * i, two, 2);
  }
}

int main(void) {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_fixture_is_valid),
      T(test_null_arguments),
      T(test_credentials_and_scope),
      T(test_method),
      T(test_path),
      T(test_header_names),
      T(test_header_values),
      T(test_query),
      T(test_host),
      T(test_presign_host),
      T(test_timestamp),
      T(test_expires),
      T(test_payload_hash),
      T(test_counts_without_arrays),
      T(test_scheme),
      T(test_iam_list_users),
      T(test_s3_get_object),
      T(test_s3_presigned_url),
      T(test_key_cache),
      T(test_secret_lengths),
      T(test_content_sha256),
      T(test_caller_content_sha256),
      T(test_session_token),
      T(test_output_header_order),
      T(test_header_canonicalization),
      T(test_path_encoding_flags),
      T(test_query_encoding),
      T(test_uri_encode),
      T(test_uri_encode_size),
      T(test_uri_encode_path),
      T(test_hex),
  };
#undef T
  return cmocka_run_group_tests_name("sigv4", tests, NULL, NULL);
}
