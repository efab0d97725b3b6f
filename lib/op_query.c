/* The form bodies of the query and ec2 protocols by shape, as botocore's
 * QuerySerializer and EC2Serializer write them:
 *
 *   structure   Prefix.Member (query: locationName or the name; ec2: queryName,
 *               else locationName with its first letter upper-cased, else the name)
 *   list        query: Prefix.member.N (member's locationName instead of
 *               "member"); flattened: Prefix.N, its last part replaced by the
 *               member's locationName when it has one; an empty list: "Prefix="
 *               ec2: Prefix.N, and an empty list sends nothing
 *   map         Prefix.entry.N.key / .value (locationNames of key and value
 *               when given; flattened: Prefix.N.key)
 *   timestamp   ISO 8601 unless the model says otherwise
 *   boolean     true / false; blobs base64; numbers as text
 *
 * Values were checked before (op_check.c). */
#include <stdio.h>

#include "op.h"
#include "op_value.h"
#include "sigv4_canon.h"

typedef struct {
  const model_t *m;
  buf_t name; /* the wire name being written, grown and cut as the walk goes */
  buf_t *out;
  int ec2;
} qs_t;

static void pair(qs_t *q, const char *value, size_t n) {
  buf_addc(q->out, '&');
  canon_encode(q->out, q->name.data ? q->name.data : "", q->name.len, 0);
  buf_addc(q->out, '=');
  canon_encode(q->out, value, n, 0);
}

/* A member's name in the pairs; `deflt` when the model gives none. */
static void add_name(qs_t *q, const mref_t *r, const char *deflt) {
  const model_t *m = q->m;
  if (q->ec2 && model_str(m, r->query_name)[0]) {
    buf_adds(&q->name, model_str(m, r->query_name));
  } else if (r->flags & MR_HAS_NAME) {
    const char *n = model_str(m, r->serial);
    if (q->ec2 && n[0] >= 'a' && n[0] <= 'z') {
      buf_addc(&q->name, (char)(n[0] - 'a' + 'A'));
      buf_adds(&q->name, n + 1);
    } else {
      buf_adds(&q->name, n);
    }
  } else {
    buf_adds(&q->name, deflt);
  }
}

static void dot(qs_t *q) {
  if (q->name.len > 0)
    buf_addc(&q->name, '.');
}

static void put(qs_t *q, const mref_t *r, const cJSON *v);

static void put_list(qs_t *q, const mref_t *r, const mshape_t *s, const cJSON *v) {
  const mref_t *item = model_mref(q->m, s->a);
  if (v->child == NULL) {
    if (!q->ec2)
      pair(q, "", 0);
    return;
  }
  size_t base = q->name.len;
  if (!q->ec2) {
    if (r->flags & MR_FLATTENED) {
      if (item->flags & MR_HAS_NAME) { /* the last part of the name becomes the member's */
        while (q->name.len > 0 && q->name.data[q->name.len - 1] != '.')
          q->name.len--;
        add_name(q, item, "");
      }
    } else {
      dot(q);
      add_name(q, item, "member");
    }
  }
  size_t list_base = q->name.len;
  unsigned long i = 1;
  for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
    char idx[24];
    snprintf(idx, sizeof idx, ".%lu", i);
    buf_adds(&q->name, idx);
    put(q, item, e);
    q->name.len = list_base;
  }
  q->name.len = base;
}

static void put_map(qs_t *q, const mref_t *r, const mshape_t *s, const cJSON *v) {
  size_t base = q->name.len;
  if (!(r->flags & MR_FLATTENED))
    buf_adds(&q->name, ".entry");
  size_t entry = q->name.len;
  const mref_t *kr = model_mref(q->m, s->a), *vr = model_mref(q->m, s->b);
  unsigned long i = 1;
  for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
    char idx[24];
    snprintf(idx, sizeof idx, ".%lu.", i);
    buf_adds(&q->name, idx);
    size_t at = q->name.len;
    add_name(q, kr, "key");
    cJSON k = {.type = cJSON_String, .valuestring = e->string};
    put(q, kr, &k);
    q->name.len = at;
    add_name(q, vr, "value");
    put(q, vr, e);
    q->name.len = entry;
  }
  q->name.len = base;
}

static void put(qs_t *q, const mref_t *r, const cJSON *v) {
  const model_t *m = q->m;
  const mshape_t *s = model_target(m, r);
  char text[64];
  size_t n;
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE: {
    size_t base = q->name.len;
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      const mref_t *mr = model_member_str(m, s, e->string);
      if (mr == NULL)
        continue;
      dot(q);
      add_name(q, mr, model_str(m, mr->name));
      put(q, mr, e);
      q->name.len = base;
    }
    return;
  }
  case MT_LIST:
    put_list(q, r, s, v);
    return;
  case MT_MAP:
    put_map(q, r, s, v);
    return;
  case MT_STRING:
  case MT_BLOB:
    pair(q, v->valuestring, strlen(v->valuestring));
    return;
  case MT_INTEGER:
  case MT_LONG: {
    int64_t x = 0;
    json_int64(v, &x);
    n = (size_t)snprintf(text, sizeof text, "%lld", (long long)x);
    pair(q, text, n);
    return;
  }
  case MT_FLOAT:
  case MT_DOUBLE:
    n = json_number_text(v, text);
    pair(q, text, n);
    return;
  case MT_BOOLEAN:
    pair(q, cJSON_IsTrue(v) ? "true" : "false", cJSON_IsTrue(v) ? 4 : 5);
    return;
  case MT_TIMESTAMP: {
    ts_t t;
    char ts[TS_TEXT_MAX];
    mts_t fmt = model_ts_format(r);
    if (ts_from_json(v, &t) == 0) {
      n = ts_format(t, fmt == MTS_DEFAULT ? MTS_ISO8601 : fmt, ts);
      pair(q, ts, n);
    }
    return;
  }
  }
}

void query_put_params(const model_t *m, const mshape_t *input, const cJSON *params, int ec2,
                      buf_t *b) {
  qs_t q = {.m = m, .out = b, .ec2 = ec2};
  cJSON wrapper = {.type = cJSON_Object, .child = params ? params->child : NULL};
  /* the input structure itself: its members at the top level */
  mref_t top = {.shape = model_shape_index(m, input), .parent = MODEL_NONE};
  put(&q, &top, &wrapper);
  if (q.name.failed)
    b->failed = 1;
  buf_free(&q.name);
}
