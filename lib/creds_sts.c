#include "creds_sts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_error.h"
#include "buf.h"
#include "creds_check.h"
#include "http_exchange.h"
#include "num_text.h"
#include "secret.h"
#include "sigv4_canon.h"
#include "url.h"
#include "xml_json.h"

#define STS_TIMEOUT_MS 10000

struct sts_op_s {
  http_exchange_t *x;
  sts_done_cb cb; /* NULL once abandoned */
  void *arg;
  const char *action;
};

static void add_param(buf_t *b, const char *name, const char *value) {
  buf_addc(b, '&');
  buf_adds(b, name);
  buf_addc(b, '=');
  canon_encode(b, value, strlen(value), 0);
}

static void build_body(buf_t *b, const char *action, const sts_request_t *r) {
  buf_adds(b, "Action=");
  buf_adds(b, action);
  buf_adds(b, "&Version=2011-06-15");
  add_param(b, "RoleArn", r->role_arn);
  add_param(b, "RoleSessionName", r->session_name);
  if (r->external_id)
    add_param(b, "ExternalId", r->external_id);
  if (r->duration_s > 0) {
    char d[NUM_TEXT_MAX];
    num_text(r->duration_s, d);
    add_param(b, "DurationSeconds", d);
  }
}

static void report(sts_op_t *op, creds_t *creds, int code, const char *fmt, const char *a,
                   const char *b) {
  if (op->cb) {
    char detail[768];
    snprintf(detail, sizeof detail, fmt, op->action, a ? a : "", b ? b : "");
    op->cb(op->arg, creds, code, detail);
  }
}

static void on_answer(const transport_result_t *res, void *arg) {
  sts_op_t *op = arg;
  op->x = NULL;
  if (res->code != 0) {
    report(op, NULL, UVAWS_ECREDS, "STS %s failed: %s: %s", uvaws_strerror(res->code), res->detail);
    free(op);
    return;
  }
  if (res->status < 200 || res->status > 299) {
    uvaws_error_t e = {0};
    aws_error_from_response(&e, res->status, res->headers, res->header_count, res->body,
                            res->body_len);
    char status[32];
    snprintf(status, sizeof status, "HTTP %ld", res->status);
    report(op, NULL, UVAWS_ECREDS, e.message ? "STS %s failed: %s: %s" : "STS %s failed: %s%s",
           e.aws_type ? e.aws_type : status, e.message ? e.message : "");
    uvaws_error_clear(&e);
    free(op);
    return;
  }
  char why[128] = "";
  cJSON *j = xml_to_json(res->body, res->body_len, why, sizeof why);
  const char *bad = why[0] ? why : "no Credentials element";
  creds_t creds = {0};
  int rc = j != NULL ? creds_from_object(cJSON_GetObjectItemCaseSensitive(j, "Credentials"),
                                         "SessionToken", 1, &creds, &bad)
                     : -1;
  cJSON_Delete(j);
  if (rc == 0)
    report(op, &creds, 0, "%s%s%s", "", "");
  else
    report(op, NULL, UVAWS_ECREDS, "STS %s: the answer holds no usable credentials: %s%s", bad,
           "");
  creds_clear(&creds);
  free(op);
}

static sts_op_t *send_op(const creds_io_t *io, const char *action, const char *url,
                         const uvaws_kv_t *h, size_t nh, const buf_t *body, sts_done_cb cb,
                         void *arg) {
  sts_op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return NULL;
  op->cb = cb;
  op->arg = arg;
  op->action = action;
  /* the body may carry a web identity token, the answer credentials */
  http_request_t req = {.method = "POST", .url = url, .headers = h, .header_count = nh,
                        .body = body->data, .body_len = body->len, .timeout_ms = STS_TIMEOUT_MS,
                        .max_answer = CREDS_MAX_ANSWER, .secret = 1};
  if (http_exchange_start(io->loop, io->transport, &req, on_answer, op, &op->x) != 0) {
    free(op);
    return NULL;
  }
  return op;
}

/* "https://host:port/path" → host:port and the path ("/" when none). */
static int split_url(const char *text, char **host, char **path) {
  url_t u;
  const char *why;
  if (url_parse(text, &u, &why) != 0)
    return -1;
  int ok = u.host != NULL;
  if (ok) {
    size_t n = strlen(u.host) + (u.port ? strlen(u.port) + 1 : 0) + 1;
    *host = malloc(n);
    *path = strdup(u.path && u.path[0] ? u.path : "/");
    if (*host)
      snprintf(*host, n, "%s%s%s", u.host, u.port ? ":" : "", u.port ? u.port : "");
    ok = *host && *path;
  }
  url_free(&u);
  return ok ? 0 : -1;
}

sts_op_t *sts_assume_role(const creds_io_t *io, uvaws_signer_t *signer, const sts_request_t *r,
                          const creds_t *source, int64_t now, sts_done_cb cb, void *arg) {
  char *host = NULL, *path = NULL;
  buf_t body = {0};
  sts_op_t *op = NULL;
  if (split_url(r->endpoint, &host, &path) != 0)
    goto out;
  build_body(&body, "AssumeRole", r);
  if (buf_str(&body) == NULL)
    goto out;
  const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
  uvaws_kv_t sign_h[] = {{"Host", host}, {"Content-Type", ctype}};
  uvaws_sigv4_input_t in = {
      .access_key = source->access_key, .secret_key = source->secret_key,
      .session_token = source->session_token, .region = r->region, .service = "sts",
      .timestamp = now, .method = "POST", .path = path, .headers = sign_h, .header_count = 2,
      .body = body.data, .body_len = body.len,
  };
  uvaws_sigv4_output_t out;
  if (uvaws_signer_sign_headers(signer, &in, &out) != 0)
    goto out;
  uvaws_kv_t h[6];
  size_t nh = 0;
  h[nh++] = (uvaws_kv_t){"Content-Type", ctype};
  for (size_t i = 0; i < out.header_count; i++)
    h[nh++] = out.headers[i];
  op = send_op(io, "AssumeRole", r->endpoint, h, nh, &body, cb, arg);
out:
  buf_free(&body);
  free(host);
  free(path);
  return op;
}

sts_op_t *sts_assume_role_web_identity(const creds_io_t *io, const sts_request_t *r,
                                       const char *token, sts_done_cb cb, void *arg) {
  buf_t body = {0};
  build_body(&body, "AssumeRoleWithWebIdentity", r);
  add_param(&body, "WebIdentityToken", token);
  sts_op_t *op = NULL;
  if (buf_str(&body) != NULL) {
    /* Unsigned: the token is the proof. */
    uvaws_kv_t h[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
    op = send_op(io, "AssumeRoleWithWebIdentity", r->endpoint, h, 1, &body, cb, arg);
  }
  buf_free(&body); /* held the token: cleansed */
  return op;
}

void sts_abandon(sts_op_t *op) {
  if (op == NULL)
    return;
  op->cb = NULL;
  if (op->x)
    http_exchange_cancel(op->x); /* on_answer frees it */
}
