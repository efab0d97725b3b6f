/* JSON bodies by shape (json and rest-json), as botocore's JSONSerializer
 * writes them: members under their wire names, timestamps as whole epoch
 * seconds unless the model says otherwise, blobs as base64 text (the
 * parameters carry canonical base64 already: copied as is). Values were
 * checked (op_check.c) before they come here. */
#include <stdio.h>
#include <string.h>

#include "op.h"
#include "op_value.h"
#include "wordscan.h"

static const char *json_escape(unsigned char c, char tmp[8], int arg) {
  static const char hex[] = "0123456789abcdef";
  (void)arg;
  switch (c) {
  case '"':
    return "\\\"";
  case '\\':
    return "\\\\";
  case '\n':
    return "\\n";
  case '\r':
    return "\\r";
  case '\t':
    return "\\t";
  case '\b':
    return "\\b";
  case '\f':
    return "\\f";
  default:
    if (c >= 0x20)
      return NULL;
    snprintf(tmp, 8, "\\u00%c%c", hex[c >> 4], hex[c & 15]);
    return tmp;
  }
}

/* Some byte of the word needs an escape in JSON text. */
static inline int needs_escape(uint64_t x) {
  return word_has_less(x, 0x20) || word_has_byte(x, '"') || word_has_byte(x, '\\');
}

void json_put_string(buf_t *b, const char *s, size_t n) {
  /* most strings need no escape: find out with a plain scan first (a word
   * at a time), then write them quoted in one piece */
  size_t i = 0;
  for (; i + 8 <= n; i += 8)
    if (needs_escape(word_at(s + i)))
      break;
  /* the bytes left after whole words: the last eight again, overlapping,
   * rather than one at a time */
  if (n >= 8 && i + 8 > n && !needs_escape(word_at(s + n - 8)))
    i = n;
  while (i < n && (unsigned char)s[i] >= 0x20 && s[i] != '"' && s[i] != '\\')
    i++;
  if (i == n && ((!b->failed && b->cap - b->len > n + 2) || buf_grow(b, n + 2) == 0)) {
    char *d = b->data + b->len;
    d[0] = '"';
    memcpy(d + 1, s, n);
    d[n + 1] = '"';
    b->len += n + 2;
    return;
  }
  buf_addc(b, '"');
  buf_add(b, s, i);
  buf_add_escaped(b, s + i, n - i, json_escape, 0);
  buf_addc(b, '"');
}

static void put_timestamp(const mref_t *r, const cJSON *v, buf_t *b) {
  ts_t t;
  char text[TS_TEXT_MAX];
  mts_t fmt = model_ts_format(r);
  if (ts_from_json(v, &t) != 0)
    return; /* checked before */
  size_t n = ts_format(t, fmt == MTS_DEFAULT ? MTS_UNIX : fmt, text);
  if (fmt == MTS_DEFAULT || fmt == MTS_UNIX)
    buf_add(b, text, n);
  else
    json_put_string(b, text, n);
}

void json_put_value(const model_t *m, const mref_t *r, const cJSON *v, op_plan_t *plan, buf_t *b) {
  const mshape_t *s = model_target(m, r);
  char num[64];
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE: {
    if (s->flags & MS_DOCUMENT) {
      char *text = cJSON_PrintUnformatted(v);
      if (text == NULL)
        b->failed = 1;
      else
        buf_adds(b, text);
      cJSON_free(text);
      return;
    }
    buf_addc(b, '{');
    int first = 1;
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      const mref_t *mr = plan_member(plan, m, s, e);
      if (mr == NULL)
        continue;
      if (!first)
        buf_addc(b, ',');
      first = 0;
      const char *key = op_wire_name(m, mr);
      json_put_string(b, key, strlen(key));
      buf_addc(b, ':');
      json_put_value(m, mr, e, plan, b);
    }
    buf_addc(b, '}');
    return;
  }
  case MT_LIST:
    buf_addc(b, '[');
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      if (e != v->child)
        buf_addc(b, ',');
      json_put_value(m, model_mref(m, s->a), e, plan, b);
    }
    buf_addc(b, ']');
    return;
  case MT_MAP:
    buf_addc(b, '{');
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      if (e != v->child)
        buf_addc(b, ',');
      json_put_string(b, e->string, strlen(e->string));
      buf_addc(b, ':');
      json_put_value(m, model_mref(m, s->b), e, plan, b);
    }
    buf_addc(b, '}');
    return;
  case MT_STRING:
  case MT_BLOB:
    json_put_string(b, v->valuestring, strlen(v->valuestring));
    return;
  case MT_INTEGER:
  case MT_LONG: {
    int64_t x = 0;
    json_int64(v, &x);
    snprintf(num, sizeof num, "%lld", (long long)x);
    buf_adds(b, num);
    return;
  }
  case MT_FLOAT:
  case MT_DOUBLE:
    buf_add(b, num, json_number_text(v, num));
    return;
  case MT_BOOLEAN:
    buf_adds(b, cJSON_IsTrue(v) ? "true" : "false");
    return;
  case MT_TIMESTAMP:
    put_timestamp(r, v, b);
    return;
  }
}
