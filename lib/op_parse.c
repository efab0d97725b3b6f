/* Answers parsed by the output shape, as botocore's parsers read them:
 *
 *   json, rest-json  the body's JSON, turned in place into the shape's
 *                    members (wire names become member names; members the
 *                    shape lacks and nulls are dropped; timestamps in the
 *                    output form; blobs as canonical base64)
 *   query, ec2,      the body's XML (op_parse_xml.c)
 *   rest-xml
 *   rest-*           members bound to headers (typed from their text), to a
 *                    header prefix (a map), to the status code; a payload
 *                    member: a structure is the body's document, a string is
 *                    the body's text; a blob is left out (the caller has the
 *                    bytes, as botocore gives a stream)
 *
 * Non-finite numbers in XML and headers come out as the strings "NaN",
 * "Infinity" and "-Infinity" (JSON has no such numbers). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "b64.h"
#include "json_keys.h"
#include "op.h"
#include "op_value.h"

#define MAX_DEPTH 128

/* ---- scalars from text ------------------------------------------------------ */

static cJSON *canonical_b64(const char *s, size_t n) {
  /* canonical text stays as it is; else decode leniently (blanks, missing
   * padding) and write it again */
  if (b64_is_canonical(s, n))
    return cJSON_CreateString(s);
  buf_t clean = {0}, out = {0};
  for (size_t i = 0; i < n; i++)
    if (s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t')
      buf_addc(&clean, s[i]);
  while (clean.len % 4)
    buf_addc(&clean, '=');
  unsigned char *raw = NULL;
  size_t len;
  cJSON *v = NULL;
  if (buf_str(&clean) && b64_decode(clean.data, clean.len, &raw, &len) == 0) {
    b64_encode(&out, raw, len);
    if (buf_str(&out))
      v = cJSON_CreateString(out.data);
  }
  free(raw);
  buf_free(&clean);
  buf_free(&out);
  return v;
}

static cJSON *number_or_name(double d) {
  if (isnan(d))
    return cJSON_CreateString("NaN");
  if (isinf(d))
    return cJSON_CreateString(d > 0 ? "Infinity" : "-Infinity");
  return cJSON_CreateNumber(d);
}

cJSON *text_to_value(const model_t *m, const mref_t *r, const char *s, size_t n, int *bad) {
  const mshape_t *sh = model_target(m, r);
  *bad = 0;
  char tmp[128];
  switch ((mtype_t)sh->type) {
  case MT_STRING:
    if ((r->flags & MR_JSONVALUE) && r->location == ML_HEADER) {
      unsigned char *raw = NULL;
      size_t len;
      cJSON *v = NULL;
      if (b64_decode(s, n, &raw, &len) == 0)
        v = cJSON_ParseWithLength((const char *)raw, len);
      free(raw);
      *bad = v == NULL;
      return v;
    }
    return cJSON_CreateString(s);
  case MT_INTEGER:
  case MT_LONG: {
    /* Python's int(): blanks around, a sign, digits */
    if (n == 0 || n >= sizeof tmp)
      break;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
      end++;
    if (errno != 0 || end == tmp || *end != '\0' || strpbrk(tmp, "0123456789") == NULL)
      break;
    if (x >= 1000000000000000LL || x <= -1000000000000000LL) {
      /* kept as digits: cJSON would print such a number rounded */
      char digits[32];
      snprintf(digits, sizeof digits, "%lld", x);
      return cJSON_CreateRaw(digits);
    }
    return cJSON_CreateNumber((double)x);
  }
  case MT_FLOAT:
  case MT_DOUBLE: {
    if (n == 0 || n >= sizeof tmp)
      break;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *end;
    double d = strtod(tmp, &end);
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
      end++;
    if (end == tmp || *end != '\0')
      break;
    return number_or_name(d);
  }
  case MT_BOOLEAN:
    return cJSON_CreateBool(n == 4 && memcmp(s, "true", 4) == 0);
  case MT_TIMESTAMP: {
    ts_t t;
    char out[TS_TEXT_MAX];
    if (ts_parse_text(s, n, &t) != 0)
      break;
    ts_format_output(t, out);
    return cJSON_CreateString(out);
  }
  case MT_BLOB: {
    cJSON *v = canonical_b64(s, n);
    if (v == NULL)
      break;
    return v;
  }
  default:
    break;
  }
  *bad = 1;
  return NULL;
}

/* ---- JSON bodies ----------------------------------------------------------- */

typedef struct {
  const model_t *m;
  const char *bad;
  char where[128];
} jp_t;

static int jfail(jp_t *j, const char *why, const char *where) {
  if (j->bad == NULL) {
    j->bad = why;
    snprintf(j->where, sizeof j->where, "%s", where ? where : "");
  }
  return -1;
}

static int jconvert(jp_t *j, const mref_t *r, cJSON *v, int depth);

/* The member whose wire name a JSON key is (its locationName, else its
 * name: the usual case, found through the hash table). *renamed: the key is
 * not the member's name (only a locationName that differs from it is). */
static const mref_t *by_wire_name(const model_t *m, const mshape_t *s, const char *key,
                                  int *renamed) {
  const mref_t *r = model_member_str(m, s, key);
  *renamed = 0;
  if (r != NULL && (!(r->flags & MR_HAS_NAME) || strcmp(model_str(m, r->serial), key) == 0))
    return r; /* found by its name: the key is that name */
  for (uint32_t i = 0; i < s->b; i++) {
    const mref_t *c = model_mref(m, s->a + i);
    if ((c->flags & MR_HAS_NAME) && strcmp(model_str(m, c->serial), key) == 0) {
      /* a member named as the key would have been found above */
      *renamed = 1;
      return c;
    }
  }
  return NULL;
}

static char *cj_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = cJSON_malloc(n);
  if (d != NULL)
    memcpy(d, s, n);
  return d;
}

/* Turns a scalar item into a string item, in place (key and links kept). */
static int set_string(cJSON *v, const char *s) {
  char *copy = cj_strdup(s);
  if (copy == NULL)
    return -1;
  if ((cJSON_IsString(v) || cJSON_IsRaw(v)) && !(v->type & cJSON_IsReference))
    cJSON_free(v->valuestring);
  v->valuestring = copy;
  v->type = cJSON_String | (v->type & cJSON_StringIsConst);
  return 0;
}

/* cJSON's own type tests, without a call into the library for each item. */
static inline int is_type(const cJSON *v, int type) { return (v->type & 0xFF) == type; }

/* Types whose values stay as the service sent them: no call to jconvert. */
static inline int kept_as_is(const mshape_t *s) {
  return s->type == MT_STRING || s->type == MT_BOOLEAN || s->type == MT_FLOAT ||
         s->type == MT_DOUBLE;
}

/* jconvert of an item at `depth`, skipped where it would change nothing. */
static inline int jchild(jp_t *j, const mref_t *r, cJSON *v, int depth) {
  if (depth <= MAX_DEPTH && kept_as_is(model_target(j->m, r)))
    return 0;
  return jconvert(j, r, v, depth);
}

static int jstructure(jp_t *j, const mshape_t *s, cJSON *v, int depth) {
  const model_t *m = j->m;
  if (!is_type(v, cJSON_Object))
    return jfail(j, "expected an object", model_str(m, s->name));
  /* a key the answer repeats: the last value stands (json_keys.h) */
  if (json_shadowed_keys(v, 0, json_drop_shadowed, NULL) != 0)
    return -1;
  cJSON *e = v->child;
  while (e != NULL) {
    cJSON *next = e->next;
    int renamed = 0;
    const mref_t *r = is_type(e, cJSON_NULL) ? NULL : by_wire_name(m, s, e->string, &renamed);
    if (r == NULL) {
      cJSON_Delete(cJSON_DetachItemViaPointer(v, e));
    } else {
      if (renamed) {
        /* renamed to the member's name; a later duplicate would win in botocore */
        char *copy = cj_strdup(model_str(m, r->name));
        if (copy == NULL)
          return -1;
        if (!(e->type & cJSON_StringIsConst))
          cJSON_free(e->string);
        e->string = copy;
        e->type &= ~cJSON_StringIsConst;
      }
      if (jchild(j, r, e, depth + 1) != 0)
        return -1;
    }
    e = next;
  }
  return 0;
}

static int jconvert(jp_t *j, const mref_t *r, cJSON *v, int depth) {
  const model_t *m = j->m;
  const mshape_t *s = model_target(m, r);
  if (depth > MAX_DEPTH)
    return jfail(j, "nested too deeply", model_str(m, s->name));
  if (is_type(v, cJSON_NULL))
    return 0; /* kept where it stands (a list's item) */
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE:
    return (s->flags & MS_DOCUMENT) ? 0 : jstructure(j, s, v, depth);
  case MT_LIST:
    if (!is_type(v, cJSON_Array))
      return jfail(j, "expected a list", model_str(m, s->name));
    for (cJSON *e = v->child; e != NULL; e = e->next)
      if (jchild(j, model_mref(m, s->a), e, depth + 1) != 0)
        return -1;
    return 0;
  case MT_MAP:
    if (!is_type(v, cJSON_Object))
      return jfail(j, "expected an object", model_str(m, s->name));
    if (json_shadowed_keys(v, 0, json_drop_shadowed, NULL) != 0)
      return -1;
    for (cJSON *e = v->child; e != NULL; e = e->next)
      if (jchild(j, model_mref(m, s->b), e, depth + 1) != 0)
        return -1;
    return 0;
  case MT_TIMESTAMP: {
    ts_t t;
    char out[TS_TEXT_MAX];
    if (ts_from_json(v, &t) != 0)
      return jfail(j, "not a timestamp", model_str(m, s->name));
    ts_format_output(t, out);
    return set_string(v, out);
  }
  case MT_BLOB:
    if (!cJSON_IsString(v))
      return jfail(j, "expected base64 text", model_str(m, s->name));
    if (b64_is_canonical(v->valuestring, strlen(v->valuestring)))
      return 0;
    {
      cJSON *c = canonical_b64(v->valuestring, strlen(v->valuestring));
      int rc = c == NULL ? jfail(j, "not base64", model_str(m, s->name)) : set_string(v, c->valuestring);
      cJSON_Delete(c);
      return rc;
    }
  case MT_INTEGER:
  case MT_LONG:
    /* cJSON prints numbers with 15 digits when that reads back within its
     * tolerance, which rounds integers from 2^53 on: such an integer becomes
     * a raw number holding its exact digits */
    if (cJSON_IsNumber(v) && fabs(v->valuedouble) >= 1e15 && fabs(v->valuedouble) < 1e19 &&
        v->valuedouble == floor(v->valuedouble)) {
      char digits[32];
      snprintf(digits, sizeof digits, "%.0f", v->valuedouble);
      char *copy = cj_strdup(digits);
      if (copy == NULL)
        return -1;
      v->valuestring = copy;
      v->type = cJSON_Raw | (v->type & cJSON_StringIsConst);
    }
    return 0;
  default:
    return 0; /* strings, numbers and booleans stay as the service sent them */
  }
}

static cJSON *json_parse_shape(const model_t *m, const mref_t *r, const char *body, size_t len,
                               uvaws_error_t *err) {
  size_t blank = 0;
  while (blank < len && (body[blank] == ' ' || body[blank] == '\t' || body[blank] == '\r' ||
                         body[blank] == '\n'))
    blank++;
  cJSON *v = blank == len ? cJSON_CreateObject() : cJSON_ParseWithLength(body, len);
  if (v == NULL) {
    uvaws_error_set(err, UVAWS_EPROTOCOL, "the answer is not JSON");
    return NULL;
  }
  if (r == NULL) { /* no output shape: nothing to keep */
    cJSON_Delete(v);
    return cJSON_CreateObject();
  }
  jp_t j = {.m = m};
  if (jconvert(&j, r, v, 0) != 0 || !cJSON_IsObject(v)) {
    if (j.bad || !cJSON_IsObject(v))
      uvaws_error_set(err, UVAWS_EPROTOCOL, "the answer does not fit %s: %s (%s)",
                      model_str(m, model_target(m, r)->name), j.bad ? j.bad : "expected an object",
                      j.where);
    else
      uvaws_error_set(err, UVAWS_ENOMEM, "parsing the answer");
    cJSON_Delete(v);
    return NULL;
  }
  return v;
}

/* ---- rest: headers, status, payload ------------------------------------------ */

const mref_t *op_raw_payload(const model_t *m, const mref_t *ref) {
  const mshape_t *s = ref ? model_target(m, ref) : NULL;
  if (s == NULL || s->c == MODEL_NONE)
    return NULL;
  const mref_t *p = model_mref(m, s->c);
  mtype_t t = (mtype_t)model_target(m, p)->type;
  return t == MT_BLOB || t == MT_STRING ? p : NULL;
}

/* Adds a member; one the body already gave keeps the body's value, as
 * botocore merges them. */
static int add(cJSON *o, const char *name, cJSON *v) {
  if (v == NULL)
    return -1;
  if (cJSON_GetObjectItemCaseSensitive(o, name) != NULL) {
    cJSON_Delete(v);
    return 0;
  }
  if (!cJSON_AddItemToObject(o, name, v)) {
    cJSON_Delete(v);
    return -1;
  }
  return 0;
}

static int rest_members(const model_t *m, const mshape_t *s, const uvaws_response_t *res, cJSON *o,
                        uvaws_error_t *err) {
  for (uint32_t i = 0; i < s->b; i++) {
    const mref_t *r = model_mref(m, s->a + i);
    const char *name = model_str(m, r->name);
    cJSON *v = NULL;
    if (r->location == ML_STATUS) {
      v = cJSON_CreateNumber((double)res->status);
    } else if (r->location == ML_HEADER) {
      const char *h = uvaws_response_header(res, op_wire_name(m, r));
      if (h == NULL)
        continue;
      const mshape_t *hs = model_target(m, r);
      int bad = 0;
      if (hs->type == MT_LIST) { /* "a, b" */
        v = cJSON_CreateArray();
        for (const char *p = h; v != NULL && *p;) {
          size_t len = strcspn(p, ",");
          const char *a = p, *z = p + len;
          while (a < z && (*a == ' ' || *a == '\t'))
            a++;
          while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
            z--;
          char *item = strndup(a, (size_t)(z - a));
          cJSON *e = item ? text_to_value(m, model_mref(m, hs->a), item, strlen(item), &bad) : NULL;
          free(item);
          if (e == NULL || !cJSON_AddItemToArray(v, e)) {
            cJSON_Delete(e);
            cJSON_Delete(v);
            v = NULL;
          }
          p += len + (p[len] == ',');
        }
      } else {
        v = text_to_value(m, r, h, strlen(h), &bad);
      }
      if (bad)
        return uvaws_error_set(err, UVAWS_EPROTOCOL, "header %s: \"%s\" does not fit %s",
                               op_wire_name(m, r), h, model_str(m, hs->name));
    } else if (r->location == ML_HEADERS) {
      const char *prefix = op_wire_name(m, r);
      size_t plen = strlen(prefix);
      v = cJSON_CreateObject();
      for (size_t k = 0; v != NULL && k < res->header_count; k++) {
        const char *hn = res->headers[k].name;
        if (strncasecmp(hn, prefix, plen) == 0 &&
            add(v, hn + plen, cJSON_CreateString(res->headers[k].value)) != 0) {
          cJSON_Delete(v);
          v = NULL;
        }
      }
    } else {
      continue;
    }
    if (add(o, name, v) != 0)
      return uvaws_error_set(err, UVAWS_ENOMEM, "parsing the answer");
  }
  return 0;
}

/* The payload member's value: a structure parsed from the body, a string
 * the body's text; a blob is the caller's (the response body). */
static int rest_payload(const model_t *m, const mref_t *pr, mproto_t proto,
                        const uvaws_response_t *res, cJSON *o, uvaws_error_t *err) {
  const mshape_t *ps = model_target(m, pr);
  const char *name = model_str(m, pr->name);
  cJSON *v;
  if (ps->type == MT_STRING) {
    if (!utf8_valid(res->body, res->body_len))
      return uvaws_error_set(err, UVAWS_EPROTOCOL, "%s: the answer is not UTF-8 text", name);
    v = cJSON_CreateString(res->body);
  } else if (ps->type == MT_BLOB) {
    return 0;
  } else if (proto == MPROTO_REST_JSON) {
    v = json_parse_shape(m, pr, res->body, res->body_len, err);
    if (v == NULL)
      return err && err->code ? err->code : UVAWS_ENOMEM;
  } else {
    v = res->body_len ? xml_parse_shape(m, pr, proto, res->body, res->body_len, NULL, err)
                      : cJSON_CreateObject();
    if (v == NULL)
      return err && err->code ? err->code : UVAWS_ENOMEM;
  }
  if (add(o, name, v) != 0)
    return uvaws_error_set(err, UVAWS_ENOMEM, "parsing the answer");
  return 0;
}

int op_parse(const model_t *m, const mop_t *op, const uvaws_response_t *res, cJSON **out,
             char **request_id, uvaws_error_t *err) {
  *out = NULL;
  if (request_id)
    *request_id = NULL;
  const mref_t *r = op->output != MODEL_NONE ? model_mref(m, op->output) : NULL;
  const mshape_t *s = r ? model_target(m, r) : NULL;
  const mref_t *pr = s && s->c != MODEL_NONE ? model_mref(m, s->c) : NULL;
  cJSON *o = NULL;
  switch (m->protocol) {
  case MPROTO_JSON:
    o = json_parse_shape(m, r, res->body, res->body_len, err);
    break;
  case MPROTO_QUERY:
  case MPROTO_EC2:
    o = xml_parse_shape(m, r, m->protocol, res->body, res->body_len, request_id, err);
    break;
  case MPROTO_REST_JSON:
  case MPROTO_REST_XML:
    if (pr != NULL)
      o = cJSON_CreateObject();
    else if (m->protocol == MPROTO_REST_JSON)
      o = json_parse_shape(m, r, res->body, res->body_len, err);
    else
      o = xml_parse_shape(m, r, m->protocol, res->body, res->body_len, NULL, err);
    if (o == NULL)
      break;
    if (s != NULL && (rest_members(m, s, res, o, err) != 0 ||
                      (pr != NULL && rest_payload(m, pr, m->protocol, res, o, err) != 0))) {
      cJSON_Delete(o);
      o = NULL;
    }
    break;
  }
  if (o == NULL)
    return err && err->code ? err->code : uvaws_error_set(err, UVAWS_ENOMEM, "parsing the answer");
  *out = o;
  return 0;
}

/* ---- errors --------------------------------------------------------------------- */

void op_error_by_status(uvaws_error_t *e, size_t body_len) {
  static const struct {
    long status;
    const char *text;
  } reasons[] = {{301, "Moved Permanently"}, {302, "Found"}, {304, "Not Modified"},
                 {307, "Temporary Redirect"}, {400, "Bad Request"}, {401, "Unauthorized"},
                 {403, "Forbidden"}, {404, "Not Found"}, {405, "Method Not Allowed"},
                 {409, "Conflict"}, {411, "Length Required"}, {412, "Precondition Failed"},
                 {413, "Request Entity Too Large"}, {416, "Requested Range Not Satisfiable"},
                 {429, "Too Many Requests"}, {500, "Internal Server Error"},
                 {501, "Not Implemented"}, {502, "Bad Gateway"}, {503, "Service Unavailable"},
                 {504, "Gateway Timeout"}};
  if (e->aws_type != NULL || e->http_status == 0)
    return;
  char code[24];
  snprintf(code, sizeof code, "%ld", e->http_status);
  e->aws_type = strdup(code);
  /* a body that is no AWS error (an HTML page) keeps its excerpt in detail */
  for (size_t i = 0; body_len == 0 && e->message == NULL && i < sizeof reasons / sizeof *reasons; i++)
    if (reasons[i].status == e->http_status)
      e->message = strdup(reasons[i].text);
}
