#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/crypto.h>

int buf_grow(buf_t *b, size_t extra) {
  if (b->failed)
    return -1;
  /* No object is larger than PTRDIFF_MAX: a size past it is a length gone
   * wrong, and would wrap `need` or the doubling below. */
  if (extra >= (size_t)PTRDIFF_MAX - b->len) {
    b->failed = 1;
    return -1;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  size_t cap = b->cap ? b->cap : 32;
  while (cap < need)
    cap *= 2;
  char *p = malloc(cap);
  if (p == NULL) {
    b->failed = 1;
    return -1;
  }
  /* Copy-and-cleanse rather than realloc so that no stale copy of a secret
   * stays behind in freed memory. */
  if (b->data != NULL) {
    memcpy(p, b->data, b->len);
    OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
  }
  b->data = p;
  b->cap = cap;
  return 0;
}

int buf_grow_array(void **arr, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return 0;
  size_t n = *cap ? *cap : 4;
  while (n < need) {
    if (n > SIZE_MAX / 2 / elem)
      return -1;
    n *= 2;
  }
  char *p = realloc(*arr, n * elem);
  if (p == NULL)
    return -1;
  memset(p + *cap * elem, 0, (n - *cap) * elem);
  *arr = p;
  *cap = n;
  return 0;
}

void buf_free(buf_t *b) {
  if (b->data != NULL) {
    OPENSSL_cleanse(b->data, b->cap);
    free(b->data);
  }
  b->data = NULL;
  b->len = b->cap = 0;
  b->failed = 0;
}

void buf_add_escaped(buf_t *b, const char *s, size_t n,
                     const char *(*escape)(unsigned char c, char tmp[8], int arg), int arg) {
  size_t run = 0;
  char tmp[8];
  for (size_t i = 0; i < n; i++) {
    const char *esc = escape((unsigned char)s[i], tmp, arg);
    if (esc == NULL)
      continue;
    buf_add(b, s + run, i - run);
    buf_adds(b, esc);
    run = i + 1;
  }
  buf_add(b, s + run, n - run);
}
