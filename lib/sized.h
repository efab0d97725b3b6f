/* Public structs that grow: each starts with `size_t size`, the sizeof of
 * the struct the caller was compiled against (set by its INIT macro or init
 * function). The library reads what the caller's version has and defaults
 * the rest, so a field added at the end breaks no binary built before it.
 * docs/abi.md states the rule for users. */
#ifndef UVAWS_SIZED_H
#define UVAWS_SIZED_H

#include <stddef.h>

/* Reads the caller's struct `src` into `dst` (`dst_size` bytes: the
 * library's own version, holding the defaults already), then sets dst's
 * size to dst_size. Returns 0, or
 * UVAWS_EINVAL with `*why` (may be NULL) pointing at a static message:
 *   - a size of 0 (a struct zeroed, not initialized) or not a multiple of
 *     sizeof(size_t) (no compiler makes such a struct: not a size at all);
 *   - a larger size (a caller built against a newer uvaws) whose extra bytes
 *     are not all zero: it set a field this library would ignore. Zero extra
 *     bytes are the defaults, so that caller runs as if built against us. */
int sized_read(void *dst, size_t dst_size, const void *src, const char **why);

/* The init functions: zeroes `size` bytes at `dst` (padding too: bindings
 * may compare bytes) and stores the size. 0, or UVAWS_EINVAL for NULL. */
int sized_init(void *dst, size_t size);

#endif
