/* uvaws_wait_for: poll an operation until its answer says what we wait for.
 * The calls go through uvaws_call; the pause between them is a uv_timer, so
 * waiting never blocks the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "uvaws/call.h"

typedef struct {
  closer_t closer; /* first: the client's close finds the waiter through it */
  uv_timer_t timer;
  uvaws_client_t *client;
  char *operation, *path, *expected;
  cJSON *params;
  unsigned interval_ms;
  int calling; /* a call is out: its answer (even a cancellation) ends or goes on */
  uint64_t deadline_ns;
  uvaws_wait_cb done_cb;
  void *arg;
} waiter_t;

static void on_timer_closed(uv_handle_t *h) {
  waiter_t *w = h->data;
  cJSON_Delete(w->params);
  free(w->operation);
  free(w->path);
  free(w->expected);
  free(w);
}

static void finish(waiter_t *w, const uvaws_error_t *err) {
  client_remove_closer(w->client, &w->closer);
  w->done_cb(err, w->arg);
  uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

/* The client closes. With a call out, its cancelled answer ends the waiter
 * (once); while pausing between calls, end it now. */
static void on_client_close(closer_t *cl) {
  waiter_t *w = (waiter_t *)cl;
  if (w->calling)
    return;
  uv_timer_stop(&w->timer);
  uvaws_error_t e = {0};
  uvaws_error_set(&e, UVAWS_ECANCELED, "the client closed while waiting for %s", w->path);
  w->done_cb(&e, w->arg);
  uvaws_error_clear(&e);
  uv_close((uv_handle_t *)&w->timer, on_timer_closed);
}

/* The member at a dotted path, or NULL. */
static const cJSON *member_at(const cJSON *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ".", &save); tok && j; tok = strtok_r(NULL, ".", &save))
    j = cJSON_GetObjectItemCaseSensitive(j, tok);
  return j;
}

static void poll_now(waiter_t *w);

static void on_timer(uv_timer_t *t) { poll_now(t->data); }

static void on_answer(uvaws_result_t *res, void *arg) {
  waiter_t *w = arg;
  w->calling = 0;
  if (res->error != NULL) {
    finish(w, res->error);
    return;
  }
  const char *value = cJSON_GetStringValue(member_at(res->output, w->path));
  if (value != NULL && strcmp(value, w->expected) == 0) {
    finish(w, NULL);
    return;
  }
  if (uv_hrtime() + (uint64_t)w->interval_ms * 1000000u > w->deadline_ns) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, UVAWS_ETIMEDOUT, "%s: %s was still \"%s\", not \"%s\"", w->operation,
                    w->path, value ? value : "absent", w->expected);
    finish(w, &e);
    uvaws_error_clear(&e);
    return;
  }
  uv_timer_start(&w->timer, on_timer, w->interval_ms, 0);
}

static void poll_now(waiter_t *w) {
  int rc = uvaws_call(w->client, w->operation, w->params, on_answer, w);
  w->calling = rc == 0;
  if (rc != 0) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, rc, "%s: %s", w->operation, uvaws_strerror(rc));
    finish(w, &e);
    uvaws_error_clear(&e);
  }
}

int uvaws_wait_for(uvaws_client_t *c, const char *operation, const cJSON *params, const char *path,
                   const char *expected, unsigned interval_ms, unsigned timeout_ms,
                   uvaws_wait_cb done_cb, void *arg) {
  if (c == NULL || operation == NULL || path == NULL || path[0] == '\0' || expected == NULL ||
      done_cb == NULL || interval_ms == 0 || (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  waiter_t *w = calloc(1, sizeof *w);
  if (w == NULL)
    return UVAWS_ENOMEM;
  w->client = c;
  w->operation = strdup(operation);
  w->path = strdup(path);
  w->expected = strdup(expected);
  w->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  w->interval_ms = interval_ms;
  w->deadline_ns = uv_hrtime() + (uint64_t)timeout_ms * 1000000u;
  w->done_cb = done_cb;
  w->arg = arg;
  int rc = UVAWS_ENOMEM;
  if (w->operation && w->path && w->expected && w->params) {
    /* The first call goes out now; its answer (and so done_cb) comes from the loop. */
    rc = uvaws_call(c, operation, w->params, on_answer, w);
    w->calling = rc == 0;
  }
  if (rc != 0) { /* no handle yet: nothing to close */
    cJSON_Delete(w->params);
    free(w->operation);
    free(w->path);
    free(w->expected);
    free(w);
    return rc;
  }
  uv_timer_init(uvaws_client_loop(c), &w->timer);
  w->timer.data = w;
  client_add_closer(c, &w->closer, on_client_close);
  return rc;
}
