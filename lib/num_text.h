/* Number text shared by the serializers: a double as the shortest decimal
 * that reads back to the same double, and the JSON number grammar that raw
 * cJSON numbers must follow (cJSON prints a raw value verbatim, so anything
 * else would make the printed document invalid). */
#ifndef UVAWS_NUM_TEXT_H
#define UVAWS_NUM_TEXT_H

#include <stddef.h>

/* Enough for "%.17g" of any double, sign and exponent included. */
#define NUM_TEXT_MAX 32

/* Writes `d` into `out`: integral values below 1e21 in plain digits ("42",
 * "-3", "100000000000000000000"), others the shortest "%g" text with the same
 * value ("1.5", "1e+21", "0.1"), always with '.' as the decimal point whatever
 * the locale. Returns the length, or 0 for NaN and infinities, which have no
 * decimal text. */
size_t num_text(double d, char out[NUM_TEXT_MAX]);

/* 1 if `s` is a complete JSON number (RFC 8259: -?int frac? exp?). */
int num_is_json(const char *s);

#endif
