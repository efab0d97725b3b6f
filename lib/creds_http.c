/* The HTTP credential sources: EC2 instance metadata (IMDSv2, with IMDSv1
 * only where the SDKs fall back to it) and container credentials (ECS, EKS
 * Pod Identity), as unsigned http_exchanges on the chain's transport, capped
 * at CREDS_MAX_ANSWER and cleansed after. Every answer is hostile until
 * checked (creds_check.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "creds_chain.h"
#include "creds_check.h"
#include "secret.h"
#include "sigv4_canon.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_TOKEN_TTL "21600"                   /* six hours, the SDKs' default */
#define IMDS_TOKEN_REUSE_MS (5ull * 3600 * 1000) /* refetch the token well before its TTL */
#define CONTAINER_TIMEOUT_MS 2000

static void op_free(http_op_t *op) {
  free(op->role);
  free(op);
}

static void on_http(const transport_result_t *res, void *arg);

static int op_send(http_op_t *op, const char *method, const char *url, const uvaws_kv_t *h,
                   size_t n, long timeout_ms) {
  /* Tokens go out, credentials come back: every buffer is cleansed after. */
  http_request_t r = {.method = method, .url = url, .headers = h, .header_count = n,
                      .timeout_ms = timeout_ms, .max_answer = CREDS_MAX_ANSWER, .secret = 1};
  creds_io_t *io = &op->ch->io;
  return http_exchange_start(io->loop, io->transport, &r, on_http, op, &op->x);
}

/* Sends (or sends again) the request of the op's current IMDS step. */
static int imds_send(http_op_t *op) {
  creds_chain_t *ch = op->ch;
  char url[1024];
  const char *method = "GET", *path;
  char role_path[256];
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
  case STEP_REGION:
    path = "/latest/dynamic/instance-identity/document";
    break;
  default:
    return UVAWS_EINTERNAL;
  }
  snprintf(url, sizeof url, "%s%s", ch->imds_endpoint, path);
  if (op->step == STEP_TOKEN) {
    uvaws_kv_t h[] = {{"X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL}};
    return op_send(op, method, url, h, 1, ch->metadata_timeout_ms);
  }
  uvaws_kv_t h[] = {{"X-aws-ec2-metadata-token", ch->imds_token ? ch->imds_token : ""}};
  return op_send(op, method, url, h, ch->imds_token ? 1 : 0, ch->metadata_timeout_ms);
}

static int imds_step(http_op_t *op, step_t step) {
  op->step = step;
  op->attempt = 1;
  return imds_send(op);
}

/* After the token step (or with a token still good): what the op is for. */
static int imds_after_token(http_op_t *op) {
  return imds_step(op, op->for_region ? STEP_REGION : STEP_ROLE);
}

/* One token serves every request while it is good: it is fetched again
 * only when it is old or instance metadata refused it (401). */
static int imds_start(http_op_t *op) {
  creds_chain_t *ch = op->ch;
  uint64_t now = uv_now(ch->io.loop);
  if (ch->imds_token && now - ch->imds_token_at < IMDS_TOKEN_REUSE_MS)
    return imds_after_token(op);
  op->token_fresh = 1;
  return imds_step(op, STEP_TOKEN);
}

static int container_send(http_op_t *op, const char *token) {
  uvaws_kv_t h[] = {{"Authorization", token ? token : ""}};
  op->step = STEP_CONTAINER;
  return op_send(op, "GET", op->ch->container_url, h, token ? 1 : 0, CONTAINER_TIMEOUT_MS);
}

static void on_token_file(void *arg, const char *data, size_t len, int err) {
  http_op_t *op = arg;
  op->token_read = NULL;
  creds_chain_t *ch = op->ch;
  if (err != 0) {
    chain_fail(ch, 0, UVAWS_ECREDS, "container credentials: cannot read token file %s: %s",
               ch->container_token_file, uv_strerror(err));
    op_free(op);
    return;
  }
  char *token = strndup(data, len);
  if (token != NULL) {
    size_t n = strlen(token);
    while (n > 0 && (token[n - 1] == '\n' || token[n - 1] == '\r' || token[n - 1] == ' '))
      token[--n] = '\0';
  }
  int rc = token && memchr(data, '\0', len) == NULL && canon_is_field_value(token)
               ? container_send(op, token)
               : UVAWS_EINVAL;
  secret_free(token);
  if (rc != 0) {
    chain_fail(ch, 0, UVAWS_ECREDS, "container credentials: token file %s: %s",
               ch->container_token_file,
               rc == UVAWS_EINVAL ? "holds control characters" : uvaws_strerror(rc));
    op_free(op);
  }
}

static void http_failed(http_op_t *op, const transport_result_t *res, const char *what) {
  creds_chain_t *ch = op->ch;
  char why[256];
  if (res->code != 0)
    snprintf(why, sizeof why, "%s (%s)", uvaws_strerror(res->code), res->detail);
  else
    snprintf(why, sizeof why, "HTTP %ld", res->status);
  const char *where = op->step == STEP_CONTAINER ? ch->container_url : ch->imds_endpoint;
  int code = op->for_region ? UVAWS_ENOREGION
             : ch->source == SRC_IMDS ? UVAWS_ENOCREDS : UVAWS_ECREDS;
  if (code == UVAWS_ENOCREDS)
    chain_fail(ch, op->for_region, code, "no credentials: tried %s; instance metadata %s: %s: %s",
               ch->tried, where, what, why);
  else
    chain_fail(ch, op->for_region, code, "%s %s: %s: %s",
               op->step == STEP_CONTAINER ? "container credentials" : "instance metadata", where,
               what, why);
  op_free(op);
}

/* An answer refused for what it holds (not for how it arrived). */
static void answer_refused(http_op_t *op, const char *why) {
  creds_chain_t *ch = op->ch;
  chain_fail(ch, op->for_region, op->for_region ? UVAWS_ENOREGION : UVAWS_ECREDS, "%s %s: %s",
             op->step == STEP_CONTAINER ? "container credentials" : "instance metadata",
             op->step == STEP_CONTAINER ? ch->container_url : ch->imds_endpoint, why);
  op_free(op);
}

/* A timeout, no connection or a 5xx: worth another attempt of the same
 * step, up to AWS_METADATA_SERVICE_NUM_ATTEMPTS (instance metadata only). */
static int try_again(http_op_t *op, const transport_result_t *res) {
  int transient = res->code == UVAWS_ETIMEDOUT || res->code == UVAWS_ENETWORK ||
                  (res->code == 0 && res->status >= 500 && res->status <= 599);
  if (op->step == STEP_CONTAINER || !transient || op->attempt >= op->ch->metadata_attempts)
    return 0;
  op->attempt++;
  return imds_send(op) == 0;
}

static int region_ok(const char *r) {
  size_t n = strlen(r);
  return n > 0 && n <= 63 && strspn(r, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static void on_token(http_op_t *op, const transport_result_t *res, int ok) {
  creds_chain_t *ch = op->ch;
  if (ok && res->body_len > 0 && strlen(res->body) == res->body_len &&
      canon_is_field_value(res->body)) {
    secret_free(ch->imds_token);
    ch->imds_token = strdup(res->body);
    ch->imds_token_at = uv_now(ch->io.loop);
  } else {
    /* As the SDKs do: 403/404/405 (v2 off), a timeout or no connection
     * falls back to IMDSv1, unless v1 is disabled; anything else is final. */
    int fallback = (res->code == 0 && (res->status == 403 || res->status == 404 ||
                                       res->status == 405)) ||
                   (res->code != 0 && res->code != UVAWS_ETOOBIG);
    if (ok || !fallback || ch->imds_v1_disabled) {
      http_failed(op, res,
                  ch->imds_v1_disabled && fallback
                      ? "no IMDSv2 token and IMDSv1 is disabled (AWS_EC2_METADATA_V1_DISABLED)"
                  : ok ? "IMDSv2 token is not a header value"
                       : "IMDSv2 token refused");
      return;
    }
    secret_free(ch->imds_token);
    ch->imds_token = NULL;
  }
  int rc = imds_after_token(op);
  if (rc != 0) {
    chain_fail(ch, op->for_region, UVAWS_ECREDS, "instance metadata: %s", uvaws_strerror(rc));
    op_free(op);
  }
}

static void got_creds(http_op_t *op, const transport_result_t *res) {
  creds_chain_t *ch = op->ch;
  creds_t creds;
  const char *why = NULL;
  if (creds_from_json_text(res->body, res->body_len, "Token", 1, &creds, &why) != 0) {
    answer_refused(op, why);
    return;
  }
  op_free(op);
  if (ch->source == SRC_ASSUME_ROLE)
    chain_assume_with(ch, &creds); /* these were only the role's source */
  else
    chain_succeed(ch, &creds);
}

static void got_region(http_op_t *op, const transport_result_t *res) {
  creds_chain_t *ch = op->ch;
  cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
  const char *region = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "region"));
  if (region == NULL || !region_ok(region)) {
    cJSON_Delete(j);
    answer_refused(op, "the instance identity document holds no valid region");
    return;
  }
  ch->region_op = NULL;
  op_free(op);
  ch->region_cb(ch->region_arg, region, NULL);
  cJSON_Delete(j);
}

static void on_http(const transport_result_t *res, void *arg) {
  http_op_t *op = arg;
  op->x = NULL;
  creds_chain_t *ch = op->ch;
  if (ch == NULL) { /* orphaned: the chain is gone */
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
  if (!ok && res->code == 0 && res->status == 401 && op->step != STEP_CONTAINER && ch->imds_token && !op->token_fresh) {
    /* The token expired or was revoked: get a new one and start over, once. */
    secret_free(ch->imds_token);
    ch->imds_token = NULL;
    op->token_fresh = 1;
    if (imds_step(op, STEP_TOKEN) == 0)
      return;
  }
  if (!ok) {
    http_failed(op, res, op->step == STEP_ROLE      ? "no IAM role"
                         : op->step == STEP_CREDS   ? "role credentials"
                         : op->step == STEP_REGION  ? "instance identity document"
                                                    : "credentials");
    return;
  }
  if (op->step == STEP_ROLE) {
    size_t n = strcspn(res->body, "\r\n");
    if (!creds_role_name_ok(res->body, n)) {
      answer_refused(op, "the role list holds no valid IAM role name");
      return;
    }
    op->role = strndup(res->body, n);
    int rc = op->role ? imds_step(op, STEP_CREDS) : UVAWS_ENOMEM;
    if (rc != 0) {
      chain_fail(ch, 0, UVAWS_ECREDS, "instance metadata: %s", uvaws_strerror(rc));
      op_free(op);
    }
  } else if (op->step == STEP_REGION) {
    got_region(op, res);
  } else {
    got_creds(op, res);
  }
}

int http_setup_container(creds_chain_t *ch, const config_t *cfg, uvaws_error_t *err) {
  const char *rel = cfg->container_relative_uri, *full = cfg->container_full_uri;
  char *url = NULL;
  const char *var = rel ? "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"
                        : "AWS_CONTAINER_CREDENTIALS_FULL_URI";
  if (rel) {
    size_t n = strlen(CONTAINER_HOST) + strlen(rel) + 2;
    if ((url = malloc(n)) != NULL)
      snprintf(url, n, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
  } else if (full) {
    url = strdup(full);
  } else {
    uvaws_error_set(err, UVAWS_ECREDS, "container credentials: neither "
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set");
    return -1;
  }
  if (url == NULL) {
    uvaws_error_set(err, UVAWS_ENOMEM, "container credentials: out of memory");
    return -1;
  }
  const char *why = NULL;
  int rc = creds_container_url(url, &ch->container_url, &why);
  free(url);
  if (rc != 0) {
    /* The URL is not repeated: it may carry a user name and password. */
    uvaws_error_set(err, UVAWS_ECREDS, "%s is refused: %s", var, why);
    return -1;
  }
  const char *tf = cfg->container_token_file, *tok = cfg->container_token;
  if (tf)
    ch->container_token_file = strdup(tf);
  else if (tok)
    ch->container_token = strdup(tok);
  if ((tf && !ch->container_token_file) || (!tf && tok && !ch->container_token)) {
    uvaws_error_set(err, UVAWS_ENOMEM, "container credentials: out of memory");
    return -1;
  }
  if (ch->container_token && !canon_is_field_value(ch->container_token)) {
    uvaws_error_set(err, UVAWS_ECREDS,
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN holds control characters");
    return -1;
  }
  return 0;
}

int http_start(creds_chain_t *ch, int for_region) {
  http_op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return UVAWS_ENOMEM;
  op->ch = ch;
  op->for_region = for_region;
  int rc;
  if (!for_region && ch->base == SRC_CONTAINER && ch->container_token_file != NULL) {
    op->step = STEP_CONTAINER;
    op->token_read = fs_read_start(ch->io.loop, ch->container_token_file, 16384,
                                   on_token_file, op);
    rc = op->token_read ? 0 : UVAWS_ENOMEM;
  } else if (!for_region && ch->base == SRC_CONTAINER) {
    rc = container_send(op, ch->container_token);
  } else {
    rc = imds_start(op);
  }
  if (rc != 0) {
    op_free(op);
    return rc;
  }
  if (for_region)
    ch->region_op = op;
  else
    ch->op = op;
  return 0;
}

void http_orphan(http_op_t *op) {
  if (op == NULL)
    return;
  op->ch = NULL;
  if (op->token_read != NULL) {
    fs_read_abandon(op->token_read);
    op_free(op); /* the read frees itself; nothing else points at op */
  } else if (op->x != NULL) {
    http_exchange_cancel(op->x); /* on_http sees the orphan and frees it */
  }
}
