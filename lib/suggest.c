/* Closest names by optimal-string-alignment distance. */
#include "suggest.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#define MAX_NAME 96

static int lower(int c) { return tolower((unsigned char)c); }

static size_t distance(const char *a, size_t n, const char *b, size_t m) {
  size_t row[3][MAX_NAME + 1];
  size_t *two = row[0], *one = row[1], *cur = row[2];
  for (size_t j = 0; j <= m; j++)
    one[j] = j;
  for (size_t i = 1; i <= n; i++) {
    cur[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t cost = lower(a[i - 1]) != lower(b[j - 1]);
      size_t best = one[j] + 1;
      if (cur[j - 1] + 1 < best)
        best = cur[j - 1] + 1;
      if (one[j - 1] + cost < best)
        best = one[j - 1] + cost;
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]) && two[j - 2] + 1 < best)
        best = two[j - 2] + 1;
      cur[j] = best;
    }
    size_t *t = two;
    two = one;
    one = cur;
    cur = t;
  }
  return one[m];
}

static int contains(const char *hay, const char *needle) {
  size_t n = strlen(needle);
  for (; *hay; hay++)
    if (strncasecmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

int suggest(const char *name, suggest_name_fn get, const void *ctx, size_t n, buf_t *out) {
  struct {
    const char *name;
    size_t score;
  } best[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
  size_t len = strlen(name);
  if (len == 0 || len > MAX_NAME)
    return 0;
  for (size_t i = 0; i < n; i++) {
    const char *c = get(ctx, i);
    size_t clen = c ? strlen(c) : 0;
    if (clen == 0 || clen > MAX_NAME || strcmp(c, name) == 0)
      continue;
    size_t longer = len > clen ? len : clen;
    size_t limit = longer / 3 > 2 ? longer / 3 : 2;
    size_t d = distance(name, len, c, clen);
    if (d > limit) {
      size_t shorter = len < clen ? len : clen;
      if (shorter < 4 || !(len < clen ? contains(c, name) : contains(name, c)))
        continue;
      d = limit + 1 + (longer - shorter); /* after every near spelling */
    }
    for (int k = 0; k < 3; k++) {
      if (best[k].name == NULL || d < best[k].score) {
        memmove(&best[k + 1], &best[k], (size_t)(2 - k) * sizeof best[0]);
        best[k].name = c;
        best[k].score = d;
        break;
      }
    }
  }
  /* only the nearest: a clearly better match hides the rest */
  int count = 0;
  while (count < 3 && best[count].name && best[count].score <= best[0].score + 1)
    count++;
  for (int k = 0; k < count; k++) {
    if (k > 0)
      buf_adds(out, k == count - 1 ? " or " : ", ");
    buf_adds(out, best[k].name);
  }
  return count;
}
