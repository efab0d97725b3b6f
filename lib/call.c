/* uvaws_call: an operation name and cJSON parameters in, cJSON out, in the
 * protocol of the client's service. Serialization happens before the call
 * returns; the answer is parsed from the loop, before the callback. */
#include "uvaws/call.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "num_text.h"
#include "query_ser.h"
#include "services.h"
#include "sigv4_canon.h"
#include "xml_json.h"

typedef struct {
  const uvaws_service_t *svc;
  const rest_op_t *op; /* rest-json: how to read the answer */
  uvaws_result_cb cb;
  void *arg;
} call_t;

cJSON *uvaws_result_steal(uvaws_result_t *res) {
  if (res == NULL)
    return NULL;
  cJSON *out = res->output;
  res->output = NULL;
  return out;
}

static int is_word(const char *s) {
  if (s == NULL || *s == '\0')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
      return 0;
  return 1;
}

/* ---- answers --------------------------------------------------------------- */

static void copy_mapped_headers(cJSON *out, const char *map, const uvaws_response_t *r) {
  for (const char *p = map; p && *p;) {
    size_t n = strcspn(p, " ");
    char pair[128];
    snprintf(pair, sizeof pair, "%.*s", (int)n, p);
    char *colon = strchr(pair, ':');
    if (colon) {
      *colon = '\0';
      const char *v = uvaws_response_header(r, colon + 1);
      if (v)
        cJSON_AddStringToObject(out, pair, v);
    }
    p += n;
    p += strspn(p, " ");
  }
}

/* The output object, or NULL with *why set. */
static cJSON *parse_answer(const call_t *cl, const uvaws_response_t *r, char *why, size_t why_len) {
  if (cl->svc->protocol == UVAWS_PROTOCOL_QUERY || cl->svc->protocol == UVAWS_PROTOCOL_EC2)
    return xml_to_json(r->body, r->body_len, why, why_len);
  cJSON *out;
  if (cl->op && cl->op->out_payload) {
    out = cJSON_CreateObject();
    if (out)
      cJSON_AddItemToObject(out, cl->op->out_payload, cJSON_CreateString(r->body));
  } else if (r->body_len == 0 || r->body[strspn(r->body, " \t\r\n")] == '\0') {
    out = cJSON_CreateObject(); /* many operations answer nothing */
  } else {
    out = cJSON_ParseWithLength(r->body, r->body_len);
    if (out == NULL || !cJSON_IsObject(out)) {
      cJSON_Delete(out);
      snprintf(why, why_len, "the answer is not a JSON object");
      return NULL;
    }
  }
  if (out && cl->op) {
    copy_mapped_headers(out, cl->op->out_headers, r);
    if (cl->op->out_status)
      cJSON_AddNumberToObject(out, cl->op->out_status, (double)r->status);
  }
  return out;
}

static void on_answer(const uvaws_response_t *r, void *arg) {
  call_t *cl = arg;
  uvaws_result_t res = {.response = r, .error = r->error};
  uvaws_error_t parse_err = {0};
  if (r->error == NULL) {
    char why[160] = "out of memory";
    res.output = parse_answer(cl, r, why, sizeof why);
    if (res.output == NULL) {
      uvaws_error_set(&parse_err, UVAWS_EPROTOCOL, "%s", why);
      parse_err.http_status = r->status;
      res.error = &parse_err;
    }
  }
  cl->cb(&res, cl->arg);
  cJSON_Delete(res.output);
  uvaws_error_clear(&parse_err);
  free(cl);
}

/* ---- requests -------------------------------------------------------------- */

static int submit(uvaws_client_t *c, call_t *cl, uvaws_request_t *req) {
  int rc = uvaws_fetch(c, req, on_answer, cl, NULL);
  if (rc != 0) {
    if (req->body_free)
      req->body_free((void *)req->body);
    free(cl);
  }
  return rc;
}

static call_t *call_new(const uvaws_service_t *svc, uvaws_result_cb cb, void *arg) {
  call_t *cl = calloc(1, sizeof *cl);
  if (cl) {
    cl->svc = svc;
    cl->cb = cb;
    cl->arg = arg;
  }
  return cl;
}

static void free_body(void *p) { free(p); }

static int call_json(uvaws_client_t *c, const uvaws_service_t *svc, const char *operation,
                     const cJSON *params, call_t *cl) {
  char *body = params ? cJSON_PrintUnformatted(params) : strdup("{}");
  if (body == NULL) {
    free(cl);
    return UVAWS_ENOMEM;
  }
  char target[160], ctype[48];
  snprintf(target, sizeof target, "%s.%s", svc->target_prefix, operation);
  snprintf(ctype, sizeof ctype, "application/x-amz-json-%s", svc->json_version);
  uvaws_kv_t h[] = {{"Content-Type", ctype}, {"X-Amz-Target", target}};
  uvaws_request_t req = {.method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body), .body_free = free_body};
  return submit(c, cl, &req);
}

static int call_query(uvaws_client_t *c, const uvaws_service_t *svc, const char *operation,
                      const cJSON *params, call_t *cl) {
  buf_t b = {0};
  buf_adds(&b, "Action=");
  buf_adds(&b, operation);
  buf_adds(&b, "&Version=");
  buf_adds(&b, svc->api_version);
  char bad[256] = "";
  int rc = params ? query_serialize(params, svc->protocol == UVAWS_PROTOCOL_EC2, &b, bad, sizeof bad)
                  : 0;
  if (rc == 0 && buf_str(&b) == NULL)
    rc = UVAWS_ENOMEM;
  if (rc != 0) {
    buf_free(&b);
    free(cl);
    return rc;
  }
  uvaws_kv_t h[] = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  /* the buffer's memory becomes the body: freed by the request */
  uvaws_request_t req = {.method = "POST", .path = "/", .headers = h, .header_count = 1,
                         .body = b.data, .body_len = b.len, .body_free = free_body};
  return submit(c, cl, &req);
}

/* The text of a scalar parameter for a path, query or header; NULL otherwise
 * (a number with no decimal text, NaN or an infinity, included). */
static const char *scalar_text(const cJSON *v, char buf[NUM_TEXT_MAX]) {
  if (cJSON_IsString(v))
    return v->valuestring;
  if (cJSON_IsRaw(v))
    return v->valuestring;
  if (cJSON_IsBool(v))
    return cJSON_IsTrue(v) ? "true" : "false";
  if (cJSON_IsNumber(v))
    return num_text(v->valuedouble, buf) ? buf : NULL;
  return NULL;
}

#define MAX_REST_ITEMS 32

/* A rest-json request being built; every string it points to lives here
 * until uvaws_fetch has copied the request. */
typedef struct {
  cJSON *rest;   /* the params not yet placed: the JSON body at the end */
  cJSON *parked; /* members moved to the query or headers, kept alive */
  buf_t path;    /* encoded */
  uvaws_kv_t query[MAX_REST_ITEMS], headers[MAX_REST_ITEMS];
  size_t nq, nh;
  char texts[2 * MAX_REST_ITEMS][NUM_TEXT_MAX]; /* numbers and booleans as text */
  char names[2 * MAX_REST_ITEMS][64]; /* wire names */
  size_t ntexts, nnames;
} rest_req_t;

/* Fills {Label} and {Label+} from the params. */
static int fill_path(rest_req_t *r, const char *tmpl) {
  for (const char *p = tmpl; *p;) {
    if (*p != '{') {
      buf_addc(&r->path, *p++);
      continue;
    }
    const char *end = strchr(p, '}');
    if (end == NULL)
      return UVAWS_EINVAL;
    char name[96];
    snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
    int greedy = name[0] && name[strlen(name) - 1] == '+';
    if (greedy)
      name[strlen(name) - 1] = '\0';
    char num[NUM_TEXT_MAX];
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->rest, name);
    const char *text = scalar_text(v, num);
    if (text == NULL || text[0] == '\0')
      return UVAWS_EPARAM;
    canon_encode(&r->path, text, strlen(text), greedy);
    cJSON_DeleteItemFromObjectCaseSensitive(r->rest, name);
    p = end + 1;
  }
  return buf_str(&r->path) ? 0 : UVAWS_ENOMEM;
}

/* Adds one member as a name/value pair; 0 or UVAWS_EPARAM. */
static int add_pair(rest_req_t *r, uvaws_kv_t *kv, size_t *n, const char *name, const cJSON *v) {
  if (*n >= MAX_REST_ITEMS || r->ntexts >= 2 * MAX_REST_ITEMS)
    return UVAWS_EPARAM;
  const char *text = scalar_text(v, r->texts[r->ntexts]);
  if (text == NULL)
    return UVAWS_EPARAM;
  r->ntexts++;
  kv[(*n)++] = (uvaws_kv_t){name, text};
  return 0;
}

/* Moves the members a mapping names ("Member:wire ...") into pairs. */
static int take_mapped(rest_req_t *r, const char *map, uvaws_kv_t *kv, size_t *n) {
  for (const char *p = map; p && *p;) {
    size_t len = strcspn(p, " ");
    const char *colon = memchr(p, ':', len);
    if (colon != NULL && r->nnames < 2 * MAX_REST_ITEMS) {
      char member[64];
      snprintf(member, sizeof member, "%.*s", (int)(colon - p), p);
      char *wire = r->names[r->nnames];
      snprintf(wire, sizeof r->names[0], "%.*s", (int)(p + len - colon - 1), colon + 1);
      cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(r->rest, member);
      if (v != NULL) {
        r->nnames++;
        cJSON_AddItemToArray(r->parked, v);
        int rc = add_pair(r, kv, n, wire, v);
        if (rc != 0)
          return rc;
      }
    }
    p += len;
    p += strspn(p, " ");
  }
  return 0;
}

static int call_rest_op(uvaws_client_t *c, const char *method, const char *path_tmpl,
                        const rest_op_t *op, const cJSON *params, call_t *cl) {
  rest_req_t *r = calloc(1, sizeof *r);
  if (r == NULL) {
    free(cl);
    return UVAWS_ENOMEM;
  }
  int rc = 0;
  r->rest = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  r->parked = cJSON_CreateArray();
  if (r->rest == NULL || r->parked == NULL)
    rc = UVAWS_ENOMEM;
  if (rc == 0)
    rc = fill_path(r, path_tmpl);
  int bodyless = !strcmp(method, "GET") || !strcmp(method, "HEAD") || !strcmp(method, "DELETE");
  if (rc == 0 && op != NULL) {
    rc = take_mapped(r, op->query, r->query, &r->nq);
    if (rc == 0)
      rc = take_mapped(r, op->headers, r->headers, &r->nh);
  } else if (rc == 0 && bodyless) {
    /* uvaws_call_rest: every member left goes to the query string */
    const cJSON *v;
    cJSON_ArrayForEach(v, r->rest) {
      if ((rc = add_pair(r, r->query, &r->nq, v->string, v)) != 0)
        break;
    }
  }
  char *body = NULL;
  if (rc == 0) {
    cJSON *payload = op && op->payload ? cJSON_DetachItemFromObjectCaseSensitive(r->rest, op->payload)
                                       : NULL;
    int json_body = 0;
    if (payload != NULL) { /* a raw body: a string as it is, anything else as JSON */
      json_body = !cJSON_IsString(payload);
      body = json_body ? cJSON_PrintUnformatted(payload) : strdup(payload->valuestring);
      cJSON_Delete(payload);
    } else if (!bodyless && (op == NULL || cJSON_GetArraySize(r->rest) > 0)) {
      json_body = 1;
      body = cJSON_PrintUnformatted(r->rest);
    }
    if ((payload != NULL || json_body) && body == NULL)
      rc = UVAWS_ENOMEM;
    if (rc == 0 && json_body && r->nh < MAX_REST_ITEMS)
      r->headers[r->nh++] = (uvaws_kv_t){"Content-Type", "application/json"};
  }
  if (rc == 0) {
    uvaws_request_t req = {.method = method, .path = r->path.data, .path_encoded = 1,
                           .query = r->query, .query_count = r->nq,
                           .headers = r->headers, .header_count = r->nh,
                           .body = body, .body_len = body ? strlen(body) : 0,
                           .body_free = body ? free_body : NULL};
    cl->op = op;
    rc = submit(c, cl, &req); /* on failure it freed the body and the call */
  } else {
    free(body);
    free(cl);
  }
  cJSON_Delete(r->rest);
  cJSON_Delete(r->parked);
  buf_free(&r->path);
  free(r);
  return rc;
}

int uvaws_call(uvaws_client_t *c, const char *operation, const cJSON *params, uvaws_result_cb cb,
               void *arg) {
  if (c == NULL || cb == NULL || !is_word(operation) || (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  const uvaws_service_t *svc = uvaws_client_service(c);
  if (svc == NULL)
    return UVAWS_ESERVICE;
  const rest_op_t *op = NULL;
  if (svc->protocol == UVAWS_PROTOCOL_REST_JSON && (op = rest_op_find(svc->name, operation)) == NULL)
    return UVAWS_EOPERATION;
  call_t *cl = call_new(svc, cb, arg);
  if (cl == NULL)
    return UVAWS_ENOMEM;
  switch (svc->protocol) {
  case UVAWS_PROTOCOL_JSON:
    return call_json(c, svc, operation, params, cl);
  case UVAWS_PROTOCOL_QUERY:
  case UVAWS_PROTOCOL_EC2:
    return call_query(c, svc, operation, params, cl);
  case UVAWS_PROTOCOL_REST_JSON:
    return call_rest_op(c, op->method, op->path, op, params, cl);
  }
  free(cl);
  return UVAWS_EINTERNAL;
}

int uvaws_call_rest(uvaws_client_t *c, const char *method, const char *path, const cJSON *params,
                    uvaws_result_cb cb, void *arg) {
  if (c == NULL || cb == NULL || !canon_is_token(method) || path == NULL || path[0] != '/' ||
      (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  static const uvaws_service_t rest_any = {"rest", NULL, NULL, NULL, UVAWS_PROTOCOL_REST_JSON,
                                           NULL, NULL, NULL};
  const uvaws_service_t *svc = uvaws_client_service(c);
  call_t *cl = call_new(svc ? svc : &rest_any, cb, arg);
  if (cl == NULL)
    return UVAWS_ENOMEM;
  cl->svc = &rest_any; /* the answer is JSON, whatever the service */
  return call_rest_op(c, method, path, NULL, params, cl);
}
