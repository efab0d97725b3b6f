/* The one header lookup: a name in a list of name/value pairs, compared as
 * HTTP compares field names (ASCII, case-insensitive, whatever the locale). */
#ifndef UVAWS_KV_H
#define UVAWS_KV_H

#include <stddef.h>

#include "uvaws/common.h"

/* The value of the first pair named `name`, or NULL. Pairs with a NULL name
 * or value are skipped; `kv` may be NULL when `n` is 0. */
const char *kv_get(const uvaws_kv_t *kv, size_t n, const char *name);

#endif
