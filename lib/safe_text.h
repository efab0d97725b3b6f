/* Text from outside (server answers, metadata, helpers) made safe to print:
 * what reaches a log line or an error string can neither steer a terminal
 * nor forge a line of its own. */
#ifndef UVAWS_SAFE_TEXT_H
#define UVAWS_SAFE_TEXT_H

#include <stddef.h>

#include "buf.h"

/* Appends the `n` bytes of `s`, escaped: C0 controls and DEL as \n, \r, \t
 * or \xHH; bytes that are not well-formed UTF-8 as \xHH; the C1 controls,
 * the line and paragraph separators and the bidirectional controls of
 * Unicode as \uHHHH. Everything else (printable ASCII, other UTF-8) is kept. */
void safe_text_add(buf_t *b, const char *s, size_t n);

/* 1 if safe_text_add would change nothing. */
int safe_text_is_clean(const char *s, size_t n);

/* A malloc'd escaped copy of `n` bytes of `s`, or NULL when out of memory. */
char *safe_text_dup(const char *s, size_t n);

#endif
