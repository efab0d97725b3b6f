/* Shortest round-trip number text and the JSON number grammar. */
#include "num_text.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* printf and strtod follow LC_NUMERIC; the wire wants '.', so the locale's
 * point (a program may have called setlocale) is swapped after formatting. */
static void dot(char *s) {
  const char *lp = localeconv()->decimal_point;
  if (lp == NULL || strcmp(lp, ".") == 0)
    return;
  size_t n = strlen(lp);
  char *p = strstr(s, lp);
  if (p == NULL)
    return;
  *p = '.';
  memmove(p + 1, p + n, strlen(p + n) + 1);
}

/* An integer below 2^53 by hand: what the wire wants most (indexes, counts,
 * durations, expiries) at a fraction of snprintf's cost. */
static size_t small_integer(double d, char out[NUM_TEXT_MAX]) {
  char digits[24], *p = digits + sizeof digits;
  uint64_t v = (uint64_t)fabs(d);
  do
    *--p = (char)('0' + v % 10);
  while ((v /= 10) > 0);
  size_t n = 0, len = (size_t)(digits + sizeof digits - p);
  if (signbit(d)) /* -0 too, as "%.0f" writes it */
    out[n++] = '-';
  memcpy(out + n, p, len);
  out[n + len] = '\0';
  return n + len;
}

size_t num_text(double d, char out[NUM_TEXT_MAX]) {
  if (!isfinite(d))
    return 0;
  if (d == floor(d) && fabs(d) < 9007199254740992.0)
    return small_integer(d, out);
  int n;
  /* Below 1e21 an integral double prints exactly in plain digits, as JSON
   * writers and JavaScript do; above that the exponent form is far shorter. */
  if (d == floor(d) && fabs(d) < 1e21) {
    n = snprintf(out, NUM_TEXT_MAX, "%.0f", d);
  } else {
    n = 0;
    for (int prec = 1; prec <= 17; prec++) {
      n = snprintf(out, NUM_TEXT_MAX, "%.*g", prec, d);
      if (strtod(out, NULL) == d)
        break;
    }
    dot(out);
  }
  return n > 0 && n < NUM_TEXT_MAX ? (size_t)n : 0;
}

static const char *digits(const char *s) {
  while (*s >= '0' && *s <= '9')
    s++;
  return s;
}

int num_is_json(const char *s) {
  if (s == NULL)
    return 0;
  if (*s == '-')
    s++;
  if (*s == '0')
    s++;
  else if (*s >= '1' && *s <= '9')
    s = digits(s);
  else
    return 0;
  if (*s == '.') {
    const char *f = ++s;
    s = digits(s);
    if (s == f)
      return 0;
  }
  if (*s == 'e' || *s == 'E') {
    s++;
    if (*s == '+' || *s == '-')
      s++;
    const char *e = s;
    s = digits(s);
    if (s == e)
      return 0;
  }
  return *s == '\0';
}
