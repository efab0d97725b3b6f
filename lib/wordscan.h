/* Eight bytes at a time: the tests the hot text loops of the operation
 * layer run on a whole word before they look at single bytes. Each is exact
 * for "some byte of the word ...". */
#ifndef UVAWS_WORDSCAN_H
#define UVAWS_WORDSCAN_H

#include <stdint.h>
#include <string.h>

#define WORD_ONES UINT64_C(0x0101010101010101)
#define WORD_HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t word_at(const char *p) {
  uint64_t x;
  memcpy(&x, p, 8); /* unaligned, and what compilers turn into one load */
  return x;
}

/* Some byte is zero. */
static inline int word_has_zero(uint64_t x) { return ((x - WORD_ONES) & ~x & WORD_HIGHS) != 0; }

/* Some byte equals c. */
static inline int word_has_byte(uint64_t x, unsigned char c) {
  return word_has_zero(x ^ (WORD_ONES * c));
}

/* Some byte is below n (n at most 128). */
static inline int word_has_less(uint64_t x, unsigned char n) {
  return ((x - WORD_ONES * n) & ~x & WORD_HIGHS) != 0;
}

/* Some byte has its high bit set (is not ASCII). */
static inline int word_has_high(uint64_t x) { return (x & WORD_HIGHS) != 0; }

#endif
