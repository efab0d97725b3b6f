/* One HTTP request to an absolute URL over a transport, for what needs HTTP
 * but is no request of a client: instance metadata, container credentials,
 * STS. It needs a loop and a transport, nothing else: the credential sources
 * use it, so they never depend on the client.
 *
 * Every started exchange completes exactly once, from the loop, never from
 * inside http_exchange_start: with the answer, with UVAWS_ETIMEDOUT when the
 * timeout passes first, or with UVAWS_ECANCELED after http_exchange_cancel.
 * While it runs it keeps the loop alive. */
#ifndef UVAWS_HTTP_EXCHANGE_H
#define UVAWS_HTTP_EXCHANGE_H

#include <stddef.h>

#include <uv.h>

#include "transport.h"
#include "uvaws/common.h"

typedef struct http_exchange_s http_exchange_t;

typedef struct {
  const char *method;
  const char *url; /* absolute: "http://169.254.169.254/latest/api/token" */
  const uvaws_kv_t *headers; /* sent as given (a signature comes in them) */
  size_t header_count;
  const void *body; /* copied */
  size_t body_len;
  long timeout_ms;   /* > 0: the whole exchange, connecting included */
  size_t max_answer; /* a longer body ends in UVAWS_ETOOBIG */
  int secret; /* request or answer holds a secret: every copy is cleansed after */
} http_request_t;

/* `res` as the transport describes it (valid during the call): code 0 with
 * any HTTP status, or why no answer arrived; timings measured. */
typedef void (*http_exchange_cb)(const transport_result_t *res, void *arg);

/* Starts the exchange. 0 (then `cb` follows once, from the loop), or
 * UVAWS_EINVAL, UVAWS_ENOMEM, UVAWS_EHEADTOOBIG with no callback. `*out` (may
 * be NULL) gets the handle for http_exchange_cancel, valid until `cb` runs. */
int http_exchange_start(uv_loop_t *loop, transport_t *t, const http_request_t *r,
                        http_exchange_cb cb, void *arg, http_exchange_t **out);

/* Stops a running exchange: `cb` follows from the loop with UVAWS_ECANCELED.
 * Does nothing once `cb` has been called (or is being called). */
void http_exchange_cancel(http_exchange_t *x);

#endif
