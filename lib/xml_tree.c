/* The element tree of xml_tree.h, built by expat's callbacks. */
#include "xml_tree.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

typedef struct {
  XML_Parser parser;
  xml_node *root, *cur;
  size_t depth, max_depth, max_text;
  const char *why; /* set when we stopped the parser ourselves */
} state;

void xml_free(xml_node *n) {
  if (n == NULL)
    return;
  list_t *c;
  while ((c = list_pop_front(&n->children)) != NULL)
    xml_free(list_entry(c, xml_node, sibling)); /* bounded by the depth cap */
  for (char **a = n->attrs; a && *a; a++)
    free(*a);
  free(n->attrs);
  buf_free(&n->text); /* the name lives in the node's own allocation */
  free(n);
}

static void stop(state *s, const char *why) {
  if (s->why == NULL)
    s->why = why;
  XML_StopParser(s->parser, XML_FALSE);
}

static int copy_attrs(xml_node *n, const XML_Char **atts) {
  size_t count = 0;
  while (atts[count])
    count++;
  if (count == 0)
    return 0;
  n->attrs = calloc(count + 1, sizeof *n->attrs);
  if (n->attrs == NULL)
    return -1;
  for (size_t i = 0; i < count; i++)
    if ((n->attrs[i] = strdup(atts[i])) == NULL)
      return -1;
  return 0;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  state *s = ud;
  if (s->why != NULL)
    return;
  if (s->depth >= s->max_depth) {
    stop(s, "too deep");
    return;
  }
  const char *colon = strrchr(name, ':');
  const char *local = colon ? colon + 1 : name;
  size_t name_size = strlen(local) + 1;
  /* the node and its name in one allocation: half the calls to malloc of a
   * document's elements (a listing has hundreds) */
  xml_node *n = malloc(sizeof *n + name_size);
  if (n != NULL) {
    memset(n, 0, sizeof *n);
    list_init(&n->children);
    n->name = memcpy((char *)(n + 1), local, name_size);
  }
  if (n == NULL || copy_attrs(n, atts)) {
    xml_free(n);
    stop(s, "out of memory");
    return;
  }
  n->parent = s->cur;
  if (s->cur == NULL) {
    s->root = n;
  } else {
    xml_node *p = s->cur;
    list_push_back(&p->children, &n->sibling);
    p->nchildren++;
    /* the parent is no leaf: its text so far was indentation */
    buf_free(&p->text);
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
  xml_node *n = s->cur;
  if (s->why != NULL || n == NULL || !list_empty(&n->children) || len <= 0)
    return;
  size_t add = (size_t)len;
  if (add > s->max_text - n->text.len) {
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

static void say(char *buf, size_t len, const char *why) {
  if (buf != NULL && len > 0)
    snprintf(buf, len, "%s", why);
}

XML_Parser xml_parser_create(void) {
  static _Atomic unsigned long salt; /* 0: not drawn yet (or drawn as 0: drawn again) */
  unsigned long s = atomic_load_explicit(&salt, memory_order_relaxed), drawn;
  if (s == 0 && getrandom(&drawn, sizeof drawn, GRND_NONBLOCK) == (ssize_t)sizeof drawn) {
    s = drawn; /* only a whole draw: a failed one leaves s at 0 */
    atomic_store_explicit(&salt, s, memory_order_relaxed); /* two threads: either salt serves */
  }
  XML_Parser p = XML_ParserCreate(NULL);
  if (p != NULL && s != 0)
    XML_SetHashSalt(p, s);
  return p; /* no salt of ours (no entropy yet): expat draws its own */
}

xml_node *xml_parse(const char *xml, size_t len, size_t max_depth, size_t max_text, char *why_buf,
                    size_t why_len) {
  if (xml == NULL && len > 0) {
    say(why_buf, why_len, "no XML given");
    return NULL;
  }
  state s = {.max_depth = max_depth, .max_text = max_text};
  s.parser = xml_parser_create();
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

  if (st != XML_STATUS_OK) {
    if (s.why != NULL)
      say(why_buf, why_len, s.why);
    else if (XML_GetErrorCode(s.parser) == XML_ERROR_NO_MEMORY)
      say(why_buf, why_len, "out of memory");
    else if (why_buf != NULL && why_len > 0)
      snprintf(why_buf, why_len, "not well-formed XML at line %lu: %s",
               (unsigned long)XML_GetCurrentLineNumber(s.parser),
               XML_ErrorString(XML_GetErrorCode(s.parser)));
    xml_free(s.root);
    s.root = NULL;
  }
  XML_ParserFree(s.parser);
  return s.root;
}

xml_node *xml_child(const xml_node *n, const char *name) {
  for (xml_node *c = n ? xml_first(n) : NULL; c != NULL; c = xml_next(c))
    if (strcmp(c->name, name) == 0)
      return c;
  return NULL;
}

const char *xml_attr(const xml_node *n, const char *name) {
  for (char **a = n->attrs; a && a[0] && a[1]; a += 2)
    if (strcmp(a[0], name) == 0)
      return a[1];
  return NULL;
}
