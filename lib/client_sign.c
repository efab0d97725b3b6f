/* Signing without sending: presigned URLs and explanations of a signature,
 * with the client's credentials, region and endpoint. Such a job waits in the
 * queue like a request (behind the credentials and the region, which may come
 * from the network) but never takes a slot on the wire. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "client_priv.h"
#include "kv.h"

/* The explanation shows the session token as this: it is a credential. */
#define REDACTED "<session token redacted>"

static char *redact(const char *text, const char *token) {
  if (token == NULL || token[0] == '\0' || text == NULL)
    return text ? strdup(text) : NULL;
  size_t tl = strlen(token), rl = strlen(REDACTED), n = 0;
  for (const char *p = text; (p = strstr(p, token)) != NULL; p += tl)
    n++;
  char *out = malloc(strlen(text) + n * (rl > tl ? rl - tl : 0) + 1);
  if (out == NULL)
    return NULL;
  char *o = out;
  for (const char *p = text;;) {
    const char *hit = strstr(p, token);
    if (hit == NULL) {
      strcpy(o, p);
      break;
    }
    memcpy(o, p, (size_t)(hit - p));
    o += hit - p;
    memcpy(o, REDACTED, rl);
    o += rl;
    p = hit + tl;
  }
  return out;
}

static char *explain(uvaws_client_t *c, const uvaws_job_t *j, const uvaws_sigv4_input_t *in,
                     const uvaws_sigv4_output_t *out) {
  const char *tok = in->session_token;
  cJSON *e = cJSON_CreateObject();
  char url[2048];
  snprintf(url, sizeof url, "%s%s", c->base_url, j->path);
  cJSON_AddStringToObject(e, "method", j->method);
  cJSON_AddStringToObject(e, "url", url);
  char *cr = redact(out->canonical_request, tok);
  cJSON_AddStringToObject(e, "canonical_request", cr ? cr : "");
  free(cr);
  cJSON_AddStringToObject(e, "string_to_sign", out->string_to_sign);
  cJSON_AddStringToObject(e, "signed_headers", out->signed_headers);
  cJSON *h = cJSON_AddArrayToObject(e, "headers");
  for (size_t i = 0; i < j->header_count; i++) {
    cJSON *kv = cJSON_CreateObject();
    cJSON_AddStringToObject(kv, "name", j->headers[i].name);
    cJSON_AddStringToObject(kv, "value", j->headers[i].value);
    cJSON_AddItemToArray(h, kv);
  }
  for (size_t i = 0; i < out->header_count; i++) {
    cJSON *kv = cJSON_CreateObject();
    int is_token = strcmp(out->headers[i].name, "X-Amz-Security-Token") == 0;
    cJSON_AddStringToObject(kv, "name", out->headers[i].name);
    cJSON_AddStringToObject(kv, "value", is_token ? REDACTED : out->headers[i].value);
    cJSON_AddItemToArray(h, kv);
  }
  char *text = cJSON_Print(e);
  cJSON_Delete(e);
  return text;
}

int client_sign_only(uvaws_client_t *c, uvaws_job_t *j) {
  uvaws_sigv4_input_t in;
  client_sign_input(c, j, &in);
  uvaws_sigv4_output_t out;
  int rc;
  uint64_t t0 = j->obs ? uv_hrtime() : 0;
  if (j->expires_s > 0) {
    /* As the SDKs presign: S3 URLs leave the payload unsigned (whoever uses
     * the URL sends a body nobody knows yet); every other service signs the
     * body given, empty for a GET, as the specification's query vectors and
     * botocore's SigV4QueryAuth do (STS rejects anything else). A caller's
     * x-amz-content-sha256 is the payload line in both cases. */
    char scheme[8];
    snprintf(scheme, sizeof scheme, "%.*s", (int)strcspn(c->base_url, ":"), c->base_url);
    in.scheme = scheme;
    if ((c->sign_flags & UVAWS_SIGV4_CONTENT_SHA256) && kv_get(j->headers, j->header_count, "x-amz-content-sha256") == NULL)
      in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
    rc = uvaws_signer_presign(c->signer, &in, j->expires_s, &out);
    if (rc == 0 && (j->result = strdup(out.url)) == NULL)
      rc = UVAWS_ENOMEM;
  } else {
    rc = uvaws_signer_sign_headers(c->signer, &in, &out);
    if (rc == 0 && (j->result = explain(c, j, &in, &out)) == NULL)
      rc = UVAWS_ENOMEM;
  }
  if (j->obs)
    j->obs->sign_ns += uv_hrtime() - t0;
  if (rc != 0)
    return rc;
  j->attempts = 1;
  client_complete_later(c, j, 0, NULL);
  return 0;
}

int uvaws_presign(uvaws_client_t *c, const uvaws_request_t *req, unsigned expires_s,
                  uvaws_response_cb cb, void *arg, uvaws_job_t **job_out) {
  if (job_out)
    *job_out = NULL;
  if (expires_s == 0 || expires_s > UVAWS_SIGV4_MAX_EXPIRES)
    return UVAWS_EEXPIRES;
  return client_enqueue(c, req, NULL, cb, arg, expires_s, 1, job_out);
}

int uvaws_sign_explain(uvaws_client_t *c, const uvaws_request_t *req, uvaws_response_cb cb,
                       void *arg, uvaws_job_t **job_out) {
  return client_enqueue(c, req, NULL, cb, arg, 0, 1, job_out);
}
