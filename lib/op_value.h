/* Scalar values of the operation layer: timestamps in and out, UTF-8
 * checks, integers, idempotency tokens.
 *
 * Timestamps in parameters: a number (seconds since the epoch, a fraction
 * allowed) or text: ISO 8601 ("2024-05-01T12:30:00Z", "2024-05-01T12:30:00.5
 * +02:00", "2024-05-01" for midnight; no zone means UTC), RFC 822 / 1123
 * ("Wed, 01 May 2024 12:30:00 GMT"), or digits of epoch seconds. Years 1 to
 * 9999, microsecond precision, as botocore's datetime.
 *
 * Timestamps in outputs, whatever the protocol sent: one form, RFC 3339 in
 * UTC, "2024-05-01T12:30:00Z", with the fraction of a second only when it is
 * not zero, in as many digits as it needs (".5", ".25", up to ".123456"). */
#ifndef UVAWS_OP_VALUE_H
#define UVAWS_OP_VALUE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model_format.h"

typedef struct {
  int64_t s;  /* seconds since 1970-01-01T00:00:00Z */
  int32_t us; /* 0 to 999999 */
} ts_t;

/* Longest text of any format below, NUL included. */
#define TS_TEXT_MAX 40

/* A timestamp from text (the forms above); 0 or -1. */
int ts_parse_text(const char *s, size_t n, ts_t *t);

/* A timestamp from a parameter: a number or text; 0 or -1. */
int ts_from_json(const cJSON *v, ts_t *t);

/* The wire text of a timestamp, as botocore writes it: MTS_ISO8601
 * "2024-05-01T12:30:00Z" (".500000Z" with a fraction), MTS_RFC822
 * "Wed, 01 May 2024 12:30:00 GMT", MTS_UNIX whole seconds "1714566600". */
size_t ts_format(ts_t t, mts_t fmt, char out[TS_TEXT_MAX]);

/* The output form (see above). */
size_t ts_format_output(ts_t t, char out[TS_TEXT_MAX]);

/* The number of characters in the `n` bytes of `s`, or -1 when they are not
 * well-formed UTF-8 (overlong forms, surrogates, above U+10FFFF). */
long utf8_count(const char *s, size_t n);

static inline int utf8_valid(const char *s, size_t n) { return utf8_count(s, n) >= 0; }

/* The integer a parameter holds: a cJSON number with an integral value in
 * the int64 range, or a raw cJSON number in integer form; 0 or -1. */
int json_int64(const cJSON *v, int64_t *out);

/* A number parameter's text: integral values as integers, others as the
 * shortest text that reads back; raw numbers as they are (checked JSON
 * number grammar). 0 for non-numbers and non-finite values, else the length. */
size_t json_number_text(const cJSON *v, char out[64]);

/* A random (version 4) UUID, as botocore fills idempotency tokens. 0 or -1. */
int uuid4(char out[37]);

#endif
