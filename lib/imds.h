/* EC2 instance metadata (IMDSv2, with IMDSv1 only where the SDKs fall back
 * to it): the credentials of the instance's role, as a provider, and the
 * instance's region, for a client that has none. One token serves both and
 * is reused while it is good. Every answer is hostile until checked
 * (creds_check.c); every exchange is capped at CREDS_MAX_ANSWER and its
 * buffers cleansed. */
#ifndef UVAWS_IMDS_H
#define UVAWS_IMDS_H

#include "config.h"
#include "creds.h"
#include "uvaws/credentials.h"

typedef struct imds_op_s imds_op_t;

/* Instance metadata as `cfg` configures it (endpoint, IMDSv1, timeout and
 * attempts), reached through `io`. Counted references: NULL without memory. */
imds_t *imds_new(const creds_io_t *io, const config_t *cfg);
imds_t *imds_ref(imds_t *m);
/* Drops a reference (NULL does nothing); the last one frees it. Every op
 * must have ended or been abandoned by then. */
void imds_unref(imds_t *m);

/* `region` on success, else NULL and `detail` says why. */
typedef void (*imds_region_cb)(void *arg, const char *region, const char *detail);

/* Asks for the instance identity document's region; `cb` follows once from
 * the loop. NULL with *rc set when it cannot start (no callback then). */
imds_op_t *imds_fetch_region(imds_t *m, imds_region_cb cb, void *arg, int *rc);

/* The callback will not be called; nothing of the op stays on the transport. */
void imds_abandon(imds_op_t *op);

/* The instance role's credentials, named "instance metadata"; a failure is
 * UVAWS_ENOCREDS (a chain's last resort), a refused answer UVAWS_ECREDS.
 * Takes a reference to `m`. NULL with err set. */
uvaws_creds_provider_t *imds_provider_new(imds_t *m, uvaws_error_t *err);

#endif
