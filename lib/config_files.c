#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config_internal.h"

const char *cfg_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? v : NULL;
}

int cfg_dup(char **dst, const char *src) {
  *dst = NULL;
  if (src == NULL)
    return 0;
  return (*dst = strdup(src)) != NULL ? 0 : UVAWS_ENOMEM;
}

char *cfg_expand_home(const char *path) {
  if (path == NULL)
    return NULL;
  if (path[0] != '~' || (path[1] != '\0' && path[1] != '/'))
    return strdup(path);
  const char *home = cfg_env("HOME");
  char pwbuf[4096];
  if (home == NULL) {
    struct passwd pw, *res = NULL;
    if (getpwuid_r(getuid(), &pw, pwbuf, sizeof pwbuf, &res) != 0 || res == NULL ||
        res->pw_dir == NULL)
      return strdup(path); /* as Python's expanduser: unchanged */
    home = res->pw_dir;
  }
  size_t hn = strlen(home), rn = strlen(path + 1);
  /* "/" + "/x" would give "//x": harmless, but keep paths tidy for messages */
  if (hn > 0 && home[hn - 1] == '/' && path[1] == '/')
    hn--;
  char *out = malloc(hn + rn + 1);
  if (out != NULL) {
    memcpy(out, home, hn);
    memcpy(out + hn, path + 1, rn + 1);
  }
  return out;
}

static int is_word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* Python's posixpath.expandvars: an unknown variable stays as written. */
static char *expand_vars(const char *p) {
  buf_t b = {0};
  while (*p) {
    if (*p == '$') {
      const char *n = p + 1, *end;
      size_t len;
      if (*n == '{') {
        end = strchr(n + 1, '}');
        len = end != NULL ? (size_t)(end - n - 1) : 0;
        n++;
        end = end != NULL ? end + 1 : NULL;
      } else {
        end = n;
        while (is_word(*end))
          end++;
        len = (size_t)(end - n);
      }
      if (end != NULL && len > 0 && len < 256) {
        char name[256];
        memcpy(name, n, len);
        name[len] = '\0';
        const char *v = getenv(name); /* expandvars: an empty value is a value */
        if (v != NULL) {
          buf_adds(&b, v);
          p = end;
          continue;
        }
      }
    }
    buf_addc(&b, *p++);
  }
  const char *s = buf_str(&b);
  char *out = s != NULL ? strdup(s) : NULL;
  buf_free(&b);
  return out;
}

char *cfg_expand_path(const char *path) {
  char *v = expand_vars(path);
  if (v == NULL)
    return NULL;
  char *h = cfg_expand_home(v);
  free(v);
  return h;
}

/* A missing default file is normal (no config at all, or credentials only in
 * the environment); a file the user named and that is missing is a mistake
 * worth stopping for (botocore would silently ignore it). */
static int load_one(const char *var, const char *deflt, char **path_out, ini_t **ini,
                    uvaws_error_t *err) {
  const char *named = cfg_env(var);
  if ((*path_out = cfg_expand_path(named != NULL ? named : deflt)) == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "%s: out of memory", var);
  uvaws_error_t e = {0};
  int rc = ini_load_file(*path_out, ini, &e);
  if (rc == UVAWS_ENOCONFIG) {
    if (named == NULL) {
      uvaws_error_clear(&e);
      return 0;
    }
    uvaws_error_set(err, rc, "%s names %s", var, e.detail != NULL ? e.detail : *path_out);
    uvaws_error_clear(&e);
    return rc;
  }
  if (rc != 0 && err != NULL) {
    uvaws_error_clear(err);
    *err = e;
    return rc;
  }
  uvaws_error_clear(&e);
  return rc;
}

int cfg_load_files(cfg_files_t *f, config_t *out, uvaws_error_t *err) {
  int rc = load_one("AWS_CONFIG_FILE", "~/.aws/config", &out->config_file, &f->cfg, err);
  if (rc == 0)
    rc = load_one("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", &out->credentials_file,
                  &f->cred, err);
  f->cfg_path = out->config_file;
  f->cred_path = out->credentials_file;
  return rc;
}

/* Enough of shlex.split (POSIX mode) for section names: whitespace splits,
 * '...' is literal, "..." honours \" and \\, a backslash outside quotes
 * escapes the next char. Fills up to two words; returns their number, or -1
 * for more than two, an unbalanced quote or a word of NAMEMAX bytes or more
 * (botocore skips a section whose name shlex refuses). */
#define NAMEMAX 256
static int split_words(const char *p, char tok[2][NAMEMAX]) {
  int nt = 0;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == '\0')
      return nt;
    if (nt == 2)
      return -1;
    char *t = tok[nt++];
    size_t n = 0;
#define PUT(c)                                                                                   \
  do {                                                                                           \
    if (n + 1 >= NAMEMAX)                                                                        \
      return -1;                                                                                 \
    t[n++] = (c);                                                                                \
  } while (0)
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
      if (*p == '\'') {
        for (p++; *p != '\0' && *p != '\''; p++)
          PUT(*p);
        if (*p++ == '\0')
          return -1;
      } else if (*p == '"') {
        for (p++; *p != '\0' && *p != '"'; p++) {
          if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
          PUT(*p);
        }
        if (*p++ == '\0')
          return -1;
      } else if (*p == '\\') {
        if (*++p == '\0')
          return -1;
        PUT(*p++);
      } else {
        PUT(*p++);
      }
    }
#undef PUT
    t[n] = '\0';
  }
}

int cfg_section_is(const char *sect, const char *kind, const char *name) {
  char tok[2][NAMEMAX];
  return split_words(sect, tok) == 2 && strcmp(tok[0], kind) == 0 && strcmp(tok[1], name) == 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The specification's profile names (A-Z a-z 0-9 - _ / . % @ : +), and inner
 * blanks: the AWS CLI writes a name with spaces as [profile 'a b'] in the
 * config file and [a b] in the credentials file, and reads them back. */
int cfg_profile_name_ok(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n >= NAMEMAX || is_blank(name[0]) || is_blank(name[n - 1]))
    return 0;
  for (size_t i = 0; i < n; i++) {
    if (!ini_name_char((unsigned char)name[i]) && !is_blank(name[i]))
      return 0;
  }
  return 1;
}

enum { NOT_PROFILE, BARE_DEFAULT, PROFILE };

/* What a config file section is, the name of its profile into name[]:
 * [default] (BARE_DEFAULT), [profile NAME] (PROFILE; extra blanks and shell
 * quotes allowed, as botocore's shlex.split), else NOT_PROFILE: a bare
 * [NAME], [profilefoo], [sso-session NAME], [services NAME], an invalid name. */
static int config_section(const char *sect, char name[NAMEMAX]) {
  if (strcmp(sect, "default") == 0) {
    memcpy(name, "default", sizeof "default");
    return BARE_DEFAULT;
  }
  char tok[2][NAMEMAX];
  if (split_words(sect, tok) != 2 || strcmp(tok[0], "profile") != 0 || !cfg_profile_name_ok(tok[1]))
    return NOT_PROFILE;
  memcpy(name, tok[1], strlen(tok[1]) + 1);
  return PROFILE;
}

/* The same for the credentials file: [NAME] is the profile. A config file
 * section there ([profile NAME], [sso-session NAME], [services NAME]) is
 * ignored, as the specification says, not taken for a two-word name. */
static int cred_section(const char *sect, char name[NAMEMAX]) {
  static const char *const kinds[] = {"profile", "sso-session", "services"};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
    size_t n = strlen(kinds[i]);
    if (strncmp(sect, kinds[i], n) == 0 && is_blank(sect[n]))
      return NOT_PROFILE;
  }
  if (!cfg_profile_name_ok(sect))
    return NOT_PROFILE;
  memcpy(name, sect, strlen(sect) + 1);
  return PROFILE;
}

/* [profile default] replaces [default] in the config file, wherever each is
 * (the specification; botocore takes whichever comes last, unmerged). */
static int hides_bare_default(const ini_t *cfg) {
  char name[NAMEMAX];
  for (size_t i = 0; i < ini_section_count(cfg); i++) {
    if (config_section(ini_section_name(cfg, i), name) == PROFILE && strcmp(name, "default") == 0)
      return 1;
  }
  return 0;
}

/* 1 if section i of the file is one of `profile`'s. */
static int section_of(const ini_t *ini, int is_config, int hide_bare, size_t i,
                      const char *profile) {
  char name[NAMEMAX];
  const char *sect = ini_section_name(ini, i);
  int kind = is_config ? config_section(sect, name) : cred_section(sect, name);
  return kind != NOT_PROFILE && !(kind == BARE_DEFAULT && hide_bare) && strcmp(name, profile) == 0;
}

/* `key` of `profile` in one file: its sections merged, later ones first. */
static const char *file_get(const ini_t *ini, int is_config, const char *profile, const char *key) {
  int hide = is_config && hides_bare_default(ini);
  for (size_t i = ini_section_count(ini); i-- > 0;) {
    if (section_of(ini, is_config, hide, i, profile)) {
      const char *v = ini_get_at(ini, i, key);
      if (v != NULL)
        return v;
    }
  }
  return NULL;
}

static int file_has(const ini_t *ini, int is_config, const char *profile) {
  int hide = is_config && hides_bare_default(ini);
  for (size_t i = 0; i < ini_section_count(ini); i++) {
    if (section_of(ini, is_config, hide, i, profile))
      return 1;
  }
  return 0;
}

const char *cfg_profile_get(const cfg_files_t *f, const char *profile, const char *key,
                            const char **where) {
  const char *v = file_get(f->cred, 0, profile, key);
  const char *from = f->cred_path;
  if (v == NULL) {
    v = file_get(f->cfg, 1, profile, key);
    from = f->cfg_path;
  }
  if (v != NULL && where != NULL)
    *where = from;
  return v;
}

int cfg_profile_exists(const cfg_files_t *f, const char *profile) {
  return file_has(f->cred, 0, profile) || file_has(f->cfg, 1, profile);
}

static const char *nonempty(const char *s) { return s != NULL && s[0] != '\0' ? s : NULL; }

#define KEY_ID "aws_access_key_id"
#define SECRET "aws_secret_access_key"

/* One file's key pair, and its token: aws_session_token, else the legacy
 * aws_security_token. */
static void file_keys(const ini_t *ini, int is_config, const char *profile, cfg_keys_t *k) {
  k->key = nonempty(file_get(ini, is_config, profile, KEY_ID));
  k->secret = nonempty(file_get(ini, is_config, profile, SECRET));
  k->token = nonempty(file_get(ini, is_config, profile, "aws_session_token"));
  if (k->token == NULL)
    k->token = nonempty(file_get(ini, is_config, profile, "aws_security_token"));
}

/* A pair is one credential: its halves are never taken from two files (the
 * config file's secret could belong to another key), and a half alone is a
 * mistake worth stopping for rather than a silent "no credentials". */
int cfg_static_keys(const cfg_files_t *f, const char *profile, cfg_keys_t *out,
                    uvaws_error_t *err) {
  cfg_keys_t cred = {0}, cfg = {0};
  memset(out, 0, sizeof *out);
  file_keys(f->cred, 0, profile, &cred);
  file_keys(f->cfg, 1, profile, &cfg);
  const char *cred_path = f->cred_path != NULL ? f->cred_path : "the credentials file";
  const char *cfg_path = f->cfg_path != NULL ? f->cfg_path : "the config file";
  const cfg_keys_t *use = NULL;
  const char *in = NULL;
  if (cred.key != NULL || cred.secret != NULL)
    use = &cred, in = cred_path;
  else if (cfg.key != NULL || cfg.secret != NULL)
    use = &cfg, in = cfg_path;
  if (use == NULL)
    return 0;
  if (use->key != NULL && use->secret != NULL) {
    *out = *use;
    out->where = in;
    out->in_credentials_file = use == &cred;
    return 1;
  }
  const char *has = use->key != NULL ? KEY_ID : SECRET;
  const char *lacks = use->key != NULL ? SECRET : KEY_ID;
  const char *other = use == &cred ? (use->key != NULL ? cfg.secret : cfg.key) : NULL;
  if (other != NULL)
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "profile \"%s\": %s is in %s but %s is in %s: a key pair must be in "
                           "one file",
                           profile, has, cred_path, lacks, cfg_path);
  return uvaws_error_set(err, UVAWS_ECONFIG,
                         "profile \"%s\": %s is in %s without %s (in neither %s nor %s)", profile,
                         has, in, lacks, cred_path, cfg_path);
}
