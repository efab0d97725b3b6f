/* Checks on what credential sources answer (see creds_check.h). */
#include "creds_check.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "json_keys.h"
#include "rfc3339.h"
#include "url.h"

static int no_controls(const char *s) {
  for (; *s != '\0'; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return 0;
  return 1;
}

int creds_check_fields(const creds_t *c, const char **why) {
  const char *k = c->access_key;
  size_t n = k ? strlen(k) : 0;
  if (n == 0 || n > 128 || strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789-_.") != n) {
    *why = "AccessKeyId is empty, too long, or holds characters a key id cannot have";
    return -1;
  }
  if (c->secret_key == NULL || c->secret_key[0] == '\0' || !no_controls(c->secret_key)) {
    *why = "SecretAccessKey is empty or holds control characters";
    return -1;
  }
  if (c->session_token != NULL && (c->session_token[0] == '\0' || !no_controls(c->session_token))) {
    *why = "the session token is empty or holds control characters";
    return -1;
  }
  return 0;
}

/* A string member, or NULL; *bad set when it exists with another type. */
static const char *string_member(const cJSON *obj, const char *name, int *bad) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (v == NULL)
    return NULL;
  if (!cJSON_IsString(v) || v->valuestring == NULL) {
    *bad = 1;
    return NULL;
  }
  return v->valuestring;
}

int creds_from_object(const cJSON *obj, const char *token_field, int full, creds_t *out,
                      const char **why) {
  memset(out, 0, sizeof *out);
  int bad = 0;
  const char *ak = string_member(obj, "AccessKeyId", &bad);
  const char *sk = string_member(obj, "SecretAccessKey", &bad);
  const char *tok = string_member(obj, token_field, &bad);
  const char *exp = string_member(obj, "Expiration", &bad);
  const char *code = string_member(obj, "Code", &bad); /* instance metadata's verdict */
  if (!cJSON_IsObject(obj) || bad) {
    *why = "the answer is not a credentials object (a field has the wrong type)";
    return -1;
  }
  if (code != NULL && strcmp(code, "Success") != 0) {
    *why = "the answer's Code is not Success";
    return -1;
  }
  if (ak == NULL || sk == NULL || (full && (tok == NULL || tok[0] == '\0' || exp == NULL))) {
    *why = full ? "the answer lacks AccessKeyId, SecretAccessKey, the session token or Expiration"
                : "the answer lacks AccessKeyId or SecretAccessKey";
    return -1;
  }
  if (exp != NULL && rfc3339_parse(exp, strlen(exp), &out->expiration) != 0) {
    *why = "Expiration is not an RFC 3339 time (like 2026-11-23T20:05:36Z)";
    return -1;
  }
  if (exp != NULL && out->expiration == 0)
    out->expiration = -1; /* 0 means "never expires": the epoch itself has long passed */
  out->access_key = strdup(ak);
  out->secret_key = strdup(sk);
  out->session_token = tok && tok[0] ? strdup(tok) : NULL;
  if (out->access_key == NULL || out->secret_key == NULL || (tok && tok[0] && !out->session_token)) {
    creds_clear(out);
    *why = "out of memory";
    return -1;
  }
  if (creds_check_fields(out, why) != 0) {
    creds_clear(out);
    return -1;
  }
  return 0;
}

/* A JSON string cannot carry a NUL but as the escape \u0000. */
static int holds_nul(const char *text, size_t len) {
  if (memchr(text, '\0', len) != NULL)
    return 1;
  for (size_t i = 0; i + 6 <= len; i++)
    if (text[i] == '\\' && (text[i + 1] == 'u' || text[i + 1] == 'U') &&
        memcmp(text + i + 2, "0000", 4) == 0)
      return 1;
  return 0;
}

static cJSON *parse_answer(const char *text, size_t len, const char **why) {
  if (len > CREDS_MAX_ANSWER) {
    *why = "the answer is larger than 64 KiB";
    return NULL;
  }
  if (holds_nul(text, len)) {
    *why = "the answer holds a NUL character";
    return NULL;
  }
  cJSON *j = json_parse_last_wins(text, len); /* a repeated key: the CLI reads the last */
  if (j == NULL)
    *why = "the answer is not JSON";
  return j;
}

int creds_from_json_text(const char *text, size_t len, const char *token_field, int full,
                         creds_t *out, const char **why) {
  memset(out, 0, sizeof *out);
  cJSON *j = parse_answer(text, len, why);
  int rc = j != NULL ? creds_from_object(j, token_field, full, out, why) : -1;
  cJSON_Delete(j);
  return rc;
}

int creds_from_process_json(const char *text, size_t len, creds_t *out, const char **why) {
  memset(out, 0, sizeof *out);
  cJSON *j = parse_answer(text, len, why);
  int rc = -1;
  if (j != NULL) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "Version");
    if (!cJSON_IsNumber(v) || v->valuedouble != 1)
      *why = "its output lacks \"Version\": 1";
    else
      rc = creds_from_object(j, "SessionToken", 0, out, why);
  }
  cJSON_Delete(j);
  return rc;
}

/* ---- container URLs ----------------------------------------------------- */

static int allowed_http_host(const char *host) {
  if (strcasecmp(host, "localhost") == 0)
    return 1;
  unsigned char a[16];
  size_t n = strlen(host);
  if (n > 2 && n < 64 && host[0] == '[' && host[n - 1] == ']') {
    char v6[64];
    memcpy(v6, host + 1, n - 2);
    v6[n - 2] = '\0';
    if (inet_pton(AF_INET6, v6, a) != 1)
      return 0;
    static const unsigned char loop[16] = {[15] = 1};
    static const unsigned char eks[16] = {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23};
    static const unsigned char mapped[12] = {[10] = 0xff, [11] = 0xff};
    return memcmp(a, loop, 16) == 0 || memcmp(a, eks, 16) == 0 ||
           (memcmp(a, mapped, 12) == 0 && a[12] == 127);
  }
  if (inet_pton(AF_INET, host, a) != 1)
    return 0; /* a name: never looked up, so never trusted */
  return a[0] == 127 || (a[0] == 169 && a[1] == 254 && a[2] == 170 && (a[3] == 2 || a[3] == 23));
}

int creds_container_url(const char *text, char **normalized, const char **why) {
  *normalized = NULL;
  url_t u;
  if (url_parse(text, &u, why) != 0 || u.host == NULL || u.host[0] == '\0') {
    *why = "it is not a URL with a host";
    url_free(&u);
    return -1;
  }
  int rc = -1;
  if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
    *why = "its scheme is neither http nor https";
  else if (u.user != NULL || u.password != NULL || u.options != NULL)
    *why = "it holds a user name or password (user@host)";
  else if (u.zoneid != NULL)
    *why = "it names an IPv6 zone";
  else if (strcmp(u.scheme, "http") == 0 && !allowed_http_host(u.host))
    *why = "plain http is only allowed to a loopback address or the container agents' "
           "169.254.170.2, 169.254.170.23 and [fd00:ec2::23]";
  else if ((*normalized = strdup(u.full)) == NULL)
    *why = "out of memory";
  else
    rc = 0;
  url_free(&u);
  return rc;
}

int creds_role_name_ok(const char *s, size_t n) {
  if (n == 0 || n > 128)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          strchr("+=,.@_-", c) != NULL) || c == '\0')
      return 0;
  }
  return 1;
}
