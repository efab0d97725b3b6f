/* libFuzzer target for the INI reader and the profile rules above it: any
 * bytes may be parsed; a successful parse is then queried with section, key,
 * sub-key and profile names cut from the input itself, so that lookups meet
 * names that exist as well as near misses, with the parse standing for the
 * config file and the credentials file at once (so that a profile's keys can
 * be split across them). Must never crash, leak or hit undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"
#include "ini.h"

#define NTOK 8
#define TOKLEN 64

/* Up to NTOK names: the pieces between "\r\n=:[]", blanks trimmed. */
static size_t tokens(const uint8_t *d, size_t n, char tok[NTOK][TOKLEN]) {
  size_t nt = 0, i = 0;
  while (i < n && nt < NTOK) {
    while (i < n && strchr("\r\n=:[] \t", d[i]) != NULL && d[i] != '\0')
      i++;
    size_t len = 0;
    while (i < n && strchr("\r\n=:[]", d[i]) == NULL && d[i] != '\0') {
      if (len + 1 < TOKLEN)
        tok[nt][len++] = (char)d[i];
      i++;
    }
    while (len > 0 && (tok[nt][len - 1] == ' ' || tok[nt][len - 1] == '\t'))
      len--;
    if (i < n && d[i] == '\0')
      i++;
    if (len > 0) {
      tok[nt][len] = '\0';
      nt++;
    }
  }
  return nt;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ini_t *ini = NULL;
  int line = 0;
  if (ini_parse((const char *)data, size, &ini, &line) != 0) {
    if (ini != NULL || line < 0)
      abort(); /* a failed parse returns nothing and a sane line */
    return 0;
  }
  char tok[NTOK][TOKLEN];
  size_t nt = tokens(data, size, tok);
  size_t ns = ini_section_count(ini);
  volatile size_t sink = 0;
  for (size_t i = 0; i <= ns && i < 16; i++) {
    const char *sect = ini_section_name(ini, i); /* NULL at i == ns */
    if (sect != NULL && !ini_has_section(ini, sect))
      abort();
    for (size_t k = 0; k < nt; k++) {
      const char *v = ini_get(ini, sect, tok[k]);
      const char *w = ini_get_at(ini, i, tok[k]);
      sink += (v != NULL ? strlen(v) : 0) + (w != NULL ? strlen(w) : 0);
      const char *s = ini_get_sub(ini, sect, tok[k], tok[(k + 1) % nt]);
      s = s != NULL ? s : ini_get_sub_at(ini, i, tok[k], tok[(k + 1) % nt]);
      sink += s != NULL ? strlen(s) : 0;
      if (sect != NULL)
        sink += (size_t)cfg_section_is(sect, "profile", tok[k]);
    }
  }
  for (size_t k = 0; k < nt; k++)
    sink += (size_t)ini_has_section(ini, tok[k]);
  /* the profile layer: the same text as either file, or both */
  cfg_files_t both = {.cfg = ini, .cred = ini, .cfg_path = "config", .cred_path = "credentials"};
  cfg_files_t cfg_only = {.cfg = ini, .cfg_path = "config", .cred_path = "credentials"};
  cfg_files_t cred_only = {.cred = ini, .cfg_path = "config", .cred_path = "credentials"};
  const cfg_files_t *views[] = {&both, &cfg_only, &cred_only};
  for (size_t k = 0; k < nt; k++) {
    const char *profile = tok[k];
    sink += (size_t)cfg_profile_name_ok(profile);
    for (size_t w = 0; w < 3; w++) {
      int exists = cfg_profile_exists(views[w], profile);
      const char *where = NULL;
      const char *v = cfg_profile_get(views[w], profile, tok[(k + 1) % nt], &where);
      if (v != NULL && (!exists || where == NULL))
        abort(); /* a value comes from an existing profile of a named file */
      uvaws_error_t err = {0};
      cfg_keys_t keys;
      int rc = cfg_static_keys(views[w], profile, &keys, &err);
      if (rc == 1 && (keys.key == NULL || keys.secret == NULL || !exists))
        abort(); /* found keys are a whole pair of a profile */
      if ((rc < 0) != (err.detail != NULL))
        abort(); /* an error always says why, success never does */
      uvaws_error_clear(&err);
    }
  }
  (void)sink;
  ini_free(ini);
  return 0;
}
