/* The observation hook (uvaws_client_options_t.observe): what a request
 * cost, gathered as it goes and told once when it completes. Only jobs of a
 * client with a hook carry a job_obs_t; the others take no clock reading
 * and no getinfo call for it. */
#include <string.h>

#include "client_priv.h"

void client_observe_gate(uvaws_client_t *c, int closed) {
  if (closed && c->gate_closed_ns == 0) {
    c->gate_closed_ns = uv_hrtime();
  } else if (!closed && c->gate_closed_ns != 0) {
    c->gate_wait_ns += uv_hrtime() - c->gate_closed_ns;
    c->gate_closed_ns = 0;
  }
}

/* All the time the gate was closed so far, the closing under way included. */
static uint64_t gate_total(const uvaws_client_t *c, uint64_t now) {
  return c->gate_wait_ns + (c->gate_closed_ns != 0 ? now - c->gate_closed_ns : 0);
}

void client_observe_enqueue(uvaws_client_t *c, uvaws_job_t *j) {
  j->obs->queue_mark_ns = uv_hrtime();
  j->obs->gate_mark_ns = gate_total(c, j->obs->queue_mark_ns);
}

void client_observe_dequeue(uvaws_client_t *c, uvaws_job_t *j) {
  job_obs_t *o = j->obs;
  uint64_t now = uv_hrtime(), waited = now - o->queue_mark_ns;
  /* the gate's total grows no faster than the clock: gated <= waited */
  uint64_t gated = gate_total(c, now) - o->gate_mark_ns;
  o->creds_ns += gated;
  o->queued_ns += waited - gated;
}

void client_observe_transfer(uvaws_job_t *j, const transport_timings_t *t) {
  job_obs_t *o = j->obs;
  /* curl's times run from the attempt's start; TLS done comes after TCP */
  o->connect_us += t->tls_us > t->connect_us ? t->tls_us : t->connect_us;
  o->first_byte_us += t->first_byte_us;
  o->transfer_us += t->total_us;
  o->wire_up += t->bytes_up;
  o->wire_down += t->bytes_down;
}

int client_observing(const uvaws_client_t *c) { return c->observe != NULL; }

/* Calls the hook inside the callback guard, as a response callback is. */
static void tell(uvaws_client_t *c, uvaws_observation_t *obs) {
  client_enter_callback(c);
  c->observe(obs, c->observe_arg);
  client_leave_callback(c);
}

static void begin(const uvaws_client_t *c, uvaws_observation_t *obs, const char *operation) {
  memset(obs, 0, sizeof *obs);
  obs->size = sizeof *obs;
  obs->service = c->service;
  obs->operation = operation;
}

void client_observe_unsent(uvaws_client_t *c, const char *operation, int code,
                           uint64_t since_ns) {
  uvaws_observation_t obs;
  begin(c, &obs, operation);
  obs.error = code;
  obs.total_us = (uv_hrtime() - since_ns) / 1000;
  tell(c, &obs);
}

void client_observe_deliver(uvaws_client_t *c, const uvaws_job_t *j, const uvaws_response_t *res) {
  const job_obs_t *o = j->obs;
  uvaws_observation_t obs;
  begin(c, &obs, j->ext ? j->ext->operation : NULL);
  obs.method = j->method;
  obs.status = res->status;
  obs.error = res->error ? res->error->code : 0;
  obs.attempts = j->attempts;
  /* a body streamed from a file is not in the job: its source knows its length */
  obs.request_body_bytes = j->ext && j->ext->source ? j->ext->source->len : j->body_len;
  obs.response_body_bytes = res->body_len;
  obs.request_wire_bytes = o->wire_up;
  obs.response_wire_bytes = o->wire_down;
  obs.queued_us = o->queued_ns / 1000;
  obs.credentials_us = o->creds_ns / 1000;
  obs.signing_us = (o->sign_ns + 999) / 1000; /* a signature made reads at least 1 */
  obs.connect_us = o->connect_us;
  obs.first_byte_us = o->first_byte_us;
  obs.transfer_us = o->transfer_us;
  obs.total_us = (uint64_t)(res->elapsed_ms * 1000.0);
  tell(c, &obs);
}
