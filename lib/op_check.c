/* Parameters checked against the input shape before anything is sent, as
 * botocore's ParamValidator does: unknown and missing members, types,
 * minimums (lengths of strings and lists, values of numbers) and unions,
 * every problem reported with its path ("Destination.ToAddresses[0]"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "op.h"
#include "op_value.h"
#include "suggest.h"

#define MAX_DEPTH 100
#define MAX_PROBLEMS 10

typedef struct {
  const model_t *m;
  buf_t path; /* "Destination.ToAddresses[0]" of the value being checked */
  buf_t msg;  /* problems so far, "; "-separated */
  int problems;
} chk_t;

static void report(chk_t *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void report(chk_t *c, const char *fmt, ...) {
  if (++c->problems > MAX_PROBLEMS)
    return;
  if (c->msg.len > 0)
    buf_adds(&c->msg, "; ");
  if (c->problems == MAX_PROBLEMS) {
    buf_adds(&c->msg, "and more");
    return;
  }
  buf_add(&c->msg, c->path.data ? c->path.data : "", c->path.len);
  buf_adds(&c->msg, c->path.len ? ": " : "");
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  buf_adds(&c->msg, text);
}

static const char *kind(const cJSON *v) {
  if (cJSON_IsString(v))
    return "a string";
  if (cJSON_IsNumber(v) || cJSON_IsRaw(v))
    return "a number";
  if (cJSON_IsBool(v))
    return "a boolean";
  if (cJSON_IsNull(v))
    return "null";
  if (cJSON_IsArray(v))
    return "a list";
  return "an object";
}

static void wrong(chk_t *c, const char *want, const cJSON *v) {
  if (cJSON_IsNull(v))
    report(c, "expected %s, got null (leave the member out instead)", want);
  else
    report(c, "expected %s, got %s", want, kind(v));
}

static size_t codepoints(const char *s) {
  size_t n = 0;
  for (; *s; s++)
    n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

static void check_min(chk_t *c, const mref_t *r, const mshape_t *s, double value, int length) {
  double min;
  if (!model_min(s, &min)) {
    if (!(r->flags & MR_HOST_LABEL))
      return;
    min = 1; /* a host label cannot be empty (botocore's rule too) */
  }
  if (value >= min)
    return;
  if (length)
    report(c, "shorter than the minimum of %.0f", min);
  else
    report(c, "below the minimum of %.17g", min);
}

static const char *member_name(const void *ctx, size_t i) {
  const chk_t *c = ((const void *const *)ctx)[0];
  const mshape_t *s = ((const void *const *)ctx)[1];
  return model_str(c->m, model_mref(c->m, s->a + (uint32_t)i)->name);
}

static void check(chk_t *c, const mref_t *r, const cJSON *v, int depth);

static void check_structure(chk_t *c, const mshape_t *s, const cJSON *v, int depth) {
  const model_t *m = c->m;
  size_t base = c->path.len;
  int set = 0;
  for (const cJSON *e = v->child; e != NULL; e = e->next) {
    const char *key = e->string ? e->string : "";
    if (base > 0)
      buf_addc(&c->path, '.');
    buf_adds(&c->path, key);
    const mref_t *r = model_member(m, s, key, strlen(key));
    if (r == NULL) {
      buf_t hint = {0};
      const void *ctx[2] = {c, s};
      if (suggest(key, member_name, ctx, s->b, &hint) > 0 && buf_str(&hint))
        report(c, "unknown parameter; did you mean %s?", hint.data);
      else
        report(c, "unknown parameter (%s has %u: see uvaws help)", model_str(m, s->name), s->b);
      buf_free(&hint);
    } else {
      set++;
      check(c, r, e, depth + 1);
    }
    c->path.len = base;
  }
  /* depth 0: the input itself, where the SDKs fill idempotency tokens in */
  for (uint32_t i = 0; i < s->b; i++) {
    const mref_t *r = model_mref(m, s->a + i);
    const char *name = model_str(m, r->name);
    if ((r->flags & MR_REQUIRED) && !(depth == 0 && (r->flags & MR_IDEMPOTENCY)) &&
        cJSON_GetObjectItemCaseSensitive(v, name) == NULL) {
      if (base > 0)
        buf_addc(&c->path, '.');
      buf_adds(&c->path, name);
      report(c, "missing (required)");
      c->path.len = base;
    }
  }
  if ((s->flags & MS_UNION) && set != 1) {
    buf_t names = {0};
    for (uint32_t i = 0; i < s->b && i < 12; i++) {
      if (i > 0)
        buf_adds(&names, ", ");
      buf_adds(&names, model_str(m, model_mref(m, s->a + i)->name));
    }
    if (s->b > 12)
      buf_adds(&names, ", ...");
    report(c, "set %s one of %s", set == 0 ? "exactly" : "only", buf_str(&names) ? names.data : "");
    buf_free(&names);
  }
}

static void check(chk_t *c, const mref_t *r, const cJSON *v, int depth) {
  const model_t *m = c->m;
  const mshape_t *s = model_target(m, r);
  if (depth > MAX_DEPTH) {
    report(c, "nested deeper than %d levels", MAX_DEPTH);
    return;
  }
  /* A header that carries JSON (base64 of any JSON value): botocore takes any value. */
  if ((r->flags & MR_JSONVALUE) && r->location == ML_HEADER && s->type == MT_STRING) {
    if (cJSON_IsNull(v))
      wrong(c, "a JSON value", v);
    return;
  }
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE:
    if (s->flags & MS_DOCUMENT)
      return; /* any JSON value */
    if (!cJSON_IsObject(v))
      wrong(c, "an object", v);
    else
      check_structure(c, s, v, depth);
    return;
  case MT_LIST: {
    if (!cJSON_IsArray(v)) {
      wrong(c, "a list", v);
      return;
    }
    size_t base = c->path.len;
    int i = 0;
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
      char idx[24];
      snprintf(idx, sizeof idx, "[%d]", i);
      buf_adds(&c->path, idx);
      check(c, model_mref(m, s->a), e, depth + 1);
      c->path.len = base;
    }
    check_min(c, r, s, i, 1);
    return;
  }
  case MT_MAP: {
    if (!cJSON_IsObject(v)) {
      wrong(c, "an object (a map)", v);
      return;
    }
    size_t base = c->path.len;
    const mref_t *kr = model_mref(m, s->a);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      const char *key = e->string ? e->string : "";
      buf_adds(&c->path, " (key ");
      buf_adds(&c->path, key);
      buf_adds(&c->path, ")");
      cJSON k = {.type = cJSON_String, .valuestring = (char *)key};
      check(c, kr, &k, depth + 1);
      c->path.len = base;
      buf_addc(&c->path, '.');
      buf_adds(&c->path, key);
      check(c, model_mref(m, s->b), e, depth + 1);
      c->path.len = base;
    }
    return;
  }
  case MT_STRING:
    if (!cJSON_IsString(v))
      wrong(c, "a string", v);
    else if (!utf8_valid(v->valuestring, strlen(v->valuestring)))
      report(c, "not valid UTF-8");
    else
      check_min(c, r, s, (double)codepoints(v->valuestring), 1);
    return;
  case MT_INTEGER:
  case MT_LONG: {
    int64_t x;
    if (json_int64(v, &x) != 0)
      wrong(c, "an integer", v);
    else
      check_min(c, r, s, (double)x, 0);
    return;
  }
  case MT_FLOAT:
  case MT_DOUBLE: {
    char text[64];
    if (json_number_text(v, text) == 0)
      wrong(c, cJSON_IsNumber(v) ? "a finite number" : "a number", v);
    else
      check_min(c, r, s, cJSON_IsNumber(v) ? v->valuedouble : strtod(text, NULL), 0);
    return;
  }
  case MT_BOOLEAN:
    if (!cJSON_IsBool(v))
      wrong(c, "true or false", v);
    return;
  case MT_TIMESTAMP: {
    ts_t t;
    if (ts_from_json(v, &t) != 0)
      wrong(c, "a timestamp (ISO 8601 text or seconds since the epoch)", v);
    return;
  }
  case MT_BLOB:
    if (!cJSON_IsString(v))
      wrong(c, "base64 text", v);
    else if (!b64_is_canonical(v->valuestring, strlen(v->valuestring)))
      report(c, "not base64 (standard alphabet, padded, no blanks)");
    return;
  }
}

int op_check(const model_t *m, const mop_t *op, const cJSON *params, uvaws_error_t *err) {
  if (op->input == MODEL_NONE) {
    if (params != NULL && params->child != NULL)
      return uvaws_error_set(err, UVAWS_EPARAM, "%s takes no parameters", model_str(m, op->name));
    return 0;
  }
  chk_t c = {.m = m};
  cJSON empty = {.type = cJSON_Object};
  check(&c, model_mref(m, op->input), params ? params : &empty, 0);
  int rc = 0;
  if (c.path.failed || c.msg.failed) {
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "checking the parameters");
  } else if (c.problems > 0) {
    rc = uvaws_error_set(err, UVAWS_EPARAM, "%s: %s", model_str(m, op->name), buf_str(&c.msg));
    if (err != NULL) {
      err->message = err->detail;
      err->detail = NULL;
    }
  }
  buf_free(&c.path);
  buf_free(&c.msg);
  return rc;
}
