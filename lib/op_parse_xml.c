/* XML answers by shape (query, ec2, rest-xml), as botocore's
 * BaseXMLResponseParser reads them: a structure's members are found among
 * the element's children by wire name (a flattened list by its member's
 * name), a name met several times is a list of elements, a non-flattened
 * list is every child of its element, a map its <entry> children (or the
 * flattened entries), xmlAttribute members are attributes; leaves become
 * typed values (text_to_value). Unknown elements are skipped. */
#include <stdio.h>
#include <stdlib.h>

#include "json_keys.h"
#include "op.h"
#include "xml_tree.h"

#define MAX_DEPTH 128
#define MAX_TEXT ((size_t)64 << 20)

typedef struct {
  const model_t *m;
  const char *bad; /* what did not fit, for the error */
  char where[128];
} xp_t;

/* The elements that make a value: one element, or several (a repeated name). */
typedef struct {
  xml_node *const *v;
  size_t n;
} nodes_t;

static cJSON *parse(xp_t *x, const mref_t *r, nodes_t ns, int depth);

static cJSON *fail(xp_t *x, const char *why, const xml_node *at) {
  if (x->bad == NULL) {
    x->bad = why;
    snprintf(x->where, sizeof x->where, "%s", at ? at->name : "");
  }
  return NULL;
}

/* A member's element name: a flattened list's items carry its member's name. */
static const char *member_xml_name(const model_t *m, const mref_t *r) {
  const mshape_t *s = model_target(m, r);
  if (s->type == MT_LIST && (r->flags & MR_FLATTENED)) {
    const mref_t *item = model_mref(m, s->a);
    if (item->flags & MR_HAS_NAME)
      return model_str(m, item->serial);
  }
  return op_wire_name(m, r);
}

static cJSON *parse_structure(xp_t *x, const mshape_t *s, const xml_node *node, int depth) {
  const model_t *m = x->m;
  cJSON *o = cJSON_CreateObject();
  if (o == NULL)
    return NULL;
  /* members by name, each with its elements in document order; most
   * elements have a few children, held on the stack */
  xml_node *few[16];
  xml_node **kids = node->nchildren <= 16 ? few : malloc(node->nchildren * sizeof *kids);
  int ok = kids != NULL;
  for (uint32_t i = 0; ok && i < s->b; i++) {
    const mref_t *r = model_mref(m, s->a + i);
    if (r->location != ML_BODY)
      continue;
    const char *name = member_xml_name(m, r);
    cJSON *v = NULL;
    size_t n = 0;
    for (xml_node *c = xml_first(node); c != NULL; c = xml_next(c))
      if (c->name[0] == name[0] && strcmp(c->name, name) == 0) /* first letters differ mostly */
        kids[n++] = c;
    if (n > 0) {
      ok = (v = parse(x, r, (nodes_t){kids, n}, depth + 1)) != NULL;
    } else if (r->flags & MR_XML_ATTRIBUTE) {
      const char *a = xml_attr(node, op_wire_name(m, r));
      ok = a == NULL || (v = cJSON_CreateString(a)) != NULL;
    }
    if (v != NULL && !cJSON_AddItemToObject(o, model_str(m, r->name), v)) {
      cJSON_Delete(v);
      ok = 0;
    }
  }
  if (kids != few)
    free(kids);
  if (!ok) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

/* The items of a list or the entries of a map: flattened, the elements
 * themselves; else the children of the (first) element. */
typedef struct {
  nodes_t ns;
  int flat;
  size_t i;
  xml_node *c;
} items_t;

static items_t items(const mref_t *r, nodes_t ns) {
  int flat = (r->flags & MR_FLATTENED) != 0;
  return (items_t){ns, flat, 0, flat ? NULL : xml_first(ns.v[0])};
}

static xml_node *next_item(items_t *it) {
  if (it->flat)
    return it->i < it->ns.n ? it->ns.v[it->i++] : NULL;
  xml_node *e = it->c;
  if (e != NULL)
    it->c = xml_next(e);
  return e;
}

static cJSON *parse_list(xp_t *x, const mref_t *r, const mshape_t *s, nodes_t ns, int depth) {
  const mref_t *item = model_mref(x->m, s->a);
  cJSON *a = cJSON_CreateArray();
  if (a == NULL)
    return NULL;
  items_t it = items(r, ns);
  for (xml_node *e; (e = next_item(&it)) != NULL;) {
    cJSON *v = parse(x, item, (nodes_t){&e, 1}, depth + 1);
    if (v == NULL || !cJSON_AddItemToArray(a, v)) {
      cJSON_Delete(v);
      cJSON_Delete(a);
      return NULL;
    }
  }
  return a;
}

static cJSON *parse_map(xp_t *x, const mref_t *r, const mshape_t *s, nodes_t ns, int depth) {
  const model_t *m = x->m;
  const mref_t *kr = model_mref(m, s->a), *vr = model_mref(m, s->b);
  const char *kn = (kr->flags & MR_HAS_NAME) ? model_str(m, kr->serial) : "key";
  const char *vn = (vr->flags & MR_HAS_NAME) ? model_str(m, vr->serial) : "value";
  cJSON *o = cJSON_CreateObject();
  if (o == NULL)
    return NULL;
  items_t it = items(r, ns);
  for (xml_node *entry; (entry = next_item(&it)) != NULL;) {
    xml_node *kel = NULL, *vel = NULL;
    for (xml_node *p = xml_first(entry); p != NULL; p = xml_next(p)) {
      if (strcmp(p->name, kn) == 0)
        kel = p;
      else if (strcmp(p->name, vn) == 0)
        vel = p;
      else {
        cJSON_Delete(o);
        return fail(x, "an unknown element in a map entry", p);
      }
    }
    if (kel == NULL || vel == NULL) {
      cJSON_Delete(o);
      return fail(x, "a map entry without its key or value", entry);
    }
    cJSON *v = parse(x, vr, (nodes_t){&vel, 1}, depth + 1);
    if (v == NULL) {
      cJSON_Delete(o);
      return NULL;
    }
    if (!cJSON_AddItemToObject(o, xml_text(kel), v)) {
      cJSON_Delete(v);
      cJSON_Delete(o);
      return NULL;
    }
  }
  /* a key given twice keeps the last value, as a dictionary: once for the
   * whole map (a lookup an entry would cost n squared on a hostile answer) */
  if (json_shadowed_keys(o, 0, json_drop_shadowed, NULL) != 0) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}

static cJSON *parse(xp_t *x, const mref_t *r, nodes_t ns, int depth) {
  const mshape_t *s = model_target(x->m, r);
  if (depth > MAX_DEPTH)
    return fail(x, "nested too deeply", ns.v[0]);
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE:
    return parse_structure(x, s, ns.v[0], depth);
  case MT_LIST:
    return parse_list(x, r, s, ns, depth);
  case MT_MAP:
    return parse_map(x, r, s, ns, depth);
  default: {
    int bad = 0;
    const xml_node *e = ns.v[0];
    cJSON *v = text_to_value(x->m, r, xml_text(e), e->text.len, &bad);
    return bad ? fail(x, "a value that does not fit its type", e) : v;
  }
  }
}

cJSON *xml_parse_shape(const model_t *m, const mref_t *r, mproto_t proto, const char *body,
                       size_t len, char **request_id, uvaws_error_t *err) {
  char why[256] = "out of memory";
  const mshape_t *s = r ? model_target(m, r) : NULL;
  /* rest-xml: an empty body is an element without children */
  if (len == 0 && proto == MPROTO_REST_XML)
    return cJSON_CreateObject();
  xml_node *root = xml_parse(body, len, MAX_DEPTH, MAX_TEXT, why, sizeof why);
  if (root == NULL) {
    uvaws_error_set(err, UVAWS_EPROTOCOL, "the answer is not XML: %s", why);
    return NULL;
  }
  /* the query protocols' request id is in the body */
  if (request_id != NULL && (proto == MPROTO_QUERY || proto == MPROTO_EC2)) {
    const xml_node *id = proto == MPROTO_EC2
                             ? xml_child(root, "requestId")
                             : xml_child(xml_child(root, "ResponseMetadata"), "RequestId");
    *request_id = id && id->text.len ? strdup(xml_text(id)) : NULL;
  }
  if (s == NULL) {
    xml_free(root);
    return cJSON_CreateObject();
  }
  const xml_node *start = root;
  const char *wrapper = model_str(m, r->result_wrapper);
  if (proto == MPROTO_QUERY && wrapper[0]) {
    start = xml_child(root, wrapper);
    if (start == NULL) {
      uvaws_error_set(err, UVAWS_EPROTOCOL, "the answer has no <%s>", wrapper);
      xml_free(root);
      return NULL;
    }
  }
  xp_t x = {.m = m};
  xml_node *one = (xml_node *)start;
  cJSON *out = s->type == MT_STRUCTURE ? parse_structure(&x, s, start, 0)
                                       : parse(&x, r, (nodes_t){&one, 1}, 0);
  if (out == NULL) {
    if (x.bad)
      uvaws_error_set(err, UVAWS_EPROTOCOL, "the answer does not fit %s: %s at <%s>",
                      model_str(m, s->name), x.bad, x.where);
    else
      uvaws_error_set(err, UVAWS_ENOMEM, "parsing the answer");
  }
  xml_free(root);
  return out;
}
