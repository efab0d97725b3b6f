/* A growable byte buffer for building strings on the hot path.
 *
 * Appends never fail visibly: an allocation failure sets `failed`, later
 * growth fails too, and buf_str returns NULL until a reset, so a builder
 * checks once at the end instead of after every piece (an append that fits
 * without growing still copies: the hot path tests only the room). The memory is kept between uses (len reset to 0), which is why
 * signing a request allocates nothing once the buffers have grown.
 */
#ifndef UVAWS_BUF_H
#define UVAWS_BUF_H

#include <stddef.h>
#include <string.h>

typedef struct {
  char *data;
  size_t len;
  size_t cap;
  int failed;
} buf_t;

/* Makes room for `extra` more bytes plus a NUL: after 0, cap - len > extra.
 * -1 (and `failed` set) without memory, or for a size past PTRDIFF_MAX. */
int buf_grow(buf_t *b, size_t extra);

/* The same growth for an array of `elem`-byte items: makes *arr (with *cap
 * items) hold at least `need`, doubling, the new items zeroed. 0, or -1
 * (then *arr and *cap are unchanged). Callers test `need > *cap` first, so
 * the call is made only when the array really grows. */
int buf_grow_array(void **arr, size_t *cap, size_t need, size_t elem);
/* Frees the memory after zeroing it (buffers may have held secrets). */
void buf_free(buf_t *b);

static inline void buf_reset(buf_t *b) {
  b->len = 0;
  b->failed = 0;
}

static inline void buf_add(buf_t *b, const void *p, size_t n) {
  if (b->cap - b->len <= n && buf_grow(b, n) != 0)
    return;
  memcpy(b->data + b->len, p, n);
  b->len += n;
}

static inline void buf_addc(buf_t *b, char c) {
  if (b->cap - b->len <= 1 && buf_grow(b, 1) != 0)
    return;
  b->data[b->len++] = c;
}

static inline void buf_adds(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }

/* Appends `n` bytes of `s`, each byte for which `escape` returns a text
 * replaced by that text (`tmp` is room it may use). Runs between escaped
 * bytes are copied in one piece. */
void buf_add_escaped(buf_t *b, const char *s, size_t n,
                     const char *(*escape)(unsigned char c, char tmp[8], int arg), int arg);

/* NUL-terminates without counting the NUL; returns the data or NULL if any
 * append failed. */
static inline const char *buf_str(buf_t *b) {
  if (b->failed || (b->cap - b->len < 1 && buf_grow(b, 1) != 0))
    return NULL;
  b->data[b->len] = '\0';
  return b->data;
}

#endif
