/* Timestamps, UTF-8, integers and UUIDs for the operation layer. */
#include "op_value.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "num_text.h"
#include "wordscan.h"

/* ---- calendar (proleptic Gregorian, Howard Hinnant's algorithms) ------------ */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  unsigned yoe = (unsigned)(y - era * 400);
  unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  unsigned doe = (unsigned)(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static unsigned days_in_month(int64_t y, unsigned m) {
  static const unsigned dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : dm[m - 1];
}

/* Seconds of 0001-01-01 and of the end of 9999, botocore's datetime range. */
#define TS_MIN (-62135596800LL)
#define TS_MAX (253402300799LL)

static int make_ts(int64_t y, unsigned mo, unsigned d, unsigned h, unsigned mi, unsigned s,
                   int32_t us, int64_t offset_s, ts_t *t) {
  if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
      mi > 59 || s > 59)
    return -1;
  int64_t v = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_s;
  if (v < TS_MIN || v > TS_MAX)
    return -1;
  t->s = v;
  t->us = us;
  return 0;
}

/* ---- parsing ------------------------------------------------------------- */

typedef struct {
  const char *p, *end;
} cur_t;

static int digits(cur_t *c, size_t n, unsigned *out) {
  unsigned v = 0;
  for (size_t i = 0; i < n; i++) {
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
      return -1;
    v = v * 10 + (unsigned)(*c->p++ - '0');
  }
  *out = v;
  return 0;
}

static int lit(cur_t *c, char ch) {
  if (c->p < c->end && *c->p == ch) {
    c->p++;
    return 1;
  }
  return 0;
}

/* ".123456789": microseconds, further digits dropped. */
static int32_t fraction(cur_t *c) {
  int32_t us = 0;
  int n = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (n < 6)
      us = us * 10 + (*c->p - '0');
    n++;
    c->p++;
  }
  for (; n < 6; n++)
    us *= 10;
  return us;
}

/* Z, +hh:mm, +hhmm, +hh, GMT, UTC, or nothing (UTC). */
static int zone(cur_t *c, int64_t *offset) {
  *offset = 0;
  while (c->p < c->end && *c->p == ' ')
    c->p++;
  if (c->p == c->end)
    return 0;
  if (*c->p == 'Z' || *c->p == 'z') {
    c->p++;
    return 0;
  }
  size_t left = (size_t)(c->end - c->p);
  if (left >= 3 && (strncmp(c->p, "GMT", 3) == 0 || strncmp(c->p, "UTC", 3) == 0)) {
    c->p += 3;
    return 0;
  }
  int sign = *c->p == '+' ? 1 : *c->p == '-' ? -1 : 0;
  if (sign == 0)
    return -1;
  c->p++;
  unsigned hh, mm = 0;
  if (digits(c, 2, &hh) != 0)
    return -1;
  if (lit(c, ':')) {
    if (digits(c, 2, &mm) != 0)
      return -1;
  } else if (c->p < c->end && digits(c, 2, &mm) != 0) {
    return -1;
  }
  if (hh > 23 || mm > 59)
    return -1;
  *offset = sign * (int64_t)(hh * 3600 + mm * 60);
  return 0;
}

static int parse_iso(cur_t *c, ts_t *t) {
  unsigned y, mo, d, h = 0, mi = 0, s = 0;
  int32_t us = 0;
  if (digits(c, 4, &y) || !lit(c, '-') || digits(c, 2, &mo) || !lit(c, '-') || digits(c, 2, &d))
    return -1;
  int64_t off = 0;
  if (c->p < c->end) {
    if (!(lit(c, 'T') || lit(c, 't') || lit(c, ' ')))
      return -1;
    if (digits(c, 2, &h) || !lit(c, ':') || digits(c, 2, &mi))
      return -1;
    if (lit(c, ':')) {
      if (digits(c, 2, &s))
        return -1;
      if (lit(c, '.') || lit(c, ','))
        us = fraction(c);
    }
    if (zone(c, &off) != 0)
      return -1;
  }
  return c->p == c->end ? make_ts(y, mo, d, h, mi, s, us, off, t) : -1;
}

static int parse_rfc822(cur_t *c, ts_t *t) {
  static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
  /* the weekday, if any, is not checked against the date (as parsers do) */
  const char *comma = memchr(c->p, ',', (size_t)(c->end - c->p));
  if (comma != NULL)
    c->p = comma + 1;
  while (c->p < c->end && *c->p == ' ')
    c->p++;
  unsigned d, y, h, mi, s = 0;
  if (digits(c, 1, &d))
    return -1;
  unsigned d2;
  cur_t save = *c;
  if (digits(c, 1, &d2) == 0)
    d = d * 10 + d2;
  else
    *c = save;
  if (!lit(c, ' ') || c->end - c->p < 4)
    return -1;
  const char *mname = NULL;
  for (int i = 0; i < 12; i++)
    if (strncasecmp(c->p, months + 3 * i, 3) == 0)
      mname = months + 3 * i;
  if (mname == NULL)
    return -1;
  unsigned mo = (unsigned)((mname - months) / 3 + 1);
  c->p += 3;
  if (!lit(c, ' ') || digits(c, 4, &y) || !lit(c, ' ') || digits(c, 2, &h) || !lit(c, ':') ||
      digits(c, 2, &mi))
    return -1;
  if (lit(c, ':') && digits(c, 2, &s))
    return -1;
  int64_t off;
  if (zone(c, &off) != 0 || c->p != c->end)
    return -1;
  return make_ts(y, mo, d, h, mi, s, 0, off, t);
}

/* Seconds since the epoch as text: "-12", "1714566600.25". */
static int parse_epoch(cur_t *c, ts_t *t) {
  int neg = lit(c, '-');
  const char *start = c->p;
  int64_t v = 0;
  while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
    if (v > TS_MAX)
      return -1;
    v = v * 10 + (*c->p++ - '0');
  }
  if (c->p == start)
    return -1;
  int32_t us = 0;
  if (lit(c, '.'))
    us = fraction(c);
  if (c->p != c->end)
    return -1;
  if (neg && us > 0) {
    v = -v - 1;
    us = 1000000 - us;
  } else if (neg) {
    v = -v;
  }
  if (v < TS_MIN || v > TS_MAX)
    return -1;
  t->s = v;
  t->us = us;
  return 0;
}

int ts_parse_text(const char *s, size_t n, ts_t *t) {
  while (n > 0 && (*s == ' ' || *s == '\t'))
    s++, n--;
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
    n--;
  if (n == 0 || memchr(s, '\0', n) != NULL)
    return -1;
  cur_t c = {s, s + n};
  if (parse_epoch(&c, t) == 0)
    return 0;
  c.p = s;
  if (n >= 10 && s[4] == '-')
    return parse_iso(&c, t);
  return parse_rfc822(&c, t);
}

int ts_from_json(const cJSON *v, ts_t *t) {
  if (cJSON_IsString(v))
    return ts_parse_text(v->valuestring, strlen(v->valuestring), t);
  if (cJSON_IsRaw(v))
    return ts_parse_text(v->valuestring, strlen(v->valuestring), t);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
    return -1;
  double d = v->valuedouble;
  if (d < (double)TS_MIN || d > (double)TS_MAX)
    return -1;
  double whole = floor(d);
  /* to the nearest microsecond, as Python's datetime.fromtimestamp */
  double us = nearbyint((d - whole) * 1e6);
  t->s = (int64_t)whole;
  t->us = (int32_t)us;
  if (t->us >= 1000000) {
    t->s++;
    t->us -= 1000000;
  }
  return t->s <= TS_MAX ? 0 : -1;
}

/* ---- formatting ---------------------------------------------------------- */

typedef struct {
  int64_t y;
  unsigned mo, d, h, mi, s, wday;
} civil_t;

static civil_t civil(int64_t secs) {
  civil_t c;
  int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
  int64_t rem = secs - days * 86400;
  civil_from_days(days, &c.y, &c.mo, &c.d);
  c.h = (unsigned)(rem / 3600);
  c.mi = (unsigned)(rem % 3600 / 60);
  c.s = (unsigned)(rem % 60);
  c.wday = (unsigned)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
  return c;
}

/* `width` decimal digits of v, zero-padded. */
static char *put_digits(char *p, unsigned v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    p[i] = (char)('0' + v % 10);
  return p + width;
}

/* ISO 8601 by hand for years 0 to 9999 (every answer's, many times a list):
 * snprintf's format parsing cost ten times the rest of a timestamp's parse.
 * The length, or 0 for a year outside (ts_format prints those). */
static size_t iso8601_fast(const civil_t *c, int32_t us, char out[TS_TEXT_MAX]) {
  if (c->y < 0 || c->y > 9999)
    return 0;
  char *p = put_digits(out, (unsigned)c->y, 4);
  *p++ = '-';
  p = put_digits(p, c->mo, 2);
  *p++ = '-';
  p = put_digits(p, c->d, 2);
  *p++ = 'T';
  p = put_digits(p, c->h, 2);
  *p++ = ':';
  p = put_digits(p, c->mi, 2);
  *p++ = ':';
  p = put_digits(p, c->s, 2);
  if (us > 0) {
    *p++ = '.';
    p = put_digits(p, (unsigned)us, 6);
  }
  *p++ = 'Z';
  *p = '\0';
  return (size_t)(p - out);
}

size_t ts_format(ts_t t, mts_t fmt, char out[TS_TEXT_MAX]) {
  civil_t c = civil(t.s);
  int n;
  size_t fast;
  if (fmt == MTS_ISO8601 && (fast = iso8601_fast(&c, t.us, out)) > 0)
    return fast;
  if (fmt == MTS_UNIX) {
    n = snprintf(out, TS_TEXT_MAX, "%lld", (long long)t.s);
  } else if (fmt == MTS_RFC822) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    n = snprintf(out, TS_TEXT_MAX, "%s, %02u %s %04lld %02u:%02u:%02u GMT", days[c.wday], c.d,
                 months[c.mo - 1], (long long)c.y, c.h, c.mi, c.s);
  } else if (t.us > 0) {
    n = snprintf(out, TS_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02u.%06dZ", (long long)c.y, c.mo,
                 c.d, c.h, c.mi, c.s, (int)t.us);
  } else {
    n = snprintf(out, TS_TEXT_MAX, "%04lld-%02u-%02uT%02u:%02u:%02uZ", (long long)c.y, c.mo, c.d,
                 c.h, c.mi, c.s);
  }
  return n > 0 && n < TS_TEXT_MAX ? (size_t)n : 0;
}

size_t ts_format_output(ts_t t, char out[TS_TEXT_MAX]) {
  size_t n = ts_format(t, MTS_ISO8601, out);
  if (n > 0 && t.us > 0) {
    /* "...00.250000Z" -> "...00.25Z" */
    size_t z = n - 1;
    while (out[z - 1] == '0')
      z--;
    out[z] = 'Z';
    out[z + 1] = '\0';
    n = z + 1;
  }
  return n;
}

/* ---- text and numbers ---------------------------------------------------- */

long utf8_count(const char *str, size_t n) {
  const unsigned char *s = (const unsigned char *)str;
  size_t i = 0;
  long count = 0;
  while (i < n) {
    if (i + 8 <= n && !word_has_high(word_at(str + i))) { /* eight ASCII bytes */
      i += 8;
      count += 8;
      continue;
    }
    unsigned char c = s[i];
    count++;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t len;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return -1;
    }
    if (n - i < len)
      return -1;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80)
        return -1;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return -1;
    i += len;
  }
  return count;
}

int json_int64(const cJSON *v, int64_t *out) {
  if (cJSON_IsRaw(v)) {
    const char *s = v->valuestring;
    if (s == NULL || !num_is_json(s) || strpbrk(s, ".eE") != NULL)
      return -1;
    errno = 0;
    char *end;
    long long x = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
      return -1;
    *out = x;
    return 0;
  }
  if (!cJSON_IsNumber(v))
    return -1;
  double d = v->valuedouble;
  /* 2^63 is exactly representable; every double below it in magnitude fits */
  if (!isfinite(d) || d != floor(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
    return -1;
  *out = (int64_t)d;
  return 0;
}

size_t json_number_text(const cJSON *v, char out[64]) {
  if (cJSON_IsRaw(v)) {
    const char *s = v->valuestring;
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= 64 || !num_is_json(s))
      return 0;
    memcpy(out, s, n + 1);
    return n;
  }
  if (!cJSON_IsNumber(v))
    return 0;
  return num_text(v->valuedouble, out);
}

int uuid4(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1)
    return -1;
  b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
  b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
  snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
           b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
           b[15]);
  return 0;
}
