/* The service table: how to reach each service and which protocol it speaks.
 * Adding a service is one row (and, for rest-json, a row per operation). */
#include "services.h"

#include <string.h>

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
