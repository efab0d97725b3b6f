/* libFuzzer target for safe_text_add(): any bytes in, and what comes out must
 * be clean (printable ASCII or well-formed UTF-8 with no C1, separator or
 * bidirectional control), need no second escape, keep clean input as it is,
 * and never grow past 6 bytes per input byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "safe_text.h"

#define CHECK(c)  \
  do {            \
    if (!(c))     \
      abort();    \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  buf_t b = {0};
  safe_text_add(&b, in, size);
  CHECK(buf_str(&b) != NULL);
  CHECK(b.len <= 6 * size);
  CHECK(memchr(b.data, '\0', b.len) == NULL);
  CHECK(safe_text_is_clean(b.data, b.len));
  if (safe_text_is_clean(in, size))
    CHECK(b.len == size && memcmp(b.data, in, size) == 0);
  char *dup = safe_text_dup(in, size);
  CHECK(dup != NULL && strlen(dup) == b.len && memcmp(dup, b.data, b.len) == 0);
  free(dup);
  free(b.data);
  return 0;
}
