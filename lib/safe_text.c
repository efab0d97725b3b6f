#include "safe_text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) and its code point, or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp) {
  unsigned char c = s[0];
  size_t len;
  uint32_t min;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2, min = 0x80, *cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3, min = 0x800, *cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4, min = 0x10000, *cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len)
    return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    *cp = *cp << 6 | (s[i] & 0x3F);
  }
  if (*cp < min || *cp > 0x10FFFF || (*cp >= 0xD800 && *cp <= 0xDFFF))
    return 0;
  return len;
}

/* Code points that move text around or end lines without being ASCII. */
static int invisible_control(uint32_t cp) {
  return (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
         (cp >= 0x200E && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x061C;
}

/* The span of s that needs no escape, from the start. */
static size_t clean_prefix(const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    if (u[i] >= 0x20 && u[i] < 0x7F) {
      i++;
      continue;
    }
    uint32_t cp;
    size_t len = u[i] >= 0x80 ? utf8_seq(u + i, n - i, &cp) : 0;
    if (len == 0 || invisible_control(cp))
      break;
    i += len;
  }
  return i;
}

int safe_text_is_clean(const char *s, size_t n) { return clean_prefix(s, n) == n; }

void safe_text_add(buf_t *b, const char *s, size_t n) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    size_t k = clean_prefix(s + i, n - i);
    buf_add(b, s + i, k);
    i += k;
    if (i == n)
      break;
    char esc[12];
    uint32_t cp;
    size_t len = u[i] >= 0x80 ? utf8_seq(u + i, n - i, &cp) : 0;
    if (len > 0) { /* a well-formed but invisible control */
      snprintf(esc, sizeof esc, "\\u%04X", (unsigned)cp);
      i += len;
    } else {
      unsigned char c = u[i++];
      if (c == '\n' || c == '\r' || c == '\t')
        snprintf(esc, sizeof esc, "\\%c", c == '\n' ? 'n' : c == '\r' ? 'r' : 't');
      else
        snprintf(esc, sizeof esc, "\\x%02X", c);
    }
    buf_adds(b, esc);
  }
}

char *safe_text_dup(const char *s, size_t n) {
  buf_t b = {0};
  safe_text_add(&b, s, n);
  if (buf_str(&b) == NULL) {
    free(b.data);
    return NULL;
  }
  return b.data;
}
