/* What credential sources answer, checked without a network: the strict
 * RFC 3339 reader (a table of good and bad times, every truncation of every
 * good one, each read from a buffer of exactly its length so that ASan sees
 * any byte read past it), credentials JSON with control characters and odd
 * types in every field, container URLs judged on curl's parsed host, IAM
 * role names, credential_process word splitting, and the redaction of key
 * material from a helper's stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "creds_check.h"
#include "creds_process.h"
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

/* ---- credentials JSON --------------------------------------------------------- */

static int from_json(const char *json, size_t len, int full, creds_t *c, const char **why) {
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, json, len);
  int rc = creds_from_json_text(copy, len, "Token", full, c, why);
  free(copy);
  return rc;
}

/* A container-style answer with one field replaced by `value` (raw JSON). */
static char *answer_with(const char *field, const char *value) {
  const char *names[] = {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"};
  const char *values[] = {"\"ASIACONT00000001\"", "\"cont-secret-1\"", "\"cont-token-1\"",
                          "\"2099-01-01T00:00:00Z\""};
  char *out = malloc(1024);
  assert_non_null(out);
  size_t n = 0;
  n += (size_t)snprintf(out + n, 1024 - n, "{");
  for (size_t i = 0; i < 4; i++)
    n += (size_t)snprintf(out + n, 1024 - n, "%s\"%s\": %s", i ? ", " : "", names[i],
                          strcmp(names[i], field) == 0 ? value : values[i]);
  snprintf(out + n, 1024 - n, "}");
  return out;
}

static void test_creds_json_fields(void **state) {
  (void)state;
  creds_t c;
  const char *why = NULL;
  char *good = answer_with("", "");
  assert_int_equal(from_json(good, strlen(good), 1, &c, &why), 0);
  assert_string_equal(c.access_key, "ASIACONT00000001");
  assert_string_equal(c.session_token, "cont-token-1");
  assert_true(c.expiration == 4070908800);
  creds_clear(&c);
  free(good);

  /* every field with every control character, and a few other wrong things */
  const char *fields[] = {"AccessKeyId", "SecretAccessKey", "Token"};
  const char *bad_values[] = {"\"a\\rb\"", "\"a\\nb\"", "\"a\\u0000b\"", "\"\\u0000\"",
                              "\"a\\tb\"", "\"a\\u007fb\"", "\"a\\u001bb\"", "\"\"", "42",
                              "null", "[\"x\"]", "{}", "true"};
  for (size_t f = 0; f < 3; f++) {
    for (size_t v = 0; v < sizeof bad_values / sizeof *bad_values; v++) {
      char *j = answer_with(fields[f], bad_values[v]);
      why = NULL;
      if (from_json(j, strlen(j), 1, &c, &why) == 0)
        print_error("accepted %s\n", j);
      assert_int_equal(from_json(j, strlen(j), 1, &c, &why), -1);
      assert_non_null(why);
      assert_null(c.access_key);
      free(j);
    }
  }
  /* key ids go into the signature's scope: nothing that could not */
  const char *bad_ids[] = {"\"AKID/X\"", "\"AKID X\"", "\"AKID,X\"", "\"AKID=\"", "\"ÄKID\""};
  for (size_t i = 0; i < sizeof bad_ids / sizeof *bad_ids; i++) {
    char *j = answer_with("AccessKeyId", bad_ids[i]);
    assert_int_equal(from_json(j, strlen(j), 1, &c, &why), -1);
    free(j);
  }
  /* at most 128 characters (IAM's limit) */
  for (int len = 127; len <= 130; len++) {
    char id[140];
    snprintf(id, sizeof id, "\"%.*s\"", len,
             "ASIA0000000000000000000000000000000000000000000000000000000000000000000000000000"
             "000000000000000000000000000000000000000000000000000000000000000000000000000000");
    char *k = answer_with("AccessKeyId", id);
    int rc = from_json(k, strlen(k), 1, &c, &why);
    if (rc != (len <= 128 ? 0 : -1))
      fail_msg("a key id of %d characters: %s", len, rc == 0 ? "taken" : "refused");
    creds_clear(&c);
    free(k);
  }
  /* Expiration: a string in RFC 3339 or nothing */
  const char *bad_exp[] = {"\"2099-01-01T00:00:00+1:2\"", "\"tomorrow\"", "4070908800", "null",
                           "\"\"", "\"2099-01-01\""};
  for (size_t i = 0; i < sizeof bad_exp / sizeof *bad_exp; i++) {
    char *j = answer_with("Expiration", bad_exp[i]);
    assert_int_equal(from_json(j, strlen(j), 1, &c, &why), -1);
    assert_non_null(why);
    free(j);
  }
  /* the epoch itself is a time that has passed, not "never expires" */
  char *j = answer_with("Expiration", "\"1970-01-01T00:00:00Z\"");
  assert_int_equal(from_json(j, strlen(j), 1, &c, &why), 0);
  assert_true(c.expiration < 0);
  creds_clear(&c);
  free(j);
  /* a raw NUL byte anywhere, and non-JSON */
  const char raw[] = "{\"AccessKeyId\": \"ASIA\0X\", \"SecretAccessKey\": \"s\"}";
  assert_int_equal(creds_from_json_text(raw, sizeof raw - 1, "Token", 0, &c, &why), -1);
  assert_int_equal(from_json("not json", 8, 0, &c, &why), -1);
  assert_int_equal(from_json("[]", 2, 0, &c, &why), -1);
  /* full answers need the token and Expiration; process answers do not */
  const char *min = "{\"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s\"}";
  assert_int_equal(from_json(min, strlen(min), 1, &c, &why), -1);
  assert_int_equal(from_json(min, strlen(min), 0, &c, &why), 0);
  assert_true(c.expiration == 0);
  assert_null(c.session_token);
  creds_clear(&c);
  /* IMDS says whether it succeeded */
  const char *failed = "{\"Code\": \"AssumeRoleUnauthorizedAccess\", \"AccessKeyId\": \"A\", "
                       "\"SecretAccessKey\": \"s\"}";
  assert_int_equal(from_json(failed, strlen(failed), 0, &c, &why), -1);
}

static void test_process_json(void **state) {
  (void)state;
  creds_t c;
  const char *why;
  const char *ok = "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s\", "
                   "\"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}";
  assert_int_equal(creds_from_process_json(ok, strlen(ok), &c, &why), 0);
  assert_string_equal(c.session_token, "t");
  creds_clear(&c);
  const char *v2 = "{\"Version\": 2, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s\"}";
  assert_int_equal(creds_from_process_json(v2, strlen(v2), &c, &why), -1);
  assert_non_null(strstr(why, "Version"));
  const char *cr = "{\"Version\": 1, \"AccessKeyId\": \"AKID\", \"SecretAccessKey\": \"s\", "
                   "\"SessionToken\": \"t\\r\\nX-Evil: 1\"}";
  assert_int_equal(creds_from_process_json(cr, strlen(cr), &c, &why), -1);
  assert_non_null(strstr(why, "token"));
  /* a key repeated: the last one, as the CLI's json.loads reads it (a bad
   * first value is no reason to refuse, a bad last one is) */
  const char *twice = "{\"Version\": 1, \"AccessKeyId\": \"A1\", \"SecretAccessKey\": \"s\", "
                      "\"AccessKeyId\": \"A2\", \"Version\": 2, \"Version\": 1}";
  assert_int_equal(creds_from_process_json(twice, strlen(twice), &c, &why), 0);
  assert_string_equal(c.access_key, "A2");
  creds_clear(&c);
  const char *bad_last = "{\"Version\": 1, \"AccessKeyId\": \"A1\", \"SecretAccessKey\": \"s\", "
                         "\"SessionToken\": \"t\", \"SessionToken\": \"t\\r\\nX-Evil: 1\"}";
  assert_int_equal(creds_from_process_json(bad_last, strlen(bad_last), &c, &why), -1);
  /* a container answer: the same rule */
  const char *cont = "{\"AccessKeyId\": \"A1\", \"SecretAccessKey\": \"s1\", \"Token\": \"t\", "
                     "\"Expiration\": \"2099-01-01T00:00:00Z\", \"SecretAccessKey\": \"s2\"}";
  assert_int_equal(from_json(cont, strlen(cont), 0, &c, &why), 0);
  assert_string_equal(c.secret_key, "s2");
  creds_clear(&c);
}

/* ---- container URLs ---------------------------------------------------------- */

static void test_container_urls(void **state) {
  (void)state;
  static const struct {
    const char *url, *fetched; /* fetched NULL: refused */
  } cases[] = {
      {"http://127.0.0.1:8080/creds", "http://127.0.0.1:8080/creds"},
      {"http://127.1.2.3/creds", "http://127.1.2.3/creds"},
      {"http://localhost/creds", "http://localhost/creds"},
      {"http://LocalHost:9/creds", "http://LocalHost:9/creds"},
      {"http://[::1]:8080/creds", "http://[::1]:8080/creds"},
      {"http://[0:0:0:0:0:0:0:1]/creds", "http://[::1]/creds"},
      {"http://[::ffff:127.0.0.1]/creds", "http://[::ffff:127.0.0.1]/creds"},
      {"http://169.254.170.2/v2/credentials", "http://169.254.170.2/v2/credentials"},
      {"http://169.254.170.23/v1/credentials", "http://169.254.170.23/v1/credentials"},
      {"http://[fd00:ec2::23]/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"},
      {"http://[fd00:ec2:0:0::23]/v1/credentials", "http://[fd00:ec2::23]/v1/credentials"},
      {"HTTP://127.0.0.1/creds", "http://127.0.0.1/creds"},
      /* numeric forms curl reads as 127.0.0.1: judged, and fetched, as such */
      {"http://2130706433/creds", "http://127.0.0.1/creds"},
      {"http://0177.0.0.1/creds", "http://127.0.0.1/creds"},
      {"http://0x7f000001/creds", "http://127.0.0.1/creds"},
      {"http://127.1/creds", "http://127.0.0.1/creds"},
      {"https://creds.example.com/x", "https://creds.example.com/x"},
      {"HTTPS://192.0.2.1/x", "https://192.0.2.1/x"},
      /* refused */
      {"http://127.0.0.1@192.0.2.1/creds", NULL},
      {"http://user:pw@127.0.0.1/creds", NULL},
      {"http://:@127.0.0.1/creds", NULL},
      {"http://127.0.0.1%2f@192.0.2.1/creds", NULL},
      {"https://user@creds.example.com/x", NULL},
      {"http://192.0.2.1/creds", NULL},
      {"http://127.0.0.1.nip.io/creds", NULL},
      {"http://169.254.170.2.nip.io/creds", NULL},
      {"http://localhost.evil.example/creds", NULL},
      {"http://localhost./creds", NULL},
      {"http://169.254.169.254/latest", NULL},
      {"http://169.254.170.3/creds", NULL},
      {"http://[fe80::1%25eth0]/creds", NULL},
      {"http://[fd00:ec2::24]/creds", NULL},
      {"http://[::2]/creds", NULL},
      {"http://3232235777/creds", NULL}, /* 192.168.1.1 */
      {"ftp://127.0.0.1/creds", NULL},
      {"file:///etc/passwd", NULL},
      {"127.0.0.1/creds", NULL},
      {"http://127.0.0.1:99999/creds", NULL},
      {"", NULL},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *fetched = NULL;
    const char *why = NULL;
    int rc = creds_container_url(cases[i].url, &fetched, &why);
    if ((rc == 0) != (cases[i].fetched != NULL))
      print_error("%s: %s\n", cases[i].url, rc == 0 ? "allowed" : why);
    if (cases[i].fetched) {
      assert_int_equal(rc, 0);
      assert_string_equal(fetched, cases[i].fetched);
    } else {
      assert_int_equal(rc, -1);
      assert_null(fetched);
      assert_non_null(why);
    }
    free(fetched);
  }
}

static void test_role_names(void **state) {
  (void)state;
  assert_true(creds_role_name_ok("uvaws-test-role", 15));
  assert_true(creds_role_name_ok("a+b=c,d.e@f_g-h", 15));
  const char *bad[] = {"", "../../latest/api/token", "role?x=1", "role#x", "role x", "role/x",
                       "rôle", "role\x01"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_false(creds_role_name_ok(bad[i], strlen(bad[i])));
  char long_name[130];
  memset(long_name, 'r', sizeof long_name);
  assert_true(creds_role_name_ok(long_name, 128));
  assert_false(creds_role_name_ok(long_name, 129));
}

/* ---- credential_process words ------------------------------------------------------ */

static void test_split_words(void **state) {
  (void)state;
  static const struct {
    const char *command;
    const char *words[6]; /* NULL-terminated; words[0] NULL: refused */
  } cases[] = {
      {"/bin/helper", {"/bin/helper"}},
      {"  /bin/helper   a\tb  ", {"/bin/helper", "a", "b"}},
      {"helper 'a b' \"c d\"", {"helper", "a b", "c d"}},
      {"helper 'a;b' a;b a|b", {"helper", "a;b", "a;b", "a|b"}},
      {"helper 'it''s'", {"helper", "its"}},
      {"helper \"say \\\"hi\\\"\"", {"helper", "say \"hi\""}},
      {"helper \"\\\\ \\$HOME \\` \\x\"", {"helper", "\\ $HOME ` \\x"}},
      {"helper 'no \\escape \"here\"'", {"helper", "no \\escape \"here\""}},
      {"helper a\\ b c\\\"d \\'e", {"helper", "a b", "c\"d", "'e"}},
      {"helper $HOME ~ *", {"helper", "$HOME", "~", "*"}},
      {"helper a''b \"\"c", {"helper", "ab", "c"}},
      {"helper ''", {"helper", ""}},
      {"helper 'unclosed", {NULL}},
      {"helper \"unclosed", {NULL}},
      {"helper trailing\\", {NULL}},
      {"", {NULL}},
      {"   ", {NULL}},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char **w = creds_split_words(cases[i].command);
    if (cases[i].words[0] == NULL) {
      if (w != NULL)
        print_error("split: %s\n", cases[i].command);
      assert_null(w);
      continue;
    }
    assert_non_null(w);
    size_t n = 0;
    for (; cases[i].words[n] != NULL; n++) {
      if (w[n] == NULL || strcmp(w[n], cases[i].words[n]) != 0)
        print_error("%s: word %zu is \"%s\", want \"%s\"\n", cases[i].command, n,
                    w[n] ? w[n] : "(none)", cases[i].words[n]);
      assert_non_null(w[n]);
      assert_string_equal(w[n], cases[i].words[n]);
    }
    assert_null(w[n]);
    creds_free_words(w);
  }
}

/* ---- redaction of a helper's stderr ------------------------------------------------------ */

static void test_redact(void **state) {
  (void)state;
  static const struct {
    const char *in, *secret; /* secret: must not survive */
  } cases[] = {
      {"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"},
      {"aws_secret_access_key = short", "short"},
      {"AWS_SECRET_ACCESS_KEY: hunter2", "hunter2"},
      {"{\"SecretAccessKey\": \"abc\", \"x\": 1}", "abc"},
      {"{\"SessionToken\":\"tok\"}", "tok"},
      {"failed for AKIAIOSFODNN7EXAMPLE today", "AKIAIOSFODNN7EXAMPLE"},
      {"failed for ASIAXYZXYZXYZXYZXYZ1 today", "ASIAXYZXYZXYZXYZXYZ1"},
      {"token=FwoGZXIvYXdzEJr//////////wEaDOWmRSO3", "FwoGZXIvYXdzEJr"},
      {"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc123DEF456", "eyJhbGciOiJIUzI1NiJ9"},
      {"password='p@ss w0rd'", "p@ss"},
      {"signature 0123456789abcdef0123456789abcdef", "0123456789abcdef"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[200];
    creds_redact(cases[i].in, strlen(cases[i].in), out, sizeof out);
    if (strstr(out, cases[i].secret) != NULL || strstr(out, "[redacted]") == NULL)
      print_error("%s -> %s\n", cases[i].in, out);
    assert_null(strstr(out, cases[i].secret));
    assert_non_null(strstr(out, "[redacted]"));
  }
  /* plain words stay readable; the first line only; control bytes shown as '?' */
  char out[200];
  const char *msg = "cannot reach the vault at /usr/local/bin/vault-agent\nsecond line";
  creds_redact(msg, strlen(msg), out, sizeof out);
  assert_string_equal(out, "cannot reach the vault at /usr/local/bin/vault-agent");
  creds_redact("a\x1b[31mb\x7f\xc3\xa9", 10, out, sizeof out);
  assert_string_equal(out, "a?[31mb???");
  char small[8];
  creds_redact("a very long line", 16, small, sizeof small);
  assert_string_equal(small, "a very ");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc3339_good),
      cmocka_unit_test(test_rfc3339_bad),
      cmocka_unit_test(test_rfc3339_truncations),
      cmocka_unit_test(test_rfc3339_matches_timegm),
      cmocka_unit_test(test_creds_json_fields),
      cmocka_unit_test(test_process_json),
      cmocka_unit_test(test_container_urls),
      cmocka_unit_test(test_role_names),
      cmocka_unit_test(test_split_words),
      cmocka_unit_test(test_redact),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
