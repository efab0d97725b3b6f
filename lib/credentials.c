/* The asynchronous credential chain: which source to use, roles (STS) and
 * credential_process. The HTTP sources (container credentials, EC2 instance
 * metadata) live in creds_http.c, the process itself in creds_process.c. */
#include "credentials.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "creds_chain.h"
#include "secret.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define DEFAULT_METADATA_TIMEOUT_MS 1000 /* AWS_METADATA_SERVICE_TIMEOUT's default */
#define PROCESS_TIMEOUT_MS 60000

/* ---- helpers ------------------------------------------------------------- */

void creds_clear(creds_t *c) {
  if (c == NULL)
    return;
  free(c->access_key);
  secret_free(c->secret_key);
  secret_free(c->session_token);
  memset(c, 0, sizeof *c);
}


/* Reports a failure to whoever waits (creds or region). */
void chain_fail(creds_chain_t *ch, int for_region, int code, const char *fmt, ...) {
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

void chain_succeed(creds_chain_t *ch, creds_t *creds) {
  ch->op = NULL;
  ch->cb(ch->arg, creds, NULL);
  creds_clear(creds);
}

/* ---- the chain ----------------------------------------------------------- */

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

/* A role profile: AssumeRole with credentials from source_profile or
 * credential_source, as the AWS CLI chains them. 0, or -1 with err set. */
static int setup_role(creds_chain_t *ch, const config_t *cfg, uvaws_error_t *err) {
  ch->source = SRC_ASSUME_ROLE;
  int from_env = cfg->source_profile == NULL && strcmp(cfg->credential_source, "Environment") == 0;
  if (cfg->source_profile != NULL || from_env) {
    if (cfg->source_access_key == NULL || cfg->source_secret_key == NULL) {
      if (from_env)
        uvaws_error_set(err, UVAWS_ECREDS, "profile %s: credential_source Environment, but "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", cfg->profile);
      else
        uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: source_profile %s has no static "
                        "credentials", cfg->profile, cfg->source_profile);
      return -1;
    }
    ch->base = SRC_STATIC;
    ch->role_source.access_key = strdup(cfg->source_access_key);
    ch->role_source.secret_key = strdup(cfg->source_secret_key);
    ch->role_source.session_token = cfg->source_session_token ? strdup(cfg->source_session_token) : NULL;
  } else if (strcmp(cfg->credential_source, "Ec2InstanceMetadata") == 0) {
    ch->base = SRC_IMDS;
  } else if (strcmp(cfg->credential_source, "EcsContainer") == 0) {
    ch->base = SRC_CONTAINER;
    if (http_setup_container(ch, cfg, err) != 0)
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

creds_chain_t *creds_chain_new(const creds_io_t *io, const config_t *cfg,
                               const char *sts_endpoint, const char *sts_region,
                               uvaws_error_t *err) {
  creds_chain_t *ch = calloc(1, sizeof *ch);
  if (ch == NULL) {
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential chain");
    return NULL;
  }
  ch->io = *io;
  ch->imds_disabled = cfg->imds_disabled;
  describe_tried(ch, cfg);
  ch->metadata_timeout_ms = cfg->metadata_timeout_ms > 0 ? cfg->metadata_timeout_ms
                                                         : DEFAULT_METADATA_TIMEOUT_MS;
  ch->metadata_attempts = cfg->metadata_num_attempts > 0 ? cfg->metadata_num_attempts : 1;
  ch->imds_v1_disabled = cfg->imds_v1_disabled;
  ch->imds_endpoint = strdup(cfg->imds_endpoint ? cfg->imds_endpoint : IMDS_DEFAULT_ENDPOINT);
  if (ch->imds_endpoint) { /* "http://host/" and "http://host" alike */
    size_t n = strlen(ch->imds_endpoint);
    while (n > 0 && ch->imds_endpoint[n - 1] == '/')
      ch->imds_endpoint[--n] = '\0';
  }
  const char *env_role = cfg->env_role_arn, *env_token = cfg->env_web_identity_token_file;
  int rc = 0;
  if (cfg->role_arn && (cfg->source_profile || cfg->credential_source)) {
    rc = setup_role(ch, cfg, err);
    ch->role_arn = strdup(cfg->role_arn);
  } else if ((cfg->role_arn && cfg->web_identity_token_file) ||
             (env_role != NULL && env_token != NULL)) {
    ch->source = SRC_WEB_IDENTITY;
    int from_env = !(cfg->role_arn && cfg->web_identity_token_file);
    ch->role_arn = strdup(from_env ? env_role : cfg->role_arn);
    ch->web_token_file = strdup(from_env ? env_token : cfg->web_identity_token_file);
    if (ch->web_token_file == NULL)
      rc = -1;
  } else if (cfg->credential_process != NULL && cfg->credential_process[0] != '\0') {
    ch->source = SRC_PROCESS;
    ch->process_cmd = strdup(cfg->credential_process);
  } else if (cfg->container_relative_uri || cfg->container_full_uri) {
    ch->source = ch->base = SRC_CONTAINER;
    rc = http_setup_container(ch, cfg, err);
  } else if (!cfg->imds_disabled) {
    ch->source = ch->base = SRC_IMDS;
  }
  if (rc == 0 && (ch->source == SRC_ASSUME_ROLE || ch->source == SRC_WEB_IDENTITY)) {
    char name[64];
    snprintf(name, sizeof name, "uvaws-session-%lld", (long long)io->now(io->now_arg));
    ch->session_name = strdup(cfg->role_session_name ? cfg->role_session_name : name);
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

const char *creds_chain_source_name(const creds_chain_t *ch) {
  switch (ch->source) {
  case SRC_PROCESS:
    return "credential_process";
  case SRC_CONTAINER:
    return "container credentials";
  case SRC_IMDS:
    return "instance metadata";
  case SRC_ASSUME_ROLE:
    return "STS AssumeRole";
  case SRC_WEB_IDENTITY:
    return "STS AssumeRoleWithWebIdentity";
  default:
    return "no source";
  }
}

const char *creds_chain_tried(const creds_chain_t *ch) { return ch->tried; }

static void on_process(void *arg, creds_t *creds, int code, const char *detail) {
  creds_chain_t *ch = arg;
  ch->process = NULL;
  if (creds != NULL)
    chain_succeed(ch, creds);
  else
    chain_fail(ch, 0, code, "credential_process: %s", detail);
}

/* ---- roles ------------------------------------------------------------------ */

static void on_sts(void *arg, creds_t *creds, int code, const char *detail) {
  creds_chain_t *ch = arg;
  ch->sts = NULL;
  if (creds != NULL)
    chain_succeed(ch, creds);
  else
    chain_fail(ch, 0, code, "%s (role %s)", detail, ch->role_arn);
}

static sts_request_t role_request(const creds_chain_t *ch) {
  sts_request_t r = {ch->sts_endpoint, ch->sts_region, ch->role_arn, ch->session_name,
                     ch->external_id, ch->duration_s};
  return r;
}

/* Signed with the client's clock and the skew it learnt, as every request. */
static sts_op_t *assume(creds_chain_t *ch, const creds_t *source) {
  sts_request_t r = role_request(ch);
  return sts_assume_role(&ch->io, ch->signer, &r, source, ch->io.now(ch->io.now_arg), on_sts, ch);
}

void chain_assume_with(creds_chain_t *ch, creds_t *source) {
  ch->sts = assume(ch, source);
  if (source != &ch->role_source)
    creds_clear(source);
  if (ch->sts == NULL)
    chain_fail(ch, 0, UVAWS_ECREDS, "STS AssumeRole for %s: the request could not be built",
               ch->role_arn);
}

static void on_web_token(void *arg, const char *data, size_t len, int err) {
  creds_chain_t *ch = arg;
  ch->token_read = NULL;
  if (err != 0) {
    chain_fail(ch, 0, UVAWS_ECREDS, "web identity: cannot read token file %s: %s",
               ch->web_token_file, uv_strerror(err));
    return;
  }
  char *token = strndup(data, len);
  if (token != NULL)
    token[strcspn(token, "\r\n")] = '\0';
  sts_request_t r = role_request(ch);
  if (token != NULL && token[0] != '\0')
    ch->sts = sts_assume_role_web_identity(&ch->io, &r, token, on_sts, ch);
  secret_free(token);
  if (ch->sts == NULL)
    chain_fail(ch, 0, UVAWS_ECREDS, "web identity: token file %s is empty or the request could "
               "not be built", ch->web_token_file);
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
    ch->process = creds_process_start(ch->io.loop, ch->process_cmd,
                                      PROCESS_TIMEOUT_MS, on_process, ch);
    return ch->process ? 0 : UVAWS_ENOMEM;
  case SRC_WEB_IDENTITY:
    ch->token_read = fs_read_start(ch->io.loop, ch->web_token_file, 65536,
                                   on_web_token, ch);
    return ch->token_read ? 0 : UVAWS_ENOMEM;
  case SRC_ASSUME_ROLE:
    if (ch->base == SRC_STATIC) {
      /* Sign and send now: the answer comes from the loop anyway. */
      ch->sts = assume(ch, &ch->role_source);
      return ch->sts ? 0 : UVAWS_ENOMEM;
    }
    return http_start(ch, 0);
  case SRC_CONTAINER:
  case SRC_IMDS:
    return http_start(ch, 0);
  }
  return UVAWS_EINTERNAL;
}

int creds_chain_fetch_region(creds_chain_t *ch, void (*cb)(void *, const char *, const uvaws_error_t *),
                             void *arg) {
  if (ch->region_op != NULL)
    return UVAWS_EBUSY;
  if (ch->imds_disabled)
    return UVAWS_ENOREGION;
  ch->region_cb = cb;
  ch->region_arg = arg;
  return http_start(ch, 1);
}

void creds_chain_stop(creds_chain_t *ch) {
  if (ch == NULL)
    return;
  http_orphan(ch->op);
  http_orphan(ch->region_op);
  creds_process_abandon(ch->process);
  sts_abandon(ch->sts);
  fs_read_abandon(ch->token_read);
  ch->op = ch->region_op = NULL;
  ch->process = NULL;
  ch->sts = NULL;
  ch->token_read = NULL;
}

void creds_chain_free(creds_chain_t *ch) {
  if (ch == NULL)
    return;
  creds_chain_stop(ch);
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
