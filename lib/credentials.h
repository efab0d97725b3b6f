/* Credentials that need I/O, fetched without blocking the loop:
 * credential_process (uv_spawn), container credentials and EC2 instance
 * metadata (IMDSv2, with IMDSv1 only where the SDKs fall back to it), STS.
 * All HTTP goes through an http_exchange on the transport it is given: the
 * chain needs a loop, a transport and a clock, never a client.
 * Every answer is checked when it arrives (creds_check.h): malformed fields,
 * control characters and bad times refuse the answer with UVAWS_ECREDS.
 *
 * The chain tries its sources in the AWS CLI's order the first time, then
 * sticks to the one that answered, as botocore does: refreshing never jumps
 * to a different identity. */
#ifndef UVAWS_CREDENTIALS_H
#define UVAWS_CREDENTIALS_H

#include <stdint.h>

#include <uv.h>

#include "config.h"
#include "transport.h"
#include "uvaws/error.h"

/* What the chain runs on: the loop, the transport its HTTP goes through (not
 * owned), and the clock STS requests are signed with (the client's, with
 * the skew it learnt: seconds since the epoch). */
typedef struct {
  uv_loop_t *loop;
  transport_t *transport;
  int64_t (*now)(void *arg);
  void *now_arg;
} creds_io_t;

typedef struct {
  char *access_key;
  char *secret_key;
  char *session_token; /* NULL when none */
  int64_t expiration;  /* seconds since the epoch; 0: does not expire (never 0 otherwise) */
} creds_t;

void creds_clear(creds_t *c); /* cleanses and frees, zeroes */

typedef struct creds_chain_s creds_chain_t;

/* `creds` is the caller's to keep (steal the strings or creds_clear it);
 * `err` is set instead when no source answered: UVAWS_ENOCREDS with every
 * source tried in detail, or UVAWS_ECREDS when the chosen source failed. */
typedef void (*creds_done_cb)(void *arg, creds_t *creds, const uvaws_error_t *err);

/* A chain for what `cfg` and the environment offer, in the AWS CLI's order
 * after static credentials: a role (role_arn with source_profile or
 * credential_source: AssumeRole), web identity (AssumeRoleWithWebIdentity),
 * credential_process, container credentials, instance metadata. STS is reached
 * at `sts_endpoint`, signing for `sts_region`. Returns NULL with err set (a
 * role whose source cannot work: UVAWS_ECONFIG/UVAWS_ECREDS; UVAWS_ENOMEM).
 * creds_chain_has_source says whether any source can answer at all. */
creds_chain_t *creds_chain_new(const creds_io_t *io, const config_t *cfg,
                               const char *sts_endpoint, const char *sts_region,
                               uvaws_error_t *err);

/* Starts one fetch; `cb` is called once, from the loop. One fetch at a time:
 * returns UVAWS_EBUSY while one runs. */
int creds_chain_fetch(creds_chain_t *ch, creds_done_cb cb, void *arg);

/* Asks instance metadata for the region (instance identity document). */
int creds_chain_fetch_region(creds_chain_t *ch, void (*cb)(void *arg, const char *region,
                                                           const uvaws_error_t *err),
                             void *arg);

/* 0 when no source can answer (then creds_chain_tried says what was looked at). */
int creds_chain_has_source(const creds_chain_t *ch);
const char *creds_chain_tried(const creds_chain_t *ch);

/* Stops what runs, credentials and region alike: no callback follows, and
 * nothing of the chain is on the transport any more. */
void creds_chain_stop(creds_chain_t *ch);

/* Stops what runs (its callback is not called) and frees the chain. */
void creds_chain_free(creds_chain_t *ch);

/* What the chain fetches from, for messages: "credential_process",
 * "container credentials", "instance metadata", "STS AssumeRole",
 * "STS AssumeRoleWithWebIdentity". */
const char *creds_chain_source_name(const creds_chain_t *ch);

#endif
