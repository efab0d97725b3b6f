/* The operation layer: call any operation of any AWS service by name with
 * cJSON parameters and get cJSON back, driven by the AWS service models (the
 * service-2.json files botocore and the SDKs are generated from, compiled
 * into uvaws's model file at build time).
 *
 * The client's service (uvaws_client_options_t.service: a model's name such
 * as "dynamodb", "s3", "sesv2", "cloudformation", or an alias, see
 * uvaws_service_find) decides the protocol: json, rest-json, rest-xml, query
 * or ec2. Parameters and outputs use the members' names, as botocore and the
 * AWS CLI do ({"TableName": "t", "Key": {...}}):
 *
 *   structure, map  a JSON object         list       a JSON array
 *   string          a string (UTF-8)      boolean    true / false
 *   integer, long   a number (a raw cJSON number for more than 53 bits)
 *   float, double   a number
 *   blob            base64 text (canonical: standard alphabet, padded);
 *                   S3's object bodies and other raw payloads also come as
 *                   bytes (uvaws_call_options_t) and go out as bytes
 *   timestamp       in: ISO 8601 text ("2024-05-01T12:30:00Z"; no zone means
 *                   UTC), RFC 822 text, or seconds since the epoch (a number);
 *                   out: always RFC 3339 in UTC, "2024-05-01T12:30:00Z", a
 *                   fraction of a second only when not zero (".25")
 *
 * Before anything is sent, the parameters are checked against the model:
 * unknown operation (the closest names suggested), unknown member (idem),
 * missing required member, wrong type, below a minimum, a union with more
 * or less than one member; each problem names its path
 * ("Destination.ToAddresses[0]: expected a string, got a number"). Such an
 * error comes through the callback, like any other (UVAWS_EOPERATION,
 * UVAWS_EPARAM), with the text in error->message; nothing goes on the wire.
 *
 * Idempotency tokens left out are filled in with random UUIDs, as the SDKs
 * do; the model's signing name, endpoint prefix, API version and host
 * prefixes are used; a global service (IAM, Route 53, CloudFront ...) goes
 * to its one endpoint and signs for us-east-1. Glacier gets its version
 * header, accountId "-" by default and its upload checksums; API Gateway is
 * asked for JSON. S3: virtual-hosted addressing (bucket.s3.REGION...) on
 * AWS endpoints, path style on custom endpoints or when asked; Content-MD5
 * where the model requires a checksum; the payload signed with
 * x-amz-content-sha256 (UNSIGNED-PAYLOAD for bodies streamed from a file over
 * https, the SHA-256 of the file otherwise).
 *
 * docs/operations.md has every rule, and where uvaws differs from botocore.
 *
 * Threads: the model file is mapped once per process and shared read-only;
 * loading a service's model takes a process-wide lock, so any thread may
 * create clients. Each call runs on its client's loop thread, like the rest
 * of uvaws.
 */
#ifndef UVAWS_CALL_H
#define UVAWS_CALL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "client.h"
#include "common.h"
#include "future.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A call, pagination or waiter in progress: what uvaws_op_cancel takes.
 * Valid from the call that returned it until its callback returns. */
typedef struct uvaws_op_s uvaws_op_t;

typedef struct {
  /* The operation's output (a JSON object), NULL on error. Valid during the
   * callback; take it with uvaws_result_steal to keep it. */
  cJSON *output;
  const uvaws_error_t *error;        /* NULL on success */
  const uvaws_response_t *response;  /* the HTTP answer, NULL when nothing was sent */
  const char *request_id;            /* AWS's request id, NULL when unknown */
  /* A blob payload (S3 GetObject's Body, Lambda Invoke's Payload): its
   * bytes, which are not in `output` (as botocore gives them as a stream),
   * unless they went to options.download_fd. */
  const void *payload;
  size_t payload_len;
} uvaws_result_t;

typedef void (*uvaws_result_cb)(uvaws_result_t *res, void *arg);

/* Bytes moved so far of a streamed body, and the total (0 when unknown). */
typedef void (*uvaws_progress_cb)(uint64_t done, uint64_t total, void *arg);

/* Extras of one call. Start from UVAWS_CALL_OPTIONS_INIT: `size` tells the
 * library which fields your build has, so the struct can grow. */
typedef struct {
  size_t size;
  /* The input's raw payload (S3 PutObject's Body, UploadPart's Body,
   * Lambda's Payload) as bytes instead of base64 in the parameters. With
   * payload_free set, uvaws takes the buffer (no copy) and frees it so. */
  const void *payload;
  size_t payload_len;
  void (*payload_free)(void *payload);
  /* Or the payload read from a file: `upload_len` bytes (0: to the end of
   * the file) from `upload_offset`, never all in memory. The descriptor must
   * be seekable and stay open until the callback. -1 for none. */
  int upload_fd;
  uint64_t upload_offset, upload_len;
  /* A streaming output payload (S3 GetObject's Body) written to this file
   * descriptor instead of memory, from its current offset; -1 for none. An
   * error answer is never written there. */
  int download_fd;
  /* Called as a streamed body moves (either way). */
  uvaws_progress_cb progress;
  void *progress_arg;
  /* S3: path-style addressing (endpoint/bucket/key) even on AWS. */
  int path_style;
  long timeout_ms; /* one attempt; 0: the client's request_timeout_ms */
} uvaws_call_options_t;

#define UVAWS_CALL_OPTIONS_INIT {sizeof(uvaws_call_options_t), NULL, 0, NULL, -1, 0, 0, -1, \
                                 NULL, NULL, 0, 0}

/* Sets `o` to UVAWS_CALL_OPTIONS_INIT (for bindings). 0, or UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_call_options_init(uvaws_call_options_t *o);

/* Calls `operation` ("PutItem", "SendEmail", "ListBuckets") with `params` (a
 * cJSON object, or NULL for none), serialized before this returns (params
 * can be freed at once). Returns 0, and the callback comes once, from the
 * loop: with the output, or with the error (a problem found in the
 * parameters, an unknown operation, an AWS error, a network error ...).
 * Returns, with no callback: UVAWS_EINVAL (NULL client or callback; an
 * operation that is NULL or empty; params not an object), UVAWS_ECLOSED,
 * UVAWS_ENOMEM, or another error of uvaws_fetch. `op_out` (may be NULL)
 * receives a handle for uvaws_op_cancel. */
UVAWS_EXTERN int uvaws_call(uvaws_client_t *client, const char *operation, const cJSON *params,
                            uvaws_result_cb cb, void *arg, uvaws_op_t **op_out);

/* uvaws_call with options (NULL: none). Also UVAWS_EINVAL for options whose
 * size is 0 (or larger than this library's with extra fields set: see
 * docs/abi.md) or that give a payload both ways. */
UVAWS_EXTERN int uvaws_call_ex(uvaws_client_t *client, const char *operation,
                               const cJSON *params, const uvaws_call_options_t *options,
                               uvaws_result_cb cb, void *arg, uvaws_op_t **op_out);

/* A call as a future: NULL with the reason in *err_out (may be NULL) for the
 * errors uvaws_call returns. uvaws_future_wait on it makes a blocking call;
 * uvaws_future_response gives the HTTP answer (its error: any failure, the
 * parameters' included), uvaws_future_output the output. */
UVAWS_EXTERN uvaws_future_t *uvaws_call_future(uvaws_client_t *client, const char *operation,
                                               const cJSON *params, int *err_out);

/* The output of a call future once done and successful, else NULL. Owned by
 * the future (until released) unless taken. */
UVAWS_EXTERN const cJSON *uvaws_future_output(const uvaws_future_t *f);
/* Takes the output out of the future: the caller frees it (cJSON_Delete). */
UVAWS_EXTERN cJSON *uvaws_future_take_output(uvaws_future_t *f);

/* Cancels a call, pagination or waiter: its callback still comes, once,
 * from the loop, with UVAWS_ECANCELED (as uvaws_cancel). Returns 0;
 * UVAWS_EBUSY when its outcome is already on its way (an error found before
 * sending, an answer being delivered, a cancel already asked) or its callback
 * is running; UVAWS_EINVAL for NULL. A pagination cancelled from its page
 * callback ends after it. */
UVAWS_EXTERN int uvaws_op_cancel(uvaws_op_t *op);

/* Takes the output out of a result: the caller frees it (cJSON_Delete). */
UVAWS_EXTERN cJSON *uvaws_result_steal(uvaws_result_t *res);

/* Pagination with the model's paginator for `operation` (paginators-1.json):
 * calls it again and again, carrying each answer's continuation token(s)
 * into the next request, and gives each page to `page_cb`, which returns 0
 * to go on or anything else to stop. It ends when the answer has no token
 * (or an empty one), when the model's "more results" member is false, or
 * with UVAWS_EPROTOCOL when a token comes back that was just sent (a
 * service that would make it loop forever). `done_cb` comes once at the
 * end with the number of pages and the error that ended it (NULL: no more
 * pages, or stopped). An operation without a paginator ends in done_cb with
 * UVAWS_EOPERATION. Returns 0 or the errors of uvaws_call. */
typedef int (*uvaws_page_cb)(uvaws_result_t *page, void *arg);
typedef void (*uvaws_pages_done_cb)(const uvaws_error_t *err, unsigned pages, void *arg);
UVAWS_EXTERN int uvaws_paginate(uvaws_client_t *client, const char *operation,
                                const cJSON *params, uvaws_page_cb page_cb,
                                uvaws_pages_done_cb done_cb, void *arg, uvaws_op_t **op_out);

/* Waiters from the model (waiters-2.json): "TableExists", "BucketExists",
 * "InstanceRunning" ... call their operation with `params` every `delay`
 * until an acceptor says success (err NULL) or failure (UVAWS_EAWS or the
 * call's own error, with the reason), at most `max_attempts` times, and never
 * longer than the deadline (UVAWS_ETIMEDOUT; a call still out is cancelled).
 * Zeros take the model's delay and attempts, and a deadline of delay times
 * attempts plus a minute. */
typedef struct {
  size_t size;           /* sizeof(uvaws_wait_options_t) */
  unsigned delay_ms;     /* between attempts */
  unsigned max_attempts;
  unsigned timeout_ms;   /* the whole wait */
} uvaws_wait_options_t;

#define UVAWS_WAIT_OPTIONS_INIT {sizeof(uvaws_wait_options_t), 0, 0, 0}

/* Sets `o` to UVAWS_WAIT_OPTIONS_INIT (for bindings). 0, or UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_wait_options_init(uvaws_wait_options_t *o);

typedef void (*uvaws_wait_cb)(const uvaws_error_t *err, void *arg);
/* Returns 0 (done_cb comes once; an unknown waiter name comes there as
 * UVAWS_EOPERATION with the closest names) or the errors of uvaws_call. */
UVAWS_EXTERN int uvaws_wait_for(uvaws_client_t *client, const char *waiter, const cJSON *params,
                                const uvaws_wait_options_t *options, uvaws_wait_cb done_cb,
                                void *arg, uvaws_op_t **op_out);

/* ---- the services ------------------------------------------------------------ */

typedef enum {
  UVAWS_PROTOCOL_JSON = 1,  /* awsJson1_0 / awsJson1_1 */
  UVAWS_PROTOCOL_QUERY,     /* awsQuery */
  UVAWS_PROTOCOL_EC2,       /* ec2Query */
  UVAWS_PROTOCOL_REST_JSON, /* restJson1 */
  UVAWS_PROTOCOL_REST_XML,  /* restXml (S3, Route 53, CloudFront) */
} uvaws_protocol_t;

typedef struct {
  const char *name;            /* the model's name: "dynamodb" */
  const char *service_id;      /* AWS_ENDPOINT_URL_<ID>: "DynamoDB" */
  const char *signing_name;    /* "dynamodb"; SES's is "ses" */
  const char *endpoint_prefix; /* host prefix: SES's is "email" */
  uvaws_protocol_t protocol;
  const char *api_version;     /* "2012-08-10" */
  const char *json_version;    /* "1.0" or "1.1" (JSON protocols) */
  const char *target_prefix;   /* "DynamoDB_20120810" (json) */
  const char *global_endpoint; /* "iam.amazonaws.com" for a global service, else NULL */
} uvaws_service_t;

/* The row of service `name`, or NULL (no such service, or no model file).
 * `name` is a model's name ("dynamodb", "s3", "sesv2": botocore's and the
 * AWS CLI's), compared case-insensitively; else a service id ("DynamoDB",
 * "CloudWatch") or an endpoint prefix ("email", "monitoring"); where
 * several services share a prefix, the one with the oldest API version (the
 * service that first had the name: "email" is SES). */
UVAWS_EXTERN const uvaws_service_t *uvaws_service_find(const char *name);

/* Every service, in name order: row `i`, or NULL past the last one. */
UVAWS_EXTERN const uvaws_service_t *uvaws_service_at(size_t i);

/* The row a client speaks, or NULL for a service without a model
 * (uvaws_fetch still works there). */
UVAWS_EXTERN const uvaws_service_t *uvaws_client_service(const uvaws_client_t *client);

/* Where the compiled service models are read from: the directory holding
 * services.bin. The first use maps the file for the life of the process, so
 * set it before any client or call needs a model: afterwards this returns
 * UVAWS_EBUSY. Without it, $UVAWS_MODEL_DIR, else the directory the library
 * was installed with. Returns 0, UVAWS_EINVAL (NULL or empty) or UVAWS_ENOMEM. */
UVAWS_EXTERN int uvaws_models_set_dir(const char *dir);

/* The directory the models are (or will be) read from; valid until the next
 * uvaws_models_set_dir. */
UVAWS_EXTERN const char *uvaws_models_dir(void);

/* ---- describing operations (uvaws help) ---------------------------------------- */

/* The names of a service's operations in order: the i-th, or NULL past the
 * last (or for a service without a model). */
UVAWS_EXTERN const char *uvaws_operation_at(const uvaws_service_t *service, size_t i);

/* An operation's input and output described as JSON, for help texts:
 * {"operation": "GetItem", "method": "POST", "path": "/", "input": {...},
 * "output": {...}} where each shape is {"type": "structure", "members":
 * {"TableName": {"type": "string", "required": true, "min": 3, ...}}}, lists
 * carry "member", maps "key" and "value", strings their "enum" values, and a
 * shape met again inside itself is {"type": ..., "shape": NAME, "recursive":
 * true}. NULL when unknown; the caller frees it (cJSON_Delete). */
UVAWS_EXTERN cJSON *uvaws_operation_describe(const uvaws_service_t *service,
                                             const char *operation);

#ifdef __cplusplus
}
#endif
#endif
