/* AWS query-protocol XML answers (STS, SES v1, SNS, SQS query, CloudWatch,
 * EC2) turned into cJSON with expat, without service models:
 *
 * - an element with child elements becomes an object of its children;
 * - an element with only text becomes a string (values stay strings: without
 *   the model, "12" may be a number or an id; callers convert);
 * - an empty element becomes "";
 * - sibling elements with the same name become an array, in document order;
 * - an element whose children are all <member> (query) or all <item> (EC2)
 *   becomes an array of their values, even with one child;
 * - a map (<entry><key>k</key><value>v</value></entry>, also with <name>) becomes
 *   an object {k: v};
 * - attributes are ignored, namespace prefixes dropped ("ns:Code" is "Code");
 * - the root <OperationResponse> is unwrapped: the content of its
 *   <OperationResult> child becomes the top-level object, and
 *   "ResponseMetadata": {"RequestId": ...} is kept beside it; EC2 answers, which
 *   have no Result element, keep the root's children (requestId included).
 *
 * DOCTYPE declarations are refused (no entity can be declared, so no entity
 * expansion attack); depth is capped at 64; text per element at 1 MiB. */
#ifndef UVAWS_XML_JSON_H
#define UVAWS_XML_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Returns the object, or NULL with a short static reason in *why (may be
 * NULL): "not well-formed XML at line N" (a buffer owned by nobody: the text
 * is written into `why_buf` of `why_len` bytes when given), "DOCTYPE refused",
 * "too deep", "out of memory". */
cJSON *xml_to_json(const char *xml, size_t len, char *why_buf, size_t why_len);

#endif
