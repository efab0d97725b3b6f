/* Configuration resolution: each source alone, then the precedence between
 * them, for profile, region, endpoint, credentials and retry settings. Every
 * test runs with a fresh temporary HOME and no AWS_* variable from the
 * developer's environment. */
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

#include "config.h"
#include "config_internal.h"
#include "testutil.h"

static char home[256];


static int setup(void **state) {
  (void)state;
  clear_aws_env();
  snprintf(home, sizeof home, "/tmp/uvaws-config-XXXXXX");
  if (mkdtemp(home) == NULL)
    return -1;
  setenv("HOME", home, 1);
  char aws[300];
  snprintf(aws, sizeof aws, "%s/.aws", home);
  return mkdir(aws, 0700);
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", home);
  clear_aws_env();
  return system(cmd) == 0 ? 0 : -1;
}

/* Writes HOME/rel. */
static void put(const char *rel, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", home, rel);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static char *path_of(const char *rel) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", home, rel);
  return path;
}

static const config_input_t ddb = {.service_id = "DynamoDB", .endpoint_prefix = "dynamodb"};

static void ok(const config_input_t *in, config_t *c) {
  uvaws_error_t err = {0};
  int rc = config_resolve(in, c, &err);
  if (rc != 0)
    fail_msg("config_resolve: %s: %s", uvaws_err_name(rc), err.detail ? err.detail : "");
  uvaws_error_clear(&err);
}

/* Expects `code`; returns the detail (caller frees). */
static char *fails(const config_input_t *in, int code) {
  config_t c;
  uvaws_error_t err = {0};
  int rc = config_resolve(in, &c, &err);
  if (rc != code)
    fail_msg("want %s, got %s (%s)", uvaws_err_name(code), uvaws_err_name(rc),
             err.detail ? err.detail : "");
  assert_int_equal(err.code, code);
  assert_non_null(err.detail);
  assert_null(c.profile); /* zeroed on failure */
  char *d = strdup(err.detail);
  uvaws_error_clear(&err);
  return d;
}

static void has(const char *hay, const char *needle) {
  if (strstr(hay, needle) == NULL)
    fail_msg("\"%s\" does not contain \"%s\"", hay, needle);
}

/* ---- profile ---- */

static void test_profile_implicit_default(void **state) {
  (void)state;
  config_t c;
  ok(&ddb, &c); /* no files at all: fine */
  assert_string_equal(c.profile, "default");
  assert_int_equal(c.profile_explicit, 0);
  assert_string_equal(c.config_file, path_of(".aws/config"));
  assert_string_equal(c.credentials_file, path_of(".aws/credentials"));
  assert_null(c.region);
  assert_null(c.endpoint);
  assert_int_equal(c.creds_source, CREDS_FROM_NONE);
  config_free(&c);
}

static void test_profile_precedence(void **state) {
  (void)state;
  put(".aws/config", "[default]\nregion = r-default-1\n"
                     "[profile opt]\nregion = r-opt-1\n"
                     "[profile env]\nregion = r-env-1\n"
                     "[profile denv]\nregion = r-denv-1\n");
  config_input_t in = ddb;
  config_t c;
  in.profile = "opt";
  setenv("AWS_PROFILE", "env", 1);
  setenv("AWS_DEFAULT_PROFILE", "denv", 1);
  ok(&in, &c);
  assert_string_equal(c.profile, "opt");
  assert_int_equal(c.profile_explicit, 1);
  assert_string_equal(c.region, "r-opt-1");
  config_free(&c);
  in.profile = NULL;
  ok(&in, &c);
  assert_string_equal(c.profile, "env");
  assert_string_equal(c.region, "r-env-1");
  config_free(&c);
  unsetenv("AWS_PROFILE");
  ok(&in, &c);
  assert_string_equal(c.profile, "denv");
  assert_string_equal(c.region, "r-denv-1");
  config_free(&c);
  setenv("AWS_PROFILE", "", 1); /* empty means unset */
  unsetenv("AWS_DEFAULT_PROFILE");
  ok(&in, &c);
  assert_string_equal(c.profile, "default");
  assert_int_equal(c.profile_explicit, 0);
  assert_string_equal(c.region, "r-default-1");
  config_free(&c);
}

static void test_profile_not_found(void **state) {
  (void)state;
  put(".aws/config", "[profile other]\n");
  put(".aws/credentials", "[other2]\n");
  setenv("AWS_PROFILE", "nope", 1);
  char *d = fails(&ddb, UVAWS_ENOPROFILE);
  has(d, "\"nope\"");
  has(d, "AWS_PROFILE");
  has(d, path_of(".aws/config"));
  has(d, path_of(".aws/credentials"));
  free(d);
  unsetenv("AWS_PROFILE");
  config_input_t in = ddb;
  in.profile = "missing";
  d = fails(&in, UVAWS_ENOPROFILE);
  has(d, "\"missing\"");
  has(d, "option");
  free(d);
  /* named explicitly, even "default" must exist (botocore: ProfileNotFound) */
  in.profile = "default";
  free(fails(&in, UVAWS_ENOPROFILE));
}

static void test_profile_section_forms(void **state) {
  (void)state;
  put(".aws/config", "[profile   spaced  ]\nregion = r-sp-1\n"
                     "[profile \"two words\"]\nregion = r-tw-1\n"
                     "[bare]\nregion = r-bare-1\n"
                     "[profilex foo]\nregion = r-x-1\n"
                     "[profile default]\nregion = r-pd-1\n");
  put(".aws/credentials", "[credonly]\naws_access_key_id = AKIDCRED\n"
                          "aws_secret_access_key = SECRETcred\n");
  config_input_t in = ddb;
  config_t c;
  in.profile = "spaced";
  ok(&in, &c);
  assert_string_equal(c.region, "r-sp-1");
  config_free(&c);
  in.profile = "two words";
  ok(&in, &c);
  assert_string_equal(c.region, "r-tw-1");
  config_free(&c);
  in.profile = NULL;
  ok(&in, &c); /* [profile default] is the default profile too */
  assert_string_equal(c.region, "r-pd-1");
  config_free(&c);
  in.profile = "credonly"; /* a profile may live in the credentials file only */
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_CREDENTIALS_FILE);
  config_free(&c);
  /* in the config file, [bare] is not a profile; nor is [profilex foo] */
  in.profile = "bare";
  free(fails(&in, UVAWS_ENOPROFILE));
  in.profile = "foo";
  free(fails(&in, UVAWS_ENOPROFILE));
}

/* The specification's reading of the cases, through config_resolve:
 * [profile default] beats [default] in either order (a region in both came
 * from the later section before), and the credentials file's [ default ] is
 * trimmed (it was silently ignored). */
static void test_profile_default_forms(void **state) {
  (void)state;
  config_t c;
  put(".aws/config", "[profile default]\nregion = r-prefixed-1\n[default]\nregion = r-bare-1\n"
                     "output = text\n");
  ok(&ddb, &c);
  assert_string_equal(c.region, "r-prefixed-1");
  config_free(&c);
  put(".aws/config", "[default]\nregion = r-bare-1\n[profile default]\nregion = r-prefixed-1\n");
  ok(&ddb, &c);
  assert_string_equal(c.region, "r-prefixed-1");
  config_free(&c);
  /* [default] alone is still the default profile */
  put(".aws/config", "[ default ]\nregion = r-bare-1\n");
  ok(&ddb, &c);
  assert_string_equal(c.region, "r-bare-1");
  config_free(&c);
  put(".aws/credentials", "[ default ]\naws_access_key_id = AKIDTRIM\n"
                          "aws_secret_access_key = SECRETtrim\n");
  ok(&ddb, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_CREDENTIALS_FILE);
  assert_string_equal(c.access_key, "AKIDTRIM");
  config_free(&c);
}

/* A name outside the specification's characters matches no section; asked
 * for by name, the error says why. */
static void test_profile_invalid_name(void **state) {
  (void)state;
  put(".aws/config", "[profile bad!name]\nregion = r-bad-1\n[profile good]\n");
  config_input_t in = ddb;
  in.profile = "bad!name";
  char *d = fails(&in, UVAWS_ENOPROFILE);
  has(d, "\"bad!name\"");
  has(d, "not a valid profile name");
  free(d);
  in.profile = "missing"; /* a valid name that is absent: no such remark */
  d = fails(&in, UVAWS_ENOPROFILE);
  assert_null(strstr(d, "valid"));
  free(d);
}

/* ---- files ---- */

static void test_files_from_env(void **state) {
  (void)state;
  put("my-config", "[default]\nregion = r-custom-1\n");
  put("my-creds", "[default]\naws_access_key_id = AKIDX\naws_secret_access_key = SECRETx\n");
  setenv("AWS_CONFIG_FILE", path_of("my-config"), 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "~/my-creds", 1); /* ~ expands */
  config_t c;
  ok(&ddb, &c);
  assert_string_equal(c.region, "r-custom-1");
  assert_string_equal(c.config_file, path_of("my-config"));
  assert_string_equal(c.credentials_file, path_of("my-creds"));
  assert_string_equal(c.access_key, "AKIDX");
  config_free(&c);
  /* $VAR expands as botocore's expandvars does */
  setenv("AWS_CONFIG_FILE", "$HOME/my-config", 1);
  setenv("AWS_SHARED_CREDENTIALS_FILE", "${HOME}/my-creds", 1);
  ok(&ddb, &c);
  assert_string_equal(c.region, "r-custom-1");
  assert_string_equal(c.credentials_file, path_of("my-creds"));
  config_free(&c);
}

static void test_files_named_but_missing(void **state) {
  (void)state;
  setenv("AWS_CONFIG_FILE", path_of("nope-config"), 1);
  char *d = fails(&ddb, UVAWS_ENOCONFIG);
  has(d, "AWS_CONFIG_FILE");
  has(d, path_of("nope-config"));
  free(d);
  unsetenv("AWS_CONFIG_FILE");
  setenv("AWS_SHARED_CREDENTIALS_FILE", path_of("nope-creds"), 1);
  d = fails(&ddb, UVAWS_ENOCONFIG);
  has(d, "AWS_SHARED_CREDENTIALS_FILE");
  has(d, path_of("nope-creds"));
  free(d);
}

static void test_files_parse_error(void **state) {
  (void)state;
  put(".aws/config", "[default]\nregion = us-east-1\n\nbroken line\n");
  char *d = fails(&ddb, UVAWS_ECONFIG);
  char want[600];
  snprintf(want, sizeof want, "%s:4:", path_of(".aws/config"));
  has(d, want);
  free(d);
  put(".aws/config", "[default]\n");
  put(".aws/credentials", "[default]\naws_secret_access_key = SECRETzzz\nSECRETbroken\n");
  d = fails(&ddb, UVAWS_ECONFIG);
  snprintf(want, sizeof want, "%s:3:", path_of(".aws/credentials"));
  has(d, want);
  assert_null(strstr(d, "SECRET"));
  free(d);
}

/* ---- region ---- */

static void test_region_precedence(void **state) {
  (void)state;
  put(".aws/config", "[default]\nregion = eu-west-1\n");
  config_input_t in = ddb;
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.region, "eu-west-1");
  config_free(&c);
  setenv("AWS_DEFAULT_REGION", "eu-west-2", 1);
  ok(&in, &c);
  assert_string_equal(c.region, "eu-west-2");
  config_free(&c);
  setenv("AWS_REGION", "eu-west-3", 1);
  ok(&in, &c);
  assert_string_equal(c.region, "eu-west-3");
  config_free(&c);
  in.region = "eu-central-1";
  ok(&in, &c);
  assert_string_equal(c.region, "eu-central-1");
  config_free(&c);
  /* as botocore merges profiles, the credentials file's region wins over the
   * config file's */
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  in.region = NULL;
  put(".aws/credentials", "[default]\nregion = ap-east-1\n");
  ok(&in, &c);
  assert_string_equal(c.region, "ap-east-1");
  config_free(&c);
}

static void test_region_absent(void **state) {
  (void)state;
  put(".aws/config", "[default]\noutput = json\n");
  config_t c;
  ok(&ddb, &c);
  assert_null(c.region);
  assert_null(c.endpoint); /* nothing to build it from: the caller asks IMDS */
  config_free(&c);
}

static void test_region_invalid(void **state) {
  (void)state;
  config_input_t in = ddb;
  in.region = "us-east-1/evil";
  free(fails(&in, UVAWS_EINVAL));
  in.region = NULL;
  setenv("AWS_REGION", "us east", 1);
  char *d = fails(&in, UVAWS_ECONFIG);
  has(d, "AWS_REGION");
  free(d);
  unsetenv("AWS_REGION");
  put(".aws/config", "[default]\nregion = -bad\n");
  d = fails(&in, UVAWS_ECONFIG);
  has(d, "\"default\"");
  has(d, path_of(".aws/config"));
  free(d);
}

/* ---- endpoint ---- */

static void test_dns_suffixes(void **state) {
  (void)state;
  assert_string_equal(config_dns_suffix("us-east-1"), "amazonaws.com");
  assert_string_equal(config_dns_suffix("cn-north-1"), "amazonaws.com.cn");
  assert_string_equal(config_dns_suffix("cn-northwest-1"), "amazonaws.com.cn");
  assert_string_equal(config_dns_suffix("us-gov-west-1"), "amazonaws.com");
  assert_string_equal(config_dns_suffix("us-iso-east-1"), "c2s.ic.gov");
  assert_string_equal(config_dns_suffix("us-isob-east-1"), "sc2s.sgov.gov");
  assert_string_equal(config_dns_suffix(NULL), "amazonaws.com");
  struct {
    const char *region, *url;
  } cases[] = {
      {"us-east-1", "https://dynamodb.us-east-1.amazonaws.com"},
      {"cn-north-1", "https://dynamodb.cn-north-1.amazonaws.com.cn"},
      {"us-gov-west-1", "https://dynamodb.us-gov-west-1.amazonaws.com"},
      {"us-iso-east-1", "https://dynamodb.us-iso-east-1.c2s.ic.gov"},
      {"us-isob-east-1", "https://dynamodb.us-isob-east-1.sc2s.sgov.gov"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    config_input_t in = ddb;
    in.region = cases[i].region;
    config_t c;
    ok(&in, &c);
    assert_string_equal(c.endpoint, cases[i].url);
    assert_int_equal(c.endpoint_explicit, 0);
    config_free(&c);
  }
}

static void test_endpoint_precedence(void **state) {
  (void)state;
  put(".aws/config", "[default]\nregion = us-east-1\nservices = local\n"
                     "endpoint_url = http://profile-global:1\n"
                     "[services local]\ndynamodb =\n  endpoint_url = http://services-ddb:2\n");
  config_input_t in = ddb;
  in.endpoint = "http://option:9";
  setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://env-ddb:8", 1);
  setenv("AWS_ENDPOINT_URL", "http://env-global:7", 1);
  const char *want[] = {"http://option:9", "http://env-ddb:8", "http://env-global:7",
                        "http://services-ddb:2", "http://profile-global:1"};
  for (size_t i = 0; i < 5; i++) {
    config_t c;
    ok(&in, &c);
    assert_string_equal(c.endpoint, want[i]);
    assert_int_equal(c.endpoint_explicit, 1);
    config_free(&c);
    switch (i) {
    case 0: in.endpoint = NULL; break;
    case 1: unsetenv("AWS_ENDPOINT_URL_DYNAMODB"); break;
    case 2: unsetenv("AWS_ENDPOINT_URL"); break;
    case 3: put(".aws/config", "[default]\nregion = us-east-1\nservices = local\n"
                               "endpoint_url = http://profile-global:1\n"
                               "[services local]\ns3 =\n  endpoint_url = http://s3:3\n");
      break;
    }
  }
  put(".aws/config", "[default]\nregion = us-east-1\n");
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.endpoint, "https://dynamodb.us-east-1.amazonaws.com");
  assert_int_equal(c.endpoint_explicit, 0);
  config_free(&c);
}

static void test_endpoint_service_ids(void **state) {
  (void)state;
  config_input_t in = {.service_id = "SESv2", .endpoint_prefix = "email", .region = "us-east-1"};
  setenv("AWS_ENDPOINT_URL_SESV2", "http://sesv2:1", 1);
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://sesv2:1");
  config_free(&c);
  in.service_id = "Cognito Identity Provider";
  setenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "http://cognito:2", 1);
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://cognito:2");
  config_free(&c);
  unsetenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER");
  put(".aws/config", "[default]\nservices = s\n"
                     "[services s]\ncognito_identity_provider =\n"
                     "  endpoint_url = http://cognito-cfg:3\n");
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://cognito-cfg:3");
  config_free(&c);
}

static void test_endpoint_services_section(void **state) {
  (void)state;
  /* a profile that names a services section that does not exist: an error,
   * as in botocore */
  put(".aws/config", "[profile p]\nservices = ghost\n");
  config_input_t in = ddb;
  in.profile = "p";
  char *d = fails(&in, UVAWS_ECONFIG);
  has(d, "ghost");
  has(d, path_of(".aws/config"));
  free(d);
  /* "[services  NAME]" matches loosely; the last definition wins */
  put(".aws/config", "[profile p]\nservices = svc\nregion = us-west-2\n"
                     "[services  svc ]\ndynamodb =\n  endpoint_url = http://old:1\n"
                     "[services svc]\ndynamodb =\n  endpoint_url = http://new:2\n"
                     "  other = x\n");
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://new:2");
  config_free(&c);
  /* a service with no entry falls through to the built endpoint */
  in.service_id = "SQS";
  in.endpoint_prefix = "sqs";
  ok(&in, &c);
  assert_string_equal(c.endpoint, "https://sqs.us-west-2.amazonaws.com");
  config_free(&c);
}

static void test_endpoint_ignore_configured(void **state) {
  (void)state;
  put(".aws/config", "[default]\nregion = us-east-1\nendpoint_url = http://profile:1\n");
  setenv("AWS_ENDPOINT_URL", "http://env:2", 1);
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
  config_input_t in = ddb;
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.endpoint, "https://dynamodb.us-east-1.amazonaws.com");
  assert_int_equal(c.endpoint_explicit, 0);
  config_free(&c);
  in.endpoint = "http://option:3"; /* the option still counts */
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://option:3");
  config_free(&c);
  in.endpoint = NULL;
  /* the profile setting, when the variable is absent */
  unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  put(".aws/config", "[default]\nregion = us-east-1\nendpoint_url = http://profile:1\n"
                     "ignore_configured_endpoint_urls = true\n");
  ok(&in, &c);
  assert_int_equal(c.endpoint_explicit, 0);
  config_free(&c);
  /* the variable wins over the profile, either way */
  setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
  ok(&in, &c);
  assert_string_equal(c.endpoint, "http://env:2");
  config_free(&c);
}

static void test_endpoint_invalid(void **state) {
  (void)state;
  config_input_t in = ddb;
  in.region = "us-east-1";
  in.endpoint = "ftp://user:SECRETpw@host/";
  char *d = fails(&in, UVAWS_EENDPOINT);
  has(d, "option");
  assert_null(strstr(d, "SECRET"));
  free(d);
  in.endpoint = NULL;
  setenv("AWS_ENDPOINT_URL_DYNAMODB", "not a url", 1);
  d = fails(&in, UVAWS_EENDPOINT);
  has(d, "AWS_ENDPOINT_URL_DYNAMODB");
  free(d);
  unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
  setenv("AWS_ENDPOINT_URL", "http://", 1);
  d = fails(&in, UVAWS_EENDPOINT);
  has(d, "AWS_ENDPOINT_URL");
  free(d);
  unsetenv("AWS_ENDPOINT_URL");
  put(".aws/config", "[profile p]\nendpoint_url = localhost:8000\n");
  in.profile = "p";
  d = fails(&in, UVAWS_EENDPOINT);
  has(d, "\"p\"");
  has(d, path_of(".aws/config"));
  free(d);
  put(".aws/config", "[profile p]\nservices = s\n[services s]\ndynamodb =\n"
                     "  endpoint_url = file:///etc/passwd\n");
  d = fails(&in, UVAWS_EENDPOINT);
  has(d, "[services s]");
  free(d);
}

/* ---- credentials ---- */

static void test_creds_precedence(void **state) {
  (void)state;
  put(".aws/config", "[default]\naws_access_key_id = AKIDCFG\n"
                     "aws_secret_access_key = SECRETcfg\naws_session_token = TOKcfg\n");
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDFILE\n"
                          "aws_secret_access_key = SECRETfile\n");
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETenv", 1);
  setenv("AWS_SESSION_TOKEN", "TOKenv", 1);
  config_input_t in = ddb;
  in.access_key = "AKIDOPT";
  in.secret_key = "SECRETopt";
  config_t c;
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_OPTIONS);
  assert_string_equal(c.access_key, "AKIDOPT");
  assert_string_equal(c.secret_key, "SECRETopt");
  assert_null(c.session_token);
  config_free(&c);
  in.secret_key = NULL; /* options need both */
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_ENV);
  assert_string_equal(c.access_key, "AKIDENV");
  assert_string_equal(c.session_token, "TOKenv");
  config_free(&c);
  unsetenv("AWS_SECRET_ACCESS_KEY"); /* a key without its secret is skipped */
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_CREDENTIALS_FILE);
  assert_string_equal(c.access_key, "AKIDFILE");
  assert_string_equal(c.secret_key, "SECRETfile");
  assert_null(c.session_token);
  config_free(&c);
  put(".aws/credentials", "[default]\noutput = json\n"); /* no keys there: the config's */
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_CONFIG_FILE);
  assert_string_equal(c.access_key, "AKIDCFG");
  assert_string_equal(c.session_token, "TOKcfg");
  config_free(&c);
  put(".aws/config", "[default]\n");
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_NONE);
  assert_null(c.access_key);
  config_free(&c);
}

/* A key pair is one credential: a half alone, or halves in the two files,
 * is UVAWS_ECONFIG naming the profile, both keys and the files (botocore:
 * PartialCredentialsError), never "no credentials", and never a pair made of
 * halves from two files. */
static void split_fails(const config_input_t *in, const char *profile, const char *has_key,
                        const char *where) {
  char *d = fails(in, UVAWS_ECONFIG);
  char want[300];
  snprintf(want, sizeof want, "profile \"%s\"", profile);
  has(d, want);
  has(d, has_key);
  has(d, where);
  has(d, "aws_access_key_id");
  has(d, "aws_secret_access_key");
  assert_null(strstr(d, "AKID")); /* no value, not even the key id */
  assert_null(strstr(d, "SECRET"));
  free(d);
}

static void test_creds_split_keys(void **state) {
  (void)state;
  const char *cfg = path_of(".aws/config");
  char cred[512];
  snprintf(cred, sizeof cred, "%s", path_of(".aws/credentials"));
  config_input_t in = ddb;
  config_t c;
  /* the key in the credentials file, the secret in the config file */
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\n");
  put(".aws/config", "[default]\naws_secret_access_key = SECRETcfg\n");
  split_fails(&in, "default", "one file", cred);
  split_fails(&in, "default", "one file", cfg);
  /* the other way round */
  put(".aws/credentials", "[default]\naws_secret_access_key = SECRETcred\n");
  put(".aws/config", "[default]\naws_access_key_id = AKIDCFG\n");
  split_fails(&in, "default", "one file", cred);
  /* a key alone in the credentials file, a complete pair in the config file:
   * the pair is not mixed with the lone key, nor silently preferred */
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\n");
  put(".aws/config", "[default]\naws_access_key_id = AKIDCFG\naws_secret_access_key = SECRETcfg\n");
  split_fails(&in, "default", "one file", cred);
  /* a half alone, nowhere else; an empty value counts as absent */
  put(".aws/config", "[default]\n");
  split_fails(&in, "default", "without", cred);
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\naws_secret_access_key =\n");
  split_fails(&in, "default", "without", cred);
  put(".aws/credentials", "[other]\n");
  put(".aws/config", "[profile named]\naws_secret_access_key = SECRETcfg\n");
  in.profile = "named";
  split_fails(&in, "named", "without", cfg);
  in.profile = NULL;
  /* a complete pair in the credentials file wins over a half in the config */
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\n"
                          "aws_secret_access_key = SECRETcred\n");
  put(".aws/config", "[default]\naws_access_key_id = AKIDCFG\n");
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_CREDENTIALS_FILE);
  assert_string_equal(c.access_key, "AKIDCRED");
  config_free(&c);
  /* sources that come first make the files' keys unused: no error */
  put(".aws/credentials", "[default]\naws_access_key_id = AKIDCRED\n");
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETenv", 1);
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_ENV);
  config_free(&c);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  in.access_key = "AKIDOPT";
  in.secret_key = "SECRETopt";
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_OPTIONS);
  config_free(&c);
  in.access_key = in.secret_key = NULL;
  /* ... and so does the profile's role (its source profile's keys are used) */
  put(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = src\n"
                     "[profile src]\naws_access_key_id = AKIDSRC\n"
                     "aws_secret_access_key = SECRETsrc\n");
  ok(&in, &c);
  assert_string_equal(c.source_access_key, "AKIDSRC");
  config_free(&c);
  put(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
                     "web_identity_token_file = /nonexistent\n");
  ok(&in, &c);
  config_free(&c);
  /* a source profile's pair follows the same rule */
  put(".aws/credentials", "[src]\naws_access_key_id = AKIDSRC\n");
  put(".aws/config", "[default]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = src\n"
                     "[profile src]\naws_secret_access_key = SECRETsrc\n");
  split_fails(&in, "src", "one file", cred);
}

static void test_creds_legacy_tokens(void **state) {
  (void)state;
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETenv", 1);
  setenv("AWS_SECURITY_TOKEN", "TOKlegacy", 1);
  config_t c;
  ok(&ddb, &c);
  assert_string_equal(c.session_token, "TOKlegacy");
  config_free(&c);
  setenv("AWS_SESSION_TOKEN", "TOKnew", 1);
  ok(&ddb, &c);
  assert_string_equal(c.session_token, "TOKnew");
  config_free(&c);
  clear_aws_env();
  put(".aws/credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = S\n"
                          "aws_security_token = TOKfilelegacy\n");
  ok(&ddb, &c);
  assert_string_equal(c.session_token, "TOKfilelegacy");
  config_free(&c);
}

static void test_creds_long_token(void **state) {
  (void)state;
  char tok[3000];
  memset(tok, 'T', sizeof tok - 1);
  tok[sizeof tok - 1] = '\0';
  char text[3200];
  snprintf(text, sizeof text,
           "[default]\naws_access_key_id = A\naws_secret_access_key = S\naws_session_token = %s\n",
           tok);
  put(".aws/credentials", text);
  config_t c;
  ok(&ddb, &c);
  assert_string_equal(c.session_token, tok);
  config_free(&c);
}

/* ---- profile settings for the asynchronous providers ---- */

static void test_profile_settings(void **state) {
  (void)state;
  put(".aws/config", "[profile app]\n"
                     "credential_process = /bin/echo a;b\n"
                     "role_arn = arn:aws:iam::123456789012:role/app\n"
                     "source_profile = base\n"
                     "role_session_name = sess\n"
                     "external_id = ext\n"
                     "duration_seconds = 1800\n"
                     "[profile base]\nregion = us-east-1\n"
                     "[profile web]\nrole_arn = arn:aws:iam::1:role/w\n"
                     "web_identity_token_file = /var/run/token\n"
                     "[profile ec2]\nrole_arn = arn:aws:iam::1:role/e\n"
                     "credential_source = Ec2InstanceMetadata\n");
  put(".aws/credentials", "[base]\naws_access_key_id = AKIDBASE\n"
                          "aws_secret_access_key = SECRETbase\naws_session_token = TOKbase\n");
  config_input_t in = ddb;
  in.profile = "app";
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.credential_process, "/bin/echo a;b");
  assert_string_equal(c.role_arn, "arn:aws:iam::123456789012:role/app");
  assert_string_equal(c.source_profile, "base");
  assert_string_equal(c.role_session_name, "sess");
  assert_string_equal(c.external_id, "ext");
  assert_int_equal(c.duration_seconds, 1800);
  assert_null(c.credential_source);
  assert_null(c.web_identity_token_file);
  assert_string_equal(c.source_access_key, "AKIDBASE");
  assert_string_equal(c.source_secret_key, "SECRETbase");
  assert_string_equal(c.source_session_token, "TOKbase");
  assert_int_equal(c.creds_source, CREDS_FROM_NONE);
  config_free(&c);
  in.profile = "web";
  ok(&in, &c);
  assert_string_equal(c.web_identity_token_file, "/var/run/token");
  assert_int_equal(c.duration_seconds, 0); /* absent */
  assert_null(c.source_access_key);
  config_free(&c);
  in.profile = "ec2";
  ok(&in, &c);
  assert_string_equal(c.credential_source, "Ec2InstanceMetadata");
  assert_null(c.source_profile);
  config_free(&c);
}

static void test_source_profile_self(void **state) {
  (void)state;
  /* a profile may name itself to keep its static credentials and its role
   * together (botocore allows this one loop) */
  put(".aws/credentials", "[me]\naws_access_key_id = AKIDME\naws_secret_access_key = SECRETme\n"
                          "role_arn = arn:aws:iam::1:role/me\nsource_profile = me\n");
  config_input_t in = ddb;
  in.profile = "me";
  config_t c;
  ok(&in, &c);
  assert_string_equal(c.source_access_key, "AKIDME");
  assert_int_equal(c.creds_source, CREDS_FROM_CREDENTIALS_FILE);
  config_free(&c);
}

static void test_source_profile_errors(void **state) {
  (void)state;
  put(".aws/config", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
                     "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n"
                     "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n"
                     "[profile lost]\nrole_arn = arn:aws:iam::1:role/l\nsource_profile = ghost\n"
                     "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = c\n"
                     "credential_source = Environment\n"
                     "[profile neither]\nrole_arn = arn:aws:iam::1:role/n\n"
                     "[profile chain]\nrole_arn = arn:aws:iam::1:role/c1\nsource_profile = mid\n"
                     "[profile mid]\nrole_arn = arn:aws:iam::1:role/c2\nsource_profile = c\n"
                     "[profile c]\naws_access_key_id = AKIDC\naws_secret_access_key = SECRETc\n");
  config_input_t in = ddb;
  in.profile = "a";
  char *d = fails(&in, UVAWS_ECONFIG);
  has(d, "cycle");
  has(d, "a -> b -> a");
  free(d);
  in.profile = "self";
  d = fails(&in, UVAWS_ECONFIG);
  has(d, "self -> self");
  free(d);
  in.profile = "lost";
  d = fails(&in, UVAWS_ECONFIG);
  has(d, "\"ghost\"");
  free(d);
  in.profile = "both";
  d = fails(&in, UVAWS_ECONFIG);
  has(d, "both source_profile and credential_source");
  free(d);
  in.profile = "neither";
  free(fails(&in, UVAWS_ECONFIG));
  in.profile = "chain";
  d = fails(&in, UVAWS_ECONFIG);
  has(d, "chain -> mid -> c");
  assert_null(strstr(d, "SECRET"));
  free(d);
  /* credentials from the environment come first in the CLI's chain: the
   * broken role setup is then never used and not an error */
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETenv", 1);
  in.profile = "a";
  config_t c;
  ok(&in, &c);
  assert_int_equal(c.creds_source, CREDS_FROM_ENV);
  assert_string_equal(c.role_arn, "arn:aws:iam::1:role/a");
  assert_null(c.source_access_key);
  config_free(&c);
}

/* ---- retry ---- */

static void test_retry_precedence(void **state) {
  (void)state;
  config_t c;
  ok(&ddb, &c);
  assert_null(c.retry_mode);
  assert_int_equal(c.max_attempts, 0);
  config_free(&c);
  put(".aws/config", "[default]\nretry_mode = adaptive\nmax_attempts = 7\n");
  ok(&ddb, &c);
  assert_string_equal(c.retry_mode, "adaptive");
  assert_int_equal(c.max_attempts, 7);
  config_free(&c);
  setenv("AWS_RETRY_MODE", "standard", 1);
  setenv("AWS_MAX_ATTEMPTS", "3", 1);
  ok(&ddb, &c);
  assert_string_equal(c.retry_mode, "standard");
  assert_int_equal(c.max_attempts, 3);
  config_free(&c);
}

static void test_retry_invalid(void **state) {
  (void)state;
  const char *bad[] = {"0", "-1", "abc", "3x", " 3", "99999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    setenv("AWS_MAX_ATTEMPTS", bad[i], 1);
    char *d = fails(&ddb, UVAWS_ECONFIG);
    has(d, "AWS_MAX_ATTEMPTS");
    free(d);
  }
  unsetenv("AWS_MAX_ATTEMPTS");
  setenv("AWS_RETRY_MODE", "fast", 1);
  char *d = fails(&ddb, UVAWS_ECONFIG);
  has(d, "AWS_RETRY_MODE");
  free(d);
  unsetenv("AWS_RETRY_MODE");
  put(".aws/config", "[default]\nmax_attempts = many\n");
  d = fails(&ddb, UVAWS_ECONFIG);
  has(d, "max_attempts");
  has(d, path_of(".aws/config"));
  free(d);
  put(".aws/config", "[default]\nretry_mode = sometimes\n");
  d = fails(&ddb, UVAWS_ECONFIG);
  has(d, "retry_mode");
  free(d);
}

/* ---- numbers ---- */

static void test_numeric_settings(void **state) {
  (void)state;
  put(".aws/config", "[default]\nmetadata_service_timeout = 2.5\nmetadata_service_num_attempts = 4\n"
                     "duration_seconds = 900\nmax_attempts = 100\n");
  config_t c;
  ok(&ddb, &c);
  assert_int_equal(c.metadata_timeout_ms, 2500);
  assert_int_equal(c.metadata_num_attempts, 4);
  assert_int_equal(c.duration_seconds, 900);
  assert_int_equal(c.max_attempts, 100);
  config_free(&c);
  setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.001", 1); /* the environment wins */
  setenv("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "1", 1);
  ok(&ddb, &c);
  assert_int_equal(c.metadata_timeout_ms, 1);
  assert_int_equal(c.metadata_num_attempts, 1);
  config_free(&c);
  const char *bad[] = {"inf", "nan", "1e300", "-1", "0", "0.0001", "3600.001", "0x10"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    setenv("AWS_METADATA_SERVICE_TIMEOUT", bad[i], 1);
    char *d = fails(&ddb, UVAWS_ECONFIG);
    has(d, "AWS_METADATA_SERVICE_TIMEOUT must be a number of seconds");
    free(d);
  }
  unsetenv("AWS_METADATA_SERVICE_TIMEOUT");
  put(".aws/config", "[default]\nduration_seconds = 43201\n");
  char *d = fails(&ddb, UVAWS_ECONFIG);
  has(d, "duration_seconds of profile \"default\"");
  has(d, "not \"43201\"");
  free(d);
}

/* ---- misc ---- */

static void test_secrets_not_in_errors(void **state) {
  (void)state;
  /* an error late in resolution, with every secret already read */
  put(".aws/credentials", "[p]\naws_access_key_id = AKIDSECRET\n"
                          "aws_secret_access_key = SECRETsecret\naws_session_token = SECRETtok\n"
                          "endpoint_url = bogus\n");
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETenvvalue", 1);
  config_input_t in = ddb;
  in.profile = "p";
  in.secret_key = "SECRETopt";
  char *d = fails(&in, UVAWS_EENDPOINT);
  assert_null(strstr(d, "SECRET"));
  free(d);
}

static void test_null_args(void **state) {
  (void)state;
  config_t c;
  uvaws_error_t err = {0};
  assert_int_equal(config_resolve(NULL, &c, &err), UVAWS_EINVAL);
  uvaws_error_clear(&err);
  assert_int_equal(config_resolve(&ddb, NULL, NULL), UVAWS_EINVAL);
  config_free(NULL);
  memset(&c, 0, sizeof c);
  config_free(&c);
  /* no service: no endpoint built, no error */
  config_input_t in = {.region = "us-east-1"};
  ok(&in, &c);
  assert_null(c.endpoint);
  config_free(&c);
}

/* "~" is the user's home, as Python's expanduser: config is where HOME is read. */
static void test_home_expansion(void **state) {
  (void)state;
  char *p = cfg_expand_home("~/.aws/config");
  char want[512];
  snprintf(want, sizeof want, "%s/.aws/config", home);
  assert_string_equal(p, want);
  free(p);
  p = cfg_expand_home("~");
  assert_string_equal(p, home);
  free(p);
  p = cfg_expand_home("~other/x"); /* only the current user's ~ */
  assert_string_equal(p, "~other/x");
  free(p);
  p = cfg_expand_home("/abs/~/x");
  assert_string_equal(p, "/abs/~/x");
  free(p);
  p = cfg_expand_home("rel");
  assert_string_equal(p, "rel");
  free(p);
  assert_null(cfg_expand_home(NULL));
  /* a HOME with a trailing slash does not double it */
  snprintf(want, sizeof want, "%s/", home);
  setenv("HOME", want, 1);
  p = cfg_expand_home("~/f");
  snprintf(want, sizeof want, "%s/f", home);
  assert_string_equal(p, want);
  free(p);
  /* and the variables' paths are expanded with it */
  p = cfg_expand_path("~/f");
  assert_string_equal(p, want);
  free(p);
  setenv("HOME", home, 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_profile_implicit_default),
      T(test_profile_precedence),
      T(test_profile_not_found),
      T(test_profile_section_forms),
      T(test_profile_default_forms),
      T(test_profile_invalid_name),
      T(test_files_from_env),
      T(test_home_expansion),
      T(test_files_named_but_missing),
      T(test_files_parse_error),
      T(test_region_precedence),
      T(test_region_absent),
      T(test_region_invalid),
      T(test_dns_suffixes),
      T(test_endpoint_precedence),
      T(test_endpoint_service_ids),
      T(test_endpoint_services_section),
      T(test_endpoint_ignore_configured),
      T(test_endpoint_invalid),
      T(test_creds_precedence),
      T(test_creds_split_keys),
      T(test_creds_legacy_tokens),
      T(test_creds_long_token),
      T(test_profile_settings),
      T(test_source_profile_self),
      T(test_source_profile_errors),
      T(test_retry_precedence),
      T(test_retry_invalid),
      T(test_numeric_settings),
      T(test_secrets_not_in_errors),
      T(test_null_args),
  };
  return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
