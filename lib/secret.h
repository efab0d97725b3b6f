/* Freeing strings that held secrets: zeroed first (OPENSSL_cleanse, which
 * the compiler may not optimize away), so they don't linger in freed memory
 * or core dumps. */
#ifndef UVAWS_SECRET_H
#define UVAWS_SECRET_H

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

static inline void secret_free(char *s) {
  if (s != NULL) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

#endif
