/* What the client shares with the modules built on its public API (futures,
 * waiters, the operation layer): deferred calls, close and free notices, the
 * callback-depth and thread guards, and the extras of operation requests. */
#ifndef UVAWS_CLIENT_INTERNAL_H
#define UVAWS_CLIENT_INTERNAL_H

#include <stdint.h>

#include "body_stream.h"
#include "list.h"
#include "uvaws/client.h"

/* A call the client makes from the loop, soon, never from inside the caller:
 * how uvaws keeps "never call back from inside the call that started it". */
typedef struct defer_s {
  list_t link;
  void (*fn)(struct defer_s *d);
} defer_t;

void client_defer(uvaws_client_t *c, defer_t *d, void (*fn)(defer_t *d));

/* Something outside the queue that waits on the client between calls (a
 * waiter's pause): told when the client closes, so it ends instead of calling
 * into a freed client later. Removed by its owner when it ends on its own
 * (removing one that the close already took out does nothing). */
typedef struct closer_s {
  list_t link;
  void (*fn)(struct closer_s *cl);
} closer_t;

void client_add_closer(uvaws_client_t *c, closer_t *cl, void (*fn)(closer_t *cl));
void client_remove_closer(uvaws_client_t *c, closer_t *cl);

/* Something that outlives the client's requests and keeps the client's
 * pointer (a future, which stays usable after the close): told just before
 * the client is freed, so it never touches the freed client. Removed by its
 * owner when it goes first. */
void client_add_watcher(uvaws_client_t *c, closer_t *w, void (*gone)(closer_t *w));
void client_remove_watcher(uvaws_client_t *c, closer_t *w);

/* Wraps a call into user code: while depth > 0, uvaws_future_wait refuses. */
void client_enter_callback(uvaws_client_t *c);
void client_leave_callback(uvaws_client_t *c);
int client_in_callback(const uvaws_client_t *c);

/* 1 when called from a thread other than the client's loop's: loop-only
 * entry points then refuse with UVAWS_ETHREAD instead of corrupting the
 * client. */
int client_wrong_thread(const uvaws_client_t *c);

/* What the operation layer adds to a request beyond uvaws_request_t. */
typedef struct {
  /* Prepended to the endpoint's host when the request is sent ("bucket.",
   * "data."): the URL and the signed Host both carry it. NULL for none. */
  const char *host_prefix;
  /* Signed as the payload hash instead of the body's ("UNSIGNED-PAYLOAD"),
   * with the signer's rules; NULL for the body's hash. */
  const char *payload_hash;
  /* A body read as it goes out (the request's own body is then empty), and
   * where a 2xx answer's body goes; both the caller's until the callback. */
  const body_source_t *source;
  const body_sink_t *sink;
  /* The operation's name ("PutItem") for the observation hook; NULL for none. */
  const char *operation;
} fetch_ext_t;

/* uvaws_fetch with the extras above (`x` may be NULL). */
int client_fetch_ext(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                     uvaws_response_cb cb, void *arg, uvaws_job_t **job_out);

/* 1 when the client sends to an endpoint given by the user (option,
 * environment, profile) rather than the one built from the region. */
int client_endpoint_is_custom(const uvaws_client_t *c);

/* 1 when requests go out over https (also while the endpoint is not yet
 * known: the endpoints built from a region are). */
int client_is_https(const uvaws_client_t *c);

/* 1 when the client has an observation hook. */
int client_observing(const uvaws_client_t *c);

/* Tells the hook of an operation call that ended before it became a request
 * (its parameters refused, an unknown operation): `operation` as the caller
 * named it, `code` its error, `since_ns` the uv_hrtime() it began. */
void client_observe_unsent(uvaws_client_t *c, const char *operation, int code,
                           uint64_t since_ns);

/* 1 once uvaws_client_close was called. */
int client_is_closing(const uvaws_client_t *c);

/* The operation layer's cache of the client's service model. */
const void *client_model(const uvaws_client_t *c);
void client_set_model(uvaws_client_t *c, const void *model);

#endif
