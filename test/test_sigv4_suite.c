/* The official AWS SigV4 test suite, every case in header mode and in query
 * mode: canonical request, string to sign, signature and signed request must
 * all be identical to the published ones. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "suite_path.h"
#include "uvaws.h"

static const char *suite_dir;
static int n_passed, n_failed;

typedef struct {
  char name[256];
  int query_mode;
} case_t;

static char *slurp(const char *dir, const char *name) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *p = malloc((size_t)n + 1);
  if (p != NULL && fread(p, 1, (size_t)n, f) != (size_t)n) {
    free(p);
    p = NULL;
  }
  if (p != NULL)
    p[n] = '\0';
  fclose(f);
  return p;
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

/* Percent-decodes in place. */
static char *pct_decode(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (p[0] == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
      *o++ = (char)(hexval(p[1]) * 16 + hexval(p[2]));
      p += 2;
    } else {
      *o++ = *p;
    }
  }
  *o = '\0';
  return s;
}

#define MAX_ITEMS 64

/* A parsed HTTP request as the suite writes it. */
typedef struct {
  char *text; /* owns every string below */
  char *method, *path, *query;
  uvaws_kv_t headers[MAX_ITEMS];
  size_t header_count;
  uvaws_kv_t params[MAX_ITEMS];
  size_t param_count;
  const char *body;
  char *joined[MAX_ITEMS]; /* header values joined from continuation lines */
  size_t joined_count;
} request_t;

/* Splits "a=b&c" into decoded pairs. */
static size_t split_query(char *q, uvaws_kv_t *out) {
  size_t n = 0;
  while (q != NULL && *q != '\0' && n < MAX_ITEMS) {
    char *amp = strchr(q, '&');
    if (amp)
      *amp = '\0';
    char *eq = strchr(q, '=');
    if (eq)
      *eq = '\0';
    out[n].name = pct_decode(q);
    out[n].value = eq ? pct_decode(eq + 1) : "";
    n++;
    q = amp ? amp + 1 : NULL;
  }
  return n;
}

/* Parses request line, headers (obs-folded continuation lines joined with a
 * space, as RFC 9112 says a recipient does), blank line, body. */
static int parse_request(char *text, request_t *r) {
  memset(r, 0, sizeof *r);
  r->text = text;
  char *line_end = strchr(text, '\n');
  if (line_end == NULL)
    return -1;
  *line_end = '\0';
  r->method = text;
  char *sp = strchr(text, ' ');
  if (sp == NULL)
    return -1;
  *sp = '\0';
  r->path = sp + 1;
  sp = strrchr(r->path, ' '); /* before HTTP/1.1; paths may hold spaces */
  if (sp == NULL)
    return -1;
  *sp = '\0';
  char *qm = strchr(r->path, '?');
  if (qm) {
    *qm = '\0';
    r->query = qm + 1;
  }
  char *p = line_end + 1;
  r->body = "";
  while (*p != '\0') {
    char *e = strchr(p, '\n');
    if (e)
      *e = '\0';
    if (*p == '\0') { /* blank line: body follows */
      r->body = e ? e + 1 : "";
      break;
    }
    if ((*p == ' ' || *p == '\t') && r->header_count > 0) {
      uvaws_kv_t *h = &r->headers[r->header_count - 1];
      size_t a = strlen(h->value), b = strlen(p);
      char *joined = malloc(a + b + 2);
      memcpy(joined, h->value, a);
      joined[a] = ' ';
      memcpy(joined + a + 1, p, b + 1);
      h->value = joined;
      if (r->joined_count < MAX_ITEMS)
        r->joined[r->joined_count++] = joined;
    } else if (r->header_count < MAX_ITEMS) {
      char *colon = strchr(p, ':');
      if (colon == NULL)
        return -1;
      *colon = '\0';
      r->headers[r->header_count].name = p;
      r->headers[r->header_count].value = colon + 1;
      r->header_count++;
    }
    if (e == NULL)
      break;
    p = e + 1;
  }
  char *qcopy = r->query ? strdup(r->query) : NULL;
  r->param_count = split_query(qcopy, r->params);
  r->query = qcopy;
  return 0;
}

static void free_request(request_t *r) {
  for (size_t i = 0; i < r->joined_count; i++)
    free(r->joined[i]);
  free(r->query);
  free(r->text);
}

static int text_eq(const char *what, const char *expected, const char *actual) {
  if (expected != NULL && actual != NULL && strcmp(expected, actual) == 0)
    return 1;
  print_error("%s differs\n--- expected\n%s\n--- actual\n%s\n", what, expected ? expected : "(none)",
              actual ? actual : "(none)");
  return 0;
}

static int cmp_kv(const void *a, const void *b) {
  const uvaws_kv_t *x = a, *y = b;
  int c = strcasecmp(x->name, y->name);
  return c ? c : strcmp(x->value, y->value);
}

/* Header mode: the published signed request holds the original headers and the
 * ones signing adds; compare them as sets (their order is not significant). */
static int signed_request_eq(const request_t *orig, const uvaws_sigv4_output_t *out,
                             char *expected_text) {
  request_t exp;
  if (parse_request(expected_text, &exp) != 0) {
    free(expected_text);
    return 0;
  }
  uvaws_kv_t mine[MAX_ITEMS];
  size_t n = 0;
  for (size_t i = 0; i < orig->header_count; i++)
    mine[n++] = orig->headers[i];
  for (size_t i = 0; i < out->header_count; i++)
    mine[n++] = out->headers[i];
  int ok = n == exp.header_count && strcmp(exp.method, orig->method) == 0 &&
           strcmp(exp.path, orig->path) == 0;
  if (ok) {
    qsort(mine, n, sizeof *mine, cmp_kv);
    qsort(exp.headers, n, sizeof *mine, cmp_kv);
    for (size_t i = 0; i < n && ok; i++)
      ok = strcasecmp(mine[i].name, exp.headers[i].name) == 0 &&
           strcmp(mine[i].value, exp.headers[i].value) == 0;
  }
  if (!ok)
    print_error("signed request headers differ\n");
  free_request(&exp);
  return ok;
}

/* Query mode: the URL's path must be the request's, and its parameters, decoded,
 * the published ones in the published order. */
static int presigned_eq(const char *url, char *expected_text) {
  request_t exp;
  if (parse_request(expected_text, &exp) != 0) {
    free(expected_text);
    return 0;
  }
  const char *target = strstr(url, "://");
  target = target ? strchr(target + 3, '/') : NULL;
  int ok = target != NULL;
  char *mine_q = NULL;
  uvaws_kv_t mine[MAX_ITEMS];
  size_t n = 0;
  if (ok) {
    const char *qm = strchr(target, '?');
    ok = qm != NULL && (size_t)(qm - target) == strlen(exp.path) &&
         strncmp(target, exp.path, (size_t)(qm - target)) == 0;
    if (ok) {
      mine_q = strdup(qm + 1);
      n = split_query(mine_q, mine);
    }
  }
  ok = ok && n == exp.param_count;
  for (size_t i = 0; ok && i < n; i++)
    ok = strcmp(mine[i].name, exp.params[i].name) == 0 &&
         strcmp(mine[i].value, exp.params[i].value) == 0;
  if (!ok)
    print_error("presigned URL differs\n--- expected target\n%s?%s\n--- actual URL\n%s\n", exp.path,
                exp.query ? exp.query : "", url);
  free_request(&exp);
  free(mine_q);
  return ok;
}

static int64_t parse_iso8601(const char *s) {
  struct tm tm = {0};
  if (strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
    return -1;
  return (int64_t)timegm(&tm);
}

static char *chomp(char *s) {
  if (s != NULL) {
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
      s[--n] = '\0';
  }
  return s;
}

static void run_case(void **state) {
  const case_t *c = *state;
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/%s", suite_dir, c->name);
  const char *prefix = c->query_mode ? "query" : "header";
  char fname[64];

  char *ctx_text = slurp(dir, "context.json");
  char *req_text = slurp(dir, "request.txt");
  assert_non_null(ctx_text);
  assert_non_null(req_text);
  cJSON *ctx = cJSON_Parse(ctx_text);
  assert_non_null(ctx);
  cJSON *creds = cJSON_GetObjectItem(ctx, "credentials");

  request_t req;
  assert_int_equal(parse_request(req_text, &req), 0);

  uvaws_sigv4_input_t in = {0};
  in.access_key = cJSON_GetStringValue(cJSON_GetObjectItem(creds, "access_key_id"));
  in.secret_key = cJSON_GetStringValue(cJSON_GetObjectItem(creds, "secret_access_key"));
  in.session_token = cJSON_GetStringValue(cJSON_GetObjectItem(creds, "token"));
  in.region = cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "region"));
  in.service = cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "service"));
  in.timestamp = parse_iso8601(cJSON_GetStringValue(cJSON_GetObjectItem(ctx, "timestamp")));
  in.method = req.method;
  in.path = req.path;
  in.query = req.params;
  in.query_count = req.param_count;
  in.headers = req.headers;
  in.header_count = req.header_count;
  in.body = req.body;
  in.body_len = strlen(req.body);
  if (cJSON_IsFalse(cJSON_GetObjectItem(ctx, "normalize")))
    in.flags |= UVAWS_SIGV4_NO_NORMALIZE;
  if (cJSON_IsTrue(cJSON_GetObjectItem(ctx, "sign_body")))
    in.flags |= UVAWS_SIGV4_CONTENT_SHA256;
  if (cJSON_IsTrue(cJSON_GetObjectItem(ctx, "omit_session_token")))
    in.flags |= UVAWS_SIGV4_TOKEN_UNSIGNED;
  unsigned expires = (unsigned)cJSON_GetNumberValue(cJSON_GetObjectItem(ctx, "expiration_in_seconds"));

  uvaws_signer_t *signer = NULL;
  assert_int_equal(uvaws_signer_new(&signer), 0);
  uvaws_sigv4_output_t out;
  int rc = c->query_mode ? uvaws_signer_presign(signer, &in, expires, &out)
                         : uvaws_signer_sign_headers(signer, &in, &out);
  int ok = rc == 0;
  if (!ok)
    print_error("signing failed: %s\n", uvaws_strerror(rc));

  const char *files[] = {"canonical-request", "string-to-sign", "signature"};
  const char *actual[3] = {ok ? out.canonical_request : NULL, ok ? out.string_to_sign : NULL,
                           ok ? out.signature : NULL};
  for (int i = 0; i < 3 && ok; i++) {
    snprintf(fname, sizeof fname, "%s-%s.txt", prefix, files[i]);
    char *expected = chomp(slurp(dir, fname));
    ok = text_eq(fname, expected, actual[i]);
    free(expected);
  }
  if (ok) {
    snprintf(fname, sizeof fname, "%s-signed-request.txt", prefix);
    char *expected = slurp(dir, fname);
    /* the comparison takes ownership of `expected` */
    ok = expected != NULL &&
         (c->query_mode ? presigned_eq(out.url, expected) : signed_request_eq(&req, &out, expected));
  }
  uvaws_signer_free(signer);
  free_request(&req);
  cJSON_Delete(ctx);
  free(ctx_text);
  if (ok)
    n_passed++;
  else
    n_failed++;
  assert_true(ok);
}

static int by_name(const void *a, const void *b) {
  return strcmp(((const case_t *)a)->name, ((const case_t *)b)->name);
}

int main(void) {
  char buf[1024];
  suite_dir = sigv4_suite_dir(buf, sizeof buf);
  DIR *d = opendir(suite_dir);
  if (d == NULL) {
    printf("sigv4 suite: not found at %s (set UVAWS_SIGV4_SUITE); skipped\n", suite_dir);
    return 77; /* meson's "skipped" */
  }
  case_t *cases = NULL;
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    char ctx[1280];
    struct stat st;
    snprintf(ctx, sizeof ctx, "%s/%s/context.json", suite_dir, e->d_name);
    if (e->d_name[0] == '.' || stat(ctx, &st) != 0)
      continue;
    cases = realloc(cases, (n + 2) * sizeof *cases);
    for (int q = 0; q < 2; q++) {
      snprintf(cases[n + q].name, sizeof cases[n + q].name, "%s", e->d_name);
      cases[n + q].query_mode = q;
    }
    n += 2;
  }
  closedir(d);
  qsort(cases, n, sizeof *cases, by_name);
  struct CMUnitTest *tests = calloc(n, sizeof *tests);
  char (*names)[300] = calloc(n, sizeof *names);
  for (size_t i = 0; i < n; i++) {
    snprintf(names[i], sizeof names[i], "%s [%s]", cases[i].name,
             cases[i].query_mode ? "query" : "header");
    tests[i].name = names[i];
    tests[i].test_func = run_case;
    tests[i].initial_state = &cases[i];
  }
  int failed = _cmocka_run_group_tests("sigv4_suite", tests, n, NULL, NULL);
  printf("sigv4 suite: %d passed, %d failed\n", n_passed, n_failed);
  free(tests);
  free(names);
  free(cases);
  return failed ? 1 : 0;
}
