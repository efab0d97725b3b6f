/* uvaws in the client benchmark, through the public API only: one client
 * (service dynamodb, static credentials, endpoint = the local nginx,
 * max_clients = --inflight), DynamoDB GetItem POSTs signed by uvaws, the
 * next one submitted from each answer's callback so that --inflight stay in
 * flight.
 *
 *   bench_client_uvaws --url http://127.0.0.1:PORT [--requests N] [--inflight N]
 *                      [--max-attempts N] [--call] [--cafile PEM] [--name NAME]
 *
 * Over https (--cafile trusts the bench's throwaway CA) the client offers
 * HTTP/2 and HTTP/1.1 as it always does: the server's ALPN answer decides.
 *
 * --call sends GetItem with uvaws_call (params serialized, answer parsed each
 * time) instead of uvaws_fetch: the cost of the operation layer.
 *   bench_client_uvaws --queue-heap N [--url URL]
 *
 * --sample N (the soak) records, every N answers, the resident set (from
 * /proc/self/statm) and the open descriptors (entries of /proc/self/fd), and
 * prints them as "samples": [[answers, rss_kb, fds], ...] in its JSON line.
 *
 * --max-attempts 1 turns retries off (the default is the SDKs' standard mode,
 * 3 attempts). --requests N --inflight N submits all N at once (the
 * 10,000-in-flight run).
 *
 * --queue-heap N measures what a queued request costs: with max_clients 64,
 * it submits 64 requests (they take the slots, and their easy handles), reads
 * mallinfo2(), submits N more without running the loop (they wait in the
 * queue), reads mallinfo2() again and prints the growth per queued request
 * less the 89 bytes of its body (which uvaws copies into the same
 * allocation). It never runs a request: the loop runs only to close. */
#include <dirent.h>
#include <malloc.h>
#include <unistd.h>

#include <uvaws.h>

#include "bench_client.h"

typedef struct {
  long answers, rss_kb, fds;
} sample_t;

typedef struct {
  uvaws_client_t *client;
  long started, ok, failed, total;
  cJSON *params; /* --call: GetItem through the operation layer */
  long sample_every;
  sample_t *samples;
  size_t sample_count, sample_cap;
} run_t;

static long rss_kb(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f == NULL)
    return -1;
  if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
    resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Open descriptors, less the one that lists them. */
static long open_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (d == NULL)
    return -1;
  long n = 0;
  while (readdir(d) != NULL)
    n++;
  closedir(d);
  return n - 3; /* ".", ".." and the directory's own descriptor */
}

static void take_sample(run_t *run) {
  if (run->sample_count == run->sample_cap) {
    size_t cap = run->sample_cap ? 2 * run->sample_cap : 256;
    sample_t *p = realloc(run->samples, cap * sizeof *p);
    if (p == NULL)
      return;
    run->samples = p;
    run->sample_cap = cap;
  }
  run->samples[run->sample_count++] =
      (sample_t){run->ok + run->failed, rss_kb(), open_fds()};
}

/* Counts an answer; samples the process every sample_every answers. */
static void answered(run_t *run) {
  if (run->sample_every > 0 && (run->ok + run->failed) % run->sample_every == 0)
    take_sample(run);
}

static const uvaws_kv_t headers[] = {
    {"Content-Type", GETITEM_TYPE},
    {"X-Amz-Target", GETITEM_TARGET},
};
static const char body[] = GETITEM_BODY;
static const uvaws_request_t request = {
    .size = sizeof(uvaws_request_t),
    .method = "POST",
    .path = "/",
    .headers = headers,
    .header_count = 2,
    .body = body,
    .body_len = sizeof body - 1,
};

static void on_answer(const uvaws_response_t *r, void *arg);
static void on_result(uvaws_result_t *res, void *arg);

static void submit(run_t *run) {
  run->started++;
  /* --call serializes the params and parses the answer every time: what the
   * operation layer adds over a raw fetch of the same request. */
  int rc = run->params ? uvaws_call(run->client, "GetItem", run->params, on_result, run, NULL)
                       : uvaws_fetch(run->client, &request, on_answer, run, NULL);
  if (rc != 0) {
    fprintf(stderr, "uvaws_fetch: %s\n", uvaws_strerror(rc));
    run->failed++;
  }
}

static void on_answer(const uvaws_response_t *r, void *arg) {
  run_t *run = arg;
  if (r->error == NULL && r->status == 200 && r->body_len > 0 && r->body[0] == '{') {
    run->ok++;
  } else if (run->failed++ < 5) {
    fprintf(stderr, "request failed: %s %s (HTTP %ld)\n",
            r->error ? uvaws_err_name(r->error->code) : "",
            r->error && r->error->detail ? r->error->detail : "", r->status);
  }
  answered(run);
  if (run->started < run->total)
    submit(run);
}

static void on_result(uvaws_result_t *res, void *arg) {
  run_t *run = arg;
  if (res->error == NULL && cJSON_GetObjectItem(res->output, "Item") != NULL) {
    run->ok++;
  } else if (run->failed++ < 5) {
    fprintf(stderr, "call failed: %s\n", res->error ? uvaws_err_name(res->error->code) : "no Item");
  }
  answered(run);
  if (run->started < run->total)
    submit(run);
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

static void on_cancelled(const uvaws_response_t *r, void *arg) {
  (void)r;
  (void)arg;
}

static size_t heap_in_use(void) {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd; /* small blocks in use + mmapped blocks */
}

static int queue_heap(uvaws_client_t *client, long n) {
  uv_loop_t *loop = uvaws_client_loop(client);
  for (int i = 0; i < 64; i++)
    if (uvaws_fetch(client, &request, on_cancelled, NULL, NULL) != 0)
      return 1;
  size_t before = heap_in_use();
  for (long i = 0; i < n; i++)
    if (uvaws_fetch(client, &request, on_cancelled, NULL, NULL) != 0)
      return 1;
  size_t after = heap_in_use();
  uvaws_client_stats_t st;
  uvaws_client_stats(client, &st);
  double per = (double)(after - before) / (double)n;
  printf("{\"name\":\"uvaws_queue_heap\",\"queued\":%zu,\"in_flight\":%zu,"
         "\"heap_growth_bytes\":%zu,\"bytes_per_queued\":%.1f,\"body_bytes\":%zu,"
         "\"bytes_per_queued_less_body\":%.1f}\n",
         st.queued, st.in_flight, after - before, per, sizeof body - 1,
         per - (double)(sizeof body - 1));
  uvaws_client_close(client, on_closed, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}

int main(int argc, char **argv) {
  int use_call = 0;
  bench_args_t a = {.name = "uvaws", .requests = 100000, .inflight = 64};
  long heap_n = 0, sample_every = 0;
  unsigned max_attempts = 0;
  for (int i = 1; i < argc;) {
    int used = bench_arg(&a, argc, argv, i);
    if (used > 0) {
      i += used;
    } else if (used == 0 && strcmp(argv[i], "--max-attempts") == 0 && i + 1 < argc) {
      max_attempts = (unsigned)atoi(argv[i + 1]);
      i += 2;
    } else if (used == 0 && strcmp(argv[i], "--call") == 0) {
      use_call = 1;
      i++;
    } else if (used == 0 && strcmp(argv[i], "--sample") == 0 && i + 1 < argc) {
      sample_every = atol(argv[i + 1]);
      i += 2;
    } else if (used == 0 && strcmp(argv[i], "--queue-heap") == 0 && i + 1 < argc) {
      heap_n = atol(argv[i + 1]);
      i += 2;
    } else {
      fprintf(stderr,
              "usage: %s --url URL [--requests N] [--inflight N] [--max-attempts N] [--call]"
              " [--cafile PEM] [--sample N] [--name NAME]\n"
              "       %s --queue-heap N [--url URL]\n",
              argv[0], argv[0]);
      return 2;
    }
  }
  if (heap_n > 0) {
    a.inflight = 64;
    if (a.url == NULL)
      a.url = "http://127.0.0.1:9"; /* never connected to */
  }
  if (a.url == NULL || a.requests <= 0 || a.inflight <= 0) {
    fprintf(stderr, "%s: --url is required; counts must be positive\n", argv[0]);
    return 2;
  }
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_options_t o = {
      .size = sizeof(uvaws_client_options_t),
      .service = "dynamodb",
      .region = "us-east-1",
      .endpoint = a.url,
      .access_key = BENCH_ACCESS_KEY,
      .secret_key = BENCH_SECRET_KEY,
      .max_clients = (unsigned)a.inflight,
      .max_attempts = max_attempts,
      .ca_file = a.cafile,
  };
  uvaws_client_t *client;
  uvaws_error_t err = {0};
  int rc = uvaws_client_new(loop, &o, &client, &err);
  if (rc != 0) {
    fprintf(stderr, "uvaws_client_new: %s: %s\n", uvaws_err_name(rc),
            err.detail ? err.detail : "");
    uvaws_error_clear(&err);
    return 1;
  }
  if (heap_n > 0)
    return queue_heap(client, heap_n);

  run_t run = {.client = client, .total = a.requests, .sample_every = sample_every};
  if (use_call)
    run.params = cJSON_Parse(body);
  long first = a.inflight < a.requests ? a.inflight : a.requests;
  double t0 = bench_now_s();
  bench_cpu_t c0 = bench_cpu();
  for (long i = 0; i < first; i++)
    submit(&run);
  uv_run(loop, UV_RUN_DEFAULT);
  double wall = bench_now_s() - t0;
  bench_cpu_t c1 = bench_cpu();
  uvaws_client_stats_t st;
  uvaws_client_stats(client, &st);
  size_t cap = 160 + run.sample_count * 64;
  char *extra = malloc(cap);
  if (extra == NULL)
    return 1;
  int len = snprintf(extra, cap, "\"attempts\":%llu,\"retries\":%llu",
                     (unsigned long long)st.attempts, (unsigned long long)st.retries);
  if (run.sample_count > 0) {
    len += snprintf(extra + len, cap - (size_t)len, ",\"samples\":[");
    for (size_t i = 0; i < run.sample_count; i++)
      len += snprintf(extra + len, cap - (size_t)len, "%s[%ld,%ld,%ld]", i ? "," : "",
                      run.samples[i].answers, run.samples[i].rss_kb, run.samples[i].fds);
    snprintf(extra + len, cap - (size_t)len, "]");
  }
  bench_report(&a, run.ok, run.failed, wall, c0, c1, (long)st.connections, extra);
  free(extra);
  free(run.samples);
  cJSON_Delete(run.params);
  uvaws_client_close(client, on_closed, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return run.failed ? 1 : 0;
}
