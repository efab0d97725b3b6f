/* The asynchronous credential chain: which source to use, and the HTTP
 * sources (container credentials, EC2 instance metadata). The process source
 * lives in creds_process.c. */
#include "credentials.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "client_internal.h"
#include "creds_process.h"
#include "creds_sts.h"
#include "fs_read.h"
#include "secret.h"
#include "sigv4_canon.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_TOKEN_TTL "21600"           /* six hours, the SDKs' default */
#define IMDS_TOKEN_REUSE_S (5 * 3600)    /* refetch the token well before its TTL */
#define DEFAULT_METADATA_TIMEOUT_MS 1000 /* AWS_METADATA_SERVICE_TIMEOUT's default */
#define CONTAINER_TIMEOUT_MS 2000
#define MAX_CREDS_BODY 65536

typedef enum {
  SRC_NONE,
  SRC_PROCESS,
  SRC_CONTAINER,
  SRC_IMDS,
  SRC_ASSUME_ROLE,  /* STS AssumeRole, source credentials from `base` */
  SRC_WEB_IDENTITY, /* STS AssumeRoleWithWebIdentity with a token file */
  SRC_STATIC,       /* a role's source: credentials known at creation */
} source_t;

typedef enum { STEP_TOKEN, STEP_ROLE, STEP_CREDS, STEP_REGION, STEP_CONTAINER } step_t;

/* One HTTP conversation (several requests for IMDS). Orphaned (ch == NULL)
 * when the chain is freed while it runs: its callbacks then only clean up. */
typedef struct http_op_s {
  creds_chain_t *ch;
  int for_region;
  step_t step;
  uvaws_job_t *job;
  fs_read_t *token_read;
  char *role;
} http_op_t;

struct creds_chain_s {
  uvaws_client_t *client;
  source_t source;
  source_t base; /* where credentials come from before any role: CONTAINER, IMDS, STATIC */
  char *tried; /* the static sources looked at, for the "no credentials" message */
  char *process_cmd;
  char *container_url, *container_token, *container_token_file;
  char *imds_endpoint;
  int imds_v1_disabled;
  long metadata_timeout_ms;
  char *imds_token;
  int64_t imds_token_at;
  http_op_t *op, *region_op;
  creds_process_t *process;
  /* roles */
  char *role_arn, *session_name, *external_id, *sts_endpoint, *sts_region, *web_token_file;
  int duration_s;
  creds_t role_source; /* SRC_STATIC */
  uvaws_signer_t *signer;
  sts_op_t *sts;
  fs_read_t *token_read;
  creds_done_cb cb;
  void *arg;
  void (*region_cb)(void *arg, const char *region, const uvaws_error_t *err);
  void *region_arg;
};

/* ---- helpers ------------------------------------------------------------- */

void creds_clear(creds_t *c) {
  if (c == NULL)
    return;
  free(c->access_key);
  secret_free(c->secret_key);
  secret_free(c->session_token);
  memset(c, 0, sizeof *c);
}

int64_t creds_parse_time(const char *s) {
  if (s == NULL)
    return -1;
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
  if (p == NULL)
    return -1;
  if (*p == '.') /* fractional seconds: ignored */
    for (p++; *p >= '0' && *p <= '9'; p++)
      ;
  int64_t offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int hh, mm;
    if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
      return -1;
    offset = (int64_t)(hh * 3600 + mm * 60) * (*p == '+' ? 1 : -1);
    p += 6;
  } else {
    return -1;
  }
  if (*p != '\0')
    return -1;
  return (int64_t)timegm(&tm) - offset;
}

static int env_true(const char *name) {
  const char *v = getenv(name);
  return v != NULL && strcasecmp(v, "true") == 0;
}

static char *dup_env(const char *name) {
  const char *v = getenv(name);
  return v != NULL && v[0] != '\0' ? strdup(v) : NULL;
}

/* Credentials from the JSON the container endpoint, IMDS and processes
 * answer; field names differ only in the token's. Returns 0 or -1. */
static int creds_from_json(const cJSON *j, const char *token_field, creds_t *out) {
  const char *ak = cJSON_GetStringValue(cJSON_GetObjectItem(j, "AccessKeyId"));
  const char *sk = cJSON_GetStringValue(cJSON_GetObjectItem(j, "SecretAccessKey"));
  const char *tok = cJSON_GetStringValue(cJSON_GetObjectItem(j, token_field));
  const char *exp = cJSON_GetStringValue(cJSON_GetObjectItem(j, "Expiration"));
  memset(out, 0, sizeof *out);
  if (ak == NULL || sk == NULL || ak[0] == '\0' || sk[0] == '\0')
    return -1;
  if (exp != NULL && (out->expiration = creds_parse_time(exp)) < 0)
    return -1;
  out->access_key = strdup(ak);
  out->secret_key = strdup(sk);
  out->session_token = tok && tok[0] ? strdup(tok) : NULL;
  if (out->access_key == NULL || out->secret_key == NULL || (tok && tok[0] && !out->session_token) ||
      !canon_is_field_value(out->secret_key) ||
      (out->session_token && !canon_is_field_value(out->session_token))) {
    creds_clear(out);
    return -1;
  }
  return 0;
}

int creds_from_process_json(const char *text, size_t len, creds_t *out, const char **why) {
  cJSON *j = cJSON_ParseWithLength(text, len);
  int rc = -1;
  *why = "its output is not JSON";
  if (j != NULL) {
    const cJSON *v = cJSON_GetObjectItem(j, "Version");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1)
      *why = "its output lacks \"Version\": 1";
    else if ((rc = creds_from_json(j, "SessionToken", out)) != 0)
      *why = "its output lacks AccessKeyId/SecretAccessKey or has a bad Expiration";
  }
  cJSON_Delete(j);
  return rc;
}

static void fail(creds_chain_t *ch, int for_region, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Reports a failure to whoever waits (creds or region). */
static void fail(creds_chain_t *ch, int for_region, int code, const char *fmt, ...) {
  char detail[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  uvaws_error_t err = {0};
  uvaws_error_set(&err, code, "%s", detail);
  if (for_region) {
    ch->region_op = NULL;
    ch->region_cb(ch->region_arg, NULL, &err);
  } else {
    ch->op = NULL;
    ch->cb(ch->arg, NULL, &err);
  }
  uvaws_error_clear(&err);
}

static void succeed(creds_chain_t *ch, creds_t *creds) {
  ch->op = NULL;
  ch->cb(ch->arg, creds, NULL);
  creds_clear(creds);
}

/* ---- HTTP sources -------------------------------------------------------- */

static void op_free(http_op_t *op) {
  free(op->role);
  free(op);
}

static void on_http(const uvaws_response_t *res, void *arg);

static int op_send(http_op_t *op, const char *method, const char *url, const uvaws_kv_t *h,
                   size_t n, long timeout_ms) {
  return client_system_fetch(op->ch->client, method, url, h, n, NULL, timeout_ms, on_http, op,
                             &op->job);
}

static int imds_request(http_op_t *op, const char *method, const char *path) {
  creds_chain_t *ch = op->ch;
  char url[1024];
  snprintf(url, sizeof url, "%s%s", ch->imds_endpoint, path);
  if (op->step == STEP_TOKEN) {
    uvaws_kv_t h[] = {{"X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL}};
    return op_send(op, method, url, h, 1, ch->metadata_timeout_ms);
  }
  uvaws_kv_t h[] = {{"X-aws-ec2-metadata-token", ch->imds_token ? ch->imds_token : ""}};
  return op_send(op, method, url, h, ch->imds_token ? 1 : 0, ch->metadata_timeout_ms);
}

/* After the token step (or with a cached token): what the op is for. */
static int imds_after_token(http_op_t *op) {
  if (op->for_region) {
    op->step = STEP_REGION;
    return imds_request(op, "GET", "/latest/dynamic/instance-identity/document");
  }
  op->step = STEP_ROLE;
  return imds_request(op, "GET", "/latest/meta-data/iam/security-credentials/");
}

static int imds_start(http_op_t *op) {
  creds_chain_t *ch = op->ch;
  int64_t now = (int64_t)time(NULL);
  if (ch->imds_token && now - ch->imds_token_at < IMDS_TOKEN_REUSE_S)
    return imds_after_token(op);
  op->step = STEP_TOKEN;
  return imds_request(op, "PUT", "/latest/api/token");
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
    fail(ch, 0, UVAWS_ECREDS, "container credentials: cannot read token file %s: %s",
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
  int rc = token && canon_is_field_value(token) ? container_send(op, token) : UVAWS_EINVAL;
  secret_free(token);
  if (rc != 0) {
    fail(ch, 0, UVAWS_ECREDS, "container credentials: token file %s: %s",
         ch->container_token_file, rc == UVAWS_EINVAL ? "holds control characters" : uvaws_strerror(rc));
    op_free(op);
  }
}

static void http_failed(http_op_t *op, const uvaws_response_t *res, const char *what) {
  creds_chain_t *ch = op->ch;
  char why[256];
  if (res->error && res->error->code != UVAWS_EAWS)
    snprintf(why, sizeof why, "%s (%s)", uvaws_strerror(res->error->code),
             res->error->detail ? res->error->detail : "");
  else
    snprintf(why, sizeof why, "HTTP %ld", res->status);
  const char *where = ch->base == SRC_CONTAINER ? ch->container_url : ch->imds_endpoint;
  int code = op->for_region ? UVAWS_ENOREGION
             : ch->source == SRC_IMDS ? UVAWS_ENOCREDS : UVAWS_ECREDS;
  if (code == UVAWS_ENOCREDS)
    fail(ch, op->for_region, code, "no credentials: tried %s; instance metadata %s: %s: %s",
         ch->tried, where, what, why);
  else
    fail(ch, op->for_region, code, "%s %s: %s: %s",
         op->for_region ? "instance metadata" : ch->base == SRC_CONTAINER ? "container credentials" : "instance metadata",
         where, what, why);
  op_free(op);
}

static void assume_with(creds_chain_t *ch, creds_t *source);

static void on_http(const uvaws_response_t *res, void *arg) {
  http_op_t *op = arg;
  op->job = NULL;
  creds_chain_t *ch = op->ch;
  if (ch == NULL) { /* orphaned: the chain is gone */
    op_free(op);
    return;
  }
  int ok = res->error == NULL && res->status == 200;
  int rc = 0;
  switch (op->step) {
  case STEP_TOKEN:
    if (ok && res->body_len > 0 && canon_is_field_value(res->body)) {
      secret_free(ch->imds_token);
      ch->imds_token = strdup(res->body);
      ch->imds_token_at = (int64_t)time(NULL);
    } else {
      /* As the SDKs do: 403/404/405 (v2 off), a timeout or no connection
       * falls back to IMDSv1, unless v1 is disabled; anything else is final. */
      int fallback = res->status == 403 || res->status == 404 || res->status == 405 ||
                     (res->error && res->error->code != UVAWS_EAWS);
      if (!fallback || ch->imds_v1_disabled) {
        http_failed(op, res, ch->imds_v1_disabled && fallback
                                 ? "no IMDSv2 token and IMDSv1 is disabled "
                                   "(AWS_EC2_METADATA_V1_DISABLED)"
                                 : "IMDSv2 token refused");
        return;
      }
      secret_free(ch->imds_token);
      ch->imds_token = NULL;
    }
    rc = imds_after_token(op);
    break;
  case STEP_ROLE: {
    if (!ok || res->body_len == 0) {
      if (res->status == 401)
        ch->imds_token_at = 0; /* token expired or revoked: fetch a new one next time */
      http_failed(op, res, "no IAM role");
      return;
    }
    size_t n = strcspn(res->body, "\r\n");
    op->role = strndup(res->body, n);
    char path[512];
    snprintf(path, sizeof path, "/latest/meta-data/iam/security-credentials/%s",
             op->role ? op->role : "");
    op->step = STEP_CREDS;
    rc = op->role ? imds_request(op, "GET", path) : UVAWS_ENOMEM;
    break;
  }
  case STEP_CREDS:
  case STEP_CONTAINER: {
    if (!ok) {
      http_failed(op, res, op->step == STEP_CREDS ? "role credentials" : "credentials");
      return;
    }
    cJSON *j = cJSON_ParseWithLength(res->body, res->body_len);
    creds_t creds;
    int bad = j == NULL || creds_from_json(j, "Token", &creds) != 0;
    const char *code = cJSON_GetStringValue(cJSON_GetObjectItem(j, "Code"));
    if (!bad && code != NULL && strcmp(code, "Success") != 0) {
      creds_clear(&creds);
      bad = 1;
    }
    cJSON_Delete(j);
    if (bad) {
      fail(ch, 0, UVAWS_ECREDS, "%s: the answer is not a credentials document",
           op->step == STEP_CREDS ? "instance metadata" : "container credentials");
      op_free(op);
      return;
    }
    op_free(op);
    if (ch->source == SRC_ASSUME_ROLE)
      assume_with(ch, &creds); /* these were only the role's source */
    else
      succeed(ch, &creds);
    return;
  }
  case STEP_REGION: {
    cJSON *j = ok ? cJSON_ParseWithLength(res->body, res->body_len) : NULL;
    const char *region = cJSON_GetStringValue(cJSON_GetObjectItem(j, "region"));
    if (region == NULL) {
      cJSON_Delete(j);
      http_failed(op, res, "instance identity document without a region");
      return;
    }
    ch->region_op = NULL;
    op_free(op);
    ch->region_cb(ch->region_arg, region, NULL);
    cJSON_Delete(j);
    return;
  }
  }
  if (rc != 0) {
    fail(ch, op->for_region, UVAWS_ECREDS, "instance metadata: %s", uvaws_strerror(rc));
    op_free(op);
  }
}

/* ---- the chain ----------------------------------------------------------- */

/* Container URLs over plain HTTP must stay on the host or on the ECS/EKS
 * agents' link-local addresses, as the SDKs require; HTTPS may go anywhere. */
static int container_url_allowed(const char *url) {
  if (strncmp(url, "https://", 8) == 0)
    return 1;
  static const char *const ok[] = {"http://127.", "http://localhost:", "http://localhost/",
                                   "http://[::1]", "http://169.254.170.2:", "http://169.254.170.2/",
                                   "http://169.254.170.23:", "http://169.254.170.23/",
                                   "http://[fd00:ec2::23]"};
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    if (strncmp(url, ok[i], strlen(ok[i])) == 0)
      return 1;
  return 0;
}

static void describe_tried(creds_chain_t *ch, const config_t *cfg) {
  char buf[2048];
  snprintf(buf, sizeof buf,
           "options (access_key/secret_key), environment (AWS_ACCESS_KEY_ID and "
           "AWS_SECRET_ACCESS_KEY), shared credentials file %s [%s], config file %s [%s%s], "
           "credential_process (not set), container credentials "
           "(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI not set)",
           cfg->credentials_file ? cfg->credentials_file : "~/.aws/credentials",
           cfg->profile ? cfg->profile : "default",
           cfg->config_file ? cfg->config_file : "~/.aws/config",
           cfg->profile && strcmp(cfg->profile, "default") != 0 ? "profile " : "",
           cfg->profile ? cfg->profile : "default");
  ch->tried = strdup(buf);
}

/* The container endpoint from the environment; 0, or -1 with err set. */
static int setup_container(creds_chain_t *ch, uvaws_error_t *err) {
  const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (rel && rel[0]) {
    size_t n = strlen(CONTAINER_HOST) + strlen(rel) + 2;
    if ((ch->container_url = malloc(n)) != NULL)
      snprintf(ch->container_url, n, "%s%s%s", CONTAINER_HOST, rel[0] == '/' ? "" : "/", rel);
  } else if (full && full[0]) {
    ch->container_url = strdup(full);
    if (ch->container_url && !container_url_allowed(ch->container_url)) {
      uvaws_error_set(err, UVAWS_ECREDS,
                      "AWS_CONTAINER_CREDENTIALS_FULL_URI %s: plain http is only allowed to "
                      "the loopback or the container agents' addresses", full);
      return -1;
    }
  } else {
    uvaws_error_set(err, UVAWS_ECREDS, "container credentials: neither "
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor _FULL_URI is set");
    return -1;
  }
  ch->container_token_file = dup_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  if (ch->container_token_file == NULL)
    ch->container_token = dup_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return 0;
}

static int container_env(void) {
  const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  return (rel && rel[0]) || (full && full[0]);
}

/* A role profile: AssumeRole with credentials from source_profile or
 * credential_source, as the AWS CLI chains them. 0, or -1 with err set. */
static int setup_role(creds_chain_t *ch, const config_t *cfg, uvaws_error_t *err) {
  ch->source = SRC_ASSUME_ROLE;
  if (cfg->source_profile != NULL) {
    if (cfg->source_access_key == NULL || cfg->source_secret_key == NULL) {
      uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: source_profile %s has no static "
                      "credentials", cfg->profile, cfg->source_profile);
      return -1;
    }
    ch->base = SRC_STATIC;
    ch->role_source.access_key = strdup(cfg->source_access_key);
    ch->role_source.secret_key = strdup(cfg->source_secret_key);
    ch->role_source.session_token = cfg->source_session_token ? strdup(cfg->source_session_token) : NULL;
  } else if (strcmp(cfg->credential_source, "Environment") == 0) {
    const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
    const char *tok = getenv("AWS_SESSION_TOKEN");
    if (ak == NULL || sk == NULL || !ak[0] || !sk[0]) {
      uvaws_error_set(err, UVAWS_ECREDS, "profile %s: credential_source Environment, but "
                      "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", cfg->profile);
      return -1;
    }
    ch->base = SRC_STATIC;
    ch->role_source.access_key = strdup(ak);
    ch->role_source.secret_key = strdup(sk);
    ch->role_source.session_token = tok && tok[0] ? strdup(tok) : NULL;
  } else if (strcmp(cfg->credential_source, "Ec2InstanceMetadata") == 0) {
    ch->base = SRC_IMDS;
  } else if (strcmp(cfg->credential_source, "EcsContainer") == 0) {
    ch->base = SRC_CONTAINER;
    if (setup_container(ch, err) != 0)
      return -1;
  } else {
    uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: credential_source %s: want Environment, "
                    "Ec2InstanceMetadata or EcsContainer", cfg->profile, cfg->credential_source);
    return -1;
  }
  if (ch->base == SRC_STATIC && ch->role_source.access_key == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "copying credentials"), -1;
  if ((ch->signer == NULL && uvaws_signer_new(&ch->signer) != 0)) {
    uvaws_error_set(err, UVAWS_ENOMEM, "creating the STS signer");
    return -1;
  }
  return 0;
}

creds_chain_t *creds_chain_new(uvaws_client_t *client, const config_t *cfg,
                               const char *sts_endpoint, const char *sts_region,
                               uvaws_error_t *err) {
  creds_chain_t *ch = calloc(1, sizeof *ch);
  if (ch == NULL) {
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential chain");
    return NULL;
  }
  ch->client = client;
  describe_tried(ch, cfg);
  ch->metadata_timeout_ms = cfg->metadata_timeout_ms > 0 ? cfg->metadata_timeout_ms
                                                         : DEFAULT_METADATA_TIMEOUT_MS;
  ch->imds_v1_disabled = env_true("AWS_EC2_METADATA_V1_DISABLED");
  const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  ch->imds_endpoint = strdup(ep && ep[0] ? ep : IMDS_DEFAULT_ENDPOINT);
  if (ch->imds_endpoint) { /* "http://host/" and "http://host" alike */
    size_t n = strlen(ch->imds_endpoint);
    while (n > 0 && ch->imds_endpoint[n - 1] == '/')
      ch->imds_endpoint[--n] = '\0';
  }
  const char *env_role = getenv("AWS_ROLE_ARN"), *env_token = getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
  int rc = 0;
  if (cfg->role_arn && (cfg->source_profile || cfg->credential_source)) {
    rc = setup_role(ch, cfg, err);
    ch->role_arn = strdup(cfg->role_arn);
  } else if ((cfg->role_arn && cfg->web_identity_token_file) ||
             (env_role && env_role[0] && env_token && env_token[0])) {
    ch->source = SRC_WEB_IDENTITY;
    int from_env = !(cfg->role_arn && cfg->web_identity_token_file);
    ch->role_arn = strdup(from_env ? env_role : cfg->role_arn);
    ch->web_token_file = strdup(from_env ? env_token : cfg->web_identity_token_file);
    if (ch->web_token_file == NULL)
      rc = -1;
  } else if (cfg->credential_process != NULL && cfg->credential_process[0] != '\0') {
    ch->source = SRC_PROCESS;
    ch->process_cmd = strdup(cfg->credential_process);
  } else if (container_env()) {
    ch->source = ch->base = SRC_CONTAINER;
    rc = setup_container(ch, err);
  } else if (!env_true("AWS_EC2_METADATA_DISABLED")) {
    ch->source = ch->base = SRC_IMDS;
  }
  if (rc == 0 && (ch->source == SRC_ASSUME_ROLE || ch->source == SRC_WEB_IDENTITY)) {
    char name[64];
    const char *session = cfg->role_session_name ? cfg->role_session_name
                          : getenv("AWS_ROLE_SESSION_NAME");
    snprintf(name, sizeof name, "uvaws-session-%lld", (long long)time(NULL));
    ch->session_name = strdup(session && session[0] ? session : name);
    ch->external_id = cfg->external_id ? strdup(cfg->external_id) : NULL;
    ch->duration_s = cfg->duration_seconds;
    ch->sts_endpoint = sts_endpoint ? strdup(sts_endpoint) : NULL;
    ch->sts_region = strdup(sts_region ? sts_region : "us-east-1");
    if (ch->role_arn == NULL || ch->session_name == NULL || ch->sts_region == NULL ||
        ch->sts_endpoint == NULL)
      rc = -1;
  }
  if (rc == 0 && (ch->tried == NULL || ch->imds_endpoint == NULL ||
                  (ch->source == SRC_PROCESS && ch->process_cmd == NULL) ||
                  (ch->base == SRC_CONTAINER && ch->container_url == NULL)))
    rc = -1;
  if (rc != 0) {
    if (err && err->code == 0)
      uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential chain");
    creds_chain_free(ch);
    return NULL;
  }
  return ch;
}

int creds_chain_has_source(const creds_chain_t *ch) { return ch->source != SRC_NONE; }

const char *creds_chain_tried(const creds_chain_t *ch) { return ch->tried; }

static void on_process(void *arg, creds_t *creds, int code, const char *detail) {
  creds_chain_t *ch = arg;
  ch->process = NULL;
  if (creds != NULL)
    succeed(ch, creds);
  else
    fail(ch, 0, code, "credential_process: %s", detail);
}

/* ---- roles ------------------------------------------------------------------ */

static void on_sts(void *arg, creds_t *creds, int code, const char *detail) {
  creds_chain_t *ch = arg;
  ch->sts = NULL;
  if (creds != NULL)
    succeed(ch, creds);
  else
    fail(ch, 0, code, "%s (role %s)", detail, ch->role_arn);
}

static sts_request_t role_request(const creds_chain_t *ch) {
  sts_request_t r = {ch->sts_endpoint, ch->sts_region, ch->role_arn, ch->session_name,
                     ch->external_id, ch->duration_s};
  return r;
}

/* AssumeRole signed with `source` (consumed). */
static void assume_with(creds_chain_t *ch, creds_t *source) {
  sts_request_t r = role_request(ch);
  ch->sts = sts_assume_role(ch->client, ch->signer, &r, source, (int64_t)time(NULL), on_sts, ch);
  if (source != &ch->role_source)
    creds_clear(source);
  if (ch->sts == NULL)
    fail(ch, 0, UVAWS_ECREDS, "STS AssumeRole for %s: the request could not be built",
         ch->role_arn);
}

static void on_web_token(void *arg, const char *data, size_t len, int err) {
  creds_chain_t *ch = arg;
  ch->token_read = NULL;
  if (err != 0) {
    fail(ch, 0, UVAWS_ECREDS, "web identity: cannot read token file %s: %s", ch->web_token_file,
         uv_strerror(err));
    return;
  }
  char *token = strndup(data, len);
  if (token != NULL)
    token[strcspn(token, "\r\n")] = '\0';
  sts_request_t r = role_request(ch);
  if (token != NULL && token[0] != '\0')
    ch->sts = sts_assume_role_web_identity(ch->client, &r, token, on_sts, ch);
  secret_free(token);
  if (ch->sts == NULL)
    fail(ch, 0, UVAWS_ECREDS, "web identity: token file %s is empty or the request could not "
         "be built", ch->web_token_file);
}

static int start_http(creds_chain_t *ch) {
  http_op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return UVAWS_ENOMEM;
  op->ch = ch;
  int rc;
  if (ch->base == SRC_CONTAINER && ch->container_token_file != NULL) {
    op->token_read = fs_read_start(uvaws_client_loop(ch->client), ch->container_token_file, 16384,
                                   on_token_file, op);
    rc = op->token_read ? 0 : UVAWS_ENOMEM;
  } else if (ch->base == SRC_CONTAINER) {
    rc = container_send(op, ch->container_token);
  } else {
    rc = imds_start(op);
  }
  if (rc != 0) {
    op_free(op);
    return rc;
  }
  ch->op = op;
  return 0;
}

int creds_chain_fetch(creds_chain_t *ch, creds_done_cb cb, void *arg) {
  if (ch->op != NULL || ch->process != NULL || ch->sts != NULL || ch->token_read != NULL)
    return UVAWS_EBUSY;
  ch->cb = cb;
  ch->arg = arg;
  switch (ch->source) {
  case SRC_NONE:
  case SRC_STATIC:
    return UVAWS_ENOCREDS;
  case SRC_PROCESS:
    ch->process = creds_process_start(uvaws_client_loop(ch->client), ch->process_cmd, on_process, ch);
    return ch->process ? 0 : UVAWS_ENOMEM;
  case SRC_WEB_IDENTITY:
    ch->token_read = fs_read_start(uvaws_client_loop(ch->client), ch->web_token_file, 65536,
                                   on_web_token, ch);
    return ch->token_read ? 0 : UVAWS_ENOMEM;
  case SRC_ASSUME_ROLE:
    if (ch->base == SRC_STATIC) {
      /* Sign and send now: the answer comes from the loop anyway. */
      sts_request_t r = role_request(ch);
      ch->sts = sts_assume_role(ch->client, ch->signer, &r, &ch->role_source,
                                (int64_t)time(NULL), on_sts, ch);
      return ch->sts ? 0 : UVAWS_ENOMEM;
    }
    return start_http(ch);
  case SRC_CONTAINER:
  case SRC_IMDS:
    return start_http(ch);
  }
  return UVAWS_EINTERNAL;
}

int creds_chain_fetch_region(creds_chain_t *ch, void (*cb)(void *, const char *, const uvaws_error_t *),
                             void *arg) {
  if (ch->region_op != NULL)
    return UVAWS_EBUSY;
  if (env_true("AWS_EC2_METADATA_DISABLED"))
    return UVAWS_ENOREGION;
  http_op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return UVAWS_ENOMEM;
  op->ch = ch;
  op->for_region = 1;
  ch->region_cb = cb;
  ch->region_arg = arg;
  int rc = imds_start(op);
  if (rc != 0) {
    op_free(op);
    return rc;
  }
  ch->region_op = op;
  return 0;
}

static void orphan(http_op_t *op) {
  if (op == NULL)
    return;
  op->ch = NULL;
  if (op->token_read != NULL) {
    fs_read_abandon(op->token_read);
    op_free(op); /* the read frees itself; nothing else points at op */
  } else if (op->job != NULL) {
    uvaws_cancel(op->job); /* on_http sees the orphan and frees it */
  }
}

void creds_chain_free(creds_chain_t *ch) {
  if (ch == NULL)
    return;
  orphan(ch->op);
  orphan(ch->region_op);
  creds_process_abandon(ch->process);
  sts_abandon(ch->sts);
  fs_read_abandon(ch->token_read);
  uvaws_signer_free(ch->signer);
  creds_clear(&ch->role_source);
  free(ch->role_arn);
  free(ch->session_name);
  free(ch->external_id);
  free(ch->sts_endpoint);
  free(ch->sts_region);
  free(ch->web_token_file);
  free(ch->tried);
  free(ch->process_cmd);
  free(ch->container_url);
  secret_free(ch->container_token);
  free(ch->container_token_file);
  free(ch->imds_endpoint);
  secret_free(ch->imds_token);
  free(ch);
}
