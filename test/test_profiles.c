/* The AWS SDKs' shared profile-file specification, one row per rule of its
 * public parser test suite (profile-parser-tests.json, as smithy-rs and
 * aws-sdk-kotlin carry it), in our own words and inputs; then the rows where
 * uvaws deliberately reads otherwise, each saying why (docs/config.md lists
 * them too). A row writes a config and a credentials file, loads them as
 * config resolution does, and looks at one profile through the same calls
 * (cfg_profile_exists, cfg_profile_get). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_internal.h"
#include "ini.h"

enum { ANY = 0, CFG, CRED };

typedef struct {
  const char *key, *value;
  int from; /* ANY, or the file the value must come from */
} want_t;

typedef struct {
  const char *rule;
  const char *config, *credentials; /* NULL: the file is absent */
  const char *profile;              /* the profile looked at; NULL: none */
  int absent;                       /* 1: `profile` must not be a profile */
  want_t has[4];                    /* its keys and their values */
  const char *lacks[3];             /* keys it must not have */
  const char *not_profiles[3];      /* names that must not be profiles */
  /* a sub-property: in section sub[0], key sub[1], sub-key sub[2] = sub[3];
   * and a sub-key of the same key that must be absent */
  const char *sub[4];
  const char *sub_lacks;
  /* a parse error: in which file, on which line, saying what */
  int error_in, error_line;
  const char *error_says;
} row_t;

#define NO_DEFAULT .not_profiles = {"default"}

/* The suite's rules, in its order. */
static const row_t spec_rows[] = {
    {"an empty file has no profile", .config = "", .credentials = "", NO_DEFAULT},
    {"a profile may be empty", .config = "[profile blank]\n", .profile = "blank",
     .lacks = {"region"}},
    {"profile names: letters, digits and - / . % @ _ : +; others ignore the section",
     .config = "[profile a-b/c.d%e@f_g:h+i]\nk = 1\n[profile bang!bang]\nk = 2\n",
     .profile = "a-b/c.d%e@f_g:h+i", .has = {{"k", "1"}}, .not_profiles = {"bang!bang"}},
    {"a header needs its closing bracket", .config = "[profile open\n", .error_in = CFG,
     .error_line = 1, .error_says = "without its closing ']'"},
    {"a profile name is trimmed of blanks and tabs", .config = "[profile \t padded \t]\nk = v\n",
     .profile = "padded", .has = {{"k", "v"}}},
    {"a tab may separate 'profile' from the name", .config = "[profile\ttabbed]\nk = v\n",
     .profile = "tabbed", .has = {{"k", "v"}}},
    {"a property needs a profile above it", .config = "region = us-east-1\n", .error_in = CFG,
     .error_line = 1, .error_says = "header before any key"},
    {"a profile holds properties", .config = "[profile p]\nregion = eu-north-1\n", .profile = "p",
     .has = {{"region", "eu-north-1"}}},
    {"CRLF ends lines", .config = "[profile p]\r\nregion = ap-east-1\r\n", .profile = "p",
     .has = {{"region", "ap-east-1"}}},
    {"'=' may appear in a value", .config = "[profile p]\nopts = a=b=c\n", .profile = "p",
     .has = {{"opts", "a=b=c"}}},
    {"values are UTF-8 text",
     .config = "[profile p]\ngreeting = gr\xc3\xbc\xc3\x9f \xf0\x9f\x91\x8b\n",
     .profile = "p", .has = {{"greeting", "gr\xc3\xbc\xc3\x9f \xf0\x9f\x91\x8b"}}},
    {"a profile holds several properties", .config = "[profile p]\none = 1\ntwo = 2\n",
     .profile = "p", .has = {{"one", "1"}, {"two", "2"}}},
    {"keys and values are trimmed of blanks and tabs",
     .config = "[profile p]\n \tkey\t = \t val \t\n",
     .profile = "p", .has = {{"key", "val"}}},
    {"a value may be empty", .config = "[profile p]\nnothing =\n", .profile = "p",
     .has = {{"nothing", ""}}},
    {"a property needs a name", .config = "[profile p]\n  = orphan\n", .error_in = CFG,
     .error_line = 2, .error_says = "empty key"},
    /* "'=' is the only delimiter": uvaws differs, see uvaws_rows */
    {"several profiles may be empty", .config = "[profile p]\n[profile q]\n", .profile = "q"},
    {"each profile holds its own properties",
     .config = "[profile p]\nwho = p\n[profile q]\nwho = q\n", .profile = "q",
     .has = {{"who", "q"}}},
    {"blank lines, also of blanks and tabs, are ignored",
     .config = " \t\n[profile p]\n\t\n  \nk = v\n \t \n[profile q]\n\t", .profile = "p",
     .has = {{"k", "v"}}},
    {"'#' starts a comment on its own line, after a header, after a value and a blank",
     .config = "# intro\n[profile p] # note\nk = v # a # in the comment\n", .profile = "p",
     .has = {{"k", "v"}}},
    {"';' does the same", .config = "; intro\n[profile p] ; note\nk = v ; a ; in the comment\n",
     .profile = "p", .has = {{"k", "v"}}},
    {"both kinds mix", .config = "; intro\n[profile p] # note\nk = v ; a # too\n", .profile = "p",
     .has = {{"k", "v"}}},
    {"a comment may be empty", .config = "#\n[profile p];\nk = v #\n", .profile = "p",
     .has = {{"k", "v"}}},
    {"a comment may touch the header's bracket", .config = "[profile p];x\n[profile q]#y\n",
     .profile = "q", .not_profiles = {"p;x", "q#y"}},
    {"a '#' or ';' touching a value is part of it",
     .config = "[profile p]\nsemi = a; b\nhash = c# d\n", .profile = "p",
     .has = {{"semi", "a; b"}, {"hash", "c# d"}}},
    {"an indented line continues the value", .config = "[profile p]\nk = first\n  second\n",
     .profile = "p", .has = {{"k", "first\nsecond"}}},
    {"over several lines", .config = "[profile p]\nk = first\n  second\n  third\n",
     .profile = "p", .has = {{"k", "first\nsecond\nthird"}}},
    {"continuation lines are trimmed", .config = "[profile p]\nk = first\n \t second \t \n",
     .profile = "p", .has = {{"k", "first\nsecond"}}},
    {"a continuation line keeps its '#'", .config = "[profile p]\nk = first\n  second # kept\n",
     .profile = "p", .has = {{"k", "first\nsecond # kept"}}},
    {"and its ';'", .config = "[profile p]\nk = first\n  second ; kept\n", .profile = "p",
     .has = {{"k", "first\nsecond ; kept"}}},
    {"a continuation needs a profile above it", .config = "  stray\n", .error_in = CFG,
     .error_line = 1, .error_says = "header before any key"},
    {"a continuation needs a property above it", .config = "[profile p]\n  stray\n",
     .error_in = CFG, .error_line = 2, .error_says = "no key above it"},
    {"a header ends the property that lines continued",
     .config = "[profile p]\nk = v\n[profile p]\n  stray\n", .error_in = CFG, .error_line = 4,
     .error_says = "no key above it"},
    {"a profile repeated in one file merges", .config = "[profile p]\na = 1\n[profile p]\nb = 2\n",
     .profile = "p", .has = {{"a", "1"}, {"b", "2"}}},
    {"a repeated property: the last one wins", .config = "[profile p]\nk = old\nk = new\n",
     .profile = "p", .has = {{"k", "new"}}},
    {"also across repeats of the profile", .config = "[profile p]\nk = old\n[profile p]\nk = new\n",
     .profile = "p", .has = {{"k", "new"}}},
    {"property names are case-insensitive",
     .config = "[profile p]\nKey = old\n[profile p]\nkEY = new\n",
     .profile = "p", .has = {{"key", "new"}, {"KEY", "new"}}},
    {"[profile default] replaces an earlier [default]",
     .config = "[profile default]\nfrom = prefixed\n[default]\nbare = 1\n", .profile = "default",
     .has = {{"from", "prefixed"}}, .lacks = {"bare"}},
    {"and a later one", .config = "[default]\nbare = 1\n[profile default]\nfrom = prefixed\n",
     .profile = "default", .has = {{"from", "prefixed"}}, .lacks = {"bare"}},
    {"a config profile name with a blank in it is ignored",
     .config = "[profile two words]\nk = v\n", .not_profiles = {"two words", "two", "words"}},
    {"a property name outside the allowed characters is ignored",
     .config = "[profile p]\nbad key = v\nbad!key = w\ngood = x\n", .profile = "p",
     .has = {{"good", "x"}}, .lacks = {"bad key", "bad!key", "bad"}},
    {"every allowed character may name a profile",
     .config = "[profile ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_]\n"
               "k = v\n",
     .profile = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
     .has = {{"k", "v"}}},
    {"every allowed character may name a property",
     .config = "[profile p]\n"
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_/.%@+ = v\n",
     .profile = "p",
     .has = {{"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789-_/.%@+", "v"}}},
    {"an empty value with indented lines below is a set of sub-properties",
     .config = "[profile p]\ns3 =\n  addressing_style = path\n", .profile = "p",
     .has = {{"s3", ""}}, .sub = {"profile p", "s3", "addressing_style", "path"}},
    {"a sub-property needs '='", .config = "[profile p]\ns3 =\n  no-equals\n", .error_in = CFG,
     .error_line = 3, .error_says = "expected 'name = value' in an indented sub-section"},
    {"a sub-property may be empty", .config = "[profile p]\ns3 =\n  addressing_style =\n",
     .profile = "p", .sub = {"profile p", "s3", "addressing_style", ""}},
    {"a sub-property needs a name", .config = "[profile p]\ns3 =\n  = path\n", .error_in = CFG,
     .error_line = 3, .error_says = "empty name"},
    {"a sub-property with an invalid name is ignored, its neighbours kept",
     .config = "[profile p]\ns3 =\n  bad name = 1\n  good = 2\n", .profile = "p",
     .sub = {"profile p", "s3", "good", "2"}, .sub_lacks = "bad name"},
    {"blank lines between sub-properties are ignored",
     .config = "[profile p]\ns3 =\n  a = 1\n\t \n  b = 2\n", .profile = "p",
     .sub = {"profile p", "s3", "b", "2"}},
    {"a profile in both files merges",
     .config = "[profile p]\nregion = us-west-1\n", .credentials = "[p]\nextra = 1\n",
     .profile = "p", .has = {{"region", "us-west-1", CFG}, {"extra", "1", CRED}}},
    {"[profile default] hides every [default] of the config file, the repeats merge",
     .config = "[profile default]\na = 1\n[default]\nb = 2\n[profile default]\nc = 3\n",
     .profile = "default", .has = {{"a", "1"}, {"c", "3"}}, .lacks = {"b"}},
    {"and the credentials file's [default] still merges in",
     .config = "[profile default]\na = 1\n[default]\nb = 2\n[profile default]\nc = 3\n",
     .credentials = "[default]\nd = 4\n", .profile = "default",
     .has = {{"a", "1", CFG}, {"c", "3", CFG}, {"d", "4", CRED}}, .lacks = {"b"}},
    {"a property in both files: the credentials file's wins",
     .config = "[profile p]\nregion = from-config\n", .credentials = "[p]\nregion = from-creds\n",
     .profile = "p", .has = {{"region", "from-creds", CRED}}},
    {"a bare [NAME] in the config file is no profile", .config = "[bare]\nk = v\n",
     .not_profiles = {"bare"}},
    {"[profile NAME] in the credentials file is ignored", .credentials = "[profile p]\nk = v\n",
     .not_profiles = {"p", "profile p"}},
    {"'profile' must be a word of its own", .config = "[profilep]\nk = v\n[profile q]\n",
     .profile = "q", .not_profiles = {"p", "profilep"}},
    {"blanks around the whole header are trimmed", .config = "[   profile p    ]\nk = v\n",
     .profile = "p", .has = {{"k", "v"}}},
    {"also in the credentials file", .credentials = "[   p    ]\nk = v\n[profile q]\n",
     .profile = "p", .has = {{"k", "v", CRED}}, .not_profiles = {"q"}},
    {"an invalid profile's properties go with it, its neighbours stay",
     .config = "[profile p]\nk = 1\n[profile no!pe]\nx = 2\n[profile q]\nk = 3\n", .profile = "q",
     .has = {{"k", "3"}}, .lacks = {"x"}, .not_profiles = {"no!pe"}},
    {"an [sso-session NAME] section is no profile",
     .config = "[sso-session s]\nsso_region = us-east-1\n[profile p]\n", .profile = "p",
     .lacks = {"sso_region"}, .not_profiles = {"s", "sso-session s"}},
    {"without the blank, sso-session is part of a credentials profile name",
     .credentials = "[sso-sessionx]\nk = v\n[q]\n", .profile = "sso-sessionx",
     .has = {{"k", "v", CRED}}},
    /* rules found only in the Kotlin SDK's copy of the suite */
    {"continuations and sub-properties in one profile",
     .config = "[default]\na = one\n two = 2 \n three\nb = plain\nc =\n c0 = 0\n",
     .profile = "default", .has = {{"a", "one\ntwo = 2\nthree"}, {"b", "plain"}, {"c", ""}},
     .sub = {"default", "c", "c0", "0"}},
    {"[sso-session NAME] in the credentials file is no profile",
     .credentials = "[sso-session s]\nk = v\n", .not_profiles = {"s", "sso-session s"}},
    {"an sso-session may share a profile's name",
     .config = "[sso-session p]\na = 1\n[profile p]\nb = 2\n",
     .profile = "p", .has = {{"b", "2"}}, .lacks = {"a"}},
    {"blanks around an sso-session header are trimmed too",
     .config = "[   sso-session s    ]\nk = v\n[profile p]\n", .profile = "p", .lacks = {"k"},
     .not_profiles = {"s"}},
    {"an [sso-session] without a name is ignored", .config = "[sso-session]\nk = v\n",
     .not_profiles = {"sso-session", "default"}},
    {"a [services NAME] section is read, and is no profile",
     .config = "[default]\nservices = mine\n"
               "[services mine]\ns3 =\n\tendpoint_url = https://s3.example\n",
     .profile = "default", .has = {{"services", "mine"}}, .not_profiles = {"mine"},
     .sub = {"services mine", "s3", "endpoint_url", "https://s3.example"}},
    {"a section of an unknown kind is read, and is no profile",
     .config = "[default]\nregion = us-east-2\n[custom thing]\napple =\n\tbanana = cherry\n",
     .profile = "default", .has = {{"region", "us-east-2"}}, .not_profiles = {"thing"},
     .sub = {"custom thing", "apple", "banana", "cherry"}},
    {"an sso-session named default leaves the default profile alone",
     .config = "[default]\nwho = profile\n[sso-session default]\nwho = session\n",
     .profile = "default", .has = {{"who", "profile"}}},
    /* the rules again on inputs that matter to uvaws */
    {"credential_process keeps a ';' inside its value; ' ;' starts a comment",
     .config = "[profile p]\ncredential_process = /bin/tool a;b ; note\n", .profile = "p",
     .has = {{"credential_process", "/bin/tool a;b"}}},
    {"a parse error names the credentials file and line, never the line's text",
     .credentials = "[default]\naws_secret_access_key = SECRETvalue\nSECRETline\n",
     .error_in = CRED, .error_line = 3, .error_says = "expected 'key = value'"},
    {"an indented line with no key above it says so, never the line's text",
     .credentials = "[default]\n  SECRETcontinued\n", .error_in = CRED, .error_line = 2,
     .error_says = "no key above it"},
};

/* Where uvaws reads otherwise, on purpose (docs/config.md says why). */
static const row_t uvaws_rows[] = {
    {"':' separates too, as in the AWS CLI (the specification refuses the line)",
     .config = "[profile p]\nregion : us-east-1\nurl = http://h:1\n", .profile = "p",
     .has = {{"region", "us-east-1"}, {"url", "http://h:1"}}},
    {"the first '=' or ':' splits, as in the CLI",
     .config = "[profile p]\ncredential_process: /bin/tool --opt=1\n", .profile = "p",
     .has = {{"credential_process", "/bin/tool --opt=1"}}},
    {"a quoted config profile name, as `aws configure` writes one with a space",
     .config = "[profile 'two words']\na = 1\n[profile \"dq words\"]\nb = 2\n",
     .profile = "two words", .has = {{"a", "1"}}, .not_profiles = {"'two words'"}},
    {"a credentials profile name with inner spaces, as `aws configure` writes it",
     .credentials = "[two words]\nk = v\n[in  valid 2]\n", .profile = "two words",
     .has = {{"k", "v", CRED}}, .not_profiles = {"two", "words"}},
    {"no credentials name starting with a config section kind is a profile",
     .credentials = "[services s]\nk = v\n[sso-session t]\n[profile u]\n",
     .not_profiles = {"services s", "sso-session t", "profile u"}},
    {"a quoted name still needs the allowed characters",
     .config = "[profile 'no!pe']\nk = v\n", .not_profiles = {"no!pe", "'no!pe'"}},
    {"text after a header's ']' that is no comment is ignored, as the CLI does",
     .config = "[profile p] trailing\nk = v\n", .profile = "p", .has = {{"k", "v"}}},
    {"a comment after the ']' may hold brackets", .config = "[profile p] # see [other]\nk = v\n",
     .profile = "p", .has = {{"k", "v"}}},
    {"an indented comment line inside a continued value is a comment, as the CLI reads it",
     .config = "[profile p]\nk = first\n  # note\n  second\n", .profile = "p",
     .has = {{"k", "first\nsecond"}}},
    {"an indented key right under a header is a key, as the CLI reads it",
     .config = "[profile p]\n  region = us-east-1\n  output = json\n", .profile = "p",
     .has = {{"region", "us-east-1"}, {"output", "json"}}},
    {"a UTF-8 byte order mark is skipped", .config = "\xEF\xBB\xBF[profile p]\nk = v\n",
     .profile = "p", .has = {{"k", "v"}}},
    {"a lone CR ends a line, as Python's universal newlines",
     .config = "[profile p]\ra = 1\rb = 2", .profile = "p", .has = {{"a", "1"}, {"b", "2"}}},
    {"`[]` is a section that is no profile, not an error", .config = "[]\nk = v\n[profile p]\n",
     .profile = "p", .lacks = {"k"}, .not_profiles = {""}},
};

static char dir[256];

/* Every row runs; each miss is printed and counted, the test fails at the end. */
static int misses;
#define MISS(...) (print_error(__VA_ARGS__), print_error("\n"), misses++)

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/uvaws-profiles-XXXXXX");
  return mkdtemp(dir) != NULL ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Writes dir/name (or removes it when text is NULL); returns its path. */
static const char *put(const char *name, const char *text, char *path, size_t n) {
  snprintf(path, n, "%s/%s", dir, name);
  remove(path);
  if (text != NULL) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    fclose(f);
  }
  return path;
}

/* The last line of `text` that is not blank: what a parse error stopped at,
 * which its message must not repeat. */
static void last_line(const char *text, char *out, size_t n) {
  const char *end = text + strlen(text);
  while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
    end--;
  const char *start = end;
  while (start > text && start[-1] != '\n' && start[-1] != '\r')
    start--;
  while (start < end && (*start == ' ' || *start == '\t'))
    start++;
  snprintf(out, n, "%.*s", (int)(end - start), start);
}

static int load(const char *path, ini_t **ini, uvaws_error_t *err) {
  int rc = ini_load_file(path, ini, err);
  return rc == UVAWS_ENOCONFIG ? 0 : rc; /* an absent file is no file */
}

static void check_error(const row_t *r, const char *path, const uvaws_error_t *err) {
  char want[600], line[256];
  snprintf(want, sizeof want, "%s:%d: ", path, r->error_line);
  if (err->detail == NULL || strstr(err->detail, want) == NULL ||
      strstr(err->detail, r->error_says) == NULL) {
    MISS("%s: error \"%s\", want \"%s...%s\"", r->rule, err->detail ? err->detail : "(none)",
         want, r->error_says);
    return;
  }
  last_line(r->error_in == CFG ? r->config : r->credentials, line, sizeof line);
  if (line[0] != '\0' && strstr(err->detail, line) != NULL)
    MISS("%s: the error quotes the line: %s", r->rule, err->detail);
}

static void check_profile(const row_t *r, const cfg_files_t *f) {
  if (r->profile != NULL && !cfg_profile_exists(f, r->profile))
    MISS("%s: no profile \"%s\"", r->rule, r->profile);
  for (size_t i = 0; i < 3 && r->not_profiles[i] != NULL; i++) {
    if (cfg_profile_exists(f, r->not_profiles[i]))
      MISS("%s: \"%s\" is a profile", r->rule, r->not_profiles[i]);
  }
  for (size_t i = 0; i < 4 && r->has[i].key != NULL; i++) {
    const char *where = NULL;
    const char *v = cfg_profile_get(f, r->profile, r->has[i].key, &where);
    if (v == NULL || strcmp(v, r->has[i].value) != 0)
      MISS("%s: %s = \"%s\", want \"%s\"", r->rule, r->has[i].key, v ? v : "(absent)",
               r->has[i].value);
    const char *want = r->has[i].from == CFG ? f->cfg_path : f->cred_path;
    if (r->has[i].from != ANY && where != want)
      MISS("%s: %s came from %s", r->rule, r->has[i].key, where);
  }
  for (size_t i = 0; i < 3 && r->lacks[i] != NULL; i++) {
    const char *v = cfg_profile_get(f, r->profile, r->lacks[i], NULL);
    if (v != NULL)
      MISS("%s: has %s = \"%s\"", r->rule, r->lacks[i], v);
  }
  if (r->sub[0] != NULL) {
    const char *v = ini_get_sub(f->cfg, r->sub[0], r->sub[1], r->sub[2]);
    if (v == NULL || strcmp(v, r->sub[3]) != 0)
      MISS("%s: [%s] %s.%s = \"%s\", want \"%s\"", r->rule, r->sub[0], r->sub[1], r->sub[2],
               v ? v : "(absent)", r->sub[3]);
    if (r->sub_lacks != NULL && ini_get_sub(f->cfg, r->sub[0], r->sub[1], r->sub_lacks) != NULL)
      MISS("%s: has the sub-property %s", r->rule, r->sub_lacks);
  }
}

static void run_row(const row_t *r) {
  char cfg_path[512], cred_path[512];
  put("config", r->config, cfg_path, sizeof cfg_path);
  put("credentials", r->credentials, cred_path, sizeof cred_path);
  cfg_files_t f = {.cfg_path = cfg_path, .cred_path = cred_path};
  uvaws_error_t err = {0};
  int rc_cfg = load(cfg_path, &f.cfg, &err);
  if (rc_cfg != 0 && r->error_in == CFG)
    check_error(r, cfg_path, &err);
  uvaws_error_clear(&err);
  int rc_cred = load(cred_path, &f.cred, &err);
  if (rc_cred != 0 && r->error_in == CRED)
    check_error(r, cred_path, &err);
  uvaws_error_clear(&err);
  int want_cfg = r->error_in == CFG ? UVAWS_ECONFIG : 0;
  int want_cred = r->error_in == CRED ? UVAWS_ECONFIG : 0;
  if (rc_cfg != want_cfg || rc_cred != want_cred)
    MISS("%s: loading gave %s and %s", r->rule, uvaws_err_name(rc_cfg), uvaws_err_name(rc_cred));
  else if (r->error_in == 0)
    check_profile(r, &f);
  ini_free(f.cfg);
  ini_free(f.cred);
}

static void run_rows(const row_t *rows, size_t n) {
  misses = 0;
  for (size_t i = 0; i < n; i++)
    run_row(&rows[i]);
  if (misses != 0)
    fail_msg("%d miss(es), above", misses);
}

static void test_specification_rules(void **state) {
  (void)state;
  run_rows(spec_rows, sizeof spec_rows / sizeof spec_rows[0]);
}

static void test_uvaws_differences(void **state) {
  (void)state;
  run_rows(uvaws_rows, sizeof uvaws_rows / sizeof uvaws_rows[0]);
}

/* The name rule on its own, as config resolution checks a requested name. */
static void test_profile_name_rule(void **state) {
  (void)state;
  const char *good[] = {"default", "a", "A-z_0.9/%@:+", "two words", "a\tb"};
  const char *bad[] = {"", " lead", "trail ", "no!pe", "caf\xc3\xa9", "a\"b", "[x]"};
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    assert_int_equal(cfg_profile_name_ok(good[i]), 1);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(cfg_profile_name_ok(bad[i]), 0);
  char longest[256];
  memset(longest, 'n', sizeof longest - 1);
  longest[255] = '\0';
  assert_int_equal(cfg_profile_name_ok(longest), 1); /* 255 bytes: the longest */
  char over[257];
  memset(over, 'n', sizeof over - 1);
  over[256] = '\0';
  assert_int_equal(cfg_profile_name_ok(over), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_specification_rules),
      cmocka_unit_test(test_uvaws_differences),
      cmocka_unit_test(test_profile_name_rule),
  };
  return cmocka_run_group_tests_name("profiles", tests, setup, teardown);
}
