/* AWS query-protocol XML answers (STS, SES v1, SNS, SQS query, CloudWatch,
 * EC2) turned into cJSON with expat, without service models:
 *
 * - an element with child elements becomes an object of its children;
 * - an element with only text becomes a string (values stay strings: without
 *   the model, "12" may be a number or an id; callers convert);
 * - an empty element becomes "" (so an empty list, <Topics/>, is "" too: only
 *   the model could tell); a leaf's text is kept as is, blanks included, and
 *   text beside child elements (indentation) is dropped;
 * - sibling elements with the same name become an array, in document order,
 *   at the place of the first;
 * - an element whose children are all <member> (query) or all <item> (EC2)
 *   becomes an array of their values, even with one child;
 * - a map (<entry><key>k</key><value>v</value></entry>, also with <name>) becomes
 *   an object {k: v}, even with one entry; a key given twice keeps its first
 *   place and its last value; an <entry> of another shape is left an object;
 * - flattened lists (SQS's repeated <Message>, <Attribute>) have no wrapper:
 *   they are arrays when repeated and a single object when alone;
 * - attributes are ignored, namespace prefixes dropped ("ns:Code" is "Code");
 * - the root <OperationResponse> is unwrapped: the content of its
 *   <OperationResult> child becomes the top-level object, and
 *   "ResponseMetadata": {"RequestId": ...} is kept beside it (all of its
 *   children, as botocore keeps them; other children of the root are dropped,
 *   as botocore drops them); EC2 answers, which
 *   have no Result element, keep the root's children (requestId included).
 *   Any other root (<ErrorResponse>, EC2's <Response>, S3's
 *   <ListBucketResult>) is the object of its children; a root without child
 *   elements gives {}.
 *
 * DOCTYPE declarations are refused (no entity can be declared, so no entity
 * expansion attack); depth is capped at 64; text per element at 1 MiB. */
#ifndef UVAWS_XML_JSON_H
#define UVAWS_XML_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Converts the `len` bytes of `xml` (any encoding expat knows; strings come
 * out UTF-8). Returns a new object, the caller's, or NULL with the reason
 * written into `why_buf` (`why_len` bytes, cut to fit; may be NULL):
 * "not well-formed XML at line N: <expat's message>", "DOCTYPE refused",
 * "too deep", "text too long", "no XML given" (NULL with len > 0) or
 * "out of memory". */
cJSON *xml_to_json(const char *xml, size_t len, char *why_buf, size_t why_len);

#endif
