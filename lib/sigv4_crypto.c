#include "sigv4_crypto.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/params.h>

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (p != NULL)
    memcpy(p, s, n);
  return p;
}

static void free_secret(char *s) {
  if (s != NULL) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

static void entry_clear(sigv4_key_entry_t *e) {
  free_secret(e->secret);
  free(e->region);
  free(e->service);
  EVP_MAC_CTX_free(e->mac); /* OpenSSL cleanses the key state */
  memset(e, 0, sizeof *e);
}

int sigv4_crypto_init(sigv4_crypto_t *c) {
  memset(c, 0, sizeof *c);
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  c->md = EVP_MD_CTX_new();
  c->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  c->derive = c->hmac ? EVP_MAC_CTX_new(c->hmac) : NULL;
  if (c->sha256 == NULL || c->md == NULL || c->hmac == NULL || c->derive == NULL) {
    sigv4_crypto_free(c);
    return -1;
  }
  return 0;
}

void sigv4_crypto_free(sigv4_crypto_t *c) {
  for (int i = 0; i < SIGV4_KEY_CACHE_SIZE; i++)
    entry_clear(&c->keys[i]);
  EVP_MAC_CTX_free(c->derive);
  EVP_MAC_free(c->hmac);
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

static int set_key(EVP_MAC_CTX *ctx, const unsigned char *key, size_t keylen) {
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
      OSSL_PARAM_construct_end(),
  };
  return EVP_MAC_init(ctx, key, keylen, params) ? 0 : -1;
}

static int hmac_with(EVP_MAC_CTX *ctx, const unsigned char *key, size_t keylen, const char *msg,
                     unsigned char out[32]) {
  size_t n = 0;
  if (set_key(ctx, key, keylen) != 0 || !EVP_MAC_update(ctx, (const unsigned char *)msg, strlen(msg)) ||
      !EVP_MAC_final(ctx, out, &n, 32))
    return -1;
  return 0;
}

int sigv4_hmac_keyed(EVP_MAC_CTX *key, const void *data, size_t len, unsigned char out[32]) {
  size_t n = 0;
  /* A NULL key restarts the MAC with the key it already holds: no re-keying. */
  if (!EVP_MAC_init(key, NULL, 0, NULL) || !EVP_MAC_update(key, data, len) ||
      !EVP_MAC_final(key, out, &n, 32))
    return -1;
  return 0;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request") */
static EVP_MAC_CTX *derive(sigv4_crypto_t *c, const char *secret, const char *date,
                           const char *region, const char *service) {
  size_t slen = strlen(secret);
  unsigned char *k0 = malloc(slen + 4);
  unsigned char k[32];
  EVP_MAC_CTX *mac = NULL;
  if (k0 == NULL)
    return NULL;
  memcpy(k0, "AWS4", 4);
  memcpy(k0 + 4, secret, slen);
  int ok = hmac_with(c->derive, k0, slen + 4, date, k) == 0 &&
           hmac_with(c->derive, k, 32, region, k) == 0 &&
           hmac_with(c->derive, k, 32, service, k) == 0 &&
           hmac_with(c->derive, k, 32, "aws4_request", k) == 0;
  if (ok) {
    mac = EVP_MAC_CTX_new(c->hmac);
    if (mac != NULL && set_key(mac, k, 32) != 0) {
      EVP_MAC_CTX_free(mac);
      mac = NULL;
    }
  }
  OPENSSL_cleanse(k0, slen + 4);
  OPENSSL_cleanse(k, sizeof k);
  free(k0);
  return mac;
}

EVP_MAC_CTX *sigv4_signing_key(sigv4_crypto_t *c, const char *secret, const char *date,
                               const char *region, const char *service) {
  for (int i = 0; i < SIGV4_KEY_CACHE_SIZE; i++) {
    sigv4_key_entry_t *e = &c->keys[i];
    if (e->mac != NULL && memcmp(e->date, date, 9) == 0 && strcmp(e->secret, secret) == 0 &&
        strcmp(e->region, region) == 0 && strcmp(e->service, service) == 0)
      return e->mac;
  }
  EVP_MAC_CTX *mac = derive(c, secret, date, region, service);
  if (mac == NULL)
    return NULL;
  sigv4_key_entry_t *e = &c->keys[c->next_victim];
  c->next_victim = (c->next_victim + 1) % SIGV4_KEY_CACHE_SIZE;
  entry_clear(e);
  e->secret = dup_str(secret);
  e->region = dup_str(region);
  e->service = dup_str(service);
  if (e->secret == NULL || e->region == NULL || e->service == NULL) {
    entry_clear(e);
    EVP_MAC_CTX_free(mac);
    return NULL;
  }
  memcpy(e->date, date, 9);
  e->mac = mac;
  return mac;
}

void sigv4_hex(const unsigned char *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}
