/* What the operation fuzz targets share: byte 0 of an input picks the
 * operation from the target's table of {service, operation} pairs. */
#ifndef UVAWS_FUZZ_PICK_H
#define UVAWS_FUZZ_PICK_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "op.h"

/* The operation `byte` picks from the `n` pairs of `ops`, its model in *m.
 * Aborts when the models are not there: a fuzz run without them tests nothing. */
static inline const mop_t *fuzz_pick_op(const char *const (*ops)[2], size_t n, uint8_t byte,
                                        const model_t **m) {
  const char *const *pick = ops[byte % n];
  *m = model_get(pick[0], NULL, 0);
  const mop_t *op = *m ? model_op(*m, pick[1]) : NULL;
  if (op == NULL)
    abort();
  return op;
}

#endif
