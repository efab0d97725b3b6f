/* What the built-in credential providers share: their allocation, and the
 * "flight" through which every fetch of one provider waits on one
 * underlying operation (a process, an HTTP conversation, a role to assume).
 * uvaws/credentials.h is the interface they implement. */
#ifndef UVAWS_CREDS_PROVIDER_H
#define UVAWS_CREDS_PROVIDER_H

#include <stddef.h>

#include "creds.h"
#include "creds_sts.h"
#include "list.h"
#include "uvaws/credentials.h"

/* A provider and `data_size` bytes of zeroed data after it (p->data), named
 * `name` (a string that outlives it). NULL without memory. Free with
 * provider_release once its own data is freed. */
uvaws_creds_provider_t *provider_alloc(const uvaws_creds_provider_ops_t *ops, size_t data_size,
                                       const char *name, unsigned flags);
void provider_release(uvaws_creds_provider_t *p);

/* The fetches waiting on one operation. */
typedef struct {
  list_t waiters;
  struct flight_frame_s *frames; /* answers in progress (see flight_answer) */
} creds_flight_t;

void flight_init(creds_flight_t *f);
/* Drops every waiting fetch without a callback, those of an answer in
 * progress too (its provider is being freed from a callback). */
void flight_free(creds_flight_t *f);

/* Adds a fetch; *handle (may be NULL) gets what flight_leave takes. Returns
 * 1 when it is the first (the caller starts the operation), 0 when it joins
 * one that runs, UVAWS_ENOMEM. */
int flight_join(creds_flight_t *f, uvaws_creds_cb cb, void *arg, void **handle);

/* Takes a fetch out (cancel): its callback will not be called. Returns 1
 * when no fetch is left (the caller may stop the operation). */
int flight_leave(creds_flight_t *f, void *handle);

/* A provider's fetch: joins `f`; the first fetch also runs start(ctx) (which
 * starts the operation) and, if that fails, leaves again and returns its
 * code (no callback then). */
int flight_fetch(creds_flight_t *f, uvaws_creds_cb cb, void *arg, void **handle,
                 int (*start)(void *ctx), void *ctx);

/* Answers every waiting fetch once: credentials, or `code` and `detail`.
 * The waiters are taken first, so a callback may fetch again (a new
 * operation) or cancel another fetch of this flight. */
void flight_answer(creds_flight_t *f, const creds_t *creds, int code, const char *detail);

/* A failure with a printf-style detail. */
void flight_failf(creds_flight_t *f, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* The same with a public answer, as a member's callback gets it. */
void flight_forward(creds_flight_t *f, const uvaws_credentials_t *creds, const uvaws_error_t *err);

/* Internal constructors of providers built elsewhere in lib/ (the public
 * uvaws_creds_provider_* wrap them). */

/* Always `c` (copied), flagged UVAWS_CREDS_FIXED; or, when c->access_key is
 * NULL, always UVAWS_ENOCREDS with `missing` as the detail. */
uvaws_creds_provider_t *creds_static_new(const char *name, const creds_t *c, const char *missing,
                                         uvaws_error_t *err);

/* A chain of `n` members (taken); `tried` (copied; may be NULL) prefixes an
 * UVAWS_ENOCREDS from the last member: "no credentials: tried TRIED; ...". */
uvaws_creds_provider_t *creds_chain_new(uvaws_creds_provider_t *const *members, size_t n,
                                        const char *tried, uvaws_error_t *err);

/* Container credentials as `cfg` configures them (creds_container.c);
 * UVAWS_ECREDS for a URL or token that is refused. */
uvaws_creds_provider_t *creds_container_new(const creds_io_t *io, const config_t *cfg,
                                            uvaws_error_t *err);

/* credential_process (creds_process.c). */
uvaws_creds_provider_t *creds_process_new(uv_loop_t *loop, const char *command,
                                          uvaws_error_t *err);

/* A role to assume (creds_roles.c): STS AssumeRole signed with what
 * `source` answers (taken), or AssumeRoleWithWebIdentity with the token read
 * from `token_file` at each fetch. */
uvaws_creds_provider_t *creds_assume_role_new(const creds_io_t *io, const sts_request_t *role,
                                              uvaws_creds_provider_t *source, uvaws_error_t *err);
uvaws_creds_provider_t *creds_web_identity_new(const creds_io_t *io, const sts_request_t *role,
                                               const char *token_file, uvaws_error_t *err);

/* Resources a chain frees after its members: a transport of its own (closed
 * from the loop) and a reference to instance metadata. */
void creds_chain_own(uvaws_creds_provider_t *chain, transport_t *t, imds_t *imds);

#endif
