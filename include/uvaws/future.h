/* Futures over client requests: submit now, take the answer later by callback
 * (then) or by running the loop until it is there (wait).
 *
 * A future owns a copy of its response until released. Every future must be
 * released exactly once; releasing one that is still pending cancels it,
 * unless an `all` future still waits on it. A future outlives its client:
 * closing the client completes it (UVAWS_ECANCELED if it was pending), and
 * every function here keeps working on it after the client is freed (`wait`
 * returns at once, `then` still calls back from the loop).
 */
#ifndef UVAWS_FUTURE_H
#define UVAWS_FUTURE_H

#include <stddef.h>

#include "client.h"

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvaws_future_s uvaws_future_t;

/* Submits `req` like uvaws_fetch and returns its future, or NULL with the
 * reason in *err_out (may be NULL): the same errors as uvaws_fetch. */
UVAWS_EXTERN uvaws_future_t *uvaws_fetch_future(uvaws_client_t *client, const uvaws_request_t *req,
                                   int *err_out);

/* Calls `cb` once with the response when it is there (from the loop, never from
 * inside this call, even when the future is already done). One then per future.
 * Returns 0, UVAWS_EINVAL (NULL), UVAWS_EBUSY (a then is already set) or
 * UVAWS_ENOMEM. */
UVAWS_EXTERN int uvaws_future_then(uvaws_future_t *f, uvaws_response_cb cb, void *arg);

/* Runs the client's loop until the future is done and points *res at its
 * response (valid until release). Returns 0, UVAWS_EINVAL, or UVAWS_EBUSY when
 * called from inside a uvaws callback (running the loop there would re-enter
 * it; libuv forbids that, as it does from any callback of the loop). */
UVAWS_EXTERN int uvaws_future_wait(uvaws_future_t *f, const uvaws_response_t **res);

/* A future done when all `n` futures are: its response has error NULL when
 * every one succeeded, else a copy of the first failure in array order. The
 * members stay the caller's (release them too). NULL on bad input or memory. */
UVAWS_EXTERN uvaws_future_t *uvaws_future_all(uvaws_future_t *const *fs, size_t n);

/* 1 when the response is there, else 0. */
UVAWS_EXTERN int uvaws_future_done(const uvaws_future_t *f);

/* The response when done, else NULL. */
UVAWS_EXTERN const uvaws_response_t *uvaws_future_response(const uvaws_future_t *f);

/* Cancels the request behind a pending future (it completes with
 * UVAWS_ECANCELED). Returns 0, UVAWS_EBUSY when it is already done or its
 * completion is on its way (as uvaws_cancel), UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_future_cancel(uvaws_future_t *f);

/* Releases the future; a pending one is cancelled first unless an `all`
 * future waits on it. NULL is a no-op. */
UVAWS_EXTERN void uvaws_future_release(uvaws_future_t *f);

#ifdef __cplusplus
}
#endif
#endif
