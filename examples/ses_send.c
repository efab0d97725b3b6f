/* Sends an email through SES v1 (query protocol) and SES v2 (rest-json) with
 * the operation layer: nested parameters in, the MessageId out.
 *
 *   ses_send [--endpoint URL] [--from ADDR] [--to ADDR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvaws.h>

static int failures;

static void on_sent(uvaws_result_t *res, void *arg) {
  const char *what = arg;
  if (res->error) {
    fprintf(stderr, "%s: %s: %s\n", what,
            res->error->aws_type ? res->error->aws_type : uvaws_err_name(res->error->code),
            res->error->message ? res->error->message : "");
    failures++;
    return;
  }
  printf("%s: MessageId %s\n", what,
         cJSON_GetStringValue(cJSON_GetObjectItem(res->output, "MessageId")));
}

static uvaws_client_t *client(uv_loop_t *loop, const char *service, const char *endpoint) {
  uvaws_client_options_t o = {.size = sizeof(uvaws_client_options_t), .service = service, .endpoint = endpoint};
  uvaws_client_t *c = NULL;
  uvaws_error_t err;
  if (uvaws_client_new(loop, &o, &c, &err) != 0) {
    fprintf(stderr, "%s client: %s\n", service, err.detail);
    uvaws_error_clear(&err);
  }
  return c;
}

int main(int argc, char **argv) {
  const char *endpoint = getenv("AWS_ENDPOINT_URL_SES");
  const char *from = "sender@example.com", *to = "recipient@example.com";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--from") == 0)
      from = argv[i + 1];
    else if (strcmp(argv[i], "--to") == 0)
      to = argv[i + 1];
  }
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_t *v1 = client(loop, "ses", endpoint), *v2 = client(loop, "sesv2", endpoint);
  if (v1 == NULL || v2 == NULL)
    return 1;

  /* SES v1: Destination.ToAddresses.member.1, Message.Body.Text.Data ... */
  cJSON *p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "Source", from);
  cJSON *dest = cJSON_AddObjectToObject(p, "Destination");
  cJSON_AddItemToArray(cJSON_AddArrayToObject(dest, "ToAddresses"), cJSON_CreateString(to));
  cJSON *msg = cJSON_AddObjectToObject(p, "Message");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(msg, "Subject"), "Data", "Hello from uvaws (SES v1)");
  cJSON *body = cJSON_AddObjectToObject(msg, "Body");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "Text"), "Data", "Sent with uvaws_call.");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(body, "Html"), "Data", "<p>Sent with <b>uvaws_call</b>.</p>");
  if (uvaws_call(v1, "SendEmail", p, on_sent, "SES v1 SendEmail", NULL) != 0)
    failures++;
  cJSON_Delete(p);

  /* SES v2: the same mail as JSON to POST /v2/email/outbound-emails */
  p = cJSON_CreateObject();
  cJSON_AddStringToObject(p, "FromEmailAddress", from);
  dest = cJSON_AddObjectToObject(p, "Destination");
  cJSON_AddItemToArray(cJSON_AddArrayToObject(dest, "ToAddresses"), cJSON_CreateString(to));
  cJSON *simple = cJSON_AddObjectToObject(cJSON_AddObjectToObject(p, "Content"), "Simple");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(simple, "Subject"), "Data", "Hello from uvaws (SES v2)");
  cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(simple, "Body"), "Text"),
                          "Data", "Sent with uvaws_call.");
  if (uvaws_call(v2, "SendEmail", p, on_sent, "SES v2 SendEmail", NULL) != 0)
    failures++;
  cJSON_Delete(p);

  uv_run(loop, UV_RUN_DEFAULT);
  uvaws_client_close(v1, NULL, NULL);
  uvaws_client_close(v2, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return failures ? 1 : 0;
}
