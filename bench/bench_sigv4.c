/* SigV4 signing benchmark: nanoseconds per signature.
 *
 * Cases: a DynamoDB GetItem request signed for headers with the signing key
 * cached (the steady state of a client), the same with a key derived every
 * time (the first request of a day, or of new credentials), an S3 presigned
 * GET URL, and the OpenSSL work a signature cannot avoid (two SHA-256 and one
 * HMAC on the same bytes), so what canonicalization costs on top is visible.
 *
 * libcurl's own signing (CURLOPT_AWS_SIGV4) is measured as the difference of
 * two in-process transfers, signed and not (bench_sigv4_curl.h).
 *
 * Time is the measuring thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
 * Every case is warmed up for WARMUP_NS, which also tells its rate and sets
 * N so that a run of N iterations lasts ~TARGET_RUN_NS (long enough to swamp
 * the clock read, short enough to keep the whole benchmark in seconds). Then
 * the runs are interleaved: run r of every case, in an order that rotates
 * with r, before run r+1 of any, so that a slow moment of the machine hits
 * every case alike. The median run is the figure (the minimum is printed
 * too), and "x floor" is the median over the runs of a case's time over the
 * floor's in the same run. The peers in peers/ measure the same way (their
 * runs are not interleaved with these).
 *
 *   bench_sigv4 [--json] [--check] [--runs N] [--only NAME] [--count N]
 *     --json   one JSON object a line instead of the table
 *     --check  print the GetItem signature and the presigned URL at the fixed
 *              time, for comparing with other signers, and exit
 *     --only   run one case (uvaws_cached, uvaws_cold, uvaws_presign_s3,
 *              openssl_floor, openssl_floor_evp_mac, libcurl_plain,
 *              libcurl_sigv4): for profiling
 *     --count  with --only: run the case exactly N times, untimed, and exit
 *              (instruction counts under callgrind: the difference of two
 *              counts over the difference of their N is the cost of one)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "bench_sigv4_curl.h"
#include "bench_sigv4_req.h"
#include "uvaws.h"

#define WARMUP_NS 300000000 /* 0.3 s */
#define TARGET_RUN_NS 100000000.0 /* 0.1 s */
#define MAX_RUNS 31

typedef struct {
  uvaws_signer_t *signer;
  uvaws_sigv4_input_t in;
  int64_t t; /* advanced per iteration by the cold-key case */
  /* the OpenSSL floor */
  EVP_MD *sha256;
  EVP_MD_CTX *md, *inner, *outer; /* inner, outer: HMAC states after the pads */
  EVP_MAC_CTX *mac;
  const char *canon, *sts;
  size_t canon_len, sts_len;
  curl_signer_t *curl_plain, *curl_sigv4;
} ctx_t;

typedef int (*op_fn)(ctx_t *c);

static volatile unsigned char sink; /* keeps results observable */

/* The thread's CPU time, not the wall clock: on a shared machine the time a
 * case spends descheduled is not its own, and libcurl's transfers wait for
 * the thread that answers them, which is not signing either. */
static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int op_cached(ctx_t *c) {
  uvaws_sigv4_output_t out;
  int rc = uvaws_signer_sign_headers(c->signer, &c->in, &out);
  sink = (unsigned char)out.signature[0];
  return rc;
}

/* A new day every iteration: the cache (a few entries) never hits, so each
 * signature pays the four-HMAC key derivation. */
static int op_cold(ctx_t *c) {
  c->t += 86400;
  c->in.timestamp = c->t;
  return op_cached(c);
}

static int op_presign(ctx_t *c) {
  uvaws_sigv4_output_t out;
  int rc = uvaws_signer_presign(c->signer, &c->in, BENCH_EXPIRES, &out);
  sink = (unsigned char)out.url[0];
  return rc;
}

static int sha(ctx_t *c, const void *p, size_t n, unsigned char d[32]) {
  unsigned int len = 0;
  return EVP_DigestInit_ex2(c->md, c->sha256, NULL) && EVP_DigestUpdate(c->md, p, n) &&
                 EVP_DigestFinal_ex(c->md, d, &len)
             ? 0
             : -1;
}

/* The crypto of one signature done the way the library does it (fetched
 * algorithm, reused digest context, HMAC resumed from copies of the states
 * after the key pads), with nothing else. */
static int op_floor(ctx_t *c) {
  unsigned char d[32];
  unsigned int n = 0;
  if (sha(c, c->in.body, c->in.body_len, d) != 0 || sha(c, c->canon, c->canon_len, d) != 0 ||
      !EVP_MD_CTX_copy_ex(c->md, c->inner) || !EVP_DigestUpdate(c->md, c->sts, c->sts_len) ||
      !EVP_DigestFinal_ex(c->md, d, &n) || !EVP_MD_CTX_copy_ex(c->md, c->outer) ||
      !EVP_DigestUpdate(c->md, d, 32) || !EVP_DigestFinal_ex(c->md, d, &n))
    return -1;
  sink = d[0];
  return 0;
}

/* The same with the HMAC as an EVP_MAC context keyed once and restarted with
 * EVP_MAC_init(ctx, NULL, 0, NULL): what the library did before, kept to
 * show why it no longer does. */
static int op_floor_evp_mac(ctx_t *c) {
  unsigned char d[32];
  size_t n = 0;
  if (sha(c, c->in.body, c->in.body_len, d) != 0 || sha(c, c->canon, c->canon_len, d) != 0 ||
      !EVP_MAC_init(c->mac, NULL, 0, NULL) ||
      !EVP_MAC_update(c->mac, (const unsigned char *)c->sts, c->sts_len) ||
      !EVP_MAC_final(c->mac, d, &n, sizeof d))
    return -1;
  sink = d[0];
  return 0;
}

static int op_curl_plain(ctx_t *c) { return curl_signer_run(c->curl_plain); }
static int op_curl_sigv4(ctx_t *c) { return curl_signer_run(c->curl_sigv4); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double median_of(const double *v, int n, double *min) {
  double t[MAX_RUNS];
  memcpy(t, v, (size_t)n * sizeof *t);
  qsort(t, (size_t)n, sizeof *t, cmp_double);
  if (min)
    *min = t[0];
  return t[n / 2];
}

typedef struct {
  const char *name, *label;
  void (*setup)(ctx_t *);
  op_fn op;
  long n;              /* iterations a run */
  double ns[MAX_RUNS]; /* ns per iteration, by run */
} case_t;

/* Warms a case up and sets its iterations per run. */
static int warm(ctx_t *c, case_t *k) {
  k->setup(c);
  long done = 0;
  int64_t t0 = now_ns(), dt = 0;
  while (dt < WARMUP_NS) {
    for (int i = 0; i < 64; i++)
      if (k->op(c) != 0)
        return -1;
    done += 64;
    dt = now_ns() - t0;
  }
  k->n = (long)(TARGET_RUN_NS * (double)done / (double)dt) + 1;
  return 0;
}

static int run_once(ctx_t *c, case_t *k, int r) {
  k->setup(c);
  int64_t t0 = now_ns();
  for (long i = 0; i < k->n; i++)
    if (k->op(c) != 0)
      return -1;
  k->ns[r] = (double)(now_ns() - t0) / (double)k->n;
  return 0;
}

static void set_getitem(ctx_t *c) {
  memset(&c->in, 0, sizeof c->in);
  c->in.access_key = BENCH_ACCESS_KEY;
  c->in.secret_key = BENCH_SECRET_KEY;
  c->in.region = BENCH_REGION;
  c->in.service = "dynamodb";
  c->in.timestamp = BENCH_TIMESTAMP;
  c->in.method = "POST";
  c->in.path = "/";
  c->in.headers = bench_getitem_headers;
  c->in.header_count = BENCH_GETITEM_HEADER_COUNT;
  c->in.body = BENCH_GETITEM_BODY;
  c->in.body_len = strlen(BENCH_GETITEM_BODY);
  c->t = BENCH_TIMESTAMP;
}

static void set_presign(ctx_t *c) {
  memset(&c->in, 0, sizeof c->in);
  c->in.access_key = BENCH_ACCESS_KEY;
  c->in.secret_key = BENCH_SECRET_KEY;
  c->in.region = BENCH_REGION;
  c->in.service = "s3";
  c->in.timestamp = BENCH_TIMESTAMP;
  c->in.method = "GET";
  c->in.path = BENCH_S3_PATH;
  c->in.headers = bench_s3_headers;
  c->in.header_count = BENCH_S3_HEADER_COUNT;
  c->in.payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD;
  c->in.flags = UVAWS_SIGV4_S3;
}

/* Copies of the canonical request and string to sign of the GetItem case, and
 * a MAC keyed with an arbitrary 32-byte key, for the floor. */
static int setup_floor(ctx_t *c) {
  uvaws_sigv4_output_t out;
  set_getitem(c);
  if (uvaws_signer_sign_headers(c->signer, &c->in, &out) != 0)
    return -1;
  c->canon = strdup(out.canonical_request);
  c->sts = strdup(out.string_to_sign);
  if (c->canon == NULL || c->sts == NULL)
    return -1;
  c->canon_len = strlen(c->canon);
  c->sts_len = strlen(c->sts);
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  c->md = EVP_MD_CTX_new();
  c->inner = EVP_MD_CTX_new();
  c->outer = EVP_MD_CTX_new();
  EVP_MAC *hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
  c->mac = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
  EVP_MAC_free(hmac); /* the context holds its own reference */
  if (c->sha256 == NULL || c->md == NULL || c->inner == NULL || c->outer == NULL || c->mac == NULL)
    return -1;
  unsigned char key[32] = {1, 2, 3}, ipad[64], opad[64];
  for (int i = 0; i < 64; i++) {
    ipad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x36);
    opad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ 0x5c);
  }
  if (!EVP_DigestInit_ex2(c->inner, c->sha256, NULL) || !EVP_DigestUpdate(c->inner, ipad, 64) ||
      !EVP_DigestInit_ex2(c->outer, c->sha256, NULL) || !EVP_DigestUpdate(c->outer, opad, 64))
    return -1;
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
      OSSL_PARAM_construct_end(),
  };
  if (!EVP_MAC_init(c->mac, key, sizeof key, params))
    return -1;
  c->curl_plain = curl_signer_new(0);
  c->curl_sigv4 = curl_signer_new(1);
  return c->curl_plain && c->curl_sigv4 ? 0 : -1;
}

static int check(ctx_t *c) {
  uvaws_sigv4_output_t out;
  set_getitem(c);
  if (uvaws_signer_sign_headers(c->signer, &c->in, &out) != 0)
    return 1;
  printf("getitem_signature %s\n", out.signature);
  printf("getitem_authorization %s\n", out.headers[out.header_count - 1].value);
  set_presign(c);
  if (uvaws_signer_presign(c->signer, &c->in, BENCH_EXPIRES, &out) != 0)
    return 1;
  printf("presign_signature %s\n", out.signature);
  printf("presign_url %s\n", out.url);
  return 0;
}

int main(int argc, char **argv) {
  int json = 0, only_check = 0, only_one = 0, runs = 7;
  long count = 0;
  const char *only = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--json") == 0)
      json = 1;
    else if (strcmp(argv[i], "--check") == 0)
      only_check = 1;
    else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
      runs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
      count = atol(argv[++i]);
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      only = argv[++i], only_one = 1;
    else {
      fprintf(stderr, "usage: %s [--json] [--check] [--runs N] [--only NAME [--count N]]\n",
              argv[0]);
      return 2;
    }
  }
  if (runs < 1 || runs > MAX_RUNS) {
    fprintf(stderr, "--runs must be 1 to %d\n", MAX_RUNS);
    return 2;
  }
  ctx_t c = {0};
  if (uvaws_signer_new(&c.signer) != 0) {
    fprintf(stderr, "uvaws_signer_new failed\n");
    return 1;
  }
  if (only_check) {
    int rc = check(&c);
    uvaws_signer_free(c.signer);
    return rc;
  }
  if (setup_floor(&c) != 0) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }

  case_t cases[] = {
      {"uvaws_cached", "uvaws (cached key)", set_getitem, op_cached, 0, {0}},
      {"uvaws_cold", "uvaws (cold key)", set_getitem, op_cold, 0, {0}},
      {"uvaws_presign_s3", "uvaws presign S3", set_presign, op_presign, 0, {0}},
      {"openssl_floor", "OpenSSL floor", set_getitem, op_floor, 0, {0}},
      {"openssl_floor_evp_mac", "OpenSSL floor (EVP_MAC)", set_getitem, op_floor_evp_mac, 0, {0}},
      {"libcurl_plain", "libcurl transfer, unsigned", set_getitem, op_curl_plain, 0, {0}},
      {"libcurl_sigv4", "libcurl transfer, CURLOPT_AWS_SIGV4", set_getitem, op_curl_sigv4, 0, {0}},
  };
  enum { FLOOR = 3, CURL_PLAIN = 5, CURL_SIGV4 = 6 };
  size_t nc = sizeof cases / sizeof *cases;
  int status = 0;
  if (count > 0 && only != NULL) {
    status = 2;
    for (size_t i = 0; i < nc; i++)
      if (strcmp(only, cases[i].name) == 0) {
        cases[i].setup(&c);
        status = 0;
        for (long k = 0; k < count && status == 0; k++)
          status = cases[i].op(&c) != 0;
      }
    if (status == 2)
      fprintf(stderr, "no case %s\n", only);
    goto done;
  }
  int use[sizeof cases / sizeof *cases];
  for (size_t i = 0; i < nc; i++) {
    /* The floor runs with every case: the ratios need it. */
    use[i] = only == NULL || strcmp(only, cases[i].name) == 0 || (i == FLOOR && !only_one);
    if (use[i] && warm(&c, &cases[i]) != 0) {
      fprintf(stderr, "%s: failed\n", cases[i].name);
      return 1;
    }
  }
  for (int r = 0; r < runs; r++)
    for (size_t j = 0; j < nc; j++) {
      size_t i = (j + (size_t)r) % nc;
      if (use[i] && run_once(&c, &cases[i], r) != 0) {
        fprintf(stderr, "%s: failed\n", cases[i].name);
        return 1;
      }
    }
  if (!json)
    printf("%-36s %12s %12s %10s %8s\n", "case", "median ns/op", "min ns/op", "iters/run",
           "x floor");
  for (size_t i = 0; i < nc + 1; i++) {
    /* The last row: libcurl's signing, run by run the signed transfer less
     * the unsigned one. */
    int diff = i == nc;
    if (diff ? !(use[CURL_PLAIN] && use[CURL_SIGV4]) : !use[i])
      continue;
    double ns[MAX_RUNS], x[MAX_RUNS], min, xmed = 0;
    for (int r = 0; r < runs; r++) {
      ns[r] = diff ? cases[CURL_SIGV4].ns[r] - cases[CURL_PLAIN].ns[r] : cases[i].ns[r];
      x[r] = use[FLOOR] ? ns[r] / cases[FLOOR].ns[r] : 0;
    }
    double med = median_of(ns, runs, &min);
    xmed = median_of(x, runs, NULL);
    const char *name = diff ? "libcurl_aws_sigv4" : cases[i].name;
    const char *label = diff ? "libcurl CURLOPT_AWS_SIGV4" : cases[i].label;
    long iters = diff ? cases[CURL_SIGV4].n : cases[i].n;
    char sig[80] = "";
    if (diff) { /* its signature, for the table's check */
      const char *a = strstr(curl_signer_authorization(c.curl_sigv4), "Signature=");
      if (a != NULL)
        snprintf(sig, sizeof sig, ",\"signature\":\"%.64s\"", a + 10);
    }
    if (json)
      printf("{\"bench\":\"sigv4\",\"name\":\"%s\",\"label\":\"%s\",\"median_ns\":%.1f,"
             "\"min_ns\":%.1f,\"iters\":%ld,\"runs\":%d,\"x_floor\":%.3f%s}\n",
             name, label, med, min, iters, runs, xmed, sig);
    else
      printf("%-36s %12.1f %12.1f %10ld %8.2f\n", label, med, min, iters, xmed);
    fflush(stdout);
  }
done:
  curl_signer_free(c.curl_plain);
  curl_signer_free(c.curl_sigv4);
  EVP_MAC_CTX_free(c.mac);
  EVP_MD_CTX_free(c.md);
  EVP_MD_CTX_free(c.inner);
  EVP_MD_CTX_free(c.outer);
  EVP_MD_free(c.sha256);
  free((void *)c.canon);
  free((void *)c.sts);
  uvaws_signer_free(c.signer);
  return status;
}
