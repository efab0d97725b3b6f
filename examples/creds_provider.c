/* A credential provider of your own: credentials from a JSON file that
 * another process rewrites before they expire (a sidecar, a vault agent),
 * read at each fetch without blocking the loop (uv_fs_* runs on libuv's
 * thread pool). The client asks again ahead of "Expiration", holds the file
 * off for a while if it is missing or malformed, and asks again once if AWS
 * says the token expired.
 *
 *   creds_provider --file PATH [--endpoint URL] [--requests N]
 *
 * The file, as the AWS CLI's credential_process prints it:
 *   {"AccessKeyId": "ASIA...", "SecretAccessKey": "...", "SessionToken": "...",
 *    "Expiration": "2030-01-01T00:00:00Z"}
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uvaws.h>

#define MAX_FILE 65536

typedef struct {
  uvaws_creds_provider_t base; /* what the client is given */
  uv_loop_t *loop;
  char *path;
  /* the read in progress: once libuv runs it, it cannot be taken back */
  uv_fs_t req;
  uv_file fd;
  char text[MAX_FILE + 1];
  size_t len;
  int reading;
  int wanted; /* its fetch still waits (0 after cancel) */
  int freed;  /* free was called while reading: freed when the read ends */
  uvaws_creds_cb cb;
  void *arg;
} file_provider_t;

/* "2030-01-01T00:00:00Z" as seconds since the epoch; 0 for none. */
static int64_t utc_seconds(const char *text) {
  struct tm tm = {0};
  const char *end = text ? strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
  return end && *end == '\0' ? (int64_t)timegm(&tm) : 0;
}

static void finish(file_provider_t *fp, const char *why) {
  fp->reading = 0;
  if (fp->freed) {
    free(fp->path);
    free(fp);
    return;
  }
  if (!fp->wanted)
    return;
  fp->wanted = 0;
  cJSON *j = why ? NULL : cJSON_ParseWithLength(fp->text, fp->len);
  uvaws_credentials_t c = {
      cJSON_GetStringValue(cJSON_GetObjectItem(j, "AccessKeyId")),
      cJSON_GetStringValue(cJSON_GetObjectItem(j, "SecretAccessKey")),
      cJSON_GetStringValue(cJSON_GetObjectItem(j, "SessionToken")),
      utc_seconds(cJSON_GetStringValue(cJSON_GetObjectItem(j, "Expiration"))),
  };
  if (why == NULL && (c.access_key == NULL || c.secret_key == NULL))
    why = "no AccessKeyId and SecretAccessKey in it";
  if (why != NULL) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, UVAWS_ECREDS, "%s: %s", fp->path, why);
    fp->cb(NULL, &e, fp->arg);
    uvaws_error_clear(&e);
  } else {
    printf("credentials %s from %s\n", c.access_key, fp->path); /* never the secret */
    fp->cb(&c, NULL, fp->arg);
  }
  memset(fp->text, 0, fp->len); /* it held a secret */
  cJSON_Delete(j);
}

static void on_close(uv_fs_t *req) {
  file_provider_t *fp = req->data;
  uv_fs_req_cleanup(req);
  finish(fp, fp->len > MAX_FILE ? "larger than 64 KiB" : NULL);
}

static void on_read(uv_fs_t *req) {
  file_provider_t *fp = req->data;
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n > 0 && fp->len + (size_t)n <= MAX_FILE) {
    fp->len += (size_t)n;
    uv_buf_t b = uv_buf_init(fp->text + fp->len, (unsigned)(MAX_FILE + 1 - fp->len));
    uv_fs_read(fp->loop, &fp->req, fp->fd, &b, 1, -1, on_read);
    return;
  }
  if (n > 0)
    fp->len = MAX_FILE + 1;
  uv_fs_close(fp->loop, &fp->req, fp->fd, on_close);
}

static void on_open(uv_fs_t *req) {
  file_provider_t *fp = req->data;
  ssize_t fd = req->result;
  uv_fs_req_cleanup(req);
  if (fd < 0) {
    finish(fp, uv_strerror((int)fd));
    return;
  }
  fp->fd = (uv_file)fd;
  uv_buf_t b = uv_buf_init(fp->text, MAX_FILE + 1);
  uv_fs_read(fp->loop, &fp->req, fp->fd, &b, 1, -1, on_read);
}

/* A client never runs two fetches at once; a provider shared by several
 * clients would serve them all from one read. */
static int file_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  file_provider_t *fp = p->data;
  if (fp->reading)
    return UVAWS_EBUSY;
  fp->cb = cb;
  fp->arg = arg;
  fp->len = 0;
  fp->req.data = fp;
  int rc = uv_fs_open(fp->loop, &fp->req, fp->path, O_RDONLY | O_CLOEXEC, 0, on_open);
  if (rc != 0)
    return UVAWS_ECREDS;
  fp->reading = fp->wanted = 1;
  *handle = fp;
  return 0;
}

static void file_cancel(uvaws_creds_provider_t *p, void *handle) {
  (void)handle;
  file_provider_t *fp = p->data;
  fp->wanted = 0; /* the read ends on its own, with no callback */
}

static void file_free(uvaws_creds_provider_t *p) {
  file_provider_t *fp = p->data;
  if (fp->reading) {
    fp->wanted = 0;
    fp->freed = 1;
    return;
  }
  free(fp->path);
  free(fp);
}

static const uvaws_creds_provider_ops_t file_ops = {file_fetch, file_cancel, file_free};

static uvaws_creds_provider_t *file_provider_new(uv_loop_t *loop, const char *path) {
  file_provider_t *fp = calloc(1, sizeof *fp);
  if (fp == NULL || (fp->path = strdup(path)) == NULL) {
    free(fp);
    return NULL;
  }
  fp->base.ops = &file_ops;
  fp->base.data = fp;
  fp->base.name = "the credentials file";
  fp->loop = loop;
  return &fp->base;
}

/* ---- using it ------------------------------------------------------------------ */

static int ok, failed;

static void on_tables(uvaws_result_t *res, void *arg) {
  (void)arg;
  if (res->error) {
    failed++;
    fprintf(stderr, "ListTables: %s\n",
            res->error->detail ? res->error->detail : uvaws_strerror(res->error->code));
  } else {
    ok++;
  }
}

int main(int argc, char **argv) {
  const char *endpoint = getenv("AWS_ENDPOINT_URL_DYNAMODB"), *file = NULL;
  int requests = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--endpoint") == 0)
      endpoint = argv[i + 1];
    else if (strcmp(argv[i], "--file") == 0)
      file = argv[i + 1];
    else if (strcmp(argv[i], "--requests") == 0)
      requests = atoi(argv[i + 1]);
  }
  if (file == NULL || requests <= 0) {
    fprintf(stderr, "usage: %s --file PATH [--endpoint URL] [--requests N]\n", argv[0]);
    return 2;
  }
  uv_loop_t *loop = uv_default_loop();
  uvaws_creds_provider_t *provider = file_provider_new(loop, file);
  uvaws_client_options_t o = {.size = sizeof(uvaws_client_options_t), .service = "dynamodb", .endpoint = endpoint,
                              .credentials_provider = provider};
  uvaws_client_t *c;
  uvaws_error_t err;
  if (provider == NULL || uvaws_client_new(loop, &o, &c, &err) != 0) {
    fprintf(stderr, "client: %s\n", provider ? err.detail : "out of memory");
    return 1;
  }
  for (int i = 0; i < requests; i++) /* one read of the file serves them all */
    uvaws_call(c, "ListTables", NULL, on_tables, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  printf("ListTables: %d ok, %d failed\n", ok, failed);
  uvaws_client_close(c, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uvaws_creds_provider_free(provider); /* borrowed by the client: ours to free, after it */
  uv_run(loop, UV_RUN_DEFAULT);
  return failed ? 1 : 0;
}
