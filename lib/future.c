/* Futures: a request's response kept until released, delivered by `then`
 * (always from the loop) or by `wait` (which runs the loop).
 *
 * Lifetime: a future is counted by its user (until release), by every `all`
 * future that waits on it, by a pending deferred `then`, and by its request
 * while that is in flight. It is freed when the count drops to zero, so
 * releasing in any order, or before the answer arrives, is safe.
 *
 * A future outlives its client: closing the client completes every request,
 * so every future is done before the client is freed; the client then tells
 * each future (a watcher) to forget it. A `then` asked for after that runs
 * from a timer of its own on the loop, `wait` returns the response at once. */
#include "uvaws/future.h"

#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "future_internal.h"
#include "uvaws/call.h"

/* An `all` future waiting on a member: on the member's list. */
typedef struct {
  list_t link;
  uvaws_future_t *all;
} waiter_t;

struct uvaws_future_s {
  defer_t defer; /* a deferred `then` */
  uvaws_client_t *client; /* NULL once the client is freed */
  uv_loop_t *loop;
  closer_t watch; /* on the client's watchers while it lives */
  uvaws_job_t *job; /* while the request is pending */
  uvaws_op_t *op;   /* a call's, while it is pending */
  cJSON *output;    /* a call's output */
  unsigned refs;
  int done;
  int user_released;
  uvaws_response_cb then_cb;
  void *then_arg;
  int then_set;
  list_t waiters; /* waiter_t: `all` futures to tell when done */
  /* the response, copied */
  uvaws_response_t res;
  uvaws_kv_t *headers;
  char *header_text;
  char *body;
  uvaws_error_t error;
  /* an `all` future */
  uvaws_future_t **members;
  size_t member_count, remaining;
};

static void future_unref(uvaws_future_t *f);

static void free_response(uvaws_future_t *f) {
  cJSON_Delete(f->output);
  f->output = NULL;
  free(f->headers);
  free(f->header_text);
  free(f->body);
  uvaws_error_clear(&f->error);
}

static void future_unref(uvaws_future_t *f) {
  if (--f->refs > 0)
    return;
  if (f->client != NULL)
    client_remove_watcher(f->client, &f->watch);
  for (size_t i = 0; i < f->member_count; i++) {
    uvaws_future_t *m = f->members[i];
    list_t *n;
    list_for_each(n, &m->waiters) {
      waiter_t *w = list_entry(n, waiter_t, link);
      if (w->all == f) {
        list_remove(n);
        free(w);
        break;
      }
    }
    future_unref(m);
  }
  free(f->members);
  list_t *n;
  while ((n = list_pop_front(&f->waiters)) != NULL)
    free(list_entry(n, waiter_t, link));
  free_response(f);
  free(f);
}

static void run_then(defer_t *d) {
  uvaws_future_t *f = (uvaws_future_t *)d;
  client_enter_callback(f->client);
  f->then_cb(&f->res, f->then_arg);
  client_leave_callback(f->client);
  future_unref(f);
}

/* A `then` on a future whose client is gone: a one-shot timer of its own. */
typedef struct {
  uv_timer_t timer;
  uvaws_future_t *f;
} late_then_t;

static void on_late_closed(uv_handle_t *h) { free(h->data); }

static void run_late_then(uv_timer_t *t) {
  late_then_t *l = t->data;
  uvaws_future_t *f = l->f;
  uv_close((uv_handle_t *)&l->timer, on_late_closed);
  f->then_cb(&f->res, f->then_arg);
  future_unref(f);
}

static int schedule_then(uvaws_future_t *f) {
  if (f->client != NULL) {
    f->refs++;
    client_defer(f->client, &f->defer, run_then);
    return 0;
  }
  late_then_t *l = calloc(1, sizeof *l);
  if (l == NULL || uv_timer_init(f->loop, &l->timer) != 0) {
    free(l);
    return UVAWS_ENOMEM;
  }
  l->timer.data = l;
  l->f = f;
  f->refs++;
  uv_timer_start(&l->timer, run_late_then, 0, 0);
  return 0;
}

static void on_client_gone(closer_t *w) {
  uvaws_future_t *f = (uvaws_future_t *)((char *)w - offsetof(uvaws_future_t, watch));
  f->client = NULL;
}

static void watch_client(uvaws_future_t *f, uvaws_client_t *c) {
  f->client = c;
  f->loop = c ? uvaws_client_loop(c) : NULL;
  if (c != NULL)
    client_add_watcher(c, &f->watch, on_client_gone);
}

static void mark_done(uvaws_future_t *f);

static void member_done(uvaws_future_t *all) {
  if (--all->remaining > 0)
    return;
  /* The first failure in array order speaks for the whole. */
  for (size_t i = 0; i < all->member_count; i++) {
    const uvaws_response_t *r = &all->members[i]->res;
    if (r->error != NULL) {
      if (uvaws_error_copy(&all->error, r->error) == 0)
        all->res.error = &all->error;
      all->res.status = r->status;
      break;
    }
  }
  mark_done(all);
}

static void mark_done(uvaws_future_t *f) {
  f->done = 1;
  list_t *n;
  list_for_each(n, &f->waiters) {
    member_done(list_entry(n, waiter_t, link)->all);
  }
  if (f->then_set)
    schedule_then(f);
}

static int copy_response(uvaws_future_t *f, const uvaws_response_t *r) {
  f->res = *r;
  f->res.headers = NULL;
  f->res.header_count = 0;
  f->res.error = NULL;
  size_t text = 0;
  for (size_t i = 0; i < r->header_count; i++)
    text += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 2;
  f->body = malloc(r->body_len + 1);
  f->headers = r->header_count ? malloc(r->header_count * sizeof *f->headers) : NULL;
  f->header_text = text ? malloc(text) : NULL;
  if (f->body == NULL || (r->header_count && (f->headers == NULL || f->header_text == NULL)))
    return -1;
  memcpy(f->body, r->body, r->body_len);
  f->body[r->body_len] = '\0';
  f->res.body = f->body;
  char *p = f->header_text;
  for (size_t i = 0; i < r->header_count; i++) {
    size_t n = strlen(r->headers[i].name) + 1, v = strlen(r->headers[i].value) + 1;
    f->headers[i].name = memcpy(p, r->headers[i].name, n);
    f->headers[i].value = memcpy(p + n, r->headers[i].value, v);
    p += n + v;
  }
  f->res.headers = f->headers;
  f->res.header_count = r->header_count;
  if (r->error != NULL) {
    if (uvaws_error_copy(&f->error, r->error) != 0)
      return -1;
    f->res.error = &f->error;
  }
  return 0;
}

static void on_response(const uvaws_response_t *res, void *arg) {
  uvaws_future_t *f = arg;
  f->job = NULL;
  if (copy_response(f, res) != 0) {
    free_response(f);
    f->headers = NULL;
    f->header_text = NULL;
    f->body = NULL;
    memset(&f->res, 0, sizeof f->res);
    f->res.body = "";
    uvaws_error_set(&f->error, UVAWS_ENOMEM, "copying the response into the future");
    f->res.error = &f->error;
  }
  mark_done(f);
  future_unref(f); /* the request's reference */
}

uvaws_future_t *uvaws_fetch_future(uvaws_client_t *client, const uvaws_request_t *req,
                                   int *err_out) {
  int rc = UVAWS_EINVAL;
  uvaws_future_t *f = NULL;
  if (client != NULL && req != NULL) {
    f = calloc(1, sizeof *f);
    rc = UVAWS_ENOMEM;
    if (f != NULL) {
      list_init(&f->waiters);
      f->refs = 2; /* the user's and the request's */
      rc = uvaws_fetch(client, req, on_response, f, &f->job);
      if (rc != 0) {
        free(f);
        f = NULL;
      } else {
        watch_client(f, client);
      }
    }
  }
  if (err_out)
    *err_out = rc;
  return f;
}

/* ---- futures of operation calls -------------------------------------------- */

uvaws_future_t *future_new_op(void) {
  uvaws_future_t *f = calloc(1, sizeof *f);
  if (f != NULL) {
    f->refs = 2; /* the user's and the call's */
    list_init(&f->waiters);
  }
  return f;
}

void future_discard(uvaws_future_t *f) { free(f); }

void future_bind_op(uvaws_future_t *f, uvaws_client_t *client, uvaws_op_t *op) {
  f->op = op;
  watch_client(f, client);
}

void future_complete_op(uvaws_future_t *f, const uvaws_response_t *res,
                        const uvaws_error_t *err, cJSON *output) {
  static const uvaws_response_t none = {.body = ""};
  uvaws_response_t r = res ? *res : none;
  r.error = err;
  f->op = NULL;
  f->output = output; /* first: the call's reference may be the last one */
  on_response(&r, f); /* copies, marks done, drops the call's reference */
}

const cJSON *uvaws_future_output(const uvaws_future_t *f) {
  return f != NULL && f->done ? f->output : NULL;
}

cJSON *uvaws_future_take_output(uvaws_future_t *f) {
  if (f == NULL || !f->done)
    return NULL;
  cJSON *o = f->output;
  f->output = NULL;
  return o;
}

int uvaws_future_then(uvaws_future_t *f, uvaws_response_cb cb, void *arg) {
  if (f == NULL || cb == NULL || f->user_released)
    return UVAWS_EINVAL;
  if (f->client != NULL && client_wrong_thread(f->client))
    return UVAWS_ETHREAD;
  if (f->then_set)
    return UVAWS_EBUSY;
  f->then_cb = cb;
  f->then_arg = arg;
  int rc = f->done ? schedule_then(f) : 0;
  f->then_set = rc == 0;
  return rc;
}

int uvaws_future_wait(uvaws_future_t *f, const uvaws_response_t **res) {
  if (res)
    *res = NULL;
  if (f == NULL || res == NULL || f->user_released)
    return UVAWS_EINVAL;
  if (f->client != NULL && client_wrong_thread(f->client))
    return UVAWS_ETHREAD;
  if (f->client != NULL && client_in_callback(f->client))
    return UVAWS_EBUSY;
  if (!f->done && f->client == NULL)
    return UVAWS_EINTERNAL; /* every future is done before its client goes */
  while (!f->done) {
    /* A pending future always has a pending request, which keeps the loop
     * alive: uv_run returning 0 with the future pending would be a bug. */
    if (uv_run(f->loop, UV_RUN_ONCE) == 0 && !f->done)
      return UVAWS_EINTERNAL;
  }
  *res = &f->res;
  return 0;
}

uvaws_future_t *uvaws_future_all(uvaws_future_t *const *fs, size_t n) {
  if (fs == NULL || n == 0)
    return NULL;
  for (size_t i = 0; i < n; i++)
    if (fs[i] == NULL || fs[i]->user_released || fs[i]->client != fs[0]->client)
      return NULL;
  uvaws_future_t *all = calloc(1, sizeof *all);
  waiter_t **ws = calloc(n, sizeof *ws);
  if (all == NULL || ws == NULL || (all->members = malloc(n * sizeof *all->members)) == NULL) {
    free(all);
    free(ws);
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if ((ws[i] = malloc(sizeof **ws)) == NULL) {
      for (size_t k = 0; k < i; k++)
        free(ws[k]);
      free(ws);
      free(all->members);
      free(all);
      return NULL;
    }
  }
  list_init(&all->waiters);
  watch_client(all, fs[0]->client);
  if (all->loop == NULL)
    all->loop = fs[0]->loop;
  all->refs = 1;
  all->member_count = n;
  all->remaining = n;
  all->res.body = "";
  for (size_t i = 0; i < n; i++) {
    all->members[i] = fs[i];
    fs[i]->refs++;
    if (fs[i]->done) {
      all->remaining--;
      free(ws[i]);
    } else {
      ws[i]->all = all;
      list_push_front(&fs[i]->waiters, &ws[i]->link);
    }
  }
  free(ws);
  if (all->remaining == 0) {
    all->remaining = 1;
    member_done(all);
  }
  return all;
}

int uvaws_future_done(const uvaws_future_t *f) { return f != NULL && f->done; }

const uvaws_response_t *uvaws_future_response(const uvaws_future_t *f) {
  return f != NULL && f->done ? &f->res : NULL;
}

int uvaws_future_cancel(uvaws_future_t *f) {
  if (f == NULL)
    return UVAWS_EINVAL;
  if (f->done)
    return UVAWS_EBUSY;
  if (f->job != NULL)
    return uvaws_cancel(f->job);
  if (f->op != NULL)
    return uvaws_op_cancel(f->op);
  int rc = UVAWS_EBUSY; /* an `all`: cancel every pending member */
  for (size_t i = 0; i < f->member_count; i++)
    if (!f->members[i]->done && uvaws_future_cancel(f->members[i]) == 0)
      rc = 0;
  return rc;
}

void uvaws_future_release(uvaws_future_t *f) {
  if (f == NULL || f->user_released)
    return;
  f->user_released = 1;
  /* Nobody else wants the answer: stop the request. An `all` still waiting
   * on this future keeps it going. */
  if (!f->done && list_empty(&f->waiters))
    uvaws_future_cancel(f);
  future_unref(f);
}
