/* EC2 instance metadata (see imds.h): an op walks the steps (token, then the
 * role and its credentials, or the identity document) over http_exchanges
 * on the transport it is given. */
#include "imds.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "creds_check.h"
#include "creds_provider.h"
#include "http_exchange.h"
#include "json_keys.h"
#include "secret.h"
#include "sigv4_canon.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define DEFAULT_TIMEOUT_MS 1000 /* AWS_METADATA_SERVICE_TIMEOUT's default */
#define TOKEN_TTL "21600"                   /* six hours, the SDKs' default */
#define TOKEN_REUSE_MS (5ull * 3600 * 1000) /* refetch the token well before its TTL */

struct imds_s {
  unsigned refs;
  creds_io_t io;
  char *endpoint;
  int v1_disabled;
  long timeout_ms;
  int attempts;
  char *token;
  uint64_t token_at; /* loop time (ms) it was fetched */
};

typedef enum { STEP_TOKEN, STEP_ROLE, STEP_CREDS, STEP_REGION } step_t;

/* What a credentials op ends with: credentials, or a code and why. */
typedef void (*op_done_cb)(void *arg, const creds_t *creds, int code, const char *detail);

/* One conversation (several requests). Abandoned (m == NULL) while an
 * exchange runs: its callback then only frees it. */
struct imds_op_s {
  imds_t *m;
  int for_region;
  step_t step;
  int attempt;     /* of the current step, from 1 */
  int token_fresh; /* the token was fetched by this op, not reused */
  http_exchange_t *x;
  char *role;
  op_done_cb done;             /* a credentials op */
  imds_region_cb region_done; /* a region op */
  void *arg;
};

/* ---- instance metadata ---------------------------------------------------- */

imds_t *imds_new(const creds_io_t *io, const config_t *cfg) {
  imds_t *m = calloc(1, sizeof *m);
  if (m == NULL)
    return NULL;
  m->refs = 1;
  m->io = *io;
  m->v1_disabled = cfg->imds_v1_disabled;
  m->timeout_ms = cfg->metadata_timeout_ms > 0 ? cfg->metadata_timeout_ms : DEFAULT_TIMEOUT_MS;
  m->attempts = cfg->metadata_num_attempts > 0 ? cfg->metadata_num_attempts : 1;
  m->endpoint = strdup(cfg->imds_endpoint ? cfg->imds_endpoint : IMDS_DEFAULT_ENDPOINT);
  if (m->endpoint == NULL) {
    free(m);
    return NULL;
  }
  size_t n = strlen(m->endpoint); /* "http://host/" and "http://host" alike */
  while (n > 0 && m->endpoint[n - 1] == '/')
    m->endpoint[--n] = '\0';
  return m;
}

imds_t *imds_ref(imds_t *m) {
  if (m != NULL)
    m->refs++;
  return m;
}

void imds_unref(imds_t *m) {
  if (m == NULL || --m->refs > 0)
    return;
  free(m->endpoint);
  secret_free(m->token);
  free(m);
}

/* ---- ops ------------------------------------------------------------------ */

static void op_free(imds_op_t *op) {
  free(op->role);
  free(op);
}

/* Reports the outcome (unless abandoned) and frees the op. */
static void op_end(imds_op_t *op, const creds_t *creds, const char *region, int code,
                   const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void op_end(imds_op_t *op, const creds_t *creds, const char *region, int code,
                   const char *fmt, ...) {
  char detail[1024] = "";
  if (fmt != NULL) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
  }
  if (op->m != NULL && op->for_region)
    op->region_done(op->arg, region, detail);
  else if (op->m != NULL)
    op->done(op->arg, creds, code, detail);
  op_free(op);
}

static void on_http(const transport_result_t *res, void *arg);

/* Sends (or sends again) the request of the op's current step. */
static int op_send(imds_op_t *op) {
  imds_t *m = op->m;
  char url[1024], role_path[256];
  const char *method = "GET", *path;
  switch (op->step) {
  case STEP_TOKEN:
    method = "PUT";
    path = "/latest/api/token";
    break;
  case STEP_ROLE:
    path = "/latest/meta-data/iam/security-credentials/";
    break;
  case STEP_CREDS:
    snprintf(role_path, sizeof role_path, "/latest/meta-data/iam/security-credentials/%s",
             op->role);
    path = role_path;
    break;
  default:
    path = "/latest/dynamic/instance-identity/document";
    break;
  }
  snprintf(url, sizeof url, "%s%s", m->endpoint, path);
  uvaws_kv_t h[1];
  size_t nh = 0;
  if (op->step == STEP_TOKEN)
    h[nh++] = (uvaws_kv_t){"X-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL};
  else if (m->token != NULL)
    h[nh++] = (uvaws_kv_t){"X-aws-ec2-metadata-token", m->token};
  /* Tokens go out, credentials come back: every buffer is cleansed after. */
  http_request_t r = {.method = method, .url = url, .headers = h, .header_count = nh,
                      .timeout_ms = m->timeout_ms, .max_answer = CREDS_MAX_ANSWER, .secret = 1};
  return http_exchange_start(m->io.loop, m->io.transport, &r, on_http, op, &op->x);
}

static int op_step(imds_op_t *op, step_t step) {
  op->step = step;
  op->attempt = 1;
  return op_send(op);
}

/* After the token step (or with a token still good): what the op is for. */
static int after_token(imds_op_t *op) {
  return op_step(op, op->for_region ? STEP_REGION : STEP_ROLE);
}

static imds_op_t *op_start(imds_t *m, op_done_cb done, imds_region_cb region_done, void *arg,
                           int *rc) {
  imds_op_t *op = calloc(1, sizeof *op);
  if (op == NULL) {
    *rc = UVAWS_ENOMEM;
    return NULL;
  }
  op->m = m;
  op->for_region = region_done != NULL;
  op->done = done;
  op->region_done = region_done;
  op->arg = arg;
  /* One token serves every request while it is good: it is fetched again
   * only when it is old or instance metadata refused it (401). */
  if (m->token && uv_now(m->io.loop) - m->token_at < TOKEN_REUSE_MS) {
    *rc = after_token(op);
  } else {
    op->token_fresh = 1;
    *rc = op_step(op, STEP_TOKEN);
  }
  if (*rc != 0) {
    op_free(op);
    return NULL;
  }
  return op;
}

void imds_abandon(imds_op_t *op) {
  if (op == NULL)
    return;
  op->m = NULL;
  http_exchange_cancel(op->x); /* on_http sees the abandoned op and frees it */
}

/* ---- answers -------------------------------------------------------------- */

static const char *what_failed(const imds_op_t *op) {
  switch (op->step) {
  case STEP_ROLE:
    return "no IAM role";
  case STEP_CREDS:
    return "role credentials";
  case STEP_REGION:
    return "instance identity document";
  default:
    return "credentials";
  }
}

static void failed(imds_op_t *op, const transport_result_t *res, const char *what) {
  char why[256];
  if (res->code != 0)
    snprintf(why, sizeof why, "%s (%s)", uvaws_strerror(res->code), res->detail);
  else
    snprintf(why, sizeof why, "HTTP %ld", res->status);
  op_end(op, NULL, NULL, op->for_region ? UVAWS_ENOREGION : UVAWS_ENOCREDS,
         "instance metadata %s: %s: %s", op->m->endpoint, what, why);
}

/* An answer refused for what it holds (not for how it arrived). */
static void refused(imds_op_t *op, const char *why) {
  op_end(op, NULL, NULL, op->for_region ? UVAWS_ENOREGION : UVAWS_ECREDS,
         "instance metadata %s: %s", op->m->endpoint, why);
}

static void cannot_send(imds_op_t *op, int rc) {
  op_end(op, NULL, NULL, op->for_region ? UVAWS_ENOREGION : UVAWS_ECREDS,
         "instance metadata: %s", uvaws_strerror(rc));
}

/* A timeout, no connection or a 5xx: worth another attempt of the same
 * step, up to AWS_METADATA_SERVICE_NUM_ATTEMPTS. */
static int try_again(imds_op_t *op, const transport_result_t *res) {
  int transient = res->code == UVAWS_ETIMEDOUT || res->code == UVAWS_ENETWORK ||
                  (res->code == 0 && res->status >= 500 && res->status <= 599);
  if (!transient || op->attempt >= op->m->attempts)
    return 0;
  op->attempt++;
  return op_send(op) == 0;
}

static int region_ok(const char *r) {
  size_t n = strlen(r);
  return n > 0 && n <= 63 && strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void on_token(imds_op_t *op, const transport_result_t *res, int ok) {
  imds_t *m = op->m;
  if (ok && res->body_len > 0 && strlen(res->body) == res->body_len &&
      canon_is_field_value(res->body)) {
    secret_free(m->token);
    m->token = strdup(res->body);
    m->token_at = uv_now(m->io.loop);
  } else {
    /* As the SDKs do: 403/404/405 (v2 off), a timeout or no connection
     * falls back to IMDSv1, unless v1 is disabled; anything else is final. */
    int fallback = (res->code == 0 && (res->status == 403 || res->status == 404 ||
                                       res->status == 405)) ||
                   (res->code != 0 && res->code != UVAWS_ETOOBIG);
    if (ok || !fallback || m->v1_disabled) {
      failed(op, res,
             m->v1_disabled && fallback
                 ? "no IMDSv2 token and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)"
             : ok ? "IMDSv2 token is not a header value"
                  : "IMDSv2 token refused");
      return;
    }
    secret_free(m->token);
    m->token = NULL;
  }
  int rc = after_token(op);
  if (rc != 0)
    cannot_send(op, rc);
}

static void got_region(imds_op_t *op, const transport_result_t *res) {
  cJSON *j = json_parse_last_wins(res->body, res->body_len);
  const char *region = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "region"));
  if (region == NULL || !region_ok(region))
    refused(op, "the instance identity document holds no valid region");
  else
    op_end(op, NULL, region, 0, NULL);
  cJSON_Delete(j);
}

static void on_http(const transport_result_t *res, void *arg) {
  imds_op_t *op = arg;
  op->x = NULL;
  imds_t *m = op->m;
  if (m == NULL) { /* abandoned */
    op_free(op);
    return;
  }
  int ok = res->code == 0 && res->status == 200;
  if (!ok && try_again(op, res))
    return;
  if (op->step == STEP_TOKEN) {
    on_token(op, res, ok);
    return;
  }
  if (!ok && res->code == 0 && res->status == 401 && m->token && !op->token_fresh) {
    /* The token expired or was revoked: get a new one and start over, once. */
    secret_free(m->token);
    m->token = NULL;
    op->token_fresh = 1;
    if (op_step(op, STEP_TOKEN) == 0)
      return;
  }
  if (!ok) {
    failed(op, res, what_failed(op));
  } else if (op->step == STEP_ROLE) {
    size_t n = strcspn(res->body, "\r\n");
    if (!creds_role_name_ok(res->body, n)) {
      refused(op, "the role list holds no valid IAM role name");
      return;
    }
    op->role = strndup(res->body, n);
    int rc = op->role ? op_step(op, STEP_CREDS) : UVAWS_ENOMEM;
    if (rc != 0)
      cannot_send(op, rc);
  } else if (op->step == STEP_REGION) {
    got_region(op, res);
  } else {
    creds_t creds;
    const char *why = NULL;
    if (creds_from_json_text(res->body, res->body_len, "Token", 1, &creds, &why) != 0) {
      refused(op, why);
      return;
    }
    op_end(op, &creds, NULL, 0, NULL);
    creds_clear(&creds);
  }
}

/* ---- the region ----------------------------------------------------------- */

imds_op_t *imds_fetch_region(imds_t *m, imds_region_cb cb, void *arg, int *rc) {
  return op_start(m, NULL, cb, arg, rc);
}

/* ---- the credentials provider --------------------------------------------- */

typedef struct {
  imds_t *m;
  creds_flight_t flight;
  imds_op_t *op;
} provider_t;

static void on_creds(void *arg, const creds_t *creds, int code, const char *detail) {
  provider_t *d = arg;
  d->op = NULL;
  flight_answer(&d->flight, creds, code, detail);
}

static int imds_start(void *ctx) {
  provider_t *d = ctx;
  int rc;
  d->op = op_start(d->m, on_creds, NULL, d, &rc);
  return d->op ? 0 : rc;
}

static int imds_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  provider_t *d = p->data;
  return flight_fetch(&d->flight, cb, arg, handle, imds_start, d);
}

static void imds_cancel(uvaws_creds_provider_t *p, void *handle) {
  provider_t *d = p->data;
  if (flight_leave(&d->flight, handle) && d->op != NULL) {
    imds_abandon(d->op);
    d->op = NULL;
  }
}

static void imds_free(uvaws_creds_provider_t *p) {
  provider_t *d = p->data;
  flight_free(&d->flight);
  imds_abandon(d->op);
  imds_unref(d->m);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t imds_ops = {imds_fetch, imds_cancel, imds_free};

uvaws_creds_provider_t *imds_provider_new(imds_t *m, uvaws_error_t *err) {
  uvaws_creds_provider_t *p = provider_alloc(&imds_ops, sizeof(provider_t), "instance metadata", 0);
  if (p == NULL) {
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the instance metadata provider");
    return NULL;
  }
  provider_t *d = p->data;
  flight_init(&d->flight);
  d->m = imds_ref(m);
  return p;
}
