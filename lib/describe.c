/* Operations described from the models, for help texts (uvaws help). */
#include <stdlib.h>
#include <string.h>

#include "model.h"

#define MAX_DEPTH 16

static const model_t *model_of(const uvaws_service_t *svc) {
  return svc != NULL ? model_get(svc->name, NULL, 0) : NULL;
}

const char *uvaws_operation_at(const uvaws_service_t *svc, size_t i) {
  const model_t *m = model_of(svc);
  return m != NULL && i < m->h->op_count ? model_str(m, m->ops[i].name) : NULL;
}

static const char *type_name(mtype_t t) {
  static const char *const names[] = {"",        "structure", "list",   "map",
                                      "string",  "integer",   "long",   "float",
                                      "double",  "boolean",   "timestamp", "blob"};
  return t >= MT_STRUCTURE && t <= MT_BLOB ? names[t] : "?";
}

static const char *location_name(mloc_t l) {
  static const char *const names[] = {NULL, "uri", "querystring", "header", "headers", "statusCode"};
  return l <= ML_STATUS ? names[l] : NULL;
}

/* `stack` holds the shapes being described above this one (depth entries). */
static cJSON *describe(const model_t *m, const mref_t *r, uint32_t *stack, int depth) {
  const mshape_t *s = model_target(m, r);
  uint32_t idx = r->shape;
  cJSON *d = cJSON_CreateObject();
  if (d == NULL)
    return NULL;
  const char *type = (s->type == MT_STRUCTURE && (s->flags & MS_DOCUMENT)) ? "document"
                                                                          : type_name(s->type);
  cJSON_AddStringToObject(d, "type", type);
  cJSON_AddStringToObject(d, "shape", model_str(m, s->name));
  double min;
  if (model_min(s, &min))
    cJSON_AddNumberToObject(d, "min", min);
  if (s->flags & MS_UNION)
    cJSON_AddTrueToObject(d, "union");
  int seen = 0;
  for (int i = 0; i < depth; i++)
    seen |= stack[i] == idx;
  if (seen || depth >= MAX_DEPTH) {
    cJSON_AddTrueToObject(d, "recursive");
    return d;
  }
  stack[depth] = idx;
  switch ((mtype_t)s->type) {
  case MT_STRUCTURE: {
    if (s->flags & MS_DOCUMENT)
      break;
    cJSON *members = cJSON_AddObjectToObject(d, "members");
    for (uint32_t i = 0; members && i < s->b; i++) {
      const mref_t *mr = model_mref(m, s->a + i);
      cJSON *md = describe(m, mr, stack, depth + 1);
      if (md == NULL)
        continue;
      if (mr->flags & MR_REQUIRED)
        cJSON_AddTrueToObject(md, "required");
      const char *loc = location_name((mloc_t)mr->location);
      if (loc)
        cJSON_AddStringToObject(md, "location", loc);
      /* the wire name: where a located member goes, or a body member's other name */
      const char *wire = model_str(m, (mr->flags & MR_HAS_NAME) ? mr->serial : mr->name);
      if (loc || strcmp(wire, model_str(m, mr->name)) != 0)
        cJSON_AddStringToObject(md, "wire", wire);
      if (s->c == s->a + i)
        cJSON_AddTrueToObject(md, "payload");
      if (mr->flags & MR_STREAMING)
        cJSON_AddTrueToObject(md, "streaming");
      if (mr->flags & MR_IDEMPOTENCY)
        cJSON_AddTrueToObject(md, "idempotency_token");
      cJSON_AddItemToObject(members, model_str(m, mr->name), md);
    }
    break;
  }
  case MT_LIST:
    cJSON_AddItemToObject(d, "member", describe(m, model_mref(m, s->a), stack, depth + 1));
    break;
  case MT_MAP:
    cJSON_AddItemToObject(d, "key", describe(m, model_mref(m, s->a), stack, depth + 1));
    cJSON_AddItemToObject(d, "value", describe(m, model_mref(m, s->b), stack, depth + 1));
    break;
  case MT_STRING:
    if (s->b > 0) {
      cJSON *e = cJSON_AddArrayToObject(d, "enum");
      for (uint32_t i = 0; e && i < s->b; i++)
        cJSON_AddItemToArray(e, cJSON_CreateString(model_str(m, m->enums[s->a + i])));
    }
    break;
  default:
    break;
  }
  return d;
}

cJSON *uvaws_operation_describe(const uvaws_service_t *svc, const char *operation) {
  const model_t *m = model_of(svc);
  const mop_t *op = m && operation ? model_op(m, operation) : NULL;
  if (op == NULL)
    return NULL;
  cJSON *d = cJSON_CreateObject();
  uint32_t stack[MAX_DEPTH + 1];
  cJSON_AddStringToObject(d, "service", svc->name);
  cJSON_AddStringToObject(d, "operation", operation);
  cJSON_AddStringToObject(d, "method", model_str(m, op->method));
  cJSON_AddStringToObject(d, "path", model_str(m, op->request_uri));
  if (op->flags & MO_DEPRECATED)
    cJSON_AddTrueToObject(d, "deprecated");
  if (op->input != MODEL_NONE)
    cJSON_AddItemToObject(d, "input", describe(m, model_mref(m, op->input), stack, 0));
  if (op->output != MODEL_NONE)
    cJSON_AddItemToObject(d, "output", describe(m, model_mref(m, op->output), stack, 0));
  if (model_pager(m, operation) != NULL)
    cJSON_AddTrueToObject(d, "paginated");
  cJSON *waiters = cJSON_CreateArray();
  for (uint32_t i = 0; i < m->h->waiter_count; i++) {
    cJSON *w = cJSON_Parse(model_str(m, m->waiters[i].json));
    const char *wop = cJSON_GetStringValue(cJSON_GetObjectItem(w, "operation"));
    if (wop && strcmp(wop, operation) == 0)
      cJSON_AddItemToArray(waiters, cJSON_CreateString(model_str(m, m->waiters[i].name)));
    cJSON_Delete(w);
  }
  if (cJSON_GetArraySize(waiters) > 0)
    cJSON_AddItemToObject(d, "waiters", waiters);
  else
    cJSON_Delete(waiters);
  return d;
}
