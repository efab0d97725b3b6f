/* The service table's private half: the rest-json operations uvaws knows
 * (what uvaws_call needs beyond the public uvaws_service_t row). */
#ifndef UVAWS_SERVICES_H
#define UVAWS_SERVICES_H

#include "uvaws/call.h"

/* One rest-json operation. Mappings are space-separated "Member:wire" pairs. */
typedef struct {
  const char *service;     /* table name: "sesv2" */
  const char *operation;   /* "SendEmail" */
  const char *method;
  const char *path;        /* "/v2/email/identities/{EmailIdentity}" */
  const char *query;       /* members sent in the query string */
  const char *headers;     /* members sent as headers */
  const char *payload;     /* a member that is the raw body (Lambda's Payload) */
  const char *out_headers; /* answer headers copied into the output */
  const char *out_status;  /* member set to the HTTP status */
  const char *out_payload; /* member holding the raw answer body */
} rest_op_t;

const rest_op_t *rest_op_find(const char *service, const char *operation);

#endif
