/* The shape of the last header signature, so that the next one of the same
 * request shape skips canonicalization.
 *
 * A client signs the same request shape over and over: the same method,
 * path, query and headers, a new X-Amz-Date and body each time. Everything
 * in the canonical request but the X-Amz-Date value and the payload hash is
 * a function of those inputs alone, so when the inputs are byte for byte the
 * ones of the previous signature, the canonical request left in the signer's
 * buffer is right once the date is written over and the payload hash
 * appended; the inputs were validated then, with the same result. Comparing
 * them with the stored copy (~250 bytes for a DynamoDB call) costs a fraction
 * of validating, lower-casing, sorting and trimming them again.
 */
#ifndef UVAWS_SIGV4_MEMO_H
#define UVAWS_SIGV4_MEMO_H

#include <stddef.h>

#include "buf.h"
#include "uvaws/sigv4.h"

typedef struct {
  buf_t key; /* the inputs that shaped the canonical request, serialized */
  const uvaws_sigv4_input_t *input; /* the inputs of the signature in progress */
  size_t prefix_len; /* canonical request bytes before the payload hash */
  size_t date_off;   /* where X-Amz-Date's 16-byte value sits in them */
  int valid;
} sigv4_memo_t;

/* 1 when `in` (header mode) has the shape of the stored signature, and the
 * same credentials and scope names. Remembers `in` for sigv4_memo_store
 * either way. Inputs the memo does not cover (x-amz-content-sha256 signed:
 * it changes with the body) never match. */
int sigv4_memo_match(sigv4_memo_t *m, const uvaws_sigv4_input_t *in);

/* Stores the inputs given to the last match as the shape of the canonical
 * request just built from them: `prefix_len` bytes before the payload hash,
 * the date at `date_off`. */
void sigv4_memo_store(sigv4_memo_t *m, size_t prefix_len, size_t date_off);

static inline void sigv4_memo_forget(sigv4_memo_t *m) { m->valid = 0; }

void sigv4_memo_free(sigv4_memo_t *m);

#endif
