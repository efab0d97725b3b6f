/* RFC 3339 timestamps, as credential sources write their Expiration:
 * "2026-11-23T20:05:36Z", with optional fractional seconds and a numeric
 * offset instead of Z. Strict: anything else is refused. */
#ifndef UVAWS_RFC3339_H
#define UVAWS_RFC3339_H

#include <stddef.h>
#include <stdint.h>

/* Room for "YYYY-MM-DDTHH:MM:SSZ" and its NUL. */
#define RFC3339_TEXT_MAX 21

/* Parses exactly the `n` bytes at `s` (no NUL needed, none read past n):
 *   date-time = YYYY "-" MM "-" DD "T" hh ":" mm ":" ss [ "." 1*DIGIT ]
 *               ( "Z" / ( "+" / "-" ) hh ":" mm )
 * with a real calendar date (leap years), hours 00-23, minutes 00-59,
 * seconds 00-59 (60 only in a minute's last second: a leap second, taken as
 * :59), offsets up to 23:59; "t" and "z" as RFC 3339 allows. Fractions are
 * dropped (the time is rounded down). Sets *out to seconds since the epoch
 * (negative before 1970) and returns 0, or returns -1 and leaves *out alone. */
int rfc3339_parse(const char *s, size_t n, int64_t *out);

/* Writes `t` as "YYYY-MM-DDTHH:MM:SSZ"; "(out of range)" for years outside
 * 0000-9999. Returns out. */
char *rfc3339_format(int64_t t, char out[RFC3339_TEXT_MAX]);

#endif
