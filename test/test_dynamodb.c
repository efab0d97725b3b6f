/* Raw signed fetches against dynalite, the DynamoDB emulator: CreateTable,
 * PutItem, GetItem, DeleteItem, and an AWS error parsed into type and message.
 * dynalite checks the signature's shape and scope, so a malformed
 * Authorization header fails here too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "testutil.h"

static const char *dynalite;
static uv_loop_t loop;
static uvaws_client_t *client;

/* One DynamoDB call, waited for; returns the parsed answer (or NULL) and
 * leaves the response's error code in *code. */
static cJSON *ddb(const char *op, const char *body, int *code, char *type, size_t type_len) {
  char target[96];
  snprintf(target, sizeof target, "DynamoDB_20120810.%s", op);
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", target}};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  int err;
  uvaws_future_t *f = uvaws_fetch_future(client, &req, &err);
  assert_non_null(f);
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(f, &r), 0);
  *code = r->error ? r->error->code : 0;
  if (type)
    snprintf(type, type_len, "%s", r->error && r->error->aws_type ? r->error->aws_type : "");
  if (r->error && r->error->code != UVAWS_EAWS)
    print_error("%s: %s %s\n", op, uvaws_err_name(r->error->code),
                r->error->detail ? r->error->detail : "");
  cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
  uvaws_future_release(f);
  return j;
}

static void test_table_lifecycle(void **state) {
  (void)state;
  int code;
  cJSON *j = ddb("CreateTable",
                 "{\"TableName\":\"uvaws_items\",\"AttributeDefinitions\":[{\"AttributeName\":"
                 "\"id\",\"AttributeType\":\"S\"}],\"KeySchema\":[{\"AttributeName\":\"id\","
                 "\"KeyType\":\"HASH\"}],\"BillingMode\":\"PAY_PER_REQUEST\"}",
                 &code, NULL, 0);
  assert_int_equal(code, 0);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
                          cJSON_GetObjectItem(j, "TableDescription"), "TableName")),
                      "uvaws_items");
  cJSON_Delete(j);
  /* CREATING until ACTIVE: writing before that may find no table */
  for (int i = 0; i < 600; i++) {
    j = ddb("DescribeTable", "{\"TableName\":\"uvaws_items\"}", &code, NULL, 0);
    const char *st = cJSON_GetStringValue(
        cJSON_GetObjectItem(cJSON_GetObjectItem(j, "Table"), "TableStatus"));
    int active = st && strcmp(st, "ACTIVE") == 0;
    cJSON_Delete(j);
    if (active)
      break;
    uv_sleep(50);
  }

  j = ddb("PutItem",
          "{\"TableName\":\"uvaws_items\",\"Item\":{\"id\":{\"S\":\"k1\"},"
          "\"name\":{\"S\":\"caf\xc3\xa9 \\u2603\"},\"n\":{\"N\":\"42\"}}}",
          &code, NULL, 0);
  assert_int_equal(code, 0);
  cJSON_Delete(j);

  j = ddb("GetItem", "{\"TableName\":\"uvaws_items\",\"Key\":{\"id\":{\"S\":\"k1\"}},"
                     "\"ConsistentRead\":true}",
          &code, NULL, 0);
  assert_int_equal(code, 0);
  cJSON *item = cJSON_GetObjectItem(j, "Item");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "name"), "S")),
                      "caf\xc3\xa9 \xe2\x98\x83");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "n"), "N")),
                      "42");
  cJSON_Delete(j);

  j = ddb("DeleteItem", "{\"TableName\":\"uvaws_items\",\"Key\":{\"id\":{\"S\":\"k1\"}},"
                        "\"ReturnValues\":\"ALL_OLD\"}",
          &code, NULL, 0);
  assert_int_equal(code, 0);
  assert_non_null(cJSON_GetObjectItem(j, "Attributes"));
  cJSON_Delete(j);

  j = ddb("GetItem", "{\"TableName\":\"uvaws_items\",\"Key\":{\"id\":{\"S\":\"k1\"}}}", &code,
          NULL, 0);
  assert_int_equal(code, 0);
  assert_null(cJSON_GetObjectItem(j, "Item")); /* deleted */
  cJSON_Delete(j);
}

static void test_resource_not_found(void **state) {
  (void)state;
  int code;
  char type[128];
  uvaws_kv_t h[] = {{"Content-Type", "application/x-amz-json-1.0"},
                    {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  const char *body = "{\"TableName\":\"no_such_table\",\"Key\":{\"id\":{\"S\":\"x\"}}}";
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "POST", .path = "/", .headers = h, .header_count = 2,
                         .body = body, .body_len = strlen(body)};
  uvaws_future_t *f = uvaws_fetch_future(client, &req, NULL);
  const uvaws_response_t *r;
  assert_int_equal(uvaws_future_wait(f, &r), 0);
  assert_non_null(r->error);
  assert_int_equal(r->error->code, UVAWS_EAWS);
  assert_int_equal(r->status, 400);
  assert_string_equal(r->error->aws_type, "ResourceNotFoundException");
  assert_non_null(r->error->message);
  assert_non_null(strstr(r->error->message, "not found"));
  assert_non_null(r->error->request_id);
  uvaws_future_release(f);

  cJSON_Delete(ddb("DescribeTable", "{\"TableName\":\"missing\"}", &code, type, sizeof type));
  assert_int_equal(code, UVAWS_EAWS);
  assert_string_equal(type, "ResourceNotFoundException");
}

static int setup(void **state) {
  (void)state;
  uv_loop_init(&loop);
  uvaws_client_options_t o = test_options(dynalite);
  o.max_clients = 16;
  return uvaws_client_new(&loop, &o, &client, NULL);
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

static int teardown(void **state) {
  (void)state;
  uvaws_client_close(client, on_closed, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  return uv_loop_close(&loop);
}

int main(void) {
  dynalite = need_env("UVAWS_TEST_DYNALITE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_lifecycle),
      cmocka_unit_test(test_resource_not_found),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
