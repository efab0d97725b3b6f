/* aws_error: AWS error answers of every shape, as the services send them,
 * and the broken and hostile bodies that must not hurt. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "resp_head.h"
#include <uv.h>
#include <cjson/cJSON.h>

#include "aws_error.h"
#include "uvaws.h"

#define N(a) (sizeof(a) / sizeof *(a))

/* cmocka's assert_string_equal() crashes on NULL; an absent field is NULL. */
static void str_eq(const char *got, const char *want) {
  if (want == NULL)
    assert_null(got);
  else {
    assert_non_null(got);
    assert_string_equal(got, want);
  }
}

static void check(const uvaws_error_t *e, long status, const char *type, const char *message,
                  const char *request_id) {
  assert_int_equal(e->code, UVAWS_EAWS);
  assert_int_equal(e->http_status, status);
  str_eq(e->aws_type, type);
  str_eq(e->message, message);
  str_eq(e->request_id, request_id);
  if (type != NULL || message != NULL) {
    assert_null(e->detail);
    return;
  }
  /* Not an AWS error: an excerpt says what came back, control bytes escaped. */
  assert_non_null(e->detail);
  assert_true(strstr(e->detail, "not an AWS error") || strstr(e->detail, "an empty answer"));
  for (const char *p = e->detail; *p; p++)
    assert_true((unsigned char)*p >= 0x20 && *p != 0x7f);
}

/* Runs one answer through the parser; the caller clears `e`. */
static void parse(uvaws_error_t *e, long status, const uvaws_kv_t *h, size_t nh, const char *body) {
  assert_int_equal(aws_error_from_response(e, status, h, nh, body, body ? strlen(body) : 0), 0);
}

/* ---- JSON protocols ---- */

static void dynamodb_resource_not_found(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"Server", "Server"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"x-amzn-RequestId", "4KBNVRGD25RG1KEO9UT4V3FQDJVV4KQNSO5AEMVJF66Q9ASUAAJG"},
      {"x-amz-crc32", "1366891413"},
  };
  uvaws_error_t e = {0};
  parse(&e, 400, h, N(h),
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException\","
        "\"message\":\"Requested resource not found: Table: Music not found\"}");
  check(&e, 400, "ResourceNotFoundException",
        "Requested resource not found: Table: Music not found",
        "4KBNVRGD25RG1KEO9UT4V3FQDJVV4KQNSO5AEMVJF66Q9ASUAAJG");
  uvaws_error_clear(&e);
}

static void dynamodb_validation_suffix(void **state) {
  (void)state;
  uvaws_kv_t h[] = {{"x-amzn-RequestId", "V1"}};
  uvaws_error_t e = {0};
  /* The coral :URL suffix, whose own '#'-free "http:" must not confuse the
   * '#' rule. */
  parse(&e, 400, h, N(h),
        "{\"__type\":\"com.amazon.coral.validate#ValidationException:"
        "http://internal.amazon.com/coral/com.amazon.coral.validate/\","
        "\"message\":\"1 validation error detected: Value null at 'tableName' failed to "
        "satisfy constraint: Member must not be null\"}");
  check(&e, 400, "ValidationException",
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: "
        "Member must not be null",
        "V1");
  uvaws_error_clear(&e);
  /* A '#' inside the URL must not be mistaken for the namespace separator. */
  parse(&e, 400, NULL, 0, "{\"__type\":\"ns#ValidationException:http://x/y#frag\"}");
  check(&e, 400, "ValidationException", NULL, NULL);
  uvaws_error_clear(&e);
  /* a key the body repeats: the last one, as botocore's json.loads reads it */
  parse(&e, 400, NULL, 0, "{\"__type\":\"ns#A\",\"message\":\"m1\",\"__type\":\"ns#B\","
        "\"message\":\"m2\"}");
  check(&e, 400, "B", "m2", NULL);
  uvaws_error_clear(&e);
}

static void dynamodb_conditional_check_failed(void **state) {
  (void)state;
  uvaws_kv_t h[] = {{"x-amzn-requestid", "CCF0RG1KEO9UT4V3FQDJVV4KQNSO5AEMVJF66Q9ASUAAJG"}};
  uvaws_error_t e = {0};
  parse(&e, 400, h, N(h),
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\","
        "\"message\":\"The conditional request failed\","
        "\"Item\":{\"pk\":{\"S\":\"user#1\"},\"version\":{\"N\":\"7\"}}}");
  check(&e, 400, "ConditionalCheckFailedException", "The conditional request failed",
        "CCF0RG1KEO9UT4V3FQDJVV4KQNSO5AEMVJF66Q9ASUAAJG");
  uvaws_error_clear(&e);
}

static void kinesis_json11(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"Content-Type", "application/x-amz-json-1.1"},
      {"x-amzn-RequestId", "f6fd6c4c-2a39-11ef-9a3b-0b2c3e8a1d11"},
      {"x-amz-id-2", "aGVsbG8gd29ybGQ="},
  };
  uvaws_error_t e = {0};
  parse(&e, 400, h, N(h),
        "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Stream orders under account "
        "123456789012 not found.\"}");
  check(&e, 400, "ResourceNotFoundException", "Stream orders under account 123456789012 not found.",
        "f6fd6c4c-2a39-11ef-9a3b-0b2c3e8a1d11");
  uvaws_error_clear(&e);
}

static void sesv2_rest_json_header_type(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"Date", "Tue, 11 Jun 2024 10:00:00 GMT"},
      {"Content-Type", "application/json"},
      {"x-amzn-RequestId", "0a5b1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d"},
      {"x-amzn-ErrorType",
       "NotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/"},
  };
  uvaws_error_t e = {0};
  parse(&e, 404, h, N(h), "{\"message\":\"Email identity <sender@example.com> does not exist.\"}");
  check(&e, 404, "NotFoundException", "Email identity <sender@example.com> does not exist.",
        "0a5b1c2d-3e4f-5a6b-7c8d-9e0f1a2b3c4d");
  uvaws_error_clear(&e);
}

static void lambda_rest_json(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"Content-Type", "application/json"},
      {"X-Amzn-ErrorType", "ResourceNotFoundException"},
      {"x-amzn-RequestId", "9c3e1b7a-5d2f-4c1e-8a6b-2f4d9e7c1a3b"},
  };
  uvaws_error_t e = {0};
  /* "Type":"User" is the fault side, not the error type. */
  parse(&e, 404, h, N(h),
        "{\"Type\":\"User\",\"message\":\"Function not found: "
        "arn:aws:lambda:us-east-1:123456789012:function:resize-images\"}");
  check(&e, 404, "ResourceNotFoundException",
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:resize-images",
        "9c3e1b7a-5d2f-4c1e-8a6b-2f4d9e7c1a3b");
  uvaws_error_clear(&e);
}

static void json_precedence(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  /* header > code > Code > __type */
  uvaws_kv_t h[] = {{"x-amzn-errortype", "FromHeader"}};
  parse(&e, 400, h, N(h), "{\"code\":\"FromCode\",\"__type\":\"a#FromType\"}");
  str_eq(e.aws_type, "FromHeader");
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0,
        "{\"__type\":\"a#FromType\",\"Code\":\"FromBigCode\",\"code\":\"FromCode\"}");
  str_eq(e.aws_type, "FromCode");
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0, "{\"__type\":\"a#FromType\",\"Code\":\"FromBigCode\"}");
  str_eq(e.aws_type, "FromBigCode");
  uvaws_error_clear(&e);
  /* A header that cleans to nothing does not hide the body. */
  uvaws_kv_t empty[] = {{"x-amzn-ErrorType", ":http://internal.amazon.com/"}};
  parse(&e, 400, empty, N(empty), "{\"__type\":\"a#FromType\"}");
  str_eq(e.aws_type, "FromType");
  uvaws_error_clear(&e);
  /* message > Message > errorMessage; only strings count. */
  parse(&e, 400, NULL, 0, "{\"message\":7,\"Message\":\"Big\",\"errorMessage\":\"err\"}");
  check(&e, 400, NULL, "Big", NULL);
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0, "{\"errorMessage\":\"err\",\"__type\":{\"x\":1}}");
  check(&e, 400, NULL, "err", NULL);
  uvaws_error_clear(&e);
  /* Odd but legal type shapes. */
  parse(&e, 400, NULL, 0, "{\"__type\":\"a#b#Last\"}");
  str_eq(e.aws_type, "Last");
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0, "{\"__type\":\"ns#\",\"message\":\"  padded  \"}");
  check(&e, 400, NULL, "padded", NULL);
  uvaws_error_clear(&e);
  /* Not an object. */
  parse(&e, 400, NULL, 0, "[{\"__type\":\"X\"}]");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);
}

/* ---- XML protocols ---- */

static void sts_expired_token(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"x-amzn-RequestId", "7e7a1f0c-2a39-4cd4-9a1e-3b3f0c6b2e11"},
      {"Content-Type", "text/xml"},
  };
  uvaws_error_t e = {0};
  parse(&e, 400, h, N(h),
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>ExpiredToken</Code>\n"
        "    <Message>The security token included in the request is expired</Message>\n"
        "  </Error>\n"
        "  <RequestId>7e7a1f0c-2a39-4cd4-9a1e-3b3f0c6b2e11</RequestId>\n"
        "</ErrorResponse>\n");
  check(&e, 400, "ExpiredToken", "The security token included in the request is expired",
        "7e7a1f0c-2a39-4cd4-9a1e-3b3f0c6b2e11");
  uvaws_error_clear(&e);
}

static void sesv1_message_rejected(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  parse(&e, 400, NULL, 0,
        "<ErrorResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n"
        "  <Error>\n"
        "    <Type>Sender</Type>\n"
        "    <Code>MessageRejected</Code>\n"
        "    <Message>Email address is not verified. The following identities failed the check "
        "in region US-EAST-1: sender@example.com</Message>\n"
        "  </Error>\n"
        "  <RequestId>b5c6d7e8-f9a0-4b1c-8d2e-3f4a5b6c7d8e</RequestId>\n"
        "</ErrorResponse>\n");
  check(&e, 400, "MessageRejected",
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: sender@example.com",
        "b5c6d7e8-f9a0-4b1c-8d2e-3f4a5b6c7d8e");
  uvaws_error_clear(&e);
}

static void sqs_query_non_existent_queue(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  parse(&e, 400, NULL, 0,
        "<?xml version=\"1.0\"?><ErrorResponse "
        "xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><Error><Type>Sender</Type>"
        "<Code>AWS.SimpleQueueService.NonExistentQueue</Code><Message>The specified queue does "
        "not exist for this wsdl version.</Message><Detail/></Error>"
        "<RequestId>42d59b56-7407-4c4a-be0f-4c88daeea257</RequestId></ErrorResponse>");
  check(&e, 400, "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist for this wsdl version.",
        "42d59b56-7407-4c4a-be0f-4c88daeea257");
  uvaws_error_clear(&e);
}

static void ec2_auth_failure(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  parse(&e, 401, NULL, 0,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to "
        "validate the provided access credentials</Message></Error></Errors>"
        "<RequestID>ad8b4e34-4a8d-4e1c-9f1e-5c0b4a7d2e61</RequestID></Response>");
  check(&e, 401, "AuthFailure", "AWS was not able to validate the provided access credentials",
        "ad8b4e34-4a8d-4e1c-9f1e-5c0b4a7d2e61");
  uvaws_error_clear(&e);
  /* Several errors: the first one, code and message together. */
  parse(&e, 400, NULL, 0,
        "<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>first</Message>"
        "</Error><Error><Code>Second</Code><Message>second</Message></Error></Errors>"
        "<RequestID>r</RequestID></Response>");
  check(&e, 400, "InvalidParameterValue", "first", "r");
  uvaws_error_clear(&e);
  /* The first error without a message does not borrow the second's. */
  parse(&e, 400, NULL, 0,
        "<Response><Errors><Error><Code>A</Code></Error><Error><Code>B</Code>"
        "<Message>b</Message></Error></Errors></Response>");
  check(&e, 400, "A", NULL, NULL);
  uvaws_error_clear(&e);
}

static void s3_no_such_key(void **state) {
  (void)state;
  uvaws_kv_t h[] = {
      {"x-amz-request-id", "4442587FB7D0A2F9"},
      {"x-amz-id-2",
       "vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="},
      {"Content-Type", "application/xml"},
  };
  uvaws_error_t e = {0};
  parse(&e, 404, h, N(h),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
        "<Key>photos/2006/February/sample.jpg</Key><Resource>/mybucket/photos/2006/February/"
        "sample.jpg</Resource><RequestId>4442587FB7D0A2F9</RequestId>"
        "<HostId>vlR7PnpV2Ce81l0PRw6jlUpck7Jo5ZsQjryTjKlc5aLWGVHPZLj5NeC6qMa0emYBDXOo6QBU0Wo="
        "</HostId></Error>");
  check(&e, 404, "NoSuchKey", "The specified key does not exist.", "4442587FB7D0A2F9");
  uvaws_error_clear(&e);
  /* HEAD has no body: the id comes from x-amz-request-id, never x-amz-id-2. */
  parse(&e, 404, h, N(h), "");
  check(&e, 404, NULL, NULL, "4442587FB7D0A2F9");
  uvaws_error_clear(&e);
  parse(&e, 404, h + 1, 2, NULL);
  check(&e, 404, NULL, NULL, NULL);
  uvaws_error_clear(&e);
}

static void throttling(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  parse(&e, 400, NULL, 0,
        "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ThrottlingException\","
        "\"message\":\"Rate of requests exceeds the allowed throughput.\"}");
  check(&e, 400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.", NULL);
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0,
        "{\"__type\":\"ProvisionedThroughputExceededException\",\"message\":\"Rate exceeded for "
        "shard shardId-000000000001 in stream orders under account 123456789012.\"}");
  check(&e, 400, "ProvisionedThroughputExceededException",
        "Rate exceeded for shard shardId-000000000001 in stream orders under account "
        "123456789012.",
        NULL);
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender"
        "</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
        "<RequestId>t-1</RequestId></ErrorResponse>");
  check(&e, 400, "Throttling", "Rate exceeded", "t-1");
  uvaws_error_clear(&e);
  parse(&e, 503, NULL, 0,
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message>"
        "<RequestId>S3SLOW</RequestId><HostId>h</HostId></Error>");
  check(&e, 503, "SlowDown", "Please reduce your request rate.", "S3SLOW");
  uvaws_error_clear(&e);
}

static void request_id_sources(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  /* Body wins over headers. */
  uvaws_kv_t both[] = {{"x-amz-request-id", "FROM-HEADER"}, {"x-amzn-RequestId", "FROM-HEADER-2"}};
  parse(&e, 404, both, N(both),
        "<Error><Code>NoSuchBucket</Code><RequestId>FROM-BODY</RequestId></Error>");
  check(&e, 404, "NoSuchBucket", NULL, "FROM-BODY");
  uvaws_error_clear(&e);
  /* Without one in the body: x-amzn-RequestId, then x-amz-request-id, any case. */
  parse(&e, 404, both, N(both), "<Error><Code>NoSuchBucket</Code></Error>");
  str_eq(e.request_id, "FROM-HEADER-2");
  uvaws_error_clear(&e);
  uvaws_kv_t upper[] = {{"X-AMZ-REQUEST-ID", "  UPPER  "}};
  parse(&e, 500, upper, N(upper), "{\"__type\":\"InternalServerError\"}");
  check(&e, 500, "InternalServerError", NULL, "UPPER");
  uvaws_error_clear(&e);
  /* A blank x-amzn-RequestId falls through to the next header. */
  uvaws_kv_t blank[] = {{"x-amzn-RequestId", " "}, {"x-amz-request-id", "NEXT"}};
  parse(&e, 500, blank, N(blank), NULL);
  str_eq(e.request_id, "NEXT");
  uvaws_error_clear(&e);
  /* Entries with NULL members are skipped, NULL headers with a count too. */
  uvaws_kv_t holes[] = {{NULL, "x"}, {"x-amzn-RequestId", NULL}, {"x-amzn-RequestId", "OK"}};
  parse(&e, 500, holes, N(holes), NULL);
  str_eq(e.request_id, "OK");
  uvaws_error_clear(&e);
  parse(&e, 500, NULL, 5, NULL);
  check(&e, 500, NULL, NULL, NULL);
  uvaws_error_clear(&e);
}

static void empty_503(void **state) {
  (void)state;
  uvaws_kv_t h[] = {{"x-amzn-RequestId", "R503"}};
  uvaws_error_t e = {0};
  parse(&e, 503, h, N(h), "");
  check(&e, 503, NULL, NULL, "R503");
  uvaws_error_clear(&e);
  parse(&e, 503, NULL, 0, " \r\n\t ");
  check(&e, 503, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  /* NULL body with a length is taken as empty, not read. */
  assert_int_equal(aws_error_from_response(&e, 503, NULL, 0, NULL, 100), 0);
  check(&e, 503, NULL, NULL, NULL);
  uvaws_error_clear(&e);
}

static void html_from_a_proxy(void **state) {
  (void)state;
  uvaws_kv_t h[] = {{"Content-Type", "text/html\x1b[31m"}};
  uvaws_error_t e = {0};
  parse(&e, 502, h, N(h),
        "\n\n<html>\r\n<head><title>502 Bad Gateway</title></head>\n<body>\x1b]0;pwned\x07"
        "<center><h1>502 Bad Gateway</h1></center>\n<hr><center>nginx</center>\n</body></html>");
  check(&e, 502, NULL, NULL, NULL);
  str_eq(e.detail, "an answer that is not an AWS error (text/html\\x1B[31m): <html> <head><title>502 "
                   "Bad Gateway</title></head> <body>\\x1B]0;pwned\\x07<center><h1>502 Bad "
                   "Gateway</h1></center> <hr><center>nginx</center> </body></html>");
  uvaws_error_clear(&e);
  /* long pages are cut, and say so */
  char page[4096];
  memset(page, 'x', sizeof page - 1);
  page[sizeof page - 1] = '\0';
  parse(&e, 500, NULL, 0, page);
  check(&e, 500, NULL, NULL, NULL);
  assert_true(strlen(e.detail) < 300);
  assert_non_null(strstr(e.detail, " ..."));
  uvaws_error_clear(&e);
  parse(&e, 500, NULL, 0, "");
  str_eq(e.detail, "an empty answer");
  uvaws_error_clear(&e);
}

static void garbage(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  static const char bin[] = "\x00\xff\xfe{\"__type\":\"X\"}\x01<Error>";
  assert_int_equal(aws_error_from_response(&e, 500, NULL, 0, bin, sizeof bin - 1), 0);
  check(&e, 500, NULL, NULL, NULL);
  uvaws_error_clear(&e);

  parse(&e, 400, NULL, 0, "{\"__type\":\"Thr");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);

  /* A raw NUL inside a JSON string: the C string ends there, nothing is
   * read past the length given. */
  static const char nul[] = "{\"__type\":\"A\0B\"}";
  assert_int_equal(aws_error_from_response(&e, 400, NULL, 0, nul, sizeof nul - 1), 0);
  check(&e, 400, "A", NULL, NULL);
  uvaws_error_clear(&e);

  /* Truncated XML keeps what closed before the cut, nothing half-read. */
  parse(&e, 404, NULL, 0, "<Error><Code>NoSuchKey</Code><Message>The specified key does no");
  check(&e, 404, "NoSuchKey", NULL, NULL);
  uvaws_error_clear(&e);
  parse(&e, 404, NULL, 0, "<Error><Code>NoSu");
  check(&e, 404, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  parse(&e, 404, NULL, 0, "<");
  check(&e, 404, NULL, NULL, NULL);
  uvaws_error_clear(&e);

  /* A load balancer's page: XML-ish, but no AWS layout. */
  parse(&e, 502, NULL, 0,
        "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway"
        "</h1></center><Error><Code>NotReally</Code></Error></body></html>");
  check(&e, 502, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  parse(&e, 503, NULL, 0, "Service Unavailable");
  check(&e, 503, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  /* <Code> outside the Error element or too deep does not count. */
  parse(&e, 400, NULL, 0,
        "<ErrorResponse><Code>Loose</Code><Error><X><Code>Deep</Code></X></Error></ErrorResponse>");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);

  /* The header still gives the type when the body is unreadable. */
  uvaws_kv_t h[] = {{"x-amzn-ErrorType", "InternalFailure"}};
  parse(&e, 500, h, N(h), "{\"__type\":\"Thr");
  check(&e, 500, "InternalFailure", NULL, NULL);
  uvaws_error_clear(&e);
}

static void huge_message(void **state) {
  (void)state;
  const size_t big = 3 * AWS_ERROR_FIELD_MAX;
  char *json = malloc(big + 256), *xml = malloc(big + 256), *want = malloc(big);
  assert_non_null(json);
  assert_non_null(xml);
  assert_non_null(want);
  memset(want, 'a', AWS_ERROR_FIELD_MAX);
  want[AWS_ERROR_FIELD_MAX] = '\0';

  strcpy(json, "{\"__type\":\"Big\",\"message\":\"");
  size_t n = strlen(json);
  memset(json + n, 'a', big);
  strcpy(json + n + big, "\"}");
  uvaws_error_t e = {0};
  parse(&e, 400, NULL, 0, json);
  check(&e, 400, "Big", want, NULL);
  uvaws_error_clear(&e);

  /* Leading blanks do not eat into the cap. */
  strcpy(xml, "<Error><Code>Big</Code><Message>\n      ");
  n = strlen(xml);
  memset(xml + n, 'a', big);
  strcpy(xml + n + big, "</Message><RequestId>r</RequestId></Error>");
  parse(&e, 400, NULL, 0, xml);
  check(&e, 400, "Big", want, "r");
  uvaws_error_clear(&e);

  /* The cut falls inside a two-byte character: the whole character goes. */
  strcpy(json, "{\"message\":\"x");
  n = strlen(json);
  for (size_t i = 0; i < AWS_ERROR_FIELD_MAX; i++, n += 2)
    memcpy(json + n, "\xc3\xa9", 2);
  strcpy(json + n, "\"}");
  parse(&e, 400, NULL, 0, json);
  assert_non_null(e.message);
  assert_int_equal(strlen(e.message), AWS_ERROR_FIELD_MAX - 1);
  assert_memory_equal(e.message, "x\xc3\xa9", 3);
  assert_memory_equal(e.message + AWS_ERROR_FIELD_MAX - 3, "\xc3\xa9", 2);
  uvaws_error_clear(&e);

  /* Exactly at the cap: nothing lost. */
  strcpy(json, "{\"message\":\"");
  n = strlen(json);
  memset(json + n, 'a', AWS_ERROR_FIELD_MAX);
  strcpy(json + n + AWS_ERROR_FIELD_MAX, "\"}");
  parse(&e, 400, NULL, 0, json);
  str_eq(e.message, want);
  uvaws_error_clear(&e);

  free(json);
  free(xml);
  free(want);
}

static void xml_namespaces_and_text(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  parse(&e, 400, NULL, 0,
        "<q:ErrorResponse xmlns:q=\"http://queue.amazonaws.com/doc/2012-11-05/\">"
        "<q:Error><q:Type>Sender</q:Type><q:Code>InvalidParameterValue</q:Code>"
        "<q:Message>Value a &lt; b &amp; c &#x263A; for parameter X is invalid.</q:Message>"
        "</q:Error><q:RequestId>ns-1</q:RequestId></q:ErrorResponse>");
  check(&e, 400, "InvalidParameterValue",
        "Value a < b & c \xe2\x98\xba for parameter X is invalid.", "ns-1");
  uvaws_error_clear(&e);
  /* An undeclared prefix (no namespace processing) and CDATA. */
  parse(&e, 400, NULL, 0,
        "<s3:Error><s3:Code>AccessDenied</s3:Code><s3:Message><![CDATA[Access <Denied>]]>"
        "</s3:Message></s3:Error>");
  check(&e, 400, "AccessDenied", "Access <Denied>", NULL);
  uvaws_error_clear(&e);
  /* A UTF-8 byte order mark in front of either kind. */
  parse(&e, 400, NULL, 0, "\xEF\xBB\xBF<Error><Code>Bom</Code></Error>");
  str_eq(e.aws_type, "Bom");
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0, "\xEF\xBB\xBF {\"__type\":\"BomJson\"}");
  str_eq(e.aws_type, "BomJson");
  uvaws_error_clear(&e);
}

static void xml_entity_attacks(void **state) {
  (void)state;
  uvaws_error_t e = {0};
  clock_t t0 = clock();
  parse(&e, 400, NULL, 0,
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE Error [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<Error><Code>Bomb</Code><Message>&lol9;</Message></Error>");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);

  parse(&e, 400, NULL, 0,
        "<!DOCTYPE Error [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>"
        "<Error><Code>Xxe</Code><Message>&xxe;</Message></Error>");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  parse(&e, 400, NULL, 0,
        "<!DOCTYPE Error SYSTEM \"http://169.254.169.254/latest/meta-data/\">"
        "<Error><Code>Ext</Code></Error>");
  check(&e, 400, NULL, NULL, NULL);
  uvaws_error_clear(&e);
  /* An entity never declared is a well-formedness error, not a lookup. */
  parse(&e, 400, NULL, 0, "<Error><Code>Und</Code><Message>&lol9;</Message></Error>");
  check(&e, 400, "Und", NULL, NULL);
  uvaws_error_clear(&e);
}

static void body_kind(void **state) {
  (void)state;
  assert_int_equal(aws_error_body_kind("{}", 2), AWS_BODY_JSON);
  assert_int_equal(aws_error_body_kind(" \r\n\t{", 5), AWS_BODY_JSON);
  assert_int_equal(aws_error_body_kind("\xEF\xBB\xBF{", 4), AWS_BODY_JSON);
  assert_int_equal(aws_error_body_kind("<?xml", 5), AWS_BODY_XML);
  assert_int_equal(aws_error_body_kind("\n<Error>", 8), AWS_BODY_XML);
  assert_int_equal(aws_error_body_kind("", 0), AWS_BODY_OTHER);
  assert_int_equal(aws_error_body_kind(NULL, 10), AWS_BODY_OTHER);
  assert_int_equal(aws_error_body_kind("   ", 3), AWS_BODY_OTHER);
  assert_int_equal(aws_error_body_kind("[1]", 3), AWS_BODY_OTHER);
  assert_int_equal(aws_error_body_kind("Forbidden", 9), AWS_BODY_OTHER);
  /* The length is honoured: the '{' past it is not seen. */
  assert_int_equal(aws_error_body_kind("  {", 2), AWS_BODY_OTHER);
  assert_int_equal(aws_error_body_kind("\xEF\xBB", 2), AWS_BODY_OTHER);
}

static void arguments_and_reuse(void **state) {
  (void)state;
  assert_int_equal(aws_error_from_response(NULL, 400, NULL, 0, "{}", 2), UVAWS_EINVAL);
  /* A filled error is cleared, not leaked or merged. */
  uvaws_error_t e = {0};
  uvaws_error_set(&e, UVAWS_ETIMEDOUT, "left over %d", 1);
  parse(&e, 400, NULL, 0, "{\"__type\":\"First\",\"message\":\"one\"}");
  check(&e, 400, "First", "one", NULL);
  parse(&e, 500, NULL, 0, "");
  check(&e, 500, NULL, NULL, NULL);
  uvaws_error_clear(&e);
}

/* uvaws codes and libuv codes never meet: one int can carry either. */
static void error_codes_apart_from_libuv(void **state) {
  (void)state;
  static const int codes[] = {
#define XX(name, value, text) UVAWS_##name,
      UVAWS_ERRNO_MAP(XX)
#undef XX
  };
  char name[64];
  for (size_t i = 0; i < N(codes); i++) {
    assert_in_range(codes[i], UVAWS_ERRNO_MIN, UVAWS_ERRNO_MAX);
    uv_err_name_r(codes[i], name, sizeof name);
    assert_non_null(strstr(name, "Unknown")); /* no libuv code has this value */
    assert_string_not_equal(uvaws_err_name(codes[i]), "UVAWS_UNKNOWN");
    for (size_t k = 0; k < i; k++)
      assert_int_not_equal(codes[i], codes[k]);
  }
  for (int c = -5000; c < 0; c++) /* every code libuv could give back */
    assert_string_equal(uvaws_err_name(c), "UVAWS_UNKNOWN");
  assert_string_equal(uvaws_err_name(UV_EAI_AGAIN), "UVAWS_UNKNOWN");
  assert_string_equal(uvaws_strerror(UV_ECANCELED), "unknown error");
}

/* Text from outside is escaped wherever it becomes an error string: control
 * characters, bytes that are not UTF-8, and the Unicode controls that move or
 * break lines; everything else is kept as it is. */
static void control_characters_escaped(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"plain ASCII, ~!@#$%^&*()", "plain ASCII, ~!@#$%^&*()"},
      {"caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80", NULL}, /* kept */
      {"a\nb\rc\td", "a\\nb\\rc\\td"},
      {"\x1b[31mred\x07\x7f", "\\x1B[31mred\\x07\\x7F"},
      {"\xC2\x85next line \xC2\x9B", "\\u0085next line \\u009B"},
      {"\xE2\x80\xAE" "evil\xE2\x80\xA8\xE2\x81\xA6", "\\u202Eevil\\u2028\\u2066"},
      {"bad \xFF \xC0\xAF \xED\xA0\x80 \xE2\x82", "bad \\xFF \\xC0\\xAF \\xED\\xA0\\x80 \\xE2\\x82"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *want = cases[i].out ? cases[i].out : cases[i].in;
    /* an AWS error body's type and message */
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "__type", cases[i].in);
    cJSON_AddStringToObject(j, "message", cases[i].in);
    char *text = cJSON_PrintUnformatted(j);
    uvaws_error_t e = {0};
    aws_error_from_response(&e, 400, NULL, 0, text, strlen(text));
    if (strchr(cases[i].in, '#') == NULL && strchr(cases[i].in, ':') == NULL)
      assert_string_equal(e.aws_type, want);
    assert_string_equal(e.message, want);
    uvaws_error_clear(&e);
    free(text);
    cJSON_Delete(j);
    /* a detail: curl's text, a helper's output, a file name ... */
    uvaws_error_set(&e, UVAWS_ECREDS, "source said: %s", cases[i].in);
    char expect[512];
    snprintf(expect, sizeof expect, "source said: %s", want);
    assert_string_equal(e.detail, expect);
    uvaws_error_clear(&e);
  }
  /* a request id from a header */
  uvaws_kv_t h[] = {{"x-amzn-RequestId", "id\x1b]0;t\x07"}};
  uvaws_error_t e = {0};
  aws_error_from_response(&e, 500, h, 1, "", 0);
  assert_string_equal(e.request_id, "id\\x1B]0;t\\x07");
  uvaws_error_clear(&e);
}

/* The header block of an answer (resp_head.c): a NUL inside a line ends it
 * before the blanks are trimmed, blanks and tabs go from both ends, the
 * status line is no header. */
/* A response header by name: case-insensitive, whole names only. */
static void test_response_header_lookup(void **state) {
  (void)state;
  uvaws_kv_t h[] = {{"Content-Type-X", "a"}, {"content-type", "b"}, {"X-Amz-Id-2", "c"}};
  uvaws_response_t res = {.headers = h, .header_count = 3};
  assert_string_equal(uvaws_response_header(&res, "Content-Type"), "b");
  assert_string_equal(uvaws_response_header(&res, "x-amz-id-2"), "c");
  assert_null(uvaws_response_header(&res, "Content"));
  assert_null(uvaws_response_header(NULL, "Content-Type"));
}

static void test_response_head(void **state) {
  (void)state;
  static const char raw[] = "HTTP/1.1 200 OK: fine\r\nX-A: v \t\0junk\r\nX-B:\t w\t \r\n\r\n";
  resp_head_t h = {0};
  buf_add(&h.raw, raw, sizeof raw - 1);
  assert_int_equal(resp_head_parse(&h), 0);
  assert_int_equal(h.count, 2);
  assert_string_equal(h.headers[0].name, "X-A");
  assert_string_equal(h.headers[0].value, "v");
  assert_string_equal(h.headers[1].name, "X-B");
  assert_string_equal(h.headers[1].value, "w");
  resp_head_free(&h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_response_head),
      cmocka_unit_test(test_response_header_lookup),
      cmocka_unit_test(dynamodb_resource_not_found),
      cmocka_unit_test(dynamodb_validation_suffix),
      cmocka_unit_test(dynamodb_conditional_check_failed),
      cmocka_unit_test(kinesis_json11),
      cmocka_unit_test(sesv2_rest_json_header_type),
      cmocka_unit_test(lambda_rest_json),
      cmocka_unit_test(json_precedence),
      cmocka_unit_test(sts_expired_token),
      cmocka_unit_test(sesv1_message_rejected),
      cmocka_unit_test(sqs_query_non_existent_queue),
      cmocka_unit_test(ec2_auth_failure),
      cmocka_unit_test(s3_no_such_key),
      cmocka_unit_test(throttling),
      cmocka_unit_test(request_id_sources),
      cmocka_unit_test(empty_503),
      cmocka_unit_test(html_from_a_proxy),
      cmocka_unit_test(garbage),
      cmocka_unit_test(huge_message),
      cmocka_unit_test(xml_namespaces_and_text),
      cmocka_unit_test(xml_entity_attacks),
      cmocka_unit_test(body_kind),
      cmocka_unit_test(arguments_and_reuse),
      cmocka_unit_test(error_codes_apart_from_libuv),
      cmocka_unit_test(control_characters_escaped),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
