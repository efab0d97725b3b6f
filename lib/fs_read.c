#include "fs_read.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

struct fs_read_s {
  uv_fs_t req;
  uv_file fd;
  char *data;
  size_t len, max;
  int err;
  fs_read_cb cb;
  void *arg;
};

static void on_read(uv_fs_t *req);

static void finish(fs_read_t *r) {
  if (r->cb)
    r->cb(r->arg, r->err ? NULL : r->data, r->err ? 0 : r->len, r->err);
  if (r->data) {
    OPENSSL_cleanse(r->data, r->max + 1); /* a token is a secret */
    free(r->data);
  }
  free(r);
}

static void on_close(uv_fs_t *req) {
  fs_read_t *r = req->data;
  uv_fs_req_cleanup(req);
  finish(r);
}

static void close_file(fs_read_t *r) {
  uv_fs_req_cleanup(&r->req);
  if (uv_fs_close(r->req.loop, &r->req, r->fd, on_close) != 0)
    finish(r);
}

static void read_more(fs_read_t *r) {
  uv_loop_t *loop = r->req.loop;
  uv_fs_req_cleanup(&r->req);
  /* one byte past the limit tells "too big" from "exactly max" */
  uv_buf_t b = uv_buf_init(r->data + r->len, (unsigned)(r->max + 1 - r->len));
  int rc = uv_fs_read(loop, &r->req, r->fd, &b, 1, -1, on_read);
  if (rc != 0) {
    r->err = rc;
    close_file(r);
  }
}

static void on_read(uv_fs_t *req) {
  fs_read_t *r = req->data;
  if (req->result < 0) {
    r->err = (int)req->result;
  } else if (req->result == 0) {
    r->data[r->len] = '\0';
  } else {
    r->len += (size_t)req->result;
    if (r->len <= r->max) {
      read_more(r);
      return;
    }
    r->err = UV_EFBIG;
  }
  close_file(r);
}

static void on_open(uv_fs_t *req) {
  fs_read_t *r = req->data;
  if (req->result < 0) {
    r->err = (int)req->result;
    uv_fs_req_cleanup(req);
    finish(r);
    return;
  }
  r->fd = (uv_file)req->result;
  read_more(r);
}

fs_read_t *fs_read_start(uv_loop_t *loop, const char *path, size_t max, fs_read_cb cb, void *arg) {
  fs_read_t *r = calloc(1, sizeof *r);
  if (r == NULL || (r->data = malloc(max + 2)) == NULL) {
    free(r);
    return NULL;
  }
  r->max = max;
  r->cb = cb;
  r->arg = arg;
  r->req.data = r;
  if (uv_fs_open(loop, &r->req, path, O_RDONLY | O_CLOEXEC, 0, on_open) != 0) {
    free(r->data);
    free(r);
    return NULL;
  }
  return r;
}

void fs_read_abandon(fs_read_t *r) {
  if (r != NULL)
    r->cb = NULL;
}
