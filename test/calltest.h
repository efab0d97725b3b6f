/* What the tests of the operation layer share: a loop with one client, a
 * call run to its end and its result kept, paths into outputs. Include
 * after cmocka.h and testutil.h. */
#ifndef UVAWS_CALLTEST_H
#define UVAWS_CALLTEST_H

typedef struct {
  uv_loop_t loop;
  uvaws_client_t *client;
} fx_t;

static inline void fx_on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

static inline void fx_open_with(fx_t *fx, const uvaws_client_options_t *o) {
  assert_int_equal(uv_loop_init(&fx->loop), 0);
  uvaws_error_t err;
  int rc = uvaws_client_new(&fx->loop, o, &fx->client, &err);
  if (rc)
    print_error("client: %s\n", err.detail ? err.detail : uvaws_strerror(rc));
  uvaws_error_clear(&err);
  assert_int_equal(rc, 0);
}

/* A client of `service` at `endpoint`, one attempt a call. */
static inline void fx_open(fx_t *fx, const char *service, const char *endpoint) {
  uvaws_client_options_t o = test_options(endpoint);
  o.service = service;
  o.max_attempts = 1;
  fx_open_with(fx, &o);
}

static inline void fx_close(fx_t *fx) {
  uvaws_client_close(fx->client, fx_on_closed, NULL);
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&fx->loop), 0);
}

typedef struct {
  int calls, code;
  long status;
  char type[128];
  char message[1024];
  char request_id[128];
  cJSON *out; /* stolen */
  unsigned char *payload; /* a copy, NUL-terminated */
  size_t payload_len;
  int had_payload;
  int sent; /* a response was there */
} got_t;

static inline void on_result(uvaws_result_t *r, void *arg) {
  got_t *g = arg;
  g->calls++;
  g->status = r->response ? r->response->status : 0;
  g->sent = r->response != NULL;
  if (r->error) {
    g->code = r->error->code;
    snprintf(g->type, sizeof g->type, "%s", r->error->aws_type ? r->error->aws_type : "");
    snprintf(g->message, sizeof g->message, "%s",
             r->error->message ? r->error->message : r->error->detail ? r->error->detail : "");
  }
  snprintf(g->request_id, sizeof g->request_id, "%s", r->request_id ? r->request_id : "");
  g->had_payload = r->payload != NULL;
  if (r->payload != NULL) {
    g->payload = malloc(r->payload_len + 1);
    assert_non_null(g->payload);
    memcpy(g->payload, r->payload, r->payload_len);
    g->payload[r->payload_len] = '\0';
    g->payload_len = r->payload_len;
  }
  g->out = uvaws_result_steal(r);
}

/* Frees what a result kept. */
static inline void done(got_t *g) {
  cJSON_Delete(g->out);
  free(g->payload);
  memset(g, 0, sizeof *g);
}

/* Calls and runs the loop until the callback; params is JSON text or NULL. */
static inline got_t call_opts(fx_t *fx, const char *op, const char *params_json,
                       const uvaws_call_options_t *o) {
  got_t g = {0};
  cJSON *params = params_json ? cJSON_Parse(params_json) : NULL;
  if (params_json)
    assert_non_null(params);
  assert_int_equal(uvaws_call_ex(fx->client, op, params, o, on_result, &g, NULL), 0);
  cJSON_Delete(params); /* serialized already */
  uv_run(&fx->loop, UV_RUN_DEFAULT);
  assert_int_equal(g.calls, 1);
  if (g.code != 0) /* shown, for when a test does not expect it */
    print_message("%s: %s: %s %s\n", op, uvaws_err_name(g.code), g.type, g.message);
  return g;
}

static inline got_t call(fx_t *fx, const char *op, const char *params_json) {
  return call_opts(fx, op, params_json, NULL);
}

/* The string at a dotted path ("Reservations.0.Instances.1.InstanceId"). */
static inline const char *str_at(const cJSON *j, const char *path) {
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = j;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, ".")) {
    if (tok[0] >= '0' && tok[0] <= '9')
      cur = cJSON_GetArrayItem(cur, atoi(tok));
    else
      cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
  }
  return cJSON_GetStringValue(cur);
}

/* Answers of the test server's /_config "canned" list. */
static inline void canned_answers(const char *server, const char *json_list) {
  size_t n = strlen(json_list) + 32;
  char *body = malloc(n);
  assert_non_null(body);
  snprintf(body, n, "{\"canned\": %s}", json_list);
  cJSON *r = control(server, "POST", "/_config", body);
  free(body);
  assert_non_null(r);
  cJSON_Delete(r);
}

#endif
