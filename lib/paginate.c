/* uvaws_paginate: the model's paginator (paginators-1.json) driving one
 * uvaws_call after another, as botocore's PageIterator does: each page's
 * output tokens (JMESPath expressions: "NextToken", "NextMarker ||
 * Contents[-1].Key") become the next request's input tokens; a token that is
 * null, false, 0, "" or empty counts as none; no token left (or a false
 * "more results") ends it; the same token twice in a row is an error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_internal.h"
#include "jmespath.h"

#define MAX_TOKENS 4

typedef struct {
  uvaws_op_t op; /* first: the handle */
  defer_t defer; /* an early end, from the loop */
  uvaws_client_t *client;
  char *operation;
  cJSON *params; /* the caller's, copied; the tokens go in here */
  jp_expr_t *out[MAX_TOKENS];
  char *in[MAX_TOKENS];
  size_t ntok;
  jp_expr_t *more;
  char *prev; /* the last tokens sent, as JSON text */
  uvaws_page_cb page_cb;
  uvaws_pages_done_cb done_cb;
  void *arg;
  unsigned pages;
  uvaws_op_t *call; /* the call out, or NULL */
  int in_page_cb, cancelled, done;
  uvaws_error_t early;
} pager_t;

static void pager_free(pager_t *p) {
  for (size_t i = 0; i < p->ntok; i++) {
    jp_free(p->out[i]);
    free(p->in[i]);
  }
  jp_free(p->more);
  cJSON_Delete(p->params);
  free(p->operation);
  free(p->prev);
  uvaws_error_clear(&p->early);
  free(p);
}

static void finish(pager_t *p, const uvaws_error_t *err) {
  p->done = 1;
  p->done_cb(err, p->pages, p->arg);
  pager_free(p);
}

static void finish_code(pager_t *p, int code, const char *fmt, const char *a) {
  uvaws_error_t e = {0};
  uvaws_error_set(&e, code, fmt, a);
  finish(p, &e);
  uvaws_error_clear(&e);
}

static void on_early(defer_t *d) {
  pager_t *p = (pager_t *)((char *)d - offsetof(pager_t, defer));
  uvaws_client_t *c = p->client; /* finish frees p */
  client_enter_callback(c);
  finish(p, &p->early);
  client_leave_callback(c);
}

static int pager_cancel(uvaws_op_t *op) {
  pager_t *p = (pager_t *)op;
  if (p->done || p->cancelled || p->early.code != 0)
    return UVAWS_EBUSY; /* over, or its outcome is on its way */
  if (p->call != NULL)
    return uvaws_op_cancel(p->call); /* its answer ends the pagination */
  p->cancelled = 1; /* inside the page callback: ends after it */
  return 0;
}

/* A token that counts (Python's truth, as botocore tests it). */
static int token_set(const cJSON *v) {
  if (v == NULL || cJSON_IsNumber(v))
    return v != NULL && v->valuedouble != 0;
  return jp_truthy(v);
}

static void on_page(uvaws_result_t *res, void *arg);

/* The next tokens into the parameters; 1 when there is a next page, 0 when
 * not, -1 when a token repeats (or no memory), with *why set. */
static int next_tokens(pager_t *p, const cJSON *out, const char **why) {
  if (p->more != NULL) {
    cJSON *more = jp_search(p->more, out);
    int go = jp_truthy(more);
    cJSON_Delete(more);
    if (!go)
      return 0;
  }
  cJSON *set = cJSON_CreateObject();
  int any = 0;
  for (size_t i = 0; set != NULL && i < p->ntok; i++) {
    cJSON *v = jp_search(p->out[i], out);
    cJSON *copy = token_set(v) ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
    any |= token_set(v);
    cJSON_Delete(v);
    if (copy == NULL || !cJSON_AddItemToObject(set, p->in[i], copy)) {
      cJSON_Delete(copy);
      cJSON_Delete(set);
      set = NULL;
    }
  }
  char *text = set ? cJSON_PrintUnformatted(set) : NULL;
  int rc = 1;
  *why = "out of memory";
  if (text == NULL) {
    rc = -1;
  } else if (!any) {
    rc = 0;
  } else if (p->prev != NULL && strcmp(p->prev, text) == 0) {
    *why = "the same continuation token came back twice";
    rc = -1;
  } else {
    for (cJSON *t = set->child; t != NULL; t = t->next) {
      cJSON_DeleteItemFromObjectCaseSensitive(p->params, t->string);
      if (!cJSON_IsNull(t)) {
        cJSON *copy = cJSON_Duplicate(t, 1);
        if (copy == NULL || !cJSON_AddItemToObject(p->params, t->string, copy)) {
          cJSON_Delete(copy);
          rc = -1;
        }
      }
    }
    free(p->prev);
    p->prev = text;
    text = NULL;
  }
  cJSON_free(text);
  cJSON_Delete(set);
  return rc;
}

static void on_page(uvaws_result_t *res, void *arg) {
  pager_t *p = arg;
  p->call = NULL;
  if (res->error != NULL) {
    finish(p, res->error);
    return;
  }
  p->pages++;
  const char *why = NULL;
  int more = next_tokens(p, res->output, &why);
  p->in_page_cb = 1;
  int stop = p->page_cb(res, p->arg) != 0;
  p->in_page_cb = 0;
  if (p->cancelled) {
    finish_code(p, UVAWS_ECANCELED, "%s: cancelled", p->operation);
    return;
  }
  if (more < 0) {
    finish_code(p, UVAWS_EPROTOCOL, "%s", why);
    return;
  }
  if (stop || more == 0) {
    finish(p, NULL);
    return;
  }
  int rc = uvaws_call(p->client, p->operation, p->params, on_page, p, &p->call);
  if (rc != 0)
    finish_code(p, rc, "requesting the next page: %s", uvaws_strerror(rc));
}

/* Compiles a token list: a string or an array of strings. */
static int tokens(const cJSON *v, jp_expr_t **exprs, char **names, size_t *n, char *why, size_t wn) {
  const cJSON *one = cJSON_IsString(v) ? v : NULL;
  const cJSON *e = one ? one : cJSON_IsArray(v) ? v->child : NULL;
  size_t k = 0;
  for (; e != NULL && k < MAX_TOKENS; e = one ? NULL : e->next, k++) {
    if (!cJSON_IsString(e))
      return -1;
    if (exprs != NULL && (exprs[k] = jp_compile(e->valuestring, why, wn)) == NULL)
      return -1;
    if (names != NULL && (names[k] = strdup(e->valuestring)) == NULL)
      return -1;
  }
  *n = k;
  return k > 0 ? 0 : -1;
}

static const char *pager_name(const void *ctx, size_t i) {
  const model_t *m = ctx;
  return model_str(m, m->pagers[i].name);
}

/* Reads the paginator; 0, or an error code with p->early set. */
static int setup(pager_t *p) {
  char why[512] = "";
  const model_t *m = call_model(p->client, why, sizeof why);
  if (m == NULL)
    return uvaws_error_set(&p->early, UVAWS_ESERVICE, "%s", why);
  const char *json = model_pager(m, p->operation);
  if (json == NULL)
    return call_unknown(&p->early, m, "paginator for", p->operation, pager_name, m->h->pager_count);
  cJSON *def = cJSON_Parse(json);
  size_t nout = 0, nin = 0;
  int rc = def ? 0 : -1;
  if (rc == 0)
    rc = tokens(cJSON_GetObjectItem(def, "output_token"), p->out, NULL, &nout, why, sizeof why);
  if (rc == 0)
    rc = tokens(cJSON_GetObjectItem(def, "input_token"), NULL, p->in, &nin, why, sizeof why);
  p->ntok = nout > nin ? nout : nin;
  const cJSON *more = cJSON_GetObjectItem(def, "more_results");
  if (rc == 0 && nout != nin)
    rc = -1;
  if (rc == 0 && cJSON_IsString(more) && (p->more = jp_compile(more->valuestring, why, sizeof why)) == NULL)
    rc = -1;
  cJSON_Delete(def);
  if (rc != 0)
    return uvaws_error_set(&p->early, UVAWS_EINTERNAL, "the paginator of %s %s: %s", m->svc->name,
                           p->operation, why[0] ? why : "malformed");
  return 0;
}

int uvaws_paginate(uvaws_client_t *c, const char *operation, const cJSON *params,
                   uvaws_page_cb page_cb, uvaws_pages_done_cb done_cb, void *arg,
                   uvaws_op_t **op_out) {
  if (op_out)
    *op_out = NULL;
  if (c == NULL || operation == NULL || operation[0] == '\0' || page_cb == NULL ||
      done_cb == NULL || (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  if (client_is_closing(c))
    return UVAWS_ECLOSED;
  pager_t *p = calloc(1, sizeof *p);
  if (p == NULL)
    return UVAWS_ENOMEM;
  p->op.cancel = pager_cancel;
  p->client = c;
  p->page_cb = page_cb;
  p->done_cb = done_cb;
  p->arg = arg;
  p->operation = strdup(operation);
  p->params = params ? cJSON_Duplicate(params, 1) : cJSON_CreateObject();
  if (p->operation == NULL || p->params == NULL) {
    pager_free(p);
    return UVAWS_ENOMEM;
  }
  if (setup(p) != 0) {
    client_defer(c, &p->defer, on_early);
  } else {
    int rc = uvaws_call(c, operation, p->params, on_page, p, &p->call);
    if (rc != 0) {
      pager_free(p);
      return rc;
    }
  }
  if (op_out)
    *op_out = &p->op;
  return 0;
}
