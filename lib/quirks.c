/* Services' rules beyond their models, as botocore's handlers apply them:
 * without them their requests are refused or answered in another format.
 *
 * Glacier (inject_account_id, add_glacier_version, add_glacier_checksums):
 * - accountId: "-" (the caller's account) when left out.
 * - x-amz-glacier-version: the model's API version, on every request.
 * - Uploads (UploadArchive, UploadMultipartPart: the operations whose input
 *   has the x-amz-sha256-tree-hash header): that header, the SHA-256 tree
 *   hash of the body (1 MiB leaves, combined pairwise), and
 *   x-amz-content-sha256, its linear SHA-256, unless given. A body streamed
 *   from a file gets both from the pass that hashes it (stream.c).
 *
 * API Gateway (add_accept_header): Accept: application/json, without which
 * it answers in HAL. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "call_internal.h"

#define TREE_HASH_HEADER "x-amz-sha256-tree-hash"

static int is_glacier(const model_t *m) { return m->kind == MSVC_GLACIER; }

int quirks_params(const model_t *m, const mop_t *op, const cJSON **params, cJSON **owned) {
  *owned = NULL;
  if (!is_glacier(m) || op->input == MODEL_NONE)
    return 0;
  const mshape_t *in = model_target(m, model_mref(m, op->input));
  const cJSON *given = *params;
  if (model_member(m, in, "accountId", 9) == NULL ||
      (given != NULL && cJSON_GetObjectItemCaseSensitive(given, "accountId") != NULL))
    return 0;
  cJSON *p = given ? cJSON_Duplicate(given, 1) : cJSON_CreateObject();
  if (p == NULL || cJSON_AddStringToObject(p, "accountId", "-") == NULL) {
    cJSON_Delete(p);
    return UVAWS_ENOMEM;
  }
  *params = *owned = p;
  return 0;
}

static void to_hex(const unsigned char d[32], char out[65]) {
  static const char digits[] = "0123456789abcdef";
  for (int i = 0; i < 32; i++) {
    out[2 * i] = digits[d[i] >> 4];
    out[2 * i + 1] = digits[d[i] & 15];
  }
  out[64] = '\0';
}

int glacier_tree_hash(unsigned char (*leaves)[32], size_t n, char out[65]) {
  unsigned char empty[32];
  if (n == 0) { /* an empty body: the hash of nothing */
    if (EVP_Digest("", 0, empty, NULL, EVP_sha256(), NULL) != 1)
      return -1;
    to_hex(empty, out);
    return 0;
  }
  while (n > 1) { /* each level in place: pairs hashed, an odd last one carried up */
    size_t k = 0;
    for (size_t i = 0; i < n; i += 2, k++) {
      if (i + 1 == n) {
        memmove(leaves[k], leaves[i], 32);
        continue;
      }
      unsigned char pair[64];
      memcpy(pair, leaves[i], 32);
      memcpy(pair + 32, leaves[i + 1], 32);
      if (EVP_Digest(pair, sizeof pair, leaves[k], NULL, EVP_sha256(), NULL) != 1)
        return -1;
    }
    n = k;
  }
  to_hex(leaves[0], out);
  return 0;
}

/* Both hashes of bytes in memory. */
static int hash_bytes(const unsigned char *p, size_t len, char linear[65], char tree[65]) {
  size_t n = (len + GLACIER_LEAF - 1) / GLACIER_LEAF;
  unsigned char(*leaves)[32] = malloc((n ? n : 1) * 32);
  unsigned char d[32];
  int ok = leaves != NULL && EVP_Digest(p, len, d, NULL, EVP_sha256(), NULL) == 1;
  for (size_t i = 0; ok && i < n; i++) {
    size_t at = i * GLACIER_LEAF, k = len - at < GLACIER_LEAF ? len - at : GLACIER_LEAF;
    ok = EVP_Digest(p + at, k, leaves[i], NULL, EVP_sha256(), NULL) == 1;
  }
  if (ok) {
    to_hex(d, linear);
    ok = glacier_tree_hash(leaves, n, tree) == 0;
  }
  free(leaves);
  return ok ? 0 : -1;
}

int quirks_prepare(call_t *cl, op_req_t *r, const void *body, size_t body_len) {
  const model_t *m = cl->m;
  if (m->kind == MSVC_APIGATEWAY && kvs_get(&r->headers, "Accept") == NULL &&
      kvs_set(&r->headers, "Accept", "application/json") != 0)
    return uvaws_error_set(&cl->err, UVAWS_ENOMEM, "adding Accept");
  if (!is_glacier(m))
    return 0;
  if (kvs_get(&r->headers, "x-amz-glacier-version") == NULL &&
      kvs_set(&r->headers, "x-amz-glacier-version", m->svc->api_version) != 0)
    return uvaws_error_set(&cl->err, UVAWS_ENOMEM, "adding x-amz-glacier-version");
  const mshape_t *in =
      cl->mop->input != MODEL_NONE ? model_target(m, model_mref(m, cl->mop->input)) : NULL;
  int uploads = 0;
  for (uint32_t i = 0; in != NULL && i < in->b && !uploads; i++) {
    const mref_t *ref = model_mref(m, in->a + i);
    uploads = ref->location == ML_HEADER && strcasecmp(op_wire_name(m, ref), TREE_HASH_HEADER) == 0;
  }
  if (!uploads || kvs_get(&r->headers, TREE_HASH_HEADER) != NULL)
    return 0;
  if (cl->stream != NULL && cl->stream->fd >= 0) {
    cl->stream->want_tree = 1; /* the file's pass computes them */
    return 0;
  }
  char linear[65], tree[65];
  if (hash_bytes(body, body_len, linear, tree) != 0)
    return uvaws_error_set(&cl->err, UVAWS_ECRYPTO, "hashing the Glacier upload");
  if ((kvs_get(&r->headers, "x-amz-content-sha256") == NULL &&
       kvs_set(&r->headers, "x-amz-content-sha256", linear) != 0) ||
      kvs_set(&r->headers, TREE_HASH_HEADER, tree) != 0)
    return uvaws_error_set(&cl->err, UVAWS_ENOMEM, "adding the Glacier checksums");
  return 0;
}

int quirks_streamed_headers(call_t *cl, op_req_t *r) {
  const call_stream_t *s = cl->stream;
  if (s == NULL || !s->want_tree)
    return 0;
  if ((kvs_get(&r->headers, "x-amz-content-sha256") == NULL &&
       kvs_set(&r->headers, "x-amz-content-sha256", s->sha256_hex) != 0) ||
      kvs_set(&r->headers, TREE_HASH_HEADER, s->tree_hex) != 0)
    return UVAWS_ENOMEM;
  return 0;
}
