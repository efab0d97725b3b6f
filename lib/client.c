/* The client's request flow: jobs, the FIFO queue behind max_clients,
 * dispatch (sign now, then hand to the transport), completion, cancel, and
 * the teardown that close starts. */
#include "uvaws/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws_error.h"
#include "client_priv.h"
#include "kv.h"
#include "safe_text.h"
#include "sigv4_canon.h"
#include "sized.h"

/* ---- small helpers ------------------------------------------------------- */

void client_log(uvaws_client_t *c, uvaws_log_level_t level, const char *fmt, ...) {
  if (c->log_cb == NULL || level > c->log_level)
    return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  /* Lines carry what servers said (error types, curl's text, credential
   * ids): none may steer the reader's terminal or forge a line. */
  size_t n = strlen(line);
  if (safe_text_is_clean(line, n)) {
    c->log_cb(level, line, c->log_arg);
    return;
  }
  char *safe = safe_text_dup(line, n);
  c->log_cb(level, safe ? safe : "(a log line that could not be escaped)", c->log_arg);
  free(safe);
}

int64_t client_now(const uvaws_client_t *c) {
  return c->clock ? c->clock(c->clock_arg) : (int64_t)time(NULL);
}

int64_t client_signing_now(const uvaws_client_t *c) {
  /* a correction that would leave the signable range is not applied */
  int64_t now = client_now(c), at = now + (int64_t)c->clock_skew_s;
  return at < 0 || at > INT64_C(253402300799) ? now : at;
}

static void on_alive(uv_prepare_t *h) { (void)h; }

void client_update_alive(uvaws_client_t *c) {
  size_t pending =
      c->queued + c->in_flight + c->deferred_jobs + c->backoff_count + c->creds_refreshing +
      c->region_fetching;
  int active = uv_is_active((uv_handle_t *)&c->alive);
  if (pending > 0 && !active)
    uv_prepare_start(&c->alive, on_alive);
  else if (pending == 0 && active)
    uv_prepare_stop(&c->alive);
}

void client_enter_callback(uvaws_client_t *c) { c->callback_depth++; }
void client_leave_callback(uvaws_client_t *c) { c->callback_depth--; }
int client_in_callback(const uvaws_client_t *c) { return c->callback_depth > 0; }

/* ---- deferred calls ------------------------------------------------------ */

void client_defer(uvaws_client_t *c, defer_t *d, void (*fn)(defer_t *d)) {
  d->fn = fn;
  list_push_back(&c->deferred, &d->link);
  if (!uv_is_active((uv_handle_t *)&c->defer_timer))
    uv_timer_start(&c->defer_timer, client_run_deferred, 0, 0);
}

void client_run_deferred(uv_timer_t *h) {
  uvaws_client_t *c = h->data;
  /* Calls deferred while running (a callback cancelling another request) run
   * in this same pass: the list is consumed from its head. */
  list_t *n;
  while ((n = list_pop_front(&c->deferred)) != NULL) {
    defer_t *d = list_entry(n, defer_t, link);
    d->fn(d);
  }
  if (c->closing && !c->torn_down)
    client_teardown(c);
}

/* ---- jobs ---------------------------------------------------------------- */

static void queue_push(uvaws_client_t *c, uvaws_job_t *j) {
  list_push_back(&c->queue, &j->link);
  c->queued++;
  if (j->obs)
    client_observe_enqueue(c, j);
}

static void queue_unlink(uvaws_client_t *c, uvaws_job_t *j) {
  list_remove(&j->link);
  c->queued--;
  if (j->obs)
    client_observe_dequeue(c, j);
}

static uvaws_job_t *queue_first(const uvaws_client_t *c) {
  list_t *n = list_first(&c->queue);
  return n ? list_entry(n, uvaws_job_t, link) : NULL;
}

static void job_free(uvaws_job_t *j) {
  client_deadline_stop(j);
  free(j->result);
  free(j->url_base);
  free(j->bound_path);
  if (j->body_free)
    j->body_free((void *)j->body);
  uvaws_error_clear(&j->error);
  free(j);
}

/* Calls the job's callback, then frees it. From here on the job has nothing
 * left to cancel: uvaws_cancel inside its own callback says UVAWS_EBUSY. */
static void deliver(uvaws_client_t *c, uvaws_job_t *j, const uvaws_response_t *res) {
  job_set_state(j, JOB_DONE);
  c->stats.completed++;
  client_enter_callback(c);
  if (j->obs)
    client_observe_deliver(c, j, res);
  j->cb(res, j->arg);
  client_leave_callback(c);
  job_free(j);
}

static double elapsed_ms(const uvaws_job_t *j) {
  return (double)(uv_hrtime() - j->submitted_ns) / 1e6;
}

static void on_deferred_job(defer_t *d) {
  uvaws_job_t *j = (uvaws_job_t *)d;
  uvaws_client_t *c = j->client;
  c->deferred_jobs--;
  uvaws_response_t res = {0};
  res.error = j->error.code ? &j->error : NULL;
  res.body = j->result ? j->result : "";
  res.body_len = strlen(res.body);
  res.status = j->result && !res.error ? 200 : 0;
  res.attempts = j->attempts;
  res.elapsed_ms = elapsed_ms(j);
  deliver(c, j, &res);
  client_update_alive(c);
}

/* Completes a job that has no HTTP answer (cancelled, failed before sending)
 * from the loop, later. */
static void complete_later(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail) {
  if (j->error.code == 0 && code != 0)
    uvaws_error_set(&j->error, code, "%s", detail);
  job_set_state(j, JOB_DEFERRED);
  c->deferred_jobs++;
  client_defer(c, &j->defer, on_deferred_job);
}

/* ---- dispatch ------------------------------------------------------------ */

static void on_transfer_done(transfer_t *x, const transport_result_t *tr, void *arg);

/* Hands a signed job to the transport with its headers and the signature's. */
static int start_transfer(uvaws_client_t *c, uvaws_job_t *j, transfer_t *x,
                          const uvaws_sigv4_output_t *signed_out) {
  transfer_set_url(x, j->url_base ? j->url_base : c->base_url, j->path, j->query,
                   j->query_count);
  /* The Host signed (headers[0], the endpoint's or the caller's) goes in the
   * list as it is, so the wire carries the signed bytes. It is also cheaper
   * than leaving Host to curl, which formats its own "Host: ..." string with
   * aprintf on every transfer, one byte at a time, and then the request head
   * with it the same way. */
  for (size_t i = 0; i < j->header_count; i++)
    transfer_add_header(x, j->headers[i].name, j->headers[i].value);
  for (size_t i = 0; i < signed_out->header_count; i++)
    transfer_add_header(x, signed_out->headers[i].name, signed_out->headers[i].value);
  /* -1 (or the client's -1) lifts the limit; curl's 0 means none. */
  long timeout = j->timeout_ms ? j->timeout_ms : c->request_timeout_ms;
  transport_request_t r = {.method = j->method, .body = j->body, .body_len = j->body_len,
                           .timeout_ms = timeout < 0 ? 0 : timeout,
                           .max_body = c->max_response_bytes,
                           .measure = j->obs != NULL,
                           .source = j->ext ? j->ext->source : NULL,
                           .sink = j->ext ? j->ext->sink : NULL};
  int rc = transport_start(x, &r, on_transfer_done, j);
  if (rc == UVAWS_EHEADTOOBIG || rc == UVAWS_EIO)
    uvaws_error_set(&j->error, rc, "%s", transfer_detail(x));
  if (rc != 0) {
    transport_put(x, 0);
    return rc;
  }
  j->transfer = x;
  job_set_state(j, JOB_IN_FLIGHT);
  list_push_back(&c->flying, &j->link);
  j->attempts++;
  c->stats.attempts++;
  c->in_flight++;
  return 0;
}

void client_sign_input(const uvaws_client_t *c, const uvaws_job_t *j, uvaws_sigv4_input_t *in) {
  uvaws_sigv4_input_t x = {
      .access_key = c->creds.access_key,
      .secret_key = c->creds.secret_key,
      .session_token = c->creds.session_token,
      .region = c->region,
      .service = c->service,
      /* the clock of the moment it goes out, corrected by any skew learnt */
      .timestamp = client_signing_now(c),
      .method = j->method,
      .path = j->path,
      .query = j->query,
      .query_count = j->query_count,
      .headers = j->headers,
      .header_count = j->header_count,
      .body = j->body,
      .body_len = j->body_len,
      .payload_hash = j->ext ? j->ext->payload_hash : NULL,
      .flags = c->sign_flags,
  };
  *in = x;
}

/* A host prefix ("bucket.", "data.") goes before the endpoint's host, which
 * is bound by now: in the URL and in the signed Host alike. */
static int prefix_host(uvaws_client_t *c, uvaws_job_t *j) {
  const char *prefix = j->ext ? j->ext->host_prefix : NULL;
  if (prefix == NULL || j->own_host || j->url_base != NULL)
    return 0;
  size_t scheme = strcspn(c->base_url, ":") + 3; /* "https://" */
  size_t n = scheme + strlen(prefix) + strlen(c->host) + 1;
  if ((j->url_base = malloc(n)) == NULL)
    return UVAWS_ENOMEM;
  snprintf(j->url_base, n, "%.*s%s%s", (int)scheme, c->base_url, prefix, c->host);
  j->headers[0].value = j->url_base + scheme;
  return 0;
}

static int send_job(uvaws_client_t *c, uvaws_job_t *j) {
  int rc = prefix_host(c, j);
  if (rc != 0)
    return rc;
  uvaws_sigv4_input_t in;
  client_sign_input(c, j, &in);
  uvaws_sigv4_output_t out;
  j->creds_gen = c->creds_gen;
  uint64_t t0 = j->obs ? uv_hrtime() : 0;
  rc = uvaws_signer_sign_headers(c->signer, &in, &out);
  if (j->obs)
    j->obs->sign_ns += uv_hrtime() - t0;
  if (rc != 0)
    return rc;
  transfer_t *x = transport_get(c->transport);
  if (x == NULL)
    return UVAWS_ENOMEM;
  return start_transfer(c, j, x, &out);
}

static int job_bind_endpoint(uvaws_client_t *c, uvaws_job_t *j);

void client_dispatch_more(uvaws_client_t *c) {
  uvaws_job_t *j;
  int ready = 1;
  while (!c->closing && (j = queue_first(c)) != NULL && (ready = client_ready(c))) {
    /* Signing without sending takes no slot and no share of the send rate. */
    if (!j->sign_only && (c->in_flight >= c->max_clients || !client_rate_gate(c)))
      break;
    queue_unlink(c, j);
    int rc = job_bind_endpoint(c, j);
    if (rc == 0)
      rc = j->sign_only ? client_sign_only(c, j) : send_job(c, j);
    if (rc != 0) {
      client_log(c, UVAWS_LOG_ERROR, "cannot send %s %s: %s", j->method, j->path,
                 uvaws_strerror(rc));
      complete_later(c, j, rc, "the request could not be sent");
    }
  }
  if (c->observe) /* the head waits for credentials or the region, or no longer */
    client_observe_gate(c, !ready && queue_first(c) != NULL);
  client_update_alive(c);
}

/* ---- completion ---------------------------------------------------------- */

static void on_transfer_done(transfer_t *x, const transport_result_t *tr, void *arg) {
  uvaws_job_t *j = arg;
  uvaws_client_t *c = j->client;
  list_remove(&j->link);
  c->in_flight--;
  j->transfer = NULL;
  if (j->obs)
    client_observe_transfer(j, &tr->timings);
  uvaws_response_t res = {0};
  res.attempts = j->attempts;
  res.status = tr->status;
  res.body = tr->body;
  res.body_len = tr->body_len;
  if (tr->code == 0) {
    res.headers = tr->headers;
    res.header_count = tr->header_count;
    if (tr->status < 200 || tr->status > 299) {
      aws_error_from_response(&j->error, tr->status, res.headers, res.header_count, res.body,
                              res.body_len);
      client_log(c, UVAWS_LOG_INFO, "%s %s: HTTP %ld %s", j->method, j->path, tr->status,
                 j->error.aws_type ? j->error.aws_type : "");
    }
  } else {
    uvaws_error_set(&j->error, tr->code, "%s", tr->detail);
    j->error.http_status = tr->status;
    client_log(c, UVAWS_LOG_INFO, "%s %s: %s (%s)", j->method, j->path, uvaws_err_name(tr->code),
               tr->detail);
  }
  if (j->error.code != 0)
    res.error = &j->error;
  if (client_retry_after(c, j, &res)) {
    transport_put(x, 0);
    client_dispatch_more(c);
    return;
  }
  if (j->error.code != 0)
    res.error = &j->error;
  res.elapsed_ms = elapsed_ms(j);
  deliver(c, j, &res);
  transport_put(x, 0);
  client_dispatch_more(c);
}

void client_requeue_front(uvaws_client_t *c, uvaws_job_t *j) {
  job_set_state(j, JOB_QUEUED);
  list_push_front(&c->queue, &j->link);
  c->queued++;
  if (j->obs)
    client_observe_enqueue(c, j);
}

void client_fail_queued(uvaws_client_t *c, const uvaws_error_t *err) {
  uvaws_job_t *j;
  while ((j = queue_first(c)) != NULL) {
    queue_unlink(c, j);
    if (uvaws_error_copy(&j->error, err) != 0)
      uvaws_error_set(&j->error, err->code, "out of memory copying the error");
    complete_later(c, j, err->code, "");
  }
  client_update_alive(c);
}

/* ---- fetch --------------------------------------------------------------- */

/* At most one x-amz-content-sha256, holding a payload hash: it is the
 * payload line of the signature (refused here rather than at dispatch). */
static int check_content_sha(const uvaws_request_t *r) {
  int seen = 0;
  for (size_t i = 0; i < r->header_count; i++) {
    const char *name = r->headers[i].name, *v = r->headers[i].value;
    if (!canon_ieq(name, strlen(name), "x-amz-content-sha256"))
      continue;
    size_t off = 0, len;
    if (seen++ || !canon_payload_hash(v, strlen(v), &off, &len))
      return UVAWS_EHEADERVALUE;
  }
  return 0;
}

/* A byte that would end an encoded path on the wire. A plain loop: paths
 * are short, and strpbrk's setup costs more than it scans. */
static int ends_path(const char *p) {
  for (; *p != '\0'; p++)
    if (*p == ' ' || *p == '\t' || *p == '?' || *p == '#')
      return 1;
  return 0;
}

static int validate_request(const uvaws_request_t *r) {
  if (r->method == NULL || r->method[0] == '\0' || r->path == NULL)
    return r->path == NULL && r->method != NULL && r->method[0] ? UVAWS_EPATH : UVAWS_EINVAL;
  if (!canon_is_token(r->method))
    return UVAWS_EMETHOD;
  if (r->path[0] != '/' || !canon_is_field_value(r->path))
    return UVAWS_EPATH;
  /* An encoded path goes on the wire as it is: nothing that would end it. */
  if (r->path_encoded && ends_path(r->path))
    return UVAWS_EPATH;
  if ((r->query_count && r->query == NULL) || (r->header_count && r->headers == NULL) ||
      (r->body_len && r->body == NULL))
    return UVAWS_EINVAL;
  for (size_t i = 0; i < r->query_count; i++) {
    if (r->query[i].name == NULL)
      return UVAWS_EINVAL;
    if (!canon_is_field_value(r->query[i].name) ||
        (r->query[i].value && !canon_is_field_value(r->query[i].value)))
      return UVAWS_EQUERY;
  }
  for (size_t i = 0; i < r->header_count; i++) {
    if (r->headers[i].name == NULL || r->headers[i].value == NULL)
      return UVAWS_EINVAL;
    if (!canon_is_token(r->headers[i].name) || transport_owns_header(r->headers[i].name))
      return UVAWS_EHEADERNAME;
    if (!canon_is_field_value(r->headers[i].value))
      return UVAWS_EHEADERVALUE;
  }
  return check_content_sha(r);
}

/* Headers the client writes itself; a caller's copy would be sent twice. */
static int reserved_header(const char *name) {
  size_t n = strlen(name);
  return canon_ieq(name, n, "authorization") || canon_ieq(name, n, "x-amz-date") ||
         canon_ieq(name, n, "x-amz-security-token") || canon_ieq(name, n, "content-length") ||
         canon_ieq(name, n, "host");
}

/* Bump allocator over the job's single allocation. */
typedef struct {
  char *p;
} arena_t;

static const char *arena_str(arena_t *a, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = a->p;
  memcpy(d, s, n);
  a->p += n;
  return d;
}

/* A request accepted before the endpoint is known (the region still being
 * looked up) gets its base path and Host when it is dispatched. */
static int job_bind_endpoint(uvaws_client_t *c, uvaws_job_t *j) {
  if (!j->unbound)
    return 0;
  size_t base_len = strlen(c->base_path);
  if (base_len > 0) {
    size_t path_len = strlen(j->path);
    if ((j->bound_path = malloc(base_len + path_len + 1)) == NULL)
      return UVAWS_ENOMEM;
    memcpy(j->bound_path, c->base_path, base_len);
    memcpy(j->bound_path + base_len, j->path, path_len + 1);
    j->path = j->bound_path;
  }
  if (!j->own_host)
    j->headers[0].value = c->host; /* outlives every job of the client */
  j->unbound = 0;
  return 0;
}

/* `unbound`: leave base path and Host to dispatch, reading nothing of the
 * client's state (a thread other than the loop's makes the job). `x`: the
 * operation layer's extras, or NULL. */
static uvaws_job_t *job_new(uvaws_client_t *c, const uvaws_request_t *r, const fetch_ext_t *x,
                            int unbound) {
  size_t path_len = strlen(r->path);
  unbound = unbound || c->base_path == NULL || c->host == NULL;
  size_t base_len = unbound ? 0 : strlen(c->base_path);
  const char *host = unbound ? "" : c->host;
  const char *caller_host = kv_get(r->headers, r->header_count, "host");
  int own_host = caller_host != NULL;
  if (own_host)
    host = caller_host;
  size_t strings = strlen(r->method) + 1 + base_len + 3 * path_len + 1 + strlen(host) + 1;
  size_t nq = r->query_count, nh = 1;
  for (size_t i = 0; i < nq; i++)
    strings += strlen(r->query[i].name) + 1 + (r->query[i].value ? strlen(r->query[i].value) : 0) + 1;
  for (size_t i = 0; i < r->header_count; i++)
    if (!reserved_header(r->headers[i].name)) {
      strings += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 2;
      nh++;
    }
  if (x && x->host_prefix)
    strings += strlen(x->host_prefix) + 1;
  if (x && x->payload_hash)
    strings += strlen(x->payload_hash) + 1;
  if (x && x->operation && c->observe)
    strings += strlen(x->operation) + 1;
  size_t body_copy = r->body_free ? 0 : r->body_len;
  /* the observation record, the extras and the arrays follow the job in
   * that order: each keeps the pointer alignment the next needs */
  _Static_assert(sizeof(uvaws_job_t) % _Alignof(void *) == 0 &&
                     sizeof(job_obs_t) % _Alignof(void *) == 0 &&
                     sizeof(fetch_ext_t) % _Alignof(void *) == 0,
                 "job parts keep pointer alignment");
  size_t obs = c->observe ? sizeof(job_obs_t) : 0;
  size_t ext = x ? sizeof(fetch_ext_t) : 0;
  size_t size =
      sizeof(uvaws_job_t) + obs + ext + (nq + nh) * sizeof(uvaws_kv_t) + strings + body_copy;
  uvaws_job_t *j = calloc(1, size);
  if (j == NULL)
    return NULL;
  j->client = c;
  j->obs = obs ? (job_obs_t *)(j + 1) : NULL;
  fetch_ext_t *e = ext ? (fetch_ext_t *)(void *)((char *)(j + 1) + obs) : NULL;
  j->query = (uvaws_kv_t *)(void *)((char *)(j + 1) + obs + ext);
  j->headers = j->query + nq;
  arena_t a = {(char *)(j->headers + nh)};
  j->method = arena_str(&a, r->method);
  char *path = a.p;
  memcpy(path, unbound ? "" : c->base_path, base_len);
  size_t plen = base_len;
  if (r->path_encoded) {
    memcpy(path + base_len, r->path, path_len + 1);
    plen += path_len;
  } else {
    plen += canon_uri_encode(r->path, path_len, 1, path + base_len);
  }
  j->path = path;
  a.p += plen + 1;
  for (size_t i = 0; i < nq; i++) {
    j->query[i].name = arena_str(&a, r->query[i].name);
    j->query[i].value = arena_str(&a, r->query[i].value ? r->query[i].value : "");
  }
  j->query_count = nq;
  j->headers[0] = (uvaws_kv_t){"Host", arena_str(&a, host)};
  j->header_count = 1;
  j->own_host = own_host;
  j->unbound = unbound;
  for (size_t i = 0; i < r->header_count; i++) {
    const uvaws_kv_t *h = &r->headers[i];
    if (reserved_header(h->name))
      continue;
    j->headers[j->header_count].name = arena_str(&a, h->name);
    j->headers[j->header_count].value = arena_str(&a, h->value);
    j->header_count++;
  }
  if (r->body_free) {
    j->body = r->body;
    j->body_free = r->body_free;
  } else if (r->body_len) {
    memcpy(a.p, r->body, r->body_len);
    j->body = a.p;
  }
  j->body_len = r->body_len;
  j->timeout_ms = r->timeout_ms;
  if (e != NULL) {
    e->host_prefix = x->host_prefix ? arena_str(&a, x->host_prefix) : NULL;
    e->payload_hash = x->payload_hash ? arena_str(&a, x->payload_hash) : NULL;
    e->operation = x->operation && c->observe ? arena_str(&a, x->operation) : NULL;
    e->source = x->source;
    e->sink = x->sink;
    j->ext = e;
  }
  j->submitted_ns = uv_hrtime();
  return j;
}

int uvaws_request_init(uvaws_request_t *r) {
  return sized_init(r, sizeof *r);
}

uvaws_job_t *client_job_make(uvaws_client_t *c, const uvaws_request_t *caller_req,
                             const fetch_ext_t *x, uvaws_response_cb cb, void *arg, int unbound,
                             int *rc) {
  uvaws_request_t copy = UVAWS_REQUEST_INIT, *req = &copy;
  *rc = sized_read(&copy, sizeof copy, caller_req, NULL);
  if (*rc == 0)
    *rc = validate_request(req);
  if (*rc != 0)
    return NULL;
  uvaws_job_t *j = job_new(c, req, x, unbound);
  if (j == NULL) {
    *rc = UVAWS_ENOMEM;
    return NULL;
  }
  j->cb = cb;
  j->arg = arg;
  j->deadline_ms = req->deadline_ms;
  return j;
}

int client_job_accept(uvaws_client_t *c, uvaws_job_t *j) {
  if (c->closing)
    return UVAWS_ECLOSED;
  /* Everything accepted and not on the wire counts: waiting for a slot, for
   * credentials or the region, for the send rate, or for a retry's backoff. */
  if (c->max_queue && c->queued + c->backoff_count >= c->max_queue)
    return UVAWS_EQUEUEFULL;
  long deadline = j->deadline_ms ? j->deadline_ms : c->deadline_ms;
  if (deadline > 0 && client_deadline_start(c, j, deadline) != 0)
    return UVAWS_ENOMEM;
  job_set_state(j, JOB_QUEUED);
  c->stats.submitted++;
  queue_push(c, j);
  return 0;
}

void client_job_discard(uvaws_job_t *j) {
  j->body_free = NULL; /* refused with an error: the body stays the caller's */
  job_free(j);
}

void client_job_refuse(uvaws_client_t *c, uvaws_job_t *j, int code) {
  complete_later(c, j, code, uvaws_strerror(code));
}

int client_enqueue(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                   uvaws_response_cb cb, void *arg, unsigned sign_expires_s, int sign_only,
                   uvaws_job_t **job_out) {
  if (job_out)
    *job_out = NULL;
  if (c == NULL || req == NULL || cb == NULL)
    return UVAWS_EINVAL;
  if (client_wrong_thread(c))
    return UVAWS_ETHREAD;
  if (c->closing)
    return UVAWS_ECLOSED;
  int rc;
  uvaws_job_t *j = client_job_make(c, req, x, cb, arg, 0, &rc);
  if (j == NULL)
    return rc;
  j->sign_only = sign_only;
  j->expires_s = sign_expires_s;
  if ((rc = client_job_accept(c, j)) != 0) {
    client_job_discard(j);
    return rc;
  }
  if (job_out)
    *job_out = j;
  client_dispatch_more(c);
  return 0;
}

void client_complete_later(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail) {
  complete_later(c, j, code, detail);
}

int uvaws_fetch(uvaws_client_t *c, const uvaws_request_t *req, uvaws_response_cb cb, void *arg,
                uvaws_job_t **job_out) {
  return client_enqueue(c, req, NULL, cb, arg, 0, 0, job_out);
}

int client_fetch_ext(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                     uvaws_response_cb cb, void *arg, uvaws_job_t **job_out) {
  return client_enqueue(c, req, x, cb, arg, 0, 0, job_out);
}

int client_endpoint_is_custom(const uvaws_client_t *c) { return c->endpoint != NULL; }
int client_is_closing(const uvaws_client_t *c) { return c->closing; }
int client_is_https(const uvaws_client_t *c) {
  return c->base_url == NULL || strncmp(c->base_url, "https:", 6) == 0;
}
const void *client_model(const uvaws_client_t *c) { return c->model; }
void client_set_model(uvaws_client_t *c, const void *model) { c->model = model; }

static void abort_in_flight(uvaws_client_t *c, uvaws_job_t *j) {
  transport_abort(j->transfer);
  transport_put(j->transfer, 0);
  j->transfer = NULL;
  list_remove(&j->link);
  c->in_flight--;
}

int client_abort_job(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail) {
  switch (j->state) {
  case JOB_QUEUED:
    queue_unlink(c, j);
    break;
  case JOB_IN_FLIGHT:
    abort_in_flight(c, j);
    break;
  case JOB_BACKOFF:
    client_backoff_cancel(c, j);
    break;
  default: /* completing already: as uv_cancel on a request past cancelling */
    return UVAWS_EBUSY;
  }
  uvaws_error_clear(&j->error);
  complete_later(c, j, code, detail);
  client_dispatch_more(c);
  return 0;
}

/* In every build: a call from another thread would corrupt the client, and
 * the check is a thread-id read and compare, nothing next to a request. */
int client_wrong_thread(const uvaws_client_t *c) {
  uv_thread_t self = uv_thread_self();
  return !uv_thread_equal(&self, &c->loop_thread);
}

int uvaws_cancel(uvaws_job_t *j) {
  if (j == NULL)
    return UVAWS_EINVAL;
  if (client_wrong_thread(j->client))
    return UVAWS_ETHREAD;
  return client_abort_job(j->client, j, UVAWS_ECANCELED, "cancelled");
}

static void link_add(list_t *list, closer_t *cl, void (*fn)(closer_t *cl)) {
  cl->fn = fn;
  list_push_front(list, &cl->link); /* the latest is told first */
}

static void link_remove(closer_t *cl) {
  if (list_linked(&cl->link))
    list_remove(&cl->link);
}

/* Takes each one out, then tells it: it may remove others meanwhile. */
static void tell_all(list_t *list) {
  list_t *n;
  while ((n = list_pop_front(list)) != NULL) {
    closer_t *cl = list_entry(n, closer_t, link);
    cl->fn(cl);
  }
}

void client_add_closer(uvaws_client_t *c, closer_t *cl, void (*fn)(closer_t *cl)) {
  link_add(&c->closers, cl, fn);
}

void client_remove_closer(uvaws_client_t *c, closer_t *cl) {
  (void)c;
  link_remove(cl);
}

void client_add_watcher(uvaws_client_t *c, closer_t *w, void (*gone)(closer_t *w)) {
  link_add(&c->watchers, w, gone);
}

void client_remove_watcher(uvaws_client_t *c, closer_t *w) {
  (void)c;
  link_remove(w);
}

void client_release_watchers(uvaws_client_t *c) {
  /* Calls deferred after the teardown (a future's `then` asked for once the
   * client was closing) run now, from the loop, while the client is whole. */
  client_run_deferred(&c->defer_timer);
  tell_all(&c->watchers);
}

/* Runs from the loop after uvaws_client_close: cancels what is left, waits
 * for the cancellations to be delivered, then closes everything. */
void client_teardown(uvaws_client_t *c) {
  client_posts_shut(c);
  tell_all(&c->closers);
  /* No answer of a credential source comes any more, and nothing of the
   * client's own sources stays on the transport they share with it. */
  client_creds_stop(c);
  if (c->own_provider) {
    uvaws_creds_provider_free(c->provider);
    c->provider = NULL;
    c->own_provider = 0;
  }
  uvaws_job_t *j;
  while ((j = queue_first(c)) != NULL) {
    queue_unlink(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  list_t *n;
  while ((n = list_first(&c->backoff)) != NULL) {
    j = list_entry(n, uvaws_job_t, link);
    client_backoff_cancel(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  uv_timer_stop(&c->rate_timer);
  while ((n = list_first(&c->flying)) != NULL) {
    j = list_entry(n, uvaws_job_t, link);
    abort_in_flight(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  if (!list_empty(&c->deferred))
    return; /* client_run_deferred delivers them, then calls teardown again */
  c->torn_down = 1;
  uv_prepare_stop(&c->alive);
  transport_close(c->transport, client_on_transport_closed, c);
}
