/* What the operation layer's files share: a call in flight (call.c), the
 * S3 rules around it (s3.c), paginators and waiters (paginate.c, waiter.c). */
#ifndef UVAWS_CALL_INTERNAL_H
#define UVAWS_CALL_INTERNAL_H

#include "client_internal.h"
#include "op.h"
#include "suggest.h"
#include "uvaws/call.h"

/* The handle every asynchronous operation returns. */
struct uvaws_op_s {
  int (*cancel)(uvaws_op_t *op);
};

typedef enum {
  CALL_NEW,     /* being built */
  CALL_EARLY,   /* failed before sending: its error comes from the loop */
  CALL_HASHING, /* its upload's hash is being computed, off the loop */
  CALL_SENT,    /* its request is with the client */
  CALL_DONE,    /* its callback is running */
} call_state_t;

/* A payload streamed from or to a file (stream.c). */
typedef struct {
  body_source_t source;
  body_sink_t sink;
  int fd;            /* upload_fd, or -1 */
  uint64_t off, len, pos;
  int out_fd;        /* download_fd, or -1 */
  int out_seekable;
  uint64_t out_start, out_pos, out_most;
  uvaws_progress_cb progress;
  void *progress_arg;
  uv_work_t work;    /* the hash, on the thread pool */
  int hashing, hash_ok, hash_errno;
  char sha256_hex[65];
  char md5_b64[32];
  int want_tree;     /* Glacier: the SHA-256 tree hash too */
  char tree_hex[65];
} call_stream_t;

typedef struct {
  uvaws_op_t op; /* first: the handle */
  defer_t defer; /* delivers an early error */
  uvaws_client_t *client;
  const model_t *m;
  const mop_t *mop;
  uvaws_result_cb cb;
  void *arg;
  uvaws_call_options_t opts;
  const void *payload; /* the caller's payload bytes, until the request takes them */
  void (*payload_free)(void *payload);
  uvaws_job_t *job;
  call_state_t state;
  int streamed_out; /* the output payload went to a file */
  int cancelled;    /* while hashing */
  int client_gone;  /* the client closed while hashing: the callback was given */
  closer_t closer;  /* while hashing */
  op_req_t req;     /* the serialized request, until it is sent */
  fetch_ext_t x;
  call_stream_t *stream; /* upload_fd or download_fd given: from stream_setup */
  uvaws_error_t err;
  /* observed clients only (client_observing): when the call began, and the
   * operation named by the caller, for a call refused before it sent anything */
  uint64_t started_ns;
  char *unsent_op;
  char *request_id;  /* from the body (query protocols) */
} call_t;

/* The client's model (loaded on first use, then cached in the client), or
 * NULL with the reason in `why`. */
const model_t *call_model(uvaws_client_t *c, char *why, size_t n);

/* Fills `e` with UVAWS_EOPERATION: `m` has no `kind` ("operation",
 * "paginator", "waiter") called `name`, with the closest of the `n` names
 * `get` gives. Returns UVAWS_EOPERATION. */
int call_unknown(uvaws_error_t *e, const model_t *m, const char *kind, const char *name,
                 suggest_name_fn get, size_t n);

/* Hands cl->req to the client (after hashing a streamed upload when it
 * must be). 0, or an error: with cl->err set when the request itself is at
 * fault (delivered through the callback), else for the caller to return. */
int call_send(call_t *cl);

/* stream.c: sets up upload_fd and download_fd (0, or an error with cl->err
 * set); whether the upload must be hashed before it is sent; the hashing,
 * which calls call_hashed from the loop when done; the file's end. */
int stream_setup(call_t *cl, op_req_t *r, fetch_ext_t *x);
int stream_needs_hash(const call_t *cl, int https);
int stream_hash_start(call_t *cl);
void call_hashed(call_t *cl);
void stream_finish(call_t *cl);

/* S3 (s3.c): addressing, checksums the model requires, the copy source
 * header; 0 or an error with cl->err set. Does nothing for other services. */
int s3_prepare(call_t *cl, op_req_t *r, fetch_ext_t *x);

/* The pure parts of those rules: a DNS-compatible bucket moved from the
 * path ("/bucket/key") into the host prefix ("bucket."), 1 when moved, 0
 * when it stays (path style), -1 out of memory; and the copy source's wire
 * text ("bucket/a%20b?versionId=v"), appended to `out`. */
int s3_virtual_host(op_req_t *r, int https);
void s3_copy_source_text(const char *v, buf_t *out);

/* The bytes the body will be: the caller's payload, else the serialized
 * body. */
const void *call_body_bytes(const call_t *cl, const op_req_t *r, size_t *len);

/* Rules beyond the models (quirks.c: Glacier, API Gateway): the parameters
 * with Glacier's accountId "-" when left out (*params replaced by a copy in
 * *owned, which the caller frees; 0 or UVAWS_ENOMEM); headers and upload
 * checksums (0, or an error with cl->err set; after stream_setup); a
 * streamed upload's checksums from the file's pass; Glacier's tree hash of
 * `n` 1 MiB leaf digests (combined in place). */
#define GLACIER_LEAF ((size_t)1 << 20)
int quirks_params(const model_t *m, const mop_t *op, const cJSON **params, cJSON **owned);
int quirks_prepare(call_t *cl, op_req_t *r, const void *body, size_t body_len);
int quirks_streamed_headers(call_t *cl, op_req_t *r);
int glacier_tree_hash(unsigned char (*leaves)[32], size_t n, char out[65]);

/* S3 answers some operations (CopyObject, CompleteMultipartUpload,
 * UploadPartCopy) with 200 and an <Error> document: 1 (cl->err set) when
 * `res` is one. */
int s3_error_in_200(call_t *cl, const uvaws_response_t *res);

/* Completes an output the model cannot describe (GetBucketLocation's bare
 * <LocationConstraint> root). */
void s3_fix_output(call_t *cl, const uvaws_response_t *res, cJSON *out);

#endif
