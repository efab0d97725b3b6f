/* DynamoDB AttributeValue helpers: plain JSON values to and from the typed
 * maps DynamoDB speaks ({"S": "x"}, {"N": "42"}, {"M": {...}} ...).
 *
 * Plain JSON has no binary, no sets, and numbers that cJSON holds as doubles;
 * so, both ways:
 *   string                 <-> {"S": "..."}
 *   number                 <-> {"N": "..."}   a cJSON number becomes its shortest
 *                                             exact text; from "N", uvaws gives a
 *                                             raw cJSON number (cJSON_IsRaw) holding
 *                                             the digits verbatim, so no precision
 *                                             is lost either way (raw in, raw out)
 *   true / false           <-> {"BOOL": ...}
 *   null                   <-> {"NULL": true}
 *   object                 <-> {"M": {...}}
 *   array                  <-> {"L": [...]}
 *   {"$b64": "base64"}     <-> {"B": "base64"}
 *   {"$ss": ["a", "b"]}    <-> {"SS": [...]}
 *   {"$ns": ["1", 2]}      <-> {"NS": ["1", "2"]}   (elements strings or numbers)
 *   {"$bs": ["base64"]}    <-> {"BS": [...]}
 * Base64 is checked both ways (OpenSSL's decoder): only canonical base64 with
 * its padding passes (what decodes must encode back to the same text).
 * "N" texts (and raw numbers given) must follow JSON's number grammar, as
 * DynamoDB writes them: a raw cJSON value is printed verbatim, so anything else
 * would make invalid JSON. Number sets come back as strings, so a round trip
 * from {"NS": ...} is exact, one from {"$ns": [1]} gives {"$ns": ["1"]}. Set
 * duplicates are found by text ("1" and "1.0" are left to DynamoDB).
 * An object whose only member is "$b64", "$ss", "$ns" or "$bs" is always read
 * as that tag: a document map with such a single key cannot be written.
 * Nesting is capped at 64 levels (DynamoDB's own limit is 32).
 */
#ifndef UVAWS_DYNAMODB_H
#define UVAWS_DYNAMODB_H

#include <cjson/cJSON.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A plain value as an AttributeValue; NULL on a value that has no
 * AttributeValue (bad base64, a "$" tag with the wrong contents, an empty
 * set, duplicate set members, an object that names a key twice) or no
 * memory. The result is the caller's. */
UVAWS_EXTERN cJSON *uvaws_ddb_to_attr(const cJSON *plain);

/* A plain object as an item: {"name": AttributeValue, ...}. NULL if `plain`
 * is not an object, names an attribute twice (DynamoDB refuses such an item)
 * or a member cannot be converted. */
UVAWS_EXTERN cJSON *uvaws_ddb_to_item(const cJSON *plain);

/* An AttributeValue as a plain value; NULL on something that is not one
 * (a map or item naming a key twice is not). */
UVAWS_EXTERN cJSON *uvaws_ddb_from_attr(const cJSON *attr);

/* An item (object of AttributeValues) as a plain object. */
UVAWS_EXTERN cJSON *uvaws_ddb_from_item(const cJSON *item);

#ifdef __cplusplus
}
#endif
#endif
