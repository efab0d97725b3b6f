/* Resolving profile, region, endpoint and the profile's settings the way the
 * AWS CLI does, from explicit options, the environment, and the two shared
 * files. Synchronous: it reads small local files once, at client creation.
 * Credentials that need I/O (process, container, instance metadata, STS) are
 * resolved later, asynchronously, by the credentials module from what this
 * module found.
 *
 * The one place the environment is read: every AWS_* variable (and HOME)
 * any part of uvaws uses comes through config_resolve, with one rule: an
 * empty value is an unset one. */
#ifndef UVAWS_CONFIG_H
#define UVAWS_CONFIG_H

#include <stdint.h>

#include "uvaws/error.h"

typedef struct {
  /* explicit options (NULL: not given) */
  const char *profile;
  const char *region;
  const char *endpoint;
  const char *access_key, *secret_key, *session_token;
  /* the service, for endpoint resolution */
  const char *service_id;      /* "DynamoDB", "SES", "SESv2": AWS_ENDPOINT_URL_<ID> */
  const char *endpoint_prefix; /* "dynamodb", "email": https://PREFIX.REGION.DNS */
  int no_credentials; /* credentials come from elsewhere (a provider): not resolved, so a
                         profile's broken keys or role are no error */
} config_input_t;

/* Where the static credentials came from (for messages and refresh rules). */
typedef enum {
  CREDS_FROM_NONE = 0,
  CREDS_FROM_OPTIONS,
  CREDS_FROM_ENV,
  CREDS_FROM_CREDENTIALS_FILE,
  CREDS_FROM_CONFIG_FILE,
} creds_source_t;

typedef struct {
  char *profile;          /* resolved name ("default" when nothing says otherwise) */
  int profile_explicit;   /* named by option, AWS_PROFILE or AWS_DEFAULT_PROFILE */
  char *config_file;      /* paths actually used (after ~ expansion) */
  char *credentials_file;
  char *region;           /* NULL: not found yet (instance metadata may tell) */
  char *endpoint;         /* NULL only when there is no region to build it from */
  int endpoint_explicit;  /* from option, env or profile (not built) */
  /* static credentials, first source in CLI order that has both key and secret */
  char *access_key, *secret_key, *session_token;
  int64_t expiration;     /* AWS_CREDENTIAL_EXPIRATION with environment keys; 0: none */
  creds_source_t creds_source;
  /* a role (role_arn with source_profile, credential_source or
   * web_identity_token_file; or AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE)
   * comes before the shared files' keys in the CLI's chain */
  int role_first;
  /* profile settings the asynchronous providers need (NULL when absent) */
  char *credential_process;
  char *role_arn, *source_profile, *credential_source, *external_id;
  char *role_session_name; /* the profile's, else AWS_ROLE_SESSION_NAME */
  char *web_identity_token_file;
  int duration_seconds;   /* 0: absent; else 900 to 43200 */
  /* retry settings: env (AWS_RETRY_MODE, AWS_MAX_ATTEMPTS), then profile; the
   * client's own options override both */
  char *retry_mode;       /* NULL: absent */
  int max_attempts;       /* 0: absent; else 1 to 100 */
  /* instance metadata: AWS_METADATA_SERVICE_TIMEOUT / metadata_service_timeout
   * (seconds, up to ms precision) and AWS_METADATA_SERVICE_NUM_ATTEMPTS /
   * metadata_service_num_attempts */
  int metadata_timeout_ms;   /* 0: absent (1 s); else 1 to 3,600,000 */
  int metadata_num_attempts; /* 0: absent (1); else 1 to 10 */
  /* a role's static source credentials: the source profile's when role_arn +
   * source_profile (one level only: longer chains are refused with
   * UVAWS_ECONFIG, see config.c), the environment's keys for
   * credential_source Environment (NULL when they are not set) */
  char *source_access_key, *source_secret_key, *source_session_token;
  /* web identity from the environment: AWS_ROLE_ARN and
   * AWS_WEB_IDENTITY_TOKEN_FILE (both, or neither) */
  char *env_role_arn, *env_web_identity_token_file;
  /* container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, _FULL_URI,
   * AWS_CONTAINER_AUTHORIZATION_TOKEN, _TOKEN_FILE (NULL when unset) */
  char *container_relative_uri, *container_full_uri;
  char *container_token, *container_token_file;
  /* instance metadata: AWS_EC2_METADATA_DISABLED and
   * AWS_EC2_METADATA_V1_DISABLED ("true", any case), and
   * AWS_EC2_METADATA_SERVICE_ENDPOINT (NULL: the default address) */
  int imds_disabled, imds_v1_disabled;
  char *imds_endpoint;
} config_t;

/* Resolves everything above. Errors (err->detail says what was tried, where):
 *  UVAWS_ENOCONFIG  AWS_CONFIG_FILE or AWS_SHARED_CREDENTIALS_FILE names a
 *                   file that does not exist (the default paths may be absent)
 *  UVAWS_ECONFIG    a file does not parse ("PATH:LINE: ..."); a bad value in
 *                   env or profile (region, retry_mode, any numeric setting
 *                   such as AWS_MAX_ATTEMPTS or duration_seconds, an
 *                   AWS_CREDENTIAL_EXPIRATION that is no RFC 3339 time);
 *                   a broken or cyclic source_profile setup (only when the
 *                   role would be used: not with option or env credentials);
 *                   a profile naming a missing [services NAME]
 *  UVAWS_EINVAL     NULL in/out, or an option region that is no host label
 *  UVAWS_ENOPROFILE the profile was named explicitly and is in neither file
 *  UVAWS_EENDPOINT  an endpoint from option/env/profile is not an http(s) URL
 * Missing region or credentials are NOT errors here: later sources may supply
 * them; the caller decides. Secrets never appear in err. */
int config_resolve(const config_input_t *in, config_t *out, uvaws_error_t *err);

/* Only the environment's keys (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN or AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION) into
 * the zeroed `out`: access_key stays NULL when they are not set. 0, or
 * UVAWS_ECONFIG for a malformed expiration, UVAWS_ENOMEM. */
int config_env_credentials(config_t *out, uvaws_error_t *err);

/* 1 when the static credentials above are the ones to use: from the
 * options or the environment, or from the files when no role comes first. */
int config_static_first(const config_t *cfg);

/* Frees and cleanses (secrets) the strings of `cfg`; zeroes it. */
void config_free(config_t *cfg);

/* The DNS suffix of the partition a region belongs to: "amazonaws.com",
 * "amazonaws.com.cn" for cn-*, "amazonaws.com" for us-gov-* too (its own
 * partition, same suffix), "c2s.ic.gov" for us-iso-*, "sc2s.sgov.gov" for
 * us-isob-*. */
const char *config_dns_suffix(const char *region);

#endif
