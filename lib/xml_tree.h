/* An XML document as a small element tree, built with expat, for the
 * readers that need an element's children before they can say what it is
 * (xml_json.c, without models; op_parse_xml.c, by shape).
 *
 * Element names lose their namespace prefix ("ns:Code" is "Code", as
 * botocore's parsers strip namespaces); attribute names stay as written
 * ("xsi:type"). Only leaves keep their text: text beside child elements is
 * indentation. DOCTYPE declarations are refused (no entity can be declared,
 * so no entity expansion attack); depth and text per element are capped. */
#ifndef UVAWS_XML_TREE_H
#define UVAWS_XML_TREE_H

#include <stddef.h>

#include <expat.h>

#include "buf.h"
#include "list.h"

typedef struct xml_node {
  const char *name; /* in the node's allocation */
  buf_t text; /* empty once the element has children; cleansed when freed (STS answers) */
  char **attrs; /* name, value, ..., NULL; NULL when none */
  struct xml_node *parent;
  list_t children; /* of xml_node, through `sibling`, in document order */
  list_t sibling;
  size_t nchildren;
  size_t mark, mark2; /* the reader's own, zero at first */
} xml_node;

/* A new expat parser (NULL out of memory) hashing with the process's random
 * salt: expat draws its own from getrandom for every parser, a system call
 * an answer; a salt drawn once keeps the hash-flooding defence it is for.
 * Every parser of the library comes from here. */
XML_Parser xml_parser_create(void);

/* Parses `len` bytes. Returns the root (free with xml_free) or NULL with the
 * reason in why_buf: "not well-formed XML at line N: ...", "DOCTYPE refused",
 * "too deep", "text too long", "no XML given", "out of memory". */
xml_node *xml_parse(const char *xml, size_t len, size_t max_depth, size_t max_text, char *why_buf,
                    size_t why_len);

void xml_free(xml_node *root);

/* The first child named `name`, or NULL. */
xml_node *xml_child(const xml_node *n, const char *name);

/* An attribute's value, or NULL. */
const char *xml_attr(const xml_node *n, const char *name);

static inline const char *xml_text(const xml_node *n) {
  return n && n->text.len ? n->text.data : "";
}

/* The first child, or NULL. */
static inline xml_node *xml_first(const xml_node *n) {
  list_t *f = list_first(&n->children);
  return f ? list_entry(f, xml_node, sibling) : NULL;
}

/* The next sibling, or NULL. */
static inline xml_node *xml_next(const xml_node *c) {
  return c->parent == NULL || c->sibling.next == &c->parent->children
             ? NULL
             : list_entry(c->sibling.next, xml_node, sibling);
}

#endif
