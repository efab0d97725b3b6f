#include "kv.h"

#include <string.h>

static int lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

const char *kv_get(const uvaws_kv_t *kv, size_t n, const char *name) {
  if (kv == NULL || name == NULL)
    return NULL;
  size_t len = strlen(name);
  for (size_t i = 0; i < n; i++) {
    const char *k = kv[i].name;
    if (k == NULL || kv[i].value == NULL || strlen(k) != len)
      continue;
    size_t j = 0;
    while (j < len && lower((unsigned char)k[j]) == lower((unsigned char)name[j]))
      j++;
    if (j == len)
      return kv[i].value;
  }
  return NULL;
}
