#include "sigv4_crypto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "secret.h"

#define BLOCK 64 /* SHA-256 block size, the HMAC pad length */

/* Forgets the names of an entry but keeps its digest contexts for the next
 * key (re-initializing them overwrites the old state). */
static void entry_forget(sigv4_key_entry_t *e) {
  secret_free(e->secret);
  free(e->region);
  free(e->service);
  e->secret = e->region = e->service = NULL;
  e->date[0] = '\0';
}

static void entry_free(sigv4_key_entry_t *e) {
  entry_forget(e);
  EVP_MD_CTX_free(e->key.inner); /* OpenSSL cleanses the digest state */
  EVP_MD_CTX_free(e->key.outer);
  memset(e, 0, sizeof *e);
}

int sigv4_crypto_init(sigv4_crypto_t *c) {
  memset(c, 0, sizeof *c);
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  c->md = EVP_MD_CTX_new();
  c->mac = EVP_MD_CTX_new();
  if (c->sha256 == NULL || c->md == NULL || c->mac == NULL) {
    sigv4_crypto_free(c);
    return -1;
  }
  return 0;
}

void sigv4_crypto_free(sigv4_crypto_t *c) {
  for (int i = 0; i < SIGV4_KEY_CACHE_SIZE; i++)
    entry_free(&c->keys[i]);
  EVP_MD_CTX_free(c->mac);
  EVP_MD_CTX_free(c->md);
  EVP_MD_free(c->sha256);
  memset(c, 0, sizeof *c);
}

int sigv4_sha256(sigv4_crypto_t *c, const void *data, size_t len, unsigned char out[32]) {
  unsigned int n = 0;
  if (!EVP_DigestInit_ex2(c->md, c->sha256, NULL) || !EVP_DigestUpdate(c->md, data, len) ||
      !EVP_DigestFinal_ex(c->md, out, &n))
    return -1;
  return 0;
}

/* Starts `ctx` as SHA-256 over the key block XOR `pad`. */
static int start_pad(sigv4_crypto_t *c, EVP_MD_CTX *ctx, const unsigned char block[BLOCK],
                     unsigned char pad) {
  unsigned char p[BLOCK];
  for (int i = 0; i < BLOCK; i++)
    p[i] = block[i] ^ pad;
  int ok = EVP_DigestInit_ex2(ctx, c->sha256, NULL) && EVP_DigestUpdate(ctx, p, BLOCK);
  OPENSSL_cleanse(p, sizeof p);
  return ok ? 0 : -1;
}

/* HMAC(block, msg) with a key already laid out as a zero-padded block. */
static int hmac_block(sigv4_crypto_t *c, const unsigned char block[BLOCK], const char *msg,
                      unsigned char out[32]) {
  unsigned int n = 0;
  if (start_pad(c, c->md, block, 0x36) != 0 || !EVP_DigestUpdate(c->md, msg, strlen(msg)) ||
      !EVP_DigestFinal_ex(c->md, out, &n) || start_pad(c, c->md, block, 0x5c) != 0 ||
      !EVP_DigestUpdate(c->md, out, 32) || !EVP_DigestFinal_ex(c->md, out, &n))
    return -1;
  return 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request"),
 * left as the pad states of `key`. */
static int derive(sigv4_crypto_t *c, const char *secret, const char *date, const char *region,
                  const char *service, sigv4_hmac_key_t *key) {
  unsigned char block[BLOCK] = {0};
  unsigned char k[32];
  size_t slen = strlen(secret);
  int rc = -1;
  if (slen + 4 <= BLOCK) {
    memcpy(block, "AWS4", 4);
    memcpy(block + 4, secret, slen);
  } else { /* RFC 2104: a key longer than a block is hashed first */
    unsigned int n = 0;
    if (!EVP_DigestInit_ex2(c->md, c->sha256, NULL) || !EVP_DigestUpdate(c->md, "AWS4", 4) ||
        !EVP_DigestUpdate(c->md, secret, slen) || !EVP_DigestFinal_ex(c->md, block, &n))
      goto out;
  }
  const char *steps[] = {date, region, service, "aws4_request"};
  for (int i = 0; i < 4; i++) {
    if (hmac_block(c, block, steps[i], k) != 0)
      goto out;
    memset(block, 0, sizeof block);
    memcpy(block, k, 32);
  }
  rc = start_pad(c, key->inner, block, 0x36) == 0 && start_pad(c, key->outer, block, 0x5c) == 0
           ? 0
           : -1;
out:
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(k, sizeof k);
  return rc;
}

int sigv4_hmac_keyed(sigv4_crypto_t *c, const sigv4_hmac_key_t *key, const void *data, size_t len,
                     unsigned char out[32]) {
  unsigned int n = 0;
  if (!EVP_MD_CTX_copy_ex(c->mac, key->inner) || !EVP_DigestUpdate(c->mac, data, len) ||
      !EVP_DigestFinal_ex(c->mac, out, &n) || !EVP_MD_CTX_copy_ex(c->mac, key->outer) ||
      !EVP_DigestUpdate(c->mac, out, 32) || !EVP_DigestFinal_ex(c->mac, out, &n))
    return -1;
  return 0;
}

const sigv4_hmac_key_t *sigv4_signing_key(sigv4_crypto_t *c, const char *secret, const char *date,
                                          const char *region, const char *service) {
  for (int i = 0; i < SIGV4_KEY_CACHE_SIZE; i++) {
    sigv4_key_entry_t *e = &c->keys[i];
    if (e->secret != NULL && memcmp(e->date, date, 9) == 0 && strcmp(e->secret, secret) == 0 &&
        strcmp(e->region, region) == 0 && strcmp(e->service, service) == 0)
      return &e->key;
  }
  sigv4_key_entry_t *e = &c->keys[c->next_victim];
  c->next_victim = (c->next_victim + 1) % SIGV4_KEY_CACHE_SIZE;
  entry_forget(e);
  if (e->key.inner == NULL)
    e->key.inner = EVP_MD_CTX_new();
  if (e->key.outer == NULL)
    e->key.outer = EVP_MD_CTX_new();
  if (e->key.inner == NULL || e->key.outer == NULL ||
      derive(c, secret, date, region, service, &e->key) != 0)
    return NULL;
  e->secret = strdup(secret);
  e->region = strdup(region);
  e->service = strdup(service);
  if (e->secret == NULL || e->region == NULL || e->service == NULL) {
    entry_forget(e);
    return NULL;
  }
  memcpy(e->date, date, 9);
  return &e->key;
}

/* Eight digits from four bytes at once, in a 64-bit word (SWAR): each byte
 * is spread to two, its nibbles split into them in printing order, and each
 * nibble becomes '0'..'9' or 'a'..'f' by adding '0' and, where it is above 9,
 * the 39 more that 'a' needs. The table version cost a load and a store per
 * byte; hex is three of every signature. */
static uint64_t hex4(const unsigned char *in) {
  uint64_t x = (uint64_t)in[0] | (uint64_t)in[1] << 8 | (uint64_t)in[2] << 16 |
               (uint64_t)in[3] << 24;
  x = (x | x << 16) & UINT64_C(0x0000FFFF0000FFFF);
  x = (x | x << 8) & UINT64_C(0x00FF00FF00FF00FF);
  const uint64_t low = UINT64_C(0x000F000F000F000F);
  uint64_t n = (x >> 4 & low) | (x & low) << 8; /* nibbles, high one first */
  uint64_t above9 = (n + UINT64_C(0x0606060606060606)) >> 4 & UINT64_C(0x0101010101010101);
  return n + UINT64_C(0x3030303030303030) + above9 * 39;
}

#ifdef __SSE2__
/* Thirty-two digits from sixteen bytes in SSE2 registers (every x86-64 has
 * them): the nibbles split and interleaved high first, then '0' added to
 * each and 39 more where it is above 9, as hex4 does a word at a time. A
 * signature prints three 32-byte hashes; this takes a fifth of hex4's time. */
static void hex16(const unsigned char *in, char *out) {
  const __m128i low = _mm_set1_epi8(0x0F);
  __m128i v = _mm_loadu_si128((const __m128i *)(const void *)in);
  __m128i hi = _mm_and_si128(_mm_srli_epi16(v, 4), low);
  __m128i lo = _mm_and_si128(v, low);
  __m128i a = _mm_unpacklo_epi8(hi, lo), b = _mm_unpackhi_epi8(hi, lo);
  const __m128i nine = _mm_set1_epi8(9), zero = _mm_set1_epi8('0'), gap = _mm_set1_epi8(39);
  a = _mm_add_epi8(_mm_add_epi8(a, zero), _mm_and_si128(_mm_cmpgt_epi8(a, nine), gap));
  b = _mm_add_epi8(_mm_add_epi8(b, zero), _mm_and_si128(_mm_cmpgt_epi8(b, nine), gap));
  _mm_storeu_si128((__m128i *)(void *)out, a);
  _mm_storeu_si128((__m128i *)(void *)(out + 16), b);
}
#endif

void sigv4_hex(const unsigned char *in, size_t n, char *out) {
  size_t i = 0;
#ifdef __SSE2__
  for (; i + 16 <= n; i += 16)
    hex16(in + i, out + 2 * i);
#endif
  for (; i + 4 <= n; i += 4) {
    uint64_t w = hex4(in + i);
    const uint16_t one = 1; /* the first digit goes first in memory: */
    if (*(const unsigned char *)&one == 0) /* big-endian (folded at compile time) */
      w = (w >> 56) | (w >> 40 & 0xFF00) | (w >> 24 & 0xFF0000) | (w >> 8 & 0xFF000000) |
          (w & 0xFF000000) << 8 | (w & 0xFF0000) << 24 | (w & 0xFF00) << 40 | w << 56;
    memcpy(out + 2 * i, &w, 8);
  }
  static const char digits[] = "0123456789abcdef";
  for (; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}
