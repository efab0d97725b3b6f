/* The operation layer's pure half, driven by JSON lines, for the
 * differential test against botocore (test/ops_differential.py), which does
 * the generating and the comparing. No client, no network: the model file
 * ($UVAWS_MODEL_DIR), op_check, op_serialize and op_parse.
 *
 * Input, one object a line:
 *   {"mode": "serialize", "service", "operation", "params": {...}}
 *   {"mode": "parse", "service", "operation", "status": 200,
 *    "headers": [[name, value], ...], "body_b64": "..."}
 * In params, {"$raw": "123456789012345678901"} stands for a raw cJSON number
 * (how callers pass integers beyond a double's 53 bits).
 * Output, one object a line:
 *   {"method", "path", "query": [[name, value], ...], "headers": [[...]],
 *    "body_b64", "host_prefix"}            (serialize)
 *   {"output": {...}}                      (parse, a 2xx status)
 *   {"aws_error": {"code", "message", "request_id"}}  (parse, any other)
 *   {"error": "UVAWS_E...", "message": "..."}
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "aws_error.h"
#include "b64.h"
#include "op.h"

static cJSON *kv_json(const kvs_t *k) {
  cJSON *a = cJSON_CreateArray();
  for (size_t i = 0; i < k->count; i++) {
    cJSON *p = cJSON_CreateArray();
    cJSON_AddItemToArray(p, cJSON_CreateString(k->kv[i].name));
    cJSON_AddItemToArray(p, cJSON_CreateString(k->kv[i].value));
    cJSON_AddItemToArray(a, p);
  }
  return a;
}

/* {"$raw": "digits"} -> a raw number, everywhere in the tree. */
static void raws(cJSON *v) {
  for (cJSON *c = v ? v->child : NULL; c != NULL; c = c->next) {
    const cJSON *r = cJSON_IsObject(c) && c->child && !c->child->next
                         ? cJSON_GetObjectItemCaseSensitive(c, "$raw")
                         : NULL;
    if (cJSON_IsString(r)) {
      cJSON *n = cJSON_CreateRaw(r->valuestring);
      if (c->string)
        cJSON_ReplaceItemInObjectCaseSensitive(v, c->string, n);
      else
        cJSON_ReplaceItemViaPointer(v, c, n);
      c = n;
    } else {
      raws(c);
    }
  }
}

static cJSON *fail(int code, const uvaws_error_t *err) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "error", uvaws_err_name(code));
  cJSON_AddStringToObject(o, "message",
                          err->message ? err->message : err->detail ? err->detail : "");
  return o;
}

static cJSON *serialize(const model_t *m, const mop_t *op, cJSON *params) {
  uvaws_error_t err = {0};
  raws(params);
  op_plan_t plan; /* as uvaws_call does */
  int rc = op_check(m, op, params, &plan, &err);
  op_req_t r;
  memset(&r, 0, sizeof r);
  if (rc == 0)
    rc = op_serialize(m, op, params, &plan, &r, &err);
  cJSON *o;
  if (rc != 0) {
    o = fail(rc, &err);
  } else {
    o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "method", r.method);
    cJSON_AddStringToObject(o, "path", op_req_path(&r));
    cJSON_AddItemToObject(o, "query", kv_json(&r.query));
    cJSON_AddItemToObject(o, "headers", kv_json(&r.headers));
    buf_t b = {0};
    b64_encode(&b, r.body.data ? r.body.data : "", r.body.len);
    cJSON_AddStringToObject(o, "body_b64", buf_str(&b) ? b.data : "");
    buf_free(&b);
    cJSON_AddStringToObject(o, "host_prefix", r.host_prefix);
    cJSON_AddBoolToObject(o, "raw_payload", r.raw_payload);
  }
  op_req_free(&r);
  uvaws_error_clear(&err);
  return o;
}

static cJSON *parse(const model_t *m, const mop_t *op, const cJSON *line) {
  const cJSON *hs = cJSON_GetObjectItemCaseSensitive(line, "headers");
  int n = cJSON_GetArraySize(hs);
  uvaws_kv_t *kv = calloc((size_t)n + 1, sizeof *kv);
  for (int i = 0; i < n; i++) {
    const cJSON *p = cJSON_GetArrayItem(hs, i);
    kv[i].name = cJSON_GetStringValue(cJSON_GetArrayItem(p, 0));
    kv[i].value = cJSON_GetStringValue(cJSON_GetArrayItem(p, 1));
  }
  const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(line, "body_b64"));
  unsigned char *body = NULL;
  size_t len = 0;
  if (b64 == NULL || b64_decode(b64, strlen(b64), &body, &len) != 0) {
    free(kv);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "error", "bad input line");
    return o;
  }
  uvaws_response_t res = {
      .status = (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(line, "status")),
      .headers = kv,
      .header_count = (size_t)n,
      .body = (const char *)body,
      .body_len = len,
  };
  cJSON *out = NULL;
  uvaws_error_t err = {0};
  cJSON *o;
  if (res.status < 200 || res.status > 299) { /* an error answer, as the client reads it */
    aws_error_from_response(&err, res.status, kv, (size_t)n, res.body, res.body_len);
    op_error_by_status(&err, res.body_len);
    o = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(o, "aws_error");
    cJSON_AddStringToObject(e, "code", err.aws_type ? err.aws_type : "");
    cJSON_AddStringToObject(e, "message", err.message ? err.message : "");
    cJSON_AddStringToObject(e, "request_id", err.request_id ? err.request_id : "");
    uvaws_error_clear(&err);
    free(body);
    free(kv);
    return o;
  }
  int rc = op_parse(m, op, &res, &out, NULL, &err);
  if (rc != 0) {
    o = fail(rc, &err);
  } else {
    o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "output", out);
  }
  uvaws_error_clear(&err);
  free(body);
  free(kv);
  return o;
}

int main(void) {
  char *line = NULL;
  size_t cap = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, stdin)) > 0) {
    cJSON *in = cJSON_ParseWithLength(line, (size_t)got);
    const char *mode = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "mode"));
    const char *svc = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "service"));
    const char *opn = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(in, "operation"));
    char why[512] = "";
    const model_t *m = svc ? model_get(svc, why, sizeof why) : NULL;
    const mop_t *op = m && opn ? model_op(m, opn) : NULL;
    cJSON *o;
    if (in == NULL || mode == NULL || op == NULL) {
      o = cJSON_CreateObject();
      cJSON_AddStringToObject(o, "error", "bad input line");
      cJSON_AddStringToObject(o, "message", why);
    } else if (strcmp(mode, "serialize") == 0) {
      cJSON *params = cJSON_DetachItemFromObjectCaseSensitive(in, "params");
      o = serialize(m, op, params);
      cJSON_Delete(params);
    } else {
      o = parse(m, op, in);
    }
    char *text = cJSON_PrintUnformatted(o);
    printf("%s\n", text ? text : "{\"error\":\"out of memory\"}");
    fflush(stdout);
    cJSON_free(text);
    cJSON_Delete(o);
    cJSON_Delete(in);
  }
  free(line);
  return 0;
}
