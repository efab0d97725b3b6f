/* "Did you mean ...?": the names closest to a misspelt one. */
#ifndef UVAWS_SUGGEST_H
#define UVAWS_SUGGEST_H

#include <stddef.h>

#include "buf.h"

/* The i-th candidate name (NULL to skip it). */
typedef const char *(*suggest_name_fn)(const void *ctx, size_t i);

/* Appends to `out` up to three of the `n` candidates closest to `name`,
 * nearest first, as "A", "A or B", "A, B or C". A candidate is close when
 * its edit distance (letters compared case-insensitively; a swap of two
 * neighbours counts one) is at most a third of the longer name, at least 2,
 * or when one name contains the other and the shorter has 4 characters or
 * more; of those, the ones at most one edit farther than the nearest.
 * Returns how many it appended. */
int suggest(const char *name, suggest_name_fn get, const void *ctx, size_t n, buf_t *out);

#endif
