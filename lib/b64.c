/* Base64 over OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock. */
#include "b64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "uvaws/error.h"

int b64_decode(const char *s, size_t n, unsigned char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  if (n % 4 != 0 || n > (size_t)INT_MAX / 4 * 3)
    return -1;
  unsigned char *raw = malloc(n / 4 * 3 + 1);
  if (raw == NULL)
    return UVAWS_ENOMEM;
  int got = n ? EVP_DecodeBlock(raw, (const unsigned char *)s, (int)n) : 0;
  /* EVP_DecodeBlock counts padding as zero bytes, and skips blanks: the
   * round trip below refuses both. */
  int pad = n ? (s[n - 1] == '=') + (s[n - 2] == '=') : 0;
  if (got < pad) {
    free(raw);
    return -1;
  }
  size_t len = (size_t)(got - pad);
  if (n > 0) {
    char *back = malloc(n + 1);
    if (back == NULL) {
      free(raw);
      return UVAWS_ENOMEM;
    }
    int blen = EVP_EncodeBlock((unsigned char *)back, raw, (int)len);
    int same = blen == (int)n && memcmp(back, s, n) == 0;
    free(back);
    if (!same) {
      free(raw);
      return -1;
    }
  }
  raw[len] = '\0';
  *out = raw;
  *out_len = len;
  return 0;
}

int b64_is_canonical(const char *s, size_t n) {
  unsigned char *raw;
  size_t len;
  int rc = b64_decode(s, n, &raw, &len);
  free(raw);
  return rc == 0;
}

void b64_encode(buf_t *b, const void *data, size_t len) {
  size_t need = (len + 2) / 3 * 4;
  if (len > (size_t)INT_MAX / 4 * 3 || buf_grow(b, need + 1) != 0) {
    b->failed = 1;
    return;
  }
  int n = EVP_EncodeBlock((unsigned char *)b->data + b->len, data, (int)len);
  b->len += (size_t)n;
}
