/* The operation layer's pure parts, one rule at a time, on the real models
 * (the differential test compares everything with botocore; these name the
 * rules): checks and their messages, URI labels (greedy and not), host
 * prefixes, idempotency tokens, headers, S3's addressing and copy source,
 * timestamps in and out, answers' lists, maps and headers, JMESPath (every
 * expression of every paginator and waiter of the models), suggestions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "call_internal.h"
#include "jmespath.h"
#include "op.h"
#include "op_value.h"
#include "sigv4_crypto.h"
#include "suggest.h"

/* Appends printf-style text (a line of test data, under 256 bytes). */
static void addf(buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addf(buf_t *b, const char *fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  assert_true(n >= 0 && (size_t)n < sizeof text);
  buf_adds(b, text);
}

static const model_t *M(const char *svc) {
  char why[256];
  const model_t *m = model_get(svc, why, sizeof why);
  if (m == NULL)
    fail_msg("%s: %s", svc, why);
  return m;
}

/* Checks and serializes; the request, or NULL with the error in *err. */
static op_req_t *ser(const char *svc, const char *opname, const char *json, uvaws_error_t *err) {
  const model_t *m = M(svc);
  const mop_t *op = model_op(m, opname);
  assert_non_null(op);
  cJSON *p = json ? cJSON_Parse(json) : NULL;
  if (json)
    assert_non_null(p);
  static op_req_t r;
  memset(&r, 0, sizeof r);
  memset(err, 0, sizeof *err);
  op_plan_t plan; /* as uvaws_call does */
  int rc = op_check(m, op, p, &plan, err);
  if (rc == 0)
    rc = op_serialize(m, op, p, &plan, &r, err);
  cJSON_Delete(p);
  if (rc != 0) {
    op_req_free(&r);
    return NULL;
  }
  return &r;
}

static const char *query_value(const op_req_t *r, const char *name) {
  for (size_t i = 0; i < r->query.count; i++)
    if (strcmp(r->query.kv[i].name, name) == 0)
      return r->query.kv[i].value;
  return NULL;
}

static void expect_problem(const char *svc, const char *op, const char *json, const char *text) {
  uvaws_error_t e;
  op_req_t *r = ser(svc, op, json, &e);
  if (r != NULL || e.message == NULL || strstr(e.message, text) == NULL)
    fail_msg("%s %s: wanted \"%s\" in \"%s\"", svc, op, text, e.message ? e.message : "(none)");
  uvaws_error_clear(&e);
}

/* ---- checks ---------------------------------------------------------------- */

static void test_checks(void **state) {
  (void)state;
  /* paths through lists and maps, and the map key itself */
  expect_problem("dynamodb", "PutItem", "{\"TableName\":\"abc\",\"Item\":{\"k\":{\"L\":[{\"S\":1}]}}}",
                 "Item.k.L[0].S: expected a string, got a number");
  expect_problem("dynamodb", "BatchGetItem", "{\"RequestItems\":{\"ab\":{\"Keys\":[]}}}",
                 "RequestItems (key ab): shorter than the minimum of 3");
  /* a list's minimum, a number's */
  expect_problem("dynamodb", "BatchGetItem", "{\"RequestItems\":{\"abc\":{\"Keys\":[]}}}",
                 "RequestItems.abc.Keys: shorter than the minimum of 1");
  expect_problem("dynamodb", "Scan", "{\"TableName\":\"abc\",\"Limit\":0}",
                 "Limit: below the minimum of 1");
  /* types */
  expect_problem("dynamodb", "Scan", "{\"TableName\":\"abc\",\"Limit\":1.5}", "Limit: expected an integer");
  expect_problem("dynamodb", "Scan", "{\"TableName\":\"abc\",\"Segment\":[1]}", "expected an integer, got a list");
  expect_problem("kinesis", "GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"x\","
                 "\"ShardIteratorType\":\"AT_TIMESTAMP\",\"Timestamp\":\"yesterday\"}",
                 "Timestamp: expected a timestamp");
  expect_problem("sqs", "SendMessage", "{\"QueueUrl\":\"u\",\"MessageBody\":\"a\xff\"}",
                 "MessageBody: not valid UTF-8");
  expect_problem("sqs", "ListQueues", "{\"QueueNamePrefix\":{}}", "QueueNamePrefix: expected a string, got an object");
  /* unknown and missing, at every level; the closest names */
  expect_problem("sqs", "SendMessage", "{\"QueueUrl\":\"u\",\"MessageBdy\":\"x\"}",
                 "MessageBdy: unknown parameter; did you mean MessageBody?");
  expect_problem("sqs", "SendMessage", "{\"QueueUrl\":\"u\"}", "MessageBody: missing (required)");
  expect_problem("ec2", "DescribeInstances", "{\"Filters\":[{\"Name\":\"n\",\"Valuez\":[]}]}",
                 "Filters[0].Valuez: unknown parameter; did you mean Values?");
  /* a union: exactly one member */
  expect_problem("connectcases", "SearchCases", "{\"domainId\":\"d\",\"filter\":{}}",
                 "filter: set exactly one of");
  expect_problem("connectcases", "SearchCases",
                 "{\"domainId\":\"d\",\"filter\":{\"andAll\":[],\"not\":{\"andAll\":[]}}}",
                 "filter: set only one of");
  /* an operation without input takes nothing */
  expect_problem("sts", "GetCallerIdentity", "{\"x\":1}", "");
  /* nesting is bounded (the check walks recursively) */
  {
    buf_t deep = {0};
    buf_adds(&deep, "{\"TableName\":\"abc\",\"Item\":{\"k\":");
    for (int i = 0; i < 120; i++)
      buf_adds(&deep, "{\"M\":{\"k\":");
    buf_adds(&deep, "{\"S\":\"x\"}");
    for (int i = 0; i < 120; i++)
      buf_adds(&deep, "}}");
    buf_adds(&deep, "}}");
    assert_non_null(buf_str(&deep));
    expect_problem("dynamodb", "PutItem", deep.data, "nested deeper than 100 levels");
    buf_free(&deep);
  }
  /* a member given twice (JSON allows it; botocore's dictionaries cannot) */
  expect_problem("sqs", "SendMessage", "{\"QueueUrl\":\"u\",\"QueueUrl\":\"v\"}",
                 "QueueUrl: given twice; MessageBody: missing (required)");
  /* null anywhere */
  expect_problem("sns", "Publish", "{\"Message\":\"m\",\"Subject\":null}", "leave the member out");
  /* many problems: all of them, up to a bound */
  uvaws_error_t e;
  assert_null(ser("sqs", "SendMessage", "{\"a1\":1,\"a2\":1,\"a3\":1,\"a4\":1,\"a5\":1,\"a6\":1,"
                  "\"a7\":1,\"a8\":1,\"a9\":1,\"a10\":1,\"a11\":1}", &e));
  assert_int_equal(e.code, UVAWS_EPARAM);
  assert_non_null(strstr(e.message, "and more"));
  uvaws_error_clear(&e);
}

/* ---- serialization rules -------------------------------------------------------- */

static void test_labels(void **state) {
  (void)state;
  uvaws_error_t e;
  /* greedy {Key+}: '/' kept, everything else encoded */
  op_req_t *r = ser("s3", "GetObject", "{\"Bucket\":\"bk\",\"Key\":\"a/b c+d~e/\\u00e9\"}", &e);
  assert_non_null(r);
  assert_string_equal(r->path.data, "/bk/a/b%20c%2Bd~e/%C3%A9");
  op_req_free(r);
  /* not greedy: '/' encoded too */
  r = ser("lambda", "GetFunction", "{\"FunctionName\":\"a/b:c\"}", &e);
  assert_non_null(r);
  assert_string_equal(r->path.data, "/2015-03-31/functions/a%2Fb%3Ac");
  op_req_free(r);
  /* an empty label is refused (it would change the path: "/bk/" lists the bucket) */
  assert_null(ser("s3", "GetObject", "{\"Bucket\":\"bk\",\"Key\":\"\"}", &e));
  uvaws_error_clear(&e);
  /* the query part of the URI template */
  r = ser("s3", "ListObjectsV2", "{\"Bucket\":\"bk\",\"MaxKeys\":3,\"FetchOwner\":true}", &e);
  assert_string_equal(r->path.data, "/bk");
  assert_string_equal(query_value(r, "list-type"), "2");
  assert_string_equal(query_value(r, "max-keys"), "3");
  assert_string_equal(query_value(r, "fetch-owner"), "true");
  op_req_free(r);
  r = ser("s3", "CreateMultipartUpload", "{\"Bucket\":\"bk\",\"Key\":\"k\",\"Metadata\":{\"a\":\"1\"}}", &e);
  assert_string_equal(query_value(r, "uploads"), "");
  assert_string_equal(kvs_get(&r->headers, "x-amz-meta-a"), "1");
  op_req_free(r);
}

static void test_headers_and_prefixes(void **state) {
  (void)state;
  uvaws_error_t e;
  /* a timestamp header: RFC 822, whole seconds; a list header joined */
  op_req_t *r = ser("s3", "GetObject", "{\"Bucket\":\"bk\",\"Key\":\"k\",\"IfModifiedSince\":"
                                       "\"2015-01-01T00:00:00.5Z\"}", &e);
  assert_string_equal(kvs_get(&r->headers, "If-Modified-Since"), "Thu, 01 Jan 2015 00:00:00 GMT");
  op_req_free(r);
  /* a JSON value header: base64 of the JSON text; a streaming payload as bytes */
  r = ser("lex-runtime", "PostContent", "{\"botName\":\"bb\",\"botAlias\":\"aa\",\"userId\":\"uu\","
                                        "\"contentType\":\"text/plain\",\"inputStream\":\"aGk=\","
                                        "\"sessionAttributes\":{\"k\":\"v\"}}", &e);
  assert_non_null(r);
  assert_string_equal(kvs_get(&r->headers, "x-amz-lex-session-attributes"), "eyJrIjoidiJ9");
  assert_true(r->raw_payload && r->payload_given);
  assert_int_equal(r->body.len, 2);
  assert_memory_equal(r->body.data, "hi", 2);
  op_req_free(r);
  /* CR or LF in a header value is refused, not sent */
  assert_null(ser("s3", "PutObject", "{\"Bucket\":\"bk\",\"Key\":\"k\",\"ContentType\":\"a\\r\\nb\"}", &e));
  assert_int_equal(e.code, UVAWS_EPARAM);
  uvaws_error_clear(&e);
  /* host prefixes: filled from host labels, checked as host labels */
  r = ser("s3control", "GetPublicAccessBlock", "{\"AccountId\":\"123456789012\"}", &e);
  assert_string_equal(r->host_prefix, "123456789012.");
  op_req_free(r);
  assert_null(ser("s3control", "GetPublicAccessBlock", "{\"AccountId\":\"a.b\"}", &e));
  assert_non_null(strstr(e.message ? e.message : e.detail, "AccountId"));
  uvaws_error_clear(&e);
  /* an empty host label is below its minimum of one; a label that cannot be
   * a DNS label (a leading or trailing '-', past 63 characters) is refused */
  expect_problem("s3control", "GetPublicAccessBlock", "{\"AccountId\":\"\"}",
                 "AccountId: shorter than the minimum of 1");
  static const char *const labels[] = {"-12", "12-",
                                       "1234567890123456789012345678901234567890123456789012345678901234"};
  for (size_t i = 0; i < sizeof labels / sizeof *labels; i++) {
    char json[128];
    snprintf(json, sizeof json, "{\"AccountId\":\"%s\"}", labels[i]);
    if (ser("s3control", "GetPublicAccessBlock", json, &e) != NULL)
      fail_msg("took host label %s", labels[i]);
    uvaws_error_clear(&e);
  }
  /* idempotency tokens: filled in when left out, kept when given */
  r = ser("ec2", "RunInstances", "{\"MinCount\":1,\"MaxCount\":1}", &e);
  const char *body = r->body.data;
  const char *tok = strstr(body, "ClientToken=");
  assert_non_null(tok);
  assert_int_equal(strcspn(tok + 12, "&"), 36); /* a UUID */
  assert_int_equal(tok[12 + 14], '4');         /* version 4 */
  op_req_free(r);
  r = ser("ec2", "RunInstances", "{\"MinCount\":1,\"MaxCount\":1,\"ClientToken\":\"mine\"}", &e);
  assert_non_null(strstr(r->body.data, "ClientToken=mine"));
  op_req_free(r);
  /* JSON bodies: whole epoch seconds, as botocore sends them */
  r = ser("kinesis", "GetShardIterator", "{\"StreamName\":\"s\",\"ShardId\":\"x\",\"ShardIteratorType\":"
                                         "\"AT_TIMESTAMP\",\"Timestamp\":\"2015-01-01T00:00:00.5Z\"}", &e);
  assert_non_null(strstr(r->body.data, "\"Timestamp\":1420070400"));
  assert_string_equal(kvs_get(&r->headers, "X-Amz-Target"), "Kinesis_20131202.GetShardIterator");
  op_req_free(r);
  /* query: flattened maps under their locationNames; an empty list sent empty */
  r = ser("sqs", "SetQueueAttributes", "{\"QueueUrl\":\"q\",\"Attributes\":{\"Policy\":\"p\"}}", &e);
  assert_non_null(strstr(r->body.data, "&Attribute.1.Name=Policy&Attribute.1.Value=p"));
  op_req_free(r);
  r = ser("sts", "AssumeRole", "{\"RoleArn\":\"arn:aws:iam::1:role/rrrrrrrrrrrr\",\"RoleSessionName\":"
                               "\"s1\",\"TransitiveTagKeys\":[]}", &e);
  assert_non_null(strstr(r->body.data, "&TransitiveTagKeys="));
  op_req_free(r);
  /* query: values percent-encoded, timestamps ISO 8601; ec2: lists as
   * Name.N; rest-xml: the namespace on the root, text escaped, lists wrapped
   * unless flattened, attribute values escaped as attributes */
  static const struct {
    const char *svc, *op, *params, *want, *unwanted;
  } bodies[] = {
      {"sqs", "SendMessage", "{\"QueueUrl\":\"q\",\"MessageBody\":\"a b&c=d\"}",
       "&MessageBody=a%20b%26c%3Dd", NULL},
      {"cloudwatch", "GetMetricStatistics",
       "{\"Namespace\":\"n\",\"MetricName\":\"m\",\"StartTime\":\"2015-01-01T00:00:00Z\","
       "\"EndTime\":1420070460,\"Period\":60,\"Statistics\":[\"Sum\"]}",
       "&StartTime=2015-01-01T00%3A00%3A00Z&EndTime=2015-01-01T00%3A01%3A00Z", NULL},
      {"cloudwatch", "PutMetricData", "{\"Namespace\":\"n\",\"MetricData\":[{\"MetricName\":\"m\","
       "\"Value\":1e20}]}", "&MetricData.member.1.Value=100000000000000000000", NULL},
      {"ec2", "DescribeInstances", "{\"InstanceIds\":[\"i-1\",\"i-2\"]}",
       "&InstanceId.1=i-1&InstanceId.2=i-2", "member"},
      {"s3", "PutBucketTagging",
       "{\"Bucket\":\"bk\",\"Tagging\":{\"TagSet\":[{\"Key\":\"k\",\"Value\":\"<a&b>\"}]}}",
       "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet><Tag><Key>k</Key>"
       "<Value>&lt;a&amp;b&gt;</Value></Tag></TagSet></Tagging>", NULL},
      {"s3", "DeleteObjects",
       "{\"Bucket\":\"bk\",\"Delete\":{\"Objects\":[{\"Key\":\"a\"},{\"Key\":\"b\"}]}}",
       "<Object><Key>a</Key></Object><Object><Key>b</Key></Object>", "<Objects>"},
      {"s3", "PutBucketAcl",
       "{\"Bucket\":\"bk\",\"AccessControlPolicy\":{\"Grants\":[{\"Grantee\":"
       "{\"Type\":\"Canonical\\\"User\",\"ID\":\"x\"},\"Permission\":\"READ\"}]}}",
       "xsi:type=\"Canonical&quot;User\"", NULL},
  };
  for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
    r = ser(bodies[i].svc, bodies[i].op, bodies[i].params, &e);
    assert_non_null(r);
    if (strstr(r->body.data, bodies[i].want) == NULL ||
        (bodies[i].unwanted && strstr(r->body.data, bodies[i].unwanted) != NULL))
      fail_msg("%s %s: %s", bodies[i].svc, bodies[i].op, r->body.data);
    op_req_free(r);
  }
}

static void test_s3_rules(void **state) {
  (void)state;
  static const struct {
    const char *path, *prefix, *rest;
    int https;
  } cases[] = {
      {"/bucket/key/x", "bucket.", "/key/x", 1},
      {"/bucket", "bucket.", "/", 1},
      {"/my.bucket/k", "", "/my.bucket/k", 1}, /* dots: the certificate would not fit */
      {"/my.bucket/k", "my.bucket.", "/k", 0},
      {"/Upper/k", "", "/Upper/k", 1},         /* not a host label */
      {"/under_score/k", "", "/under_score/k", 1},
      {"/ab/k", "", "/ab/k", 1},               /* too short */
      {"/192.168.1.1/k", "", "/192.168.1.1/k", 0},
      {"/-dash/k", "", "/-dash/k", 1},
      {"/", "", "/", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    op_req_t r;
    memset(&r, 0, sizeof r);
    buf_adds(&r.path, cases[i].path);
    int moved = s3_virtual_host(&r, cases[i].https);
    assert_int_equal(moved, cases[i].prefix[0] != '\0');
    assert_string_equal(r.host_prefix, cases[i].prefix);
    assert_string_equal(buf_str(&r.path), cases[i].rest);
    op_req_free(&r);
  }
  static const char *const copies[][2] = {
      {"bk/a b+c~d/\xc3\xa9", "bk/a%20b%2Bc~d/%C3%A9"},
      {"bk/k?versionId=abc+1", "bk/k?versionId=abc+1"},
      {"/bk/k", "/bk/k"},
  };
  for (size_t i = 0; i < sizeof copies / sizeof *copies; i++) {
    buf_t b = {0};
    s3_copy_source_text(copies[i][0], &b);
    assert_string_equal(buf_str(&b), copies[i][1]);
    buf_free(&b);
  }
}

/* ---- timestamps ------------------------------------------------------------------ */

static void test_timestamps(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } ok[] = {
      {"2015-01-01T00:00:00Z", "2015-01-01T00:00:00Z"},
      {"2015-01-01T00:00:00.5Z", "2015-01-01T00:00:00.5Z"},
      {"2015-01-01T00:00:00.123456789Z", "2015-01-01T00:00:00.123456Z"},
      {"2015-01-01T02:00:00+02:00", "2015-01-01T00:00:00Z"},
      {"2015-01-01T00:00:00-0130", "2015-01-01T01:30:00Z"},
      {"2015-01-01 00:00:00", "2015-01-01T00:00:00Z"},
      {"2015-01-01", "2015-01-01T00:00:00Z"},
      {"2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z"},
      {"2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"},
      {"Thu, 01 Jan 2015 00:00:00 GMT", "2015-01-01T00:00:00Z"},
      {"1 Jan 2015 00:00:00 +0100", "2014-12-31T23:00:00Z"},
      {"1420070400", "2015-01-01T00:00:00Z"},
      {"1420070400.25", "2015-01-01T00:00:00.25Z"},
      {"-1.5", "1969-12-31T23:59:58.5Z"},
      {"0", "1970-01-01T00:00:00Z"},
      {"9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"},
      {"0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"},
      {"1420070400.125", "2015-01-01T00:00:00.125Z"},
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    ts_t t;
    char out[TS_TEXT_MAX];
    if (ts_parse_text(ok[i].in, strlen(ok[i].in), &t) != 0)
      fail_msg("refused %s", ok[i].in);
    ts_format_output(t, out);
    assert_string_equal(out, ok[i].out);
  }
  static const char *const bad[] = {"", "yesterday", "2015-13-01", "2015-02-29", "1900-02-29", "2100-02-29T00:00:00Z", "2015-01-01T24:00:00Z",
                                    "2015-01-01T00:60", "2015-01-01Tx", "10000-01-01", "1e10",
                                    "2015-01-01T00:00:00+25:00", "Thu, 32 Jan 2015 00:00:00 GMT",
                                    "99999999999999999999", "2015-01-01T00:00:00Z junk"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ts_t t;
    if (ts_parse_text(bad[i], strlen(bad[i]), &t) == 0)
      fail_msg("took %s", bad[i]);
  }
  ts_t t = {1420070400, 500000};
  char out[TS_TEXT_MAX];
  ts_format(t, MTS_ISO8601, out);
  assert_string_equal(out, "2015-01-01T00:00:00.500000Z");
  ts_format(t, MTS_RFC822, out);
  assert_string_equal(out, "Thu, 01 Jan 2015 00:00:00 GMT");
  ts_format(t, MTS_UNIX, out);
  assert_string_equal(out, "1420070400");
  /* years past four digits (no parser makes them) still print whole */
  ts_format((ts_t){253402300800, 0}, MTS_ISO8601, out);
  assert_string_equal(out, "10000-01-01T00:00:00Z");
  ts_format((ts_t){-62135596801, 7}, MTS_ISO8601, out);
  assert_string_equal(out, "0000-12-31T23:59:59.000007Z");
  cJSON *n = cJSON_CreateNumber(1420070400.25);
  assert_int_equal(ts_from_json(n, &t), 0);
  assert_int_equal(t.us, 250000);
  cJSON_Delete(n);
}

/* ---- answers ---------------------------------------------------------------------- */

static cJSON *parse(const char *svc, const char *opname, long status, const uvaws_kv_t *h,
                    size_t nh, const char *body, char **rid) {
  const model_t *m = M(svc);
  const mop_t *op = model_op(m, opname);
  uvaws_response_t res = {.status = status, .headers = h, .header_count = nh, .body = body,
                          .body_len = strlen(body)};
  cJSON *out = NULL;
  uvaws_error_t e = {0};
  int rc = op_parse(m, op, &res, &out, rid, &e);
  if (rc != 0)
    print_message("%s: %s\n", opname, e.detail ? e.detail : "");
  uvaws_error_clear(&e);
  return rc == 0 ? out : NULL;
}

static void test_answers(void **state) {
  (void)state;
  /* query: flattened list of one (still a list), flattened map, typed values */
  char *rid = NULL;
  cJSON *o = parse("sqs", "ReceiveMessage", 200, NULL, 0,
                   "<ReceiveMessageResponse><ReceiveMessageResult><Message><MessageId>m1</MessageId>"
                   "<Body>b</Body><Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>"
                   "</Message></ReceiveMessageResult><ResponseMetadata><RequestId>rq</RequestId>"
                   "</ResponseMetadata></ReceiveMessageResponse>", &rid);
  assert_non_null(o);
  assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "Messages")));
  cJSON *msg = cJSON_GetArrayItem(cJSON_GetObjectItem(o, "Messages"), 0);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(msg, "MessageId")), "m1");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(msg, "Attributes"),
                                                               "SentTimestamp")), "1");
  assert_string_equal(rid, "rq");
  free(rid);
  cJSON_Delete(o);
  /* an empty list element is an empty list; numbers and booleans typed */
  o = parse("sns", "ListTopics", 200, NULL, 0,
            "<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult></ListTopicsResponse>",
            NULL);
  assert_true(cJSON_IsArray(cJSON_GetObjectItem(o, "Topics")));
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "Topics")), 0);
  cJSON_Delete(o);
  /* JSON: epoch timestamps to the output form; unknown members and nulls dropped */
  o = parse("dynamodb", "DescribeTable", 200, NULL, 0,
            "{\"Table\":{\"TableName\":\"t\",\"CreationDateTime\":1420070400.5,\"Extra\":1,"
            "\"ItemCount\":null,\"TableSizeBytes\":9007199254740992}}", NULL);
  cJSON *t = cJSON_GetObjectItem(o, "Table");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(t, "CreationDateTime")),
                      "2015-01-01T00:00:00.5Z");
  assert_null(cJSON_GetObjectItem(t, "Extra"));
  assert_null(cJSON_GetObjectItem(t, "ItemCount"));
  char *big = cJSON_PrintUnformatted(cJSON_GetObjectItem(t, "TableSizeBytes"));
  assert_string_equal(big, "9007199254740992"); /* every digit (cJSON would print 15) */
  free(big);
  cJSON_Delete(o);
  /* rest: typed headers, a header map, a list header, the status code */
  uvaws_kv_t h[] = {{"Content-Length", "42"}, {"x-amz-meta-Color", "red"},
                    {"Last-Modified", "Thu, 01 Jan 2015 00:00:00 GMT"},
                    {"x-amz-delete-marker", "true"}, {"x-amz-request-id", "r1"}};
  o = parse("s3", "HeadObject", 200, h, 5, "", NULL);
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "ContentLength")), 42);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Metadata"),
                                                               "Color")), "red");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "LastModified")),
                      "2015-01-01T00:00:00Z");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "DeleteMarker")));
  cJSON_Delete(o);
  o = parse("lambda", "Invoke", 202, NULL, 0, "", NULL);
  assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "StatusCode")), 202);
  cJSON_Delete(o);
  /* answers that do not fit */
  assert_null(parse("sts", "GetCallerIdentity", 200, NULL, 0, "<not xml", NULL));
  assert_null(parse("dynamodb", "DescribeTable", 200, NULL, 0, "[1]", NULL));
  assert_null(parse("sqs", "GetQueueAttributes", 200, NULL, 0,
                    "<R><GetQueueAttributesResult><Attribute><Name>a</Name><Oops>b</Oops></Attribute>"
                    "</GetQueueAttributesResult></R>", NULL));
  assert_null(parse("cloudwatch", "GetMetricStatistics", 200, NULL, 0,
                    "<R><GetMetricStatisticsResult><Datapoints><member><Sum>abc</Sum></member>"
                    "</Datapoints></GetMetricStatisticsResult></R>", NULL));
  /* an element with more children than parse_structure holds on its stack
   * (16): a listing of 40, every item and the members beside them kept */
  {
    buf_t b = {0};
    buf_adds(&b, "<ListBucketResult><Name>bk</Name>");
    for (int i = 0; i < 40; i++) {
      addf(&b, "<Contents><Key>k%d</Key><Size>%d</Size></Contents>", i, i);
    }
    buf_adds(&b, "<KeyCount>40</KeyCount></ListBucketResult>");
    assert_non_null(buf_str(&b));
    o = parse("s3", "ListObjectsV2", 200, NULL, 0, b.data, NULL);
    assert_non_null(o);
    cJSON *items = cJSON_GetObjectItem(o, "Contents");
    assert_int_equal(cJSON_GetArraySize(items), 40);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(items, 39), "Key")),
                        "k39");
    assert_int_equal((int)cJSON_GetNumberValue(cJSON_GetObjectItem(o, "KeyCount")), 40);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(o, "Name")), "bk");
    cJSON_Delete(o);
    buf_free(&b);
  }
  /* a map key given twice keeps its last value, as a dictionary would */
  o = parse("sqs", "GetQueueAttributes", 200, NULL, 0,
            "<R><GetQueueAttributesResult><Attribute><Name>a</Name><Value>1</Value></Attribute>"
            "<Attribute><Name>a</Name><Value>2</Value></Attribute></GetQueueAttributesResult></R>",
            NULL);
  assert_non_null(o);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "Attributes")), 1);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "Attributes"),
                                                               "a")), "2");
  cJSON_Delete(o);
  /* a hostile map: 20,000 entries of one key, then 20,000 distinct keys
   * with one of them again at the end; last values, in n log n */
  for (int distinct = 0; distinct <= 1; distinct++) {
    buf_t b = {0};
    buf_adds(&b, "<R><GetQueueAttributesResult>");
    for (int i = 0; i <= 20000; i++) {
      addf(&b, "<Attribute><Name>k%d</Name><Value>%d</Value></Attribute>",
           distinct ? (i < 20000 ? i : 7) : 0, i);
    }
    buf_adds(&b, "</GetQueueAttributesResult></R>");
    assert_non_null(buf_str(&b));
    o = parse("sqs", "GetQueueAttributes", 200, NULL, 0, b.data, NULL);
    assert_non_null(o);
    cJSON *attrs = cJSON_GetObjectItem(o, "Attributes");
    assert_int_equal(cJSON_GetArraySize(attrs), distinct ? 20000 : 1);
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(attrs, distinct ? "k7" : "k0")),
                        "20000");
    cJSON_Delete(o);
    buf_free(&b);
  }
  /* EC2's request id is its own element, lower case */
  rid = NULL;
  o = parse("ec2", "DescribeRegions", 200, NULL, 0,
            "<DescribeRegionsResponse><requestId>r-1</requestId><regionInfo/></DescribeRegionsResponse>",
            &rid);
  assert_non_null(o);
  assert_non_null(rid);
  assert_string_equal(rid, "r-1");
  free(rid);
  cJSON_Delete(o);
  uvaws_kv_t bad[] = {{"Content-Length", "forty"}};
  assert_null(parse("s3", "HeadObject", 200, bad, 1, "", NULL));
}

/* The answer `body` of svc's opname, parsed, printed: `want`. */
static void expect_answer(const char *svc, const char *opname, const char *body, const char *want) {
  cJSON *o = parse(svc, opname, 200, NULL, 0, body, NULL);
  assert_non_null(o);
  char *text = cJSON_PrintUnformatted(o);
  assert_string_equal(text, want);
  free(text);
  cJSON_Delete(o);
}

/* JSON answers: values that need converting deep inside structures, lists
 * and maps whose other values are kept as they came (not walked), wire names
 * at every level, and unknown members and nulls dropped at every level. */
static void test_json_answers_deep(void **state) {
  (void)state;
  expect_answer("apigatewayv2", "GetApis",
                "{\"items\":[{\"name\":\"a\",\"apiId\":\"i\",\"createdDate\":1420070400,"
                "\"tags\":{\"createdDate\":\"t\"},\"importInfo\":[\"x\",\"y\"],"
                "\"corsConfiguration\":{\"allowOrigins\":[\"*\"],\"maxAge\":5,\"extra\":1},"
                "\"unknown\":{\"createdDate\":1},\"description\":null,\"Name\":\"b\"}],"
                "\"nextToken\":\"n\",\"Other\":3}",
                "{\"Items\":[{\"Name\":\"a\",\"ApiId\":\"i\",\"CreatedDate\":"
                "\"2015-01-01T00:00:00Z\",\"Tags\":{\"createdDate\":\"t\"},\"ImportInfo\":"
                "[\"x\",\"y\"],\"CorsConfiguration\":{\"AllowOrigins\":[\"*\"],\"MaxAge\":5}}],"
                "\"NextToken\":\"n\"}");
  /* DynamoDB: a blob and a null deep in lists and maps of attribute values,
   * an unknown member beside them; an integer past 2^53 in a list's structure */
  expect_answer("dynamodb", "GetItem",
                "{\"Item\":{\"a\":{\"M\":{\"b\":{\"L\":[{\"B\":\"aGk\"},{\"S\":\"x\",\"junk\":1},"
                "{\"NULL\":true},null,{\"BS\":[\"aGk\",\"aGk=\"]}]}}}}}",
                "{\"Item\":{\"a\":{\"M\":{\"b\":{\"L\":[{\"B\":\"aGk=\"},{\"S\":\"x\"},"
                "{\"NULL\":true},null,{\"BS\":[\"aGk=\",\"aGk=\"]}]}}}}}");
  expect_answer("dynamodb", "DescribeTable",
                "{\"Table\":{\"GlobalSecondaryIndexes\":[{\"IndexName\":\"i\","
                "\"IndexSizeBytes\":9007199254740993,\"X\":[1]}]}}",
                "{\"Table\":{\"GlobalSecondaryIndexes\":[{\"IndexName\":\"i\","
                "\"IndexSizeBytes\":9007199254740992}]}}");
  /* nested past the limit, with only a string at the bottom: still refused */
  cJSON *o;
  for (int levels = 60; levels <= 70; levels += 10) {
    buf_t b = {0};
    buf_adds(&b, "{\"Item\":{\"a\":");
    for (int i = 0; i < levels; i++)
      buf_adds(&b, "{\"M\":{\"a\":");
    buf_adds(&b, "{\"S\":\"x\"}");
    for (int i = 0; i < levels; i++)
      buf_adds(&b, "}}");
    buf_adds(&b, "}}");
    assert_non_null(buf_str(&b));
    o = parse("dynamodb", "GetItem", 200, NULL, 0, b.data, NULL);
    if (levels == 60)
      assert_non_null(o); /* 2 + 2 * 60 + 1 levels: within 128 */
    else
      assert_null(o);
    cJSON_Delete(o);
    buf_free(&b);
  }
}

/* A key an object repeats, in both directions: a parameter map given a key
 * twice is refused (header names in any case), an answer keeps the last value
 * as botocore's dictionaries do; small objects (pairs compared) and large
 * ones (keys sorted), the repeat first, last and in between. */
static void repeated_map(buf_t *b, int n, const int *again, int nagain) {
  buf_adds(b, "{\"TableName\":\"tbl\",\"Item\":{");
  for (int i = 0; i < n + nagain; i++) {
    int k = i < n ? i : again[i - n];
    addf(b, "%s\"k%d\":{\"S\":\"v%d\"}", i ? "," : "", k, i);
  }
  buf_adds(b, "}}");
  assert_non_null(buf_str(b));
}

static void test_repeated_keys(void **state) {
  (void)state;
  uvaws_error_t e;
  expect_problem("dynamodb", "PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"id\":{\"S\":\"a\"},"
                 "\"id\":{\"S\":\"b\"}}}", "Item (key id): given twice");
  expect_problem("dynamodb", "PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"id\":{\"S\":\"a\"},"
                 "\"n\":{\"S\":\"b\"},\"id\":{\"S\":\"c\"}}}", "Item (key id): given twice");
  /* keys of a body map differ by case; header names do not */
  op_req_t *r = ser("dynamodb", "PutItem", "{\"TableName\":\"tbl\",\"Item\":{\"id\":{\"S\":\"a\"},"
                    "\"ID\":{\"S\":\"b\"}}}", &e);
  assert_non_null(r);
  op_req_free(r);
  expect_problem("s3", "PutObject", "{\"Bucket\":\"b\",\"Key\":\"k\",\"Metadata\":"
                 "{\"Color\":\"red\",\"color\":\"blue\"}}", "Metadata (key Color): given twice");
  expect_problem("sqs", "SendMessage", "{\"QueueUrl\":\"u\",\"MessageBody\":\"b\","
                 "\"MessageAttributes\":{\"a\":{\"DataType\":\"String\",\"StringValue\":\"x\"},"
                 "\"a\":{\"DataType\":\"String\",\"StringValue\":\"y\"}}}",
                 "MessageAttributes (key a): given twice");
  /* a header map past the pairs' 16 members: sorted, in any case too */
  buf_t meta = {0};
  buf_adds(&meta, "{\"Bucket\":\"b\",\"Key\":\"k\",\"Metadata\":{\"Color\":\"red\"");
  for (int i = 0; i < 20; i++) {
    addf(&meta, ",\"m%d\":\"%d\"", i, i);
  }
  buf_adds(&meta, ",\"COLOR\":\"blue\"}}");
  assert_non_null(buf_str(&meta));
  expect_problem("s3", "PutObject", meta.data, "Metadata (key Color): given twice");
  buf_free(&meta);
  /* large maps: sorted, every repeated key named once, distinct keys pass */
  int again[] = {0, 39, 17, 17};
  buf_t b = {0};
  repeated_map(&b, 40, again, 4);
  assert_null(ser("dynamodb", "PutItem", b.data, &e));
  assert_non_null(e.message);
  assert_non_null(strstr(e.message, "Item (key k0): given twice"));
  assert_non_null(strstr(e.message, "Item (key k39): given twice"));
  char *k17 = strstr(e.message, "Item (key k17): given twice");
  assert_non_null(k17);
  assert_non_null(strstr(k17 + 1, "Item (key k17): given twice")); /* three times: twice shadowed */
  assert_null(strstr(e.message, "(key k1)"));
  uvaws_error_clear(&e);
  buf_free(&b);
  /* past the sort's stack arrays (256 members) */
  int again_big[] = {299};
  repeated_map(&b, 300, again_big, 1);
  assert_null(ser("dynamodb", "PutItem", b.data, &e));
  assert_non_null(e.message);
  assert_non_null(strstr(e.message, "Item (key k299): given twice"));
  uvaws_error_clear(&e);
  buf_free(&b);
  repeated_map(&b, 40, NULL, 0);
  r = ser("dynamodb", "PutItem", b.data, &e);
  assert_non_null(r);
  op_req_free(r);
  buf_free(&b);

  /* answers: the last value stands, in a structure, a map and a union */
  expect_answer("dynamodb", "GetItem", "{\"Item\":{\"a\":{\"S\":\"1\"}},\"Item\":{\"b\":{\"S\":\"2\"}}}",
                "{\"Item\":{\"b\":{\"S\":\"2\"}}}");
  expect_answer("dynamodb", "GetItem",
                "{\"Item\":{\"a\":{\"S\":\"1\"},\"b\":{\"S\":\"x\"},\"a\":{\"S\":\"2\"}}}",
                "{\"Item\":{\"b\":{\"S\":\"x\"},\"a\":{\"S\":\"2\"}}}");
  expect_answer("dynamodb", "GetItem", "{\"Item\":{\"a\":{\"S\":\"1\",\"S\":\"2\"}}}",
                "{\"Item\":{\"a\":{\"S\":\"2\"}}}");
  /* a repeated member whose last value is null: left out, as botocore does */
  expect_answer("dynamodb", "GetItem", "{\"Item\":{\"a\":{\"S\":\"1\"}},\"Item\":null}", "{}");
  /* a large map: sorted, the last of each key kept where it stood */
  repeated_map(&b, 40, again, 4);
  cJSON *in = cJSON_Parse(b.data);
  char *answer = cJSON_PrintUnformatted(cJSON_GetObjectItem(in, "Item"));
  buf_free(&b);
  buf_adds(&b, "{\"Item\":");
  buf_adds(&b, answer);
  buf_adds(&b, "}");
  assert_non_null(buf_str(&b));
  cJSON *o = parse("dynamodb", "GetItem", 200, NULL, 0, b.data, NULL);
  assert_non_null(o);
  cJSON *item = cJSON_GetObjectItem(o, "Item");
  assert_int_equal(cJSON_GetArraySize(item), 40);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "k17"), "S")),
                      "v43");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "k0"), "S")),
                      "v40");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(item, "k1"), "S")),
                      "v1");
  assert_string_equal(item->child->string, "k1"); /* k0's first place is gone */
  cJSON_Delete(o);
  cJSON_Delete(in);
  free(answer);
  buf_free(&b);
  /* a hostile answer: one key 100,000 times costs n log n and leaves one */
  buf_adds(&b, "{\"Item\":{");
  for (int i = 0; i < 100000; i++)
    buf_adds(&b, i ? ",\"k\":{\"S\":\"x\"}" : "\"k\":{\"S\":\"x\"}");
  buf_adds(&b, "}}");
  assert_non_null(buf_str(&b));
  o = parse("dynamodb", "GetItem", 200, NULL, 0, b.data, NULL);
  assert_non_null(o);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(o, "Item")), 1);
  cJSON_Delete(o);
  buf_free(&b);
}

/* ---- JMESPath ---------------------------------------------------------------------- */

static void expect(const char *expr, const char *data, const char *want) {
  char why[256] = "";
  jp_expr_t *e = jp_compile(expr, why, sizeof why);
  if (e == NULL)
    fail_msg("%s: %s", expr, why);
  cJSON *d = cJSON_Parse(data);
  cJSON *r = jp_search(e, d);
  char *text = r ? cJSON_PrintUnformatted(r) : strdup("null");
  if (strcmp(text, want) != 0)
    fail_msg("%s on %s: %s, wanted %s", expr, data, text, want);
  free(text);
  cJSON_Delete(r);
  cJSON_Delete(d);
  jp_free(e);
}

static void test_jmespath(void **state) {
  (void)state;
  expect("a.b", "{\"a\":{\"b\":1}}", "1");
  expect("a.c", "{\"a\":{\"b\":1}}", "null");
  expect("Contents[-1].Key", "{\"Contents\":[{\"Key\":\"x\"},{\"Key\":\"y\"}]}", "\"y\"");
  expect("NextMarker || Contents[-1].Key", "{\"Contents\":[{\"Key\":\"y\"}]}", "\"y\"");
  expect("NextMarker || Contents[-1].Key", "{\"NextMarker\":\"m\",\"Contents\":[]}", "\"m\"");
  expect("Reservations[].Instances[].State.Name",
         "{\"Reservations\":[{\"Instances\":[{\"State\":{\"Name\":\"a\"}},{\"State\":{\"Name\":\"b\"}}]},"
         "{\"Instances\":[{\"State\":{\"Name\":\"c\"}}]}]}", "[\"a\",\"b\",\"c\"]");
  expect("length(Reservations[]) > `0`", "{\"Reservations\":[[]]}", "false");
  expect("length(Reservations[]) > `0`", "{\"Reservations\":[1]}", "true");
  expect("VerificationAttributes.*.VerificationStatus",
         "{\"VerificationAttributes\":{\"a\":{\"VerificationStatus\":\"S\"}}}", "[\"S\"]");
  expect("length(services[?!(length(deployments) == `1` && runningCount == desiredCount)]) == `0`",
         "{\"services\":[{\"deployments\":[1],\"runningCount\":2,\"desiredCount\":2}]}", "true");
  expect("length(services[?!(length(deployments) == `1` && runningCount == desiredCount)]) == `0`",
         "{\"services\":[{\"deployments\":[1],\"runningCount\":1,\"desiredCount\":2}]}", "false");
  expect("a[*].b", "{\"a\":[{\"b\":1},{\"c\":2},{\"b\":3}]}", "[1,3]");
  expect("contains(a, `2`)", "{\"a\":[1,2]}", "true");
  expect("\"quoted id\"", "{\"quoted id\":'x'}", "null");
  expect("'raw' == 'raw'", "{}", "true");
  expect("a | b", "{\"a\":{\"b\":[]}}", "[]");
  expect("!a", "{\"a\":\"\"}", "true");
  /* length() counts characters, as Python's len(), not UTF-8 bytes */
  expect("length(a)", "{\"a\":\"h\xc3\xa9llo \xe2\x82\xac\"}", "7");
  static const char *const bad[] = {"", "a.", "a[", "a[1:2]", "{a: b}", "foo(a)", "length(a, b)",
                                    "`{bad`", "a ||", "(a", "a]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    jp_expr_t *e = jp_compile(bad[i], NULL, 0);
    if (e != NULL)
      fail_msg("compiled %s", bad[i]);
  }
  /* every expression of every paginator and waiter in the models */
  size_t n = 0, exprs = 0;
  const uvaws_service_t *rows = model_services(&n, NULL, 0);
  for (size_t i = 0; i < n; i++) {
    const model_t *m = M(rows[i].name);
    for (int kind = 0; kind < 2; kind++) {
      uint32_t count = kind ? m->h->waiter_count : m->h->pager_count;
      for (uint32_t k = 0; k < count; k++) {
        const mnamed_t *rec = kind ? &m->waiters[k] : &m->pagers[k];
        cJSON *def = cJSON_Parse(model_str(m, rec->json));
        assert_non_null(def);
        cJSON *list = cJSON_CreateArray();
        if (kind) {
          const cJSON *a;
          cJSON_ArrayForEach(a, cJSON_GetObjectItem(def, "acceptors")) {
            const cJSON *arg = cJSON_GetObjectItem(a, "argument");
            if (arg)
              cJSON_AddItemToArray(list, cJSON_Duplicate(arg, 0));
          }
        } else {
          static const char *const keys[] = {"output_token", "more_results", "result_key"};
          for (int q = 0; q < 3; q++) {
            const cJSON *v = cJSON_GetObjectItem(def, keys[q]);
            if (cJSON_IsString(v))
              cJSON_AddItemToArray(list, cJSON_Duplicate(v, 0));
            const cJSON *x;
            if (cJSON_IsArray(v))
              cJSON_ArrayForEach(x, v) cJSON_AddItemToArray(list, cJSON_Duplicate(x, 0));
          }
        }
        const cJSON *x;
        cJSON_ArrayForEach(x, list) {
          char why[256];
          jp_expr_t *e = jp_compile(x->valuestring, why, sizeof why);
          if (e == NULL)
            fail_msg("%s %s: %s", rows[i].name, model_str(m, rec->name), why);
          jp_free(e);
          exprs++;
        }
        cJSON_Delete(list);
        cJSON_Delete(def);
      }
    }
  }
  print_message("%zu expressions of the models' paginators and waiters compile\n", exprs);
  assert_true(exprs > 2000);
}

/* ---- suggestions -------------------------------------------------------------------- */

static const char *from_list(const void *ctx, size_t i) { return ((const char *const *)ctx)[i]; }

/* The word-at-a-time scans (UTF-8 counting, JSON string escaping) agree
 * with the byte-by-byte rules wherever the interesting byte falls in or
 * across an 8-byte word. */
static void test_text_scans(void **state) {
  (void)state;
  static const char *const multi[] = {"\xc3\xa9", "\xe6\xbc\xa2", "\xf0\x9f\x98\x80"};
  static const char *const broken[] = {"\xc3", "\xe6\xbc", "\x80", "\xc0\xaf", "\xed\xa0\x80",
                                       "\xf4\x90\x80\x80", "\xff"};
  char text[64];
  for (size_t before = 0; before < 18; before++)
    for (size_t after = 0; after < 10; after++) {
      for (size_t k = 0; k < sizeof multi / sizeof *multi; k++) {
        int n = snprintf(text, sizeof text, "%.*s%s%.*s", (int)before, "abcdefghijklmnopqrstu",
                         multi[k], (int)after, "ABCDEFGHIJ");
        assert_int_equal(utf8_count(text, (size_t)n), (long)(before + 1 + after));
      }
      for (size_t k = 0; k < sizeof broken / sizeof *broken; k++) {
        int n = snprintf(text, sizeof text, "%.*s%s%.*s", (int)before, "abcdefghijklmnopqrstu",
                         broken[k], (int)after, "ABCDEFGHIJ");
        assert_int_equal(utf8_count(text, (size_t)n), -1);
      }
    }
  /* a byte to escape anywhere in a string: what is written parses back */
  static const char special[] = {'"', '\\', '\n', '\x01', '\x1f', '\t', '/', '\x7f'};
  for (size_t len = 1; len < 20; len++)
    for (size_t at = 0; at < len; at++)
      for (size_t k = 0; k < sizeof special; k++) {
        memset(text, 'x', len);
        text[at] = special[k];
        buf_t b = {0};
        json_put_string(&b, text, len);
        assert_non_null(buf_str(&b));
        for (size_t q = 0; q < b.len; q++) /* JSON has no raw control characters */
          assert_true((unsigned char)b.data[q] >= 0x20);
        cJSON *j = cJSON_Parse(b.data);
        assert_true(cJSON_IsString(j));
        assert_int_equal(strlen(j->valuestring), len);
        assert_memory_equal(j->valuestring, text, len);
        cJSON_Delete(j);
        buf_free(&b);
      }
}

static void test_suggest(void **state) {
  (void)state;
  static const char *const names[] = {"ListBuckets", "ListObjects", "ListObjectsV2",
                                      "PutObject", "GetObject", "DeleteObjects"};
  static const struct {
    const char *name, *want;
  } cases[] = {{"ListBucket", "ListBuckets"}, {"listbuckets", "ListBuckets"},
               {"GetObjcet", "GetObject"},    {"ListObject", "ListObjects"},
               {"Buckets", "ListBuckets"},    {"Zzzzzz", ""}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    buf_t b = {0};
    suggest(cases[i].name, from_list, names, 6, &b);
    assert_string_equal(buf_str(&b) ? b.data : "", cases[i].want);
    buf_free(&b);
  }
  /* a transposition is one edit (optimal string alignment): the swapped name
   * is the nearest, and one three edits away is not shown beside it */
  static const char *const near[] = {"abcdefxyz", "bacdefghi"};
  buf_t b = {0};
  assert_int_equal(suggest("abcdefghi", from_list, near, 2, &b), 1);
  assert_string_equal(buf_str(&b), "bacdefghi");
  buf_free(&b);
}

/* ---- services' rules beyond their models (quirks.c) ------------------------------ */

static void sha256_of(sigv4_crypto_t *c, const void *p, size_t n, unsigned char out[32]) {
  assert_int_equal(sigv4_sha256(c, p, n, out), 0);
}

/* Glacier: accountId "-" when left out, the version header, the linear
 * SHA-256 and the tree hash of the body (1 MiB leaves combined pairwise, an
 * odd last one carried up a level); API Gateway: Accept: application/json. */
static void test_quirks(void **state) {
  (void)state;
  const model_t *m = M("glacier");
  const mop_t *op = model_op(m, "UploadArchive");
  cJSON *given = cJSON_Parse("{\"vaultName\":\"v\"}");
  const cJSON *params = given;
  cJSON *owned = NULL;
  assert_int_equal(quirks_params(m, op, &params, &owned), 0);
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(params, "accountId")), "-");
  assert_null(cJSON_GetObjectItem(given, "accountId")); /* the caller's own is untouched */
  cJSON_Delete(owned);
  cJSON_Delete(given);
  given = cJSON_Parse("{\"vaultName\":\"v\",\"accountId\":\"123\"}");
  params = given;
  assert_int_equal(quirks_params(m, op, &params, &owned), 0);
  assert_ptr_equal(params, given);
  assert_null(owned);
  cJSON_Delete(given);

  size_t len = 3 * GLACIER_LEAF - 5; /* three leaves: the third carried up */
  unsigned char *body = malloc(len);
  assert_non_null(body);
  for (size_t i = 0; i < len; i++)
    body[i] = (unsigned char)(i * 7 + i / 4096);
  call_t cl;
  memset(&cl, 0, sizeof cl);
  cl.m = m;
  cl.mop = op;
  op_req_t r;
  memset(&r, 0, sizeof r);
  assert_int_equal(kvs_finish(&r.headers), 0);
  assert_int_equal(quirks_prepare(&cl, &r, body, len), 0);
  assert_string_equal(kvs_get(&r.headers, "x-amz-glacier-version"), m->svc->api_version);
  sigv4_crypto_t c;
  assert_int_equal(sigv4_crypto_init(&c), 0);
  unsigned char leaf[3][32], pair[64], top[32], linear[32];
  for (int i = 0; i < 3; i++)
    sha256_of(&c, body + (size_t)i * GLACIER_LEAF,
              i < 2 ? GLACIER_LEAF : len - 2 * GLACIER_LEAF, leaf[i]);
  memcpy(pair, leaf[0], 32);
  memcpy(pair + 32, leaf[1], 32);
  sha256_of(&c, pair, 64, pair); /* the first two leaves' parent, into pair[0..31] */
  memcpy(pair + 32, leaf[2], 32);
  sha256_of(&c, pair, 64, top);
  sha256_of(&c, body, len, linear);
  char hex[65];
  sigv4_hex(top, 32, hex);
  assert_string_equal(kvs_get(&r.headers, "x-amz-sha256-tree-hash"), hex);
  sigv4_hex(linear, 32, hex);
  assert_string_equal(kvs_get(&r.headers, "x-amz-content-sha256"), hex);
  sigv4_crypto_free(&c);
  op_req_free(&r);
  free(body);

  memset(&cl, 0, sizeof cl);
  cl.m = M("apigateway");
  cl.mop = model_op(cl.m, "GetRestApis");
  memset(&r, 0, sizeof r);
  assert_int_equal(kvs_finish(&r.headers), 0);
  assert_int_equal(quirks_prepare(&cl, &r, NULL, 0), 0);
  assert_string_equal(kvs_get(&r.headers, "Accept"), "application/json");
  op_req_free(&r);
}

/* ---- help texts ------------------------------------------------------------------ */

static const cJSON *at(const cJSON *o, const char *path) {
  char copy[256], *save = NULL;
  snprintf(copy, sizeof copy, "%s", path);
  for (char *k = strtok_r(copy, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
    o = cJSON_GetObjectItemCaseSensitive(o, k);
  return o;
}

/* uvaws help's description of an operation: required members marked as
 * such, a shape met again inside itself marked "recursive" rather than
 * unfolded (DynamoDB's AttributeValue holds AttributeValues), located
 * members with their location and wire name. */
static void test_describe(void **state) {
  (void)state;
  const uvaws_service_t *ddb = uvaws_service_find("dynamodb");
  cJSON *d = uvaws_operation_describe(ddb, "PutItem");
  assert_non_null(d);
  assert_true(cJSON_IsTrue(at(d, "input.members.TableName.required")));
  assert_true(cJSON_IsTrue(at(d, "input.members.Item.required")));
  assert_null(at(d, "input.members.ConditionExpression.required"));
  assert_string_equal(cJSON_GetStringValue(at(d, "input.members.Item.value.shape")), "AttributeValue");
  assert_non_null(at(d, "input.members.Item.value.members.M"));
  const cJSON *inner = at(d, "input.members.Item.value.members.M.value");
  assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(inner, "shape")), "AttributeValue");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(inner, "recursive")));
  assert_null(cJSON_GetObjectItem(inner, "members"));
  cJSON_Delete(d);
  d = uvaws_operation_describe(uvaws_service_find("s3"), "GetObject");
  assert_non_null(d);
  assert_string_equal(cJSON_GetStringValue(at(d, "input.members.Bucket.location")), "uri");
  assert_true(cJSON_IsTrue(at(d, "input.members.Bucket.required")));
  assert_string_equal(cJSON_GetStringValue(at(d, "input.members.IfMatch.location")), "header");
  assert_string_equal(cJSON_GetStringValue(at(d, "input.members.IfMatch.wire")), "If-Match");
  cJSON_Delete(d);
  assert_null(uvaws_operation_describe(ddb, "NoSuchOperation"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_checks),     cmocka_unit_test(test_labels),
      cmocka_unit_test(test_headers_and_prefixes), cmocka_unit_test(test_s3_rules),
      cmocka_unit_test(test_timestamps), cmocka_unit_test(test_answers),
      cmocka_unit_test(test_json_answers_deep), cmocka_unit_test(test_repeated_keys),
      cmocka_unit_test(test_jmespath),   cmocka_unit_test(test_suggest),
      cmocka_unit_test(test_text_scans), cmocka_unit_test(test_describe),
      cmocka_unit_test(test_quirks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
