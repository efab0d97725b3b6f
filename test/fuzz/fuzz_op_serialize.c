/* libFuzzer target for op_check() and op_serialize(): any bytes as the JSON
 * parameters of one of a few operations covering every protocol and every
 * place a member can go (JSON and form bodies, XML documents with
 * namespaces and attributes, URI labels greedy or not, query strings,
 * headers, header maps, payloads, host prefixes, idempotency tokens). Byte
 * 0 picks the operation, the rest is the JSON text. Whatever the check
 * accepts must serialize: a refusal there is a bug. Must never crash, hang
 * or leak. Needs the models ($UVAWS_MODEL_DIR). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_pick.h"
#include "op.h"

static const char *const ops[][2] = {
    {"dynamodb", "PutItem"},         {"sqs", "SetQueueAttributes"},
    {"ec2", "RunInstances"},         {"s3", "PutObject"},
    {"s3", "PutBucketAcl"},          {"s3", "GetObject"},
    {"route53", "ChangeResourceRecordSets"}, {"lambda", "Invoke"},
    {"s3control", "GetPublicAccessBlock"},   {"apigateway", "GetExport"},
    {"lex-runtime", "PostContent"},  {"connectcases", "SearchCases"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1)
    return 0;
  const model_t *m;
  const mop_t *op = fuzz_pick_op(ops, sizeof ops / sizeof *ops, data[0], &m);
  cJSON *params = cJSON_ParseWithLength((const char *)data + 1, size - 1);
  if (params == NULL || !cJSON_IsObject(params)) {
    cJSON_Delete(params);
    return 0;
  }
  op_plan_t plan;
  uvaws_error_t err = {0};
  if (op_check(m, op, params, &plan, &err) == 0) {
    op_req_t r;
    int rc = op_serialize(m, op, params, &plan, &r, &err);
    /* checked parameters the wire cannot carry: only these, by design */
    if (rc != 0 && rc != UVAWS_EPARAM)
      abort();
    op_req_free(&r);
  }
  uvaws_error_clear(&err);
  cJSON_Delete(params);
  return 0;
}
