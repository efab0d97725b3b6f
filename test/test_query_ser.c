/* query_ser: query-protocol form bodies. The expected bodies of the SES, SNS
 * and EC2 cases were produced once by Debian's python3-botocore (its
 * QuerySerializer / EC2Serializer with the services' own models, then
 * botocore.utils.percent_encode_sequence, as botocore builds the request) for
 * the same input, and are hard-coded here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include <cmocka.h>

#include "num_text.h"
#include "query_ser.h"
#include "uvaws.h"

/* Serializes JSON text `params` after "Action=...&Version=..." as the
 * operation layer will, and compares the whole body. */
static void body_is(const char *head, const char *params, int ec2, const char *want) {
  cJSON *p = cJSON_Parse(params);
  assert_non_null(p);
  buf_t b = {0};
  buf_adds(&b, head);
  char bad[64] = "x";
  assert_int_equal(query_serialize(p, ec2, &b, bad, sizeof bad), 0);
  assert_string_equal(bad, "");
  assert_string_equal(buf_str(&b), want);
  buf_free(&b);
  cJSON_Delete(p);
}

/* The same for a parameter object built by the caller. */
static void obj_is(const cJSON *p, int ec2, const char *want) {
  buf_t b = {0};
  assert_int_equal(query_serialize(p, ec2, &b, NULL, 0), 0);
  assert_string_equal(buf_str(&b), want);
  buf_free(&b);
}

static void refused(const cJSON *p, int ec2, const char *path) {
  buf_t b = {0};
  char bad[64] = "x";
  assert_int_equal(query_serialize(p, ec2, &b, bad, sizeof bad), UVAWS_EPARAM);
  assert_string_equal(bad, path);
  buf_free(&b);
}

static void ses_send_email(void **state) {
  (void)state;
  body_is("Action=SendEmail&Version=2010-12-01",
          "{\"Source\": \"Zo\xc3\xab <sender@example.com>\","
          " \"Destination\": {\"ToAddresses\": [\"a@example.com\", \"b+tag@example.com\"],"
          "                   \"CcAddresses\": []},"
          " \"Message\": {\"Subject\": {\"Data\": \"Hello & welcome\", \"Charset\": \"UTF-8\"},"
          "   \"Body\": {\"Text\": {\"Data\": \"Line 1\\nLine 2 = 100% ~ok\"},"
          "              \"Html\": {\"Data\": \"<p>Hi/there?</p>\"}}},"
          " \"ReplyToAddresses\": [\"reply@example.com\"]}",
          0,
          "Action=SendEmail&Version=2010-12-01&Source=Zo%C3%AB%20%3Csender%40example.com%3E"
          "&Destination.ToAddresses.member.1=a%40example.com"
          "&Destination.ToAddresses.member.2=b%2Btag%40example.com&Destination.CcAddresses="
          "&Message.Subject.Data=Hello%20%26%20welcome&Message.Subject.Charset=UTF-8"
          "&Message.Body.Text.Data=Line%201%0ALine%202%20%3D%20100%25%20~ok"
          "&Message.Body.Html.Data=%3Cp%3EHi%2Fthere%3F%3C%2Fp%3E"
          "&ReplyToAddresses.member.1=reply%40example.com");
}

/* A query map is sent as Name.entry.N.<key name>/<value name>: without the
 * model the caller spells it, either as objects with index keys or as dotted
 * names; both give botocore's body. */
static const char sns_publish_want[] =
    "Action=Publish&Version=2010-03-31"
    "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Amy-topic"
    "&Message=%7B%22k%22%3A%20%22v%22%7D"
    "&MessageAttributes.entry.1.Name=color&MessageAttributes.entry.1.Value.DataType=String"
    "&MessageAttributes.entry.1.Value.StringValue=blue"
    "&MessageAttributes.entry.2.Name=count&MessageAttributes.entry.2.Value.DataType=Number"
    "&MessageAttributes.entry.2.Value.StringValue=3";

static void sns_publish_entries(void **state) {
  (void)state;
  body_is("Action=Publish&Version=2010-03-31",
          "{\"TopicArn\": \"arn:aws:sns:us-east-1:123456789012:my-topic\","
          " \"Message\": \"{\\\"k\\\": \\\"v\\\"}\","
          " \"MessageAttributes\": {\"entry\": {"
          "   \"1\": {\"Name\": \"color\", \"Value\": {\"DataType\": \"String\", \"StringValue\": \"blue\"}},"
          "   \"2\": {\"Name\": \"count\", \"Value\": {\"DataType\": \"Number\", \"StringValue\": \"3\"}}}}}",
          0, sns_publish_want);
  body_is("Action=Publish&Version=2010-03-31",
          "{\"TopicArn\": \"arn:aws:sns:us-east-1:123456789012:my-topic\","
          " \"Message\": \"{\\\"k\\\": \\\"v\\\"}\","
          " \"MessageAttributes.entry.1.Name\": \"color\","
          " \"MessageAttributes.entry.1.Value\": {\"DataType\": \"String\", \"StringValue\": \"blue\"},"
          " \"MessageAttributes.entry.2.Name\": \"count\","
          " \"MessageAttributes.entry.2.Value.DataType\": \"Number\","
          " \"MessageAttributes.entry.2.Value.StringValue\": \"3\"}",
          0, sns_publish_want);
}

static void ec2_describe_instances(void **state) {
  (void)state;
  body_is("Action=DescribeInstances&Version=2016-11-15",
          "{\"Filter\": [{\"Name\": \"instance-type\", \"Value\": [\"t2.micro\", \"t3.micro\"]},"
          "             {\"Name\": \"tag:Name\", \"Value\": [\"web server\"]}],"
          " \"InstanceId\": [\"i-1234567890abcdef0\"], \"MaxResults\": 5, \"DryRun\": false}",
          1,
          "Action=DescribeInstances&Version=2016-11-15&Filter.1.Name=instance-type"
          "&Filter.1.Value.1=t2.micro&Filter.1.Value.2=t3.micro&Filter.2.Name=tag%3AName"
          "&Filter.2.Value.1=web%20server&InstanceId.1=i-1234567890abcdef0&MaxResults=5"
          "&DryRun=false");
}

static void query_list_of_objects(void **state) {
  (void)state;
  body_is("", "{\"A\": [{\"B\": \"x\"}, {\"B\": \"y\", \"C\": [\"z\"]}], \"D\": [[\"n\"]]}", 0,
          "A.member.1.B=x&A.member.2.B=y&A.member.2.C.member.1=z&D.member.1.member.1=n");
  body_is("", "{\"A\": [{\"B\": \"x\"}], \"E\": []}", 1, "A.1.B=x&E=");
  body_is("", "{}", 0, "");
  body_is("", "{\"Empty\": {}, \"A\": \"b\"}", 0, "A=b"); /* no members, nothing to send */
}

/* RFC 3986 unreserved stay, everything else is %XX of the UTF-8 bytes; "*",
 * "+", "/" and ":" encoded as botocore does (its SetTopicAttributes body). */
static void unicode_and_reserved(void **state) {
  (void)state;
  body_is("Action=SetTopicAttributes&Version=2010-03-31",
          "{\"TopicArn\": \"arn:aws:sns:us-east-1:123456789012:t\","
          " \"AttributeName\": \"DisplayName\","
          " \"AttributeValue\": \"\xe6\x97\xa5\xe6\x9c\xac \xe2\x98\x83 a+b/c*d\"}",
          0,
          "Action=SetTopicAttributes&Version=2010-03-31"
          "&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3At&AttributeName=DisplayName"
          "&AttributeValue=%E6%97%A5%E6%9C%AC%20%E2%98%83%20a%2Bb%2Fc%2Ad");
  body_is("", "{\"k y\": \"-._~!$'()\", \"\xc3\xa9\": \"a&b=c;d#e\"}", 0,
          "k%20y=-._~%21%24%27%28%29&%C3%A9=a%26b%3Dc%3Bd%23e");
}

static void numbers_and_booleans(void **state) {
  (void)state;
  cJSON *p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "One", 1);
  cJSON_AddNumberToObject(p, "Neg", -3);
  cJSON_AddNumberToObject(p, "Half", 1.5);
  cJSON_AddNumberToObject(p, "Tenth", 0.1);
  cJSON_AddNumberToObject(p, "Big", 1e21);
  cJSON_AddNumberToObject(p, "Int20", 1e20);
  cJSON_AddNumberToObject(p, "Tiny", 5e-324);
  cJSON_AddRawToObject(p, "Raw", "123456789012345678901234567890");
  cJSON_AddTrueToObject(p, "T");
  cJSON_AddFalseToObject(p, "F");
  obj_is(p, 0,
         "One=1&Neg=-3&Half=1.5&Tenth=0.1&Big=1e%2B21&Int20=100000000000000000000"
         "&Tiny=5e-324&Raw=123456789012345678901234567890&T=true&F=false");
  cJSON_Delete(p);
}

/* num_text's integer path (by hand, below 2^53) writes what "%.0f" writes,
 * at its boundaries and on every power of two and ten it covers; above it
 * the general path takes over. */
static void number_text(void **state) {
  (void)state;
  char out[NUM_TEXT_MAX], want[64];
  double cases[256];
  size_t n = 0;
  for (double p = 1; p < 1e17; p *= 10)
    cases[n++] = p, cases[n++] = p - 1, cases[n++] = -p;
  for (double p = 1; p <= 9007199254740992.0; p *= 2)
    cases[n++] = p, cases[n++] = p - 1, cases[n++] = -(p + 1);
  cases[n++] = 0;
  cases[n++] = -0.0;
  cases[n++] = 9007199254740993.0; /* not representable: 2^53 */
  cases[n++] = 18014398509481984.0;
  cases[n++] = 1e20;
  for (size_t i = 0; i < n; i++) {
    snprintf(want, sizeof want, "%.0f", cases[i]);
    assert_int_equal(num_text(cases[i], out), strlen(want));
    assert_string_equal(out, want);
  }
  assert_int_equal(num_text(0.5, out), 3);
  assert_string_equal(out, "0.5");
  assert_int_equal(num_text(NAN, out), 0);
  assert_int_equal(num_text(-INFINITY, out), 0);
  assert_int_equal(num_text(1e21, out), 5);
  assert_string_equal(out, "1e+21");
}

static void errors(void **state) {
  (void)state;
  cJSON *p = cJSON_Parse("{\"Destination\": {\"ToAddresses\": [\"a\", null]}}");
  refused(p, 0, "Destination.ToAddresses.member.2");
  refused(p, 1, "Destination.ToAddresses.2");
  cJSON_Delete(p);

  p = cJSON_Parse("{\"A\": \"x\", \"Nothing\": null}");
  refused(p, 0, "Nothing");
  cJSON_Delete(p);

  p = cJSON_Parse("[\"not\", \"an object\"]");
  refused(p, 0, "");
  cJSON_Delete(p);
  refused(NULL, 0, "");

  p = cJSON_CreateObject();
  cJSON_AddNumberToObject(p, "Inf", HUGE_VAL);
  refused(p, 0, "Inf");
  cJSON_Delete(p);

  /* 33 levels of objects: deeper than any AWS shape, refused. */
  p = cJSON_CreateObject();
  cJSON *at = p;
  for (int i = 0; i < 33; i++)
    at = cJSON_AddObjectToObject(at, "a");
  cJSON_AddStringToObject(at, "b", "x");
  buf_t b = {0};
  char small[8];
  assert_int_equal(query_serialize(p, 0, &b, small, sizeof small), UVAWS_EPARAM);
  assert_string_equal(small, "a.a.a.a"); /* cut to the buffer */
  buf_free(&b);
  cJSON_Delete(p);

  p = cJSON_CreateObject();
  assert_int_equal(query_serialize(p, 0, NULL, NULL, 0), UVAWS_EINVAL);
  cJSON_Delete(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ses_send_email),      cmocka_unit_test(sns_publish_entries),
      cmocka_unit_test(ec2_describe_instances), cmocka_unit_test(query_list_of_objects),
      cmocka_unit_test(unicode_and_reserved),  cmocka_unit_test(numbers_and_booleans),
      cmocka_unit_test(number_text),      cmocka_unit_test(errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
