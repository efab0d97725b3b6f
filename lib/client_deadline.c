/* A request's deadline: one limit over everything it goes through (the queue,
 * the wait for credentials or region, every attempt and every backoff), as
 * against request_timeout_ms, which bounds one attempt. A timer per request
 * that has one, allocated apart from the job because libuv closes handles
 * asynchronously and the job is freed as soon as its callback returns. */
#include <stdio.h>
#include <stdlib.h>

#include "client_priv.h"

struct deadline_s {
  uv_timer_t timer;
  uvaws_job_t *job; /* NULL once stopped: the close callback only frees */
  long ms;
};

static void on_closed(uv_handle_t *h) { free(h->data); }

static void on_deadline(uv_timer_t *t) {
  deadline_t *d = t->data;
  uvaws_job_t *j = d->job;
  char detail[96];
  snprintf(detail, sizeof detail, "the request's deadline of %ld ms passed", d->ms);
  /* Already completing (its callback is on its way): nothing to end. */
  (void)client_abort_job(j->client, j, UVAWS_ETIMEDOUT, detail);
}

int client_deadline_start(uvaws_client_t *c, uvaws_job_t *j, long ms) {
  deadline_t *d = calloc(1, sizeof *d);
  if (d == NULL)
    return UVAWS_ENOMEM;
  uv_timer_init(c->loop, &d->timer);
  d->timer.data = d;
  d->job = j;
  d->ms = ms;
  j->deadline = d;
  j->deadline_ns = uv_hrtime() + (uint64_t)ms * 1000000u;
  uv_timer_start(&d->timer, on_deadline, (uint64_t)ms, 0);
  return 0;
}

void client_deadline_stop(uvaws_job_t *j) {
  deadline_t *d = j->deadline;
  if (d == NULL)
    return;
  j->deadline = NULL;
  d->job = NULL;
  uv_timer_stop(&d->timer);
  uv_close((uv_handle_t *)&d->timer, on_closed);
}

int client_deadline_passes(const uvaws_job_t *j, double delay_s) {
  return j->deadline_ns != 0 && uv_hrtime() + (uint64_t)(delay_s * 1e9) >= j->deadline_ns;
}
