/* xml_json: AWS query and EC2 answers as the services send them (typed from
 * the example responses of the AWS API references), the shapes the rules
 * name, and broken or hostile documents. Each answer is compared as the
 * exact text cJSON prints; the expected side is written as readable JSON and
 * printed the same way, so member order and every value count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "xml_json.h"
#include "xml_tree.h"

static void json_is(const char *xml, const char *want_json) {
  char why[128] = "";
  cJSON *got = xml_to_json(xml, strlen(xml), why, sizeof why);
  if (got == NULL)
    fail_msg("refused: %s", why);
  cJSON *want = cJSON_Parse(want_json);
  assert_non_null(want); /* the test's own JSON */
  char *g = cJSON_PrintUnformatted(got), *w = cJSON_PrintUnformatted(want);
  assert_string_equal(g, w);
  free(g);
  free(w);
  cJSON_Delete(got);
  cJSON_Delete(want);
}

/* Refused, with a reason that starts with `why_prefix`. */
static void refused_n(const char *xml, size_t len, const char *why_prefix) {
  char why[128] = "";
  cJSON *got = xml_to_json(xml, len, why, sizeof why);
  if (got != NULL) {
    char *g = cJSON_PrintUnformatted(got);
    fail_msg("accepted as %s", g);
  }
  if (strncmp(why, why_prefix, strlen(why_prefix)) != 0)
    fail_msg("reason \"%s\", want \"%s...\"", why, why_prefix);
}

static void refused(const char *xml, const char *why_prefix) {
  refused_n(xml, strlen(xml), why_prefix);
}

/* ---- STS ---- */

static void sts_assume_role(void **state) {
  (void)state;
  json_is("<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
          "<AssumeRoleResult>\n"
          "<SourceIdentity>Alice</SourceIdentity>\n"
          "  <AssumedRoleUser>\n"
          "    <Arn>arn:aws:sts::123456789012:assumed-role/demo/TestAR</Arn>\n"
          "    <AssumedRoleId>ARO123EXAMPLE123:TestAR</AssumedRoleId>\n"
          "  </AssumedRoleUser>\n"
          "  <Credentials>\n"
          "    <AccessKeyId>ASIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
          "    <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
          "    <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
          "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUp"
          "p2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKw"
          "T38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2I"
          "CCR/oLxBA==</SessionToken>\n"
          "    <Expiration>2019-11-09T13:34:41Z</Expiration>\n"
          "  </Credentials>\n"
          "  <PackedPolicySize>6</PackedPolicySize>\n"
          "</AssumeRoleResult>\n"
          "<ResponseMetadata>\n"
          "  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
          "</ResponseMetadata>\n"
          "</AssumeRoleResponse>\n",
          "{\"SourceIdentity\": \"Alice\","
          " \"AssumedRoleUser\": {\"Arn\": \"arn:aws:sts::123456789012:assumed-role/demo/TestAR\","
          "                     \"AssumedRoleId\": \"ARO123EXAMPLE123:TestAR\"},"
          " \"Credentials\": {\"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\","
          "   \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\","
          "   \"SessionToken\": \"AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"
          "LWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUp"
          "p2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKw"
          "T38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2I"
          "CCR/oLxBA==\","
          "   \"Expiration\": \"2019-11-09T13:34:41Z\"},"
          " \"PackedPolicySize\": \"6\","
          " \"ResponseMetadata\": {\"RequestId\": \"c6104cbe-af31-11e0-8154-cbc7ccf896c7\"}}");
}

static void sts_assume_role_with_web_identity(void **state) {
  (void)state;
  json_is(
      "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <AssumeRoleWithWebIdentityResult>\n"
      "    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"
      "</SubjectFromWebIdentityToken>\n"
      "    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>\n"
      "    <AssumedRoleUser>\n"
      "      <Arn>arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1</Arn>\n"
      "      <AssumedRoleId>AROACLKWSDQRAOEXAMPLE:app1</AssumedRoleId>\n"
      "    </AssumedRoleUser>\n"
      "    <Credentials>\n"
      "      <SessionToken>AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE</SessionToken>\n"
      "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
      "      <Expiration>2014-10-24T23:00:23Z</Expiration>\n"
      "      <AccessKeyId>ASgeIAIOSFODNN7EXAMPLE</AccessKeyId>\n"
      "    </Credentials>\n"
      "    <SourceIdentity>SourceIdentityValue</SourceIdentity>\n"
      "    <Provider>www.amazon.com</Provider>\n"
      "  </AssumeRoleWithWebIdentityResult>\n"
      "  <ResponseMetadata>\n"
      "    <RequestId>ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE</RequestId>\n"
      "  </ResponseMetadata>\n"
      "</AssumeRoleWithWebIdentityResponse>\n",
      "{\"SubjectFromWebIdentityToken\": \"amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A\","
      " \"Audience\": \"client.5498841531868486423.1548@apps.example.com\","
      " \"AssumedRoleUser\": {"
      "   \"Arn\": \"arn:aws:sts::123456789012:assumed-role/FederatedWebIdentityRole/app1\","
      "   \"AssumedRoleId\": \"AROACLKWSDQRAOEXAMPLE:app1\"},"
      " \"Credentials\": {\"SessionToken\": \"AQoDYXdzEE0a8ANXXXXXXXXNO1ewxE5TijQyp+IEXAMPLE\","
      "   \"SecretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\","
      "   \"Expiration\": \"2014-10-24T23:00:23Z\", \"AccessKeyId\": \"ASgeIAIOSFODNN7EXAMPLE\"},"
      " \"SourceIdentity\": \"SourceIdentityValue\", \"Provider\": \"www.amazon.com\","
      " \"ResponseMetadata\": {\"RequestId\": \"ad4156e9-bce1-11e2-82e6-6b6efEXAMPLE\"}}");
}

static void sts_get_caller_identity(void **state) {
  (void)state;
  json_is("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
          "  <GetCallerIdentityResult>\n"
          "   <Arn>arn:aws:iam::123456789012:user/Alice</Arn>\n"
          "    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>\n"
          "    <Account>123456789012</Account>\n"
          "  </GetCallerIdentityResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</GetCallerIdentityResponse>\n",
          "{\"Arn\": \"arn:aws:iam::123456789012:user/Alice\", \"UserId\": \"AKIAI44QH8DHBEXAMPLE\","
          " \"Account\": \"123456789012\","
          " \"ResponseMetadata\": {\"RequestId\": \"01234567-89ab-cdef-0123-456789abcdef\"}}");
}

/* ---- SES v1 ---- */

static void ses_send_email(void **state) {
  (void)state;
  json_is("<SendEmailResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n"
          "  <SendEmailResult>\n"
          "    <MessageId>00000131d51d2292-159ad6eb-077c-46e6-ad09-ae7c05925ed4-000000</MessageId>\n"
          "  </SendEmailResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>d5964849-c866-11e0-9beb-01a62d68c57f</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</SendEmailResponse>\n",
          "{\"MessageId\": \"00000131d51d2292-159ad6eb-077c-46e6-ad09-ae7c05925ed4-000000\","
          " \"ResponseMetadata\": {\"RequestId\": \"d5964849-c866-11e0-9beb-01a62d68c57f\"}}");
}

static void ses_get_send_quota(void **state) {
  (void)state;
  json_is("<GetSendQuotaResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n"
          "  <GetSendQuotaResult>\n"
          "    <SentLast24Hours>127.0</SentLast24Hours>\n"
          "    <Max24HourSend>200.0</Max24HourSend>\n"
          "    <MaxSendRate>1.0</MaxSendRate>\n"
          "  </GetSendQuotaResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>273021c6-c866-11e0-b926-699e21c3af9e</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</GetSendQuotaResponse>\n",
          "{\"SentLast24Hours\": \"127.0\", \"Max24HourSend\": \"200.0\", \"MaxSendRate\": \"1.0\","
          " \"ResponseMetadata\": {\"RequestId\": \"273021c6-c866-11e0-b926-699e21c3af9e\"}}");
}

/* SES answers void operations with an empty Result element. */
static void ses_empty_result(void **state) {
  (void)state;
  json_is("<VerifyEmailIdentityResponse xmlns=\"http://ses.amazonaws.com/doc/2010-12-01/\">\n"
          "  <VerifyEmailIdentityResult/>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>47e0ef1a-9bf2-11e1-9279-0100e8cf109a</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</VerifyEmailIdentityResponse>\n",
          "{\"ResponseMetadata\": {\"RequestId\": \"47e0ef1a-9bf2-11e1-9279-0100e8cf109a\"}}");
}

/* ---- SNS ---- */

static void sns_list_topics(void **state) {
  (void)state;
  json_is("<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
          "  <ListTopicsResult>\n"
          "    <Topics>\n"
          "      <member>\n"
          "        <TopicArn>arn:aws:sns:us-east-2:123456789012:My-Topic</TopicArn>\n"
          "      </member>\n"
          "      <member>\n"
          "        <TopicArn>arn:aws:sns:us-east-2:123456789012:Other-Topic</TopicArn>\n"
          "      </member>\n"
          "    </Topics>\n"
          "    <NextToken>AAHm3qU5Y8dVsKEtJM9KnR7DBdbZ4ZpDRzT9q4tGIXsLlQ==</NextToken>\n"
          "  </ListTopicsResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>3f1478c7-33a9-11df-9540-99d0768312d3</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</ListTopicsResponse>\n",
          "{\"Topics\": [{\"TopicArn\": \"arn:aws:sns:us-east-2:123456789012:My-Topic\"},"
          "             {\"TopicArn\": \"arn:aws:sns:us-east-2:123456789012:Other-Topic\"}],"
          " \"NextToken\": \"AAHm3qU5Y8dVsKEtJM9KnR7DBdbZ4ZpDRzT9q4tGIXsLlQ==\","
          " \"ResponseMetadata\": {\"RequestId\": \"3f1478c7-33a9-11df-9540-99d0768312d3\"}}");
}

static void sns_get_topic_attributes(void **state) {
  (void)state;
  json_is("<GetTopicAttributesResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n"
          "  <GetTopicAttributesResult>\n"
          "    <Attributes>\n"
          "      <entry>\n"
          "        <key>Owner</key>\n"
          "        <value>123456789012</value>\n"
          "      </entry>\n"
          "      <entry>\n"
          "        <key>Policy</key>\n"
          "        <value>{&quot;Version&quot;:&quot;2008-10-17&quot;,&quot;Statement&quot;:[]}"
          "</value>\n"
          "      </entry>\n"
          "      <entry>\n"
          "        <key>TopicArn</key>\n"
          "        <value>arn:aws:sns:us-east-2:123456789012:My-Topic</value>\n"
          "      </entry>\n"
          "      <entry>\n"
          "        <key>DisplayName</key>\n"
          "        <value></value>\n"
          "      </entry>\n"
          "    </Attributes>\n"
          "  </GetTopicAttributesResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>057f074c-33a7-11df-9540-99d0768312d3</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</GetTopicAttributesResponse>\n",
          "{\"Attributes\": {\"Owner\": \"123456789012\","
          "   \"Policy\": \"{\\\"Version\\\":\\\"2008-10-17\\\",\\\"Statement\\\":[]}\","
          "   \"TopicArn\": \"arn:aws:sns:us-east-2:123456789012:My-Topic\","
          "   \"DisplayName\": \"\"},"
          " \"ResponseMetadata\": {\"RequestId\": \"057f074c-33a7-11df-9540-99d0768312d3\"}}");
}

/* A map with one entry is a map; a key given twice keeps its first place and
 * its last value; <name> works as <key>. */
static void maps(void **state) {
  (void)state;
  json_is("<R><Attributes><entry><key>k</key><value>v</value></entry></Attributes></R>",
          "{\"Attributes\": {\"k\": \"v\"}}");
  json_is("<R><A><entry><key>a</key><value>1</value></entry>"
          "<entry><key>b</key><value>2</value></entry>"
          "<entry><key>a</key><value>3</value></entry></A></R>",
          "{\"A\": {\"a\": \"3\", \"b\": \"2\"}}");
  json_is("<R><A><entry><name>n</name><value><x>1</x></value></entry></A></R>",
          "{\"A\": {\"n\": {\"x\": \"1\"}}}");
  /* not map-shaped: plain objects */
  json_is("<R><A><entry><key>a</key></entry></A></R>", "{\"A\": {\"entry\": {\"key\": \"a\"}}}");
  json_is("<R><A><entry><key><b>1</b></key><value>2</value></entry></A></R>",
          "{\"A\": {\"entry\": {\"key\": {\"b\": \"1\"}, \"value\": \"2\"}}}");
  /* an entry holds a key and a value and nothing else */
  json_is("<R><A><entry><key>a</key><value>1</value><note>x</note></entry></A></R>",
          "{\"A\": {\"entry\": {\"key\": \"a\", \"value\": \"1\", \"note\": \"x\"}}}");
}

/* ---- SQS (query protocol) ---- */

/* The SQS query API flattens its lists: Message and Attribute repeat without a
 * wrapper. Without the model they are arrays when repeated and an object when
 * alone (one Message here), which callers must expect. */
static void sqs_receive_message(void **state) {
  (void)state;
  json_is("<ReceiveMessageResponse>\n"
          "  <ReceiveMessageResult>\n"
          "    <Message>\n"
          "      <MessageId>5fea7756-0ea4-451a-a703-a558b933e274</MessageId>\n"
          "      <ReceiptHandle>MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw"
          "Lj1FjgXUv1uSj1gUPAWV66FU/WeR4mq2OKpEGYWbnLmpRCJVAyeMjeU5ZBdtcQ+QEauMZc8ZRv37sIW2iJKq3M9M"
          "Fx1YvV11A2x/KSbkJ0=</ReceiptHandle>\n"
          "      <MD5OfBody>fafb00f5732ab283681e124bf8747ed1</MD5OfBody>\n"
          "      <Body>This is a test message</Body>\n"
          "      <Attribute>\n"
          "        <Name>SenderId</Name>\n"
          "        <Value>195004372649</Value>\n"
          "      </Attribute>\n"
          "      <Attribute>\n"
          "        <Name>SentTimestamp</Name>\n"
          "        <Value>1238099229000</Value>\n"
          "      </Attribute>\n"
          "      <Attribute>\n"
          "        <Name>ApproximateReceiveCount</Name>\n"
          "        <Value>5</Value>\n"
          "      </Attribute>\n"
          "      <MD5OfMessageAttributes>d25a6aea97eb8f585bfa92d314504a92</MD5OfMessageAttributes>\n"
          "      <MessageAttribute>\n"
          "        <Name>City</Name>\n"
          "        <Value>\n"
          "          <DataType>String</DataType>\n"
          "          <StringValue>Any City</StringValue>\n"
          "        </Value>\n"
          "      </MessageAttribute>\n"
          "    </Message>\n"
          "  </ReceiveMessageResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>b6633655-283d-45b4-aee4-4e84e0ae6afa</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</ReceiveMessageResponse>\n",
          "{\"Message\": {\"MessageId\": \"5fea7756-0ea4-451a-a703-a558b933e274\","
          "   \"ReceiptHandle\": \"MbZj6wDWli+JvwwJaBV+3dcjk2YW2vA3+STFFljTM8tJJg6HRG6PYSasuWXPJB+Cw"
          "Lj1FjgXUv1uSj1gUPAWV66FU/WeR4mq2OKpEGYWbnLmpRCJVAyeMjeU5ZBdtcQ+QEauMZc8ZRv37sIW2iJKq3M9M"
          "Fx1YvV11A2x/KSbkJ0=\","
          "   \"MD5OfBody\": \"fafb00f5732ab283681e124bf8747ed1\","
          "   \"Body\": \"This is a test message\","
          "   \"Attribute\": [{\"Name\": \"SenderId\", \"Value\": \"195004372649\"},"
          "                 {\"Name\": \"SentTimestamp\", \"Value\": \"1238099229000\"},"
          "                 {\"Name\": \"ApproximateReceiveCount\", \"Value\": \"5\"}],"
          "   \"MD5OfMessageAttributes\": \"d25a6aea97eb8f585bfa92d314504a92\","
          "   \"MessageAttribute\": {\"Name\": \"City\","
          "     \"Value\": {\"DataType\": \"String\", \"StringValue\": \"Any City\"}}},"
          " \"ResponseMetadata\": {\"RequestId\": \"b6633655-283d-45b4-aee4-4e84e0ae6afa\"}}");
}

/* ---- CloudWatch ---- */

static void cloudwatch_get_metric_statistics(void **state) {
  (void)state;
  json_is("<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\n"
          "  <GetMetricStatisticsResult>\n"
          "    <Datapoints>\n"
          "      <member>\n"
          "        <Timestamp>2009-01-16T00:00:00Z</Timestamp>\n"
          "        <Unit>Percent</Unit>\n"
          "        <Samples>9.0</Samples>\n"
          "        <Average>0.09</Average>\n"
          "      </member>\n"
          "      <member>\n"
          "        <Timestamp>2009-01-16T00:01:00Z</Timestamp>\n"
          "        <Unit>Percent</Unit>\n"
          "        <Samples>8.0</Samples>\n"
          "        <Average>0.18</Average>\n"
          "      </member>\n"
          "    </Datapoints>\n"
          "    <Label>CPUUtilization</Label>\n"
          "  </GetMetricStatisticsResult>\n"
          "  <ResponseMetadata>\n"
          "    <RequestId>b9b4f2b0-1a52-11e1-b2e4-8d3f4a1e7a73</RequestId>\n"
          "  </ResponseMetadata>\n"
          "</GetMetricStatisticsResponse>\n",
          "{\"Datapoints\": ["
          "   {\"Timestamp\": \"2009-01-16T00:00:00Z\", \"Unit\": \"Percent\", \"Samples\": \"9.0\","
          "    \"Average\": \"0.09\"},"
          "   {\"Timestamp\": \"2009-01-16T00:01:00Z\", \"Unit\": \"Percent\", \"Samples\": \"8.0\","
          "    \"Average\": \"0.18\"}],"
          " \"Label\": \"CPUUtilization\","
          " \"ResponseMetadata\": {\"RequestId\": \"b9b4f2b0-1a52-11e1-b2e4-8d3f4a1e7a73\"}}");
}

/* ---- EC2 ---- */

static void ec2_describe_instances(void **state) {
  (void)state;
  json_is("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<DescribeInstancesResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\">\n"
          "    <requestId>8f7724cf-496f-496e-8fe3-example</requestId>\n"
          "    <reservationSet>\n"
          "        <item>\n"
          "            <reservationId>r-1234567890abcdef0</reservationId>\n"
          "            <ownerId>123456789012</ownerId>\n"
          "            <groupSet/>\n"
          "            <instancesSet>\n"
          "                <item>\n"
          "                    <instanceId>i-1234567890abcdef0</instanceId>\n"
          "                    <imageId>ami-bff32ccc</imageId>\n"
          "                    <instanceState>\n"
          "                        <code>16</code>\n"
          "                        <name>running</name>\n"
          "                    </instanceState>\n"
          "                    <privateDnsName>ip-192-168-1-88.eu-west-1.compute.internal"
          "</privateDnsName>\n"
          "                    <dnsName/>\n"
          "                    <keyName>my_keypair</keyName>\n"
          "                    <amiLaunchIndex>0</amiLaunchIndex>\n"
          "                    <instanceType>t2.micro</instanceType>\n"
          "                    <launchTime>2018-05-08T16:46:19.000Z</launchTime>\n"
          "                    <placement>\n"
          "                        <availabilityZone>eu-west-1c</availabilityZone>\n"
          "                        <groupName/>\n"
          "                        <tenancy>default</tenancy>\n"
          "                    </placement>\n"
          "                    <monitoring>\n"
          "                        <state>disabled</state>\n"
          "                    </monitoring>\n"
          "                    <groupSet>\n"
          "                        <item>\n"
          "                            <groupId>sg-e4076980</groupId>\n"
          "                            <groupName>SecurityGroup1</groupName>\n"
          "                        </item>\n"
          "                    </groupSet>\n"
          "                    <tagSet>\n"
          "                        <item>\n"
          "                            <key>Name</key>\n"
          "                            <value>Server_1</value>\n"
          "                        </item>\n"
          "                        <item>\n"
          "                            <key>env</key>\n"
          "                            <value>prod</value>\n"
          "                        </item>\n"
          "                    </tagSet>\n"
          "                    <ebsOptimized>false</ebsOptimized>\n"
          "                </item>\n"
          "            </instancesSet>\n"
          "        </item>\n"
          "    </reservationSet>\n"
          "</DescribeInstancesResponse>\n",
          "{\"requestId\": \"8f7724cf-496f-496e-8fe3-example\","
          " \"reservationSet\": [{\"reservationId\": \"r-1234567890abcdef0\","
          "   \"ownerId\": \"123456789012\", \"groupSet\": \"\","
          "   \"instancesSet\": [{\"instanceId\": \"i-1234567890abcdef0\","
          "     \"imageId\": \"ami-bff32ccc\","
          "     \"instanceState\": {\"code\": \"16\", \"name\": \"running\"},"
          "     \"privateDnsName\": \"ip-192-168-1-88.eu-west-1.compute.internal\","
          "     \"dnsName\": \"\", \"keyName\": \"my_keypair\", \"amiLaunchIndex\": \"0\","
          "     \"instanceType\": \"t2.micro\", \"launchTime\": \"2018-05-08T16:46:19.000Z\","
          "     \"placement\": {\"availabilityZone\": \"eu-west-1c\", \"groupName\": \"\","
          "                   \"tenancy\": \"default\"},"
          "     \"monitoring\": {\"state\": \"disabled\"},"
          "     \"groupSet\": [{\"groupId\": \"sg-e4076980\", \"groupName\": \"SecurityGroup1\"}],"
          "     \"tagSet\": [{\"key\": \"Name\", \"value\": \"Server_1\"},"
          "                {\"key\": \"env\", \"value\": \"prod\"}],"
          "     \"ebsOptimized\": \"false\"}]}]}");
}

/* EC2 errors have a Response root and no Result: the root's children. */
static void ec2_error_and_other_roots(void **state) {
  (void)state;
  json_is("<Response><Errors><Error><Code>InvalidInstanceID.Malformed</Code>"
          "<Message>Invalid id: \"i-1\"</Message></Error></Errors>"
          "<RequestID>ea966190-f9aa-478e-9ede-example</RequestID></Response>",
          "{\"Errors\": {\"Error\": {\"Code\": \"InvalidInstanceID.Malformed\","
          "  \"Message\": \"Invalid id: \\\"i-1\\\"\"}},"
          " \"RequestID\": \"ea966190-f9aa-478e-9ede-example\"}");
  /* S3-like: the root is just the object of its children; Contents repeats. */
  json_is("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
          "  <Name>bucket</Name><Prefix/><KeyCount>2</KeyCount><IsTruncated>false</IsTruncated>\n"
          "  <Contents><Key>my-image.jpg</Key><Size>434234</Size>"
          "<StorageClass>STANDARD</StorageClass></Contents>\n"
          "  <CommonPrefixes><Prefix>photos/</Prefix></CommonPrefixes>\n"
          "  <Contents><Key>my-third-image.jpg</Key><Size>64994</Size>"
          "<StorageClass>STANDARD_IA</StorageClass></Contents>\n"
          "</ListBucketResult>\n",
          "{\"Name\": \"bucket\", \"Prefix\": \"\", \"KeyCount\": \"2\", \"IsTruncated\": \"false\","
          " \"Contents\": [{\"Key\": \"my-image.jpg\", \"Size\": \"434234\","
          "                 \"StorageClass\": \"STANDARD\"},"
          "                {\"Key\": \"my-third-image.jpg\", \"Size\": \"64994\","
          "                 \"StorageClass\": \"STANDARD_IA\"}],"
          " \"CommonPrefixes\": {\"Prefix\": \"photos/\"}}");
  /* A void query answer: only the metadata. */
  json_is("<DeleteTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">"
          "<ResponseMetadata><RequestId>f3aa9ac9-3c3d-11df-8235-9dab105e9c32</RequestId>"
          "</ResponseMetadata></DeleteTopicResponse>",
          "{\"ResponseMetadata\": {\"RequestId\": \"f3aa9ac9-3c3d-11df-8235-9dab105e9c32\"}}");
  /* a Result that is not this operation's is not unwrapped */
  json_is("<FooResponse><BarResult><a>1</a></BarResult></FooResponse>",
          "{\"BarResult\": {\"a\": \"1\"}}");
  json_is("<Response>text only</Response>", "{}");
  json_is("<Response/>", "{}");
}

/* ---- shapes ---- */

/* An empty list cannot be told from an empty string without the model. */
static void empty_list(void **state) {
  (void)state;
  json_is("<ListTopicsResponse><ListTopicsResult><Topics/></ListTopicsResult>"
          "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>",
          "{\"Topics\": \"\", \"ResponseMetadata\": {\"RequestId\": \"r\"}}");
  json_is("<DescribeInstancesResponse><requestId>r</requestId>"
          "<reservationSet>\n   \n</reservationSet></DescribeInstancesResponse>",
          "{\"requestId\": \"r\", \"reservationSet\": \"\\n   \\n\"}");
}

static void one_member_list(void **state) {
  (void)state;
  json_is("<ListTopicsResponse><ListTopicsResult><Topics><member><TopicArn>arn:a</TopicArn>"
          "</member></Topics></ListTopicsResult></ListTopicsResponse>",
          "{\"Topics\": [{\"TopicArn\": \"arn:a\"}]}");
  json_is("<R><Ids><member>a</member></Ids><S><item>x</item></S><E><member/></E></R>",
          "{\"Ids\": [\"a\"], \"S\": [\"x\"], \"E\": [\"\"]}");
  /* mixed names: an object; members repeated inside it make an array */
  json_is("<R><L><member>a</member><member>b</member><other>c</other></L></R>",
          "{\"L\": {\"member\": [\"a\", \"b\"], \"other\": \"c\"}}");
  /* a list of lists */
  json_is("<R><L><member><member>a</member></member><member><member>b</member>"
          "<member>c</member></member></L></R>",
          "{\"L\": [[\"a\"], [\"b\", \"c\"]]}");
}

static void cdata_and_entities(void **state) {
  (void)state;
  json_is("<R><Body><![CDATA[<b>bold</b> & <i>]]></Body>"
          "<Text>a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos; &#233;&#x263A;</Text>"
          "<Mixed>x<![CDATA[&y]]>z</Mixed><Utf8>Zo\xc3\xab \xe2\x98\x83</Utf8>"
          "<Space>  two  </Space></R>",
          "{\"Body\": \"<b>bold</b> & <i>\","
          " \"Text\": \"a & b <c> \\\"d\\\" 'e' \xc3\xa9\xe2\x98\xba\","
          " \"Mixed\": \"x&yz\", \"Utf8\": \"Zo\xc3\xab \xe2\x98\x83\", \"Space\": \"  two  \"}");
  /* another encoding declared: expat hands over UTF-8 */
  json_is("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><R><a>caf\xe9</a></R>",
          "{\"a\": \"caf\xc3\xa9\"}");
}

static void namespaces_and_attributes(void **state) {
  (void)state;
  json_is("<ns1:GetCallerIdentityResponse xmlns:ns1=\"https://sts.amazonaws.com/doc/2011-06-15/\""
          " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
          "<ns1:GetCallerIdentityResult>"
          "<ns1:Account xsi:type=\"string\" id=\"7\">123456789012</ns1:Account>"
          "<Arn>arn:aws:iam::123456789012:root</Arn>"
          "<ns1:Empty xsi:nil=\"true\"/>"
          "</ns1:GetCallerIdentityResult>"
          "<ns1:ResponseMetadata><ns1:RequestId>id</ns1:RequestId></ns1:ResponseMetadata>"
          "</ns1:GetCallerIdentityResponse>",
          "{\"Account\": \"123456789012\", \"Arn\": \"arn:aws:iam::123456789012:root\","
          " \"Empty\": \"\", \"ResponseMetadata\": {\"RequestId\": \"id\"}}");
  /* prefixes differ, names are the same: the same key */
  json_is("<R xmlns:a=\"u1\" xmlns:b=\"u2\"><a:x>1</a:x><b:x>2</b:x></R>",
          "{\"x\": [\"1\", \"2\"]}");
  /* comments and processing instructions carry nothing */
  json_is("<R><!-- c --><?pi data?><a>1<!-- inside --></a></R>", "{\"a\": \"1\"}");
}

/* Many siblings, distinct and repeated: grouping stays in document order
 * (and is sorted internally, so this is quick). */
static void many_siblings(void **state) {
  (void)state;
  enum { N = 20000 };
  char *xml = malloc(N * 40 + 64), *want = malloc(N * 40 + 64);
  assert_non_null(xml);
  assert_non_null(want);
  size_t x = (size_t)sprintf(xml, "<R>");
  for (int i = 0; i < N; i++)
    x += (size_t)sprintf(xml + x, "<k%d>%d</k%d><r>%d</r>", i, i, i, i);
  sprintf(xml + x, "</R>");
  /* "r" first appears right after k0: its array stands there */
  size_t w = (size_t)sprintf(want, "{\"k0\":\"0\",\"r\":[");
  for (int i = 0; i < N; i++)
    w += (size_t)sprintf(want + w, "%s\"%d\"", i ? "," : "", i);
  w += (size_t)sprintf(want + w, "]");
  for (int i = 1; i < N; i++)
    w += (size_t)sprintf(want + w, ",\"k%d\":\"%d\"", i, i);
  sprintf(want + w, "}");
  json_is(xml, want);
  free(xml);
  free(want);
}

/* ---- refused ---- */

static void malformed(void **state) {
  (void)state;
  static const char truncated[] = "<SendEmailResponse><SendEmailResult><MessageId>0000";
  refused(truncated, "not well-formed XML at line 1");
  refused("<a>\n<b></a>", "not well-formed XML at line 2: mismatched tag");
  refused("", "not well-formed XML at line 1: no element found");
  refused("   ", "not well-formed XML at line 1: no element found");
  refused("<a/><b/>", "not well-formed XML at line 1: junk after document element");
  refused("<a>&foo;</a>", "not well-formed XML at line 1: undefined entity");
  refused("<a>&#0;</a>", "not well-formed XML");
  refused("{\"not\": \"xml\"}", "not well-formed XML");
  refused_n("<a>x\0y</a>", 10, "not well-formed XML");
  refused_n(NULL, 5, "no XML given");
  refused_n(NULL, 0, "not well-formed XML");
  /* the reason is cut to the buffer, and no buffer is fine */
  char why[8];
  assert_null(xml_to_json("<a>", 3, why, sizeof why));
  assert_string_equal(why, "not wel");
  assert_null(xml_to_json("<a>", 3, NULL, 0));
}

static void doctype_refused(void **state) {
  (void)state;
  refused("<?xml version=\"1.0\"?>\n"
          "<!DOCTYPE lolz [\n"
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
          "<lolz>&lol9;</lolz>\n",
          "DOCTYPE refused");
  refused("<!DOCTYPE r SYSTEM \"file:///etc/passwd\"><r>&x;</r>", "DOCTYPE refused");
  refused("<!DOCTYPE r><r/>", "DOCTYPE refused");
}

static char *nested(int depth) {
  char *s = malloc((size_t)depth * 7 + 1), *p = s;
  for (int i = 0; i < depth; i++)
    p += sprintf(p, "<a>");
  for (int i = 0; i < depth; i++)
    p += sprintf(p, "</a>");
  return s;
}

static void depth_cap(void **state) {
  (void)state;
  char *ok = nested(64), *deep = nested(65);
  char why[64];
  cJSON *j = xml_to_json(ok, strlen(ok), why, sizeof why);
  assert_non_null(j);
  cJSON_Delete(j);
  refused(deep, "too deep");
  free(ok);
  free(deep);
  /* an empty element at the cap, ending right after the stop */
  refused("<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
          "<a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a><a>"
          "<a><a><a><a><a><a><a><a><a><a><a><a><b/>",
          "too deep");
}

static void text_cap(void **state) {
  (void)state;
  size_t cap = (size_t)1 << 20;
  char *xml = malloc(cap + 32);
  memcpy(xml, "<R><a>", 6);
  memset(xml + 6, 'x', cap);
  memcpy(xml + 6 + cap, "</a></R>", 9);
  char why[64];
  cJSON *j = xml_to_json(xml, strlen(xml), why, sizeof why);
  assert_non_null(j);
  assert_int_equal(strlen(cJSON_GetObjectItem(j, "a")->valuestring), cap);
  cJSON_Delete(j);
  /* one byte more, as an entity so that the cut is not on a buffer edge */
  memcpy(xml + 6 + cap, "&amp;</a></R>", 14);
  refused(xml, "text too long");
  free(xml);
}

/* An element with children has no text of its own: the indentation before
 * its first child is dropped, and so is any text around its children. */
static void tree_parent_text(void **state) {
  (void)state;
  const char *xml = "<R>\n  <a>1</a>\n  stray <b>2</b> text\n</R>";
  char why[64];
  xml_node *root = xml_parse(xml, strlen(xml), 8, 1024, why, sizeof why);
  assert_non_null(root);
  assert_int_equal(root->nchildren, 2);
  assert_string_equal(xml_text(root), "");
  assert_string_equal(xml_text(xml_child(root, "a")), "1");
  assert_string_equal(xml_text(xml_child(root, "b")), "2");
  xml_free(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(tree_parent_text),
      cmocka_unit_test(sts_assume_role),
      cmocka_unit_test(sts_assume_role_with_web_identity),
      cmocka_unit_test(sts_get_caller_identity),
      cmocka_unit_test(ses_send_email),
      cmocka_unit_test(ses_get_send_quota),
      cmocka_unit_test(ses_empty_result),
      cmocka_unit_test(sns_list_topics),
      cmocka_unit_test(sns_get_topic_attributes),
      cmocka_unit_test(maps),
      cmocka_unit_test(sqs_receive_message),
      cmocka_unit_test(cloudwatch_get_metric_statistics),
      cmocka_unit_test(ec2_describe_instances),
      cmocka_unit_test(ec2_error_and_other_roots),
      cmocka_unit_test(empty_list),
      cmocka_unit_test(one_member_list),
      cmocka_unit_test(cdata_and_entities),
      cmocka_unit_test(namespaces_and_attributes),
      cmocka_unit_test(many_siblings),
      cmocka_unit_test(malformed),
      cmocka_unit_test(doctype_refused),
      cmocka_unit_test(depth_cap),
      cmocka_unit_test(text_cap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
