/* S3's rules around the operation layer, beyond its model, as the SDKs
 * apply them:
 *
 * - Addressing: a DNS-compatible bucket goes in the host name
 *   (bucket.s3.REGION.amazonaws.com/key) on AWS endpoints; path style
 *   (endpoint/bucket/key) on custom endpoints, when asked, and for names
 *   that cannot be a host label (upper case, '_', dots over https).
 * - Checksums: Content-MD5 where the model requires a checksum
 *   (DeleteObjects, PutBucketLifecycleConfiguration ...), unless given; a
 *   ChecksumAlgorithm of SHA256 or SHA1 adds x-amz-checksum-*.
 * - x-amz-copy-source (CopyObject, UploadPartCopy): percent-encoded, '/'
 *   kept, a trailing ?versionId= left as it is.
 * - SSE-C: the key MD5 header added when the key is given without it (the
 *   key itself is given in base64, as its header carries it).
 * - Answers: 200 with an <Error> document is an error; GetBucketLocation's
 *   bare <LocationConstraint> element is read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "aws_error.h"
#include "b64.h"
#include "call_internal.h"
#include "sigv4_canon.h"
#include "xml_tree.h"

static int is_s3(const model_t *m) { return m->kind == MSVC_S3; }

/* A bucket that can be the first label of a host name (and, over https,
 * holds no dot, which the wildcard certificate would not cover). */
static int dns_bucket(const char *b, size_t n, int https) {
  if (n < 3 || n > 63)
    return 0;
  int digits_dots = 1;
  for (size_t i = 0; i < n; i++) {
    char c = b[i];
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok || (c == '.' && (https || i == 0 || i == n - 1 || b[i - 1] == '.')))
      return 0;
    if (!(c >= '0' && c <= '9') && c != '.')
      digits_dots = 0;
  }
  return b[0] != '-' && b[n - 1] != '-' && !digits_dots; /* not an IP address */
}

static int digest(const char *alg, const void *data, size_t len, unsigned char *out,
                  unsigned *out_len) {
  EVP_MD *md = EVP_MD_fetch(NULL, alg, NULL);
  int ok = md != NULL && EVP_Digest(data, len, out, out_len, md, NULL) == 1;
  EVP_MD_free(md);
  return ok ? 0 : -1;
}

/* Adds header `name` = base64(alg(data)) unless it is there. */
static int add_digest(call_t *cl, op_req_t *r, const char *name, const char *alg, const void *data,
                      size_t len) {
  if (kvs_get(&r->headers, name) != NULL)
    return 0;
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  if (digest(alg, data, len, d, &dl) != 0)
    return uvaws_error_set(&cl->err, UVAWS_ECRYPTO, "%s: OpenSSL has no %s", name, alg);
  buf_t b = {0};
  b64_encode(&b, d, dl);
  int rc = buf_str(&b) ? kvs_set(&r->headers, name, b.data) : UVAWS_ENOMEM;
  buf_free(&b);
  return rc == UVAWS_ENOMEM ? uvaws_error_set(&cl->err, rc, "adding %s", name) : rc;
}

static int checksums(call_t *cl, op_req_t *r) {
  const model_t *m = cl->m;
  const char *alg_member = model_str(m, cl->mop->checksum_member);
  const char *alg = NULL;
  if (alg_member[0] != '\0') {
    /* the member is bound to a header (x-amz-sdk-checksum-algorithm) */
    const mshape_t *in = model_target(m, model_mref(m, cl->mop->input));
    const mref_t *ar = model_member_str(m, in, alg_member);
    alg = ar ? kvs_get(&r->headers, op_wire_name(m, ar)) : NULL;
  }
  if (alg == NULL && !(cl->mop->flags & MO_CHECKSUM_REQUIRED))
    return 0;
  if (cl->opts.upload_fd >= 0) {
    if (alg != NULL)
      return uvaws_error_set(&cl->err, UVAWS_EPARAM, "%s with upload_fd: not supported (leave it "
                             "out: S3 gets Content-MD5 where it needs one)", alg_member);
    return 0; /* Content-MD5 comes from the pass that hashes the file (stream.c) */
  }
  size_t len;
  const void *body = call_body_bytes(cl, r, &len);
  if (alg == NULL)
    return add_digest(cl, r, "Content-MD5", "MD5", body, len);
  if (strcasecmp(alg, "SHA256") == 0)
    return add_digest(cl, r, "x-amz-checksum-sha256", "SHA256", body, len);
  if (strcasecmp(alg, "SHA1") == 0)
    return add_digest(cl, r, "x-amz-checksum-sha1", "SHA1", body, len);
  return uvaws_error_set(&cl->err, UVAWS_EPARAM,
                         "%s: checksum algorithm %s is not supported (SHA256 and SHA1 are; or "
                         "leave it out for Content-MD5)", alg_member, alg);
}

/* "bucket/key?versionId=v": the key percent-encoded, '/' kept. */
void s3_copy_source_text(const char *v, buf_t *out) {
  const char *ver = strstr(v, "?versionId=");
  size_t n = ver ? (size_t)(ver - v) : strlen(v);
  canon_encode(out, v, n, 1);
  if (ver)
    buf_adds(out, ver);
}

static int copy_source(call_t *cl, op_req_t *r) {
  const char *v = kvs_get(&r->headers, "x-amz-copy-source");
  if (v == NULL)
    return 0;
  buf_t b = {0};
  s3_copy_source_text(v, &b);
  int rc = buf_str(&b) ? kvs_set(&r->headers, "x-amz-copy-source", b.data) : UVAWS_ENOMEM;
  buf_free(&b);
  return rc ? uvaws_error_set(&cl->err, rc, "encoding the copy source") : 0;
}

/* SSE-C: MD5 of the (base64) key, when it is left out. */
static int sse_key_md5(call_t *cl, op_req_t *r, const char *key_header, const char *md5_header) {
  const char *key = kvs_get(&r->headers, key_header);
  if (key == NULL || kvs_get(&r->headers, md5_header) != NULL)
    return 0;
  unsigned char *raw;
  size_t len;
  int rc = b64_decode(key, strlen(key), &raw, &len);
  if (rc != 0)
    return uvaws_error_set(&cl->err, rc < 0 ? UVAWS_EPARAM : rc,
                           "%s: give the key in base64, as the header carries it", key_header);
  rc = add_digest(cl, r, md5_header, "MD5", raw, len);
  OPENSSL_cleanse(raw, len);
  free(raw);
  return rc;
}

int s3_virtual_host(op_req_t *r, int https) {
  if (buf_str(&r->path) == NULL || r->path.len == 0)
    return r->path.failed ? -1 : 0;
  const char *p = r->path.data + 1;
  size_t n = strcspn(p, "/");
  if (n == 0)
    return 0; /* ListBuckets: no bucket */
  if (n + 2 > sizeof r->host_prefix || r->host_prefix[0] != '\0' || !dns_bucket(p, n, https))
    return 0;
  memcpy(r->host_prefix, p, n);
  r->host_prefix[n] = '.';
  r->host_prefix[n + 1] = '\0';
  /* "/bucket/key" -> "/key", "/bucket" -> "/" */
  size_t rest = r->path.len - 1 - n;
  memmove(r->path.data, p + n, rest);
  r->path.len = rest;
  if (r->path.len == 0)
    buf_addc(&r->path, '/');
  return buf_str(&r->path) ? 1 : -1;
}

static int addressing(call_t *cl, op_req_t *r, fetch_ext_t *x) {
  if (client_endpoint_is_custom(cl->client) || cl->opts.path_style)
    return 0;
  int moved = s3_virtual_host(r, client_is_https(cl->client));
  if (moved < 0)
    return uvaws_error_set(&cl->err, UVAWS_ENOMEM, "addressing the bucket");
  if (moved)
    x->host_prefix = r->host_prefix;
  return 0;
}

int s3_prepare(call_t *cl, op_req_t *r, fetch_ext_t *x) {
  if (!is_s3(cl->m))
    return 0;
  int rc = copy_source(cl, r);
  if (rc == 0)
    rc = sse_key_md5(cl, r, "x-amz-server-side-encryption-customer-key",
                     "x-amz-server-side-encryption-customer-key-MD5");
  if (rc == 0)
    rc = sse_key_md5(cl, r, "x-amz-copy-source-server-side-encryption-customer-key",
                     "x-amz-copy-source-server-side-encryption-customer-key-MD5");
  if (rc == 0)
    rc = checksums(cl, r);
  if (rc == 0)
    rc = addressing(cl, r, x);
  return rc;
}

int s3_error_in_200(call_t *cl, const uvaws_response_t *res) {
  if (!is_s3(cl->m) || res->status != 200 || res->body_len == 0)
    return 0;
  const char *op = model_str(cl->m, cl->mop->name);
  if (strcmp(op, "CopyObject") != 0 && strcmp(op, "CompleteMultipartUpload") != 0 &&
      strcmp(op, "UploadPartCopy") != 0)
    return 0;
  const char *p = res->body;
  size_t n = res->body_len;
  /* the root element's name, after any declaration and blanks */
  const char *lt = p;
  for (;;) {
    lt = memchr(lt, '<', n - (size_t)(lt - p));
    if (lt == NULL || lt + 1 >= p + n)
      return 0;
    if (lt[1] != '?' && lt[1] != '!')
      break;
    lt++;
  }
  if ((size_t)(p + n - lt) < 7 || strncmp(lt, "<Error", 6) != 0 ||
      (lt[6] != '>' && lt[6] != ' ' && lt[6] != '\t' && lt[6] != '\r' && lt[6] != '\n'))
    return 0;
  if (aws_error_from_response(&cl->err, res->status, res->headers, res->header_count, res->body,
                              res->body_len) != 0 && cl->err.code == 0)
    uvaws_error_set(&cl->err, UVAWS_ENOMEM, "reading the error");
  return 1;
}

void s3_fix_output(call_t *cl, const uvaws_response_t *res, cJSON *out) {
  if (!is_s3(cl->m) || strcmp(model_str(cl->m, cl->mop->name), "GetBucketLocation") != 0 ||
      res->body_len == 0 || cJSON_GetObjectItemCaseSensitive(out, "LocationConstraint"))
    return;
  xml_node *root = xml_parse(res->body, res->body_len, 4, 1024, NULL, 0);
  if (root != NULL && root->text.len)
    cJSON_AddStringToObject(out, "LocationConstraint", xml_text(root));
  xml_free(root);
}
