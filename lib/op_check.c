/* Parameters checked against the input shape before anything is sent, as
 * botocore's ParamValidator does: unknown and missing members, types,
 * minimums (lengths of strings and lists, values of numbers) and unions,
 * every problem reported with its path ("Destination.ToAddresses[0]"). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "json_keys.h"
#include "op.h"
#include "op_value.h"
#include "suggest.h"

#define MAX_DEPTH 100
#define MAX_PROBLEMS 10

/* One step of the path to the value being checked; the path's text
 * ("Destination.ToAddresses[0]") is written only when a problem is found. */
typedef struct {
  enum { F_MEMBER, F_INDEX, F_KEY, F_VALUE } kind;
  const char *name; /* member or map key */
  int index;
} frame_t;

typedef struct {
  const model_t *m;
  frame_t path[MAX_DEPTH + 2];
  int depth;
  buf_t msg; /* problems so far, "; "-separated */
  int problems;
  op_plan_t *plan;
} chk_t;

static void plan_add(chk_t *c, const cJSON *e, const mref_t *r) {
  op_plan_t *p = c->plan;
  if (p != NULL && p->n < sizeof p->steps / sizeof *p->steps) {
    p->steps[p->n].item = e;
    p->steps[p->n++].ref = r;
  }
}

static void push(chk_t *c, int kind, const char *name, int index) {
  if (c->depth < MAX_DEPTH + 2)
    c->path[c->depth] = (frame_t){kind, name, index};
  c->depth++;
}

static void pop(chk_t *c) { c->depth--; }

static void path_text(const chk_t *c, buf_t *b) {
  int n = c->depth < MAX_DEPTH + 2 ? c->depth : MAX_DEPTH + 2;
  for (int i = 0; i < n; i++) {
    const frame_t *f = &c->path[i];
    char idx[24];
    switch (f->kind) {
    case F_INDEX:
      snprintf(idx, sizeof idx, "[%d]", f->index);
      buf_adds(b, idx);
      break;
    case F_KEY:
      buf_adds(b, " (key ");
      buf_adds(b, f->name);
      buf_addc(b, ')');
      break;
    default: /* a member, or a map's value under its key */
      if (i > 0)
        buf_addc(b, '.');
      buf_adds(b, f->name);
      break;
    }
  }
}

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
  size_t before = c->msg.len;
  path_text(c, &c->msg);
  buf_adds(&c->msg, c->msg.len > before ? ": " : "");
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
  int set = 0;
  uint32_t required_seen = 0;
  uint64_t seen[4] = {0, 0, 0, 0}; /* members met, by position (the first 256) */
  for (const cJSON *e = v->child; e != NULL; e = e->next) {
    const char *key = e->string ? e->string : "";
    push(c, F_MEMBER, key, 0);
    const mref_t *r = model_member_str(m, s, key);
    if (r == NULL) {
      buf_t hint = {0};
      const void *ctx[2] = {c, s};
      if (suggest(key, member_name, ctx, s->b, &hint) > 0 && buf_str(&hint))
        report(c, "unknown parameter; did you mean %s?", hint.data);
      else
        report(c, "unknown parameter (%s has %u: see uvaws help)", model_str(m, s->name), s->b);
      buf_free(&hint);
    } else {
      uint32_t pos = model_mref_index(m, r) - s->a;
      int again = pos < 256 && (seen[pos / 64] >> (pos % 64) & 1);
      if (pos < 256)
        seen[pos / 64] |= (uint64_t)1 << (pos % 64);
      if (again) { /* JSON allows it, a dictionary cannot hold it */
        report(c, "given twice");
      } else {
        set++;
        required_seen += (r->flags & MR_REQUIRED) != 0 && pos < 256;
      }
      plan_add(c, e, r);
      check(c, r, e, depth + 1);
    }
    pop(c);
  }
  /* depth 0: the input itself, where the SDKs fill idempotency tokens in */
  for (uint32_t i = 0; required_seen < s->required && i < s->b; i++) {
    const mref_t *r = model_mref(m, s->a + i);
    const char *name = model_str(m, r->name);
    if ((r->flags & MR_REQUIRED) && !(depth == 0 && (r->flags & MR_IDEMPOTENCY)) &&
        cJSON_GetObjectItemCaseSensitive(v, name) == NULL) {
      push(c, F_MEMBER, name, 0);
      report(c, "missing (required)");
      pop(c);
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

static int key_twice(cJSON *obj, cJSON *earlier, void *arg) {
  (void)obj;
  chk_t *c = arg;
  push(c, F_KEY, earlier->string ? earlier->string : "", 0);
  report(c, "given twice");
  pop(c);
  return 0;
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
    int i = 0;
    for (const cJSON *e = v->child; e != NULL; e = e->next, i++) {
      push(c, F_INDEX, NULL, i);
      check(c, model_mref(m, s->a), e, depth + 1);
      pop(c);
    }
    check_min(c, r, s, i, 1);
    return;
  }
  case MT_MAP: {
    if (!cJSON_IsObject(v)) {
      wrong(c, "an object (a map)", v);
      return;
    }
    /* A dictionary holds a key once; a header is one name in any case. The
     * walker takes a mutable object, but key_twice changes nothing. */
    if (json_shadowed_keys((cJSON *)v, r->location == ML_HEADERS, key_twice, c) < 0)
      report(c, "no memory to compare its keys");
    const mref_t *kr = model_mref(m, s->a);
    for (const cJSON *e = v->child; e != NULL; e = e->next) {
      const char *key = e->string ? e->string : "";
      push(c, F_KEY, key, 0);
      cJSON k = {.type = cJSON_String, .valuestring = (char *)key};
      check(c, kr, &k, depth + 1);
      pop(c);
      push(c, F_VALUE, key, 0);
      check(c, model_mref(m, s->b), e, depth + 1);
      pop(c);
    }
    return;
  }
  case MT_STRING: {
    long chars = cJSON_IsString(v) ? utf8_count(v->valuestring, strlen(v->valuestring)) : 0;
    if (!cJSON_IsString(v))
      wrong(c, "a string", v);
    else if (chars < 0)
      report(c, "not valid UTF-8");
    else
      check_min(c, r, s, (double)chars, 1);
    return;
  }
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

int op_check(const model_t *m, const mop_t *op, const cJSON *params, op_plan_t *plan,
             uvaws_error_t *err) {
  if (op->input == MODEL_NONE) {
    if (params != NULL && params->child != NULL)
      return uvaws_error_set(err, UVAWS_EPARAM, "%s takes no parameters", model_str(m, op->name));
    return 0;
  }
  chk_t cs; /* on the stack: a check allocates nothing unless it finds a problem */
  chk_t *c = &cs;
  c->m = m;
  c->depth = 0;
  c->problems = 0;
  c->plan = plan;
  if (plan != NULL)
    plan->n = plan->next = 0;
  memset(&c->msg, 0, sizeof c->msg);
  cJSON empty = {.type = cJSON_Object};
  check(c, model_mref(m, op->input), params ? params : &empty, 0);
  int rc = 0;
  if (c->msg.failed) {
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "checking the parameters");
  } else if (c->problems > 0) {
    rc = uvaws_error_set(err, UVAWS_EPARAM, "%s: %s", model_str(m, op->name), buf_str(&c->msg));
    if (err != NULL) {
      err->message = err->detail;
      err->detail = NULL;
    }
  }
  buf_free(&c->msg);
  return rc;
}
