/* Credentials from STS: AssumeRole (a profile's role_arn, signed with the
 * source profile's or source's credentials) and AssumeRoleWithWebIdentity
 * (a token file, unsigned). The requests are http_exchanges on the chain's
 * transport; the XML answer is read with xml_to_json. */
#ifndef UVAWS_CREDS_STS_H
#define UVAWS_CREDS_STS_H

#include "creds.h"
#include "uvaws/sigv4.h"

typedef struct sts_op_s sts_op_t;

/* `creds` NULL on failure, then `code` and `detail` say why (STS's error type
 * and message included). */
typedef void (*sts_done_cb)(void *arg, creds_t *creds, int code, const char *detail);

typedef struct {
  const char *endpoint;     /* "https://sts.us-east-1.amazonaws.com" or an override */
  const char *region;       /* signing region */
  const char *role_arn;
  const char *session_name;
  const char *external_id;  /* AssumeRole only; NULL if none */
  int duration_s;           /* 0: STS's default */
} sts_request_t;

/* AssumeRole signed with `source`. NULL when out of memory or the request
 * cannot be built (the callback is not called then). */
sts_op_t *sts_assume_role(const creds_io_t *io, uvaws_signer_t *signer, const sts_request_t *r,
                          const creds_t *source, int64_t now, sts_done_cb cb, void *arg);

/* AssumeRoleWithWebIdentity with `token` (the token file's content). */
sts_op_t *sts_assume_role_web_identity(const creds_io_t *io, const sts_request_t *r,
                                       const char *token, sts_done_cb cb, void *arg);

/* The callback will not be called. */
void sts_abandon(sts_op_t *op);

#endif
