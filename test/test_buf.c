/* lib/buf.c, the growable buffer every builder of lib/ writes into, held to
 * its contract at every capacity boundary (run under ASan, a byte written
 * past the allocation is a failure): buf_grow(b, n) leaves room for n bytes
 * and a NUL for every length and every n, so a caller that writes exactly n
 * bytes and then terminates them (canon_encode, b64_encode) stays inside;
 * appends that end exactly on a boundary read back as the same C string;
 * reset keeps the memory; a size no object can have fails (the flag set, no
 * wrap-around, nothing allocated) and the flag makes buf_str refuse the
 * text, whatever is appended after, until a reset; buf_grow_array doubles, zeroes the new items, and refuses a
 * count whose bytes would overflow, leaving the array as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

#define LIMIT 1100 /* past 1024: the boundaries 32, 64, ..., 1024 and beyond */

static char pattern_at(size_t i) { return (char)('a' + i % 26); }

static void fill(buf_t *b, size_t n) {
  for (size_t i = 0; i < n; i++)
    buf_addc(b, pattern_at(i));
}

static void assert_pattern(const char *s, size_t n) {
  assert_non_null(s);
  assert_int_equal(strlen(s), n);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(s[i], pattern_at(i));
}

/* For every length and every n: room for n bytes and the NUL, written as a
 * caller that trusts the contract writes them (ASan sees the last byte). */
static void test_grow_leaves_room_for_nul(void **state) {
  (void)state;
  for (size_t len = 0; len <= 260; len++) {
    for (size_t n = 0; n <= 300; n++) {
      buf_t b = {0};
      fill(&b, len);
      assert_int_equal(buf_grow(&b, n), 0);
      assert_true(b.cap - b.len > n);
      memset(b.data + b.len, 'x', n);
      b.data[b.len + n] = '\0';
      assert_int_equal(strlen(b.data), len + n);
      buf_free(&b);
    }
  }
}

/* Appends of every size that end exactly on each length up to LIMIT (so on
 * each boundary the buffer grows at), then used as a C string. */
static void test_appends_end_on_every_boundary(void **state) {
  (void)state;
  char src[LIMIT];
  for (size_t i = 0; i < LIMIT; i++)
    src[i] = pattern_at(i);
  static const size_t pieces[] = {1, 3, 7, 31, 32, 33, 64, 100, LIMIT};
  for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
    buf_t b = {0};
    for (size_t n = 0; n < LIMIT; n++) {
      buf_reset(&b);
      for (size_t at = 0; at < n;) {
        size_t k = n - at < pieces[p] ? n - at : pieces[p];
        buf_add(&b, src + at, k);
        at += k;
      }
      assert_int_equal(b.len, n);
      assert_pattern(buf_str(&b), n);
      assert_true(b.cap > b.len);
    }
    buf_free(&b);
  }
  /* a byte at a time from empty each time: every boundary met fresh */
  for (size_t n = 0; n < LIMIT; n++) {
    buf_t b = {0};
    fill(&b, n);
    assert_pattern(buf_str(&b), n);
    buf_free(&b);
  }
}

static const char *escape_odd(unsigned char c, char tmp[8], int arg) {
  (void)arg;
  if (c % 2 == 0)
    return NULL;
  tmp[0] = '%';
  tmp[1] = (char)c;
  tmp[2] = '\0';
  return tmp;
}

/* Escaped runs: every prefix of a text of escaped and plain bytes, each
 * ending where a boundary may fall, reads back as the escape of it. */
static void test_escaped_runs(void **state) {
  (void)state;
  char src[300], want[600];
  for (size_t i = 0; i < sizeof src; i++)
    src[i] = (char)('A' + i % 7 * (i % 5 == 0 ? 1 : 2)); /* odd and even letters */
  buf_t b = {0};
  for (size_t n = 0; n <= sizeof src; n++) {
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
      if ((unsigned char)src[i] % 2)
        want[w++] = '%';
      want[w++] = src[i];
    }
    want[w] = '\0';
    buf_reset(&b);
    buf_add_escaped(&b, src, n, escape_odd, 0);
    const char *s = buf_str(&b);
    assert_non_null(s);
    assert_string_equal(s, want);
  }
  buf_free(&b);
}

/* Reset empties without freeing: the memory is reused, no new allocation. */
static void test_reset_keeps_memory(void **state) {
  (void)state;
  buf_t b = {0};
  fill(&b, 500);
  char *data = b.data;
  size_t cap = b.cap;
  buf_reset(&b);
  assert_int_equal(b.len, 0);
  assert_ptr_equal(b.data, data);
  assert_int_equal(b.cap, cap);
  fill(&b, cap - 1); /* the most it holds with its NUL */
  assert_ptr_equal(b.data, data);
  assert_pattern(buf_str(&b), cap - 1);
  assert_ptr_equal(b.data, data);
  buf_addc(&b, 'z'); /* one more: it grows, the text kept */
  assert_true(b.cap > cap);
  const char *s = buf_str(&b);
  assert_non_null(s);
  assert_int_equal(strlen(s), cap);
  assert_int_equal(s[cap - 1], 'z');
  buf_free(&b);
  assert_null(b.data);
  assert_int_equal(b.len + b.cap, 0);
  buf_free(&b); /* twice is harmless */
}

/* A size no object can have fails at once, whatever the length: no
 * wrap-around to "fits", no endless doubling, nothing allocated. The flag
 * then makes buf_str refuse the text and stops every growth until a reset. */
static void test_failure_flag(void **state) {
  (void)state;
  static const size_t huge[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 40, (size_t)PTRDIFF_MAX,
                                (size_t)PTRDIFF_MAX + 1};
  for (size_t len = 0; len <= 64; len += 16) {
    for (size_t h = 0; h < sizeof huge / sizeof *huge; h++) {
      buf_t b = {0};
      fill(&b, len);
      size_t cap = b.cap;
      assert_int_equal(buf_grow(&b, huge[h]), -1);
      assert_true(b.failed);
      assert_int_equal(b.cap, cap);
      assert_int_equal(b.len, len);
      /* appends that need no growth may still copy (the hot path tests
       * only the room), but the result is refused */
      buf_adds(&b, "more");
      buf_addc(&b, 'c');
      buf_add_escaped(&b, "odd", 3, escape_odd, 0);
      assert_null(buf_str(&b));
      fill(&b, 100); /* past the room: dropped */
      assert_true(b.len < len + 100);
      assert_null(buf_str(&b));
      assert_int_equal(buf_grow(&b, 1), -1);
      buf_reset(&b);
      assert_false(b.failed);
      fill(&b, 40);
      assert_pattern(buf_str(&b), 40);
      buf_free(&b);
      assert_false(b.failed);
    }
  }
  /* a length near the limit: the sum would wrap */
  buf_t b = {0};
  fill(&b, 10);
  b.len = (size_t)PTRDIFF_MAX - 5; /* as if it held that much: only sizes are read */
  assert_int_equal(buf_grow(&b, 5), -1);
  assert_true(b.failed);
  b.len = 10;
  buf_free(&b);
}

typedef struct {
  uint64_t a, b;
} item_t;

static void test_grow_array(void **state) {
  (void)state;
  item_t *arr = NULL;
  size_t cap = 0;
  for (size_t need = 1; need <= 300; need++) {
    if (need > cap) {
      size_t old = cap;
      assert_int_equal(buf_grow_array((void **)&arr, &cap, need, sizeof *arr), 0);
      assert_true(cap >= need);
      assert_true(cap <= 2 * need || cap == 4); /* doubling, from 4 */
      for (size_t i = old; i < cap; i++) /* the new items zeroed */
        assert_true(arr[i].a == 0 && arr[i].b == 0);
    }
    arr[need - 1].a = need; /* the last item is usable (ASan) */
    arr[need - 1].b = ~(uint64_t)need;
  }
  for (size_t i = 0; i < 300; i++) /* and the old ones kept */
    assert_true(arr[i].a == i + 1 && arr[i].b == ~(uint64_t)(i + 1));
  item_t *keep = arr;
  size_t keep_cap = cap;
  assert_int_equal(buf_grow_array((void **)&arr, &cap, cap, sizeof *arr), 0); /* fits */
  assert_ptr_equal(arr, keep);
  static const size_t huge[] = {SIZE_MAX, SIZE_MAX / sizeof(item_t), SIZE_MAX / 2 / sizeof(item_t) + 2};
  for (size_t h = 0; h < sizeof huge / sizeof *huge; h++) {
    assert_int_equal(buf_grow_array((void **)&arr, &cap, huge[h], sizeof *arr), -1);
    assert_ptr_equal(arr, keep);
    assert_int_equal(cap, keep_cap);
  }
  free(arr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grow_leaves_room_for_nul),
      cmocka_unit_test(test_appends_end_on_every_boundary),
      cmocka_unit_test(test_escaped_runs),
      cmocka_unit_test(test_reset_keeps_memory),
      cmocka_unit_test(test_failure_flag),
      cmocka_unit_test(test_grow_array),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
