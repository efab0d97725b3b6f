/* The credential provider interface (uvaws/credentials.h): its checked entry
 * points, the flight the built-in providers share, and the providers that
 * need no I/O: static keys, the environment, and the chain. */
#include "creds_provider.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "creds_check.h"
#include "imds.h"
#include "secret.h"

/* ---- the interface -------------------------------------------------------- */

int uvaws_creds_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  if (handle != NULL)
    *handle = NULL;
  if (p == NULL || p->ops == NULL || p->ops->fetch == NULL || cb == NULL)
    return UVAWS_EINVAL;
  void *h = NULL;
  int rc = p->ops->fetch(p, cb, arg, &h);
  if (handle != NULL && rc == 0)
    *handle = h;
  return rc;
}

void uvaws_creds_cancel(uvaws_creds_provider_t *p, void *handle) {
  if (p != NULL && p->ops != NULL && p->ops->cancel != NULL)
    p->ops->cancel(p, handle);
}

void uvaws_creds_provider_free(uvaws_creds_provider_t *p) {
  if (p != NULL && p->ops != NULL && p->ops->free != NULL)
    p->ops->free(p);
}

/* ---- allocation ----------------------------------------------------------- */

typedef struct {
  uvaws_creds_provider_t p; /* first: the provider is the allocation */
  max_align_t data[];
} holder_t;

uvaws_creds_provider_t *provider_alloc(const uvaws_creds_provider_ops_t *ops, size_t data_size,
                                       const char *name, unsigned flags) {
  holder_t *h = calloc(1, sizeof *h + data_size);
  if (h == NULL)
    return NULL;
  h->p.ops = ops;
  h->p.data = h->data;
  h->p.name = name;
  h->p.flags = flags;
  return &h->p;
}

void provider_release(uvaws_creds_provider_t *p) { free(p); }

/* ---- flights -------------------------------------------------------------- */

typedef struct {
  list_t link;
  uvaws_creds_cb cb;
  void *arg;
} waiter_t;

/* One flight_answer in progress: its waiters, and whether the flight still
 * exists (a callback may free the provider). */
struct flight_frame_s {
  list_t taken;
  int alive;
  struct flight_frame_s *outer;
};

void flight_init(creds_flight_t *f) {
  list_init(&f->waiters);
  f->frames = NULL;
}

int flight_join(creds_flight_t *f, uvaws_creds_cb cb, void *arg, void **handle) {
  waiter_t *w = calloc(1, sizeof *w);
  if (w == NULL)
    return UVAWS_ENOMEM;
  w->cb = cb;
  w->arg = arg;
  int first = list_empty(&f->waiters);
  list_push_back(&f->waiters, &w->link);
  if (handle != NULL)
    *handle = w;
  return first;
}

int flight_leave(creds_flight_t *f, void *handle) {
  waiter_t *w = handle;
  if (w != NULL) {
    list_remove(&w->link);
    free(w);
  }
  return list_empty(&f->waiters);
}

static void free_waiters(list_t *l) {
  list_t *n;
  while ((n = list_pop_front(l)) != NULL)
    free(list_entry(n, waiter_t, link));
}

void flight_free(creds_flight_t *f) {
  free_waiters(&f->waiters);
  for (struct flight_frame_s *fr = f->frames; fr != NULL; fr = fr->outer) {
    free_waiters(&fr->taken);
    fr->alive = 0;
  }
  f->frames = NULL;
}

static void answer_all(creds_flight_t *f, const uvaws_credentials_t *creds,
                       const uvaws_error_t *err) {
  struct flight_frame_s frame = {.alive = 1, .outer = f->frames};
  list_init(&frame.taken);
  list_splice(&f->waiters, &frame.taken);
  /* GCC cannot see that the frame is unlinked before it goes: below when the
   * flight lives on, by flight_free (which clears f->frames) when not. */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
  f->frames = &frame;
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif
  list_t *n;
  while (frame.alive && (n = list_pop_front(&frame.taken)) != NULL) {
    waiter_t *w = list_entry(n, waiter_t, link);
    uvaws_creds_cb cb = w->cb;
    void *arg = w->arg;
    free(w);
    cb(creds, creds ? NULL : err, arg);
  }
  if (frame.alive)
    f->frames = frame.outer;
}

void flight_answer(creds_flight_t *f, const creds_t *creds, int code, const char *detail) {
  if (creds != NULL) {
    uvaws_credentials_t view = creds_view(creds);
    answer_all(f, &view, NULL);
    return;
  }
  uvaws_error_t err = {0};
  uvaws_error_set(&err, code, "%s", detail);
  answer_all(f, NULL, &err);
  uvaws_error_clear(&err);
}

void flight_failf(creds_flight_t *f, int code, const char *fmt, ...) {
  char detail[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  flight_answer(f, NULL, code, detail);
}

int flight_fetch(creds_flight_t *f, uvaws_creds_cb cb, void *arg, void **handle,
                 int (*start)(void *ctx), void *ctx) {
  void *h = NULL;
  int first = flight_join(f, cb, arg, &h);
  if (first <= 0)
    goto out;
  int rc = start(ctx);
  if (rc != 0) {
    flight_leave(f, h);
    return rc;
  }
out:
  *handle = h;
  return first < 0 ? first : 0;
}

void flight_forward(creds_flight_t *f, const uvaws_credentials_t *creds, const uvaws_error_t *err) {
  answer_all(f, creds, err);
}

/* ---- static credentials and the environment ------------------------------ */

typedef struct {
  creds_t creds;
  char *missing; /* no credentials: why, for UVAWS_ENOCREDS */
} static_t;

static int static_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  static_t *s = p->data;
  *handle = NULL; /* the answer comes at once: nothing to cancel */
  if (s->creds.access_key != NULL) {
    uvaws_credentials_t view = creds_view(&s->creds);
    cb(&view, NULL, arg);
    return 0;
  }
  uvaws_error_t err = {0};
  uvaws_error_set(&err, UVAWS_ENOCREDS, "%s", s->missing);
  cb(NULL, &err, arg);
  uvaws_error_clear(&err);
  return 0;
}

static void static_cancel(uvaws_creds_provider_t *p, void *handle) {
  (void)p;
  (void)handle;
}

static void static_free(uvaws_creds_provider_t *p) {
  static_t *s = p->data;
  creds_clear(&s->creds);
  free(s->missing);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t static_ops = {static_fetch, static_cancel, static_free};

uvaws_creds_provider_t *creds_static_new(const char *name, const creds_t *c, const char *missing,
                                         uvaws_error_t *err) {
  uvaws_creds_provider_t *p =
      provider_alloc(&static_ops, sizeof(static_t), name, c->access_key ? UVAWS_CREDS_FIXED : 0);
  if (p == NULL) {
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the %s provider", name);
    return NULL;
  }
  static_t *s = p->data;
  uvaws_credentials_t view = creds_view(c);
  if ((c->access_key != NULL && creds_copy(&s->creds, &view) != 0) ||
      (missing != NULL && (s->missing = strdup(missing)) == NULL)) {
    static_free(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the %s provider", name);
    return NULL;
  }
  return p;
}

int uvaws_creds_provider_static(const uvaws_credentials_t *creds, uvaws_creds_provider_t **out,
                                uvaws_error_t *err) {
  if (out != NULL)
    *out = NULL;
  if (creds == NULL || out == NULL || creds->access_key == NULL || creds->secret_key == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "credentials (a key id and a secret) and out are "
                                              "required");
  creds_t c = {(char *)creds->access_key, (char *)creds->secret_key,
               (char *)creds->session_token, creds->expiration};
  const char *why = NULL;
  if (creds_check_fields(&c, &why) != 0)
    return uvaws_error_set(err, UVAWS_EINVAL, "static credentials: %s", why);
  *out = creds_static_new("static credentials", &c, NULL, err);
  return *out ? 0 : UVAWS_ENOMEM;
}

uvaws_creds_provider_t *creds_static_from_config(const config_t *cfg, uvaws_error_t *err) {
  static const char *const names[] = {
      [CREDS_FROM_NONE] = "static credentials",
      [CREDS_FROM_OPTIONS] = "the options",
      [CREDS_FROM_ENV] = "the environment",
      [CREDS_FROM_CREDENTIALS_FILE] = "the shared credentials file",
      [CREDS_FROM_CONFIG_FILE] = "the config file",
  };
  const char *name = names[cfg->creds_source];
  if (cfg->creds_source == CREDS_FROM_ENV && cfg->expiration != 0)
    name = "the environment (AWS_CREDENTIAL_EXPIRATION)";
  creds_t c = {cfg->access_key, cfg->secret_key, cfg->session_token, cfg->expiration};
  return creds_static_new(name, &c, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                          err);
}

int uvaws_creds_provider_environment(uvaws_creds_provider_t **out, uvaws_error_t *err) {
  if (out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "out is required");
  *out = NULL;
  config_t cfg;
  int rc = config_env_credentials(&cfg, err);
  if (rc != 0)
    return rc;
  cfg.creds_source = CREDS_FROM_ENV;
  *out = creds_static_from_config(&cfg, err);
  config_free(&cfg);
  return *out ? 0 : UVAWS_ENOMEM;
}

/* ---- the chain ------------------------------------------------------------ */

typedef struct {
  uvaws_creds_provider_t **members;
  size_t n;
  size_t at;     /* the member being asked */
  size_t stuck;  /* the member that answered, n before one did */
  int asking;    /* a member's fetch runs */
  unsigned gen;  /* bumped at each ask: tells a late handle from the current one */
  void *member_handle;
  char *tried;
  creds_flight_t flight;
  transport_t *transport; /* owned, when set */
  imds_t *imds;           /* a reference, when set */
} chain_t;

static void ask(uvaws_creds_provider_t *p);

static void on_member(const uvaws_credentials_t *creds, const uvaws_error_t *err, void *arg) {
  uvaws_creds_provider_t *p = arg;
  chain_t *c = p->data;
  c->asking = 0;
  c->member_handle = NULL;
  if (creds != NULL) {
    /* From now on only this member is asked: the chain speaks for it. */
    c->stuck = c->at;
    p->name = c->members[c->at]->name;
    p->flags = c->members[c->at]->flags;
    flight_forward(&c->flight, creds, NULL);
    return;
  }
  if (err->code == UVAWS_ENOCREDS && c->stuck == c->n && c->at + 1 < c->n) {
    c->at++;
    ask(p);
    return;
  }
  if (err->code == UVAWS_ENOCREDS && c->tried != NULL) {
    char detail[3072];
    snprintf(detail, sizeof detail, "no credentials: tried %s; %s", c->tried,
             err->detail ? err->detail : uvaws_strerror(err->code));
    flight_answer(&c->flight, NULL, err->code, detail);
    return;
  }
  flight_forward(&c->flight, NULL, err);
}

static void ask(uvaws_creds_provider_t *p) {
  chain_t *c = p->data;
  unsigned gen = ++c->gen;
  void *h = NULL;
  c->asking = 1;
  int rc = uvaws_creds_fetch(c->members[c->at], on_member, p, &h);
  if (rc == 0 && c->asking && c->gen == gen) {
    c->member_handle = h; /* not answered from inside the fetch */
    return;
  }
  if (rc != 0) { /* refused at once: an answer like any other */
    uvaws_error_t err = {0};
    uvaws_error_set(&err, rc, "%s: %s", c->members[c->at]->name ? c->members[c->at]->name
                    : "a credential provider", uvaws_strerror(rc));
    on_member(NULL, &err, p);
    uvaws_error_clear(&err);
  }
}

static int chain_start(void *ctx) {
  uvaws_creds_provider_t *p = ctx;
  chain_t *c = p->data;
  c->at = c->stuck < c->n ? c->stuck : 0;
  ask(p);
  return 0;
}

static int chain_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  chain_t *c = p->data;
  return flight_fetch(&c->flight, cb, arg, handle, chain_start, p);
}

static void chain_cancel(uvaws_creds_provider_t *p, void *handle) {
  chain_t *c = p->data;
  if (flight_leave(&c->flight, handle) && c->asking) {
    c->asking = 0;
    uvaws_creds_cancel(c->members[c->at], c->member_handle);
    c->member_handle = NULL;
  }
}

static void chain_free(uvaws_creds_provider_t *p) {
  chain_t *c = p->data;
  flight_free(&c->flight);
  /* The members first: they stop what they have on the transport. */
  for (size_t i = 0; i < c->n; i++)
    uvaws_creds_provider_free(c->members[i]);
  free(c->members);
  free(c->tried);
  imds_unref(c->imds);
  if (c->transport != NULL)
    transport_free(c->transport);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t chain_ops = {chain_fetch, chain_cancel, chain_free};

uvaws_creds_provider_t *creds_chain_new(uvaws_creds_provider_t *const *members, size_t n,
                                        const char *tried, uvaws_error_t *err) {
  uvaws_creds_provider_t *p = provider_alloc(&chain_ops, sizeof(chain_t), members[0]->name,
                                             members[0]->flags);
  chain_t *c = p ? p->data : NULL;
  if (c != NULL) {
    flight_init(&c->flight);
    c->members = malloc(n * sizeof *c->members);
    c->tried = tried ? strdup(tried) : NULL;
  }
  if (c == NULL || c->members == NULL || (tried && c->tried == NULL)) {
    if (c != NULL) {
      free(c->members);
      free(c->tried);
    }
    provider_release(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential chain");
    return NULL;
  }
  memcpy(c->members, members, n * sizeof *c->members);
  c->n = n;
  c->stuck = n;
  return p;
}

void creds_chain_own(uvaws_creds_provider_t *chain, transport_t *t, imds_t *imds) {
  chain_t *c = chain->data;
  c->transport = t;
  c->imds = imds;
}

int uvaws_creds_provider_chain(uvaws_creds_provider_t *const *members, size_t n,
                               uvaws_creds_provider_t **out, uvaws_error_t *err) {
  if (out != NULL)
    *out = NULL;
  if (members == NULL || n == 0 || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "a chain needs members and out");
  for (size_t i = 0; i < n; i++)
    if (members[i] == NULL || members[i]->ops == NULL)
      return uvaws_error_set(err, UVAWS_EINVAL, "member %zu of the chain is not a provider", i);
  *out = creds_chain_new(members, n, NULL, err);
  return *out ? 0 : UVAWS_ENOMEM;
}
