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

typedef struct xml_node {
  char *name;
  char *text; /* NULL when empty; never set once the element has children */
  size_t text_len, text_cap;
  char **attrs; /* name, value, ..., NULL; NULL when none */
  struct xml_node *parent, *first, *last, *next;
  size_t nchildren;
  size_t mark, mark2; /* the reader's own, zero at first */
} xml_node;

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

static inline const char *xml_text(const xml_node *n) { return n && n->text ? n->text : ""; }

#endif
