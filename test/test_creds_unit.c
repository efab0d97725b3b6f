/* What credential sources answer, checked without a network: the strict
 * RFC 3339 reader (a table of good and bad times, every truncation of every
 * good one, each read from a buffer of exactly its length so that ASan sees
 * any byte read past it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "rfc3339.h"

/* rfc3339_parse on a heap copy of exactly n bytes (no NUL after it). */
static int parse_exact(const char *s, size_t n, int64_t *out) {
  char *copy = malloc(n ? n : 1);
  assert_non_null(copy);
  memcpy(copy, s, n);
  int rc = rfc3339_parse(copy, n, out);
  free(copy);
  return rc;
}

static const struct {
  const char *text;
  int64_t want;
} good_times[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2026-11-23T20:05:36Z", 1795464336},
    {"2000-02-29T12:00:00Z", 951825600},          /* divisible by 400: leap */
    {"2024-02-29T23:59:59Z", 1709251199},
    {"2100-03-01T00:00:00Z", 4107542400},          /* 2100 is no leap year */
    {"2099-01-01T00:00:00+01:00", 4070905200},
    {"2099-01-01T00:00:00-05:30", 4070928600},
    {"2099-01-01T00:00:00+00:00", 4070908800},
    {"2099-01-01T00:00:00-00:00", 4070908800},
    {"2021-06-30T23:59:59Z", 1625097599},
    {"2021-06-30T23:59:59.999999999Z", 1625097599}, /* fractions round down */
    {"2021-06-30T23:59:59.5+00:00", 1625097599},
    {"2021-06-30T23:59:60Z", 1625097599},           /* a leap second */
    {"2016-12-31T23:59:59Z", 1483228799},
    {"2021-06-30t23:59:59z", 1625097599},           /* RFC 3339 allows lower case */
    {"1969-12-31T23:59:59Z", -1},
    {"0000-01-01T00:00:00Z", -62167219200},
    {"9999-12-31T23:59:59Z", 253402300799},
    {"2099-12-31T23:59:59+23:59", 4102444799 - 86340},
};

static const char *const bad_times[] = {
    "2099-01-01T00:00:00+1:2", /* the offset that once read past the end */
    "2099-01-01T00:00:00+01", "2099-01-01T00:00:00+0100", "2099-01-01T00:00:00+01:0",
    "2099-01-01T00:00:00+24:00", "2099-01-01T00:00:00+01:60", "2099-01-01T00:00:00+01:00Z",
    "2099-01-01T00:00:00", "2099-01-01T00:00:00ZZ", "2099-01-01T00:00:00Z ",
    " 2099-01-01T00:00:00Z", "2099-01-01 00:00:00Z", "2099-01-01T00:00Z", "2099-1-01T00:00:00Z",
    "+2099-01-01T00:00:00Z", "20990101T000000Z", "2099-01-01T00:00:00.Z",
    "2099-01-01T00:00:00,5Z", "2099-01-01T00:00:00.5", "2099-01-01T00:00:00UTC",
    "2099-01-01T00:00:00GMT", "2099-01-01T00:00:00+01:00:00", "1900-02-29T00:00:00Z",
    "2023-02-29T00:00:00Z", "2021-04-31T00:00:00Z", "2021-13-01T00:00:00Z",
    "2021-00-01T00:00:00Z", "2021-01-00T00:00:00Z", "2021-01-32T00:00:00Z",
    "2021-01-01T24:00:00Z", "2021-01-01T23:60:00Z", "2021-01-01T23:58:60Z",
    "2021-01-01T23:59:61Z", "2021-01-01T0a:00:00Z", "2021-01-01T00:00:00.1a1Z",
    "2021-01-01X00:00:00Z", "2021/01/01T00:00:00Z", "-001-01-01T00:00:00Z", "", "Z",
    "2021-01-01T00:00:00-", "2021-01-01T00:00:00+", "2021-01-01T00:00:00.",
};

static void test_rfc3339_good(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof good_times / sizeof *good_times; i++) {
    const char *s = good_times[i].text;
    int64_t t = 12345;
    if (parse_exact(s, strlen(s), &t) != 0 || t != good_times[i].want)
      print_error("%s: got %lld, want %lld\n", s, (long long)t, (long long)good_times[i].want);
    assert_int_equal(parse_exact(s, strlen(s), &t), 0);
    assert_true(t == good_times[i].want);
  }
}

static void test_rfc3339_bad(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof bad_times / sizeof *bad_times; i++) {
    int64_t t = 12345;
    if (parse_exact(bad_times[i], strlen(bad_times[i]), &t) == 0)
      print_error("accepted: \"%s\"\n", bad_times[i]);
    assert_int_equal(parse_exact(bad_times[i], strlen(bad_times[i]), &t), -1);
    assert_true(t == 12345); /* left alone */
  }
  int64_t t;
  /* a NUL inside the length is not an end */
  assert_int_equal(parse_exact("2099-01-01T00:00:00Z\0", 21, &t), -1);
  assert_int_equal(parse_exact("2099-01-01T00:00:00\0Z", 21, &t), -1);
  assert_int_equal(rfc3339_parse(NULL, 20, &t), -1);
  assert_int_equal(rfc3339_parse("2099-01-01T00:00:00Z", 20, NULL), -1);
}

/* Every prefix of every good time is refused, and so is every good time
 * with a byte more; each read from a buffer of exactly its length. */
static void test_rfc3339_truncations(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof good_times / sizeof *good_times; i++) {
    const char *s = good_times[i].text;
    size_t n = strlen(s);
    for (size_t k = 0; k < n; k++) {
      int64_t t;
      if (parse_exact(s, k, &t) == 0)
        print_error("accepted the first %zu bytes of %s\n", k, s);
      assert_int_equal(parse_exact(s, k, &t), -1);
    }
    char longer[64];
    for (const char *extra = "0Z+ .:"; *extra; extra++) {
      snprintf(longer, sizeof longer, "%s%c", s, *extra);
      int64_t t;
      assert_int_equal(parse_exact(longer, n + 1, &t), -1);
    }
  }
}

/* Against the C library where both apply (whole seconds in UTC). */
static void test_rfc3339_matches_timegm(void **state) {
  (void)state;
  for (int64_t t = -86400 * 366; t < (int64_t)86400 * 366 * 130; t += 86400 * 7 + 3607) {
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    char text[32];
    strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    int64_t got;
    assert_int_equal(parse_exact(text, strlen(text), &got), 0);
    assert_true(got == t);
    char back[RFC3339_TEXT_MAX];
    assert_string_equal(rfc3339_format(t, back), text);
  }
  char out[RFC3339_TEXT_MAX];
  assert_string_equal(rfc3339_format(INT64_MAX, out), "(out of range)");
  assert_string_equal(rfc3339_format(INT64_MIN, out), "(out of range)");
  assert_string_equal(rfc3339_format(-62167219201, out), "(out of range)");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc3339_good),
      cmocka_unit_test(test_rfc3339_bad),
      cmocka_unit_test(test_rfc3339_truncations),
      cmocka_unit_test(test_rfc3339_matches_timegm),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
