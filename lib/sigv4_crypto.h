/* SHA-256 and HMAC-SHA256 through OpenSSL 3 EVP, the fast way, and the cache
 * of derived SigV4 signing keys.
 *
 * OpenSSL 3's one-shot helpers (HMAC(), EVP_Q_mac, EVP_Digest with a name)
 * fetch the algorithm from the provider on every call, which costs several
 * times the hashing itself on short inputs. Here the algorithms are fetched
 * once, digest contexts are reused with EVP_DigestInit_ex2, and the signing
 * key of each cache entry lives in a keyed EVP_MAC_CTX that is restarted, not
 * re-keyed, for every signature.
 */
#ifndef UVAWS_SIGV4_CRYPTO_H
#define UVAWS_SIGV4_CRYPTO_H

#include <stddef.h>

#include <openssl/evp.h>

#define SIGV4_KEY_CACHE_SIZE 4

typedef struct {
  char *secret; /* copy, cleansed when evicted */
  char date[9]; /* YYYYMMDD */
  char *region;
  char *service;
  EVP_MAC_CTX *mac; /* keyed with the derived signing key */
} sigv4_key_entry_t;

typedef struct {
  EVP_MD *sha256;
  EVP_MD_CTX *md;
  EVP_MAC *hmac;
  EVP_MAC_CTX *derive; /* re-keyed for each step of a key derivation */
  sigv4_key_entry_t keys[SIGV4_KEY_CACHE_SIZE];
  unsigned next_victim;
} sigv4_crypto_t;

int sigv4_crypto_init(sigv4_crypto_t *c);
void sigv4_crypto_free(sigv4_crypto_t *c);

/* 0 or -1. */
int sigv4_sha256(sigv4_crypto_t *c, const void *data, size_t len, unsigned char out[32]);

/* The keyed MAC context for (secret, date, region, service), derived on a
 * cache miss; NULL on failure. */
EVP_MAC_CTX *sigv4_signing_key(sigv4_crypto_t *c, const char *secret, const char *date,
                               const char *region, const char *service);

/* HMAC of `data` under the key held by `key`; 0 or -1. */
int sigv4_hmac_keyed(EVP_MAC_CTX *key, const void *data, size_t len, unsigned char out[32]);

/* Lower-case hex of `n` bytes into `out` (2n+1 bytes, NUL-terminated). */
void sigv4_hex(const unsigned char *in, size_t n, char *out);

#endif
