/* The operation layer's private interface: parameters checked against the
 * model, serialized into an HTTP request by protocol, and answers parsed by
 * the output shape. Pure functions of a model and their input (no client, no
 * I/O): uvaws_call drives them, the differential test's oracle tool calls
 * them directly, and fuzz targets feed them.
 *
 * Protocols and where each rule lives:
 *   op_check.c     every protocol: types, required members, unknown names,
 *                  minimums, unions, with a path in each message
 *   op_json.c      json bodies and rest-json bodies
 *   op_query.c     query and ec2 form bodies
 *   op_xml.c       rest-xml bodies
 *   op_rest.c      rest-*: URI labels, query string, headers, payloads, and
 *                  the dispatch by protocol (op_serialize)
 *   op_parse.c     answers: JSON bodies, headers, status (op_parse)
 *   op_parse_xml.c answers: XML bodies (query, ec2, rest-xml) */
#ifndef UVAWS_OP_H
#define UVAWS_OP_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "buf.h"
#include "model.h"
#include "uvaws/client.h"

/* Name/value pairs gathered in one buffer ("name\0value\0..."), turned into
 * an array of pointers once complete (the buffer may move while growing). */
typedef struct {
  buf_t text;
  size_t count;
  uvaws_kv_t *kv; /* after kvs_finish: `small` when it fits there */
  uvaws_kv_t small[4];
} kvs_t;

void kvs_add(kvs_t *k, const char *name, size_t name_len, const char *value, size_t value_len);
static inline void kvs_adds(kvs_t *k, const char *name, const char *value) {
  kvs_add(k, name, strlen(name), value, strlen(value));
}
/* 0 or UVAWS_ENOMEM (also when an add failed). */
int kvs_finish(kvs_t *k);
void kvs_free(kvs_t *k);
/* After kvs_finish: the value of `name` (case-insensitive), or NULL. */
const char *kvs_get(const kvs_t *k, const char *name);
/* After kvs_finish: sets `name` (replaced where it was, else added). 0 or
 * UVAWS_ENOMEM (then `k` is unchanged). */
int kvs_set(kvs_t *k, const char *name, const char *value);

/* A serialized request. */
typedef struct {
  const char *method; /* a model string */
  buf_t path;         /* percent-encoded, starts with '/'; empty for "/" (op_req_path) */
  kvs_t query;        /* plain names and values */
  kvs_t headers;
  buf_t body;
  /* The input's payload is a blob or string member: its bytes are the body
   * (`body` holds them when the parameters gave it: payload_given). */
  int raw_payload;
  int payload_given;
  /* The input's blob or string payload member (S3's Body, Lambda's Payload),
   * given or not: what call options may stream instead. */
  const mref_t *payload;
  /* expanded endpoint.hostPrefix, or S3's "bucket.": one label (at most 63
   * bytes) and a few fixed ones at most, "" when none */
  char host_prefix[128];
  char target[192];      /* json: X-Amz-Target's value, which `headers` points to */
} op_req_t;

/* The request's path: "/" unless the protocol built one. */
static inline const char *op_req_path(const op_req_t *r) {
  return r->path.len ? r->path.data : "/";
}

void op_req_free(op_req_t *r);

/* The structure members op_check resolved, in the order it met them: the
 * serializer walks the parameters in the same order and takes each member
 * from here instead of looking it up again (an item that is not the next
 * one here is looked up as usual). */
typedef struct {
  struct {
    const cJSON *item;
    const mref_t *ref;
  } steps[64];
  unsigned n, next;
} op_plan_t;

static inline const mref_t *plan_member(op_plan_t *p, const model_t *m, const mshape_t *s,
                                        const cJSON *e) {
  if (p != NULL && p->next < p->n && p->steps[p->next].item == e)
    return p->steps[p->next++].ref;
  return model_member_str(m, s, e->string);
}

/* Checks `params` (an object, or NULL for none) against the input of `op`.
 * 0, or UVAWS_EPARAM with every problem in err->message ("Destination.
 * ToAddresses[0]: expected a string, got a number; Source: missing"), or
 * UVAWS_ENOMEM. */
int op_check(const model_t *m, const mop_t *op, const cJSON *params, op_plan_t *plan,
             uvaws_error_t *err);

/* Serializes checked parameters. Idempotency tokens the caller left out are
 * filled in with random UUIDs, as the SDKs do. 0, UVAWS_EPARAM (a value the
 * wire cannot carry: an empty URI label, a control character in a header, a
 * host label that is not one) with err set, or UVAWS_ENOMEM. `r` is the
 * caller's to free with op_req_free, whatever the result. */
int op_serialize(const model_t *m, const mop_t *op, const cJSON *params, op_plan_t *plan,
                 op_req_t *r, uvaws_error_t *err);

/* Parses a successful answer into the output shape's members (a new object,
 * the caller's). A blob payload member (S3's Body, Lambda's Payload) is left
 * out: the caller has the body; a string payload is the body's text. 0, or UVAWS_EPROTOCOL (an answer that does not
 * parse or does not fit the shape) / UVAWS_ENOMEM with err set. *request_id
 * (may be NULL) gets a request id found in the body (query, ec2), malloc'd,
 * or NULL: the others are in headers. */
int op_parse(const model_t *m, const mop_t *op, const uvaws_response_t *res, cJSON **out,
             char **request_id, uvaws_error_t *err);

/* An AWS error answer with no error type (S3's HEAD errors have no body; a
 * 5xx from a proxy): its type becomes the status code ("404"), as botocore
 * reports it, and, when the body was empty, its message the reason phrase
 * ("Not Found"); a body that is no AWS error keeps its excerpt in detail. */
void op_error_by_status(uvaws_error_t *e, size_t body_len);

/* ---- shared by the serializers and parsers ---------------------------------- */

/* The wire name of a member: its locationName when given, else its name. */
static inline const char *op_wire_name(const model_t *m, const mref_t *r) {
  return model_str(m, (r->flags & MR_HAS_NAME) ? r->serial : r->name);
}

/* The output payload member that carries the raw body (blob or string), or NULL. */
const mref_t *op_raw_payload(const model_t *m, const mref_t *shape_ref);

/* Appends `s` (n bytes) as a JSON string, quotes included. */
void json_put_string(buf_t *b, const char *s, size_t n);

/* Writes a JSON body by shape (op_json.c); `v` is checked; `plan` may be NULL. */
void json_put_value(const model_t *m, const mref_t *r, const cJSON *v, op_plan_t *plan, buf_t *b);

/* Appends the form pairs of the query protocols (op_query.c). */
void query_put_params(const model_t *m, const mshape_t *input, const cJSON *params, int ec2,
                      buf_t *b);

/* Writes a rest-xml body: `v` as the element of `r` (op_xml.c). */
void xml_put_root(const model_t *m, const mref_t *r, const cJSON *v, buf_t *b);

/* Parses an XML text by shape into a new object (op_parse_xml.c); NULL
 * with err set. `r` is the output reference (with its result wrapper; NULL
 * for none: then {}), `proto` the service's. For query and ec2 answers,
 * *request_id (when not NULL) gets the body's request id (malloc'd) or NULL. */
cJSON *xml_parse_shape(const model_t *m, const mref_t *r, mproto_t proto, const char *body,
                       size_t len, char **request_id, uvaws_error_t *err);

/* Converts a text value (an XML leaf, a header) to its shape's JSON value;
 * NULL with *bad set when the text does not fit the type. */
cJSON *text_to_value(const model_t *m, const mref_t *r, const char *s, size_t n, int *bad);

#endif
