/* The client: request jobs, the FIFO queue behind max_clients, dispatch (sign
 * now, then hand to the transport), completion, cancel and close. */
#include "uvaws/client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "aws_error.h"
#include "client_internal.h"
#include "sigv4_canon.h"
#include "transport.h"
#include "uvaws/sigv4.h"
#include "uvaws/version.h"

#define DEFAULT_MAX_CLIENTS 100
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_MAX_RESPONSE_BYTES ((size_t)64 << 20)

typedef enum { JOB_QUEUED, JOB_IN_FLIGHT, JOB_DEFERRED } job_state_t;

struct uvaws_job_s {
  defer_t defer; /* first: a deferred completion is a defer_t */
  uvaws_job_t *prev, *next; /* queue links */
  uvaws_client_t *client;
  job_state_t state;
  uvaws_response_cb cb;
  void *arg;
  conn_t *conn;
  /* the request, copied into the same allocation as the job */
  const char *method;
  const char *path; /* wire form: base path + encoded path */
  uvaws_kv_t *query;
  size_t query_count;
  uvaws_kv_t *headers; /* [0] is Host */
  size_t header_count;
  const void *body;
  size_t body_len;
  void (*body_free)(void *body);
  long timeout_ms;
  int has_content_type;
  unsigned attempts;
  uint64_t submitted_ns;
  uvaws_error_t error;
};

struct uvaws_client_s {
  uv_loop_t *loop;
  transport_t *transport;
  uvaws_signer_t *signer;
  uv_prepare_t alive; /* active while requests are pending: keeps uv_run going */
  uv_timer_t defer_timer;
  defer_t *defer_head, *defer_tail;
  /* configuration */
  char *service, *region, *access_key, *secret_key, *session_token;
  char *base_url;  /* "https://host:port" */
  char *base_path; /* "" or "/base" */
  char *host;      /* Host header value */
  unsigned max_clients;
  size_t max_queue;
  long request_timeout_ms;
  size_t max_response_bytes;
  unsigned sign_flags;
  uvaws_log_cb log_cb;
  void *log_arg;
  uvaws_log_level_t log_level;
  uvaws_clock_fn clock;
  void *clock_arg;
  /* state */
  uvaws_job_t *queue_head, *queue_tail;
  size_t queued, in_flight, deferred_jobs;
  uvaws_client_stats_t stats;
  int callback_depth;
  int closing, torn_down, pending_closes;
  uvaws_close_cb close_cb;
  void *close_arg;
};

static void dispatch_more(uvaws_client_t *c);
static void on_transfer_done(conn_t *conn, CURLcode result, void *owner);

/* ---- small helpers ------------------------------------------------------- */

static void client_log(uvaws_client_t *c, uvaws_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void client_log(uvaws_client_t *c, uvaws_log_level_t level, const char *fmt, ...) {
  if (c->log_cb == NULL || level > c->log_level)
    return;
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  c->log_cb(level, line, c->log_arg);
}

static void free_secret(char *s) {
  if (s != NULL) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

static int64_t now_s(const uvaws_client_t *c) {
  return c->clock ? c->clock(c->clock_arg) : (int64_t)time(NULL);
}

static void on_alive(uv_prepare_t *h) { (void)h; }

static void update_alive(uvaws_client_t *c) {
  size_t pending = c->queued + c->in_flight + c->deferred_jobs;
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

static void run_deferred(uv_timer_t *h);

void client_defer(uvaws_client_t *c, defer_t *d, void (*fn)(defer_t *d)) {
  d->fn = fn;
  d->next = NULL;
  if (c->defer_tail)
    c->defer_tail->next = d;
  else
    c->defer_head = d;
  c->defer_tail = d;
  if (!uv_is_active((uv_handle_t *)&c->defer_timer))
    uv_timer_start(&c->defer_timer, run_deferred, 0, 0);
}

static void teardown(uvaws_client_t *c);

static void run_deferred(uv_timer_t *h) {
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
    teardown(c);
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
  if (j->body_free)
    j->body_free((void *)j->body);
  uvaws_error_clear(&j->error);
  free(j);
}

/* Calls the job's callback, then frees it. */
static void deliver(uvaws_client_t *c, uvaws_job_t *j, const uvaws_response_t *res) {
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
  res.error = &j->error;
  res.body = "";
  res.attempts = j->attempts;
  res.elapsed_ms = elapsed_ms(j);
  deliver(c, j, &res);
  update_alive(c);
}

/* Completes a job that has no HTTP answer (cancelled, failed before sending)
 * from the loop, later. */
static void complete_later(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail) {
  if (j->error.code == 0)
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

static int send_job(uvaws_client_t *c, uvaws_job_t *j) {
  conn_t *conn = transport_conn_get(c->transport);
  if (conn == NULL)
    return UVAWS_ENOMEM;
  uvaws_sigv4_input_t in = {
      .access_key = c->access_key,
      .secret_key = c->secret_key,
      .session_token = c->session_token,
      .region = c->region,
      .service = c->service,
      .timestamp = now_s(c),
      .method = j->method,
      .path = j->path,
      .query = j->query,
      .query_count = j->query_count,
      .headers = j->headers,
      .header_count = j->header_count,
      .body = j->body,
      .body_len = j->body_len,
      .flags = c->sign_flags,
  };
  if ((c->sign_flags & UVAWS_SIGV4_CONTENT_SHA256) == 0)
    in.flags &= ~(unsigned)UVAWS_SIGV4_CONTENT_SHA256;
  uvaws_sigv4_output_t out;
  int rc = uvaws_sigv4_sign_headers(c->signer, &in, &out);
  if (rc != 0) {
    transport_conn_put(c->transport, conn);
    return rc;
  }
  buf_reset(&conn->url);
  buf_adds(&conn->url, c->base_url);
  buf_adds(&conn->url, j->path);
  add_query(&conn->url, j->query, j->query_count);

  conn_headers_reset(conn);
  for (size_t i = 0; i < j->header_count; i++)
    conn_header_add(conn, j->headers[i].name, j->headers[i].value);
  for (size_t i = 0; i < out.header_count; i++)
    conn_header_add(conn, out.headers[i].name, out.headers[i].value);
  /* No "Expect: 100-continue" round trip, no curl default headers nobody signed. */
  buf_adds(&conn->header_text, "Expect:");
  buf_addc(&conn->header_text, '\0');
  buf_adds(&conn->header_text, "Accept:");
  buf_addc(&conn->header_text, '\0');
  if (!j->has_content_type) {
    buf_adds(&conn->header_text, "Content-Type:");
    buf_addc(&conn->header_text, '\0');
  }
  conn->job = j;
  long timeout = j->timeout_ms > 0 ? j->timeout_ms : c->request_timeout_ms;
  rc = transport_start(conn, j->method, j->body, j->body_len, timeout, c->max_response_bytes);
  if (rc != 0) {
    conn->job = NULL;
    transport_conn_put(c->transport, conn);
    return rc;
  }
  j->conn = conn;
  j->state = JOB_IN_FLIGHT;
  j->attempts++;
  c->stats.attempts++;
  c->in_flight++;
  return 0;
}

static void dispatch_more(uvaws_client_t *c) {
  while (!c->closing && c->in_flight < c->max_clients && c->queue_head != NULL) {
    uvaws_job_t *j = c->queue_head;
    queue_unlink(c, j);
    int rc = send_job(c, j);
    if (rc != 0) {
      client_log(c, UVAWS_LOG_ERROR, "cannot send %s %s: %s", j->method, j->path,
                 uvaws_strerror(rc));
      complete_later(c, j, rc, "the request could not be sent");
    }
  }
  update_alive(c);
}

/* ---- completion ---------------------------------------------------------- */

static int classify_curl(CURLcode rc, const conn_t *conn) {
  if (conn->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return UVAWS_ETOOBIG;
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

static void on_transfer_done(conn_t *conn, CURLcode result, void *owner) {
  uvaws_client_t *c = owner;
  uvaws_job_t *j = conn->job;
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
      uvaws_error_set(&j->error, code, "response body larger than %zu bytes",
                      c->max_response_bytes);
    else
      uvaws_error_set(&j->error, code, "%s", detail);
    j->error.http_status = status;
    res.status = status;
    res.body = "";
    client_log(c, UVAWS_LOG_INFO, "%s %s: %s (%s)", j->method, j->path, uvaws_err_name(code),
               detail);
  }
  if (j->error.code != 0)
    res.error = &j->error;
  res.elapsed_ms = elapsed_ms(j);
  deliver(c, j, &res);
  transport_conn_put(c->transport, conn);
  dispatch_more(c);
}

/* ---- fetch --------------------------------------------------------------- */

static int validate_request(const uvaws_request_t *r) {
  if (r->method == NULL || r->method[0] == '\0' || r->path == NULL)
    return r->path == NULL && r->method != NULL && r->method[0] ? UVAWS_EPATH : UVAWS_EINVAL;
  if (!canon_is_token(r->method))
    return UVAWS_EMETHOD;
  if (r->path[0] != '/' || !canon_is_field_value(r->path))
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
    if (!canon_is_token(r->headers[i].name))
      return UVAWS_EHEADERNAME;
    if (!canon_is_field_value(r->headers[i].value))
      return UVAWS_EHEADERVALUE;
  }
  return 0;
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

static uvaws_job_t *job_new(uvaws_client_t *c, const uvaws_request_t *r) {
  size_t path_len = strlen(r->path);
  size_t base_len = strlen(c->base_path);
  const char *host = c->host;
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
  memcpy(path, c->base_path, base_len);
  size_t plen = base_len + uvaws_uri_encode(r->path, path_len, 1, path + base_len);
  j->path = path;
  a.p += plen + 1;
  for (size_t i = 0; i < nq; i++) {
    j->query[i].name = arena_str(&a, r->query[i].name);
    j->query[i].value = arena_str(&a, r->query[i].value ? r->query[i].value : "");
  }
  j->query_count = nq;
  j->headers[0] = (uvaws_kv_t){"Host", arena_str(&a, host)};
  j->header_count = 1;
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
  j->submitted_ns = uv_hrtime();
  return j;
}

int uvaws_fetch(uvaws_client_t *c, const uvaws_request_t *req, uvaws_response_cb cb, void *arg,
                uvaws_job_t **job_out) {
  if (job_out)
    *job_out = NULL;
  if (c == NULL || req == NULL || cb == NULL)
    return UVAWS_EINVAL;
  if (c->closing)
    return UVAWS_ECLOSED;
  int rc = validate_request(req);
  if (rc != 0)
    return rc;
  if (c->max_queue && c->in_flight >= c->max_clients && c->queued >= c->max_queue)
    return UVAWS_EQUEUEFULL;
  uvaws_job_t *j = job_new(c, req);
  if (j == NULL)
    return UVAWS_ENOMEM;
  j->cb = cb;
  j->arg = arg;
  j->state = JOB_QUEUED;
  c->stats.submitted++;
  queue_push(c, j);
  if (job_out)
    *job_out = j;
  dispatch_more(c);
  return 0;
}

int uvaws_cancel(uvaws_job_t *j) {
  if (j == NULL)
    return UVAWS_EINVAL;
  uvaws_client_t *c = j->client;
  switch (j->state) {
  case JOB_QUEUED:
    queue_unlink(c, j);
    break;
  case JOB_IN_FLIGHT:
    transport_abort(j->conn);
    transport_conn_put(c->transport, j->conn);
    j->conn = NULL;
    c->in_flight--;
    break;
  default:
    return UVAWS_EINVAL;
  }
  uvaws_error_clear(&j->error);
  complete_later(c, j, UVAWS_ECANCELED, "cancelled");
  dispatch_more(c);
  return 0;
}

/* ---- client lifecycle ---------------------------------------------------- */

static int parse_endpoint(uvaws_client_t *c, const char *endpoint, uvaws_error_t *err) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL,
       *fragment = NULL;
  int rc = 0;
  if (u == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "parsing the endpoint");
  if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
      curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint '%s' is not a URL", endpoint);
    goto out;
  }
  curl_url_get(u, CURLUPART_PORT, &port, 0);
  curl_url_get(u, CURLUPART_PATH, &path, 0);
  curl_url_get(u, CURLUPART_QUERY, &query, 0);
  curl_url_get(u, CURLUPART_USER, &user, 0);
  curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0);
  if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint '%s': scheme must be http or https",
                         endpoint);
    goto out;
  }
  if (host[0] == '\0' || query || user || fragment) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT,
                         "endpoint '%s': want scheme://host[:port][/path], no query, "
                         "user or fragment", endpoint);
    goto out;
  }
  size_t hlen = strlen(host) + (port ? strlen(port) + 1 : 0) + 1;
  c->host = malloc(hlen);
  c->base_url = malloc(strlen(scheme) + 3 + hlen);
  size_t plen = path ? strlen(path) : 0;
  while (plen > 0 && path[plen - 1] == '/')
    plen--; /* "/base/" and "/base" mean the same; "/" means none */
  c->base_path = malloc(plen + 1);
  if (c->host == NULL || c->base_url == NULL || c->base_path == NULL) {
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "parsing the endpoint");
    goto out;
  }
  snprintf(c->host, hlen, "%s%s%s", host, port ? ":" : "", port ? port : "");
  sprintf(c->base_url, "%s://%s", scheme, c->host);
  memcpy(c->base_path, path ? path : "", plen);
  c->base_path[plen] = '\0';
out:
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_free(path);
  curl_free(query);
  curl_free(user);
  curl_free(fragment);
  curl_url_cleanup(u);
  return rc;
}

static void free_client(uvaws_client_t *c) {
  uvaws_signer_free(c->signer);
  free(c->service);
  free(c->region);
  free(c->access_key);
  free_secret(c->secret_key);
  free_secret(c->session_token);
  free(c->base_url);
  free(c->base_path);
  free(c->host);
  free(c);
}

static int copy_opt(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst == NULL ? -1 : 0;
}

static int valid_name(const char *s) {
  if (s == NULL || s[0] == '\0')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_' || *s == '.'))
      return 0;
  return 1;
}

int uvaws_client_new(uv_loop_t *loop, const uvaws_client_options_t *o, uvaws_client_t **out,
                     uvaws_error_t *err) {
  if (err)
    memset(err, 0, sizeof *err);
  if (out)
    *out = NULL;
  if (loop == NULL || o == NULL || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "loop, options and out are required");
  if (!valid_name(o->service))
    return uvaws_error_set(err, UVAWS_EINVAL, "service: a signing name like \"dynamodb\" is required");
  if (!valid_name(o->region))
    return uvaws_error_set(err, UVAWS_ENOREGION, "no valid region given");
  if (o->access_key == NULL || o->secret_key == NULL || !valid_name(o->access_key) ||
      o->secret_key[0] == '\0')
    return uvaws_error_set(err, UVAWS_ENOCREDS, "no credentials given (access_key and secret_key)");
  if (o->session_token && !canon_is_field_value(o->session_token))
    return uvaws_error_set(err, UVAWS_EINVAL, "session token contains control characters");
  if (o->user_agent_suffix && !canon_is_field_value(o->user_agent_suffix))
    return uvaws_error_set(err, UVAWS_EINVAL, "user_agent_suffix contains control characters");

  uvaws_client_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "allocating the client");
  c->loop = loop;
  c->max_clients = o->max_clients ? o->max_clients : DEFAULT_MAX_CLIENTS;
  c->max_queue = o->max_queue;
  c->request_timeout_ms = o->request_timeout_ms > 0 ? o->request_timeout_ms : 0;
  c->max_response_bytes = o->max_response_bytes ? o->max_response_bytes : DEFAULT_MAX_RESPONSE_BYTES;
  c->sign_flags = o->sign_flags;
  c->log_cb = o->log_cb;
  c->log_arg = o->log_arg;
  c->log_level = o->log_level ? o->log_level : UVAWS_LOG_WARN;
  c->clock = o->clock;
  c->clock_arg = o->clock_arg;
  if (copy_opt(&c->service, o->service) || copy_opt(&c->region, o->region) ||
      copy_opt(&c->access_key, o->access_key) || copy_opt(&c->secret_key, o->secret_key) ||
      copy_opt(&c->session_token, o->session_token)) {
    free_client(c);
    return uvaws_error_set(err, UVAWS_ENOMEM, "copying the options");
  }
  char default_endpoint[256];
  const char *endpoint = o->endpoint;
  if (endpoint == NULL) {
    snprintf(default_endpoint, sizeof default_endpoint, "https://%s.%s.amazonaws.com", o->service,
             o->region);
    endpoint = default_endpoint;
  }
  int rc = parse_endpoint(c, endpoint, err);
  if (rc == 0)
    rc = uvaws_signer_new(&c->signer);
  if (rc != 0) {
    free_client(c);
    return err && err->code ? rc : uvaws_error_set(err, rc, "creating the signer");
  }
  char ua[256];
  snprintf(ua, sizeof ua, "uvaws/%s%s%s", UVAWS_VERSION_STRING, o->user_agent_suffix ? " " : "",
           o->user_agent_suffix ? o->user_agent_suffix : "");
  transport_options_t topts = {
      .connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                      : DEFAULT_CONNECT_TIMEOUT_MS,
      .max_connections = c->max_clients,
      .ca_file = o->ca_file,
      .tls_no_verify = o->tls_no_verify,
      .user_agent = ua,
  };
  rc = transport_new(loop, &topts, on_transfer_done, c, &c->transport);
  if (rc != 0) {
    free_client(c);
    return uvaws_error_set(err, rc, "creating the transport");
  }
  uv_prepare_init(loop, &c->alive);
  c->alive.data = c;
  uv_timer_init(loop, &c->defer_timer);
  /* Referenced: while deferred calls are pending it keeps the loop running
   * (an inactive timer never does). */
  c->defer_timer.data = c;
  if (o->tls_no_verify)
    client_log(c, UVAWS_LOG_WARN, "TLS verification is off for %s", c->base_url);
  client_log(c, UVAWS_LOG_DEBUG, "client for %s in %s at %s%s", c->service, c->region,
             c->base_url, c->base_path);
  *out = c;
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  uvaws_client_t *c = h->data;
  if (--c->pending_closes > 0)
    return;
  uvaws_close_cb cb = c->close_cb;
  void *arg = c->close_arg;
  free_client(c);
  if (cb)
    cb(c, arg); /* the pointer identifies the client; it is already freed */
}

static void on_transport_closed(void *arg) {
  uvaws_client_t *c = arg;
  c->transport = NULL;
  c->pending_closes = 2;
  uv_close((uv_handle_t *)&c->alive, on_handle_closed);
  uv_close((uv_handle_t *)&c->defer_timer, on_handle_closed);
}

/* Runs from the loop after uvaws_client_close: cancels what is left, waits
 * for the cancellations to be delivered, then closes everything. */
static void teardown(uvaws_client_t *c) {
  while (c->queue_head != NULL) {
    uvaws_job_t *j = c->queue_head;
    queue_unlink(c, j);
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  /* In-flight jobs are found through the transport's conns: cancel each. */
  while (c->in_flight > 0) {
    conn_t *conn = transport_busy_conn(c->transport);
    if (conn == NULL)
      break;
    uvaws_job_t *j = conn->job;
    transport_abort(j->conn);
    transport_conn_put(c->transport, j->conn);
    j->conn = NULL;
    c->in_flight--;
    complete_later(c, j, UVAWS_ECANCELED, "client closed");
  }
  if (c->defer_head != NULL)
    return; /* run_deferred delivers them, then calls teardown again */
  c->torn_down = 1;
  uv_prepare_stop(&c->alive);
  transport_close(c->transport, on_transport_closed, c);
}

void uvaws_client_close(uvaws_client_t *c, uvaws_close_cb cb, void *arg) {
  if (c == NULL || c->closing)
    return;
  c->closing = 1;
  c->close_cb = cb;
  c->close_arg = arg;
  /* Never tear down here: this may be running inside a response callback,
   * with the transport's completion loop above us on the stack. */
  uv_timer_start(&c->defer_timer, run_deferred, 0, 0);
}

uv_loop_t *uvaws_client_loop(const uvaws_client_t *c) { return c ? c->loop : NULL; }

int uvaws_client_stats(const uvaws_client_t *c, uvaws_client_stats_t *out) {
  if (c == NULL || out == NULL)
    return UVAWS_EINVAL;
  *out = c->stats;
  out->queued = c->queued;
  out->in_flight = c->in_flight;
  out->connections = c->transport ? transport_connections(c->transport) : 0;
  return 0;
}

const char *uvaws_response_header(const uvaws_response_t *res, const char *name) {
  if (res == NULL || name == NULL)
    return NULL;
  for (size_t i = 0; i < res->header_count; i++)
    if (strcasecmp(res->headers[i].name, name) == 0)
      return res->headers[i].value;
  return NULL;
}
