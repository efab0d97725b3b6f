/* The credential chain's insides, shared by credentials.c (choosing the
 * source, roles, credential_process) and creds_http.c (instance metadata and
 * container credentials over http_exchange). */
#ifndef UVAWS_CREDS_CHAIN_H
#define UVAWS_CREDS_CHAIN_H

#include <stdint.h>

#include "credentials.h"
#include "creds_process.h"
#include "creds_sts.h"
#include "fs_read.h"
#include "http_exchange.h"

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
  int attempt;     /* of the current step, from 1 */
  int token_fresh; /* the IMDS token was fetched by this op, not reused */
  http_exchange_t *x;
  fs_read_t *token_read;
  char *role;
} http_op_t;

struct creds_chain_s {
  creds_io_t io;
  int imds_disabled;
  source_t source;
  source_t base; /* where credentials come from before any role: CONTAINER, IMDS, STATIC */
  char *tried; /* the static sources looked at, for the "no credentials" message */
  char *process_cmd;
  char *container_url, *container_token, *container_token_file;
  char *imds_endpoint;
  int imds_v1_disabled;
  long metadata_timeout_ms;
  int metadata_attempts;
  char *imds_token;
  uint64_t imds_token_at; /* loop time (ms) it was fetched */
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

/* Reports a failure to whoever waits (credentials or region). */
void chain_fail(creds_chain_t *ch, int for_region, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* Hands fetched credentials over (the chain keeps nothing of them). */
void chain_succeed(creds_chain_t *ch, creds_t *creds);
/* AssumeRole signed with `source` (consumed unless it is ch->role_source). */
void chain_assume_with(creds_chain_t *ch, creds_t *source);

/* creds_http.c */
/* The container endpoint from the configuration; 0, or -1 with err set. */
int http_setup_container(creds_chain_t *ch, const config_t *cfg, uvaws_error_t *err);
/* Starts fetching credentials (the chain's base: container or instance
 * metadata) or, with for_region, the instance's region. 0 or UVAWS_E*. */
int http_start(creds_chain_t *ch, int for_region);
/* Detaches a running op from a chain being freed. */
void http_orphan(http_op_t *op);

#endif
