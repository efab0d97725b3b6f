/* libFuzzer target for the SigV4 signer and its string rules.
 *
 * Input layout (every part optional; short inputs just leave defaults):
 *   byte 0  flags: bits 0-3 the UVAWS_SIGV4_* flags, bit 4 session token,
 *           bit 5 payload_hash instead of the body (bit 6: UNSIGNED-PAYLOAD),
 *           bit 7 no Host header added
 *   byte 1  selector: bits 0-2 timestamp choice, bits 3-5 expires choice,
 *           bits 6-7 scheme choice
 *   rest    fields separated by NUL: method, path, body, then items; an item
 *           starting with 'H' is a header "Hname:value", anything else a
 *           query parameter "name=value" ("name" alone: NULL value)
 * Signs in header mode and presign mode, twice each (the second must agree:
 * deterministic, key cache consistent), and checks what comes out. The path
 * and every field also go through canon_normalize_path and uvaws_uri_encode,
 * whose invariants are checked here. Any violation aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sigv4_canon.h"
#include "uvaws.h"

#define MAX_FIELDS 64

static uvaws_signer_t *signer;

#define CHECK(cond)                                                                      \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond);      \
      abort();                                                                           \
    }                                                                                    \
  } while (0)

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  /* One signer for the whole run, so that its key cache and buffers see a
   * long history of inputs, as in a client. */
  if (uvaws_signer_new(&signer) != 0)
    abort();
  return 0;
}

static int is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1; /* lower-case hex is a violation here */
}

/* Output alphabet, upper-case %XX, length, and that it decodes back to `src`. */
static void check_encode(const char *src, size_t len, int keep_slash) {
  /* asked first, then given exactly the room needed (ASan sees a byte
   * written past it) */
  size_t n = 0;
  CHECK(uvaws_uri_encode(src, len, keep_slash, NULL, &n) == UVAWS_ENOBUFS);
  char *dst = malloc(n);
  CHECK(dst != NULL);
  CHECK(uvaws_uri_encode(src, len, keep_slash, dst, &n) == 0);
  CHECK(n == strlen(dst) && n <= 3 * len && n >= len);
  size_t j = 0;
  for (size_t i = 0; i < n; i++, j++) {
    unsigned char c = (unsigned char)dst[i];
    if (c == '%') {
      CHECK(i + 2 < n);
      int hi = hexval(dst[i + 1]), lo = hexval(dst[i + 2]);
      CHECK(hi >= 0 && lo >= 0);
      unsigned char decoded = (unsigned char)(hi * 16 + lo);
      CHECK(!is_unreserved(decoded) && !(keep_slash && decoded == '/'));
      CHECK(j < len && (unsigned char)src[j] == decoded);
      i += 2;
    } else {
      CHECK(is_unreserved(c) || (keep_slash && c == '/'));
      CHECK(j < len && (unsigned char)src[j] == c);
    }
  }
  CHECK(j == len);
  free(dst);
}

/* 1 if one of the '/'-separated segments of p[0..n) is `seg`. */
static int has_segment(const char *p, size_t n, const char *seg) {
  size_t sl = strlen(seg), start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || p[i] == '/') {
      if (i - start == sl && memcmp(p + start, seg, sl) == 0)
        return 1;
      start = i + 1;
    }
  }
  return 0;
}

/* Starts with '/', no empty, "." or ".." segment, and normalizing again
 * changes nothing. */
static void check_normalize(const char *path) {
  if (path[0] != '/')
    return; /* the signer only normalizes validated paths */
  buf_t b = {0}, again = {0};
  canon_normalize_path(&b, path);
  const char *out = buf_str(&b);
  CHECK(out != NULL);
  CHECK(b.len >= 1 && out[0] == '/');
  CHECK(strstr(out, "//") == NULL);
  CHECK(!has_segment(out, b.len, ".") && !has_segment(out, b.len, ".."));
  CHECK(b.len <= strlen(path));
  canon_normalize_path(&again, out);
  CHECK(buf_str(&again) != NULL && again.len == b.len && memcmp(again.data, out, b.len) == 0);
  buf_free(&b);
  buf_free(&again);
}

static int is_known_error(int rc) {
  return rc == UVAWS_EINVAL || rc == UVAWS_EMETHOD || rc == UVAWS_EPATH ||
         rc == UVAWS_EHEADERNAME || rc == UVAWS_EHEADERVALUE || rc == UVAWS_EQUERY ||
         rc == UVAWS_ETIME || rc == UVAWS_ENOHOST || rc == UVAWS_EEXPIRES;
}

static int is_hex64(const char *s) {
  if (s == NULL || strlen(s) != 64)
    return 0;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return 0;
  return 1;
}

static void check_output(int rc, const uvaws_sigv4_output_t *out, int query_mode,
                         const char *scheme) {
  if (rc != 0) {
    CHECK(is_known_error(rc));
    return;
  }
  CHECK(is_hex64(out->signature));
  CHECK(out->canonical_request != NULL && out->string_to_sign != NULL);
  CHECK(strncmp(out->string_to_sign, "AWS4-HMAC-SHA256\n", 17) == 0);
  CHECK(out->signed_headers != NULL && strstr(out->signed_headers, "host") != NULL);
  if (query_mode) {
    CHECK(out->url != NULL && out->header_count == 0);
    CHECK(strncmp(out->url, scheme ? scheme : "https", strlen(scheme ? scheme : "https")) == 0);
    size_t ul = strlen(out->url); /* the signature parameter comes last */
    CHECK(ul > 81 && strncmp(out->url + ul - 81, "&X-Amz-Signature=", 17) == 0);
    CHECK(strcmp(out->url + ul - 64, out->signature) == 0);
    /* The path and host are the caller's; the query string is all ours. */
    for (const char *p = strchr(out->url, '?'); *p; p++)
      CHECK(is_unreserved((unsigned char)*p) || *p == '%' || *p == '=' || *p == '&' || *p == '?');
  } else {
    CHECK(out->url == NULL && out->header_count >= 2 && out->header_count <= 4);
    CHECK(strcmp(out->headers[0].name, "X-Amz-Date") == 0);
    CHECK(strcmp(out->headers[out->header_count - 1].name, "Authorization") == 0);
    const char *v = out->headers[out->header_count - 1].value;
    CHECK(strcmp(v + strlen(v) - 64, out->signature) == 0);
  }
}

static const int64_t timestamps[8] = {
    0, INT64_C(1440938160), INT64_C(951782400), INT64_C(253402300799),
    INT64_C(253402300800), -1, INT64_C(4107542400), INT64_C(1700000000)};
static const unsigned expiries[8] = {1, 60, 3600, 604800, 0, 604801, 86400, 0xFFFFFFFFu};
static const char *const schemes[4] = {NULL, "https", "http", "ftp"};

static void sign_both(const uvaws_sigv4_input_t *in, unsigned expires) {
  uvaws_sigv4_output_t out;
  char sig[65];
  int rc = uvaws_signer_sign_headers(signer, in, &out);
  check_output(rc, &out, 0, in->scheme);
  if (rc == 0) {
    memcpy(sig, out.signature, 65);
    CHECK(uvaws_signer_sign_headers(signer, in, &out) == 0 && strcmp(sig, out.signature) == 0);
  }
  rc = uvaws_signer_presign(signer, in, expires, &out);
  check_output(rc, &out, 1, in->scheme);
  if (rc == 0) {
    memcpy(sig, out.signature, 65);
    CHECK(uvaws_signer_presign(signer, in, expires, &out) == 0 && strcmp(sig, out.signature) == 0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t ctl = size > 0 ? data[0] : 0, sel = size > 1 ? data[1] : 0;
  size_t off = size > 2 ? 2 : size;
  /* A NUL-terminated copy: fields are the NUL-separated strings inside it. */
  char *text = malloc(size - off + 1);
  if (text == NULL)
    return 0;
  memcpy(text, data + off, size - off);
  text[size - off] = '\0';

  const char *fields[MAX_FIELDS];
  size_t lens[MAX_FIELDS], nf = 0;
  for (size_t i = 0; i <= size - off && nf < MAX_FIELDS;) {
    fields[nf] = text + i;
    lens[nf] = strlen(text + i);
    i += lens[nf] + 1;
    nf++;
  }
  for (size_t i = 0; i < nf; i++) {
    check_encode(fields[i], lens[i], 0);
    check_encode(fields[i], lens[i], 1);
    check_normalize(fields[i]);
  }

  uvaws_kv_t headers[MAX_FIELDS + 1], query[MAX_FIELDS];
  size_t nh = 0, nq = 0;
  for (size_t i = 3; i < nf; i++) {
    char *item = (char *)fields[i];
    if (item[0] == 'H') {
      char *colon = strchr(item, ':');
      if (colon != NULL)
        *colon = '\0';
      headers[nh++] = (uvaws_kv_t){item + 1, colon ? colon + 1 : ""};
    } else {
      char *eq = strchr(item, '=');
      if (eq != NULL)
        *eq = '\0';
      query[nq++] = (uvaws_kv_t){item, eq ? eq + 1 : NULL};
    }
  }
  if (!(ctl & 0x80))
    headers[nh++] = (uvaws_kv_t){"Host", "example.amazonaws.com"};

  uvaws_sigv4_input_t in = {
      .access_key = "AKIDEXAMPLE",
      .secret_key = (sel & 1) ? "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" : "other",
      .session_token = (ctl & 0x10) ? "AQoDYXdzEPT//////////wEXAMPLE=" : NULL,
      .region = (sel & 2) ? "us-east-1" : "eu-west-1",
      .service = (sel & 4) ? "s3" : "service",
      .timestamp = timestamps[sel & 7],
      .method = nf > 0 && lens[0] > 0 ? fields[0] : "GET",
      .path = nf > 1 ? fields[1] : "/",
      .query = nq ? query : NULL,
      .query_count = nq,
      .headers = headers,
      .header_count = nh,
      .body = nf > 2 ? fields[2] : NULL,
      .body_len = nf > 2 ? lens[2] : 0,
      .flags = ctl & 0x0f,
      .scheme = schemes[sel >> 6],
  };
  if (ctl & 0x20)
    in.payload_hash = (ctl & 0x40) ? UVAWS_SIGV4_UNSIGNED_PAYLOAD : (nf > 2 ? fields[2] : "");
  sign_both(&in, expiries[(sel >> 3) & 7]);
  free(text);
  return 0;
}
