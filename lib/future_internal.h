/* Futures of operation calls (uvaws_call_future): made empty, bound to the
 * call, completed with its result. */
#ifndef UVAWS_FUTURE_INTERNAL_H
#define UVAWS_FUTURE_INTERNAL_H

#include <cjson/cJSON.h>

#include "uvaws/call.h"

/* A pending future held by its user and by the call to come. */
uvaws_future_t *future_new_op(void);
/* Frees a future whose call could not be made (never seen by the user). */
void future_discard(uvaws_future_t *f);
/* The call behind it, for uvaws_future_cancel (until completion), and its
 * client, which the future outlives. */
void future_bind_op(uvaws_future_t *f, uvaws_client_t *client, uvaws_op_t *op);
/* Completes it: copies `res` (NULL when nothing was sent) with `err` as its
 * error, keeps `output` (taken), drops the call's reference. */
void future_complete_op(uvaws_future_t *f, const uvaws_response_t *res,
                        const uvaws_error_t *err, cJSON *output);

#endif
