#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "config_internal.h"
#include "secret.h"

/* botocore allows role chains; config_t carries one source, so a chain is
 * followed this far only to report cycles and to say what is unsupported. */
#define MAX_CHAIN 8

static int resolve_profile(const config_input_t *in, config_t *out, const char **from) {
  const char *p = NULL;
  if (in->profile != NULL && in->profile[0] != '\0')
    p = in->profile, *from = "the profile option";
  else if ((p = cfg_env("AWS_PROFILE")) != NULL)
    *from = "AWS_PROFILE";
  else if ((p = cfg_env("AWS_DEFAULT_PROFILE")) != NULL)
    *from = "AWS_DEFAULT_PROFILE";
  out->profile_explicit = p != NULL;
  return cfg_dup(&out->profile, p != NULL ? p : "default");
}

/* A region becomes a host name label: refuse what could not be one (or could
 * smuggle a '/' or '@' into the built URL). */
static int region_ok(const char *r) {
  size_t n = strlen(r);
  if (n == 0 || n > 63 || r[0] == '-' || r[n - 1] == '-')
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = r[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
      return 0;
  }
  return 1;
}

static int resolve_region(const config_input_t *in, const cfg_files_t *f, config_t *out,
                          uvaws_error_t *err) {
  const char *r = NULL, *from = NULL, *where = NULL;
  if (in->region != NULL && in->region[0] != '\0')
    r = in->region, from = "the region option";
  else if ((r = cfg_env("AWS_REGION")) != NULL)
    from = "AWS_REGION";
  else if ((r = cfg_env("AWS_DEFAULT_REGION")) != NULL)
    from = "AWS_DEFAULT_REGION";
  else if ((r = cfg_profile_get(f, out->profile, "region", &where)) != NULL && r[0] == '\0')
    r = NULL;
  if (r == NULL)
    return 0;
  if (!region_ok(r)) {
    if (from != NULL)
      return uvaws_error_set(err, r == in->region ? UVAWS_EINVAL : UVAWS_ECONFIG,
                             "region from %s is not a valid region name", from);
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "region of profile \"%s\" in %s is not a valid region name",
                           out->profile, where);
  }
  return cfg_dup(&out->region, r);
}

static int resolve_retry(const cfg_files_t *f, config_t *out, uvaws_error_t *err) {
  const char *where = NULL;
  const char *m = cfg_env("AWS_RETRY_MODE");
  int from_env = m != NULL;
  if (m == NULL)
    m = cfg_profile_get(f, out->profile, "retry_mode", &where);
  if (m != NULL && m[0] != '\0') {
    if (strcmp(m, "legacy") != 0 && strcmp(m, "standard") != 0 && strcmp(m, "adaptive") != 0) {
      if (from_env)
        return uvaws_error_set(err, UVAWS_ECONFIG,
                               "AWS_RETRY_MODE must be legacy, standard or adaptive");
      return uvaws_error_set(err, UVAWS_ECONFIG,
                             "retry_mode of profile \"%s\" in %s must be legacy, standard or "
                             "adaptive",
                             out->profile, where);
    }
    if (cfg_dup(&out->retry_mode, m) != 0)
      return UVAWS_ENOMEM;
  }
  return 0;
}

static int set_creds(config_t *out, creds_source_t src, const char *key, const char *secret,
                     const char *token) {
  out->creds_source = src;
  if (cfg_dup(&out->access_key, key) || cfg_dup(&out->secret_key, secret) ||
      cfg_dup(&out->session_token, token != NULL && token[0] != '\0' ? token : NULL))
    return UVAWS_ENOMEM;
  return 0;
}

static int present(const char *s) { return s != NULL && s[0] != '\0'; }

/* The environment's keys, as botocore's environment provider reads them:
 * with their expiry, the session token before the legacy security token.
 * 1 when both keys are set, 0 when not, or UVAWS_ECONFIG / UVAWS_ENOMEM. */
static int env_keys(config_t *out, uvaws_error_t *err) {
  const char *k = cfg_env("AWS_ACCESS_KEY_ID"), *s = cfg_env("AWS_SECRET_ACCESS_KEY");
  if (k == NULL || s == NULL)
    return 0;
  const char *e = cfg_env("AWS_CREDENTIAL_EXPIRATION");
  if (e != NULL && cfg_parse_expiration(e, &out->expiration, err) != 0)
    return UVAWS_ECONFIG;
  const char *t = cfg_env("AWS_SESSION_TOKEN");
  int rc = set_creds(out, CREDS_FROM_ENV, k, s, t != NULL ? t : cfg_env("AWS_SECURITY_TOKEN"));
  return rc != 0 ? rc : 1;
}

/* A role (profile or environment web identity) comes before the shared
 * files' keys in the CLI's chain: the keys are then unused, and a broken pair
 * is no error. */
static int role_comes_first(const cfg_files_t *f, const char *p) {
  if (cfg_env("AWS_ROLE_ARN") != NULL && cfg_env("AWS_WEB_IDENTITY_TOKEN_FILE") != NULL)
    return 1;
  return present(cfg_profile_get(f, p, "role_arn", NULL)) &&
         (present(cfg_profile_get(f, p, "source_profile", NULL)) ||
          present(cfg_profile_get(f, p, "credential_source", NULL)) ||
          present(cfg_profile_get(f, p, "web_identity_token_file", NULL)));
}

/* The CLI's order for static credentials. A key without its secret in the
 * shared files stops with UVAWS_ECONFIG (botocore: PartialCredentialsError);
 * the session token is preferred over the legacy security token (botocore
 * reads the legacy name first). */
static int resolve_creds(const config_input_t *in, const cfg_files_t *f, config_t *out,
                         uvaws_error_t *err) {
  if (present(in->access_key) && present(in->secret_key))
    return set_creds(out, CREDS_FROM_OPTIONS, in->access_key, in->secret_key, in->session_token);
  int rc = env_keys(out, err);
  if (rc != 0)
    return rc < 0 ? rc : 0;
  out->role_first = role_comes_first(f, out->profile);
  int used = !out->role_first;
  cfg_keys_t fk;
  rc = cfg_static_keys(f, out->profile, &fk, used ? err : NULL);
  if (rc <= 0)
    return used ? rc : 0;
  return set_creds(out, fk.in_credentials_file ? CREDS_FROM_CREDENTIALS_FILE
                                                : CREDS_FROM_CONFIG_FILE,
                   fk.key, fk.secret, fk.token);
}

static int resolve_settings(const cfg_files_t *f, config_t *out) {
  static const struct {
    const char *key;
    size_t off;
  } keys[] = {
      {"credential_process", offsetof(config_t, credential_process)},
      {"role_arn", offsetof(config_t, role_arn)},
      {"source_profile", offsetof(config_t, source_profile)},
      {"credential_source", offsetof(config_t, credential_source)},
      {"role_session_name", offsetof(config_t, role_session_name)},
      {"external_id", offsetof(config_t, external_id)},
      {"web_identity_token_file", offsetof(config_t, web_identity_token_file)},
  };
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
    const char *v = cfg_profile_get(f, out->profile, keys[i].key, NULL);
    if (present(v) && cfg_dup((char **)((char *)out + keys[i].off), v) != 0)
      return UVAWS_ENOMEM;
  }
  return 0;
}

static int env_true(const char *name) {
  const char *v = cfg_env(name);
  return v != NULL && strcasecmp(v, "true") == 0;
}

/* What the credential sources take from the environment besides keys. */
static int resolve_env_sources(config_t *out) {
  const char *role = cfg_env("AWS_ROLE_ARN"), *token = cfg_env("AWS_WEB_IDENTITY_TOKEN_FILE");
  if (role != NULL && token != NULL &&
      (cfg_dup(&out->env_role_arn, role) || cfg_dup(&out->env_web_identity_token_file, token)))
    return UVAWS_ENOMEM;
  if (out->role_session_name == NULL &&
      cfg_dup(&out->role_session_name, cfg_env("AWS_ROLE_SESSION_NAME")) != 0)
    return UVAWS_ENOMEM;
  if (cfg_dup(&out->container_relative_uri, cfg_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) ||
      cfg_dup(&out->container_full_uri, cfg_env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) ||
      cfg_dup(&out->container_token, cfg_env("AWS_CONTAINER_AUTHORIZATION_TOKEN")) ||
      cfg_dup(&out->container_token_file, cfg_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) ||
      cfg_dup(&out->imds_endpoint, cfg_env("AWS_EC2_METADATA_SERVICE_ENDPOINT")))
    return UVAWS_ENOMEM;
  out->imds_disabled = env_true("AWS_EC2_METADATA_DISABLED");
  out->imds_v1_disabled = env_true("AWS_EC2_METADATA_V1_DISABLED");
  return 0;
}

static int has_static(const cfg_files_t *f, const char *p) {
  return present(cfg_profile_get(f, p, "aws_access_key_id", NULL)) ||
         present(cfg_profile_get(f, p, "aws_secret_access_key", NULL));
}

static int assumes_role(const cfg_files_t *f, const char *p) {
  return present(cfg_profile_get(f, p, "role_arn", NULL)) &&
         !present(cfg_profile_get(f, p, "web_identity_token_file", NULL));
}

/* "a -> b -> a" into buf, for the cycle message. */
static void chain_text(char *buf, size_t n, const char **v, size_t nv, const char *last) {
  size_t len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i <= nv && len < n; i++) {
    const char *name = i < nv ? v[i] : last;
    int w = snprintf(buf + len, n - len, "%s%s", i ? " -> " : "", name);
    if (w < 0)
      break;
    len += (size_t)w;
  }
}

/* role_arn + source_profile: the source profile's static credentials, walking
 * the chain as botocore's AssumeRoleProvider does (a profile may name itself
 * when it has static credentials; any other revisit is a cycle). Only the
 * one-level case fits config_t; longer valid chains are refused clearly. */
static int resolve_source(const cfg_files_t *f, config_t *out, uvaws_error_t *err) {
  const char *cs = out->credential_source, *sp = out->source_profile;
  if (cs != NULL && sp != NULL)
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "profile \"%s\" sets both source_profile and credential_source",
                           out->profile);
  if (cs == NULL && sp == NULL)
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "profile \"%s\" sets role_arn but neither source_profile nor "
                           "credential_source",
                           out->profile);
  if (sp == NULL) { /* credential_source: only Environment names keys */
    const char *k = cfg_env("AWS_ACCESS_KEY_ID"), *sk = cfg_env("AWS_SECRET_ACCESS_KEY");
    if (strcmp(cs, "Environment") != 0 || k == NULL || sk == NULL)
      return 0;
    if (cfg_dup(&out->source_access_key, k) || cfg_dup(&out->source_secret_key, sk) ||
        cfg_dup(&out->source_session_token, cfg_env("AWS_SESSION_TOKEN")))
      return UVAWS_ENOMEM;
    return 0;
  }
  const char *visited[MAX_CHAIN + 1];
  size_t nv = 0;
  char chain[1024];
  const char *cur = out->profile, *src = sp;
  visited[nv++] = cur;
  for (;;) {
    if (!cfg_profile_exists(f, src))
      return uvaws_error_set(err, UVAWS_ECONFIG,
                             "source_profile \"%s\" of profile \"%s\" is in neither %s nor %s",
                             src, cur, f->cfg_path, f->cred_path);
    int seen = 0;
    for (size_t i = 0; i < nv; i++)
      seen |= strcmp(visited[i], src) == 0;
    if (seen && (strcmp(src, cur) != 0 || !has_static(f, src))) {
      chain_text(chain, sizeof chain, visited, nv, src);
      return uvaws_error_set(err, UVAWS_ECONFIG, "source_profile cycle: %s", chain);
    }
    if (!seen) {
      if (nv == MAX_CHAIN)
        return uvaws_error_set(err, UVAWS_ECONFIG,
                               "source_profile chain from profile \"%s\" is longer than %d",
                               out->profile, MAX_CHAIN);
      visited[nv++] = src;
    }
    if (has_static(f, src))
      break;
    if (!assumes_role(f, src))
      return uvaws_error_set(err, UVAWS_ECONFIG,
                             "source_profile \"%s\" of profile \"%s\" has no static credentials "
                             "(aws_access_key_id and aws_secret_access_key); other kinds of "
                             "source profile are not supported",
                             src, cur);
    const char *next = cfg_profile_get(f, src, "source_profile", NULL);
    if (!present(next))
      return uvaws_error_set(err, UVAWS_ECONFIG,
                             "profile \"%s\" assumes a role through profile \"%s\", which takes "
                             "its credentials from credential_source: not supported",
                             out->profile, src);
    cur = src;
    src = next;
  }
  if (nv > 2) {
    chain_text(chain, sizeof chain, visited, nv - 1, visited[nv - 1]);
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "role chaining (%s) is not supported: give profile \"%s\" static "
                           "credentials",
                           chain, out->source_profile);
  }
  cfg_keys_t k;
  int rc = cfg_static_keys(f, src, &k, err); /* 1 or an error: has_static(src) */
  if (rc < 0)
    return rc;
  if (cfg_dup(&out->source_access_key, k.key) || cfg_dup(&out->source_secret_key, k.secret) ||
      cfg_dup(&out->source_session_token, k.token))
    return UVAWS_ENOMEM;
  return 0;
}

static int resolve(const config_input_t *in, config_t *out, cfg_files_t *f, uvaws_error_t *err) {
  const char *from = NULL;
  int rc = resolve_profile(in, out, &from);
  if (rc != 0)
    return uvaws_error_set(err, rc, "out of memory");
  if ((rc = cfg_load_files(f, out, err)) != 0)
    return rc;
  if (out->profile_explicit && !cfg_profile_exists(f, out->profile))
    return uvaws_error_set(err, UVAWS_ENOPROFILE,
                           "profile \"%s\" (from %s) is in neither %s nor %s%s", out->profile,
                           from, out->config_file, out->credentials_file,
                           cfg_profile_name_ok(out->profile)
                               ? ""
                               : " (not a valid profile name: letters, digits, - _ / . % @ : + "
                                 "and inner spaces; sections with other names are ignored)");
  if ((rc = resolve_region(in, f, out, err)) != 0 || (rc = resolve_retry(f, out, err)) != 0 ||
      (rc = cfg_resolve_numbers(f, out, err)) != 0 ||
      (!in->no_credentials && (rc = resolve_creds(in, f, out, err)) != 0) ||
      (rc = resolve_settings(f, out)) != 0 || (rc = resolve_env_sources(out)) != 0)
    goto done;
  /* Options and environment credentials come before assume-role in the CLI's
   * chain: a broken role setup then never matters, so it is not an error. */
  if (!in->no_credentials && out->role_arn != NULL && out->web_identity_token_file == NULL &&
      out->creds_source != CREDS_FROM_OPTIONS && out->creds_source != CREDS_FROM_ENV &&
      (rc = resolve_source(f, out, err)) != 0)
    goto done;
  rc = cfg_resolve_endpoint(in, f, out, err);
done:
  if (rc == UVAWS_ENOMEM)
    uvaws_error_set(err, rc, "out of memory");
  return rc;
}

int config_env_credentials(config_t *out, uvaws_error_t *err) {
  memset(out, 0, sizeof *out);
  int rc = env_keys(out, err);
  if (rc < 0) {
    config_free(out);
    return rc == UVAWS_ENOMEM ? uvaws_error_set(err, rc, "out of memory") : rc;
  }
  return 0;
}

int config_static_first(const config_t *cfg) {
  if (cfg->access_key == NULL)
    return 0;
  return cfg->creds_source == CREDS_FROM_OPTIONS || cfg->creds_source == CREDS_FROM_ENV ||
         !cfg->role_first;
}

int config_resolve(const config_input_t *in, config_t *out, uvaws_error_t *err) {
  if (in == NULL || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "config_resolve: NULL argument");
  memset(out, 0, sizeof *out);
  cfg_files_t f = {0};
  int rc = resolve(in, out, &f, err);
  ini_free(f.cfg);
  ini_free(f.cred);
  if (rc != 0)
    config_free(out);
  return rc;
}

void config_free(config_t *cfg) {
  if (cfg == NULL)
    return;
  char *plain[] = {cfg->profile,       cfg->config_file,       cfg->credentials_file,
                   cfg->region,        cfg->endpoint,          cfg->credential_process,
                   cfg->role_arn,      cfg->source_profile,    cfg->credential_source,
                   cfg->role_session_name, cfg->external_id,   cfg->web_identity_token_file,
                   cfg->retry_mode,    cfg->env_role_arn,      cfg->env_web_identity_token_file,
                   cfg->container_relative_uri, cfg->container_full_uri,
                   cfg->container_token_file,   cfg->imds_endpoint};
  for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
    free(plain[i]);
  /* the key ids are not secret, but they identify the account: cleansed too */
  char *secret[] = {cfg->access_key,        cfg->secret_key,        cfg->session_token,
                    cfg->source_access_key, cfg->source_secret_key, cfg->source_session_token,
                    cfg->container_token};
  for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
    secret_free(secret[i]);
  memset(cfg, 0, sizeof *cfg);
}
