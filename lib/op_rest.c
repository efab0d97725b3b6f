/* Requests from operations: the dispatch by protocol, and what the rest
 * protocols place outside the body, as botocore's BaseRestSerializer does:
 *
 *   uri          {Label} percent-encoded, {Label+} keeping '/' (greedy);
 *                labels name members by their locationName
 *   querystring  name=value; a list repeats the name; a map adds its pairs;
 *                booleans true/false; timestamps ISO 8601
 *   header       text; lists joined by ','; timestamps RFC 822 (whole
 *                seconds); JSON values as base64 of their JSON text;
 *                booleans true/false (botocore writes True/False)
 *   headers      a map under a prefix (x-amz-meta-)
 *   payload      a blob or string member is the body as it is; a structure
 *                member is the body's document
 *
 * Also here: endpoint host prefixes ("{AccountId}."), idempotency tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "b64.h"
#include "op.h"
#include "op_value.h"
#include "sigv4_canon.h"

/* The first room of a JSON body: most (a GetItem, a PutItem of a few
 * attributes, a SendMessage) fit in it. */
#define JSON_BODY_START 256

/* ---- name/value pairs ------------------------------------------------------ */

void kvs_add(kvs_t *k, const char *name, size_t name_len, const char *value, size_t value_len) {
  buf_add(&k->text, name, name_len);
  buf_addc(&k->text, '\0');
  buf_add(&k->text, value, value_len);
  buf_addc(&k->text, '\0');
  k->count++;
}

int kvs_finish(kvs_t *k) {
  if (k->text.failed)
    return UVAWS_ENOMEM;
  if (k->text.len == 0 && k->kv == k->small)
    return 0; /* set up in place (static and long-lived strings) */
  if (k->kv != k->small)
    free(k->kv);
  k->kv = k->count <= sizeof k->small / sizeof *k->small ? k->small
                                                         : malloc(k->count * sizeof *k->kv);
  if (k->kv == NULL)
    return UVAWS_ENOMEM;
  const char *p = k->text.data;
  for (size_t i = 0; i < k->count; i++) {
    k->kv[i].name = p;
    p += strlen(p) + 1;
    k->kv[i].value = p;
    p += strlen(p) + 1;
  }
  return 0;
}

const char *kvs_get(const kvs_t *k, const char *name) {
  for (size_t i = 0; i < k->count; i++)
    if (strcasecmp(k->kv[i].name, name) == 0)
      return k->kv[i].value;
  return NULL;
}

int kvs_set(kvs_t *k, const char *name, const char *value) {
  kvs_t n = {0};
  int done = 0;
  for (size_t i = 0; i < k->count; i++) {
    if (strcasecmp(k->kv[i].name, name) != 0)
      kvs_adds(&n, k->kv[i].name, k->kv[i].value);
    else if (!done++)
      kvs_adds(&n, name, value);
  }
  if (!done)
    kvs_adds(&n, name, value);
  int rc = kvs_finish(&n);
  if (rc != 0) {
    kvs_free(&n);
    return rc;
  }
  kvs_free(k);
  *k = n;
  if (n.kv == n.small)
    k->kv = k->small; /* the copy's own */
  return 0;
}

void kvs_free(kvs_t *k) {
  buf_free(&k->text);
  if (k->kv != k->small)
    free(k->kv);
  memset(k, 0, sizeof *k);
}

void op_req_free(op_req_t *r) {
  free(r->path.data); /* a path holds no secret (headers and bodies may): not cleansed */
  memset(&r->path, 0, sizeof r->path);
  buf_free(&r->body);
  kvs_free(&r->query);
  kvs_free(&r->headers);
}

/* ---- scalars as text --------------------------------------------------------- */

/* The text of a scalar for a label, the query string or a header;
 * `where` picks the timestamp default. 0 when it has none. */
static size_t scalar_text(const model_t *m, const mref_t *r, const cJSON *v, mloc_t where,
                          char out[64], const char **text) {
  const mshape_t *s = model_target(m, r);
  *text = out;
  switch ((mtype_t)s->type) {
  case MT_STRING:
  case MT_BLOB:
    *text = v->valuestring;
    return strlen(v->valuestring);
  case MT_INTEGER:
  case MT_LONG: {
    int64_t x = 0;
    json_int64(v, &x);
    return (size_t)snprintf(out, 64, "%lld", (long long)x);
  }
  case MT_FLOAT:
  case MT_DOUBLE:
    return json_number_text(v, out);
  case MT_BOOLEAN:
    *text = cJSON_IsTrue(v) ? "true" : "false";
    return strlen(*text);
  case MT_TIMESTAMP: {
    ts_t t;
    mts_t fmt = model_ts_format(r);
    if (ts_from_json(v, &t) != 0)
      return 0;
    if (where == ML_HEADER) {
      t.us = 0; /* botocore sends headers' timestamps in whole seconds */
      return ts_format(t, fmt == MTS_DEFAULT ? MTS_RFC822 : fmt, out);
    }
    return ts_format(t, fmt == MTS_DEFAULT ? MTS_ISO8601 : fmt, out);
  }
  default:
    return 0;
  }
}

/* ---- the pieces of a rest request ------------------------------------------- */

typedef struct {
  const model_t *m;
  op_req_t *r;
  uvaws_error_t *err;
  int rc;
} rest_t;

static void fail(rest_t *x, const char *member, const char *why) {
  if (x->rc == 0)
    x->rc = uvaws_error_set(x->err, UVAWS_EPARAM, "%s: %s", member, why);
}

static void put_query(rest_t *x, const mref_t *r, const cJSON *v) {
  const model_t *m = x->m;
  const mshape_t *s = model_target(m, r);
  const char *name = op_wire_name(m, r);
  char num[64];
  const char *text;
  if (s->type == MT_LIST) {
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      size_t n = scalar_text(m, model_mref(m, s->a), e, ML_QUERYSTRING, num, &text);
      kvs_add(&x->r->query, name, strlen(name), text, n);
    }
  } else if (s->type == MT_MAP) {
    const mref_t *vr = model_mref(m, s->b);
    const mshape_t *vs = model_target(m, vr);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      if (vs->type == MT_LIST) {
        for (const cJSON *i = e->child; i != NULL; i = i->next) {
          size_t n = scalar_text(m, model_mref(m, vs->a), i, ML_QUERYSTRING, num, &text);
          kvs_add(&x->r->query, e->string, strlen(e->string), text, n);
        }
      } else {
        size_t n = scalar_text(m, vr, e, ML_QUERYSTRING, num, &text);
        kvs_add(&x->r->query, e->string, strlen(e->string), text, n);
      }
    }
  } else {
    size_t n = scalar_text(m, r, v, ML_QUERYSTRING, num, &text);
    kvs_add(&x->r->query, name, strlen(name), text, n);
  }
}

static void add_header(rest_t *x, const char *member, const char *name, size_t nlen,
                       const char *value, size_t vlen) {
  if (!canon_is_token(name) || memchr(value, '\r', vlen) || memchr(value, '\n', vlen) ||
      strlen(value) != vlen) {
    fail(x, member, "cannot be sent in a header (control character, or a name that is not a token)");
    return;
  }
  kvs_add(&x->r->headers, name, nlen, value, vlen);
}

static void put_header(rest_t *x, const mref_t *r, const cJSON *v) {
  const model_t *m = x->m;
  const mshape_t *s = model_target(m, r);
  const char *name = op_wire_name(m, r), *member = model_str(m, r->name);
  char num[64];
  const char *text;
  if (s->type == MT_LIST) {
    if (v->child == NULL)
      return; /* an empty list sends no header */
    buf_t joined = {0};
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      if (e != v->child)
        buf_addc(&joined, ',');
      size_t n = scalar_text(m, model_mref(m, s->a), e, ML_HEADER, num, &text);
      buf_add(&joined, text, n);
    }
    if (buf_str(&joined) == NULL)
      x->rc = x->rc ? x->rc : UVAWS_ENOMEM;
    else
      add_header(x, member, name, strlen(name), joined.data, joined.len);
    buf_free(&joined);
  } else if ((r->flags & MR_JSONVALUE) && s->type == MT_STRING) {
    char *json = cJSON_PrintUnformatted(v);
    buf_t b64 = {0};
    if (json != NULL)
      b64_encode(&b64, json, strlen(json));
    if (json == NULL || buf_str(&b64) == NULL)
      x->rc = x->rc ? x->rc : UVAWS_ENOMEM;
    else
      add_header(x, member, name, strlen(name), b64.data, b64.len);
    cJSON_free(json);
    buf_free(&b64);
  } else {
    size_t n = scalar_text(m, r, v, ML_HEADER, num, &text);
    add_header(x, member, name, strlen(name), text, n);
  }
}

static void put_header_map(rest_t *x, const mref_t *r, const cJSON *v) {
  const char *prefix = op_wire_name(x->m, r);
  buf_t name = {0};
  for (const cJSON *e = v->child; e != NULL; e = e->next) {
    name.len = 0;
    buf_adds(&name, prefix);
    buf_adds(&name, e->string);
    if (buf_str(&name) == NULL) {
      x->rc = x->rc ? x->rc : UVAWS_ENOMEM;
      break;
    }
    add_header(x, model_str(x->m, r->name), name.data, name.len, e->valuestring,
               strlen(e->valuestring));
  }
  buf_free(&name);
}

/* Fills the path template's {Label} and {Label+}; the part after '?' goes
 * to the query string as it is written ("?uploads", "?list-type=2"). */
static void put_path(rest_t *x, const mop_t *op, const mshape_t *in, const cJSON *params) {
  const model_t *m = x->m;
  const char *t = model_str(m, op->request_uri);
  const char *q = strchr(t, '?');
  const char *end = q ? q : t + strlen(t);
  for (const char *p = t; p < end;) {
    if (*p != '{') {
      buf_addc(&x->r->path, *p++);
      continue;
    }
    const char *close = memchr(p, '}', (size_t)(end - p));
    if (close == NULL) {
      buf_add(&x->r->path, p, (size_t)(end - p));
      break;
    }
    size_t len = (size_t)(close - p - 1);
    int greedy = len > 0 && p[len] == '+';
    if (greedy)
      len--;
    /* the label is a member's locationName */
    const cJSON *v = NULL;
    const mref_t *r = NULL;
    for (uint32_t i = 0; in && i < in->b && v == NULL; i++) {
      const mref_t *c = model_mref(m, in->a + i);
      const char *wire = op_wire_name(m, c);
      if (c->location == ML_URI && strncmp(wire, p + 1, len) == 0 && wire[len] == '\0') {
        r = c;
        v = cJSON_GetObjectItemCaseSensitive(params, model_str(m, c->name));
      }
    }
    char num[64];
    const char *text = NULL;
    size_t n = v && r ? scalar_text(m, r, v, ML_URI, num, &text) : 0;
    if (n == 0) {
      char label[96];
      snprintf(label, sizeof label, "%.*s", (int)len, p + 1);
      fail(x, r ? model_str(m, r->name) : label,
           v ? "must not be empty (it is part of the path)" : "missing (it is part of the path)");
      return;
    }
    canon_encode(&x->r->path, text, n, greedy);
    p = close + 1;
  }
  if (q != NULL) {
    for (const char *p = q + 1; *p;) {
      size_t n = strcspn(p, "&");
      const char *eq = memchr(p, '=', n);
      if (n > 0)
        kvs_add(&x->r->query, p, eq ? (size_t)(eq - p) : n, eq ? eq + 1 : "",
                eq ? n - (size_t)(eq - p) - 1 : 0);
      p += n + (p[n] == '&');
    }
  }
}

/* The raw body of a blob or string payload given in the parameters. */
static void put_raw_payload(rest_t *x, const mref_t *pr, const cJSON *v) {
  x->r->raw_payload = 1;
  if (v == NULL)
    return; /* botocore sends an empty body */
  x->r->payload_given = 1;
  if (model_target(x->m, pr)->type == MT_STRING) {
    buf_adds(&x->r->body, v->valuestring);
    return;
  }
  unsigned char *raw;
  size_t len;
  int rc = b64_decode(v->valuestring, strlen(v->valuestring), &raw, &len);
  if (rc != 0) {
    x->rc = x->rc ? x->rc : rc < 0 ? UVAWS_EPARAM : rc;
    return;
  }
  buf_add(&x->r->body, raw, len);
  free(raw);
}

static void put_body(rest_t *x, mproto_t proto, const mref_t *in_ref, const mshape_t *in,
                     const cJSON *params) {
  const model_t *m = x->m;
  op_req_t *r = x->r;
  const mref_t *pr = in->c != MODEL_NONE ? model_mref(m, in->c) : NULL;
  if (pr != NULL) {
    const mshape_t *ps = model_target(m, pr);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, model_str(m, pr->name));
    if (ps->type == MT_BLOB || ps->type == MT_STRING) {
      r->payload = pr;
      put_raw_payload(x, pr, v);
    } else if (v != NULL) {
      if (proto == MPROTO_REST_JSON)
        json_put_value(m, pr, v, NULL, &r->body);
      else
        xml_put_root(m, pr, v, &r->body);
    } else if (proto == MPROTO_REST_JSON) {
      buf_adds(&r->body, "{}");
    }
    return;
  }
  /* the members without a location make the body */
  cJSON body = {.type = cJSON_Object};
  cJSON *tail = NULL;
  int wants_body = 0;
  for (uint32_t i = 0; i < in->b; i++) {
    const mref_t *mr = model_mref(m, in->a + i);
    if (mr->location == ML_BODY)
      wants_body = 1;
  }
  /* A shallow view of the body members: copies of their cJSON item headers,
   * linked anew (the values below them are shared, not copied). */
  size_t n = 0;
  for (const cJSON *e = params ? params->child : NULL; e != NULL; e = e->next) {
    const mref_t *mr = model_member_str(m, in, e->string);
    n += mr != NULL && mr->location == ML_BODY;
  }
  cJSON *views = n ? calloc(n, sizeof *views) : NULL;
  if (n && views == NULL) {
    x->rc = UVAWS_ENOMEM;
    return;
  }
  size_t k = 0;
  for (const cJSON *e = params ? params->child : NULL; e != NULL; e = e->next) {
    const mref_t *mr = model_member_str(m, in, e->string);
    if (mr == NULL || mr->location != ML_BODY)
      continue;
    views[k] = *e;
    views[k].next = NULL;
    if (tail == NULL)
      body.child = &views[k];
    else
      tail->next = &views[k];
    tail = &views[k++];
  }
  if (body.child != NULL) {
    if (proto == MPROTO_REST_JSON)
      json_put_value(m, in_ref, &body, NULL, &r->body);
    else
      xml_put_root(m, in_ref, &body, &r->body);
  } else if (proto == MPROTO_REST_JSON && wants_body) {
    buf_adds(&r->body, "{}");
  }
  free(views);
}

static void rest_serialize(rest_t *x, mproto_t proto, const mop_t *op, const cJSON *params) {
  const model_t *m = x->m;
  const mref_t *in_ref = op->input != MODEL_NONE ? model_mref(m, op->input) : NULL;
  const mshape_t *in = in_ref ? model_target(m, in_ref) : NULL;
  put_path(x, op, in, params);
  if (in == NULL || x->rc != 0)
    return;
  int has_content_type = 0;
  for (const cJSON *e = params ? params->child : NULL; e != NULL && x->rc == 0; e = e->next) {
    const mref_t *r = model_member_str(m, in, e->string);
    if (r == NULL)
      continue;
    switch ((mloc_t)r->location) {
    case ML_QUERYSTRING:
      put_query(x, r, e);
      break;
    case ML_HEADER:
      if (strcasecmp(op_wire_name(m, r), "Content-Type") == 0)
        has_content_type = 1;
      put_header(x, r, e);
      break;
    case ML_HEADERS:
      put_header_map(x, r, e);
      break;
    default:
      break;
    }
  }
  if (x->rc == 0)
    put_body(x, proto, in_ref, in, params);
  if (proto == MPROTO_REST_JSON && !x->r->raw_payload && x->r->body.len > 0 && !has_content_type)
    kvs_adds(&x->r->headers, "Content-Type", "application/json");
}

/* ---- host prefix ------------------------------------------------------------- */

static int host_label(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-'))
      return 0;
  return 1;
}

static void expand_host_prefix(rest_t *x, const mop_t *op, const cJSON *params) {
  const model_t *m = x->m;
  const char *t = model_str(m, op->host_prefix);
  char *out = x->r->host_prefix;
  size_t cap = sizeof x->r->host_prefix, n = 0;
  out[0] = '\0';
  for (const char *p = t; *p && x->rc == 0;) {
    const char *piece = p;
    size_t len = 1;
    char name[96];
    if (*p == '{') {
      const char *close = strchr(p, '}');
      if (close == NULL)
        break;
      snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(params, name);
      if (!cJSON_IsString(v) || !host_label(v->valuestring)) {
        fail(x, name, "is part of the host name: 1 to 63 letters, digits or '-'");
        return;
      }
      piece = v->valuestring;
      len = strlen(piece);
      p = close + 1;
    } else {
      p++;
    }
    if (n + len >= cap) {
      fail(x, "host prefix", "too long");
      return;
    }
    memcpy(out + n, piece, len);
    n += len;
    out[n] = '\0';
  }
}

/* ---- idempotency tokens ----------------------------------------------------- */

/* The parameters with the input's missing idempotency tokens filled in: a
 * copy when one is missing (the caller frees *copy), else `params` itself.
 * 0 or UVAWS_ENOMEM. */
static int with_tokens(const model_t *m, const mop_t *op, const cJSON **params, cJSON **copy) {
  *copy = NULL;
  if (op->input == MODEL_NONE || !(op->flags & MO_IDEMPOTENCY))
    return 0;
  const mshape_t *in = model_target(m, model_mref(m, op->input));
  for (uint32_t i = 0; i < in->b; i++) {
    const mref_t *r = model_mref(m, in->a + i);
    const char *name = model_str(m, r->name);
    if (!(r->flags & MR_IDEMPOTENCY) || cJSON_GetObjectItemCaseSensitive(*params, name))
      continue;
    char uuid[37];
    if (*copy == NULL)
      *copy = *params ? cJSON_Duplicate(*params, 1) : cJSON_CreateObject();
    if (*copy == NULL || uuid4(uuid) != 0 || !cJSON_AddStringToObject(*copy, name, uuid)) {
      cJSON_Delete(*copy);
      *copy = NULL;
      return UVAWS_ENOMEM;
    }
  }
  if (*copy != NULL)
    *params = *copy;
  return 0;
}

/* ---- all protocols ------------------------------------------------------------ */

int op_serialize(const model_t *m, const mop_t *op, const cJSON *params, op_plan_t *plan,
                 op_req_t *r, uvaws_error_t *err) {
  memset(r, 0, sizeof *r);
  r->method = model_str(m, op->method);
  cJSON *copy;
  if (with_tokens(m, op, &params, &copy) != 0)
    return uvaws_error_set(err, UVAWS_ENOMEM, "making an idempotency token");
  rest_t x = {.m = m, .r = r, .err = err};
  const mref_t *in_ref = op->input != MODEL_NONE ? model_mref(m, op->input) : NULL;
  const char *opname = model_str(m, op->name);
  switch (m->protocol) {
  case MPROTO_JSON: {
    /* two headers, without a buffer: the target is written into the request,
     * the content type is one of two literals */
    const char *prefix = m->svc->target_prefix ? m->svc->target_prefix : "";
    const char *jv = m->svc->json_version ? m->svc->json_version : "1.0";
    size_t pl = strlen(prefix), ol = strlen(opname);
    if (pl + 1 + ol < sizeof r->target && (!strcmp(jv, "1.0") || !strcmp(jv, "1.1"))) {
      memcpy(r->target, prefix, pl);
      r->target[pl] = '.';
      memcpy(r->target + pl + 1, opname, ol + 1);
      r->headers.small[0] = (uvaws_kv_t){"X-Amz-Target", r->target};
      r->headers.small[1] = (uvaws_kv_t){"Content-Type", strcmp(jv, "1.0") == 0
                                                             ? "application/x-amz-json-1.0"
                                                             : "application/x-amz-json-1.1"};
      r->headers.kv = r->headers.small;
      r->headers.count = 2;
    } else {
      char target[512], ctype[64];
      snprintf(target, sizeof target, "%s.%s", prefix, opname);
      snprintf(ctype, sizeof ctype, "application/x-amz-json-%s", jv);
      kvs_adds(&r->headers, "X-Amz-Target", target);
      kvs_adds(&r->headers, "Content-Type", ctype);
    }
    if (in_ref != NULL && params != NULL) {
      /* room for a usual body at once, rather than growing it from 32 bytes
       * through a copy at each doubling (a failure shows at buf_str below) */
      buf_grow(&r->body, JSON_BODY_START);
      json_put_value(m, in_ref, params, plan, &r->body);
    } else {
      buf_adds(&r->body, "{}");
    }
    break; /* the path is "/" (op_req_path) */
  }
  case MPROTO_QUERY:
  case MPROTO_EC2:
    kvs_adds(&r->headers, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    buf_adds(&r->body, "Action=");
    canon_encode(&r->body, opname, strlen(opname), 0);
    buf_adds(&r->body, "&Version=");
    canon_encode(&r->body, m->svc->api_version, strlen(m->svc->api_version), 0);
    if (in_ref != NULL)
      query_put_params(m, model_target(m, in_ref), params, m->protocol == MPROTO_EC2, &r->body);
    break; /* the path is "/" (op_req_path) */
  case MPROTO_REST_JSON:
  case MPROTO_REST_XML:
    rest_serialize(&x, m->protocol, op, params);
    if (r->path.len == 0)
      buf_addc(&r->path, '/');
    break;
  }
  if (x.rc == 0 && model_str(m, op->host_prefix)[0])
    expand_host_prefix(&x, op, params);
  int rc = x.rc;
  if (rc == 0 && ((r->path.len && buf_str(&r->path) == NULL) || buf_str(&r->body) == NULL ||
                  kvs_finish(&r->query) != 0 || kvs_finish(&r->headers) != 0))
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "serializing %s", opname);
  cJSON_Delete(copy);
  return rc;
}
