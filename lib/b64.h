/* Base64 (RFC 4648, standard alphabet, padded) through OpenSSL's EVP block
 * functions, with the strictness they lack: only canonical text is taken. */
#ifndef UVAWS_B64_H
#define UVAWS_B64_H

#include <stddef.h>

#include "buf.h"

/* 1 if `s` (n bytes) is canonical base64: what decodes encodes back to the
 * same text, which rules out stray characters, missing or extra padding,
 * whitespace and nonzero leftover bits. "" is canonical (no bytes). */
int b64_is_canonical(const char *s, size_t n);

/* Decodes canonical base64 into a new buffer (*out, freed by the caller;
 * NUL-terminated for convenience, not counted in *out_len). 0, -1 when `s` is
 * not canonical base64, or UVAWS_ENOMEM. */
int b64_decode(const char *s, size_t n, unsigned char **out, size_t *out_len);

/* Appends the base64 text of `len` bytes to `b`. */
void b64_encode(buf_t *b, const void *data, size_t len);

#endif
