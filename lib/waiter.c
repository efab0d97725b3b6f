/* uvaws_wait_for: the model's waiters (waiters-2.json), as botocore's Waiter
 * runs them: call the operation, match the answer against the acceptors in
 * order (path, pathAll, pathAny: a JMESPath expression over the output;
 * status: the HTTP status; error: the AWS error code), and end on a
 * success or failure state, else wait `delay` and try again, at most
 * maxAttempts times. Unlike botocore, the whole wait also has a deadline
 * (a call still out when it passes is cancelled). The pauses are uv timers:
 * waiting never blocks the loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_internal.h"
#include "jmespath.h"
#include "sized.h"

#define MAX_ACCEPTORS 32

typedef enum { M_PATH, M_PATH_ALL, M_PATH_ANY, M_STATUS, M_ERROR } matcher_t;
typedef enum { S_SUCCESS, S_FAILURE, S_RETRY } state_t;

typedef struct {
  matcher_t matcher;
  state_t state;
  jp_expr_t *arg;
  cJSON *expected;
  char *text; /* "path Table.TableStatus == \"ACTIVE\"" for messages */
} acceptor_t;

typedef struct {
  uvaws_op_t op;   /* first: the handle */
  closer_t closer; /* the client's close ends the waiter */
  defer_t defer;   /* an end decided outside the loop's callbacks */
  uv_timer_t timer, deadline;
  int timers_closing;
  uvaws_client_t *client;
  char *name, *operation;
  cJSON *params;
  acceptor_t acc[MAX_ACCEPTORS];
  size_t nacc;
  unsigned delay_ms, max_attempts, attempts;
  uvaws_op_t *call; /* the call out, or NULL */
  int timed_out, done;
  uvaws_error_t end; /* the outcome, once decided */
  uvaws_wait_cb done_cb;
  void *arg;
} waiter_t;

static void waiter_free(waiter_t *w) {
  for (size_t i = 0; i < w->nacc; i++) {
    jp_free(w->acc[i].arg);
    cJSON_Delete(w->acc[i].expected);
    free(w->acc[i].text);
  }
  cJSON_Delete(w->params);
  free(w->name);
  free(w->operation);
  uvaws_error_clear(&w->end);
  free(w);
}

static void on_timer_closed(uv_handle_t *h) {
  waiter_t *w = h->data;
  if (--w->timers_closing == 0)
    waiter_free(w);
}

/* Calls done_cb once with w->end (code 0: success), then lets go. */
static void finish(waiter_t *w) {
  w->done = 1;
  client_remove_closer(w->client, &w->closer);
  uv_timer_stop(&w->timer);
  uv_timer_stop(&w->deadline);
  client_enter_callback(w->client);
  w->done_cb(w->end.code ? &w->end : NULL, w->arg);
  client_leave_callback(w->client);
  w->timers_closing = 2;
  uv_close((uv_handle_t *)&w->timer, on_timer_closed);
  uv_close((uv_handle_t *)&w->deadline, on_timer_closed);
}

static void end_with(waiter_t *w, int code, const char *fmt, const char *a, const char *b) {
  if (code != 0 && w->end.code == 0)
    uvaws_error_set(&w->end, code, fmt, a, b);
}

static void on_deferred_end(defer_t *d) {
  finish((waiter_t *)((char *)d - offsetof(waiter_t, defer)));
}

static void call_now(waiter_t *w);

static void on_delay(uv_timer_t *t) { call_now(t->data); }

static void on_deadline(uv_timer_t *t) {
  waiter_t *w = t->data;
  w->timed_out = 1;
  if (w->call != NULL) {
    uvaws_op_cancel(w->call); /* its answer ends the wait */
    return;
  }
  end_with(w, UVAWS_ETIMEDOUT, "%s: still waiting at the deadline%s", w->name, "");
  finish(w);
}

/* The client closes: a call out ends the waiter through its cancelled
 * answer; a pause ends it now. */
static void on_client_close(closer_t *cl) {
  waiter_t *w = (waiter_t *)((char *)cl - offsetof(waiter_t, closer));
  if (w->call != NULL)
    return;
  end_with(w, UVAWS_ECANCELED, "%s: the client closed while waiting%s", w->name, "");
  finish(w);
}

static int waiter_cancel(uvaws_op_t *op) {
  waiter_t *w = (waiter_t *)op;
  if (w->done || w->end.code != 0)
    return UVAWS_EBUSY;
  if (w->call != NULL)
    return uvaws_op_cancel(w->call);
  uv_timer_stop(&w->timer);
  end_with(w, UVAWS_ECANCELED, "%s: cancelled%s", w->name, "");
  client_defer(w->client, &w->defer, on_deferred_end);
  return 0;
}

/* ---- matching ------------------------------------------------------------------ */

static int matches(const acceptor_t *a, const uvaws_result_t *res) {
  const uvaws_error_t *e = res->error;
  switch (a->matcher) {
  case M_STATUS: {
    long status = res->response ? res->response->status : 0;
    return cJSON_IsNumber(a->expected) && status == (long)a->expected->valuedouble;
  }
  case M_ERROR:
    if (cJSON_IsBool(a->expected)) /* true: any error; false: none */
      return cJSON_IsTrue(a->expected) == (e != NULL);
    return e != NULL && e->aws_type != NULL && cJSON_IsString(a->expected) &&
           strcmp(e->aws_type, a->expected->valuestring) == 0;
  default:
    break;
  }
  if (e != NULL)
    return 0; /* path matchers look at outputs only */
  cJSON *v = jp_search(a->arg, res->output);
  int hit = 0;
  if (a->matcher == M_PATH) {
    hit = jp_equal(v, a->expected);
  } else if (cJSON_IsArray(v) && v->child != NULL) {
    hit = a->matcher == M_PATH_ALL;
    for (const cJSON *i = v->child; i != NULL; i = i->next) {
      int eq = jp_equal(i, a->expected);
      if (a->matcher == M_PATH_ALL && !eq)
        hit = 0;
      if (a->matcher == M_PATH_ANY && eq)
        hit = 1;
    }
  }
  cJSON_Delete(v);
  return hit;
}

static void on_answer(uvaws_result_t *res, void *arg) {
  waiter_t *w = arg;
  w->call = NULL;
  w->attempts++;
  const uvaws_error_t *e = res->error;
  if (e != NULL && e->code == UVAWS_ECANCELED) {
    if (w->timed_out)
      end_with(w, UVAWS_ETIMEDOUT, "%s: still waiting at the deadline%s", w->name, "");
    else
      end_with(w, UVAWS_ECANCELED, "%s: %s", w->name, e->message ? e->message : "cancelled");
    finish(w);
    return;
  }
  /* Failures that are not AWS's answer end the wait, as in botocore. */
  if (e != NULL && e->code != UVAWS_EAWS) {
    if (uvaws_error_copy(&w->end, e) != 0)
      end_with(w, e->code, "%s: %s", w->name, uvaws_strerror(e->code));
    finish(w);
    return;
  }
  const acceptor_t *hit = NULL;
  for (size_t i = 0; i < w->nacc && hit == NULL; i++)
    if (matches(&w->acc[i], res))
      hit = &w->acc[i];
  if (hit == NULL && e != NULL) {
    if (uvaws_error_copy(&w->end, e) != 0)
      end_with(w, e->code, "%s: %s", w->name, uvaws_strerror(e->code));
    finish(w);
    return;
  }
  if (hit != NULL && hit->state == S_SUCCESS) {
    finish(w);
    return;
  }
  if (hit != NULL && hit->state == S_FAILURE) {
    end_with(w, UVAWS_EAWS, "%s: a failure state: %s", w->name, hit->text);
    finish(w);
    return;
  }
  if (w->attempts >= w->max_attempts) {
    end_with(w, UVAWS_ETIMEDOUT, "%s: %s", w->name,
             hit ? "still waiting after the last attempt" : "max attempts exceeded");
    finish(w);
    return;
  }
  uv_timer_start(&w->timer, on_delay, w->delay_ms, 0);
}

static void call_now(waiter_t *w) {
  int rc = uvaws_call(w->client, w->operation, w->params, on_answer, w, &w->call);
  if (rc != 0) {
    end_with(w, rc, "%s: %s", w->name, uvaws_strerror(rc));
    finish(w);
  }
}

/* ---- the model's definition --------------------------------------------------- */

static int read_acceptor(acceptor_t *a, const cJSON *j, char *why, size_t wn) {
  static const char *const matchers[] = {"path", "pathAll", "pathAny", "status", "error"};
  static const char *const states[] = {"success", "failure", "retry"};
  const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(j, "matcher"));
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(j, "state"));
  const char *arg = cJSON_GetStringValue(cJSON_GetObjectItem(j, "argument"));
  int mi = -1, si = -1;
  for (int i = 0; m && i < 5; i++)
    if (strcmp(m, matchers[i]) == 0)
      mi = i;
  for (int i = 0; s && i < 3; i++)
    if (strcmp(s, states[i]) == 0)
      si = i;
  if (mi < 0 || si < 0 || (mi <= M_PATH_ANY && arg == NULL)) {
    snprintf(why, wn, "an acceptor with matcher %s, state %s", m ? m : "?", s ? s : "?");
    return -1;
  }
  a->matcher = (matcher_t)mi;
  a->state = (state_t)si;
  if (mi <= M_PATH_ANY && (a->arg = jp_compile(arg, why, wn)) == NULL)
    return -1;
  a->expected = cJSON_Duplicate(cJSON_GetObjectItem(j, "expected"), 1);
  char *exp = a->expected ? cJSON_PrintUnformatted(a->expected) : NULL;
  size_t n = strlen(m) + (arg ? strlen(arg) : 0) + (exp ? strlen(exp) : 0) + 8;
  if ((a->text = malloc(n)) != NULL)
    snprintf(a->text, n, "%s %s%s== %s", m, arg ? arg : "", arg ? " " : "", exp ? exp : "?");
  cJSON_free(exp);
  if (a->expected == NULL || a->text == NULL) {
    snprintf(why, wn, "out of memory");
    return -1;
  }
  return 0;
}

static const char *waiter_name(const void *ctx, size_t i) {
  const model_t *m = ctx;
  return model_str(m, m->waiters[i].name);
}

/* Reads the waiter; 0 or an error with w->end set. */
static int setup(waiter_t *w, const uvaws_wait_options_t *o) {
  char why[512] = "";
  const model_t *m = call_model(w->client, why, sizeof why);
  if (m == NULL)
    return uvaws_error_set(&w->end, UVAWS_ESERVICE, "%s", why);
  const char *json = model_waiter(m, w->name);
  if (json == NULL)
    return call_unknown(&w->end, m, "waiter", w->name, waiter_name, m->h->waiter_count);
  cJSON *def = cJSON_Parse(json);
  const char *op = cJSON_GetStringValue(cJSON_GetObjectItem(def, "operation"));
  const cJSON *delay = cJSON_GetObjectItem(def, "delay");
  const cJSON *attempts = cJSON_GetObjectItem(def, "maxAttempts");
  int rc = op && cJSON_IsNumber(delay) && cJSON_IsNumber(attempts) ? 0 : -1;
  if (rc != 0)
    snprintf(why, sizeof why, "no operation, delay or maxAttempts");
  if (rc == 0 && (w->operation = strdup(op)) == NULL)
    rc = -1;
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItem(def, "acceptors")) {
    if (rc != 0 || w->nacc == MAX_ACCEPTORS)
      break;
    rc = read_acceptor(&w->acc[w->nacc++], a, why, sizeof why);
  }
  if (rc == 0) {
    w->delay_ms = o && o->delay_ms ? o->delay_ms : (unsigned)(delay->valuedouble * 1000);
    w->max_attempts = o && o->max_attempts ? o->max_attempts : (unsigned)attempts->valuedouble;
    if (w->max_attempts == 0)
      w->max_attempts = 1;
  }
  cJSON_Delete(def);
  if (rc != 0)
    return uvaws_error_set(&w->end, UVAWS_EINTERNAL, "the waiter %s of %s: %s", w->name,
                           m->svc->name, why);
  return 0;
}

int uvaws_wait_options_init(uvaws_wait_options_t *o) {
  if (o == NULL)
    return UVAWS_EINVAL;
  uvaws_wait_options_t deflt = UVAWS_WAIT_OPTIONS_INIT;
  *o = deflt;
  return 0;
}

int uvaws_wait_for(uvaws_client_t *c, const char *waiter, const cJSON *params,
                   const uvaws_wait_options_t *options, uvaws_wait_cb done_cb, void *arg,
                   uvaws_op_t **op_out) {
  if (op_out)
    *op_out = NULL;
  uvaws_wait_options_t o = UVAWS_WAIT_OPTIONS_INIT;
  if (options != NULL && sized_read(&o, sizeof o, options, NULL) != 0)
    return UVAWS_EINVAL;
  if (c == NULL || waiter == NULL || waiter[0] == '\0' || done_cb == NULL ||
      (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  if (client_is_closing(c))
    return UVAWS_ECLOSED;
  waiter_t *w = calloc(1, sizeof *w);
  if (w == NULL)
    return UVAWS_ENOMEM;
  w->op.cancel = waiter_cancel;
  w->client = c;
  w->done_cb = done_cb;
  w->arg = arg;
  w->name = strdup(waiter);
  w->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  if (w->name == NULL || w->params == NULL) {
    waiter_free(w);
    return UVAWS_ENOMEM;
  }
  uv_loop_t *loop = uvaws_client_loop(c);
  uv_timer_init(loop, &w->timer);
  uv_timer_init(loop, &w->deadline);
  w->timer.data = w->deadline.data = w;
  client_add_closer(c, &w->closer, on_client_close);
  if (setup(w, &o) != 0) {
    client_defer(c, &w->defer, on_deferred_end);
  } else {
    uint64_t deadline = o.timeout_ms ? o.timeout_ms
                                     : (uint64_t)w->delay_ms * w->max_attempts + 60000;
    uv_timer_start(&w->deadline, on_deadline, deadline, 0);
    int rc = uvaws_call(c, w->operation, w->params, on_answer, w, &w->call);
    if (rc != 0) { /* nothing started: give everything back, no callback */
      client_remove_closer(c, &w->closer);
      uv_timer_stop(&w->deadline);
      w->done = 1;
      w->done_cb = NULL;
      w->timers_closing = 2;
      uv_close((uv_handle_t *)&w->timer, on_timer_closed);
      uv_close((uv_handle_t *)&w->deadline, on_timer_closed);
      return rc;
    }
  }
  if (op_out)
    *op_out = &w->op;
  return 0;
}
