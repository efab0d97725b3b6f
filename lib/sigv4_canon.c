#include "sigv4_canon.h"

#include <string.h>

#include "uvaws/sigv4.h"

/* 1 for RFC 3986 unreserved characters: A-Z a-z 0-9 - . _ ~ */
static const unsigned char unreserved[256] = {
    ['-'] = 1, ['.'] = 1, ['_'] = 1, ['~'] = 1,
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

static const char hex_upper[] = "0123456789ABCDEF";

size_t uvaws_uri_encode(const char *src, size_t len, int keep_slash, char *dst) {
  size_t o = 0;
  if (src == NULL || dst == NULL) {
    if (dst != NULL)
      dst[0] = '\0';
    return 0;
  }
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)src[i];
    if (unreserved[c] || (c == '/' && keep_slash)) {
      dst[o++] = (char)c;
    } else {
      dst[o++] = '%';
      dst[o++] = hex_upper[c >> 4];
      dst[o++] = hex_upper[c & 15];
    }
  }
  dst[o] = '\0';
  return o;
}

void canon_encode(buf_t *b, const char *s, size_t n, int keep_slash) {
  if (b->cap - b->len <= 3 * n && buf_grow(b, 3 * n) != 0)
    return;
  b->len += uvaws_uri_encode(s, n, keep_slash, b->data + b->len);
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

static int is_blank(char c) { return c == ' ' || c == '\t'; }

void canon_trimall(buf_t *b, const char *v) {
  while (is_blank(*v))
    v++;
  int pending_space = 0;
  for (; *v != '\0'; v++) {
    if (is_blank(*v)) {
      pending_space = 1;
      continue;
    }
    if (pending_space) {
      buf_addc(b, ' ');
      pending_space = 0;
    }
    buf_addc(b, *v);
  }
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

int canon_is_token(const char *s) {
  if (s == NULL || *s == '\0')
    return 0;
  for (; *s != '\0'; s++)
    if (!tchar[(unsigned char)*s])
      return 0;
  return 1;
}

int canon_is_field_value(const char *s) {
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if ((c < 0x20 && c != '\t') || c == 0x7f)
      return 0;
  }
  return 1;
}

static char lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c; }

int canon_ieq(const char *a, size_t alen, const char *b) {
  for (size_t i = 0; i < alen; i++)
    if (b[i] == '\0' || lower(a[i]) != lower(b[i]))
      return 0;
  return b[alen] == '\0';
}
