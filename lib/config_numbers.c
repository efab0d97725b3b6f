/* Numeric settings from the environment and the profile, read strictly: a
 * value is plain decimal digits (a timeout may have up to three decimals)
 * inside a sane range, else a configuration error says which setting, where,
 * and what is allowed. No strtod: "inf", "nan", "1e300", "0x10", " 3" and
 * "-1" never become a number. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "rfc3339.h"

int cfg_parse_decimal(const char *s, int max_decimals, long min, long max, long *out) {
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  long scale = 1;
  for (int i = 0; i < max_decimals; i++)
    scale *= 10;
  long v = 0;
  const char *p = s;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > max / 10 + 1) /* already past any allowed value: stop before overflow */
      return -1;
    v = v * 10 + (*p - '0');
  }
  if (v > max / scale + 1)
    return -1;
  v *= scale;
  if (*p == '.' && max_decimals > 0) {
    const char *f = ++p;
    long unit = scale;
    for (; *p >= '0' && *p <= '9' && p - f < max_decimals; p++)
      v += (*p - '0') * (unit /= 10);
    if (p == f)
      return -1;
  }
  if (*p != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

typedef struct {
  const char *env; /* NULL: profile only */
  const char *key; /* profile key */
  int decimals;    /* 3: seconds given with up to ms precision, stored in ms */
  long min, max;   /* in stored units */
  size_t off;      /* int field of config_t */
  const char *want;
} setting_t;

static const setting_t settings[] = {
    {"AWS_MAX_ATTEMPTS", "max_attempts", 0, 1, 100, offsetof(config_t, max_attempts),
     "a whole number of attempts from 1 to 100"},
    {"AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout", 3, 1, 3600000,
     offsetof(config_t, metadata_timeout_ms),
     "a number of seconds from 0.001 to 3600 (like 1 or 0.5)"},
    {"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts", 0, 1, 10,
     offsetof(config_t, metadata_num_attempts), "a whole number of attempts from 1 to 10"},
    {NULL, "duration_seconds", 0, 900, 43200, offsetof(config_t, duration_seconds),
     "a whole number of seconds from 900 to 43200 (what STS accepts)"},
};

/* At most 40 characters of `v`, anything unprintable as '?'. */
static void shown(const char *v, char out[48]) {
  size_t n = 0;
  for (; v[n] != '\0' && n < 40; n++)
    out[n] = v[n] >= 0x20 && v[n] < 0x7f ? v[n] : '?';
  out[n] = '\0';
  if (v[n] != '\0')
    snprintf(out + n, 48 - n, "...");
}

int cfg_resolve_numbers(const cfg_files_t *f, config_t *out, uvaws_error_t *err) {
  for (size_t i = 0; i < sizeof settings / sizeof *settings; i++) {
    const setting_t *s = &settings[i];
    const char *where = NULL;
    const char *v = s->env ? cfg_env(s->env) : NULL;
    if (v == NULL && (v = cfg_profile_get(f, out->profile, s->key, &where)) == NULL)
      continue;
    long n;
    if (cfg_parse_decimal(v, s->decimals, s->min, s->max, &n) != 0) {
      char text[48];
      shown(v, text);
      if (where == NULL)
        return uvaws_error_set(err, UVAWS_ECONFIG, "%s must be %s, not \"%s\"", s->env, s->want,
                               text);
      return uvaws_error_set(err, UVAWS_ECONFIG, "%s of profile \"%s\" in %s must be %s, not \"%s\"",
                             s->key, out->profile, where, s->want, text);
    }
    *(int *)((char *)out + s->off) = (int)n;
  }
  return 0;
}

int cfg_parse_expiration(const char *v, int64_t *out, uvaws_error_t *err) {
  if (rfc3339_parse(v, strlen(v), out) == 0) {
    if (*out == 0)
      *out = -1; /* 0 would mean "does not expire" */
    return 0;
  }
  char text[48];
  shown(v, text);
  return uvaws_error_set(err, UVAWS_ECONFIG,
                         "AWS_CREDENTIAL_EXPIRATION must be an RFC 3339 time like "
                         "2026-11-23T20:05:36Z, not \"%s\"", text);
}
