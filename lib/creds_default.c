/* The credential chain the configuration describes, in the AWS CLI's order,
 * built from the providers of creds_*.c and imds.c; and the owned form of
 * credentials they all hand over. */
#include "creds.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "creds_provider.h"
#include "imds.h"
#include "num_text.h"
#include "secret.h"
#include "uvaws/version.h"

/* ---- credentials ---------------------------------------------------------- */

void creds_clear(creds_t *c) {
  if (c == NULL)
    return;
  free(c->access_key);
  secret_free(c->secret_key);
  secret_free(c->session_token);
  memset(c, 0, sizeof *c);
}

int creds_copy(creds_t *out, const uvaws_credentials_t *in) {
  memset(out, 0, sizeof *out);
  out->expiration = in->expiration;
  if ((in->access_key && (out->access_key = strdup(in->access_key)) == NULL) ||
      (in->secret_key && (out->secret_key = strdup(in->secret_key)) == NULL) ||
      (in->session_token && (out->session_token = strdup(in->session_token)) == NULL)) {
    creds_clear(out);
    return UVAWS_ENOMEM;
  }
  return 0;
}

uvaws_credentials_t creds_view(const creds_t *c) {
  uvaws_credentials_t v = {c->access_key, c->secret_key, c->session_token, c->expiration};
  return v;
}

/* ---- the chain of the configuration -------------------------------------- */

/* The sources looked at before the ones that need I/O, for the "no
 * credentials" message. */
static char *describe_tried(const config_t *cfg) {
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
  return strdup(buf);
}

/* Where a profile's role takes its credentials from: source_profile or
 * credential_source (Environment, Ec2InstanceMetadata, EcsContainer). */
static uvaws_creds_provider_t *role_source(const creds_io_t *io, const config_t *cfg, imds_t *imds,
                                           uvaws_error_t *err) {
  int from_env = cfg->source_profile == NULL && strcmp(cfg->credential_source, "Environment") == 0;
  if (cfg->source_profile != NULL || from_env) {
    if (cfg->source_access_key == NULL || cfg->source_secret_key == NULL) {
      if (from_env)
        uvaws_error_set(err, UVAWS_ECREDS, "profile %s: credential_source Environment, but "
                        "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set", cfg->profile);
      else
        uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: source_profile %s has no static "
                        "credentials", cfg->profile, cfg->source_profile);
      return NULL;
    }
    creds_t c = {cfg->source_access_key, cfg->source_secret_key, cfg->source_session_token, 0};
    return creds_static_new(from_env ? "the environment" : "the source profile", &c, NULL, err);
  }
  if (strcmp(cfg->credential_source, "Ec2InstanceMetadata") == 0)
    return imds_provider_new(imds, err);
  if (strcmp(cfg->credential_source, "EcsContainer") == 0)
    return creds_container_new(io, cfg, err);
  uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: credential_source %s: want Environment, "
                  "Ec2InstanceMetadata or EcsContainer", cfg->profile, cfg->credential_source);
  return NULL;
}

static uvaws_creds_provider_t *role(const creds_io_t *io, const config_t *cfg, int web,
                                    const char *sts_endpoint, const char *sts_region,
                                    imds_t *imds, uvaws_error_t *err) {
  if (sts_endpoint == NULL) {
    uvaws_error_set(err, UVAWS_ECONFIG, "profile %s: a role, but no STS endpoint", cfg->profile);
    return NULL;
  }
  char name[64] = "uvaws-session-", when[NUM_TEXT_MAX];
  if (num_text((double)io->now(io->now_arg), when))
    strcat(name, when);
  sts_request_t q = {sts_endpoint, sts_region ? sts_region : "us-east-1", NULL,
                     cfg->role_session_name ? cfg->role_session_name : name, cfg->external_id,
                     cfg->duration_seconds};
  if (!web) {
    q.role_arn = cfg->role_arn;
    uvaws_creds_provider_t *source = role_source(io, cfg, imds, err);
    return source ? creds_assume_role_new(io, &q, source, err) : NULL;
  }
  /* the profile's pair first, else the environment's */
  int from_profile = cfg->role_arn && cfg->web_identity_token_file;
  q.role_arn = from_profile ? cfg->role_arn : cfg->env_role_arn;
  q.external_id = NULL;
  return creds_web_identity_new(io, &q, from_profile ? cfg->web_identity_token_file
                                                     : cfg->env_web_identity_token_file, err);
}

uvaws_creds_provider_t *creds_default_chain(const creds_io_t *io, const config_t *cfg,
                                            const char *sts_endpoint, const char *sts_region,
                                            imds_t *imds, uvaws_error_t *err) {
  uvaws_creds_provider_t *p = NULL;
  if (config_static_first(cfg))
    p = creds_static_from_config(cfg, err);
  else if (cfg->role_arn && (cfg->source_profile || cfg->credential_source))
    p = role(io, cfg, 0, sts_endpoint, sts_region, imds, err);
  else if ((cfg->role_arn && cfg->web_identity_token_file) || cfg->env_role_arn)
    p = role(io, cfg, 1, sts_endpoint, sts_region, imds, err);
  else if (cfg->credential_process != NULL)
    p = creds_process_new(io->loop, cfg->credential_process, err);
  else if (cfg->container_relative_uri || cfg->container_full_uri)
    p = creds_container_new(io, cfg, err);
  else if (!cfg->imds_disabled && imds != NULL)
    p = imds_provider_new(imds, err);
  char *tried = describe_tried(cfg);
  if (p == NULL && (err == NULL || err->code == 0) && tried != NULL)
    uvaws_error_set(err, UVAWS_ENOCREDS, "no credentials: tried %s, instance metadata (disabled "
                    "by AWS_EC2_METADATA_DISABLED)", tried);
  uvaws_creds_provider_t *chain = NULL;
  if (p != NULL && tried != NULL)
    chain = creds_chain_new(&p, 1, tried, err);
  else if (tried == NULL)
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential chain");
  if (chain == NULL)
    uvaws_creds_provider_free(p);
  free(tried);
  return chain;
}

/* ---- the public default chain -------------------------------------------- */

static int64_t wall_clock(void *arg) {
  (void)arg;
  return (int64_t)time(NULL);
}

int uvaws_creds_provider_default_chain(uv_loop_t *loop, const uvaws_creds_chain_options_t *opts,
                                       uvaws_creds_provider_t **out, uvaws_error_t *err) {
  if (err != NULL)
    memset(err, 0, sizeof *err);
  if (out != NULL)
    *out = NULL;
  if (loop == NULL || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "loop and out are required");
  uvaws_creds_chain_options_t none = {0};
  if (opts == NULL)
    opts = &none;
  /* Resolved as for an STS client: the region and STS's endpoint with it. */
  config_input_t in = {.profile = opts->profile, .region = opts->region, .service_id = "STS",
                       .endpoint_prefix = "sts"};
  config_t cfg;
  int rc = config_resolve(&in, &cfg, err);
  if (rc == 0 && cfg.region == NULL) { /* STS's global default, as the CLI's */
    config_free(&cfg);
    in.region = "us-east-1";
    rc = config_resolve(&in, &cfg, err);
  }
  if (rc != 0)
    return rc;
  transport_options_t topts = {.connect_timeout_ms = 10000, .max_connections = 4,
                               .ca_file = opts->ca_file, .tls_no_verify = opts->tls_no_verify,
                               .user_agent = "uvaws/" UVAWS_VERSION_STRING};
  transport_t *t = NULL;
  imds_t *imds = NULL;
  rc = transport_new(loop, &topts, &t);
  if (rc == 0) {
    creds_io_t io = {loop, t, opts->clock ? opts->clock : wall_clock,
                     opts->clock ? opts->clock_arg : NULL};
    imds = imds_new(&io, &cfg);
    *out = imds ? creds_default_chain(&io, &cfg, cfg.endpoint, cfg.region, imds, err) : NULL;
    rc = *out ? 0 : err && err->code ? err->code : UVAWS_ENOMEM;
  }
  if (rc == 0) {
    creds_chain_own(*out, t, imds);
  } else {
    imds_unref(imds);
    if (t != NULL)
      transport_free(t);
    if (err && err->code == 0)
      uvaws_error_set(err, rc, "creating the credential chain");
  }
  config_free(&cfg);
  return rc;
}
