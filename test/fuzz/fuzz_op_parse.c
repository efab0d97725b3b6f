/* libFuzzer target for op_parse(): any bytes as the answer of one of a few
 * operations chosen to cover every protocol and every way of binding output
 * members (JSON bodies, query results, EC2's items, rest-xml with flattened
 * lists and attributes, headers typed from their text, header maps, status
 * codes). Byte 0 picks the operation; the first line after it, if any, is a
 * header block ("Name: value" separated by '|'); the rest is the body. Must
 * never crash, hang or leak; what parses must print as JSON. Needs the models
 * ($UVAWS_MODEL_DIR). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pick.h"
#include "op.h"

static const char *const ops[][2] = {
    {"dynamodb", "Query"},          {"dynamodb", "DescribeTable"},
    {"sqs", "ReceiveMessage"},      {"sts", "AssumeRole"},
    {"ec2", "DescribeInstances"},   {"s3", "ListObjectsV2"},
    {"s3", "HeadObject"},           {"s3", "GetBucketAcl"},
    {"route53", "ListHostedZones"}, {"lambda", "Invoke"},
    {"sesv2", "GetAccount"},        {"cloudfront", "GetDistribution"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const model_t *m;
  const mop_t *op = fuzz_pick_op(ops, sizeof ops / sizeof *ops, data[0], &m);
  char *copy = malloc(size);
  memcpy(copy, data + 1, size - 1);
  copy[size - 1] = '\0';
  /* headers: "A: b|C: d\n" */
  uvaws_kv_t h[16];
  size_t nh = 0;
  const char *body = copy;
  size_t body_len = size - 1;
  char *nl = memchr(copy, '\n', size - 1);
  if (nl != NULL) {
    *nl = '\0';
    body = nl + 1;
    body_len = (size_t)(copy + size - 1 - body);
    for (char *p = copy; p && *p && nh < 16;) {
      char *bar = strchr(p, '|');
      if (bar)
        *bar = '\0';
      char *colon = strchr(p, ':');
      if (colon) {
        *colon = '\0';
        h[nh++] = (uvaws_kv_t){p, colon + 1 + (colon[1] == ' ')};
      }
      p = bar ? bar + 1 : NULL;
    }
  }
  uvaws_response_t res = {.status = 200 + data[0] % 7, .headers = h, .header_count = nh,
                          .body = body, .body_len = body_len};
  cJSON *out = NULL;
  char *rid = NULL;
  uvaws_error_t err = {0};
  if (op_parse(m, op, &res, &out, &rid, &err) == 0) {
    char *text = cJSON_PrintUnformatted(out);
    cJSON *back = text ? cJSON_Parse(text) : NULL;
    if (back == NULL)
      abort(); /* an output that does not print as JSON */
    cJSON_Delete(back);
    free(text);
  }
  cJSON_Delete(out);
  free(rid);
  uvaws_error_clear(&err);
  free(copy);
  return 0;
}
