/* The client's request flow: jobs, the FIFO queue behind max_clients,
 * dispatch (sign now, then hand to the transport), completion, cancel, and
 * the teardown that close starts. */
#include "uvaws/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws_error.h"
#include "client_priv.h"
#include "safe_text.h"
#include "creds_check.h"
#include "secret.h"
#include "sigv4_canon.h"

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
      c->queued + c->in_flight + c->deferred_jobs + c->system_in_flight + c->backoff_count;
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
  d->next = NULL;
  if (c->defer_tail)
    c->defer_tail->next = d;
  else
    c->defer_head = d;
  c->defer_tail = d;
  if (!uv_is_active((uv_handle_t *)&c->defer_timer))
    uv_timer_start(&c->defer_timer, client_run_deferred, 0, 0);
}


void client_run_deferred(uv_timer_t *h) {
  uvaws_client_t *c = h->data;
  /* Calls deferred while running (a callback cancelling another request) run
   * in this same pass: the list is consumed from its head. */
  defer_t *d;
  while ((d = c->defer_head) != NULL) {
    c->defer_head = d->next;
    if (c->defer_head == NULL)
      c->defer_tail = NULL;
    d->fn(d);
  }
  if (c->closing && !c->torn_down)
    client_teardown(c);
}

/* ---- jobs ---------------------------------------------------------------- */

static void queue_push(uvaws_client_t *c, uvaws_job_t *j) {
  j->next = NULL;
  j->prev = c->queue_tail;
  if (c->queue_tail)
    c->queue_tail->next = j;
  else
    c->queue_head = j;
  c->queue_tail = j;
  c->queued++;
}

static void queue_unlink(uvaws_client_t *c, uvaws_job_t *j) {
  if (j->prev)
    j->prev->next = j->next;
  else
    c->queue_head = j->next;
  if (j->next)
    j->next->prev = j->prev;
  else
    c->queue_tail = j->prev;
  j->prev = j->next = NULL;
  c->queued--;
}

static void job_free(uvaws_job_t *j) {
  client_deadline_stop(j);
  /* A system request carried a metadata token, a container authorization
   * token or a web identity token: cleansed with the job. */
  for (size_t i = 0; j->system && i < j->header_count; i++)
    OPENSSL_cleanse((char *)j->headers[i].value, strlen(j->headers[i].value));
  if (j->system && j->body != NULL)
    OPENSSL_cleanse((void *)j->body, j->body_len);
  free(j->result);
  free(j->url_host);
  free(j->bound_path);
  if (j->body_free)
    j->body_free((void *)j->body);
  uvaws_error_clear(&j->error);
  free(j);
}

/* Calls the job's callback, then frees it. From here on the job has nothing
 * left to cancel: uvaws_cancel inside its own callback says UVAWS_EINVAL. */
static void deliver(uvaws_client_t *c, uvaws_job_t *j, const uvaws_response_t *res) {
  j->state = JOB_DONE;
  if (!j->system)
    c->stats.completed++;
  client_enter_callback(c);
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
  j->state = JOB_DEFERRED;
  c->deferred_jobs++;
  client_defer(c, &j->defer, on_deferred_job);
}

/* ---- dispatch ------------------------------------------------------------ */

static void add_query(buf_t *b, const uvaws_kv_t *q, size_t n) {
  for (size_t i = 0; i < n; i++) {
    buf_addc(b, i == 0 ? '?' : '&');
    canon_encode(b, q[i].name, strlen(q[i].name), 0);
    buf_addc(b, '=');
    canon_encode(b, q[i].value, strlen(q[i].value), 0);
  }
}

/* Hands a job to the transport with its headers and, unless it is a system
 * request, the signature's. */
static int start_transfer(uvaws_client_t *c, uvaws_job_t *j, conn_t *conn,
                          const uvaws_sigv4_output_t *signed_out) {
  conn_headers_reset(conn);
  /* The Host signed (headers[0], the endpoint's or the caller's) goes in the
   * list as it is, so the wire carries the signed bytes. It is also cheaper
   * than leaving Host to curl, which formats its own "Host: ..." string with
   * aprintf on every transfer, one byte at a time, and then the request head
   * with it the same way. System requests carry no Host entry at all. */
  for (size_t i = 0; i < j->header_count; i++)
    conn_header_add(conn, j->headers[i].name, j->headers[i].value);
  for (size_t i = 0; signed_out && i < signed_out->header_count; i++)
    conn_header_add(conn, signed_out->headers[i].name, signed_out->headers[i].value);
  /* No "Expect: 100-continue" round trip (libcurl asks for one above 1 MiB),
   * no curl default headers nobody signed. */
  if (j->body_len >= ((size_t)1 << 20) || j->source != NULL) {
    buf_adds(&conn->header_text, "Expect:");
    buf_addc(&conn->header_text, '\0');
  }
  buf_adds(&conn->header_text, "Accept:");
  buf_addc(&conn->header_text, '\0');
  if (!j->has_content_type) {
    buf_adds(&conn->header_text, "Content-Type:");
    buf_addc(&conn->header_text, '\0');
  }
  conn->job = j;
  conn->source = j->source;
  conn->sink = j->sink;
  /* -1 (or the client's -1) lifts the limit; curl's 0 means none. */
  long timeout = j->timeout_ms ? j->timeout_ms : c->request_timeout_ms;
  if (timeout < 0)
    timeout = 0;
  /* What a credential source answers is small: anything larger is refused. */
  size_t max_body = j->system ? CREDS_MAX_ANSWER : c->max_response_bytes;
  int rc = transport_start(conn, j->method, j->body, j->body_len, timeout, max_body);
  if (rc == UVAWS_EHEADTOOBIG)
    uvaws_error_set(&j->error, rc,
                    "the request line and headers take %zu bytes; libcurl sends at most %zu",
                    conn_request_head_len(conn, j->method), TRANSPORT_MAX_REQUEST_HEAD);
  if (rc != 0) {
    conn->job = NULL;
    transport_conn_put(c->transport, conn);
    return rc;
  }
  j->conn = conn;
  j->state = JOB_IN_FLIGHT;
  j->attempts++;
  if (j->system) {
    c->system_in_flight++;
  } else {
    c->stats.attempts++;
    c->in_flight++;
  }
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
      .payload_hash = j->payload_hash,
      .flags = c->sign_flags,
  };
  *in = x;
}

static int send_job(uvaws_client_t *c, uvaws_job_t *j) {
  conn_t *conn = transport_conn_get(c->transport);
  if (conn == NULL)
    return UVAWS_ENOMEM;
  if (j->system) {
    buf_reset(&conn->url);
    buf_adds(&conn->url, j->path);
    return start_transfer(c, j, conn, NULL);
  }
  /* A host prefix ("bucket.", "data.") goes before the endpoint's host,
   * which is bound by now: in the URL and in the signed Host alike. */
  if (j->host_prefix != NULL && !j->own_host && j->url_host == NULL) {
    size_t n = strlen(j->host_prefix) + strlen(c->host) + 1;
    if ((j->url_host = malloc(n)) == NULL) {
      transport_conn_put(c->transport, conn);
      return UVAWS_ENOMEM;
    }
    snprintf(j->url_host, n, "%s%s", j->host_prefix, c->host);
    j->headers[0].value = j->url_host;
  }
  uvaws_sigv4_input_t in;
  client_sign_input(c, j, &in);
  uvaws_sigv4_output_t out;
  j->creds_gen = c->creds_gen;
  int rc = uvaws_sigv4_sign_headers(c->signer, &in, &out);
  if (rc != 0) {
    transport_conn_put(c->transport, conn);
    return rc;
  }
  buf_reset(&conn->url);
  if (j->url_host != NULL) {
    buf_add(&conn->url, c->base_url, strcspn(c->base_url, ":") + 3); /* "https://" */
    buf_adds(&conn->url, j->url_host);
  } else {
    buf_adds(&conn->url, c->base_url);
  }
  buf_adds(&conn->url, j->path);
  add_query(&conn->url, j->query, j->query_count);
  return start_transfer(c, j, conn, &out);
}

static int job_bind_endpoint(uvaws_client_t *c, uvaws_job_t *j);

void client_dispatch_more(uvaws_client_t *c) {
  while (!c->closing && c->queue_head != NULL && client_ready(c)) {
    uvaws_job_t *j = c->queue_head;
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
  client_update_alive(c);
}

/* ---- completion ---------------------------------------------------------- */

/* libcurl's limits on a response head: 100 KiB a header line (7.88 reports
 * it as out of memory, with no text), 300 KiB in all ("Too large response
 * headers", a receive error; CURLE_TOO_LARGE from 8.6). */
#define CURL_HEADER_LIMITS "100 KiB a line, 300 KiB in all"

static int head_too_big(CURLcode rc, const conn_t *conn) {
#if LIBCURL_VERSION_NUM >= 0x080600
  if (rc == CURLE_TOO_LARGE)
    return 1;
#endif
  if (rc == CURLE_OUT_OF_MEMORY)
    return !conn->head_done; /* the header buffer, not the body, hit the wall */
  return rc == CURLE_RECV_ERROR && strstr(conn->errbuf, "oo large") != NULL;
}

static int classify_curl(CURLcode rc, const conn_t *conn) {
  if (conn->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return UVAWS_ETOOBIG;
  /* a streamed body's file failed, not the network */
  if (conn->sink_failed || (conn->source && (rc == CURLE_READ_ERROR ||
                                             rc == CURLE_ABORTED_BY_CALLBACK)))
    return UVAWS_EIO;
  if (head_too_big(rc, conn))
    return UVAWS_EHEADTOOBIG;
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    return UVAWS_ETIMEDOUT;
  case CURLE_OUT_OF_MEMORY:
    return UVAWS_ENOMEM;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
    return UVAWS_ETLS;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return UVAWS_EPROTOCOL;
  default:
    return UVAWS_ENETWORK;
  }
}

void client_on_transfer_done(conn_t *conn, CURLcode result, void *owner) {
  uvaws_client_t *c = owner;
  uvaws_job_t *j = conn->job;
  if (j->system)
    c->system_in_flight--;
  else
    c->in_flight--;
  j->conn = NULL;
  long status = 0;
  curl_easy_getinfo(conn->easy, CURLINFO_RESPONSE_CODE, &status);
  uvaws_response_t res = {0};
  res.attempts = j->attempts;
  if (result == CURLE_OK && !conn->too_big) {
    if (conn_parse_headers(conn) != 0)
      uvaws_error_set(&j->error, UVAWS_ENOMEM, "parsing the response headers");
    res.status = status;
    res.headers = conn->resp_headers;
    res.header_count = conn->resp_header_count;
    res.body = buf_str(&conn->body);
    res.body_len = conn->body.len;
    if (res.body == NULL) {
      res.body = "";
      res.body_len = 0;
      uvaws_error_set(&j->error, UVAWS_ENOMEM, "storing the response body");
    }
    if (j->error.code == 0 && (status < 200 || status > 299)) {
      aws_error_from_response(&j->error, status, res.headers, res.header_count, res.body,
                              res.body_len);
      client_log(c, UVAWS_LOG_INFO, "%s %s: HTTP %ld %s", j->method, j->path, status,
                 j->error.aws_type ? j->error.aws_type : "");
    }
  } else {
    int code = classify_curl(result, conn);
    const char *detail = conn->errbuf[0] ? conn->errbuf : curl_easy_strerror(result);
    if (code == UVAWS_ETOOBIG)
      uvaws_error_set(&j->error, code, "response body larger than %zu bytes", conn->max_body);
    else if (code == UVAWS_EHEADTOOBIG) /* 7.88's own text says "out of memory" */
      uvaws_error_set(&j->error, code,
                      "the response headers pass libcurl's limits (" CURL_HEADER_LIMITS ")%s%s",
                      result != CURLE_OUT_OF_MEMORY ? ": " : "",
                      result != CURLE_OUT_OF_MEMORY ? detail : "");
    else
      uvaws_error_set(&j->error, code, "%s", detail);
    j->error.http_status = status;
    res.status = status;
    res.body = "";
    client_log(c, UVAWS_LOG_INFO, "%s %s: %s (%s)", j->method, j->path, uvaws_err_name(code),
               j->error.detail ? j->error.detail : detail);
  }
  if (j->error.code != 0)
    res.error = &j->error;
  if (!j->system && client_retry_after(c, j, &res)) {
    transport_conn_put(c->transport, conn);
    client_dispatch_more(c);
    return;
  }
  if (j->error.code != 0)
    res.error = &j->error;
  res.elapsed_ms = elapsed_ms(j);
  int system = j->system;
  deliver(c, j, &res);
  /* A system answer holds credentials (metadata, container, STS), its
   * request a token: don't leave them in the pooled buffers until they are
   * next overwritten. */
  if (system && conn->body.data != NULL)
    OPENSSL_cleanse(conn->body.data, conn->body.len);
  if (system && conn->header_text.data != NULL)
    OPENSSL_cleanse(conn->header_text.data, conn->header_text.len);
  transport_conn_put(c->transport, conn);
  client_dispatch_more(c);
}

void client_requeue_front(uvaws_client_t *c, uvaws_job_t *j) {
  j->state = JOB_QUEUED;
  j->prev = NULL;
  j->next = c->queue_head;
  if (c->queue_head)
    c->queue_head->prev = j;
  else
    c->queue_tail = j;
  c->queue_head = j;
  c->queued++;
}

void client_fail_queued(uvaws_client_t *c, const uvaws_error_t *err) {
  while (c->queue_head != NULL) {
    uvaws_job_t *j = c->queue_head;
    queue_unlink(c, j);
    if (uvaws_error_copy(&j->error, err) != 0)
      uvaws_error_set(&j->error, err->code, "out of memory copying the error");
    complete_later(c, j, err->code, "");
  }
  client_update_alive(c);
}

/* ---- fetch --------------------------------------------------------------- */

/* Headers curl owns: it frames the message and manages the connection, and
 * drops these over HTTP/2 after they were signed. */
static int transport_header(const char *name) {
  static const char *const names[] = {"connection", "keep-alive", "proxy-connection",
                                      "transfer-encoding", "upgrade", "te"};
  size_t n = strlen(name);
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (canon_ieq(name, n, names[i]))
      return 1;
  return 0;
}

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

static int validate_request(const uvaws_request_t *r) {
  if (r->method == NULL || r->method[0] == '\0' || r->path == NULL)
    return r->path == NULL && r->method != NULL && r->method[0] ? UVAWS_EPATH : UVAWS_EINVAL;
  if (!canon_is_token(r->method))
    return UVAWS_EMETHOD;
  if (r->path[0] != '/' || !canon_is_field_value(r->path))
    return UVAWS_EPATH;
  /* An encoded path goes on the wire as it is: nothing that would end it. */
  if (r->path_encoded && strpbrk(r->path, " \t?#") != NULL)
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
    if (!canon_is_token(r->headers[i].name) || transport_header(r->headers[i].name))
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
  int own_host = 0;
  for (size_t i = 0; i < r->header_count; i++)
    if (canon_ieq(r->headers[i].name, strlen(r->headers[i].name), "host"))
      host = r->headers[i].value;
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
  size_t body_copy = r->body_free ? 0 : r->body_len;
  size_t size = sizeof(uvaws_job_t) + (nq + nh) * sizeof(uvaws_kv_t) + strings + body_copy;
  uvaws_job_t *j = calloc(1, size);
  if (j == NULL)
    return NULL;
  j->client = c;
  j->query = (uvaws_kv_t *)(j + 1);
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
    plen += uvaws_uri_encode(r->path, path_len, 1, path + base_len);
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
    if (canon_ieq(h->name, strlen(h->name), "content-type"))
      j->has_content_type = 1;
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
  if (x && x->host_prefix)
    j->host_prefix = arena_str(&a, x->host_prefix);
  if (x && x->payload_hash)
    j->payload_hash = arena_str(&a, x->payload_hash);
  if (x) {
    j->source = x->source;
    j->sink = x->sink;
  }
  j->submitted_ns = uv_hrtime();
  return j;
}

uvaws_job_t *client_job_make(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                             uvaws_response_cb cb, void *arg, int unbound, int *rc) {
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
  j->state = JOB_QUEUED;
  long deadline = j->deadline_ms ? j->deadline_ms : c->deadline_ms;
  if (deadline > 0 && client_deadline_start(c, j, deadline) != 0)
    return UVAWS_ENOMEM;
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
  transport_abort(j->conn);
  transport_conn_put(c->transport, j->conn);
  j->conn = NULL;
  if (j->system)
    c->system_in_flight--;
  else
    c->in_flight--;
}

int client_system_fetch(uvaws_client_t *c, const char *method, const char *url,
                        const uvaws_kv_t *headers, size_t header_count, const char *body,
                        long timeout_ms, uvaws_response_cb cb, void *arg, uvaws_job_t **job_out) {
  if (c->closing)
    return UVAWS_ECLOSED;
  size_t body_len = body ? strlen(body) : 0;
  size_t strings = strlen(method) + strlen(url) + 2 + body_len + 1;
  for (size_t i = 0; i < header_count; i++)
    strings += strlen(headers[i].name) + strlen(headers[i].value) + 2;
  uvaws_job_t *j = calloc(1, sizeof *j + header_count * sizeof(uvaws_kv_t) + strings);
  if (j == NULL)
    return UVAWS_ENOMEM;
  j->client = c;
  j->system = 1;
  j->headers = (uvaws_kv_t *)(j + 1);
  arena_t a = {(char *)(j->headers + header_count)};
  j->method = arena_str(&a, method);
  j->path = arena_str(&a, url);
  for (size_t i = 0; i < header_count; i++)
    j->headers[i] = (uvaws_kv_t){arena_str(&a, headers[i].name), arena_str(&a, headers[i].value)};
  j->header_count = header_count;
  for (size_t i = 0; i < header_count; i++)
    if (strcasecmp(headers[i].name, "Content-Type") == 0)
      j->has_content_type = 1;
  if (body != NULL) {
    j->body = arena_str(&a, body);
    j->body_len = body_len;
  }
  j->timeout_ms = timeout_ms;
  j->cb = cb;
  j->arg = arg;
  j->submitted_ns = uv_hrtime();
  int rc = send_job(c, j);
  if (rc != 0) {
    job_free(j);
    return rc;
  }
  if (job_out)
    *job_out = j;
  client_update_alive(c);
  return 0;
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

int client_wrong_thread(const uvaws_client_t *c) {
#ifdef NDEBUG
  (void)c;
  return 0;
#else
  uv_thread_t self = uv_thread_self();
  return !uv_thread_equal(&self, &c->loop_thread);
#endif
}

int uvaws_cancel(uvaws_job_t *j) {
  if (j == NULL)
    return UVAWS_EINVAL;
  if (client_wrong_thread(j->client))
    return UVAWS_ETHREAD;
  return client_abort_job(j->client, j, UVAWS_ECANCELED, "cancelled");
}

static void link_add(closer_t **head, closer_t *cl, void (*fn)(closer_t *cl)) {
  cl->fn = fn;
  cl->prev = NULL;
  cl->next = *head;
  if (*head)
    (*head)->prev = cl;
  *head = cl;
}

static void link_remove(closer_t **head, closer_t *cl) {
  if (cl->prev)
    cl->prev->next = cl->next;
  else if (*head == cl)
    *head = cl->next;
  if (cl->next)
    cl->next->prev = cl->prev;
  cl->prev = cl->next = NULL;
}

void client_add_closer(uvaws_client_t *c, closer_t *cl, void (*fn)(closer_t *cl)) {
  link_add(&c->closers, cl, fn);
}

void client_remove_closer(uvaws_client_t *c, closer_t *cl) { link_remove(&c->closers, cl); }

void client_add_watcher(uvaws_client_t *c, closer_t *w, void (*gone)(closer_t *w)) {
  link_add(&c->watchers, w, gone);
}

void client_remove_watcher(uvaws_client_t *c, closer_t *w) { link_remove(&c->watchers, w); }

void client_release_watchers(uvaws_client_t *c) {
  /* Calls deferred after the teardown (a future's `then` asked for once the
   * client was closing) run now, from the loop, while the client is whole. */
  client_run_deferred(&c->defer_timer);
  while (c->watchers != NULL) {
    closer_t *w = c->watchers;
    link_remove(&c->watchers, w);
    w->fn(w);
  }
}

/* Runs from the loop after uvaws_client_close: cancels what is left, waits
 * for the cancellations to be delivered, then closes everything. */
void client_teardown(uvaws_client_t *c) {
  client_posts_shut(c);
  while (c->closers != NULL) { /* each removes itself */
    closer_t *cl = c->closers;
    client_remove_closer(c, cl);
    cl->fn(cl);
  }
  while (c->queue_head != NULL) {
    uvaws_job_t *j = c->queue_head;
    queue_unlink(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  /* In-flight jobs are found through the transport's conns: cancel each. */
  while (c->backoff_head != NULL) {
    uvaws_job_t *j = c->backoff_head;
    client_backoff_cancel(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  uv_timer_stop(&c->rate_timer);
  conn_t *conn;
  while ((conn = transport_busy_conn(c->transport)) != NULL) {
    uvaws_job_t *j = conn->job;
    abort_in_flight(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  if (c->defer_head != NULL)
    return; /* client_run_deferred delivers them, then calls teardown again */
  c->torn_down = 1;
  uv_prepare_stop(&c->alive);
  transport_close(c->transport, client_on_transport_closed, c);
}
