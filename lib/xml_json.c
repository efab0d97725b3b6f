/* AWS query/EC2 XML answers as cJSON, without service models (rules in
 * xml_json.h). Two passes: expat builds a small element tree, then the tree
 * is turned into cJSON. The tree is needed because an element's shape (text,
 * object, list, map) and whether a name repeats among its siblings are only
 * known once all of its children have been seen. */
#include "xml_json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xml_tree.h"

#define MAX_DEPTH 64
#define MAX_TEXT ((size_t)1 << 20)

/* While converting a parent, the child that opens a group of same-named
 * siblings records where the group sits in the sorted index. */
typedef xml_node node;
#define group_start mark
#define group_count mark2

/* ---- tree to cJSON ---- */

typedef struct {
  const char *key;
  size_t pos;
  node *n;
} slot;

static int slot_cmp(const void *a, const void *b) {
  const slot *x = a, *y = b;
  int c = strcmp(x->key, y->key);
  if (c != 0)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static const char *text_of(const node *n) { return xml_text(n); }

static node *child(const node *n, const char *name) { return xml_child(n, name); }

static int all_named(const node *n, const char *name) {
  for (node *c = xml_first(n); c != NULL; c = xml_next(c))
    if (strcmp(c->name, name) != 0)
      return 0;
  return 1;
}

/* The key of a map entry: <entry> holding exactly a text <key> (or <name>)
 * and a <value>; NULL if `e` is not shaped so. */
static const node *entry_key(const node *e) {
  if (e->nchildren != 2)
    return NULL;
  const node *k = child(e, "key");
  if (k == NULL)
    k = child(e, "name");
  if (k == NULL || !list_empty(&k->children) || child(e, "value") == NULL)
    return NULL;
  return k;
}

/* Sorts the children of `n` by `key` (their name, or their map key) and marks
 * on the first child of each group, in document order, where the group is.
 * Sorting keeps this O(n log n) for answers with thousands of siblings. */
static slot *group(node *n, int by_entry_key) {
  slot *v = malloc(n->nchildren * sizeof *v);
  if (v == NULL)
    return NULL;
  size_t i = 0;
  for (node *c = xml_first(n); c != NULL; c = xml_next(c), i++) {
    v[i].key = by_entry_key ? text_of(entry_key(c)) : c->name;
    v[i].pos = i;
    v[i].n = c;
    c->group_count = 0;
  }
  qsort(v, n->nchildren, sizeof *v, slot_cmp);
  for (i = 0; i < n->nchildren;) {
    size_t j = i + 1;
    while (j < n->nchildren && strcmp(v[j].key, v[i].key) == 0)
      j++;
    v[i].n->group_start = i;
    v[i].n->group_count = j - i;
    i = j;
  }
  return v;
}

static cJSON *value_of(node *n);

static cJSON *fail(cJSON *j, slot *v) {
  cJSON_Delete(j);
  free(v);
  return NULL;
}

/* Children as an object; a name met more than once becomes an array of all
 * its elements, in document order, where the name first appeared. */
static cJSON *object_of(node *n) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL || list_empty(&n->children))
    return o;
  slot *v = group(n, 0);
  if (v == NULL)
    return fail(o, NULL);
  for (node *c = xml_first(n); c != NULL; c = xml_next(c)) {
    if (c->group_count == 0)
      continue;
    cJSON *item;
    if (c->group_count == 1) {
      item = value_of(c);
    } else {
      item = cJSON_CreateArray();
      for (size_t i = 0; item != NULL && i < c->group_count; i++) {
        cJSON *e = value_of(v[c->group_start + i].n);
        if (e == NULL || !cJSON_AddItemToArray(item, e)) {
          cJSON_Delete(e);
          cJSON_Delete(item);
          item = NULL;
        }
      }
    }
    if (item == NULL || !cJSON_AddItemToObject(o, c->name, item)) {
      cJSON_Delete(item);
      return fail(o, v);
    }
  }
  free(v);
  return o;
}

static cJSON *list_of(node *n) {
  cJSON *a = cJSON_CreateArray();
  for (node *c = xml_first(n); a != NULL && c != NULL; c = xml_next(c)) {
    cJSON *e = value_of(c);
    if (e == NULL || !cJSON_AddItemToArray(a, e)) {
      cJSON_Delete(e);
      return fail(a, NULL);
    }
  }
  return a;
}

/* Entries as an object; a key given twice keeps its place and its last
 * value, as a dictionary would. */
static cJSON *map_of(node *n) {
  cJSON *o = cJSON_CreateObject();
  if (o == NULL)
    return NULL;
  slot *v = group(n, 1);
  if (v == NULL)
    return fail(o, NULL);
  for (node *c = xml_first(n); c != NULL; c = xml_next(c)) {
    if (c->group_count == 0)
      continue;
    node *last = v[c->group_start + c->group_count - 1].n;
    cJSON *item = value_of(child(last, "value"));
    if (item == NULL || !cJSON_AddItemToObject(o, text_of(entry_key(c)), item)) {
      cJSON_Delete(item);
      return fail(o, v);
    }
  }
  free(v);
  return o;
}

static int is_map(const node *n) {
  if (!all_named(n, "entry"))
    return 0;
  for (const node *c = xml_first(n); c != NULL; c = xml_next(c))
    if (entry_key(c) == NULL)
      return 0;
  return 1;
}

static cJSON *value_of(node *n) {
  if (list_empty(&n->children))
    return cJSON_CreateString(text_of(n));
  if (all_named(n, "member") || all_named(n, "item"))
    return list_of(n);
  if (is_map(n))
    return map_of(n);
  return object_of(n);
}

/* <XResponse><XResult>...</XResult><ResponseMetadata>... : the Result's
 * content is the answer, and the request id stays beside it, as the SDKs
 * return it. Anything else is the object of the root's children. */
static cJSON *root_of(node *root) {
  static const char suffix[] = "Response";
  size_t len = strlen(root->name), sl = sizeof suffix - 1;
  node *result = NULL;
  if (len > sl && strcmp(root->name + len - sl, suffix) == 0) {
    for (node *c = xml_first(root); c != NULL && result == NULL; c = xml_next(c))
      if (strncmp(c->name, root->name, len - sl) == 0 && strcmp(c->name + len - sl, "Result") == 0)
        result = c;
  }
  if (result == NULL)
    return object_of(root);
  cJSON *o = object_of(result);
  node *meta = child(root, "ResponseMetadata");
  if (o != NULL && meta != NULL) {
    cJSON *m = value_of(meta);
    if (m == NULL) {
      cJSON_Delete(o);
      return NULL;
    }
    int ok = cJSON_GetObjectItemCaseSensitive(o, "ResponseMetadata") != NULL
                 ? cJSON_ReplaceItemInObjectCaseSensitive(o, "ResponseMetadata", m)
                 : cJSON_AddItemToObject(o, "ResponseMetadata", m);
    if (!ok) {
      cJSON_Delete(m);
      cJSON_Delete(o);
      return NULL;
    }
  }
  return o;
}

/* ---- entry point ---- */

cJSON *xml_to_json(const char *xml, size_t len, char *why_buf, size_t why_len) {
  node *root = xml_parse(xml, len, MAX_DEPTH, MAX_TEXT, why_buf, why_len);
  if (root == NULL)
    return NULL;
  cJSON *out = root_of(root);
  if (out == NULL && why_buf != NULL && why_len > 0)
    snprintf(why_buf, why_len, "out of memory");
  xml_free(root);
  return out;
}
