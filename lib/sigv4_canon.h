/* The string rules of SigV4 canonicalization: RFC 3986 encoding, path
 * normalization, header value trimming, and the character classes that input
 * validation checks. Pure functions, no allocation beyond the buffer given. */
#ifndef UVAWS_SIGV4_CANON_H
#define UVAWS_SIGV4_CANON_H

#include <stddef.h>
#include <string.h>

#include "buf.h"

/* uvaws_uri_encode for the library's own buffers: `dst` has room for 3 *
 * `len` + 1 bytes (it is written four bytes at a time); returns the length. */
size_t canon_uri_encode(const char *src, size_t len, int keep_slash, char *dst);

/* Appends the percent-encoding of `n` bytes of `s` (see uvaws_uri_encode). */
void canon_encode(buf_t *b, const char *s, size_t n, int keep_slash);

/* Appends `path` with dot segments resolved and empty segments dropped, as the
 * AWS SDKs normalize (a trailing slash survives only if a segment remains). */
void canon_normalize_path(buf_t *b, const char *path);

/* Appends the `n` bytes of header value `v` with leading and trailing blanks
 * removed and inner runs of blanks folded to one space. */
void canon_trimall(buf_t *b, const char *v, size_t n);

/* The length of `s` if it is a non-empty HTTP token (RFC 9110 tchar), else 0
 * (also for NULL). */
size_t canon_token_len(const char *s);
static inline int canon_is_token(const char *s) { return canon_token_len(s) > 0; }

/* 1 if `s` holds no control character but horizontal tab (so no CR, LF). */
int canon_is_field_value(const char *s);
/* The same for the `n` bytes of `s` (no NUL among them). */
int canon_is_field_value_n(const char *s, size_t n);

/* 1 if the `n` bytes of `v`, blanks around them ignored, are a payload hash:
 * 1 to 128 letters, digits and '-' (64 hex digits, UNSIGNED-PAYLOAD,
 * STREAMING-...). Sets *off (added to) and *len to the trimmed span either way. */
int canon_payload_hash(const char *v, size_t n, size_t *off, size_t *len);

/* ASCII case-insensitive equality of `n` bytes of `a` and `b`. */
int canon_ieq_n(const char *a, const char *b, size_t n);

/* ASCII case-insensitive equality of a counted string and a C string. Inline
 * so that the length of a literal `b` is known at compile time and most
 * names are told apart by their length alone: the client asks this of every
 * header it is given, several times. */
static inline int canon_ieq(const char *a, size_t alen, const char *b) {
  return strlen(b) == alen && canon_ieq_n(a, b, alen);
}

#endif
