/* The reader of the shared files, one rule a test, beyond the specification's
 * cases (test_profiles.c): limits, encodings, errors, the iterator. Where
 * botocore and the specification agree, expected values were checked against
 * python3-botocore's raw_config_parse; lib/ini.h and docs/config.md say where
 * they differ and which uvaws follows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini.h"

static ini_t *parse_ok(const char *text) {
  ini_t *ini = NULL;
  int line = -1;
  int rc = ini_parse(text, strlen(text), &ini, &line);
  assert_int_equal(rc, 0);
  assert_int_equal(line, 0);
  assert_non_null(ini);
  return ini;
}

/* Returns the error line; asserts UVAWS_ECONFIG. */
static int parse_err_n(const char *text, size_t n) {
  ini_t *ini = (ini_t *)1;
  int line = 0;
  assert_int_equal(ini_parse(text, n, &ini, &line), UVAWS_ECONFIG);
  assert_null(ini);
  return line;
}

static int parse_err(const char *text) { return parse_err_n(text, strlen(text)); }

static void test_basic(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default]\n"
                        "region=us-east-1\n"
                        "output   =   json   \n"
                        "Mixed_Case = v\n"
                        "my key = spaced\n"
                        "colon: yes\n"
                        "url = http://localhost:8000/x\n");
  assert_string_equal(ini_get(ini, "default", "region"), "us-east-1");
  assert_string_equal(ini_get(ini, "default", "output"), "json");
  /* keys are lower-cased as RawConfigParser's optionxform does */
  assert_string_equal(ini_get(ini, "default", "mixed_case"), "v");
  assert_string_equal(ini_get(ini, "default", "MIXED_CASE"), "v");
  assert_null(ini_get(ini, "default", "my key")); /* not a valid name: ignored */
  assert_string_equal(ini_get(ini, "default", "colon"), "yes");
  assert_string_equal(ini_get(ini, "default", "url"), "http://localhost:8000/x");
  assert_null(ini_get(ini, "default", "missing"));
  assert_null(ini_get(ini, "Default", "region")); /* section names are case-sensitive */
  assert_int_equal(ini_has_section(ini, "default"), 1);
  assert_int_equal(ini_has_section(ini, "other"), 0);
  ini_free(ini);
}

static void test_bom(void **state) {
  (void)state;
  ini_t *ini = parse_ok("\xEF\xBB\xBF[default]\nregion = eu-west-1\n");
  assert_string_equal(ini_get(ini, "default", "region"), "eu-west-1");
  ini_free(ini);
  /* only a leading BOM is skipped: one elsewhere is part of the text */
  ini = parse_ok("[default]\nk = \xEF\xBB\xBFv\n");
  assert_string_equal(ini_get(ini, "default", "k"), "\xEF\xBB\xBFv");
  ini_free(ini);
}

static void test_crlf(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default]\r\nregion = us-west-2\r\ns3 =\r\n  addressing_style = path\r\n"
                        "old = mac\rlast = x");
  assert_string_equal(ini_get(ini, "default", "region"), "us-west-2");
  assert_string_equal(ini_get_sub(ini, "default", "s3", "addressing_style"), "path");
  /* a lone CR ends a line too (Python's universal newlines) */
  assert_string_equal(ini_get(ini, "default", "old"), "mac");
  assert_string_equal(ini_get(ini, "default", "last"), "x"); /* no final newline */
  ini_free(ini);
}

static void test_comments(void **state) {
  (void)state;
  ini_t *ini = parse_ok("# top comment\n"
                        "; another\n"
                        "\n"
                        "[default]\n"
                        "   # indented comment\n"
                        "\t; tab comment\n"
                        "region = ap-south-1\n"
                        "#key = commented out\n");
  assert_string_equal(ini_get(ini, "default", "region"), "ap-south-1");
  assert_null(ini_get(ini, "default", "#key"));
  assert_null(ini_get(ini, "default", "key"));
  ini_free(ini);
}

static void test_inline_comments(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default] # header comment\n"
                        "a = v1 # comment\n"
                        "b = v2 ; comment\n"
                        "c = v3\t# tab comment\n"
                        "d = a#b\n"
                        "e = a;b\n"
                        "f =#x\n"
                        "g = # only a comment\n"
                        "h = x ;y ;z\n");
  assert_string_equal(ini_get(ini, "default", "a"), "v1");
  assert_string_equal(ini_get(ini, "default", "b"), "v2");
  assert_string_equal(ini_get(ini, "default", "c"), "v3");
  assert_string_equal(ini_get(ini, "default", "d"), "a#b");
  assert_string_equal(ini_get(ini, "default", "e"), "a;b");
  assert_string_equal(ini_get(ini, "default", "f"), "#x");
  assert_string_equal(ini_get(ini, "default", "g"), "");
  assert_string_equal(ini_get(ini, "default", "h"), "x");
  ini_free(ini);
}

static void test_semicolon_in_command(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[profile p]\ncredential_process = /bin/echo a;b\n"
                        "other = sh -c 'x;y'\n");
  assert_string_equal(ini_get(ini, "profile p", "credential_process"), "/bin/echo a;b");
  assert_string_equal(ini_get(ini, "profile p", "other"), "sh -c 'x;y'");
  ini_free(ini);
}

static void test_long_values(void **state) {
  (void)state;
  size_t sizes[] = {2000, 5000, 200000};
  for (size_t i = 0; i < 3; i++) {
    size_t n = sizes[i];
    char *tok = malloc(n + 1);
    for (size_t j = 0; j < n; j++)
      tok[j] = (char)('A' + j % 26);
    tok[n] = '\0';
    size_t tn = n + 64;
    char *text = malloc(tn);
    snprintf(text, tn, "[default]\naws_session_token = %s\nafter = 1\n", tok);
    ini_t *ini = parse_ok(text);
    assert_string_equal(ini_get(ini, "default", "aws_session_token"), tok);
    assert_string_equal(ini_get(ini, "default", "after"), "1");
    ini_free(ini);
    free(text);
    free(tok);
  }
}

static void test_subsections(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default]\n"
                        "s3 =\n"
                        "  addressing_style = path\n"
                        "\n"
                        "  # a comment inside\n"
                        "  signature_version=s3v4 ; kept\n"
                        "  Case_Kept = yes\n"
                        "  eq = a = b\n"
                        "region = us-east-1\n"
                        "[services local]\n"
                        "dynamodb =\n"
                        "\tendpoint_url = http://localhost:8000\n");
  assert_string_equal(ini_get(ini, "default", "s3"), "");
  assert_string_equal(ini_get_sub(ini, "default", "s3", "addressing_style"), "path");
  /* a sub-key line is a continuation line: no inline comment in it */
  assert_string_equal(ini_get_sub(ini, "default", "s3", "signature_version"), "s3v4 ; kept");
  assert_string_equal(ini_get_sub(ini, "default", "s3", "Case_Kept"), "yes");
  assert_null(ini_get_sub(ini, "default", "s3", "case_kept")); /* sub-keys keep their case */
  assert_string_equal(ini_get_sub(ini, "default", "s3", "eq"), "a = b");
  assert_null(ini_get_sub(ini, "default", "s3", "missing"));
  assert_null(ini_get_sub(ini, "default", "region", "x"));
  assert_string_equal(ini_get(ini, "default", "region"), "us-east-1");
  assert_string_equal(ini_get_sub(ini, "services local", "dynamodb", "endpoint_url"),
                      "http://localhost:8000");
  ini_free(ini);
}

static void test_subsection_errors(void **state) {
  (void)state;
  assert_int_equal(parse_err("[default]\ns3 =\n  addressing_style = path\n  junk\n"), 4);
  assert_int_equal(parse_err("[default]\ns3 =\n  = v\n"), 3);
  /* a colon does not split sub-keys (botocore's _parse_nested splits on '=') */
  assert_int_equal(parse_err("[default]\ns3 =\n  a: b\n"), 3);
}

static void test_continuation(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default]\n"
                        "a = first\n"
                        "  second\n"
                        "\n"
                        "  # skipped comment\n"
                        "  third # inline\n"
                        "\n"
                        "b = 2\n"
                        "c = x\n"
                        "  y = z\n");
  /* blank and comment lines skipped, an inline '#' kept */
  assert_string_equal(ini_get(ini, "default", "a"), "first\nsecond\nthird # inline");
  assert_string_equal(ini_get(ini, "default", "b"), "2");
  /* a non-empty value continues as text even when the line looks like a key */
  assert_string_equal(ini_get(ini, "default", "c"), "x\ny = z");
  ini_free(ini);
}

static void test_indentation(void **state) {
  (void)state;
  /* keys indented alike are separate keys; only deeper lines continue */
  ini_t *ini = parse_ok("[default]\n"
                        "  a = 1\n"
                        "  b = 2\n"
                        "      more\n"
                        "\tc = 3\n");
  assert_string_equal(ini_get(ini, "default", "a"), "1");
  assert_string_equal(ini_get(ini, "default", "b"), "2\nmore");
  assert_string_equal(ini_get(ini, "default", "c"), "3");
  ini_free(ini);
}

static void test_empty_values(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[default]\nk=\nspaces =    \nlast =");
  assert_string_equal(ini_get(ini, "default", "k"), "");
  assert_string_equal(ini_get(ini, "default", "spaces"), "");
  assert_string_equal(ini_get(ini, "default", "last"), "");
  ini_free(ini);
  ini = parse_ok("");
  assert_int_equal(ini_section_count(ini), 0);
  ini_free(ini);
  ini = parse_ok("[empty]\n");
  assert_int_equal(ini_has_section(ini, "empty"), 1);
  ini_free(ini);
}

static void test_repeated(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[a]\nx = 1\ny = 1\nx = 2\n[b]\nx = b\n[a]\ny = 3\n");
  assert_string_equal(ini_get(ini, "a", "x"), "2");
  assert_string_equal(ini_get(ini, "a", "y"), "3");
  assert_string_equal(ini_get(ini, "b", "x"), "b");
  assert_int_equal(ini_section_count(ini), 3);
  assert_string_equal(ini_section_name(ini, 0), "a");
  assert_string_equal(ini_section_name(ini, 1), "b");
  assert_string_equal(ini_section_name(ini, 2), "a");
  assert_null(ini_section_name(ini, 3));
  assert_string_equal(ini_get_at(ini, 0, "y"), "1");
  assert_string_equal(ini_get_at(ini, 2, "y"), "3");
  assert_null(ini_get_at(ini, 2, "x"));
  assert_null(ini_get_at(ini, 9, "x"));
  ini_free(ini);
}

static void test_section_headers(void **state) {
  (void)state;
  ini_t *ini = parse_ok("[ default ]\na = 1\n"
                        "[profile   foo  ]\nb = 2\n"
                        "[x] trailing text\nc = 3\n"
                        "[a]b]\nd = 4\n"
                        "[y] ; see [z]\ne = 5\n"
                        "[w]#c]\nf = 6\n"
                        "[]\ng = 7\n");
  /* names are trimmed at both ends, kept inside */
  assert_string_equal(ini_get(ini, "default", "a"), "1");
  assert_string_equal(ini_get(ini, "profile   foo", "b"), "2");
  /* text after the closing ']' that is no comment is ignored, as botocore */
  assert_string_equal(ini_get(ini, "x", "c"), "3");
  assert_string_equal(ini_get(ini, "a]b", "d"), "4");
  /* a comment after the ']' may hold brackets; one right after the ']' ends
   * the name there */
  assert_string_equal(ini_get(ini, "y", "e"), "5");
  assert_string_equal(ini_get(ini, "w", "f"), "6");
  /* an empty name is a section (never a profile), not an error */
  assert_string_equal(ini_get(ini, "", "g"), "7");
  ini_free(ini);
  assert_int_equal(parse_err("[default]\na = 1\n[unclosed\n"), 3);
  assert_int_equal(parse_err("[\n"), 1);
  assert_int_equal(parse_err("[default]\n[profile x = 1\n"), 2);
}

static void test_error_lines(void **state) {
  (void)state;
  assert_int_equal(parse_err("key = before section\n"), 1);
  assert_int_equal(parse_err("# c\n\n  key = v\n[default]\n"), 3);
  assert_int_equal(parse_err("[default]\na = 1\nno delimiter here\n"), 3);
  assert_int_equal(parse_err("[default]\n\n=value\n"), 3);
  assert_int_equal(parse_err("[default]\n   = value\n"), 2);
  assert_int_equal(parse_err("[default]\r\na = 1\r\nbad\r\n"), 3);
  assert_int_equal(parse_err("[default]\ra = 1\rbad\r"), 3);
  assert_int_equal(parse_err("\xEF\xBB\xBF[default]\nbad\n"), 2);
  assert_int_equal(parse_err("[default]\na = \xff\n"), 2);
  assert_int_equal(parse_err("[default]\na = \xc0\xaf\n"), 2);       /* overlong */
  assert_int_equal(parse_err("[default]\na = \xed\xa0\x80\n"), 2);   /* surrogate */
  assert_int_equal(parse_err("[default]\na = \xe2\x82\n"), 2);       /* truncated */
  assert_int_equal(parse_err_n("[default]\n\na = x\0y\n", 17), 3); /* NUL */
  /* valid multi-byte text is fine */
  ini_t *ini = parse_ok("[default]\nname = caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
  assert_string_equal(ini_get(ini, "default", "name"), "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
  ini_free(ini);
}

static void test_null_args(void **state) {
  (void)state;
  ini_t *ini = NULL;
  assert_int_equal(ini_parse(NULL, 0, &ini, NULL), 0);
  ini_free(ini);
  assert_int_equal(ini_parse(NULL, 3, &ini, NULL), UVAWS_EINVAL);
  assert_int_equal(ini_parse("", 0, NULL, NULL), UVAWS_EINVAL);
  assert_null(ini_get(NULL, "a", "b"));
  assert_null(ini_get_sub(NULL, "a", "b", "c"));
  assert_int_equal(ini_has_section(NULL, "a"), 0);
  assert_int_equal(ini_section_count(NULL), 0);
  ini_free(NULL);
  assert_int_equal(ini_load_file(NULL, &ini, NULL), UVAWS_EINVAL);
}

/* ---- files ---- */

static char tmpdir[256];

static int setup_dir(void **state) {
  (void)state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/uvaws-ini-XXXXXX");
  return mkdtemp(tmpdir) != NULL ? 0 : -1;
}

static int teardown_dir(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *data, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
}

static void test_file_ok_and_parse_error(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/credentials", tmpdir);
  const char *good = "[default]\naws_secret_access_key = SECRETabc123\n";
  write_file(path, good, strlen(good));
  ini_t *ini = NULL;
  uvaws_error_t err = {0};
  assert_int_equal(ini_load_file(path, &ini, &err), 0);
  assert_string_equal(ini_get(ini, "default", "aws_secret_access_key"), "SECRETabc123");
  ini_free(ini);

  const char *bad = "[default]\naws_secret_access_key = SECRETabc123\nSECRETxyz789\n";
  write_file(path, bad, strlen(bad));
  assert_int_equal(ini_load_file(path, &ini, &err), UVAWS_ECONFIG);
  assert_null(ini);
  char want[600];
  snprintf(want, sizeof want, "%s:3: ", path);
  assert_non_null(err.detail);
  assert_non_null(strstr(err.detail, want));
  assert_null(strstr(err.detail, "SECRET")); /* the line's text never shows */
  uvaws_error_clear(&err);
}

static void test_file_missing(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/does-not-exist", tmpdir);
  ini_t *ini = (ini_t *)1;
  uvaws_error_t err = {0};
  assert_int_equal(ini_load_file(path, &ini, &err), UVAWS_ENOCONFIG);
  assert_null(ini);
  assert_non_null(strstr(err.detail, path));
  /* a directory is not a config file (botocore: os.path.isfile) */
  assert_int_equal(ini_load_file(tmpdir, &ini, &err), UVAWS_ENOCONFIG);
  assert_non_null(strstr(err.detail, "not a regular file"));
  /* err may be NULL */
  assert_int_equal(ini_load_file(path, &ini, NULL), UVAWS_ENOCONFIG);
  uvaws_error_clear(&err);
}

static void test_file_unreadable(void **state) {
  (void)state;
  ini_t *ini = NULL;
  uvaws_error_t err = {0};
  char path[512];
  if (geteuid() == 0) {
    /* root reads any mode; /proc/self/mem opens as a regular file and then
     * fails to read at offset 0 */
    snprintf(path, sizeof path, "/proc/self/mem");
  } else {
    snprintf(path, sizeof path, "%s/unreadable", tmpdir);
    write_file(path, "[a]\n", 4);
    chmod(path, 0);
  }
  assert_int_equal(ini_load_file(path, &ini, &err), UVAWS_ECONFIG);
  assert_null(ini);
  assert_non_null(strstr(err.detail, path));
  uvaws_error_clear(&err);
}

static void test_file_size_cap(void **state) {
  (void)state;
  char path[512];
  snprintf(path, sizeof path, "%s/big", tmpdir);
  size_t cap = 1024 * 1024;
  char *data = malloc(cap + 1);
  memset(data, '#', cap + 1);
  memcpy(data, "[default]\nk = v\n", 16);
  data[cap - 1] = '\n';
  write_file(path, data, cap); /* exactly 1 MiB: accepted */
  ini_t *ini = NULL;
  uvaws_error_t err = {0};
  assert_int_equal(ini_load_file(path, &ini, &err), 0);
  assert_string_equal(ini_get(ini, "default", "k"), "v");
  ini_free(ini);
  write_file(path, data, cap + 1); /* one byte more: refused */
  assert_int_equal(ini_load_file(path, &ini, &err), UVAWS_ECONFIG);
  assert_non_null(strstr(err.detail, "1 MiB"));
  assert_non_null(strstr(err.detail, path));
  uvaws_error_clear(&err);
  free(data);
}

int main(void) {
  const struct CMUnitTest parse_tests[] = {
      cmocka_unit_test(test_basic),
      cmocka_unit_test(test_bom),
      cmocka_unit_test(test_crlf),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_inline_comments),
      cmocka_unit_test(test_semicolon_in_command),
      cmocka_unit_test(test_long_values),
      cmocka_unit_test(test_subsections),
      cmocka_unit_test(test_subsection_errors),
      cmocka_unit_test(test_continuation),
      cmocka_unit_test(test_indentation),
      cmocka_unit_test(test_empty_values),
      cmocka_unit_test(test_repeated),
      cmocka_unit_test(test_section_headers),
      cmocka_unit_test(test_error_lines),
      cmocka_unit_test(test_null_args),
  };
  const struct CMUnitTest file_tests[] = {
      cmocka_unit_test(test_file_ok_and_parse_error),
      cmocka_unit_test(test_file_missing),
      cmocka_unit_test(test_file_unreadable),
      cmocka_unit_test(test_file_size_cap),
  };
  int failed = cmocka_run_group_tests_name("ini_parse", parse_tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("ini_files", file_tests, setup_dir, teardown_dir);
  return failed != 0;
}
