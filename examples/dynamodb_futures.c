/* The bulk DynamoDB example with futures instead of callbacks: submit a batch,
 * take a future for each request, wait for all of them, read the answers.
 *
 *   dynamodb_futures [--endpoint URL] [--items N] [--table NAME]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvaws.h>

static uvaws_future_t *put_item(uvaws_client_t *c, const char *table, int i) {
  char body[256];
  snprintf(body, sizeof body, "{\"TableName\":\"%s\",\"Item\":{\"id\":{\"S\":\"f-%06d\"},"
           "\"n\":{\"N\":\"%d\"}}}", table, i, i);
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.PutItem"}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  return uvaws_fetch_future(c, &req, NULL);
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

int main(int argc, char **argv) {
  const char *endpoint = getenv("AWS_ENDPOINT_URL_DYNAMODB"), *table = "uvaws_futures";
  int items = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--items") == 0)
      items = atoi(argv[i + 1]);
    else if (strcmp(argv[i], "--table") == 0)
      table = argv[i + 1];
  }
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_options_t o = {.size = sizeof(uvaws_client_options_t), .service = "dynamodb", .endpoint = endpoint, .max_clients = 64};
  uvaws_client_t *c;
  uvaws_error_t err;
  if (items <= 0 || uvaws_client_new(loop, &o, &c, &err) != 0) {
    fprintf(stderr, "client: %s\n", items <= 0 ? "--items must be positive" : err.detail);
    return 1;
  }
  /* CreateTable through the operation layer; an existing table is fine. */
  cJSON *params = cJSON_Parse("{\"AttributeDefinitions\":[{\"AttributeName\":\"id\","
                              "\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":"
                              "\"id\",\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}");
  cJSON_AddStringToObject(params, "TableName", table);
  char *body = cJSON_PrintUnformatted(params);
  cJSON_Delete(params);
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.CreateTable"}};
  uvaws_request_t create = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                            .body = body, .body_len = strlen(body)};
  uvaws_future_t *f = uvaws_fetch_future(c, &create, NULL);
  const uvaws_response_t *r;
  uvaws_future_wait(f, &r);
  printf("CreateTable: %s\n", r->error ? (r->error->aws_type ? r->error->aws_type : "error") : "ok");
  uvaws_future_release(f);
  free(body);
  if (wait_active(loop, c, table) != 0) {
    fprintf(stderr, "table %s never became ACTIVE\n", table);
    return 1;
  }

  uvaws_future_t **fs = calloc((size_t)items, sizeof *fs);
  for (int i = 0; i < items; i++)
    fs[i] = put_item(c, table, i);
  uvaws_future_t *all = uvaws_future_all(fs, (size_t)items);
  uint64_t t0 = uv_hrtime();
  uvaws_future_wait(all, &r); /* runs the loop until every put is answered */
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  int failed = 0;
  for (int i = 0; i < items; i++) {
    const uvaws_response_t *m = uvaws_future_response(fs[i]);
    failed += m->error != NULL;
    uvaws_future_release(fs[i]);
  }
  printf("PutItem: %d items in %.2f s (%.0f/s), %d failed; all: %s\n", items, secs,
         items / secs, failed, r->error ? "an error" : "ok");
  uvaws_future_release(all);
  free(fs);
  uvaws_client_close(c, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return failed ? 1 : 0;
}
