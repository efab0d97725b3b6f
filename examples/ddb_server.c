/* Embedding uvaws in an existing libuv server: a TCP server that answers each
 * line "GET <key>" by reading the item from DynamoDB and writing it back as
 * one JSON line. Every connection is served on the same loop; a slow DynamoDB
 * answer for one client never holds up another.
 *
 *   ddb_server [--endpoint URL] [--table NAME] [--port N]
 *
 * Try it:  printf 'GET item-000001\n' | nc 127.0.0.1 7070
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uvaws.h>

typedef struct {
  uv_tcp_t tcp;
  char line[1024];
  size_t len;
  int pending; /* GetItems not answered yet: the connection waits for them */
  int closing;
} conn_t;

typedef struct {
  conn_t *conn;
  char key[256];
} lookup_t;

static uvaws_client_t *ddb;
static const char *table = "uvaws_demo";

static void on_closed(uv_handle_t *h) { free(h->data); }

static void maybe_close(conn_t *c) {
  if (c->closing && c->pending == 0 && !uv_is_closing((uv_handle_t *)&c->tcp))
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

static void on_written(uv_write_t *w, int status) {
  (void)status;
  free(w->data);
  free(w);
}

static void reply(conn_t *c, cJSON *msg) {
  char *text = cJSON_PrintUnformatted(msg);
  cJSON_Delete(msg);
  size_t n = strlen(text);
  char *line = realloc(text, n + 2);
  line[n] = '\n';
  line[n + 1] = '\0';
  uv_write_t *w = malloc(sizeof *w);
  w->data = line;
  uv_buf_t b = uv_buf_init(line, (unsigned)n + 1);
  if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) {
    free(line);
    free(w);
  }
}

static void on_item(uvaws_result_t *res, void *arg) {
  lookup_t *l = arg;
  conn_t *c = l->conn;
  cJSON *msg = cJSON_CreateObject();
  cJSON_AddStringToObject(msg, "key", l->key);
  if (res->error) {
    cJSON_AddStringToObject(msg, "error", res->error->aws_type ? res->error->aws_type
                                                               : uvaws_err_name(res->error->code));
  } else {
    cJSON *item = cJSON_GetObjectItem(res->output, "Item");
    cJSON *plain = item ? uvaws_ddb_from_item(item) : NULL;
    if (plain)
      cJSON_AddItemToObject(msg, "item", plain);
    else
      cJSON_AddNullToObject(msg, "item");
  }
  c->pending--;
  if (!uv_is_closing((uv_handle_t *)&c->tcp))
    reply(c, msg);
  else
    cJSON_Delete(msg);
  free(l);
  maybe_close(c);
}

static void handle_line(conn_t *c, char *line) {
  if (strncmp(line, "GET ", 4) != 0 || line[4] == '\0') {
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "error", "want: GET <key>");
    reply(c, msg);
    return;
  }
  lookup_t *l = calloc(1, sizeof *l);
  l->conn = c;
  snprintf(l->key, sizeof l->key, "%s", line + 4);
  cJSON *params = cJSON_CreateObject();
  cJSON_AddStringToObject(params, "TableName", table);
  cJSON_AddStringToObject(cJSON_AddObjectToObject(cJSON_AddObjectToObject(params, "Key"), "id"),
                          "S", l->key);
  if (uvaws_call(ddb, "GetItem", params, on_item, l, NULL) == 0) {
    c->pending++;
  } else {
    free(l);
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "error", "could not send");
    reply(c, msg);
  }
  cJSON_Delete(params);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)h;
  b->base = malloc(suggested);
  b->len = b->base ? suggested : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  conn_t *c = s->data;
  for (ssize_t i = 0; i < n; i++) {
    char ch = b->base[i];
    if (ch == '\n') {
      c->line[c->len] = '\0';
      if (c->len > 0 && c->line[c->len - 1] == '\r')
        c->line[c->len - 1] = '\0';
      handle_line(c, c->line);
      c->len = 0;
    } else if (c->len + 1 < sizeof c->line) {
      c->line[c->len++] = ch;
    }
  }
  free(b->base);
  if (n < 0) { /* the client is done: close once its answers are written */
    uv_read_stop(s);
    c->closing = 1;
    maybe_close(c);
  }
}

static void on_connection(uv_stream_t *server, int status) {
  if (status < 0)
    return;
  conn_t *c = calloc(1, sizeof *c);
  uv_tcp_init(server->loop, &c->tcp);
  c->tcp.data = c;
  if (uv_accept(server, (uv_stream_t *)&c->tcp) == 0)
    uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
  else
    uv_close((uv_handle_t *)&c->tcp, on_closed);
}

int main(int argc, char **argv) {
  const char *endpoint = getenv("AWS_ENDPOINT_URL_DYNAMODB");
  int port = 7070;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--table") == 0)
      table = argv[i + 1];
    else if (strcmp(argv[i], "--port") == 0)
      port = atoi(argv[i + 1]);
  }
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_options_t o = {.size = sizeof(uvaws_client_options_t), .service = "dynamodb", .endpoint = endpoint, .max_clients = 64};
  uvaws_error_t err;
  if (uvaws_client_new(loop, &o, &ddb, &err) != 0) {
    fprintf(stderr, "client: %s\n", err.detail);
    return 1;
  }
  uv_tcp_t server;
  struct sockaddr_in addr;
  uv_tcp_init(loop, &server);
  uv_ip4_addr("127.0.0.1", port, &addr);
  int rc = uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
  if (rc == 0)
    rc = uv_listen((uv_stream_t *)&server, 128, on_connection);
  if (rc != 0) {
    fprintf(stderr, "listen on 127.0.0.1:%d: %s\n", port, uv_strerror(rc));
    return 1;
  }
  printf("listening on 127.0.0.1:%d, table %s\n", port, table);
  fflush(stdout);
  return uv_run(loop, UV_RUN_DEFAULT);
}
