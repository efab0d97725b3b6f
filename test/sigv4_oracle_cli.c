/* Signs request descriptions read as JSON lines on stdin with uvaws and prints
 * one JSON line per request on stdout, for the differential test against
 * botocore (test/sigv4_differential.py), which does the comparing.
 *
 * Input, one object a line (strings are UTF-8; only "mode" and the scope are
 * required by this program, the signer validates the rest):
 *   {"mode": "header" | "query", "access_key", "secret_key", "session_token",
 *    "region", "service", "timestamp": seconds, "method", "path",
 *    "query": [[name, value|null], ...], "headers": [[name, value], ...],
 *    "body_hex": "00ff..", "payload_hash", "scheme", "expires": seconds,
 *    "flags": ["S3", "NO_NORMALIZE", "NO_DOUBLE_ENCODE", "CONTENT_SHA256",
 *              "TOKEN_UNSIGNED"]}
 * Output: {"rc": 0, "canonical_request", "string_to_sign", "signature",
 *          "signed_headers", "headers": [[name, value], ...], "url"}
 *      or {"rc": <negative code>, "error": "UVAWS_E..."}.
 *
 * One signer serves every line, so a run also exercises its key cache with
 * many credential sets in turn.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "uvaws.h"

static const char *str_item(const cJSON *o, const char *name) {
  return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

/* Converts [[name, value], ...]; a null value stays NULL. Returns the count or
 * -1 when the array is malformed. */
static long kv_array(const cJSON *arr, uvaws_kv_t **out) {
  *out = NULL;
  if (arr == NULL)
    return 0;
  if (!cJSON_IsArray(arr))
    return -1;
  int n = cJSON_GetArraySize(arr);
  uvaws_kv_t *kv = calloc((size_t)n + 1, sizeof *kv);
  if (kv == NULL)
    return -1;
  for (int i = 0; i < n; i++) {
    const cJSON *pair = cJSON_GetArrayItem(arr, i);
    const cJSON *v = cJSON_GetArrayItem(pair, 1);
    kv[i].name = cJSON_GetStringValue(cJSON_GetArrayItem(pair, 0));
    kv[i].value = cJSON_IsNull(v) ? NULL : cJSON_GetStringValue(v);
    if (kv[i].name == NULL || (!cJSON_IsNull(v) && kv[i].value == NULL)) {
      free(kv);
      return -1;
    }
  }
  *out = kv;
  return n;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Bodies travel as hex because JSON strings cannot hold arbitrary bytes. */
static unsigned char *unhex(const char *s, size_t *len) {
  size_t n = strlen(s);
  *len = 0;
  if (n % 2 != 0)
    return NULL;
  unsigned char *p = malloc(n / 2 + 1);
  if (p == NULL)
    return NULL;
  for (size_t i = 0; i < n / 2; i++) {
    int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      free(p);
      return NULL;
    }
    p[i] = (unsigned char)(hi * 16 + lo);
  }
  *len = n / 2;
  return p;
}

static int parse_flags(const cJSON *arr, unsigned *flags) {
  static const struct {
    const char *name;
    unsigned value;
  } names[] = {
      {"S3", UVAWS_SIGV4_S3},
      {"NO_NORMALIZE", UVAWS_SIGV4_NO_NORMALIZE},
      {"NO_DOUBLE_ENCODE", UVAWS_SIGV4_NO_DOUBLE_ENCODE},
      {"CONTENT_SHA256", UVAWS_SIGV4_CONTENT_SHA256},
      {"TOKEN_UNSIGNED", UVAWS_SIGV4_TOKEN_UNSIGNED},
  };
  *flags = 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, arr) {
    const char *s = cJSON_GetStringValue(f);
    size_t i = 0;
    while (i < sizeof names / sizeof *names && (s == NULL || strcmp(s, names[i].name) != 0))
      i++;
    if (i == sizeof names / sizeof *names)
      return -1;
    *flags |= names[i].value;
  }
  return 0;
}

static cJSON *error_line(int rc, const char *what) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddNumberToObject(o, "rc", rc);
  cJSON_AddStringToObject(o, "error", what);
  return o;
}

static cJSON *sign_line(uvaws_signer_t *signer, const cJSON *req) {
  uvaws_sigv4_input_t in = {0};
  uvaws_kv_t *query = NULL, *headers = NULL;
  unsigned char *body = NULL;
  cJSON *res = NULL;
  const char *mode = str_item(req, "mode");
  long nq = kv_array(cJSON_GetObjectItemCaseSensitive(req, "query"), &query);
  long nh = kv_array(cJSON_GetObjectItemCaseSensitive(req, "headers"), &headers);
  const cJSON *ts = cJSON_GetObjectItemCaseSensitive(req, "timestamp");
  const char *body_hex = str_item(req, "body_hex");
  if (mode == NULL || nq < 0 || nh < 0 || !cJSON_IsNumber(ts) ||
      parse_flags(cJSON_GetObjectItemCaseSensitive(req, "flags"), &in.flags) != 0) {
    res = error_line(UVAWS_EINVAL, "malformed request description");
    goto done;
  }
  if (body_hex != NULL && (body = unhex(body_hex, &in.body_len)) == NULL) {
    res = error_line(UVAWS_EINVAL, "malformed body_hex");
    goto done;
  }
  in.access_key = str_item(req, "access_key");
  in.secret_key = str_item(req, "secret_key");
  in.session_token = str_item(req, "session_token");
  in.region = str_item(req, "region");
  in.service = str_item(req, "service");
  in.timestamp = (int64_t)cJSON_GetNumberValue(ts);
  in.method = str_item(req, "method");
  in.path = str_item(req, "path");
  in.query = query;
  in.query_count = (size_t)nq;
  in.headers = headers;
  in.header_count = (size_t)nh;
  in.body = body;
  in.payload_hash = str_item(req, "payload_hash");
  in.scheme = str_item(req, "scheme");

  uvaws_sigv4_output_t out;
  int rc;
  if (strcmp(mode, "query") == 0) {
    double expires = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(req, "expires"));
    rc = uvaws_signer_presign(signer, &in, expires >= 0 && expires < 4e9 ? (unsigned)expires : 0,
                             &out);
  } else {
    rc = uvaws_signer_sign_headers(signer, &in, &out);
  }
  if (rc != 0) {
    res = error_line(rc, uvaws_err_name(rc));
    goto done;
  }
  res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "rc", 0);
  cJSON_AddStringToObject(res, "canonical_request", out.canonical_request);
  cJSON_AddStringToObject(res, "string_to_sign", out.string_to_sign);
  cJSON_AddStringToObject(res, "signature", out.signature);
  cJSON_AddStringToObject(res, "signed_headers", out.signed_headers);
  cJSON *hs = cJSON_AddArrayToObject(res, "headers");
  for (size_t i = 0; i < out.header_count; i++) {
    cJSON *pair = cJSON_CreateArray();
    cJSON_AddItemToArray(pair, cJSON_CreateString(out.headers[i].name));
    cJSON_AddItemToArray(pair, cJSON_CreateString(out.headers[i].value));
    cJSON_AddItemToArray(hs, pair);
  }
  if (out.url != NULL)
    cJSON_AddStringToObject(res, "url", out.url);
done:
  free(query);
  free(headers);
  free(body);
  return res;
}

int main(void) {
  uvaws_signer_t *signer = NULL;
  if (uvaws_signer_new(&signer) != 0) {
    fprintf(stderr, "sigv4_oracle_cli: cannot create a signer\n");
    return 1;
  }
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int status = 0;
  while ((n = getline(&line, &cap, stdin)) > 0) {
    if (line[0] == '\n')
      continue;
    cJSON *req = cJSON_ParseWithLength(line, (size_t)n);
    cJSON *res = req ? sign_line(signer, req) : error_line(UVAWS_EINVAL, "JSON does not parse");
    char *text = res ? cJSON_PrintUnformatted(res) : NULL;
    if (text == NULL) {
      fprintf(stderr, "sigv4_oracle_cli: out of memory\n");
      status = 1;
    } else {
      puts(text);
    }
    free(text);
    cJSON_Delete(res);
    cJSON_Delete(req);
    if (status != 0)
      break;
  }
  free(line);
  uvaws_signer_free(signer);
  return fflush(stdout) == 0 ? status : 1;
}
