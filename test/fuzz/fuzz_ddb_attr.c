/* libFuzzer target for the DynamoDB AttributeValue helpers (dynamodb.h),
 * which read what DynamoDB answers: the input, parsed as JSON, is taken both
 * as an AttributeValue (an item too) and as a plain value. Whatever converts
 * must convert back to the same thing:
 *   - plain -> attr a: a reads back (from_attr), and what it reads converts
 *     to a again;
 *   - attr -> plain p: when p converts back, that reads as p again (a map
 *     whose only key is a "$" tag is the documented exception: it may not
 *     convert back at all);
 *   - every plain value printed is JSON that parses (raw numbers hold JSON
 *     number text only);
 *   - no object made either way names a key twice (DynamoDB refuses such an
 *     item; the helpers refuse to make one).
 * Must never crash, leak, recurse without bound or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "uvaws/dynamodb.h"

static void printed_parses(const cJSON *v) {
  char *text = cJSON_PrintUnformatted(v);
  if (text == NULL)
    return; /* no memory */
  cJSON *back = cJSON_Parse(text);
  if (back == NULL)
    abort();
  cJSON_Delete(back);
  cJSON_free(text);
}

/* Equal as printed: stricter than cJSON_Compare, which ignores key order. */
static int same(const cJSON *a, const cJSON *b) {
  char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
  int eq = x == NULL || y == NULL || strcmp(x, y) == 0; /* no memory: no verdict */
  cJSON_free(x);
  cJSON_free(y);
  return eq;
}

/* Every object in `v` has distinct keys (pairs compared: an oracle apart
 * from the library's own sorted check). */
static void no_repeats(const cJSON *v) {
  for (const cJSON *c = v->child; c != NULL; c = c->next) {
    if (cJSON_IsObject(v))
      for (const cJSON *d = c->next; d != NULL; d = d->next)
        if (strcmp(c->string, d->string) == 0)
          abort();
    no_repeats(c);
  }
}

typedef cJSON *(*conv_fn)(const cJSON *);

/* plain -> attr -> plain -> attr: the two attrs are equal */
static void from_plain(const cJSON *q, conv_fn to, conv_fn from) {
  cJSON *a = to(q);
  if (a == NULL)
    return;
  no_repeats(a);
  cJSON *p = from(a);
  if (p == NULL)
    abort();
  no_repeats(p);
  printed_parses(p);
  cJSON *a2 = to(p);
  if (a2 == NULL || !same(a, a2))
    abort();
  cJSON_Delete(a2);
  cJSON_Delete(p);
  cJSON_Delete(a);
}

/* attr -> plain -> attr -> plain: the two plains are equal */
static void from_attr(const cJSON *a, conv_fn to, conv_fn from) {
  cJSON *p = from(a);
  if (p == NULL)
    return;
  no_repeats(p);
  printed_parses(p);
  cJSON *a2 = to(p);
  if (a2 != NULL) {
    cJSON *p2 = from(a2);
    if (p2 == NULL || !same(p, p2))
      abort();
    cJSON_Delete(p2);
    cJSON_Delete(a2);
  }
  cJSON_Delete(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cJSON *v = cJSON_ParseWithLength((const char *)data, size);
  if (v == NULL)
    return 0;
  from_plain(v, uvaws_ddb_to_attr, uvaws_ddb_from_attr);
  from_plain(v, uvaws_ddb_to_item, uvaws_ddb_from_item);
  from_attr(v, uvaws_ddb_to_attr, uvaws_ddb_from_attr);
  from_attr(v, uvaws_ddb_to_item, uvaws_ddb_from_item);
  cJSON_Delete(v);
  return 0;
}
