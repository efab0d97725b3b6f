#include "sigv4_canon.h"

#include <stdint.h>
#include <string.h>

#include "uvaws/error.h"
#include "uvaws/sigv4.h"

/* The encoding of every byte as 4 bytes: the 1 or 3 characters it becomes,
 * then that count. The encoder stores all 4 and advances by the count, which
 * is branch-free (encoded text mixes the two kinds too often for a branch to
 * be predicted) and stays inside the 3*len+1 bytes promised: a byte read at
 * input offset i is stored at output offset <= 3*i. */
#define UNRESERVED(c)                                                                         \
  (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || ((c) >= '0' && (c) <= '9') || \
   (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~')
#define HEXU(v) ((v) < 10 ? '0' + (v) : 'A' + (v)-10)
#define KEPT(c, keep) (UNRESERVED(c) || ((keep) && (c) == '/'))
#define ENC(c, keep)                                                                 \
  {                                                                                  \
    {                                                                                \
      (char)(KEPT(c, keep) ? (c) : '%'), (char)(KEPT(c, keep) ? 0 : HEXU((c) >> 4)), \
          (char)(KEPT(c, keep) ? 0 : HEXU((c)&15)), (char)(KEPT(c, keep) ? 1 : 3)    \
    }                                                                                \
  }
#define E4(c, k) ENC(c, k), ENC((c) + 1, k), ENC((c) + 2, k), ENC((c) + 3, k)
#define E16(c, k) E4(c, k), E4((c) + 4, k), E4((c) + 8, k), E4((c) + 12, k)
#define E64(c, k) E16(c, k), E16((c) + 16, k), E16((c) + 32, k), E16((c) + 48, k)
#define E256(k) E64(0, k), E64(64, k), E64(128, k), E64(192, k)

typedef struct {
  char b[4];
} enc_t;

static const enc_t enc_plain[256] = {E256(0)};
static const enc_t enc_path[256] = {E256(1)};

size_t canon_uri_encode(const char *src, size_t len, int keep_slash, char *dst) {
  size_t o = 0;
  const enc_t *tab = keep_slash ? enc_path : enc_plain;
  for (size_t i = 0; i < len; i++) {
    const enc_t *e = &tab[(unsigned char)src[i]];
    memcpy(dst + o, e->b, 4); /* one store; dst has room for 3 bytes a byte */
    o += (size_t)e->b[3];
  }
  dst[o] = '\0';
  return o;
}

int uvaws_uri_encode(const char *src, size_t len, int keep_slash, char *dst, size_t *size) {
  if (size == NULL || (src == NULL && len > 0) || (dst == NULL && *size > 0))
    return UVAWS_EINVAL;
  const enc_t *tab = keep_slash ? enc_path : enc_plain;
  size_t need = 0;
  for (size_t i = 0; i < len; i++)
    need += (size_t)tab[(unsigned char)src[i]].b[3];
  if (*size <= need) {
    *size = need + 1;
    return UVAWS_ENOBUFS;
  }
  size_t o = 0; /* exact copies: the caller's buffer may end at the NUL */
  for (size_t i = 0; i < len; i++) {
    const enc_t *e = &tab[(unsigned char)src[i]];
    memcpy(dst + o, e->b, (size_t)e->b[3]);
    o += (size_t)e->b[3];
  }
  dst[o] = '\0';
  *size = o;
  return 0;
}

void canon_encode(buf_t *b, const char *s, size_t n, int keep_slash) {
  if (b->cap - b->len <= 3 * n && buf_grow(b, 3 * n) != 0)
    return;
  b->len += canon_uri_encode(s, n, keep_slash, b->data + b->len);
}

void canon_normalize_path(buf_t *b, const char *path) {
  size_t segments = 0;
  if (path[0] == '/')
    buf_addc(b, '/');
  size_t floor = b->len;
  const char *p = path;
  while (*p != '\0') {
    const char *end = strchr(p, '/');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n == 0 || (n == 1 && p[0] == '.')) {
      /* empty or "." segment: dropped */
    } else if (n == 2 && p[0] == '.' && p[1] == '.') {
      if (segments > 0 && !b->failed) {
        size_t q = b->len;
        while (q > floor && b->data[q - 1] != '/')
          q--;
        b->len = q > floor ? q - 1 : floor;
        segments--;
      }
    } else {
      if (segments > 0)
        buf_addc(b, '/');
      buf_add(b, p, n);
      segments++;
    }
    if (end == NULL)
      break;
    p = end + 1;
  }
  size_t plen = strlen(path);
  if (segments > 0 && plen > 0 && path[plen - 1] == '/')
    buf_addc(b, '/');
}


#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Exact for "some byte of x equals c". */
static int has_byte(uint64_t x, unsigned char c) {
  uint64_t y = x ^ (ONES * c);
  return ((y - ONES) & ~y & HIGHS) != 0;
}

/* Most values hold no blank, or single spaces only: words without a blank
 * are copied eight bytes at a time, the rest byte by byte. */
void canon_trimall(buf_t *b, const char *v, size_t n) {
  if (b->cap - b->len <= n && buf_grow(b, n) != 0)
    return; /* the result is never longer than the value */
  char *start = b->data + b->len, *o = start;
  int pending = 0; /* a blank run to write as one space before the next byte */
  size_t i = 0;
  while (i < n) {
    uint64_t x;
    if (i + 8 <= n) {
      memcpy(&x, v + i, 8);
      if (!has_byte(x, ' ') && !has_byte(x, '\t')) {
        if (pending)
          *o++ = ' ';
        pending = 0;
        memcpy(o, &x, 8); /* o + 8 <= start + n: output never outruns input */
        o += 8;
        i += 8;
        continue;
      }
    }
    char c = v[i++];
    if (c == ' ' || c == '\t') {
      pending = o != start; /* leading blanks are dropped */
      continue;
    }
    if (pending)
      *o++ = ' ';
    pending = 0;
    *o++ = c;
  }
  b->len += (size_t)(o - start);
}

static const unsigned char tchar[256] = {
    ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1, ['*'] = 1,
    ['+'] = 1, ['-'] = 1, ['.'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1, ['|'] = 1, ['~'] = 1,
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
    ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
    ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
    ['y'] = 1, ['z'] = 1,
};

size_t canon_token_len(const char *s) {
  if (s == NULL)
    return 0;
  const char *p = s;
  for (; *p != '\0'; p++)
    if (!tchar[(unsigned char)*p])
      return 0;
  return (size_t)(p - s);
}

/* Eight bytes at a time: session tokens run past a thousand characters. A
 * word with a byte below 0x20 or equal to 0x7f (the tests are exact for "any
 * byte") is looked at byte by byte, since a tab is allowed. */
int canon_is_field_value(const char *s) { return canon_is_field_value_n(s, strlen(s)); }

int canon_is_field_value_n(const char *s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    memcpy(&x, s + i, 8);
    y = x ^ (0x7f * ONES);
    if ((((x - 0x20 * ONES) & ~x) | ((y - ONES) & ~y)) & HIGHS)
      break;
  }
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

int canon_ieq_n(const char *a, const char *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (lower(a[i]) != lower(b[i]))
      return 0;
  return 1;
}

int canon_payload_hash(const char *v, size_t n, size_t *off, size_t *len) {
  while (n > 0 && (*v == ' ' || *v == '\t'))
    v++, n--, ++*off;
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t'))
    n--;
  *len = n;
  if (n == 0 || n > 128)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = v[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return 0;
  }
  return 1;
}
