/* Bulk DynamoDB writes and reads with callbacks: creates a table, writes N
 * items with up to 64 requests in flight, reads every one back, and prints
 * throughput and latency percentiles.
 *
 *   dynamodb_bulk [--endpoint URL] [--items N] [--concurrency N] [--table NAME]
 *
 * Credentials and region come from the usual variables (AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION); against a local
 * emulator any non-empty values do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvaws.h>

typedef struct {
  uvaws_client_t *client;
  const char *table;
  int items, next, done, failed;
  double *latency_ms;
  int phase; /* 0 write, 1 read */
  uint64_t phase_start;
} run_t;

static void submit_next(run_t *run);

static void on_item(const uvaws_response_t *r, void *arg) {
  run_t *run = arg;
  run->latency_ms[run->done++] = r->elapsed_ms;
  if (r->error != NULL) {
    if (run->failed++ < 5)
      fprintf(stderr, "  %s failed: %s %s %s\n", run->phase ? "GetItem" : "PutItem",
              uvaws_err_name(r->error->code), r->error->aws_type ? r->error->aws_type : "",
              r->error->message ? r->error->message : (r->error->detail ? r->error->detail : ""));
  } else if (run->phase == 1 && strstr(r->body, "\"Item\"") == NULL) {
    run->failed++;
  }
  submit_next(run);
}

static void submit_next(run_t *run) {
  if (run->next >= run->items)
    return;
  int i = run->next++;
  char body[256];
  if (run->phase == 0)
    snprintf(body, sizeof body,
             "{\"TableName\":\"%s\",\"Item\":{\"id\":{\"S\":\"item-%06d\"},"
             "\"n\":{\"N\":\"%d\"},\"payload\":{\"S\":\"uvaws bulk demo\"}}}",
             run->table, i, i);
  else
    snprintf(body, sizeof body, "{\"TableName\":\"%s\",\"Key\":{\"id\":{\"S\":\"item-%06d\"}}}",
             run->table, i);
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", run->phase ? "DynamoDB_20120810.GetItem"
                                                : "DynamoDB_20120810.PutItem"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  int rc = uvaws_fetch(run->client, &req, on_item, run, NULL);
  if (rc != 0) {
    fprintf(stderr, "fetch: %s\n", uvaws_strerror(rc));
    run->failed++;
    run->done++;
  }
}

/* A new table is CREATING for a while: wait until DynamoDB says ACTIVE. */
static int wait_code = -1;
static void on_active(const uvaws_error_t *err, void *arg) {
  (void)arg;
  wait_code = err ? err->code : 0;
}

static int wait_active(uv_loop_t *loop, uvaws_client_t *c, const char *table) {
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "TableName", table);
  /* the model's TableExists waiter, polling every 200 ms for up to two minutes */
  uvaws_wait_options_t wo = UVAWS_WAIT_OPTIONS_INIT;
  wo.delay_ms = 200;
  wo.max_attempts = 600;
  wo.timeout_ms = 120000;
  int rc = uvaws_wait_for(c, "TableExists", p, &wo, on_active, NULL, NULL);
  cJSON_Delete(p);
  if (rc == 0)
    uv_run(loop, UV_RUN_DEFAULT);
  return rc ? rc : wait_code;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void report(run_t *run, const char *what) {
  double secs = (double)(uv_hrtime() - run->phase_start) / 1e9;
  qsort(run->latency_ms, (size_t)run->done, sizeof(double), cmp_double);
  double p50 = run->latency_ms[run->done / 2];
  double p99 = run->latency_ms[(int)(run->done * 0.99)];
  printf("%-8s %6d items  %7.0f req/s  p50 %6.2f ms  p99 %6.2f ms  failed %d\n", what,
         run->done, run->done / secs, p50, p99, run->failed);
}

static int phase(uv_loop_t *loop, run_t *run, int which, int concurrency) {
  run->phase = which;
  run->next = run->done = run->failed = 0;
  run->phase_start = uv_hrtime();
  for (int i = 0; i < concurrency; i++)
    submit_next(run);
  uv_run(loop, UV_RUN_DEFAULT);
  report(run, which ? "GetItem" : "PutItem");
  return run->failed;
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

int main(int argc, char **argv) {
  const char *endpoint = getenv("AWS_ENDPOINT_URL_DYNAMODB");
  int items = 10000, concurrency = 64;
  const char *table = "uvaws_demo";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--items") == 0)
      items = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--concurrency") == 0)
      concurrency = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--table") == 0)
      table = argv[i + 1];
  }
  if (items <= 0 || concurrency <= 0) {
    fprintf(stderr, "usage: %s [--endpoint URL] [--items N] [--concurrency N] [--table NAME]\n",
            argv[0]);
    return 2;
  }
  const char *region = getenv("AWS_REGION");
  uvaws_client_options_t o = {
      .size = sizeof(uvaws_client_options_t),
      .service = "dynamodb",
      .region = region ? region : "us-east-1",
      .endpoint = endpoint,
      .access_key = getenv("AWS_ACCESS_KEY_ID"),
      .secret_key = getenv("AWS_SECRET_ACCESS_KEY"),
      .session_token = getenv("AWS_SESSION_TOKEN"),
      .max_clients = (unsigned)concurrency,
  };
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_t *client;
  uvaws_error_t err;
  int rc = uvaws_client_new(loop, &o, &client, &err);
  if (rc != 0) {
    fprintf(stderr, "cannot create the client: %s: %s\n", uvaws_err_name(rc),
            err.detail ? err.detail : uvaws_strerror(rc));
    uvaws_error_clear(&err);
    return 1;
  }
  printf("uvaws %s: DynamoDB at %s, %d items, %d in flight\n", UVAWS_VERSION_STRING,
         endpoint ? endpoint : "(AWS)", items, concurrency);

  char body[512];
  snprintf(body, sizeof body,
           "{\"TableName\":\"%s\",\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
           "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\",\"KeyType\":"
           "\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
           table);
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.CreateTable"}};
  uvaws_request_t create = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                            .body = body, .body_len = strlen(body)};
  uvaws_future_t *f = uvaws_fetch_future(client, &create, &rc);
  const uvaws_response_t *r;
  if (f == NULL || uvaws_future_wait(f, &r) != 0) {
    fprintf(stderr, "CreateTable: %s\n", uvaws_strerror(rc));
    return 1;
  }
  if (r->error && !(r->error->aws_type && strcmp(r->error->aws_type, "ResourceInUseException") == 0)) {
    fprintf(stderr, "CreateTable: %s %s\n", r->error->aws_type ? r->error->aws_type : "",
            r->error->message ? r->error->message : uvaws_strerror(r->error->code));
    return 1;
  }
  printf("table    %s %s\n", table, r->error ? "exists" : "created");
  uvaws_future_release(f);
  if ((rc = wait_active(loop, client, table)) != 0) {
    fprintf(stderr, "waiting for %s: %s\n", table, uvaws_strerror(rc));
    return 1;
  }

  run_t run = {.client = client, .table = table, .items = items};
  run.latency_ms = calloc((size_t)items, sizeof(double));
  int failed = phase(loop, &run, 0, concurrency);
  failed += phase(loop, &run, 1, concurrency);
  uvaws_client_stats_t st;
  uvaws_client_stats(client, &st);
  printf("total    %llu requests on %llu connections\n", (unsigned long long)st.completed,
         (unsigned long long)st.connections);
  free(run.latency_ms);
  uvaws_client_close(client, on_closed, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_loop_close(loop);
  return failed ? 1 : 0;
}
