/* Credentials inside uvaws: the owned form the sources build and the client
 * keeps, what a source runs on, and the chain built from the configuration
 * (uvaws/credentials.h is the provider interface all of them go through).
 *
 * The sources need a loop, a transport for their HTTP (an http_exchange) and
 * a clock, never a client: no file of theirs includes a client header. */
#ifndef UVAWS_CREDS_H
#define UVAWS_CREDS_H

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "transport.h"
#include "uvaws/credentials.h"
#include "uvaws/error.h"

typedef struct {
  char *access_key;
  char *secret_key;
  char *session_token; /* NULL when none */
  int64_t expiration;  /* seconds since the epoch; 0: does not expire (never 0 otherwise) */
} creds_t;

void creds_clear(creds_t *c); /* cleanses and frees, zeroes */

/* A copy of `in` (NULL fields stay NULL); 0 or UVAWS_ENOMEM (out zeroed). */
int creds_copy(creds_t *out, const uvaws_credentials_t *in);

/* The public view of `c` (borrowing its strings). */
uvaws_credentials_t creds_view(const creds_t *c);

/* What a source runs on: the loop, the transport its HTTP goes through (not
 * owned), and the clock STS requests are signed with (the client's, with
 * the skew it learnt: seconds since the epoch). */
typedef struct {
  uv_loop_t *loop;
  transport_t *transport;
  int64_t (*now)(void *arg);
  void *now_arg;
} creds_io_t;

typedef struct imds_s imds_t;

/* The provider for what `cfg` configures when its static keys are not the
 * ones to use (config_static_first), in the AWS CLI's order: a role
 * (role_arn with source_profile or credential_source: AssumeRole), web
 * identity (AssumeRoleWithWebIdentity), credential_process, container
 * credentials, instance metadata (through `imds`, NULL when disabled). The
 * first of them that is configured is the only one asked: a configured
 * source that fails is an error, not a reason to try the next. STS is
 * reached at `sts_endpoint`, signing for `sts_region`. NULL with err set: a
 * role whose source cannot work (UVAWS_ECONFIG, UVAWS_ECREDS), nothing
 * configured (UVAWS_ENOCREDS, every place looked at in the detail), or
 * UVAWS_ENOMEM. */
uvaws_creds_provider_t *creds_default_chain(const creds_io_t *io, const config_t *cfg,
                                            const char *sts_endpoint, const char *sts_region,
                                            imds_t *imds, uvaws_error_t *err);

/* The provider for `cfg`'s static keys (config_static_first), named after
 * where they came from; NULL with err set when out of memory. */
uvaws_creds_provider_t *creds_static_from_config(const config_t *cfg, uvaws_error_t *err);

#endif
