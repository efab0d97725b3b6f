/* The operation layer: call an AWS operation by name with cJSON parameters
 * and get cJSON back, as tornado-botocore did for Tornado, without botocore.
 *
 * The client's service (uvaws_client_options_t.service, a name from the
 * service table: "dynamodb", "sqs", "ses", "sesv2", "sts", "lambda" ...)
 * decides the protocol:
 *   JSON 1.0/1.1   POST / with X-Amz-Target, params as the JSON body
 *   query, ec2     POST / with Action, Version and the params flattened
 *                  (A.B.C, A.member.N, ec2's A.N), the XML answer as cJSON
 *   rest-json      method, path (with {labels} from params), query, headers and
 *                  JSON body from the service's operation table
 */
#ifndef UVAWS_CALL_H
#define UVAWS_CALL_H

#include <cjson/cJSON.h>

#include "client.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  /* The operation's output (a JSON object), NULL on error. Valid during the
   * callback; take it with uvaws_result_steal to keep it. */
  cJSON *output;
  const uvaws_error_t *error;        /* NULL on success */
  const uvaws_response_t *response;  /* the HTTP answer behind it */
} uvaws_result_t;

typedef void (*uvaws_result_cb)(uvaws_result_t *res, void *arg);

/* Calls `operation` ("PutItem", "SendEmail") with `params` (a cJSON object, or
 * NULL for none), serialized before this returns. Returns 0 (the callback
 * will come, once) or, with no callback: UVAWS_EINVAL (NULL client, operation
 * or callback; params not an object; an operation name that is not a word),
 * UVAWS_ESERVICE (the client's service is not in the table), UVAWS_EOPERATION (a rest-json
 * operation the table lacks: use uvaws_call_rest), UVAWS_EPARAM (a value the
 * protocol cannot carry: null in query, a missing path label), or any
 * uvaws_fetch error. */
UVAWS_EXTERN int uvaws_call(uvaws_client_t *client, const char *operation, const cJSON *params,
                            uvaws_result_cb cb, void *arg);

/* A rest-json call the table does not know: `path` may hold {Name} labels
 * (filled from params, percent-encoded; {Name+} keeps '/'), the params left
 * go to the query string for GET, HEAD and DELETE and to a JSON body
 * otherwise. Same returns as uvaws_call. */
UVAWS_EXTERN int uvaws_call_rest(uvaws_client_t *client, const char *method, const char *path,
                                 const cJSON *params, uvaws_result_cb cb, void *arg);

/* Takes the output out of a result: the caller frees it (cJSON_Delete). */
UVAWS_EXTERN cJSON *uvaws_result_steal(uvaws_result_t *res);

/* Pagination: calls `operation` again and again, following the continuation
 * token (NextToken; Marker/NextMarker; LastEvaluatedKey into
 * ExclusiveStartKey), and gives each page to `page_cb`, which returns 0 to go
 * on or anything else to stop. `done_cb` comes once at the end with the
 * number of pages and the error that ended it (NULL: no more pages, or
 * stopped). Returns 0 or the errors of uvaws_call. */
typedef int (*uvaws_page_cb)(uvaws_result_t *page, void *arg);
typedef void (*uvaws_pages_done_cb)(const uvaws_error_t *err, unsigned pages, void *arg);
UVAWS_EXTERN int uvaws_paginate(uvaws_client_t *client, const char *operation,
                                const cJSON *params, uvaws_page_cb page_cb,
                                uvaws_pages_done_cb done_cb, void *arg);

/* Waiters: calls `operation` with `params` every `interval_ms` until the
 * answer's member at `path` (dotted: "Table.TableStatus") is the string
 * `expected` ("ACTIVE"), as the SDKs' waiters do (a table after CreateTable,
 * an instance after RunInstances). `done_cb` comes once: err NULL when
 * reached, UVAWS_ETIMEDOUT after `timeout_ms`, or the error of a call that
 * failed. Returns 0 or the errors of uvaws_call. */
typedef void (*uvaws_wait_cb)(const uvaws_error_t *err, void *arg);
UVAWS_EXTERN int uvaws_wait_for(uvaws_client_t *client, const char *operation,
                                const cJSON *params, const char *path, const char *expected,
                                unsigned interval_ms, unsigned timeout_ms, uvaws_wait_cb done_cb,
                                void *arg);

/* The service table: each row says how to reach and speak to a service. */
typedef enum {
  UVAWS_PROTOCOL_JSON = 1,  /* awsJson1_0 / awsJson1_1 */
  UVAWS_PROTOCOL_QUERY,     /* awsQuery */
  UVAWS_PROTOCOL_EC2,       /* ec2Query */
  UVAWS_PROTOCOL_REST_JSON, /* restJson1 */
} uvaws_protocol_t;

typedef struct {
  const char *name;            /* what options.service takes: "dynamodb" */
  const char *service_id;      /* AWS_ENDPOINT_URL_<ID>: "DynamoDB" */
  const char *signing_name;    /* "dynamodb"; SES's is "ses" */
  const char *endpoint_prefix; /* host prefix: SES's is "email" */
  uvaws_protocol_t protocol;
  const char *api_version;     /* "2012-08-10" */
  const char *json_version;    /* "1.0" or "1.1" (JSON protocols) */
  const char *target_prefix;   /* "DynamoDB_20120810" (JSON protocols) */
} uvaws_service_t;

/* The row for `name` (case-insensitive), or NULL. */
UVAWS_EXTERN const uvaws_service_t *uvaws_service_find(const char *name);

/* The row a client speaks, or NULL for a client of a service not in the table
 * (uvaws_fetch still works there). */
UVAWS_EXTERN const uvaws_service_t *uvaws_client_service(const uvaws_client_t *client);

#ifdef __cplusplus
}
#endif
#endif
