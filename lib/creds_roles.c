/* Roles as credential providers: STS AssumeRole signed with what a source
 * provider answers (a profile's source_profile, the environment, instance
 * metadata, container credentials: any provider), and
 * AssumeRoleWithWebIdentity with a token file read at each fetch (it
 * rotates). The STS requests themselves are creds_sts.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_provider.h"
#include "fs_read.h"
#include "secret.h"

/* What both kinds keep of their role. */
typedef struct {
  creds_io_t io;
  char *endpoint, *region, *role_arn, *session_name, *external_id;
  int duration_s;
  creds_flight_t flight;
  sts_op_t *sts;
} role_t;

static int role_init(role_t *r, const creds_io_t *io, const sts_request_t *q) {
  r->io = *io;
  r->duration_s = q->duration_s;
  flight_init(&r->flight);
  r->endpoint = strdup(q->endpoint);
  r->region = strdup(q->region);
  r->role_arn = strdup(q->role_arn);
  r->session_name = strdup(q->session_name);
  r->external_id = q->external_id ? strdup(q->external_id) : NULL;
  return r->endpoint && r->region && r->role_arn && r->session_name &&
                 (q->external_id == NULL || r->external_id)
             ? 0
             : UVAWS_ENOMEM;
}

static void role_clear(role_t *r) {
  flight_free(&r->flight);
  sts_abandon(r->sts);
  r->sts = NULL;
  free(r->endpoint);
  free(r->region);
  free(r->role_arn);
  free(r->session_name);
  free(r->external_id);
}

static sts_request_t request_of(const role_t *r) {
  sts_request_t q = {r->endpoint, r->region, r->role_arn, r->session_name, r->external_id,
                     r->duration_s};
  return q;
}

static void on_sts(void *arg, creds_t *creds, int code, const char *detail) {
  role_t *r = arg;
  r->sts = NULL;
  if (creds != NULL)
    flight_answer(&r->flight, creds, 0, NULL);
  else
    flight_failf(&r->flight, code, "%s (role %s)", detail, r->role_arn);
}

/* ---- AssumeRole ----------------------------------------------------------- */

typedef struct {
  role_t role; /* first: on_sts gets the role */
  uvaws_signer_t *signer;
  uvaws_creds_provider_t *source;
  int sourcing; /* the source's fetch runs */
  unsigned gen; /* bumped at each: tells a late handle from the current one */
  void *source_handle;
} assume_t;

static void on_source(const uvaws_credentials_t *creds, const uvaws_error_t *err, void *arg) {
  assume_t *a = arg;
  a->sourcing = 0;
  a->source_handle = NULL;
  if (creds == NULL) { /* what the source says; its "nothing here" is this role's failure */
    flight_answer(&a->role.flight, NULL, err->code == UVAWS_ENOCREDS ? UVAWS_ECREDS : err->code,
                  err->detail ? err->detail : uvaws_strerror(err->code));
    return;
  }
  /* Signed with the client's clock and the skew it learnt, as every request. */
  creds_t source = {(char *)creds->access_key, (char *)creds->secret_key,
                    (char *)creds->session_token, creds->expiration};
  sts_request_t q = request_of(&a->role);
  creds_io_t *io = &a->role.io;
  a->role.sts = sts_assume_role(io, a->signer, &q, &source, io->now(io->now_arg), on_sts, &a->role);
  if (a->role.sts == NULL)
    flight_failf(&a->role.flight, UVAWS_ECREDS, "STS AssumeRole for %s: the request could not be built",
         a->role.role_arn);
}

static int assume_start(void *ctx) {
  assume_t *a = ctx;
  unsigned gen = ++a->gen;
  void *h = NULL;
  a->sourcing = 1;
  int rc = uvaws_creds_fetch(a->source, on_source, a, &h);
  if (rc != 0)
    a->sourcing = 0;
  else if (a->sourcing && a->gen == gen)
    a->source_handle = h; /* not answered from inside the fetch */
  return rc;
}

static int assume_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  assume_t *a = p->data;
  return flight_fetch(&a->role.flight, cb, arg, handle, assume_start, a);
}

static void assume_stop(assume_t *a) {
  if (a->sourcing) {
    a->sourcing = 0;
    uvaws_creds_cancel(a->source, a->source_handle);
    a->source_handle = NULL;
  }
  sts_abandon(a->role.sts);
  a->role.sts = NULL;
}

static void assume_cancel(uvaws_creds_provider_t *p, void *handle) {
  assume_t *a = p->data;
  if (flight_leave(&a->role.flight, handle))
    assume_stop(a);
}

static void assume_free(uvaws_creds_provider_t *p) {
  assume_t *a = p->data;
  assume_stop(a);
  role_clear(&a->role);
  uvaws_creds_provider_free(a->source);
  uvaws_signer_free(a->signer);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t assume_ops = {assume_fetch, assume_cancel, assume_free};

uvaws_creds_provider_t *creds_assume_role_new(const creds_io_t *io, const sts_request_t *role,
                                              uvaws_creds_provider_t *source,
                                              uvaws_error_t *err) {
  uvaws_creds_provider_t *p = provider_alloc(&assume_ops, sizeof(assume_t), "STS AssumeRole", 0);
  if (p == NULL) {
    uvaws_creds_provider_free(source);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the AssumeRole provider");
    return NULL;
  }
  assume_t *a = p->data;
  a->source = source;
  if (role_init(&a->role, io, role) != 0 || uvaws_signer_new(&a->signer) != 0) {
    assume_free(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the AssumeRole provider");
    return NULL;
  }
  return p;
}

/* ---- AssumeRoleWithWebIdentity -------------------------------------------- */

typedef struct {
  role_t role; /* first: on_sts gets the role */
  char *token_file;
  fs_read_t *read;
} web_t;

static void on_web_token(void *arg, const char *data, size_t len, int rc) {
  web_t *w = arg;
  w->read = NULL;
  if (rc != 0) {
    flight_failf(&w->role.flight, UVAWS_ECREDS, "web identity: cannot read token file %s: %s", w->token_file,
         uv_strerror(rc));
    return;
  }
  char *token = strndup(data, len);
  if (token != NULL)
    token[strcspn(token, "\r\n")] = '\0';
  sts_request_t q = request_of(&w->role);
  if (token != NULL && token[0] != '\0')
    w->role.sts = sts_assume_role_web_identity(&w->role.io, &q, token, on_sts, &w->role);
  secret_free(token);
  if (w->role.sts == NULL)
    flight_failf(&w->role.flight, UVAWS_ECREDS, "web identity: token file %s is empty or the request could not "
         "be built", w->token_file);
}

static int web_start(void *ctx) {
  web_t *w = ctx;
  w->read = fs_read_start(w->role.io.loop, w->token_file, 65536, on_web_token, w);
  return w->read ? 0 : UVAWS_ENOMEM;
}

static int web_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  web_t *w = p->data;
  return flight_fetch(&w->role.flight, cb, arg, handle, web_start, w);
}

static void web_stop(web_t *w) {
  fs_read_abandon(w->read);
  w->read = NULL;
  sts_abandon(w->role.sts);
  w->role.sts = NULL;
}

static void web_cancel(uvaws_creds_provider_t *p, void *handle) {
  web_t *w = p->data;
  if (flight_leave(&w->role.flight, handle))
    web_stop(w);
}

static void web_free(uvaws_creds_provider_t *p) {
  web_t *w = p->data;
  web_stop(w);
  role_clear(&w->role);
  free(w->token_file);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t web_ops = {web_fetch, web_cancel, web_free};

uvaws_creds_provider_t *creds_web_identity_new(const creds_io_t *io, const sts_request_t *role,
                                               const char *token_file, uvaws_error_t *err) {
  uvaws_creds_provider_t *p =
      provider_alloc(&web_ops, sizeof(web_t), "STS AssumeRoleWithWebIdentity", 0);
  web_t *w = p ? p->data : NULL;
  if (w == NULL || role_init(&w->role, io, role) != 0 ||
      (w->token_file = strdup(token_file)) == NULL) {
    if (w != NULL)
      web_free(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the web identity provider");
    return NULL;
  }
  return p;
}
