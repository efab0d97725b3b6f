/* uvaws help SERVICE [OPERATION]: the services, their operations and the
 * parameters of one, from the service models, as `aws SERVICE help` and
 * `aws SERVICE OPERATION help` show them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *protocol_name(uvaws_protocol_t p) {
  switch (p) {
  case UVAWS_PROTOCOL_JSON:
    return "json";
  case UVAWS_PROTOCOL_QUERY:
    return "query";
  case UVAWS_PROTOCOL_EC2:
    return "ec2";
  case UVAWS_PROTOCOL_REST_JSON:
    return "rest-json";
  case UVAWS_PROTOCOL_REST_XML:
    return "rest-xml";
  }
  return "?";
}

/* Names in columns of `width`, as wide as the terminal allows (80). */
static void columns(FILE *out, const char *(*name_at)(const void *ctx, size_t i), const void *ctx) {
  size_t width = 0, n = 0;
  for (const char *s; (s = name_at(ctx, n)) != NULL; n++)
    if (strlen(s) > width)
      width = strlen(s);
  width += 2;
  size_t per_line = 78 / width ? 78 / width : 1;
  size_t rows = (n + per_line - 1) / per_line;
  for (size_t r = 0; r < rows; r++) {
    fputs("  ", out);
    for (size_t c = 0; c < per_line && c * rows + r < n; c++)
      fprintf(out, "%-*s", (int)width, name_at(ctx, c * rows + r));
    fputc('\n', out);
  }
}

static const char *service_name_at(const void *ctx, size_t i) {
  (void)ctx;
  const uvaws_service_t *s = uvaws_service_at(i);
  return s ? s->name : NULL;
}

static const char *op_name_at(const void *ctx, size_t i) { return uvaws_operation_at(ctx, i); }

/* "string, required, 3+ chars": one member in a line. */
static void summary(FILE *out, const cJSON *d) {
  const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(d, "type"));
  const cJSON *member = cJSON_GetObjectItem(d, "member");
  const cJSON *value = cJSON_GetObjectItem(d, "value");
  if (member)
    fprintf(out, "list of %s", cJSON_GetStringValue(cJSON_GetObjectItem(member, "type")));
  else if (value)
    fprintf(out, "map of %s to %s", cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(d, "key"), "type")),
            cJSON_GetStringValue(cJSON_GetObjectItem(value, "type")));
  else
    fputs(type, out);
  if (strcmp(type, "structure") == 0 || (member && cJSON_GetObjectItem(member, "members")) ||
      (value && cJSON_GetObjectItem(value, "members")))
    fprintf(out, " (%s)", cJSON_GetStringValue(cJSON_GetObjectItem(member ? member : value ? value : d,
                                                                   "shape")));
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "required")))
    fputs(", required", out);
  const cJSON *min = cJSON_GetObjectItem(d, "min");
  if (min && (strcmp(type, "string") == 0 || member))
    fprintf(out, ", %g+ %s", min->valuedouble, member ? "items" : "chars");
  else if (min)
    fprintf(out, ", >= %g", min->valuedouble);
  const char *loc = cJSON_GetStringValue(cJSON_GetObjectItem(d, "location"));
  const char *wire = cJSON_GetStringValue(cJSON_GetObjectItem(d, "wire"));
  if (loc)
    fprintf(out, ", %s %s", loc, wire ? wire : "");
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "payload")))
    fputs(", the body", out);
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "streaming")))
    fputs(" (streamed)", out);
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "idempotency_token")))
    fputs(", filled in when left out", out);
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "union")))
    fputs(", exactly one member", out);
  fputc('\n', out);
}

/* The members of a structure, nested ones indented, each structure once. */
static void members(FILE *out, const cJSON *d, int indent, cJSON *shown) {
  const cJSON *inner = cJSON_GetObjectItem(d, "members") ? d
                       : cJSON_GetObjectItem(d, "member") ? cJSON_GetObjectItem(d, "member")
                       : cJSON_GetObjectItem(d, "value");
  const cJSON *ms = inner ? cJSON_GetObjectItem(inner, "members") : NULL;
  if (ms == NULL)
    return;
  const char *shape = cJSON_GetStringValue(cJSON_GetObjectItem(inner, "shape"));
  if (shape && indent > 2) {
    if (cJSON_GetObjectItem(shown, shape)) /* described above already */
      return;
    cJSON_AddTrueToObject(shown, shape);
  }
  const cJSON *m;
  cJSON_ArrayForEach(m, ms) {
    fprintf(out, "%*s%-*s ", indent, "", 28 - indent > 8 ? 28 - indent : 8, m->string);
    summary(out, m);
    const cJSON *e = cJSON_GetObjectItem(m, "enum");
    if (e && cJSON_GetArraySize(e) <= 12) {
      fprintf(out, "%*s  one of:", indent + 2, "");
      const cJSON *v;
      cJSON_ArrayForEach(v, e) fprintf(out, " %s", v->valuestring);
      fputc('\n', out);
    }
    if (indent < 14)
      members(out, m, indent + 4, shown);
  }
}

int cli_models_help(const char *service, const char *operation, FILE *out) {
  if (service == NULL || strcmp(service, "services") == 0) {
    if (uvaws_service_at(0) == NULL) {
      fprintf(stderr, "uvaws: no service models in %s\n", uvaws_models_dir());
      return EXIT_CONFIG;
    }
    fputs("services (uvaws help SERVICE lists the operations of one):\n", out);
    columns(out, service_name_at, NULL);
    return EXIT_OK;
  }
  const uvaws_service_t *svc = uvaws_service_find(service);
  if (svc == NULL) {
    fprintf(stderr, "uvaws: unknown service '%s' (uvaws help services lists them)\n", service);
    return EXIT_USAGE;
  }
  if (operation == NULL) {
    fprintf(out, "%s (%s): protocol %s, API %s, signing name %s, endpoint prefix %s\n\n"
                 "operations (uvaws help %s OPERATION describes one):\n",
            svc->name, svc->service_id, protocol_name(svc->protocol), svc->api_version,
            svc->signing_name, svc->endpoint_prefix, svc->name);
    columns(out, op_name_at, svc);
    return EXIT_OK;
  }
  cJSON *d = uvaws_operation_describe(svc, operation);
  if (d == NULL) {
    fprintf(stderr, "uvaws: %s has no operation %s (uvaws help %s lists them)\n", svc->name,
            operation, svc->name);
    return EXIT_USAGE;
  }
  fprintf(out, "%s %s: %s %s%s\n", svc->name, operation,
          cJSON_GetStringValue(cJSON_GetObjectItem(d, "method")),
          cJSON_GetStringValue(cJSON_GetObjectItem(d, "path")),
          cJSON_IsTrue(cJSON_GetObjectItem(d, "deprecated")) ? " (deprecated)" : "");
  cJSON *shown = cJSON_CreateObject();
  static const char *const parts[] = {"input", "output"};
  for (int i = 0; i < 2; i++) {
    const cJSON *part = cJSON_GetObjectItem(d, parts[i]);
    fprintf(out, "\n%s", i == 0 ? "parameters" : "output");
    if (part == NULL || cJSON_GetArraySize(cJSON_GetObjectItem(part, "members")) == 0) {
      fputs(": none\n", out);
      continue;
    }
    fprintf(out, " (%s):\n", cJSON_GetStringValue(cJSON_GetObjectItem(part, "shape")));
    members(out, part, 2, shown);
  }
  if (cJSON_IsTrue(cJSON_GetObjectItem(d, "paginated")))
    fprintf(out, "\npaginated: uvaws_paginate(client, \"%s\", ...) follows its pages\n", operation);
  const cJSON *w = cJSON_GetObjectItem(d, "waiters");
  if (w) {
    fputs("waiters (uvaws_wait_for):", out);
    const cJSON *v;
    cJSON_ArrayForEach(v, w) fprintf(out, " %s", v->valuestring);
    fputc('\n', out);
  }
  cJSON_Delete(shown);
  cJSON_Delete(d);
  return EXIT_OK;
}
