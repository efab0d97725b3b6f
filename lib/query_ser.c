/* The query protocol's form body from cJSON parameters (rules in
 * query_ser.h). The wire name of the value being written grows and shrinks
 * in one buffer as the walk descends and returns. */
#include "query_ser.h"

#include <stdio.h>

#include "num_text.h"
#include "sigv4_canon.h"
#include "uvaws/error.h"

#define MAX_DEPTH 32

typedef struct {
  buf_t *out;
  buf_t name;
  int ec2;
  char *bad;
  size_t bad_len;
} ser;

static int bad(ser *s) {
  if (s->bad != NULL && s->bad_len > 0)
    snprintf(s->bad, s->bad_len, "%.*s", (int)s->name.len, s->name.data ? s->name.data : "");
  return UVAWS_EPARAM;
}

static void pair(ser *s, const char *value, size_t n) {
  if (s->out->len > 0)
    buf_addc(s->out, '&');
  canon_encode(s->out, s->name.data ? s->name.data : "", s->name.len, 0);
  buf_addc(s->out, '=');
  canon_encode(s->out, value, n, 0);
}

static int walk(ser *s, const cJSON *v, int depth);

static int fields(ser *s, const cJSON *o, int depth) {
  size_t base = s->name.len;
  for (const cJSON *c = o->child; c != NULL; c = c->next) {
    if (base > 0)
      buf_addc(&s->name, '.');
    buf_adds(&s->name, c->string ? c->string : "");
    int rc = walk(s, c, depth + 1);
    if (rc != 0)
      return rc;
    s->name.len = base;
  }
  return 0;
}

static int elements(ser *s, const cJSON *a, int depth) {
  size_t base = s->name.len;
  if (a->child == NULL) {
    pair(s, "", 0); /* the query protocol sends an empty list as an empty value */
    return 0;
  }
  unsigned long i = 1;
  for (const cJSON *c = a->child; c != NULL; c = c->next, i++) {
    char idx[NUM_TEXT_MAX];
    buf_adds(&s->name, s->ec2 ? "." : ".member.");
    buf_add(&s->name, idx, num_text((double)i, idx));
    int rc = walk(s, c, depth + 1);
    if (rc != 0)
      return rc;
    s->name.len = base;
  }
  return 0;
}

static int walk(ser *s, const cJSON *v, int depth) {
  if (s->name.failed)
    return UVAWS_ENOMEM;
  if (depth > MAX_DEPTH)
    return bad(s);
  char num[NUM_TEXT_MAX];
  size_t n;
  switch (v->type & 0xff) {
  case cJSON_String:
  case cJSON_Raw: /* verbatim: big or exact numbers the caller wrote */
    if (v->valuestring == NULL)
      return bad(s);
    pair(s, v->valuestring, strlen(v->valuestring));
    return 0;
  case cJSON_Number:
    if ((n = num_text(v->valuedouble, num)) == 0)
      return bad(s); /* NaN or infinite */
    pair(s, num, n);
    return 0;
  case cJSON_True:
    pair(s, "true", 4);
    return 0;
  case cJSON_False:
    pair(s, "false", 5);
    return 0;
  case cJSON_Object:
    return fields(s, v, depth);
  case cJSON_Array:
    return elements(s, v, depth);
  default: /* null, invalid: the protocol has no way to say it */
    return bad(s);
  }
}

int query_serialize(const cJSON *params, int ec2, buf_t *out, char *bad_path, size_t bad_len) {
  ser s = {.out = out, .ec2 = ec2, .bad = bad_path, .bad_len = bad_len};
  if (bad_path != NULL && bad_len > 0)
    bad_path[0] = '\0';
  if (out == NULL)
    return UVAWS_EINVAL;
  if (!cJSON_IsObject(params))
    return bad(&s);
  int rc = fields(&s, params, 0);
  if (rc == 0 && (s.name.failed || out->failed))
    rc = UVAWS_ENOMEM;
  buf_free(&s.name);
  return rc;
}
