/* AWS Signature Version 4: header signing and presigned URLs.
 *
 * Pure and deterministic: the time is an input, nothing is read from the
 * clock, the network or the files. A signer object holds the hashing contexts
 * and a small cache of derived signing keys, so signing the next request with
 * the same secret, day, region and service costs two SHA-256 and one HMAC. A
 * signer is not thread-safe: use one per thread (or per client).
 *
 * Functions are named for the object they act on (uvaws_signer_*, as libuv
 * names uv_tcp_*); what belongs to the algorithm keeps its name (the
 * uvaws_sigv4_input_t and _output_t types, the UVAWS_SIGV4_* flags).
 */
#ifndef UVAWS_SIGV4_H
#define UVAWS_SIGV4_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvaws_signer_s uvaws_signer_t;

/* Behaviour switches; the defaults are those of every service but S3. */
enum {
  /* Keep dot segments and repeated slashes in the path (S3). */
  UVAWS_SIGV4_NO_NORMALIZE = 1u << 0,
  /* Sign the path exactly as sent instead of percent-encoding it again (S3). */
  UVAWS_SIGV4_NO_DOUBLE_ENCODE = 1u << 1,
  /* Header mode: add and sign `x-amz-content-sha256` with the payload hash (S3). */
  UVAWS_SIGV4_CONTENT_SHA256 = 1u << 2,
  /* Add the session token after signing instead of signing it (a few services
   * want it so; header mode adds a header, query mode a parameter). */
  UVAWS_SIGV4_TOKEN_UNSIGNED = 1u << 3,
  /* The three S3 rules together. */
  UVAWS_SIGV4_S3 = UVAWS_SIGV4_NO_NORMALIZE | UVAWS_SIGV4_NO_DOUBLE_ENCODE |
                   UVAWS_SIGV4_CONTENT_SHA256
};

/* The payload hash that tells AWS the body is not signed. */
#define UVAWS_SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Longest presigned URL lifetime AWS accepts: 7 days. */
#define UVAWS_SIGV4_MAX_EXPIRES 604800u

typedef struct {
  /* Credentials: access key and secret required, token optional (NULL). */
  const char *access_key;
  const char *secret_key;
  const char *session_token;
  /* Scope: "us-east-1", "dynamodb". */
  const char *region;
  const char *service;
  /* Signing time, seconds since the Unix epoch (UTC), years 1970 to 9999. */
  int64_t timestamp;
  /* The request. `method` is an HTTP token ("GET"). `path` is the path as it
   * goes on the wire, starting with '/', already percent-encoded (see
   * uvaws_uri_encode_path); no query part. Query names and values are NOT
   * encoded: the signer encodes them. `headers` must include Host. */
  const char *method;
  const char *path;
  const uvaws_kv_t *query;
  size_t query_count;
  const uvaws_kv_t *headers;
  size_t header_count;
  /* The body, hashed unless `payload_hash` is given: 64 lower-case hex
   * digits, UVAWS_SIGV4_UNSIGNED_PAYLOAD, or another payload marker S3 knows
   * ("STREAMING-UNSIGNED-PAYLOAD-TRAILER"); anything but letters, digits and
   * '-', or longer than 128 characters, is UVAWS_EINVAL. */
  const void *body;
  size_t body_len;
  const char *payload_hash;
  unsigned flags; /* UVAWS_SIGV4_* */
  /* Presigned URLs only: "https" when NULL. */
  const char *scheme;
} uvaws_sigv4_input_t;

/* What signing produced. Every pointer points into the signer and stays valid
 * until the next signing call on the same signer, or its free. */
typedef struct {
  /* Header mode: the headers to add to the request, in this order:
   * X-Amz-Date, then X-Amz-Security-Token when there is a token, then
   * x-amz-content-sha256 when asked, then Authorization. */
  uvaws_kv_t headers[4];
  size_t header_count;
  const char *signature;         /* 64 hex digits */
  const char *signed_headers;    /* "host;x-amz-date" */
  const char *canonical_request; /* for debugging SignatureDoesNotMatch */
  const char *string_to_sign;
  const char *url;               /* presigned URL (query mode only) */
} uvaws_sigv4_output_t;

/* Creates a signer. Returns 0, UVAWS_EINVAL (out is NULL), UVAWS_ENOMEM or
 * UVAWS_ECRYPTO when OpenSSL lacks SHA-256 or HMAC. */
UVAWS_EXTERN int uvaws_signer_new(uvaws_signer_t **out);

/* Frees a signer; cached keys and buffers are cleansed first. NULL is a no-op. */
UVAWS_EXTERN void uvaws_signer_free(uvaws_signer_t *s);

/* Signs `in` for the Authorization header. Input is validated first; a bad
 * field returns UVAWS_EINVAL (NULL or empty required field), UVAWS_EMETHOD,
 * UVAWS_EPATH, UVAWS_EHEADERNAME, UVAWS_EHEADERVALUE, UVAWS_EQUERY,
 * UVAWS_ETIME, UVAWS_ENOHOST, and nothing is signed. Headers named
 * Authorization, X-Amz-Date and X-Amz-Security-Token in `in` are ignored: the
 * signer produces them. User-Agent, Expect and X-Amzn-Trace-Id are sent but not
 * signed, as the AWS SDKs do, because proxies rewrite them. A caller's
 * x-amz-content-sha256 header is signed and is the payload line (the body is
 * not hashed, and UVAWS_SIGV4_CONTENT_SHA256 adds no second one); it must be
 * one header holding a payload hash that agrees with `payload_hash` when both
 * are given, else UVAWS_EHEADERVALUE. */
UVAWS_EXTERN int uvaws_signer_sign_headers(uvaws_signer_t *s, const uvaws_sigv4_input_t *in,
                                           uvaws_sigv4_output_t *out);

/* Builds a presigned URL valid for `expires_s` seconds (1 to 7 days):
 * scheme://host/path?query&X-Amz-Algorithm=...&X-Amz-Signature=...
 * in out->url. The payload hash is the body's (empty: the empty string's)
 * unless `payload_hash` or an x-amz-content-sha256 header is given (S3 URLs
 * use UVAWS_SIGV4_UNSIGNED_PAYLOAD; other services check the body's hash, so
 * STS GetCallerIdentity URLs want the default). Same errors as above, plus
 * UVAWS_EEXPIRES, and UVAWS_EHEADERVALUE when the (first) Host value is not a
 * URL authority: ASCII host name or address, [IPv6], optional :port. */
UVAWS_EXTERN int uvaws_signer_presign(uvaws_signer_t *s, const uvaws_sigv4_input_t *in,
                                      unsigned expires_s, uvaws_sigv4_output_t *out);

/* Percent-encodes `len` bytes of `src` as RFC 3986 wants for SigV4: unreserved
 * characters (A-Z a-z 0-9 - . _ ~) are kept, every other byte becomes %XX with
 * upper-case hex, and '/' is kept when `keep_slash` is set (paths). `*size`
 * is the room at `dst`; as uv_os_getenv does: returns 0 with the text
 * NUL-terminated in `dst` and its length (without the NUL) in `*size`, or
 * UVAWS_ENOBUFS with nothing written and the room needed (with the NUL) in
 * `*size`: a `dst` of NULL and a size of 0 asks for it. 3 * len + 1 bytes
 * always suffice. UVAWS_EINVAL for a NULL `size`, a NULL `src` with a length,
 * or a NULL `dst` with room. */
UVAWS_EXTERN int uvaws_uri_encode(const char *src, size_t len, int keep_slash, char *dst,
                                  size_t *size);

/* Encodes a plain path ("/my bucket/ключ") for the wire ("/my%20bucket/%D0%BA...").
 * Returns a malloc'd string (free()), or NULL when out of memory or `path` is NULL. */
UVAWS_EXTERN char *uvaws_uri_encode_path(const char *path);

#ifdef __cplusplus
}
#endif
#endif
