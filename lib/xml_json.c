/* AWS query/EC2 XML answers as cJSON, without service models (rules in
 * xml_json.h). Two passes: expat builds a small element tree, then the tree
 * is turned into cJSON. The tree is needed because an element's shape (text,
 * object, list, map) and whether a name repeats among its siblings are only
 * known once all of its children have been seen. */
#include "xml_json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "buf.h"
#include "list.h"

#define MAX_DEPTH 64
#define MAX_TEXT ((size_t)1 << 20)

typedef struct node {
  char *name; /* namespace prefix dropped */
  buf_t text; /* NUL-terminated when not empty; ignored once the element has children */
  struct node *parent;
  list_t children; /* of node, through `sibling`, in document order */
  list_t sibling;
  size_t nchildren;
  /* Set while converting the parent: the child that opens a group of
   * same-named siblings records where the group sits in the sorted index. */
  size_t group_start, group_count;
} node;

typedef struct {
  XML_Parser parser;
  node *root, *cur;
  size_t depth;
  const char *why; /* set when we stopped the parser ourselves */
} state;

static node *first_child(const node *n) {
  list_t *f = list_first(&n->children);
  return f ? list_entry(f, node, sibling) : NULL;
}

static node *next_child(const node *n, const node *c) {
  return c->sibling.next == &n->children ? NULL : list_entry(c->sibling.next, node, sibling);
}

static void node_free(node *n) {
  if (n == NULL)
    return;
  list_t *c;
  while ((c = list_pop_front(&n->children)) != NULL)
    node_free(list_entry(c, node, sibling)); /* bounded by MAX_DEPTH */
  free(n->name);
  buf_free(&n->text); /* cleansed: an STS answer's text is a secret */
  free(n);
}

static void stop(state *s, const char *why) {
  if (s->why == NULL)
    s->why = why;
  XML_StopParser(s->parser, XML_FALSE);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  state *s = ud;
  (void)atts; /* attributes carry nothing the query protocols need */
  if (s->why != NULL)
    return;
  if (s->depth >= MAX_DEPTH) {
    stop(s, "too deep");
    return;
  }
  const char *colon = strrchr(name, ':');
  node *n = calloc(1, sizeof *n);
  if (n == NULL || (n->name = strdup(colon ? colon + 1 : name)) == NULL) {
    free(n);
    stop(s, "out of memory");
    return;
  }
  list_init(&n->children);
  n->parent = s->cur;
  if (s->cur == NULL) {
    s->root = n;
  } else {
    list_push_back(&s->cur->children, &n->sibling);
    s->cur->nchildren++;
  }
  s->cur = n;
  s->depth++;
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
  state *s = ud;
  (void)name; /* expat has checked that it matches */
  /* expat may still report the end of an empty element after a stop in its
   * start handler, whose node then does not exist. */
  if (s->why != NULL)
    return;
  s->cur = s->cur->parent;
  s->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *t, int len) {
  state *s = ud;
  node *n = s->cur;
  /* Text beside child elements is indentation: only leaves keep text. */
  if (s->why != NULL || n == NULL || !list_empty(&n->children) || len <= 0)
    return;
  size_t add = (size_t)len;
  if (add > MAX_TEXT - n->text.len) {
    stop(s, "text too long");
    return;
  }
  buf_add(&n->text, t, add);
  if (buf_str(&n->text) == NULL)
    stop(s, "out of memory");
}

/* AWS answers never carry a DTD; refusing it before any declaration is read
 * means no entity can be defined, so no entity expansion of any kind. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset) {
  (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
  stop(ud, "DOCTYPE refused");
}

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

static const char *text_of(const node *n) { return n->text.len ? n->text.data : ""; }

static node *child(const node *n, const char *name) {
  for (node *c = first_child(n); c != NULL; c = next_child(n, c))
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

static int all_named(const node *n, const char *name) {
  for (node *c = first_child(n); c != NULL; c = next_child(n, c))
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
  for (node *c = first_child(n); c != NULL; c = next_child(n, c), i++) {
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
  for (node *c = first_child(n); c != NULL; c = next_child(n, c)) {
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
  for (node *c = first_child(n); a != NULL && c != NULL; c = next_child(n, c)) {
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
  for (node *c = first_child(n); c != NULL; c = next_child(n, c)) {
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
  for (const node *c = first_child(n); c != NULL; c = next_child(n, c))
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
    for (node *c = first_child(root); c != NULL && result == NULL; c = next_child(root, c))
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

static void say(char *buf, size_t len, const char *why) {
  if (buf != NULL && len > 0)
    snprintf(buf, len, "%s", why);
}

cJSON *xml_to_json(const char *xml, size_t len, char *why_buf, size_t why_len) {
  if (xml == NULL && len > 0) {
    say(why_buf, why_len, "no XML given");
    return NULL;
  }
  state s = {0};
  s.parser = XML_ParserCreate(NULL);
  if (s.parser == NULL) {
    say(why_buf, why_len, "out of memory");
    return NULL;
  }
  XML_SetUserData(s.parser, &s);
  XML_SetElementHandler(s.parser, on_start, on_end);
  XML_SetCharacterDataHandler(s.parser, on_text);
  XML_SetStartDoctypeDeclHandler(s.parser, on_doctype);
  XML_SetParamEntityParsing(s.parser, XML_PARAM_ENTITY_PARSING_NEVER);

  /* XML_Parse takes an int length: feed larger bodies in pieces. */
  enum XML_Status st = XML_STATUS_OK;
  const char *p = xml ? xml : "";
  size_t left = len;
  do {
    int n = left > INT_MAX / 2 ? INT_MAX / 2 : (int)left;
    left -= (size_t)n;
    st = XML_Parse(s.parser, p, n, left == 0);
    p += n;
  } while (st == XML_STATUS_OK && left > 0);

  cJSON *out = NULL;
  if (st != XML_STATUS_OK) {
    if (s.why != NULL)
      say(why_buf, why_len, s.why);
    else if (XML_GetErrorCode(s.parser) == XML_ERROR_NO_MEMORY)
      say(why_buf, why_len, "out of memory");
    else if (why_buf != NULL && why_len > 0)
      snprintf(why_buf, why_len, "not well-formed XML at line %lu: %s",
               (unsigned long)XML_GetCurrentLineNumber(s.parser),
               XML_ErrorString(XML_GetErrorCode(s.parser)));
  } else {
    out = root_of(s.root);
    if (out == NULL)
      say(why_buf, why_len, "out of memory");
  }
  XML_ParserFree(s.parser);
  node_free(s.root);
  return out;
}
