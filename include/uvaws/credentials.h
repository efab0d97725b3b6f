/* Credential providers: where a client's credentials come from.
 *
 * A provider is an object with three operations (fetch, cancel, free) in a
 * table, and data of its own, as a libuv handle has. uvaws's own sources
 * (static keys, the environment, credential_process, container credentials,
 * EC2 instance metadata, STS AssumeRole and AssumeRoleWithWebIdentity, and
 * the chain that tries them in the AWS CLI's order) are providers too, so a
 * program can plug in its own (a vault, a file that rotates) and compose
 * them with the built-in ones.
 *
 * The client does everything around a provider: it asks once however many
 * requests wait, refreshes ahead of expiry, holds a failing provider off,
 * refuses credentials that arrive expired, drops them and asks again once
 * after an expired-token answer, and never runs two fetches at once.
 *
 * Rules for a provider's operations (all on the loop's thread):
 * - fetch: returns 0 and then calls `cb` exactly once, or returns a negative
 *   code and never calls it. It may call `cb` before returning (a provider
 *   that has the answer at hand); callers cope. `*handle` gets what cancel
 *   needs (may be NULL), valid until `cb` is called.
 * - cancel: after it returns, `cb` is not called for that fetch. It is only
 *   called for a fetch whose callback has not run.
 * - free: cancels what runs (no callback follows) and frees the provider.
 *   What it still has open (a timer, a request of the thread pool) may
 *   close later, from the loop.
 * - Several fetches may run at once (clients sharing a provider): the
 *   built-in providers serve them with one underlying operation.
 *
 * A provider given to a client is borrowed: the client never frees it; free
 * it after the client's close callback. A provider composed into a chain is
 * owned by the chain, and freed with it.
 */
#ifndef UVAWS_CREDENTIALS_H
#define UVAWS_CREDENTIALS_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Credentials as a provider answers them. */
typedef struct {
  const char *access_key;
  const char *secret_key;
  const char *session_token; /* NULL: none */
  int64_t expiration;        /* seconds since the Unix epoch; 0: they never expire */
} uvaws_credentials_t;

typedef struct uvaws_creds_provider_s uvaws_creds_provider_t;

/* The answer to one fetch: credentials (valid during the call only: copy
 * what you keep), or NULL and why in `err`: UVAWS_ENOCREDS when the provider
 * has nothing to offer (a chain then asks the next one), UVAWS_ECREDS when
 * it failed, or any other code. */
typedef void (*uvaws_creds_cb)(const uvaws_credentials_t *creds, const uvaws_error_t *err,
                               void *arg);

typedef struct {
  int (*fetch)(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle);
  void (*cancel)(uvaws_creds_provider_t *p, void *handle);
  void (*free)(uvaws_creds_provider_t *p);
} uvaws_creds_provider_ops_t;

/* Its answers never change (static keys): the client fetches them once,
 * never refreshes them, and does not drop them after an expired-token
 * answer; when they carry an expiration, requests end once it is near. */
#define UVAWS_CREDS_FIXED 1u

struct uvaws_creds_provider_s {
  const uvaws_creds_provider_ops_t *ops;
  void *data;       /* the implementation's */
  const char *name; /* for messages and logs: "credential_process", "my vault" */
  unsigned flags;   /* UVAWS_CREDS_* */
};

/* Calls p->ops->fetch, after checking the arguments: UVAWS_EINVAL for a NULL
 * provider, operation or callback. `handle` may be NULL when the caller
 * never cancels. */
UVAWS_EXTERN int uvaws_creds_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg,
                                   void **handle);

/* Cancels a fetch (see the rules above). NULL does nothing. */
UVAWS_EXTERN void uvaws_creds_cancel(uvaws_creds_provider_t *p, void *handle);

/* Frees a provider (see the rules above). NULL does nothing. */
UVAWS_EXTERN void uvaws_creds_provider_free(uvaws_creds_provider_t *p);

/* ---- built-in providers ---------------------------------------------------
 * Each returns 0 with *out set, or a negative code with `err` (may be NULL)
 * saying why. */

/* The same credentials every time (copied), flagged UVAWS_CREDS_FIXED.
 * UVAWS_EINVAL for a key id or secret that is missing or malformed, or a
 * secret or token holding control characters. */
UVAWS_EXTERN int uvaws_creds_provider_static(const uvaws_credentials_t *creds,
                                             uvaws_creds_provider_t **out, uvaws_error_t *err);

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or
 * AWS_SECURITY_TOKEN) and AWS_CREDENTIAL_EXPIRATION, read now. Without both
 * keys it answers UVAWS_ENOCREDS (a chain goes on to the next provider).
 * UVAWS_ECONFIG for an expiration that is no RFC 3339 time. */
UVAWS_EXTERN int uvaws_creds_provider_environment(uvaws_creds_provider_t **out,
                                                  uvaws_error_t *err);

/* Runs `command` (split as a POSIX shell splits words, never through a
 * shell) at each fetch and reads its JSON (Version 1) from standard output,
 * as the AWS CLI's credential_process; killed after 60 s or 64 KiB of
 * output. UVAWS_EINVAL for an empty command or an unclosed quote. */
UVAWS_EXTERN int uvaws_creds_provider_process(uv_loop_t *loop, const char *command,
                                              uvaws_creds_provider_t **out, uvaws_error_t *err);

/* Asks `members` in order until one answers; from then on asks only that
 * one, as the AWS CLI sticks to the provider that answered. A member that
 * answers UVAWS_ENOCREDS passes to the next; any other failure is the
 * chain's answer. The chain takes the members (it frees them with itself)
 * and the array is copied. UVAWS_EINVAL for no members or a NULL one. */
UVAWS_EXTERN int uvaws_creds_provider_chain(uvaws_creds_provider_t *const *members, size_t n,
                                            uvaws_creds_provider_t **out, uvaws_error_t *err);

typedef struct {
  const char *profile;   /* NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default" */
  const char *region;    /* where STS is asked (roles, web identity); NULL: AWS_REGION,
                            AWS_DEFAULT_REGION, the profile's, else us-east-1 */
  const char *ca_file;   /* PEM bundle for the https sources (STS, container) */
  int tls_no_verify;     /* 1 turns TLS verification off: for tests only */
  uvaws_clock_fn clock;  /* signs STS AssumeRole requests; NULL: the wall clock */
  void *clock_arg;
} uvaws_creds_chain_options_t;

/* The chain a client builds when given no credentials: the environment, a
 * profile's role (AssumeRole from source_profile or credential_source) or
 * web identity, the shared files, credential_process, container
 * credentials, EC2 instance metadata, as configured now (the files and the
 * environment are read here, once). Its HTTP goes through a transport of
 * its own on `loop`. `opts` may be NULL. UVAWS_ENOCREDS when nothing is
 * configured (every place looked at in err->detail), and the errors of a
 * client's creation for a broken profile. */
UVAWS_EXTERN int uvaws_creds_provider_default_chain(uv_loop_t *loop,
                                                    const uvaws_creds_chain_options_t *opts,
                                                    uvaws_creds_provider_t **out,
                                                    uvaws_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
