/* SHA-256 and HMAC-SHA256 through OpenSSL 3 EVP, the fast way, and the cache
 * of derived SigV4 signing keys.
 *
 * OpenSSL 3's one-shot helpers (HMAC(), EVP_Q_mac, EVP_Digest with a name)
 * fetch the algorithm from the provider on every call, which costs several
 * times the hashing itself on short inputs. Here SHA-256 is fetched once and
 * digest contexts are reused with EVP_DigestInit_ex2.
 *
 * HMAC is built on the digest (RFC 2104) rather than EVP_MAC: a cached key is
 * kept as the two SHA-256 states after the ipad and opad blocks, and a MAC
 * starts by copying them. That is what the HMAC provider does inside, minus
 * its dispatch and parameter layers, which measured ~50 ns of the ~280 ns an
 * EVP_MAC restart (EVP_MAC_init with a NULL key) took per signature on
 * OpenSSL 3.0 (bench/bench_sigv4, cases openssl_floor*). Key derivation
 * hashes the pads directly, so it never re-keys or re-fetches anything.
 */
#ifndef UVAWS_SIGV4_CRYPTO_H
#define UVAWS_SIGV4_CRYPTO_H

#include <stddef.h>

#include <openssl/evp.h>

#define SIGV4_KEY_CACHE_SIZE 4

/* An HMAC-SHA256 key, as the digest states after its inner and outer pads. */
typedef struct {
  EVP_MD_CTX *inner;
  EVP_MD_CTX *outer;
} sigv4_hmac_key_t;

typedef struct {
  char *secret; /* copy, cleansed when evicted */
  char date[9]; /* YYYYMMDD */
  char *region;
  char *service;
  sigv4_hmac_key_t key; /* the derived signing key; inner == NULL: empty slot */
} sigv4_key_entry_t;

typedef struct {
  EVP_MD *sha256;
  EVP_MD_CTX *md;  /* plain hashes and key derivation */
  EVP_MD_CTX *mac; /* a MAC under a cached key, started from a copy */
  sigv4_key_entry_t keys[SIGV4_KEY_CACHE_SIZE];
  unsigned next_victim;
} sigv4_crypto_t;

int sigv4_crypto_init(sigv4_crypto_t *c);
void sigv4_crypto_free(sigv4_crypto_t *c);

/* 0 or -1. */
int sigv4_sha256(sigv4_crypto_t *c, const void *data, size_t len, unsigned char out[32]);

/* The signing key for (secret, date, region, service), derived on a cache
 * miss; NULL on failure. Valid until the next call. */
const sigv4_hmac_key_t *sigv4_signing_key(sigv4_crypto_t *c, const char *secret, const char *date,
                                          const char *region, const char *service);

/* HMAC of `data` under `key`; 0 or -1. */
int sigv4_hmac_keyed(sigv4_crypto_t *c, const sigv4_hmac_key_t *key, const void *data, size_t len,
                     unsigned char out[32]);

/* Lower-case hex of `n` bytes into `out` (2n+1 bytes, NUL-terminated). */
void sigv4_hex(const unsigned char *in, size_t n, char *out);

#endif
