/* rest-xml bodies by shape, as botocore's RestXMLSerializer writes them:
 * elements under their locationNames, lists wrapped in their element with
 * <member> (or the member's locationName) items unless flattened, maps as
 * <entry><key/><value/></entry>, xmlNamespace as an xmlns (or xmlns:prefix)
 * attribute, xmlAttribute members as attributes, timestamps ISO 8601.
 * Values were checked before (op_check.c). */
#include <stdio.h>

#include "op.h"
#include "op_value.h"

/* Text and attribute values escaped as XML wants them (attributes also
 * keep their blanks, which a parser would otherwise normalize). */
static const char *xml_escape(unsigned char c, char tmp[8], int attr) {
  (void)tmp;
  switch (c) {
  case '&':
    return "&amp;";
  case '<':
    return "&lt;";
  case '>':
    return "&gt;";
  case '\r':
    return "&#13;";
  case '"':
    return attr ? "&quot;" : NULL;
  case '\n':
    return attr ? "&#10;" : NULL;
  case '\t':
    return attr ? "&#9;" : NULL;
  default:
    return NULL;
  }
}

static void escape(buf_t *b, const char *s, size_t n, int attr) {
  buf_add_escaped(b, s, n, xml_escape, attr);
}

/* `r` given: a structure's element, which carries its namespace (botocore
 * writes it on structures only). */
static void open_tag(const model_t *m, const mref_t *r, const char *name, buf_t *b, int close) {
  buf_addc(b, '<');
  buf_adds(b, name);
  const char *uri = r ? model_str(m, r->xmlns_uri) : "";
  if (uri[0]) {
    const char *prefix = model_str(m, r->xmlns_prefix);
    buf_adds(b, prefix[0] ? " xmlns:" : " xmlns");
    buf_adds(b, prefix);
    buf_adds(b, "=\"");
    escape(b, uri, strlen(uri), 1);
    buf_addc(b, '"');
  }
  if (close)
    buf_addc(b, '>');
}

static void close_tag(buf_t *b, const char *name) {
  buf_adds(b, "</");
  buf_adds(b, name);
  buf_addc(b, '>');
}

static void leaf(const char *name, const char *text, size_t n, buf_t *b) {
  open_tag(NULL, NULL, name, b, 1);
  escape(b, text, n, 0);
  close_tag(b, name);
}

static void put(const model_t *m, const mref_t *r, const char *name, const cJSON *v, buf_t *b);

static void put_structure(const model_t *m, const mref_t *r, const mshape_t *s, const char *name,
                          const cJSON *v, buf_t *b) {
  open_tag(m, r, name, b, 0);
  for (const cJSON *e = v->child; e != NULL; e = e->next) {
    const mref_t *mr = model_member_str(m, s, e->string);
    if (mr != NULL && (mr->flags & MR_XML_ATTRIBUTE) && cJSON_IsString(e)) {
      buf_addc(b, ' ');
      buf_adds(b, op_wire_name(m, mr));
      buf_adds(b, "=\"");
      escape(b, e->valuestring, strlen(e->valuestring), 1);
      buf_addc(b, '"');
    }
  }
  buf_addc(b, '>');
  for (const cJSON *e = v->child; e != NULL; e = e->next) {
    const mref_t *mr = model_member_str(m, s, e->string);
    if (mr != NULL && !(mr->flags & MR_XML_ATTRIBUTE))
      put(m, mr, op_wire_name(m, mr), e, b);
  }
  close_tag(b, name);
}

static void put(const model_t *m, const mref_t *r, const char *name, const cJSON *v, buf_t *b) {
  const mshape_t *s = model_target(m, r);
  char text[64];
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE:
    put_structure(m, r, s, name, v, b);
    return;
  case MT_LIST: {
    const mref_t *item = model_mref(m, s->a);
    int flat = (r->flags & MR_FLATTENED) != 0;
    const char *item_name = flat ? name : (item->flags & MR_HAS_NAME) ? model_str(m, item->serial)
                                                                      : "member";
    if (!flat)
      open_tag(m, NULL, name, b, 1);
    for (const cJSON *e = v->child; e != NULL; e = e->next)
      put(m, item, item_name, e, b);
    if (!flat)
      close_tag(b, name);
    return;
  }
  case MT_MAP: {
    const mref_t *kr = model_mref(m, s->a), *vr = model_mref(m, s->b);
    const char *kn = (kr->flags & MR_HAS_NAME) ? model_str(m, kr->serial) : "key";
    const char *vn = (vr->flags & MR_HAS_NAME) ? model_str(m, vr->serial) : "value";
    open_tag(m, NULL, name, b, 1);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      buf_adds(b, "<entry>");
      cJSON k = {.type = cJSON_String, .valuestring = e->string};
      put(m, kr, kn, &k, b);
      put(m, vr, vn, e, b);
      buf_adds(b, "</entry>");
    }
    close_tag(b, name);
    return;
  }
  case MT_STRING:
  case MT_BLOB:
    leaf(name, v->valuestring, strlen(v->valuestring), b);
    return;
  case MT_INTEGER:
  case MT_LONG: {
    int64_t x = 0;
    json_int64(v, &x);
    leaf(name, text, (size_t)snprintf(text, sizeof text, "%lld", (long long)x), b);
    return;
  }
  case MT_FLOAT:
  case MT_DOUBLE:
    leaf(name, text, json_number_text(v, text), b);
    return;
  case MT_BOOLEAN:
    leaf(name, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5, b);
    return;
  case MT_TIMESTAMP: {
    ts_t t;
    char ts[TS_TEXT_MAX];
    mts_t fmt = model_ts_format(r);
    if (ts_from_json(v, &t) == 0)
      leaf(name, ts, ts_format(t, fmt == MTS_DEFAULT ? MTS_ISO8601 : fmt, ts), b);
    return;
  }
  }
}

void xml_put_root(const model_t *m, const mref_t *r, const cJSON *v, buf_t *b) {
  const char *name = op_wire_name(m, r);
  put(m, r, name[0] ? name : model_str(m, model_target(m, r)->name), v, b);
}
