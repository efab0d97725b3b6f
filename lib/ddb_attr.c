/* DynamoDB AttributeValues to and from plain JSON (mapping in
 * include/uvaws/dynamodb.h). Both directions check what DynamoDB itself
 * would refuse (bad base64, empty or duplicated sets), so that a mistake is
 * found here and not as a ValidationException after a round trip. */
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json_keys.h"
#include "num_text.h"
#include "uvaws/dynamodb.h"

/* DynamoDB nests documents 32 levels deep; the rest is margin for the
 * recursion, not a DynamoDB rule. */
#define MAX_DEPTH 64

/* Canonical base64 only (b64.h); empty binary is allowed outside keys. */
static int is_base64(const char *s) { return s != NULL && b64_is_canonical(s, strlen(s)); }

static int str_cmp(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* 1 if the strings of array `a` are pairwise different (sorted copy of the
 * pointers, so large sets stay O(n log n)). -1 on no memory. */
static int distinct(const cJSON *a) {
  int n = cJSON_GetArraySize(a);
  const char **v = malloc((size_t)n * sizeof *v);
  if (v == NULL)
    return -1;
  int i = 0;
  for (const cJSON *c = a->child; c != NULL; c = c->next)
    v[i++] = c->valuestring;
  qsort(v, (size_t)n, sizeof *v, str_cmp);
  int ok = 1;
  for (i = 1; i < n && ok; i++)
    ok = strcmp(v[i - 1], v[i]) != 0;
  free(v);
  return ok;
}

static cJSON *wrap(const char *tag, cJSON *v) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || v == NULL || !cJSON_AddItemToObject(o, tag, v)) {
    cJSON_Delete(o);
    cJSON_Delete(v);
    return NULL;
  }
  return o;
}

static int add(cJSON *to, const char *key, cJSON *item) {
  int ok = item != NULL && (key ? cJSON_AddItemToObject(to, key, item)
                                : cJSON_AddItemToArray(to, item));
  if (!ok)
    cJSON_Delete(item);
  return ok;
}

/* A set's elements as an array of strings, checked: non-empty, each a string
 * (for "NS" also a number, written as text) passing `ok`, no duplicates. */
static cJSON *set_of(const cJSON *a, int numbers, int (*ok)(const char *)) {
  if (!cJSON_IsArray(a) || a->child == NULL)
    return NULL;
  cJSON *out = cJSON_CreateArray();
  for (const cJSON *c = a->child; out != NULL && c != NULL; c = c->next) {
    char num[NUM_TEXT_MAX];
    const char *s = NULL;
    if (cJSON_IsString(c) || (numbers && cJSON_IsRaw(c)))
      s = c->valuestring;
    else if (numbers && cJSON_IsNumber(c) && num_text(c->valuedouble, num) > 0)
      s = num;
    if (s == NULL || !ok(s) || !add(out, NULL, cJSON_CreateString(s))) {
      cJSON_Delete(out);
      out = NULL;
    }
  }
  if (out != NULL && distinct(out) != 1) {
    cJSON_Delete(out);
    out = NULL;
  }
  return out;
}

static int any_string(const char *s) { return s != NULL; }

static const struct {
  const char *plain, *attr;
  int numbers;
  int (*ok)(const char *);
} sets[] = {
    {"$ss", "SS", 0, any_string},
    {"$ns", "NS", 1, num_is_json},
    {"$bs", "BS", 0, is_base64},
};

/* ---- plain to AttributeValue ---- */

static cJSON *to_attr(const cJSON *p, int depth);

static cJSON *members_to(const cJSON *p, int depth, int array) {
  if (!array && json_has_repeated_key(p) != 0)
    return NULL; /* an attribute named twice: DynamoDB refuses the item */
  cJSON *o = array ? cJSON_CreateArray() : cJSON_CreateObject();
  for (const cJSON *c = p->child; o != NULL && c != NULL; c = c->next)
    if (!add(o, array ? NULL : c->string, to_attr(c, depth + 1))) {
      cJSON_Delete(o);
      o = NULL;
    }
  return o;
}

/* {"$b64": ...} and the set tags: an object whose only member is a tag. */
static cJSON *tagged_to(const cJSON *p, int *is_tag) {
  *is_tag = 0;
  const cJSON *c = p->child;
  if (c == NULL || c->next != NULL || c->string == NULL)
    return NULL;
  if (strcmp(c->string, "$b64") == 0) {
    *is_tag = 1;
    if (!cJSON_IsString(c) || !is_base64(c->valuestring))
      return NULL;
    return wrap("B", cJSON_CreateString(c->valuestring));
  }
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    if (strcmp(c->string, sets[i].plain) == 0) {
      *is_tag = 1;
      cJSON *s = set_of(c, sets[i].numbers, sets[i].ok);
      return s ? wrap(sets[i].attr, s) : NULL;
    }
  return NULL;
}

static cJSON *to_attr(const cJSON *p, int depth) {
  if (p == NULL || depth > MAX_DEPTH)
    return NULL;
  char num[NUM_TEXT_MAX];
  int is_tag;
  cJSON *t;
  switch (p->type & 0xff) {
  case cJSON_String:
    return wrap("S", cJSON_CreateString(p->valuestring));
  case cJSON_Number:
    return num_text(p->valuedouble, num) > 0 ? wrap("N", cJSON_CreateString(num)) : NULL;
  case cJSON_Raw: /* the caller's exact digits */
    return num_is_json(p->valuestring) ? wrap("N", cJSON_CreateString(p->valuestring)) : NULL;
  case cJSON_True:
  case cJSON_False:
    return wrap("BOOL", cJSON_CreateBool(cJSON_IsTrue(p)));
  case cJSON_NULL:
    return wrap("NULL", cJSON_CreateTrue());
  case cJSON_Array:
    return wrap("L", members_to(p, depth, 1));
  case cJSON_Object:
    t = tagged_to(p, &is_tag);
    return is_tag ? t : wrap("M", members_to(p, depth, 0));
  default:
    return NULL;
  }
}

UVAWS_EXTERN cJSON *uvaws_ddb_to_attr(const cJSON *plain) { return to_attr(plain, 0); }

UVAWS_EXTERN cJSON *uvaws_ddb_to_item(const cJSON *plain) {
  return cJSON_IsObject(plain) ? members_to(plain, 0, 0) : NULL;
}

/* ---- AttributeValue to plain ---- */

static cJSON *from_attr(const cJSON *a, int depth);

static cJSON *members_from(const cJSON *a, int depth, int array) {
  if (!array && json_has_repeated_key(a) != 0)
    return NULL; /* no item names an attribute twice */
  cJSON *o = array ? cJSON_CreateArray() : cJSON_CreateObject();
  for (const cJSON *c = a->child; o != NULL && c != NULL; c = c->next)
    if (!add(o, array ? NULL : c->string, from_attr(c, depth + 1))) {
      cJSON_Delete(o);
      o = NULL;
    }
  return o;
}

static cJSON *from_attr(const cJSON *a, int depth) {
  /* An AttributeValue is a union: exactly one member says its type. */
  if (!cJSON_IsObject(a) || depth > MAX_DEPTH || a->child == NULL || a->child->next != NULL ||
      a->child->string == NULL)
    return NULL;
  const cJSON *v = a->child;
  const char *tag = v->string;
  if (strcmp(tag, "S") == 0)
    return cJSON_IsString(v) ? cJSON_CreateString(v->valuestring) : NULL;
  if (strcmp(tag, "N") == 0)
    return cJSON_IsString(v) && num_is_json(v->valuestring) ? cJSON_CreateRaw(v->valuestring)
                                                             : NULL;
  if (strcmp(tag, "B") == 0)
    return cJSON_IsString(v) && is_base64(v->valuestring)
               ? wrap("$b64", cJSON_CreateString(v->valuestring))
               : NULL;
  if (strcmp(tag, "BOOL") == 0)
    return cJSON_IsBool(v) ? cJSON_CreateBool(cJSON_IsTrue(v)) : NULL;
  if (strcmp(tag, "NULL") == 0)
    return cJSON_IsTrue(v) ? cJSON_CreateNull() : NULL;
  if (strcmp(tag, "M") == 0)
    return cJSON_IsObject(v) ? members_from(v, depth, 0) : NULL;
  if (strcmp(tag, "L") == 0)
    return cJSON_IsArray(v) ? members_from(v, depth, 1) : NULL;
  for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
    if (strcmp(tag, sets[i].attr) == 0) {
      /* DynamoDB sends numbers in sets as strings; they stay strings. */
      cJSON *s = cJSON_IsArray(v) ? set_of(v, 0, sets[i].ok) : NULL;
      return s ? wrap(sets[i].plain, s) : NULL;
    }
  return NULL;
}

UVAWS_EXTERN cJSON *uvaws_ddb_from_attr(const cJSON *attr) { return from_attr(attr, 0); }

UVAWS_EXTERN cJSON *uvaws_ddb_from_item(const cJSON *item) {
  return cJSON_IsObject(item) ? members_from(item, 0, 0) : NULL;
}
