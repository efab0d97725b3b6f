/* A strict RFC 3339 reader that never looks past its length, and calendar
 * arithmetic that needs neither the C library's time zone nor its locale. */
#include "rfc3339.h"

#include <stdio.h>

/* `width` decimal digits at s; -1 if any is not a digit. */
static int digits(const char *s, int width) {
  int v = 0;
  for (int i = 0; i < width; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static int is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int64_t y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar
 * (H. Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

int rfc3339_parse(const char *s, size_t n, int64_t *out) {
  /* The fixed part, "YYYY-MM-DDTHH:MM:SS", is 19 bytes; the shortest zone
   * ("Z") makes 20. */
  if (s == NULL || out == NULL || n < 20)
    return -1;
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') || s[13] != ':' ||
      s[16] != ':')
    return -1;
  int year = digits(s, 4), mon = digits(s + 5, 2), day = digits(s + 8, 2);
  int hour = digits(s + 11, 2), min = digits(s + 14, 2), sec = digits(s + 17, 2);
  if (year < 0 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) ||
      hour < 0 || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60 ||
      (sec == 60 && min != 59))
    return -1;
  size_t i = 19;
  if (s[i] == '.') {
    size_t first = ++i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
      i++;
    if (i == first)
      return -1;
  }
  if (i >= n)
    return -1;
  int64_t offset = 0;
  if (s[i] == 'Z' || s[i] == 'z') {
    i++;
  } else if (s[i] == '+' || s[i] == '-') {
    if (n - i != 6 || s[i + 3] != ':')
      return -1;
    int oh = digits(s + i + 1, 2), om = digits(s + i + 4, 2);
    if (oh < 0 || oh > 23 || om < 0 || om > 59)
      return -1;
    offset = (int64_t)(oh * 3600 + om * 60) * (s[i] == '+' ? 1 : -1);
    i += 6;
  } else {
    return -1;
  }
  if (i != n)
    return -1;
  if (sec == 60)
    sec = 59; /* a leap second: the last second of its minute, rounded down */
  *out = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec - offset;
  return 0;
}

char *rfc3339_format(int64_t t, char out[RFC3339_TEXT_MAX]) {
  if (t < -((int64_t)1 << 40) || t > ((int64_t)1 << 40)) { /* far beyond year 9999 */
    snprintf(out, RFC3339_TEXT_MAX, "(out of range)");
    return out;
  }
  int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
  int64_t rem = t - days * 86400, y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0 || y > 9999)
    snprintf(out, RFC3339_TEXT_MAX, "(out of range)");
  else
    snprintf(out, RFC3339_TEXT_MAX, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u,
             (unsigned)m % 100u, (unsigned)d % 100u, (unsigned)(rem / 3600) % 100u,
             (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
  return out;
}
