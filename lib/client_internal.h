/* What the client shares with the modules built on its public API (futures,
 * waiters): deferred calls, close and free notices, and the callback-depth
 * guard. */
#ifndef UVAWS_CLIENT_INTERNAL_H
#define UVAWS_CLIENT_INTERNAL_H

#include <stdint.h>

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

#endif
