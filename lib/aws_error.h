/* Turning a failed AWS HTTP answer into a uvaws_error_t.
 *
 * AWS reports errors in three dialects: a JSON object (awsJson1.0/1.1,
 * restJson1), an XML document (S3's <Error>, the query protocols'
 * <ErrorResponse>, EC2's <Response><Errors>) and a header (x-amzn-ErrorType).
 * This module reads all of them the way the AWS SDKs do, so that callers see
 * the same type names ("ResourceNotFoundException", "NoSuchKey") as users of
 * the AWS CLI. Private to the library.
 */
#ifndef UVAWS_AWS_ERROR_H
#define UVAWS_AWS_ERROR_H

#include <stddef.h>

#include "uvaws/common.h"
#include "uvaws/error.h"

/* Longest type, message or request id kept, in bytes. Longer text is cut at a
 * UTF-8 character boundary at or below this length: the fields are for
 * humans and for branching on the type, and a hostile or broken peer must not
 * make one error cost megabytes. */
#define AWS_ERROR_FIELD_MAX 4096

/* Only this much of a body is looked at. Real error bodies are well under a
 * kilobyte; the transport bounds bodies too, this only bounds the parsing. */
#define AWS_ERROR_BODY_MAX (1024 * 1024)

typedef enum {
  AWS_BODY_OTHER = 0, /* empty, blank, or neither JSON nor XML */
  AWS_BODY_JSON,      /* first non-blank character is '{' */
  AWS_BODY_XML,       /* first non-blank character is '<' */
} aws_body_kind_t;

/* Which parser a body wants, from its first non-blank byte (a UTF-8 byte
 * order mark is skipped). Content-Type is not trusted: proxies and load
 * balancers put HTML or text/plain in front of JSON services, and some
 * services label JSON as application/x-amz-json-1.0, some as text/xml. */
aws_body_kind_t aws_error_body_kind(const char *body, size_t body_len);

/* Fills `err` (cleared first) from an HTTP answer that is not a success.
 * status: HTTP status; headers: response headers (names in any case; entries
 * with a NULL name or value are skipped); body/body_len: the body, not
 * NUL-terminated, possibly empty, binary, truncated or hostile (NULL is taken
 * as empty).
 *
 * Sets err->code = UVAWS_EAWS, http_status, and when found aws_type, message
 * and request_id; detail stays NULL. A field that is not found stays NULL: an
 * empty 503 gives aws_type == NULL and callers go by the status.
 *
 * Type, first found wins (Smithy's restJson1 rule, which aws-sdk-js-v3 also
 * applies to awsJson1.0/1.1 — services that send more than one send the same):
 *   1. header x-amzn-ErrorType
 *   2. JSON body "code", then "Code", then "__type";
 *      XML body <Code> of the first <Error>
 * Each candidate is cut at its first ':' (drops
 * ":http://internal.amazon.com/coral/..."), then everything up to its last
 * '#' is dropped (drops "com.amazonaws.dynamodb.v20120810#"); one that ends
 * up empty counts as absent.
 *
 * Message: JSON "message", then "Message", then "errorMessage" (strings only);
 * XML <Message> of the first <Error>.
 *
 * Request id: the body's (<RequestId>, EC2's <RequestID>) when present, else
 * header x-amzn-RequestId, else x-amz-request-id. x-amz-id-2 is S3's host id,
 * not a request id, and is ignored.
 *
 * Text is trimmed of surrounding whitespace and cut to AWS_ERROR_FIELD_MAX.
 * A truncated XML body still yields the elements that closed before the cut;
 * a truncated JSON body yields nothing (cJSON parses whole documents only).
 *
 * Returns 0, UVAWS_EINVAL when err is NULL, or UVAWS_ENOMEM; on UVAWS_ENOMEM
 * err still says UVAWS_EAWS with the status, but its strings are NULL. */
int aws_error_from_response(uvaws_error_t *err, long status, const uvaws_kv_t *headers,
                            size_t header_count, const char *body, size_t body_len);

#endif
