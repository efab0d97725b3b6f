/* uvaws_call: an operation of the client's service, by its model. The
 * parameters are checked and serialized before the call returns; a problem
 * found there is delivered through the callback, from the loop, like any
 * other failure. The answer is parsed by the output shape before the
 * callback. */
#include "call_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "future_internal.h"
#include "sized.h"
#include "uvaws/sigv4.h"

/* ---- results ---------------------------------------------------------------- */

cJSON *uvaws_result_steal(uvaws_result_t *res) {
  if (res == NULL)
    return NULL;
  cJSON *out = res->output;
  res->output = NULL;
  return out;
}

int uvaws_op_cancel(uvaws_op_t *op) {
  if (op == NULL || op->cancel == NULL)
    return UVAWS_EINVAL;
  return op->cancel(op);
}

static void call_free(call_t *cl) {
  if (cl->payload_free != NULL)
    cl->payload_free((void *)cl->payload);
  free(cl->stream);
  op_req_free(&cl->req);
  uvaws_error_clear(&cl->err);
  free(cl->request_id);
  free(cl->unsent_op);
  free(cl);
}

/* Hands the result to the caller. */
static void deliver(call_t *cl, uvaws_result_t *res) {
  cl->state = CALL_DONE;
  client_enter_callback(cl->client);
  cl->cb(res, cl->arg);
  client_leave_callback(cl->client);
  cJSON_Delete(res->output);
}

/* Hands the result to the caller, then frees the call. */
static void finish(call_t *cl, uvaws_result_t *res) {
  deliver(cl, res);
  call_free(cl);
}

/* An error found before anything was sent, delivered from the loop (and
 * told to the observation hook first: a call that sent nothing is one too). */
static void on_early_error(defer_t *d) {
  call_t *cl = (call_t *)((char *)d - offsetof(call_t, defer));
  if (cl->started_ns)
    client_observe_unsent(cl->client, cl->unsent_op, cl->err.code, cl->started_ns);
  uvaws_result_t res = {.error = &cl->err};
  finish(cl, &res);
}

static int fail_early(call_t *cl, const char *operation) {
  if (cl->started_ns)
    cl->unsent_op = strdup(operation); /* NULL when out of memory: then told as none */
  cl->state = CALL_EARLY;
  client_defer(cl->client, &cl->defer, on_early_error);
  return 0;
}

static void on_answer(const uvaws_response_t *r, void *arg) {
  call_t *cl = arg;
  cl->job = NULL;
  uvaws_result_t res = {.response = r};
  if (r->error != NULL) {
    if (uvaws_error_copy(&cl->err, r->error) != 0)
      uvaws_error_set(&cl->err, r->error->code, "out of memory copying the error");
    if (cl->err.code == UVAWS_EAWS)
      op_error_by_status(&cl->err, r->body_len);
  } else if (s3_error_in_200(cl, r)) {
    /* filled cl->err */
  } else if (op_parse(cl->m, cl->mop, r, &res.output, &cl->request_id, &cl->err) == 0) {
    s3_fix_output(cl, r, res.output);
    stream_finish(cl);
    const mref_t *out = cl->mop->output != MODEL_NONE ? model_mref(cl->m, cl->mop->output) : NULL;
    if (op_raw_payload(cl->m, out) != NULL && !cl->streamed_out) {
      res.payload = r->body;
      res.payload_len = r->body_len;
    }
  } else {
    cl->err.http_status = r->status;
  }
  if (cl->err.code != 0)
    res.error = &cl->err;
  res.request_id = cl->request_id;
  if (res.request_id == NULL)
    res.request_id = res.error && res.error->request_id ? res.error->request_id : NULL;
  for (size_t i = 0; res.request_id == NULL && i < r->header_count; i++) {
    /* x-amzn-RequestId, or S3's x-amz-request-id: both 16 characters */
    const char *n = r->headers[i].name;
    if ((n[0] | 0x20) == 'x' && strlen(n) == 16 &&
        (strcasecmp(n, "x-amzn-RequestId") == 0 || strcasecmp(n, "x-amz-request-id") == 0))
      res.request_id = r->headers[i].value;
  }
  finish(cl, &res);
}

static int call_cancel(uvaws_op_t *op) {
  call_t *cl = (call_t *)op;
  switch (cl->state) {
  case CALL_SENT:
    return cl->job ? uvaws_cancel(cl->job) : UVAWS_EBUSY;
  case CALL_HASHING:
    if (cl->cancelled || cl->client_gone)
      return UVAWS_EBUSY;
    cl->cancelled = 1; /* the hash's end delivers it */
    return 0;
  default: /* CALL_EARLY: its outcome is on its way; CALL_DONE: in its callback */
    return UVAWS_EBUSY;
  }
}

/* ---- the model --------------------------------------------------------------- */

const model_t *call_model(uvaws_client_t *c, char *why, size_t n) {
  const model_t *m = client_model(c);
  if (m != NULL)
    return m;
  const uvaws_service_t *svc = uvaws_client_service(c);
  if (svc == NULL) {
    char dir_why[512] = "";
    size_t count;
    if (model_services(&count, dir_why, sizeof dir_why) == NULL)
      snprintf(why, n, "%s", dir_why);
    else
      snprintf(why, n, "the client's service has no model (see uvaws_service_find)");
    return NULL;
  }
  m = model_get(svc->name, why, n);
  if (m != NULL)
    client_set_model(c, m);
  return m;
}

static const char *op_name_at(const void *ctx, size_t i) {
  const model_t *m = ctx;
  return model_str(m, m->ops[i].name);
}

int call_unknown(uvaws_error_t *e, const model_t *m, const char *kind, const char *name,
                 suggest_name_fn get, size_t n) {
  buf_t hint = {0};
  if (suggest(name, get, m, n, &hint) > 0 && buf_str(&hint))
    uvaws_error_set(e, UVAWS_EOPERATION, "%s has no %s %s; did you mean %s?", m->svc->name, kind,
                    name, hint.data);
  else
    uvaws_error_set(e, UVAWS_EOPERATION, "%s has no %s %s (uvaws help %s lists what it has)",
                    m->svc->name, kind, name, m->svc->name);
  buf_free(&hint);
  return UVAWS_EOPERATION;
}

/* Why an operation cannot be called, or NULL. */
static const char *unsupported(const model_t *m, const mop_t *op) {
  if (m->signature == MSIG_V2)
    return "signs with Signature Version 2, which uvaws does not speak";
  if (m->signature == MSIG_BEARER)
    return "signs with bearer tokens, which uvaws does not speak";
  if (op->flags & MO_EVENTSTREAM) /* found when the model was compiled */
    return "streams events, which uvaws does not speak";
  return NULL;
}

/* ---- calls ------------------------------------------------------------------- */

int uvaws_call_options_init(uvaws_call_options_t *o) {
  if (o == NULL)
    return UVAWS_EINVAL;
  uvaws_call_options_t deflt = UVAWS_CALL_OPTIONS_INIT;
  *o = deflt;
  return 0;
}

static int options_ok(const uvaws_call_options_t *o, uvaws_call_options_t *copy) {
  uvaws_call_options_t deflt = UVAWS_CALL_OPTIONS_INIT;
  *copy = deflt;
  if (o == NULL)
    return 1;
  if (sized_read(copy, sizeof *copy, o, NULL) != 0)
    return 0;
  if (copy->payload_len && copy->payload == NULL)
    return 0;
  if (copy->payload != NULL && copy->upload_fd >= 0)
    return 0;
  return 1;
}

int uvaws_call_ex(uvaws_client_t *c, const char *operation, const cJSON *params,
                  const uvaws_call_options_t *options, uvaws_result_cb cb, void *arg,
                  uvaws_op_t **op_out) {
  if (op_out)
    *op_out = NULL;
  uvaws_call_options_t o;
  if (c == NULL || cb == NULL || operation == NULL || operation[0] == '\0' ||
      (params && !cJSON_IsObject(params)) || !options_ok(options, &o))
    return UVAWS_EINVAL;
  if (client_is_closing(c))
    return UVAWS_ECLOSED;
  call_t *cl = calloc(1, sizeof *cl);
  if (cl == NULL)
    return UVAWS_ENOMEM;
  cl->op.cancel = call_cancel;
  cl->client = c;
  if (client_observing(c))
    cl->started_ns = uv_hrtime();
  cl->cb = cb;
  cl->arg = arg;
  cl->opts = o;
  cl->payload = o.payload;
  cl->payload_free = o.payload_free;
  if (op_out)
    *op_out = &cl->op;
  char why[512];
  if ((cl->m = call_model(c, why, sizeof why)) == NULL) {
    uvaws_error_set(&cl->err, UVAWS_ESERVICE, "%s", why);
    return fail_early(cl, operation);
  }
  const model_t *m = cl->m;
  if ((cl->mop = model_op(m, operation)) == NULL) {
    call_unknown(&cl->err, m, "operation", operation, op_name_at, m->h->op_count);
    return fail_early(cl, operation);
  }
  const char *no = unsupported(m, cl->mop);
  if (no != NULL) {
    uvaws_error_set(&cl->err, UVAWS_EOPERATION, "%s %s %s", m->svc->name, operation, no);
    return fail_early(cl, operation);
  }
  cJSON *owned = NULL;
  const cJSON *p = params;
  op_plan_t plan;
  int rc = quirks_params(m, cl->mop, &p, &owned);
  if (rc != 0)
    uvaws_error_set(&cl->err, rc, "copying the parameters");
  if (rc == 0)
    rc = op_check(m, cl->mop, p, &plan, &cl->err);
  if (rc == 0)
    rc = op_serialize(m, cl->mop, p, &plan, &cl->req, &cl->err);
  cJSON_Delete(owned); /* serialized: nothing points into it any more */
  if (rc == 0)
    rc = call_send(cl);
  if (rc == 0)
    return 0;
  if (cl->err.code != 0) /* a problem of the parameters or the payload */
    return fail_early(cl, operation);
  if (op_out)
    *op_out = NULL;
  cl->payload_free = NULL; /* a call that failed takes nothing */
  call_free(cl);
  return rc;
}

int uvaws_call(uvaws_client_t *c, const char *operation, const cJSON *params, uvaws_result_cb cb,
               void *arg, uvaws_op_t **op_out) {
  return uvaws_call_ex(c, operation, params, NULL, cb, arg, op_out);
}

/* ---- sending ------------------------------------------------------------------ */

static void free_body(void *p) { free(p); }

/* Puts cl->req on the wire. 0, or an error for the caller (the request is
 * not the caller's then: a payload buffer goes back to the call). */
static int submit(call_t *cl) {
  op_req_t *r = &cl->req;
  fetch_ext_t *x = &cl->x;
  call_stream_t *s = cl->stream;
  if (s != NULL && s->fd >= 0) {
    /* signed: the file's hash when it was computed, else S3's unsigned marker */
    x->payload_hash = s->sha256_hex[0] ? s->sha256_hex : UVAWS_SIGV4_UNSIGNED_PAYLOAD;
    if ((s->md5_b64[0] && (cl->mop->flags & MO_CHECKSUM_REQUIRED) &&
         kvs_get(&r->headers, "Content-MD5") == NULL &&
         kvs_set(&r->headers, "Content-MD5", s->md5_b64) != 0) ||
        quirks_streamed_headers(cl, r) != 0)
      return UVAWS_ENOMEM;
  }
  const void *body = r->body.len ? r->body.data : NULL;
  size_t body_len = r->body.len;
  void (*body_free)(void *) = NULL;
  if (cl->payload != NULL) { /* the caller's bytes are the body */
    body = cl->payload;
    body_len = cl->opts.payload_len;
    body_free = cl->payload_free;
    cl->payload_free = NULL; /* the request owns it now */
  } else if (body != NULL) {
    r->body.data = NULL; /* the buffer becomes the request's */
    r->body.len = r->body.cap = 0;
    body_free = free_body;
  }
  uvaws_request_t req = {
      .size = sizeof(uvaws_request_t),
      .method = r->method,
      .path = op_req_path(r),
      .path_encoded = 1,
      .query = r->query.kv,
      .query_count = r->query.count,
      .headers = r->headers.kv,
      .header_count = r->headers.count,
      .body = body,
      .body_len = body_len,
      .body_free = body_free,
      .timeout_ms = cl->opts.timeout_ms,
  };
  int rc = client_fetch_ext(cl->client, &req, x, on_answer, cl, &cl->job);
  if (rc != 0) {
    if (body_free == free_body)
      free((void *)body);
    else if (body_free != NULL)
      cl->payload_free = body_free; /* freed with the call */
    return rc;
  }
  cl->state = CALL_SENT;
  return 0;
}

/* The client closes while an upload is hashed: the callback comes now; the
 * call is freed when the hash is done (the thread pool holds it). */
static void on_close_while_hashing(closer_t *c) {
  call_t *cl = (call_t *)((char *)c - offsetof(call_t, closer));
  cl->client_gone = 1;
  uvaws_error_set(&cl->err, UVAWS_ECANCELED, "the client closed");
  uvaws_result_t res = {.error = &cl->err};
  deliver(cl, &res);
}

void call_hashed(call_t *cl) {
  if (cl->client_gone) {
    call_free(cl);
    return;
  }
  client_remove_closer(cl->client, &cl->closer);
  int rc = 0;
  if (cl->cancelled)
    rc = uvaws_error_set(&cl->err, UVAWS_ECANCELED, "cancelled");
  else if (!cl->stream->hash_ok)
    rc = uvaws_error_set(&cl->err, UVAWS_EIO, "reading upload_fd: %s",
                         strerror(cl->stream->hash_errno ? cl->stream->hash_errno : EIO));
  else if ((rc = submit(cl)) != 0)
    uvaws_error_set(&cl->err, rc, "sending: %s", uvaws_strerror(rc));
  if (rc != 0) {
    uvaws_result_t res = {.error = &cl->err};
    finish(cl, &res);
  }
}

const void *call_body_bytes(const call_t *cl, const op_req_t *r, size_t *len) {
  if (cl->payload != NULL && r->payload != NULL) {
    *len = cl->opts.payload_len;
    return cl->payload;
  }
  *len = r->body.len;
  return r->body.data ? r->body.data : "";
}

int call_send(call_t *cl) {
  op_req_t *r = &cl->req;
  fetch_ext_t *x = &cl->x;
  if (r->host_prefix[0] && !client_endpoint_is_custom(cl->client))
    x->host_prefix = r->host_prefix;
  x->operation = model_str(cl->m, cl->mop->name);
  if (cl->payload != NULL && (r->payload == NULL || r->payload_given))
    return uvaws_error_set(&cl->err, UVAWS_EPARAM, "%s: %s", model_str(cl->m, cl->mop->name),
                           r->payload ? "the payload is given twice (options and parameters)"
                                      : "this operation takes no payload");
  int rc = s3_prepare(cl, r, x);
  if (rc == 0 && (cl->opts.upload_fd >= 0 || cl->opts.download_fd >= 0))
    rc = stream_setup(cl, r, x);
  if (rc == 0) {
    size_t len;
    const void *body = call_body_bytes(cl, r, &len);
    rc = quirks_prepare(cl, r, body, len);
  }
  if (rc != 0)
    return rc;
  if (stream_needs_hash(cl, client_is_https(cl->client))) {
    if ((rc = stream_hash_start(cl)) != 0)
      return rc;
    cl->state = CALL_HASHING;
    client_add_closer(cl->client, &cl->closer, on_close_while_hashing);
    return 0;
  }
  return submit(cl);
}

/* ---- futures ------------------------------------------------------------------ */

static void on_future_result(uvaws_result_t *res, void *arg) {
  future_complete_op(arg, res->response, res->error, uvaws_result_steal(res));
}

uvaws_future_t *uvaws_call_future(uvaws_client_t *c, const char *operation, const cJSON *params,
                                  int *err_out) {
  int rc = UVAWS_EINVAL;
  uvaws_future_t *f = NULL;
  if (c != NULL) {
    f = future_new_op();
    rc = UVAWS_ENOMEM;
    if (f != NULL) {
      uvaws_op_t *op;
      rc = uvaws_call(c, operation, params, on_future_result, f, &op);
      if (rc == 0) {
        future_bind_op(f, c, op);
      } else {
        future_discard(f);
        f = NULL;
      }
    }
  }
  if (err_out)
    *err_out = rc;
  return f;
}
