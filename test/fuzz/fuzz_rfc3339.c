/* libFuzzer target for rfc3339_parse(): the input, exactly as long as it is
 * (copied to a buffer of that size, so ASan sees any byte read past it), is
 * parsed; a time it accepts must be one: parsing the same text again gives
 * the same answer, the text ends in Z, z or a numeric offset, and, when it
 * is whole seconds in UTC within years 0000-9999, rfc3339_format writes the
 * same text back. Must never crash, read out of bounds or overflow. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size ? size : 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  int64_t t = 0, again = 0;
  if (rfc3339_parse(s, size, &t) == 0) {
    if (size < 20 || rfc3339_parse(s, size, &again) != 0 || again != t)
      abort();
    char last = s[size - 1];
    if (!(last == 'Z' || last == 'z' || (last >= '0' && last <= '9')))
      abort();
    /* "YYYY-MM-DDTHH:MM:SSZ" exactly, upper case, not a leap second */
    if (size == 20 && s[10] == 'T' && last == 'Z' && !(s[17] == '6' && s[18] == '0')) {
      char back[RFC3339_TEXT_MAX];
      if (memcmp(rfc3339_format(t, back), s, 20) != 0)
        abort();
    }
  }
  free(s);
  return 0;
}
