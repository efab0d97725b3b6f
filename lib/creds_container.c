/* Container credentials (ECS task roles, EKS Pod Identity): one GET to the
 * agent's URL, with the authorization token from the environment or from a
 * token file read at each fetch (it rotates), over an http_exchange capped
 * at CREDS_MAX_ANSWER and cleansed after. Where the URL may point is judged
 * by creds_container_url; every answer by creds_from_json_text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_check.h"
#include "creds_provider.h"
#include "fs_read.h"
#include "http_exchange.h"
#include "secret.h"
#include "sigv4_canon.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define CONTAINER_TIMEOUT_MS 2000

typedef struct container_s container_t;

/* One fetch: the token file's read, then the exchange. Abandoned (c ==
 * NULL) while either runs: their callbacks then only free it. */
typedef struct {
  container_t *c;
  fs_read_t *read;
  http_exchange_t *x;
} op_t;

struct container_s {
  creds_io_t io;
  char *url; /* curl's form of it */
  char *token, *token_file;
  creds_flight_t flight;
  op_t *op;
};

/* Frees the op; 0 when it was abandoned (nothing to report), else 1 with
 * the provider no longer pointing at it. */
static int end(op_t *op) {
  container_t *c = op->c;
  free(op);
  if (c != NULL)
    c->op = NULL;
  return c != NULL;
}

static void on_answer(const transport_result_t *res, void *arg) {
  op_t *op = arg;
  op->x = NULL;
  container_t *c = op->c;
  if (!end(op))
    return;
  if (res->code != 0 || res->status != 200) {
    char why[256];
    if (res->code != 0)
      snprintf(why, sizeof why, "%s (%s)", uvaws_strerror(res->code), res->detail);
    else
      snprintf(why, sizeof why, "HTTP %ld", res->status);
    flight_failf(&c->flight, UVAWS_ECREDS, "container credentials %s: credentials: %s", c->url,
                 why);
    return;
  }
  creds_t creds;
  const char *why = NULL;
  if (creds_from_json_text(res->body, res->body_len, "Token", 1, &creds, &why) != 0) {
    flight_failf(&c->flight, UVAWS_ECREDS, "container credentials %s: %s", c->url, why);
    return;
  }
  flight_answer(&c->flight, &creds, 0, NULL);
  creds_clear(&creds);
}

static int send_get(op_t *op, const char *token) {
  container_t *c = op->c;
  uvaws_kv_t h[] = {{"Authorization", token ? token : ""}};
  http_request_t r = {.method = "GET", .url = c->url, .headers = h, .header_count = token ? 1 : 0,
                      .timeout_ms = CONTAINER_TIMEOUT_MS, .max_answer = CREDS_MAX_ANSWER,
                      .secret = 1};
  return http_exchange_start(c->io.loop, c->io.transport, &r, on_answer, op, &op->x);
}

static void on_token_file(void *arg, const char *data, size_t len, int err) {
  op_t *op = arg;
  op->read = NULL;
  container_t *c = op->c;
  if (c == NULL) { /* not reached: an abandoned read calls nobody */
    end(op);
    return;
  }
  if (err != 0) {
    end(op);
    flight_failf(&c->flight, UVAWS_ECREDS, "container credentials: cannot read token file %s: %s",
                 c->token_file, uv_strerror(err));
    return;
  }
  char *token = strndup(data, len);
  if (token != NULL) {
    size_t n = strlen(token);
    while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
      token[--n] = '\0';
  }
  int rc = token && memchr(data, '\0', len) == NULL && canon_is_field_value(token)
               ? send_get(op, token)
               : UVAWS_EINVAL;
  secret_free(token);
  if (rc != 0) {
    end(op);
    flight_failf(&c->flight, UVAWS_ECREDS, "container credentials: token file %s: %s",
                 c->token_file, rc == UVAWS_EINVAL ? "holds control characters"
                                                   : uvaws_strerror(rc));
  }
}

static int container_start(void *ctx) {
  container_t *c = ctx;
  op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return UVAWS_ENOMEM;
  op->c = c;
  int rc;
  if (c->token_file != NULL) {
    op->read = fs_read_start(c->io.loop, c->token_file, 16384, on_token_file, op);
    rc = op->read ? 0 : UVAWS_ENOMEM;
  } else {
    rc = send_get(op, c->token);
  }
  if (rc != 0) {
    free(op);
    return rc;
  }
  c->op = op;
  return 0;
}

static int container_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg,
                           void **handle) {
  container_t *c = p->data;
  return flight_fetch(&c->flight, cb, arg, handle, container_start, c);
}

static void abandon(container_t *c) {
  op_t *op = c->op;
  if (op == NULL)
    return;
  c->op = NULL;
  op->c = NULL;
  if (op->read != NULL) {
    fs_read_abandon(op->read);
    free(op); /* the read frees itself; nothing else points at op */
  } else {
    http_exchange_cancel(op->x); /* on_answer sees the abandoned op and frees it */
  }
}

static void container_cancel(uvaws_creds_provider_t *p, void *handle) {
  container_t *c = p->data;
  if (flight_leave(&c->flight, handle))
    abandon(c);
}

static void container_free(uvaws_creds_provider_t *p) {
  container_t *c = p->data;
  flight_free(&c->flight);
  abandon(c);
  free(c->url);
  secret_free(c->token);
  free(c->token_file);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t container_ops = {container_fetch, container_cancel,
                                                         container_free};

uvaws_creds_provider_t *creds_container_new(const creds_io_t *io, const config_t *cfg,
                                            uvaws_error_t *err) {
  const char *rel = cfg->container_relative_uri, *full = cfg->container_full_uri;
  const char *var = rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                        : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  if (rel == NULL && full == NULL) {
    uvaws_error_set(err, UVAWS_ECREDS, "container credentials: neither "
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set");
    return NULL;
  }
  char *url = NULL;
  if (rel != NULL) {
    size_t n = strlen(CONTAINER_HOST) + strlen(rel) + 2;
    if ((url = malloc(n)) != NULL)
      snprintf(url, n, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
  } else {
    url = strdup(full);
  }
  uvaws_creds_provider_t *p =
      provider_alloc(&container_ops, sizeof(container_t), "container credentials", 0);
  container_t *c = p ? p->data : NULL;
  if (url == NULL || c == NULL) {
    free(url);
    provider_release(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "container credentials: out of memory");
    return NULL;
  }
  c->io = *io;
  flight_init(&c->flight);
  const char *why = NULL;
  int rc = creds_container_url(url, &c->url, &why);
  free(url);
  if (rc != 0) {
    /* The URL is not repeated: it may carry a user name and password. */
    uvaws_error_set(err, UVAWS_ECREDS, "%s is refused: %s", var, why);
    container_free(p);
    return NULL;
  }
  if (cfg->container_token && !canon_is_field_value(cfg->container_token)) {
    uvaws_error_set(err, UVAWS_ECREDS,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN holds control characters");
    container_free(p);
    return NULL;
  }
  const char *tf = cfg->container_token_file, *tok = cfg->container_token;
  if ((tf && (c->token_file = strdup(tf)) == NULL) ||
      (!tf && tok && (c->token = strdup(tok)) == NULL)) {
    uvaws_error_set(err, UVAWS_ENOMEM, "container credentials: out of memory");
    container_free(p);
    return NULL;
  }
  return p;
}
