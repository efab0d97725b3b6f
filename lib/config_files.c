#include <stdlib.h>
#include <string.h>

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
        const char *v = getenv(name);
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
  char *h = ini_expand_home(v);
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
 * escapes the next char; an unbalanced quote makes the name match nothing,
 * as botocore skips a section whose name shlex refuses. */
#define TOKMAX 256
int cfg_section_is(const char *sect, const char *kind, const char *name) {
  char tok[2][TOKMAX];
  int nt = 0;
  const char *p = sect;
  for (;;) {
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == '\0')
      break;
    if (nt == 2)
      return 0;
    char *t = tok[nt++];
    size_t n = 0;
#define PUT(c)                                                                                   \
  do {                                                                                           \
    if (n + 1 >= TOKMAX)                                                                         \
      return 0;                                                                                  \
    t[n++] = (c);                                                                                \
  } while (0)
    while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') {
      if (*p == '\'') {
        for (p++; *p != '\0' && *p != '\''; p++)
          PUT(*p);
        if (*p++ == '\0')
          return 0;
      } else if (*p == '"') {
        for (p++; *p != '\0' && *p != '"'; p++) {
          if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
            p++;
          PUT(*p);
        }
        if (*p++ == '\0')
          return 0;
      } else if (*p == '\\') {
        if (*++p == '\0')
          return 0;
        PUT(*p++);
      } else {
        PUT(*p++);
      }
    }
#undef PUT
    t[n] = '\0';
  }
  return nt == 2 && strcmp(tok[0], kind) == 0 && strcmp(tok[1], name) == 0;
}

/* botocore takes [default] or [profile default] for the default profile and
 * only [profile NAME] for the others (a bare [NAME] in the config file is not
 * a profile). */
static int is_profile_section(const char *sect, const char *profile) {
  if (strcmp(profile, "default") == 0 && strcmp(sect, "default") == 0)
    return 1;
  return cfg_section_is(sect, "profile", profile);
}

const char *cfg_config_get(const cfg_files_t *f, const char *profile, const char *key) {
  for (size_t i = ini_section_count(f->cfg); i-- > 0;) {
    if (is_profile_section(ini_section_name(f->cfg, i), profile)) {
      const char *v = ini_get_at(f->cfg, i, key);
      if (v != NULL)
        return v;
    }
  }
  return NULL;
}

const char *cfg_profile_get(const cfg_files_t *f, const char *profile, const char *key,
                            const char **where) {
  const char *v = ini_get(f->cred, profile, key);
  if (v != NULL) {
    if (where != NULL)
      *where = f->cred_path;
    return v;
  }
  v = cfg_config_get(f, profile, key);
  if (v != NULL && where != NULL)
    *where = f->cfg_path;
  return v;
}

int cfg_profile_exists(const cfg_files_t *f, const char *profile) {
  if (ini_has_section(f->cred, profile))
    return 1;
  for (size_t i = 0; i < ini_section_count(f->cfg); i++) {
    if (is_profile_section(ini_section_name(f->cfg, i), profile))
      return 1;
  }
  return 0;
}
