/* One HTTP exchange over the transport (see http_exchange.h). A uv_timer per
 * exchange bounds it, keeps the loop alive while it runs, and carries the
 * completions that do not come from the transport (timeout, cancel) to the
 * loop. Credential sources make a handful of these an hour: clarity wins
 * over saving a handle. */
#include "http_exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "uvaws/error.h"

typedef enum { X_RUNNING, X_ENDING, X_DONE } x_state_t;

struct http_exchange_s {
  uv_timer_t timer;
  transfer_t *transfer; /* while on the wire */
  x_state_t state;
  int code;             /* X_ENDING: the completion the timer delivers */
  int secret;
  long timeout_ms;
  http_exchange_cb cb;
  void *arg;
  size_t body_len;
  char body[]; /* the request body, copied */
};

static void on_closed(uv_handle_t *h) {
  http_exchange_t *x = h->data;
  if (x->secret)
    OPENSSL_cleanse(x->body, x->body_len);
  free(x);
}

static void complete(http_exchange_t *x, const transport_result_t *res) {
  x->state = X_DONE;
  uv_timer_stop(&x->timer);
  x->cb(res, x->arg);
  uv_close((uv_handle_t *)&x->timer, on_closed);
}

static void on_answer(transfer_t *t, const transport_result_t *res, void *arg) {
  http_exchange_t *x = arg;
  x->transfer = NULL;
  complete(x, res);
  transport_put(t, x->secret); /* after the callback: `res` points into it */
}

/* Off the wire now; the callback comes from the timer. */
static void end_later(http_exchange_t *x, int code) {
  if (x->transfer != NULL) {
    transport_abort(x->transfer);
    transport_put(x->transfer, x->secret);
    x->transfer = NULL;
  }
  x->state = X_ENDING;
  x->code = code;
}

static void on_timer(uv_timer_t *h) {
  http_exchange_t *x = h->data;
  char detail[96];
  if (x->state == X_RUNNING) { /* the timeout passed first */
    end_later(x, UVAWS_ETIMEDOUT);
    snprintf(detail, sizeof detail, "no answer within %ld ms: timed out", x->timeout_ms);
  } else {
    snprintf(detail, sizeof detail, "cancelled");
  }
  transport_result_t res = {.code = x->code, .detail = detail, .body = ""};
  complete(x, &res);
}

int http_exchange_start(uv_loop_t *loop, transport_t *t, const http_request_t *r,
                        http_exchange_cb cb, void *arg, http_exchange_t **out) {
  if (out != NULL)
    *out = NULL;
  if (loop == NULL || t == NULL || r == NULL || r->method == NULL || r->url == NULL ||
      cb == NULL || r->timeout_ms <= 0 || (r->header_count && r->headers == NULL) ||
      (r->body_len && r->body == NULL))
    return UVAWS_EINVAL;
  http_exchange_t *x = calloc(1, sizeof *x + r->body_len + 1);
  if (x == NULL)
    return UVAWS_ENOMEM;
  if (r->body_len)
    memcpy(x->body, r->body, r->body_len);
  x->body_len = r->body_len;
  x->secret = r->secret;
  x->timeout_ms = r->timeout_ms;
  x->cb = cb;
  x->arg = arg;
  x->transfer = transport_get(t);
  if (x->transfer == NULL) {
    free(x);
    return UVAWS_ENOMEM;
  }
  transfer_set_url(x->transfer, r->url, "", NULL, 0);
  for (size_t i = 0; i < r->header_count; i++)
    transfer_add_header(x->transfer, r->headers[i].name, r->headers[i].value);
  transport_request_t tr = {.method = r->method, .body = x->body, .body_len = x->body_len,
                            .max_body = r->max_answer, .measure = 1};
  int rc = transport_start(x->transfer, &tr, on_answer, x);
  if (rc != 0) {
    transport_put(x->transfer, x->secret);
    if (x->secret)
      OPENSSL_cleanse(x->body, x->body_len);
    free(x);
    return rc;
  }
  uv_timer_init(loop, &x->timer);
  x->timer.data = x;
  uv_timer_start(&x->timer, on_timer, (uint64_t)r->timeout_ms, 0);
  if (out != NULL)
    *out = x;
  return 0;
}

void http_exchange_cancel(http_exchange_t *x) {
  if (x == NULL || x->state != X_RUNNING)
    return;
  end_later(x, UVAWS_ECANCELED);
  uv_timer_start(&x->timer, on_timer, 0, 0);
}
