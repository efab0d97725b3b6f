/* uvaws_paginate: one uvaws_call after another, each carrying the
 * continuation token of the page before, until there is none or the page
 * callback says stop. */
#include <stdlib.h>
#include <string.h>

#include "uvaws/call.h"

typedef struct {
  uvaws_client_t *client;
  char *operation;
  cJSON *params; /* the caller's, copied; the token goes in here */
  uvaws_page_cb page_cb;
  uvaws_pages_done_cb done_cb;
  void *arg;
  unsigned pages;
} pager_t;

static void pager_free(pager_t *p) {
  cJSON_Delete(p->params);
  free(p->operation);
  free(p);
}

static void finish(pager_t *p, const uvaws_error_t *err) {
  p->done_cb(err, p->pages, p->arg);
  pager_free(p);
}

/* The token pairs: where the answer has it, where the next request wants it. */
static const struct {
  const char *out, *in;
} tokens[] = {
    {"NextToken", "NextToken"},
    {"LastEvaluatedKey", "ExclusiveStartKey"},
    {"NextMarker", "Marker"},
};

/* Copies the answer's continuation token into the params; 0 when there is none. */
static int carry_token(pager_t *p, const cJSON *out) {
  for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(out, tokens[i].out);
    if (t == NULL || cJSON_IsNull(t) || (cJSON_IsString(t) && t->valuestring[0] == '\0'))
      continue;
    cJSON *copy = cJSON_Duplicate(t, 1);
    if (copy == NULL)
      return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(p->params, tokens[i].in);
    cJSON_AddItemToObject(p->params, tokens[i].in, copy);
    return 1;
  }
  /* Marker answered back with IsTruncated (S3 ListObjects v1, some IAM-style
   * query APIs): the next page starts after the last marker. */
  const cJSON *truncated = cJSON_GetObjectItemCaseSensitive(out, "IsTruncated");
  const cJSON *marker = cJSON_GetObjectItemCaseSensitive(out, "Marker");
  if ((cJSON_IsTrue(truncated) ||
       (cJSON_IsString(truncated) && strcmp(truncated->valuestring, "true") == 0)) &&
      cJSON_IsString(marker) && marker->valuestring[0]) {
    cJSON_DeleteItemFromObjectCaseSensitive(p->params, "Marker");
    cJSON_AddStringToObject(p->params, "Marker", marker->valuestring);
    return 1;
  }
  return 0;
}

static void on_page(uvaws_result_t *res, void *arg) {
  pager_t *p = arg;
  if (res->error != NULL) {
    finish(p, res->error);
    return;
  }
  p->pages++;
  cJSON *out = res->output;
  int more = carry_token(p, out);
  int stop = p->page_cb(res, p->arg) != 0;
  if (more < 0) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, UVAWS_ENOMEM, "copying the continuation token");
    finish(p, &e);
    uvaws_error_clear(&e);
    return;
  }
  if (stop || more == 0) {
    finish(p, NULL);
    return;
  }
  int rc = uvaws_call(p->client, p->operation, p->params, on_page, p);
  if (rc != 0) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, rc, "requesting page %u", p->pages + 1);
    finish(p, &e);
    uvaws_error_clear(&e);
  }
}

int uvaws_paginate(uvaws_client_t *c, const char *operation, const cJSON *params,
                   uvaws_page_cb page_cb, uvaws_pages_done_cb done_cb, void *arg) {
  if (c == NULL || operation == NULL || page_cb == NULL || done_cb == NULL ||
      (params && !cJSON_IsObject(params)))
    return UVAWS_EINVAL;
  pager_t *p = calloc(1, sizeof *p);
  if (p == NULL)
    return UVAWS_ENOMEM;
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
  int rc = uvaws_call(c, operation, p->params, on_page, p);
  if (rc != 0)
    pager_free(p);
  return rc;
}
