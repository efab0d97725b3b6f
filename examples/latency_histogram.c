/* Where the time of a request goes: runs N operation calls against an
 * endpoint and turns the client's observation hook into a latency histogram
 * per phase (queued for a slot, waiting for credentials, signing,
 * connecting, to first byte, total), in logarithmic buckets: a row holds the
 * requests whose phase took from its bound's half up to its bound.
 *
 *   latency_histogram --endpoint URL [--service dynamodb] [--operation ListTables]
 *                     [--requests 200] [--concurrency 8]
 *
 * Credentials and region come as for the AWS CLI (environment, profile ...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvaws.h>

enum { QUEUED, CREDENTIALS, SIGNING, CONNECT, FIRST_BYTE, TOTAL, PHASES };
static const char *const phase_names[PHASES] = {"queued", "creds", "signing",
                                                "connect", "1st-byte", "total"};

/* Bucket 0: under 1 us; bucket k: [2^(k-1), 2^k) us; the last: the rest. */
#define BUCKETS 28

typedef struct {
  unsigned long counts[PHASES][BUCKETS];
  unsigned long observed, ok, failed;
  unsigned long max_attempts;
} histogram_t;

static int bucket_of(uint64_t us) {
  int b = 0;
  while (us > 0 && b < BUCKETS - 1) {
    us >>= 1;
    b++;
  }
  return b;
}

/* The hook: on the loop's thread, once per request, before its callback. */
static void on_observe(const uvaws_observation_t *o, void *arg) {
  histogram_t *h = arg;
  const uint64_t phase_us[PHASES] = {o->queued_us,  o->credentials_us, o->signing_us,
                                     o->connect_us, o->first_byte_us,  o->total_us};
  for (int p = 0; p < PHASES; p++)
    h->counts[p][bucket_of(phase_us[p])]++;
  h->observed++;
  if (o->attempts > h->max_attempts)
    h->max_attempts = o->attempts;
}

typedef struct {
  uvaws_client_t *client;
  const char *operation;
  histogram_t *h;
  unsigned long to_start, running;
} runner_t;

static void start_one(runner_t *r);

static void on_result(uvaws_result_t *res, void *arg) {
  runner_t *r = arg;
  r->running--;
  if (res->error) {
    r->h->failed++;
    fprintf(stderr, "%s: %s\n", r->operation,
            res->error->message ? res->error->message : uvaws_strerror(res->error->code));
  } else {
    r->h->ok++;
  }
  start_one(r);
  if (r->running == 0)
    uvaws_client_close(r->client, NULL, NULL);
}

static void start_one(runner_t *r) {
  if (r->to_start == 0)
    return;
  int rc = uvaws_call(r->client, r->operation, NULL, on_result, r, NULL);
  if (rc != 0) {
    fprintf(stderr, "%s: %s\n", r->operation, uvaws_strerror(rc));
    r->to_start = 0;
    return;
  }
  r->to_start--;
  r->running++;
}

static void bucket_label(int b, char *out, size_t n) {
  if (b == 0) {
    snprintf(out, n, "< 1 us");
    return;
  }
  if (b == BUCKETS - 1) {
    snprintf(out, n, ">= %.0f s", (double)(1ull << (b - 1)) / 1e6);
    return;
  }
  uint64_t bound = 1ull << b; /* exclusive upper bound, us */
  if (bound < 1000)
    snprintf(out, n, "< %llu us", (unsigned long long)bound);
  else if (bound < 1000000)
    snprintf(out, n, "< %.1f ms", (double)bound / 1e3);
  else
    snprintf(out, n, "< %.2f s", (double)bound / 1e6);
}

static void print_histogram(const histogram_t *h) {
  int first = BUCKETS, last = -1;
  for (int p = 0; p < PHASES; p++)
    for (int b = 0; b < BUCKETS; b++)
      if (h->counts[p][b]) {
        first = b < first ? b : first;
        last = b > last ? b : last;
      }
  printf("%-11s", "bucket");
  for (int p = 0; p < PHASES; p++)
    printf(" %9s", phase_names[p]);
  printf("\n");
  for (int b = first; b <= last; b++) {
    char label[32];
    bucket_label(b, label, sizeof label);
    printf("%-11s", label);
    for (int p = 0; p < PHASES; p++)
      printf(" %9lu", h->counts[p][b]);
    printf("\n");
  }
}

int main(int argc, char **argv) {
  const char *endpoint = NULL, *service = "dynamodb", *operation = "ListTables";
  unsigned long requests = 200, concurrency = 8;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--service") == 0)
      service = argv[i + 1];
    else if (strcmp(argv[i], "--operation") == 0)
      operation = argv[i + 1];
    else if (strcmp(argv[i], "--requests") == 0)
      requests = strtoul(argv[i + 1], NULL, 10);
    else if (strcmp(argv[i], "--concurrency") == 0)
      concurrency = strtoul(argv[i + 1], NULL, 10);
    else
      break;
  }
  if (endpoint == NULL || requests == 0 || concurrency == 0) {
    fprintf(stderr, "usage: %s --endpoint URL [--service S] [--operation OP] "
                    "[--requests N] [--concurrency C]\n", argv[0]);
    return 2;
  }
  uv_loop_t *loop = uv_default_loop();
  static histogram_t h;
  uvaws_client_options_t o = UVAWS_CLIENT_OPTIONS_INIT;
  o.service = service;
  o.endpoint = endpoint;
  o.max_clients = (unsigned)concurrency;
  o.observe = on_observe;
  o.observe_arg = &h;
  uvaws_client_t *client;
  uvaws_error_t err;
  if (uvaws_client_new(loop, &o, &client, &err) != 0) {
    fprintf(stderr, "client: %s\n", err.detail ? err.detail : uvaws_strerror(err.code));
    uvaws_error_clear(&err);
    return 1;
  }
  /* twice as many submitted as can go at once: the rest wait in the queue */
  runner_t r = {client, operation, &h, requests, 0};
  for (unsigned long i = 0; i < 2 * concurrency && r.to_start > 0; i++)
    start_one(&r);
  if (r.running == 0)
    uvaws_client_close(client, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  printf("uvaws %s, %s %s: %lu requests, %lu ok, %lu failed, at most %lu attempts\n",
         uvaws_version_string(), service, operation, h.observed, h.ok, h.failed,
         h.max_attempts);
  print_histogram(&h);
  return h.failed || h.observed != requests ? 1 : 0;
}
