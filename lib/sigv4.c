/* SigV4 signing: header mode and presigned URLs.
 *
 * One pass builds the canonical request into a reused buffer; headers and
 * query parameters are sorted as index arrays, never copied into new strings,
 * so that a warm signer allocates nothing per signature.
 */
#include "uvaws/sigv4.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "num_text.h"
#include "sigv4_canon.h"
#include "sigv4_crypto.h"
#include "sigv4_memo.h"
#include "uvaws/error.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_TIMESTAMP INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

typedef struct {
  const char *name; /* lower-cased, in signer->names */
  uint64_t key;     /* its first 8 bytes, big-endian, zero-padded: most compares end here */
  size_t name_off, name_len;
  const char *value;
  size_t value_len;
  size_t order; /* keeps duplicates in their given order */
} hdr_t;

typedef struct {
  size_t name_off, name_len; /* encoded, in scratch */
  size_t value_off, value_len;
} qp_t;

struct uvaws_signer_s {
  sigv4_crypto_t crypto;
  buf_t canon;   /* canonical request */
  buf_t sts;     /* string to sign */
  buf_t out;     /* Authorization value or presigned URL */
  buf_t scope;   /* date/region/service/aws4_request */
  buf_t signed_headers;
  buf_t scratch; /* encoded query names and values, normalized path */
  buf_t names;   /* lower-cased header names, each written once */
  hdr_t *hdrs;
  size_t hdr_cap;
  size_t *lens; /* name and value lengths of the input headers, found by validate */
  size_t lens_cap;
  qp_t *qps;
  size_t qp_cap;
  sigv4_memo_t memo; /* the shape of the last header signature, in canon */
  size_t date_off;   /* where write_canonical_headers put X-Amz-Date's value */
  /* With the memo hit on the same day, the scope, the string to sign but its
   * last line and the Authorization value but its signature are those of
   * the last signature: their lengths, 0 when they must be built. */
  int same_scope;
  size_t sts_prefix_len, auth_prefix_len;
  int64_t time_done; /* the timestamp amz_date holds, -1 before the first */
  /* The caller's x-amz-content-sha256 header, blanks trimmed (found by
   * validate): the payload line, so that the header and the line agree. */
  const char *content_sha;
  size_t content_sha_len;
  char amz_date[17];
  char date[9];
  char payload_hex[129];
  char signature[65];
  char expires[NUM_TEXT_MAX];
};

int uvaws_signer_new(uvaws_signer_t **out) {
  if (out == NULL)
    return UVAWS_EINVAL;
  *out = NULL;
  uvaws_signer_t *s = calloc(1, sizeof *s);
  if (s == NULL)
    return UVAWS_ENOMEM;
  if (sigv4_crypto_init(&s->crypto) != 0) {
    free(s);
    return UVAWS_ECRYPTO;
  }
  s->time_done = -1;
  *out = s;
  return 0;
}

void uvaws_signer_free(uvaws_signer_t *s) {
  if (s == NULL)
    return;
  sigv4_crypto_free(&s->crypto);
  buf_free(&s->canon);
  buf_free(&s->sts);
  buf_free(&s->out);
  buf_free(&s->scope);
  buf_free(&s->signed_headers);
  buf_free(&s->scratch);
  buf_free(&s->names);
  free(s->hdrs);
  free(s->lens);
  free(s->qps);
  sigv4_memo_free(&s->memo);
  free(s);
}

/* ---- validation ---------------------------------------------------------- */

static int nonempty(const char *s) { return s != NULL && s[0] != '\0'; }

/* Scope parts go verbatim into "Credential=AKID/date/region/service/...". */
static int is_scope_part(const char *s) {
  if (!nonempty(s))
    return 0;
  for (; *s != '\0'; s++) {
    char c = *s;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '_' || c == '.'))
      return 0;
  }
  return 1;
}

static int is_payload_hash(const char *s) {
  size_t off = 0, len;
  return s != NULL && canon_payload_hash(s, strlen(s), &off, &len) && off == 0 &&
         len == strlen(s);
}

/* A caller's x-amz-content-sha256 is the payload line (as botocore takes it):
 * one such header, holding a payload hash, that agrees with `payload_hash`
 * when both are given. Anything else is refused rather than signed with a
 * payload line that says something else than the header. */
static int take_content_sha(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, const char *v,
                            size_t vn) {
  size_t off = 0;
  if (s->content_sha != NULL || !canon_payload_hash(v, vn, &off, &vn))
    return UVAWS_EHEADERVALUE;
  v += off;
  if (in->payload_hash != NULL &&
      (strlen(in->payload_hash) != vn || memcmp(in->payload_hash, v, vn) != 0))
    return UVAWS_EHEADERVALUE;
  s->content_sha = v;
  s->content_sha_len = vn;
  return 0;
}

/* What neither shapes the canonical request nor is in the memo's key
 * (secret, time, body, payload hash) and the arrays the rest is read from. */
static int validate_scope(const uvaws_sigv4_input_t *in) {
  if (!nonempty(in->secret_key))
    return UVAWS_EINVAL;
  if (in->session_token != NULL && !canon_is_field_value(in->session_token))
    return UVAWS_EINVAL;
  if (in->payload_hash != NULL && !is_payload_hash(in->payload_hash))
    return UVAWS_EINVAL;
  if (in->timestamp < 0 || in->timestamp > MAX_TIMESTAMP)
    return UVAWS_ETIME;
  if ((in->query_count > 0 && in->query == NULL) || (in->header_count > 0 && in->headers == NULL) ||
      (in->body_len > 0 && in->body == NULL))
    return UVAWS_EINVAL;
  return 0;
}

/* The request itself, and the names in the credential scope. Also records the
 * length of every header name and value in s->lens, so that no later pass
 * measures them again. */
static int validate_request(uvaws_signer_t *s, const uvaws_sigv4_input_t *in) {
  if (!is_scope_part(in->access_key) || !is_scope_part(in->region) || !is_scope_part(in->service))
    return UVAWS_EINVAL;
  if (canon_token_len(in->method) == 0)
    return in->method == NULL || in->method[0] == '\0' ? UVAWS_EINVAL : UVAWS_EMETHOD;
  if (in->path == NULL || in->path[0] != '/' || !canon_is_field_value(in->path) ||
      strpbrk(in->path, "?#\t") != NULL)
    return UVAWS_EPATH;
  for (size_t i = 0; i < in->query_count; i++) {
    if (in->query[i].name == NULL)
      return UVAWS_EINVAL;
    if (!canon_is_field_value(in->query[i].name) ||
        (in->query[i].value != NULL && !canon_is_field_value(in->query[i].value)))
      return UVAWS_EQUERY;
  }
  if (in->header_count > s->lens_cap / 2) {
    if (in->header_count > SIZE_MAX / (2 * sizeof *s->lens))
      return UVAWS_ENOMEM;
    size_t *p = realloc(s->lens, 2 * in->header_count * sizeof *p);
    if (p == NULL)
      return UVAWS_ENOMEM;
    s->lens = p;
    s->lens_cap = 2 * in->header_count;
  }
  int host = 0;
  s->content_sha = NULL;
  for (size_t i = 0; i < in->header_count; i++) {
    const uvaws_kv_t *h = &in->headers[i];
    size_t n = canon_token_len(h->name);
    if (n == 0)
      return h->name == NULL ? UVAWS_EINVAL : UVAWS_EHEADERNAME;
    if (h->value == NULL)
      return UVAWS_EINVAL;
    size_t vn = strlen(h->value);
    if (!canon_is_field_value_n(h->value, vn))
      return UVAWS_EHEADERVALUE;
    if (n == 4 && canon_ieq(h->name, n, "host") && h->value[strspn(h->value, " \t")] != '\0')
      host = 1;
    int rc;
    if (n == 20 && canon_ieq(h->name, n, "x-amz-content-sha256") &&
        (rc = take_content_sha(s, in, h->value, vn)) != 0)
      return rc;
    s->lens[2 * i] = n;
    s->lens[2 * i + 1] = vn;
  }
  return host ? 0 : UVAWS_ENOHOST;
}

/* The first Host value of validated headers, blanks trimmed. */
static const char *host_value(const uvaws_sigv4_input_t *in, size_t *len) {
  const char *host = "";
  for (size_t i = 0; i < in->header_count; i++)
    if (canon_ieq(in->headers[i].name, strlen(in->headers[i].name), "host")) {
      host = in->headers[i].value;
      break;
    }
  host += strspn(host, " \t");
  size_t n = strlen(host);
  while (n > 0 && (host[n - 1] == ' ' || host[n - 1] == '\t'))
    n--;
  *len = n;
  return host;
}

/* A presigned URL carries Host verbatim between "://" and the path, so it must
 * be an RFC 3986 authority (name or address, [IPv6], :port): a '/', '?', '#',
 * '@' or blank would make the URL point somewhere else than was signed. */
static int is_authority(const char *s, size_t n) {
  if (n == 0)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("-._~!$&'()*+,;=:[]%", c) != NULL))
      return 0;
  }
  return 1;
}

/* ---- time ---------------------------------------------------------------- */

static void put_digits(char *p, int v, int width) {
  for (int i = width - 1; i >= 0; i--, v /= 10)
    p[i] = (char)('0' + v % 10);
}

/* Civil date from days since 1970-01-01 (H. Hinnant's algorithm): exact for
 * every date we accept, and free of gmtime's locks and time-zone state. */
static void format_time(int64_t t, char amz_date[17], char date[9]) {
  int64_t days = t / 86400, secs = t % 86400;
  int64_t z = days + 719468;
  int64_t era = z / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  int y = (int)(yoe + era * 400 + (m <= 2));
  put_digits(amz_date, y, 4);
  put_digits(amz_date + 4, m, 2);
  put_digits(amz_date + 6, d, 2);
  amz_date[8] = 'T';
  put_digits(amz_date + 9, (int)(secs / 3600), 2);
  put_digits(amz_date + 11, (int)(secs / 60 % 60), 2);
  put_digits(amz_date + 13, (int)(secs % 60), 2);
  amz_date[15] = 'Z';
  amz_date[16] = '\0';
  memcpy(date, amz_date, 8);
  date[8] = '\0';
}

/* ---- headers ------------------------------------------------------------- */

/* Lower-cased names are compared bytewise, as the spec sorts them. Equal
 * keys mean equal first 8 bytes, and (names holding no NUL) that both names
 * are that long or the same shorter name. */
static int name_cmp(const hdr_t *a, const hdr_t *b) {
  if (a->key != b->key)
    return a->key < b->key ? -1 : 1;
  size_t n = a->name_len < b->name_len ? a->name_len : b->name_len;
  int c = n > 8 ? memcmp(a->name + 8, b->name + 8, n - 8) : 0;
  return c != 0 ? c : (a->name_len > b->name_len) - (a->name_len < b->name_len);
}

static int hdr_cmp(const hdr_t *a, const hdr_t *b) {
  int c = name_cmp(a, b);
  return c != 0 ? c : (a->order > b->order) - (a->order < b->order);
}

static int same_name(const hdr_t *a, const hdr_t *b) {
  return a->key == b->key && name_cmp(a, b) == 0;
}

/* The first 8 bytes of a word in memory order, as a big-endian number. */
static uint64_t load_be64(const char *p) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  uint64_t x;
  memcpy(&x, p, 8);
  return __builtin_bswap64(x);
#else
  uint64_t k = 0;
  for (int i = 0; i < 8; i++)
    k = k << 8 | (unsigned char)p[i];
  return k;
#endif
}

/* Headers the signer writes itself, or that proxies rewrite: never signed from
 * the input. `name` is lower-cased; the length settles most names at once.
 * (x-amz-content-sha256 is not one: the caller's is signed and is the payload
 * line.) */
static int skipped_header(const char *name, size_t n) {
  switch (n) {
  case 6:
    return memcmp(name, "expect", 6) == 0;
  case 10:
    return memcmp(name, "x-amz-date", 10) == 0 || memcmp(name, "user-agent", 10) == 0;
  case 13:
    return memcmp(name, "authorization", 13) == 0;
  case 15:
    return memcmp(name, "x-amzn-trace-id", 15) == 0;
  case 20:
    return memcmp(name, "x-amz-security-token", 20) == 0;
  default:
    return 0;
  }
}

/* Lower-cases the ASCII letters of 8 bytes at once (names are tokens, so
 * ASCII): a byte gets 0x20 when it lies in 'A'..'Z'. */
static uint64_t lower8(uint64_t x) {
  const uint64_t ones = UINT64_C(0x0101010101010101), highs = ones * 0x80;
  uint64_t low7 = x & ~highs;
  uint64_t ge_a = low7 + ones * (0x80 - 'A');     /* high bit: byte >= 'A' */
  uint64_t gt_z = low7 + ones * (0x80 - 'Z' - 1); /* high bit: byte > 'Z' */
  uint64_t upper = (ge_a ^ gt_z) & ~x & highs;
  return x | (upper >> 2);
}

/* The tail goes byte by byte: gathering it into a word would stall on the
 * store-to-load forwarding of the partial copy. */
static void add_lower(buf_t *b, const char *s, size_t n) {
  if (b->cap - b->len <= n && buf_grow(b, n) != 0)
    return;
  char *o = b->data + b->len;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x;
    memcpy(&x, s + i, 8);
    x = lower8(x);
    memcpy(o + i, &x, 8);
  }
  for (; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    o[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  b->len += n;
}

/* Appends a header with its name lower-cased into s->names, unless it is one
 * the signer skips; 0 or -1. The name pointers are set once all are in, since
 * the buffer may move while it grows. */
static int push_hdr(uvaws_signer_t *s, size_t *n, const char *name, size_t len, const char *value,
                    size_t value_len, int from_input) {
  if (*n == s->hdr_cap) {
    size_t cap = s->hdr_cap ? 2 * s->hdr_cap : 16;
    hdr_t *p = realloc(s->hdrs, cap * sizeof *p);
    if (p == NULL)
      return -1;
    s->hdrs = p;
    s->hdr_cap = cap;
  }
  size_t off = s->names.len;
  add_lower(&s->names, name, len);
  if (s->names.failed)
    return -1;
  if (from_input && skipped_header(s->names.data + off, len)) {
    s->names.len = off;
    return 0;
  }
  /* The key comes from the input, not from the bytes just stored: reading
   * those back would stall on store forwarding. */
  uint64_t key = 0;
  if (len >= 8) {
    key = load_be64(name);
  } else {
    for (size_t i = 0; i < 8; i++)
      key = key << 8 | (i < len ? (unsigned char)name[i] : 0);
  }
  key = lower8(key); /* bytewise, so the order of the bytes does not matter */
  s->hdrs[*n] = (hdr_t){NULL, key, off, len, value, value_len, *n};
  (*n)++;
  return 0;
}

/* Header mode adds x-amz-content-sha256 when asked, unless the caller's is there. */
static int adds_content_sha(const uvaws_signer_t *s, const uvaws_sigv4_input_t *in) {
  return (in->flags & UVAWS_SIGV4_CONTENT_SHA256) && s->content_sha == NULL;
}

/* Collects and sorts the headers to sign; returns their count or -1. */
static long collect_headers(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, int query_mode) {
  size_t n = 0;
  buf_reset(&s->names);
  for (size_t i = 0; i < in->header_count; i++) {
    const uvaws_kv_t *h = &in->headers[i];
    if (push_hdr(s, &n, h->name, s->lens[2 * i], h->value, s->lens[2 * i + 1], 1) != 0)
      return -1;
  }
  if (!query_mode) {
    if (push_hdr(s, &n, "x-amz-date", 10, s->amz_date, 16, 0) != 0)
      return -1;
    if (nonempty(in->session_token) && !(in->flags & UVAWS_SIGV4_TOKEN_UNSIGNED) &&
        push_hdr(s, &n, "x-amz-security-token", 20, in->session_token,
                 strlen(in->session_token), 0) != 0)
      return -1;
    if (adds_content_sha(s, in) &&
        push_hdr(s, &n, "x-amz-content-sha256", 20, s->payload_hex, strlen(s->payload_hex),
                 0) != 0)
      return -1;
  }
  for (size_t i = 0; i < n; i++)
    s->hdrs[i].name = s->names.data + s->hdrs[i].name_off;
  /* Insertion sort: stable, and fastest for the handful of headers requests carry. */
  for (size_t i = 1; i < n; i++) {
    hdr_t h = s->hdrs[i];
    size_t j = i;
    while (j > 0 && hdr_cmp(&s->hdrs[j - 1], &h) > 0) {
      s->hdrs[j] = s->hdrs[j - 1];
      j--;
    }
    s->hdrs[j] = h;
  }
  buf_reset(&s->signed_headers);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && same_name(&s->hdrs[i - 1], &s->hdrs[i]))
      continue;
    if (s->signed_headers.len > 0)
      buf_addc(&s->signed_headers, ';');
    buf_add(&s->signed_headers, s->hdrs[i].name, s->hdrs[i].name_len);
  }
  return buf_str(&s->signed_headers) ? (long)n : -1;
}

static void write_canonical_headers(uvaws_signer_t *s, size_t n) {
  buf_t *b = &s->canon;
  for (size_t i = 0; i < n; i++) {
    const hdr_t *h = &s->hdrs[i];
    if (i > 0 && same_name(&s->hdrs[i - 1], h)) {
      b->len--; /* the '\n' of the previous value: duplicates join with ',' */
      buf_addc(b, ',');
    } else {
      buf_add(b, h->name, h->name_len);
      buf_addc(b, ':');
    }
    if (h->value == s->amz_date)
      s->date_off = b->len;
    canon_trimall(b, h->value, h->value_len);
    buf_addc(b, '\n');
  }
}

/* ---- query --------------------------------------------------------------- */

static const char *const auth_params[] = {
    "X-Amz-Algorithm", "X-Amz-Credential",     "X-Amz-Date",      "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
};

static int is_auth_param(const char *name) {
  for (size_t i = 0; i < sizeof auth_params / sizeof *auth_params; i++)
    if (strcmp(name, auth_params[i]) == 0)
      return 1;
  return 0;
}

static int push_qp(uvaws_signer_t *s, size_t *n, const char *name, const char *value) {
  if (*n == s->qp_cap) {
    size_t cap = s->qp_cap ? 2 * s->qp_cap : 16;
    qp_t *p = realloc(s->qps, cap * sizeof *p);
    if (p == NULL)
      return -1;
    s->qps = p;
    s->qp_cap = cap;
  }
  qp_t *q = &s->qps[(*n)++];
  buf_t *b = &s->scratch;
  q->name_off = b->len;
  canon_encode(b, name, strlen(name), 0);
  q->name_len = b->len - q->name_off;
  q->value_off = b->len;
  if (value != NULL)
    canon_encode(b, value, strlen(value), 0);
  q->value_len = b->len - q->value_off;
  return b->failed ? -1 : 0;
}

static int span_cmp(const char *a, size_t an, const char *b, size_t bn) {
  int c = memcmp(a, b, an < bn ? an : bn);
  return c != 0 ? c : (an > bn) - (an < bn);
}

static int qp_cmp(const char *base, const qp_t *a, const qp_t *b) {
  int c = span_cmp(base + a->name_off, a->name_len, base + b->name_off, b->name_len);
  return c != 0 ? c
                : span_cmp(base + a->value_off, a->value_len, base + b->value_off, b->value_len);
}

/* Encodes, sorts and writes the canonical query string (with the auth
 * parameters in query mode). */
static int write_canonical_query(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, int query_mode) {
  size_t n = 0;
  for (size_t i = 0; i < in->query_count; i++) {
    const uvaws_kv_t *q = &in->query[i];
    if (query_mode && is_auth_param(q->name))
      continue;
    if (push_qp(s, &n, q->name, q->value) != 0)
      return -1;
  }
  if (query_mode) {
    const char *credential = buf_str(&s->out); /* "AKID/scope", built by the caller */
    if (credential == NULL || push_qp(s, &n, "X-Amz-Algorithm", ALGORITHM) != 0 ||
        push_qp(s, &n, "X-Amz-Credential", credential) != 0 ||
        push_qp(s, &n, "X-Amz-Date", s->amz_date) != 0 ||
        push_qp(s, &n, "X-Amz-Expires", s->expires) != 0 ||
        push_qp(s, &n, "X-Amz-SignedHeaders", s->signed_headers.data) != 0)
      return -1;
    if (nonempty(in->session_token) && !(in->flags & UVAWS_SIGV4_TOKEN_UNSIGNED) &&
        push_qp(s, &n, "X-Amz-Security-Token", in->session_token) != 0)
      return -1;
  }
  const char *base = s->scratch.data;
  for (size_t i = 1; i < n; i++) {
    qp_t q = s->qps[i];
    size_t j = i;
    while (j > 0 && qp_cmp(base, &s->qps[j - 1], &q) > 0) {
      s->qps[j] = s->qps[j - 1];
      j--;
    }
    s->qps[j] = q;
  }
  buf_t *b = &s->canon;
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      buf_addc(b, '&');
    buf_add(b, base + s->qps[i].name_off, s->qps[i].name_len);
    buf_addc(b, '=');
    buf_add(b, base + s->qps[i].value_off, s->qps[i].value_len);
  }
  return 0;
}

/* ---- the signature ------------------------------------------------------- */

static void write_canonical_path(uvaws_signer_t *s, const uvaws_sigv4_input_t *in) {
  const char *path = in->path;
  size_t len = strlen(path);
  if (!(in->flags & UVAWS_SIGV4_NO_NORMALIZE)) {
    size_t off = s->scratch.len;
    canon_normalize_path(&s->scratch, path);
    if (s->scratch.failed)
      return;
    path = s->scratch.data + off;
    len = s->scratch.len - off;
  }
  if (in->flags & UVAWS_SIGV4_NO_DOUBLE_ENCODE)
    buf_add(&s->canon, path, len);
  else
    canon_encode(&s->canon, path, len, 1);
}

/* Builds the canonical request but for its payload hash (the last line),
 * with the headers' list left in s->signed_headers. */
static int build_canonical(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, int query_mode) {
  long nh = collect_headers(s, in, query_mode);
  if (nh < 0)
    return UVAWS_ENOMEM;
  buf_reset(&s->canon);
  buf_reset(&s->scratch);
  buf_reset(&s->out);
  if (query_mode) { /* the credential parameter, borrowed buffer until the URL is built */
    buf_adds(&s->out, in->access_key);
    buf_addc(&s->out, '/');
    buf_add(&s->out, s->scope.data, s->scope.len);
  }
  buf_adds(&s->canon, in->method);
  buf_addc(&s->canon, '\n');
  write_canonical_path(s, in);
  buf_addc(&s->canon, '\n');
  if (write_canonical_query(s, in, query_mode) != 0)
    return UVAWS_ENOMEM;
  buf_addc(&s->canon, '\n');
  write_canonical_headers(s, (size_t)nh);
  buf_addc(&s->canon, '\n');
  buf_add(&s->canon, s->signed_headers.data, s->signed_headers.len);
  buf_addc(&s->canon, '\n');
  return s->canon.failed ? UVAWS_ENOMEM : 0;
}

static int sign(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, int query_mode,
                uvaws_sigv4_output_t *out) {
  int rc = validate_scope(in);
  if (rc != 0)
    return rc;
  /* The same request shape as last time: canon holds its canonical request,
   * validated then. Presigning builds canon its own way: no memo. */
  int same_shape = !query_mode && sigv4_memo_match(&s->memo, in);
  if (!same_shape) {
    sigv4_memo_forget(&s->memo);
    rc = validate_request(s, in);
    if (rc != 0)
      return rc;
  }
  if (query_mode) {
    size_t host_len = 0;
    const char *host = host_value(in, &host_len);
    if (!is_authority(host, host_len))
      return UVAWS_EHEADERVALUE;
  }
  if (in->timestamp != s->time_done) { /* a client signs many requests a second */
    format_time(in->timestamp, s->amz_date, s->date);
    s->time_done = in->timestamp;
  }

  const char *payload = in->payload_hash;
  if (payload == NULL && s->content_sha != NULL) {
    memcpy(s->payload_hex, s->content_sha, s->content_sha_len);
    s->payload_hex[s->content_sha_len] = '\0';
    payload = s->payload_hex;
  } else if (payload == NULL) {
    unsigned char digest[32];
    if (sigv4_sha256(&s->crypto, in->body ? in->body : "", in->body_len, digest) != 0)
      return UVAWS_ECRYPTO;
    sigv4_hex(digest, 32, s->payload_hex);
    payload = s->payload_hex;
  } else if (!query_mode && (in->flags & UVAWS_SIGV4_CONTENT_SHA256)) {
    snprintf(s->payload_hex, sizeof s->payload_hex, "%s", payload);
    payload = s->payload_hex;
  }

  /* Region and service are in the memo's key: the day decides the rest. */
  s->same_scope = same_shape && s->sts_prefix_len > 0 && memcmp(s->scope.data, s->date, 8) == 0;
  if (!s->same_scope) {
    s->sts_prefix_len = s->auth_prefix_len = 0;
    buf_reset(&s->scope);
    buf_add(&s->scope, s->date, 8);
    buf_addc(&s->scope, '/');
    buf_adds(&s->scope, in->region);
    buf_addc(&s->scope, '/');
    buf_adds(&s->scope, in->service);
    buf_adds(&s->scope, "/aws4_request");
    if (buf_str(&s->scope) == NULL)
      return UVAWS_ENOMEM;
  }

  if (same_shape) { /* s->out: uvaws_signer_sign_headers resets it or keeps its prefix */
    s->canon.len = s->memo.prefix_len;
    memcpy(s->canon.data + s->memo.date_off, s->amz_date, 16);
  } else {
    s->date_off = SIZE_MAX;
    rc = build_canonical(s, in, query_mode);
    if (rc != 0)
      return rc;
    if (!query_mode && s->date_off != SIZE_MAX)
      sigv4_memo_store(&s->memo, s->canon.len, s->date_off);
  }
  buf_adds(&s->canon, payload);
  if (buf_str(&s->canon) == NULL) {
    sigv4_memo_forget(&s->memo);
    return UVAWS_ENOMEM;
  }

  unsigned char digest[32];
  char canon_hex[65];
  if (sigv4_sha256(&s->crypto, s->canon.data, s->canon.len, digest) != 0)
    return UVAWS_ECRYPTO;
  sigv4_hex(digest, 32, canon_hex);
  if (s->same_scope) {
    s->sts.len = s->sts_prefix_len;
    memcpy(s->sts.data + sizeof ALGORITHM, s->amz_date, 16); /* after ALGORITHM "\n" */
  } else {
    buf_reset(&s->sts);
    buf_adds(&s->sts, ALGORITHM "\n");
    buf_add(&s->sts, s->amz_date, 16);
    buf_addc(&s->sts, '\n');
    buf_add(&s->sts, s->scope.data, s->scope.len);
    buf_addc(&s->sts, '\n');
    s->sts_prefix_len = s->sts.failed ? 0 : s->sts.len;
  }
  buf_add(&s->sts, canon_hex, 64);
  if (buf_str(&s->sts) == NULL)
    return UVAWS_ENOMEM;

  const sigv4_hmac_key_t *key =
      sigv4_signing_key(&s->crypto, in->secret_key, s->date, in->region, in->service);
  if (key == NULL || sigv4_hmac_keyed(&s->crypto, key, s->sts.data, s->sts.len, digest) != 0)
    return UVAWS_ECRYPTO;
  sigv4_hex(digest, 32, s->signature);

  /* Field by field: a memset of the whole struct compiled to a `rep stos`
   * whose start-up cost a fifth of this function's own time. */
  for (size_t i = 0; i < sizeof out->headers / sizeof *out->headers; i++)
    out->headers[i] = (uvaws_kv_t){NULL, NULL};
  out->header_count = 0;
  out->url = NULL;
  out->signature = s->signature;
  out->signed_headers = s->signed_headers.data;
  out->canonical_request = s->canon.data;
  out->string_to_sign = s->sts.data;
  return 0;
}

int uvaws_signer_sign_headers(uvaws_signer_t *s, const uvaws_sigv4_input_t *in,
                             uvaws_sigv4_output_t *out) {
  if (s == NULL || in == NULL || out == NULL)
    return UVAWS_EINVAL;
  int rc = sign(s, in, 0, out);
  if (rc != 0)
    return rc;
  buf_t *b = &s->out;
  if (s->same_scope && s->auth_prefix_len > 0) {
    b->len = s->auth_prefix_len;
  } else {
    buf_reset(b);
    buf_adds(b, ALGORITHM " Credential=");
    buf_adds(b, in->access_key);
    buf_addc(b, '/');
    buf_add(b, s->scope.data, s->scope.len);
    buf_adds(b, ", SignedHeaders=");
    buf_add(b, s->signed_headers.data, s->signed_headers.len);
    buf_adds(b, ", Signature=");
    s->auth_prefix_len = b->failed ? 0 : b->len;
  }
  buf_add(b, s->signature, 64);
  if (buf_str(b) == NULL)
    return UVAWS_ENOMEM;
  size_t n = 0;
  out->headers[n++] = (uvaws_kv_t){"X-Amz-Date", s->amz_date};
  if (nonempty(in->session_token))
    out->headers[n++] = (uvaws_kv_t){"X-Amz-Security-Token", in->session_token};
  if (adds_content_sha(s, in))
    out->headers[n++] = (uvaws_kv_t){"x-amz-content-sha256", s->payload_hex};
  out->headers[n++] = (uvaws_kv_t){"Authorization", b->data};
  out->header_count = n;
  return 0;
}

static void add_param(buf_t *b, const char *name, const char *value) {
  if (b->len > 0 && b->data[b->len - 1] != '?')
    buf_addc(b, '&');
  canon_encode(b, name, strlen(name), 0);
  buf_addc(b, '=');
  if (value != NULL)
    canon_encode(b, value, strlen(value), 0);
}

int uvaws_signer_presign(uvaws_signer_t *s, const uvaws_sigv4_input_t *in, unsigned expires_s,
                        uvaws_sigv4_output_t *out) {
  if (s == NULL || in == NULL || out == NULL)
    return UVAWS_EINVAL;
  if (expires_s == 0 || expires_s > UVAWS_SIGV4_MAX_EXPIRES)
    return UVAWS_EEXPIRES;
  if (in->scheme != NULL && strcmp(in->scheme, "https") != 0 && strcmp(in->scheme, "http") != 0)
    return UVAWS_EINVAL;
  num_text(expires_s, s->expires); /* its integer path: no snprintf */
  int rc = sign(s, in, 1, out);
  if (rc != 0)
    return rc;

  size_t host_len;
  const char *host = host_value(in, &host_len);

  /* s->out held the credential; the scratch buffer is free now. */
  buf_t *b = &s->scratch;
  buf_reset(b);
  buf_adds(b, in->scheme ? in->scheme : "https");
  buf_adds(b, "://");
  buf_add(b, host, host_len);
  buf_adds(b, in->path);
  buf_addc(b, '?');
  for (size_t i = 0; i < in->query_count; i++)
    if (!is_auth_param(in->query[i].name))
      add_param(b, in->query[i].name, in->query[i].value);
  add_param(b, "X-Amz-Algorithm", ALGORITHM);
  add_param(b, "X-Amz-Credential", buf_str(&s->out));
  add_param(b, "X-Amz-Date", s->amz_date);
  add_param(b, "X-Amz-SignedHeaders", s->signed_headers.data);
  add_param(b, "X-Amz-Expires", s->expires);
  if (nonempty(in->session_token))
    add_param(b, "X-Amz-Security-Token", in->session_token);
  add_param(b, "X-Amz-Signature", s->signature);
  buf_reset(&s->out);
  buf_add(&s->out, b->data, b->len);
  if (b->failed || buf_str(&s->out) == NULL)
    return UVAWS_ENOMEM;
  out->url = s->out.data;
  return 0;
}

char *uvaws_uri_encode_path(const char *path) {
  if (path == NULL)
    return NULL;
  size_t n = strlen(path);
  char *dst = malloc(3 * n + 1);
  if (dst != NULL)
    canon_uri_encode(path, n, 1, dst);
  return dst;
}
