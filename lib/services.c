/* The service table: how to reach each service and which protocol it speaks.
 * Adding a service is one row (and, for rest-json, a row per operation). */
#include "services.h"

#include <string.h>
#include <strings.h>

static const uvaws_service_t services[] = {
    /* name, service id, signing name, endpoint prefix, protocol, API version,
     * JSON version, target prefix */
    {"dynamodb", "DynamoDB", "dynamodb", "dynamodb", UVAWS_PROTOCOL_JSON, "2012-08-10", "1.0",
     "DynamoDB_20120810"},
    {"dynamodbstreams", "DynamoDB Streams", "dynamodb", "streams.dynamodb", UVAWS_PROTOCOL_JSON,
     "2012-08-10", "1.0", "DynamoDBStreams_20120810"},
    {"sqs", "SQS", "sqs", "sqs", UVAWS_PROTOCOL_JSON, "2012-11-05", "1.0", "AmazonSQS"},
    {"kinesis", "Kinesis", "kinesis", "kinesis", UVAWS_PROTOCOL_JSON, "2013-12-02", "1.1",
     "Kinesis_20131202"},
    {"logs", "CloudWatch Logs", "logs", "logs", UVAWS_PROTOCOL_JSON, "2014-03-28", "1.1",
     "Logs_20140328"},
    {"secretsmanager", "Secrets Manager", "secretsmanager", "secretsmanager", UVAWS_PROTOCOL_JSON,
     "2017-10-17", "1.1", "secretsmanager"},
    {"ssm", "SSM", "ssm", "ssm", UVAWS_PROTOCOL_JSON, "2014-11-06", "1.1", "AmazonSSM"},
    {"kms", "KMS", "kms", "kms", UVAWS_PROTOCOL_JSON, "2014-11-01", "1.1", "TrentService"},
    {"events", "EventBridge", "events", "events", UVAWS_PROTOCOL_JSON, "2015-10-07", "1.1",
     "AWSEvents"},
    {"firehose", "Firehose", "firehose", "firehose", UVAWS_PROTOCOL_JSON, "2015-08-04", "1.1",
     "Firehose_20150804"},
    {"ses", "SES", "ses", "email", UVAWS_PROTOCOL_QUERY, "2010-12-01", NULL, NULL},
    {"sesv2", "SESv2", "ses", "email", UVAWS_PROTOCOL_REST_JSON, "2019-09-27", NULL, NULL},
    {"sts", "STS", "sts", "sts", UVAWS_PROTOCOL_QUERY, "2011-06-15", NULL, NULL},
    {"sns", "SNS", "sns", "sns", UVAWS_PROTOCOL_QUERY, "2010-03-31", NULL, NULL},
    {"cloudwatch", "CloudWatch", "monitoring", "monitoring", UVAWS_PROTOCOL_QUERY, "2010-08-01",
     NULL, NULL},
    {"ec2", "EC2", "ec2", "ec2", UVAWS_PROTOCOL_EC2, "2016-11-15", NULL, NULL},
    {"lambda", "Lambda", "lambda", "lambda", UVAWS_PROTOCOL_REST_JSON, "2015-03-31", NULL, NULL},
};

/* Other names people use for the same rows. */
static const struct {
  const char *alias, *name;
} aliases[] = {
    {"email", "ses"}, {"monitoring", "cloudwatch"}, {"streams.dynamodb", "dynamodbstreams"},
};

const uvaws_service_t *uvaws_service_find(const char *name) {
  if (name == NULL)
    return NULL;
  for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
    if (strcasecmp(name, aliases[i].alias) == 0)
      name = aliases[i].name;
  for (size_t i = 0; i < sizeof services / sizeof *services; i++)
    if (strcasecmp(name, services[i].name) == 0)
      return &services[i];
  return NULL;
}

static const rest_op_t rest_ops[] = {
    /* SES v2 */
    {"sesv2", "SendEmail", "POST", "/v2/email/outbound-emails", NULL, NULL, NULL, NULL, NULL, NULL},
    {"sesv2", "SendBulkEmail", "POST", "/v2/email/outbound-bulk-emails", NULL, NULL, NULL, NULL,
     NULL, NULL},
    {"sesv2", "GetAccount", "GET", "/v2/email/account", NULL, NULL, NULL, NULL, NULL, NULL},
    {"sesv2", "CreateEmailIdentity", "POST", "/v2/email/identities", NULL, NULL, NULL, NULL, NULL,
     NULL},
    {"sesv2", "GetEmailIdentity", "GET", "/v2/email/identities/{EmailIdentity}", NULL, NULL, NULL,
     NULL, NULL, NULL},
    {"sesv2", "DeleteEmailIdentity", "DELETE", "/v2/email/identities/{EmailIdentity}", NULL, NULL,
     NULL, NULL, NULL, NULL},
    {"sesv2", "ListEmailIdentities", "GET", "/v2/email/identities",
     "NextToken:NextToken PageSize:PageSize", NULL, NULL, NULL, NULL, NULL},
    {"sesv2", "CreateEmailTemplate", "POST", "/v2/email/templates", NULL, NULL, NULL, NULL, NULL,
     NULL},
    {"sesv2", "GetEmailTemplate", "GET", "/v2/email/templates/{TemplateName}", NULL, NULL, NULL,
     NULL, NULL, NULL},
    {"sesv2", "UpdateEmailTemplate", "PUT", "/v2/email/templates/{TemplateName}", NULL, NULL, NULL,
     NULL, NULL, NULL},
    {"sesv2", "DeleteEmailTemplate", "DELETE", "/v2/email/templates/{TemplateName}", NULL, NULL,
     NULL, NULL, NULL, NULL},
    {"sesv2", "ListEmailTemplates", "GET", "/v2/email/templates",
     "NextToken:NextToken PageSize:PageSize", NULL, NULL, NULL, NULL, NULL},
    {"sesv2", "PutAccountSendingAttributes", "PUT", "/v2/email/account/sending", NULL, NULL, NULL,
     NULL, NULL, NULL},
    /* Lambda */
    {"lambda", "Invoke", "POST", "/2015-03-31/functions/{FunctionName}/invocations",
     "Qualifier:Qualifier",
     "InvocationType:X-Amz-Invocation-Type LogType:X-Amz-Log-Type "
     "ClientContext:X-Amz-Client-Context",
     "Payload",
     "FunctionError:X-Amz-Function-Error LogResult:X-Amz-Log-Result "
     "ExecutedVersion:X-Amz-Executed-Version",
     "StatusCode", "Payload"},
    {"lambda", "ListFunctions", "GET", "/2015-03-31/functions/",
     "Marker:Marker MaxItems:MaxItems MasterRegion:MasterRegion FunctionVersion:FunctionVersion",
     NULL, NULL, NULL, NULL, NULL},
    {"lambda", "GetFunction", "GET", "/2015-03-31/functions/{FunctionName}", "Qualifier:Qualifier",
     NULL, NULL, NULL, NULL, NULL},
    {"lambda", "GetFunctionConfiguration", "GET",
     "/2015-03-31/functions/{FunctionName}/configuration", "Qualifier:Qualifier", NULL, NULL, NULL,
     NULL, NULL},
    {"lambda", "DeleteFunction", "DELETE", "/2015-03-31/functions/{FunctionName}",
     "Qualifier:Qualifier", NULL, NULL, NULL, NULL, NULL},
    {"lambda", "ListAliases", "GET", "/2015-03-31/functions/{FunctionName}/aliases",
     "Marker:Marker MaxItems:MaxItems FunctionVersion:FunctionVersion", NULL, NULL, NULL, NULL,
     NULL},
};

const rest_op_t *rest_op_find(const char *service, const char *operation) {
  for (size_t i = 0; i < sizeof rest_ops / sizeof *rest_ops; i++)
    if (strcmp(rest_ops[i].service, service) == 0 && strcmp(rest_ops[i].operation, operation) == 0)
      return &rest_ops[i];
  return NULL;
}
