/* Payloads streamed between files and the wire (uvaws_call_options_t's
 * upload_fd and download_fd): memory stays bounded by curl's buffers
 * whatever the size, and a retry starts the file over.
 *
 * Uploads are signed with UNSIGNED-PAYLOAD when S3 is reached over https,
 * as the SDKs do; otherwise (plain http, or another service) the file's
 * SHA-256 is computed first, on libuv's thread pool, never on the loop, and
 * signed. Content-MD5, where S3's model requires a checksum, comes from the
 * same pass. The file is read and written on the loop thread, by curl's
 * callbacks, at most one buffer (64 KiB) at a time. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "b64.h"
#include "call_internal.h"

/* ---- the source: a region of a file ----------------------------------------- */

static int source_begin(void *arg) {
  call_stream_t *s = arg;
  s->pos = 0;
  return 0;
}

static void progress(call_stream_t *s, uint64_t done, uint64_t total) {
  if (s->progress != NULL)
    s->progress(done, total, s->progress_arg);
}

static size_t source_read(void *arg, char *buf, size_t n) {
  call_stream_t *s = arg;
  uint64_t left = s->len - s->pos;
  if (left == 0)
    return 0;
  if (n > left)
    n = (size_t)left;
  ssize_t got;
  do
    got = pread(s->fd, buf, n, (off_t)(s->off + s->pos));
  while (got < 0 && errno == EINTR);
  if (got <= 0) /* an error, or the file shrank under us */
    return BODY_STREAM_ERROR;
  s->pos += (uint64_t)got;
  progress(s, s->pos, s->len);
  return (size_t)got;
}

/* ---- the sink: a file from its offset ----------------------------------------- */

static int sink_begin(void *arg) {
  call_stream_t *s = arg;
  if (s->out_pos > 0 && !s->out_seekable)
    return -1; /* a pipe cannot take back what a failed attempt wrote */
  s->out_pos = 0;
  return 0;
}

static size_t sink_write(void *arg, const char *data, size_t n, uint64_t expected) {
  call_stream_t *s = arg;
  for (size_t done = 0; done < n;) {
    ssize_t w = s->out_seekable
                    ? pwrite(s->out_fd, data + done, n - done, (off_t)(s->out_start + s->out_pos))
                    : write(s->out_fd, data + done, n - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return BODY_STREAM_ERROR;
    done += (size_t)w;
    s->out_pos += (uint64_t)w;
  }
  if (s->out_pos > s->out_most)
    s->out_most = s->out_pos;
  progress(s, s->out_pos, expected);
  return n;
}

/* ---- setup ---------------------------------------------------------------------- */

int stream_setup(call_t *cl, op_req_t *r, fetch_ext_t *x) {
  call_stream_t *s = cl->stream = calloc(1, sizeof *s);
  const uvaws_call_options_t *o = &cl->opts;
  const model_t *m = cl->m;
  if (s == NULL)
    return uvaws_error_set(&cl->err, UVAWS_ENOMEM, "setting up the stream");
  s->fd = s->out_fd = -1;
  s->progress = o->progress;
  s->progress_arg = o->progress_arg;
  if (o->upload_fd >= 0) {
    if (r->payload == NULL || r->payload_given)
      return uvaws_error_set(&cl->err, UVAWS_EPARAM, "%s: %s", model_str(m, cl->mop->name),
                             r->payload ? "the payload is given twice (options and parameters)"
                                        : "this operation takes no payload to upload");
    struct stat st;
    if (fstat(o->upload_fd, &st) != 0)
      return uvaws_error_set(&cl->err, UVAWS_EIO, "upload_fd: %s", strerror(errno));
    uint64_t len = o->upload_len;
    if (len == 0) {
      if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < o->upload_offset)
        return uvaws_error_set(&cl->err, UVAWS_EPARAM,
                               "upload_fd: give upload_len, or a regular file at least "
                               "upload_offset long");
      len = (uint64_t)st.st_size - o->upload_offset;
    }
    s->fd = o->upload_fd;
    s->off = o->upload_offset;
    s->len = len;
    s->source = (body_source_t){len, source_begin, source_read, s};
    x->source = &s->source;
  }
  if (o->download_fd >= 0) {
    const mref_t *out = cl->mop->output != MODEL_NONE ? model_mref(m, cl->mop->output) : NULL;
    const mref_t *p = op_raw_payload(m, out);
    if (p == NULL || model_target(m, p)->type != MT_BLOB)
      return uvaws_error_set(&cl->err, UVAWS_EPARAM, "%s: its answer has no payload to download",
                             model_str(m, cl->mop->name));
    off_t at = lseek(o->download_fd, 0, SEEK_CUR);
    s->out_fd = o->download_fd;
    s->out_seekable = at >= 0;
    s->out_start = at >= 0 ? (uint64_t)at : 0;
    s->sink = (body_sink_t){sink_begin, sink_write, s};
    x->sink = &s->sink;
    cl->streamed_out = 1;
  }
  return 0;
}

/* The file went to disk in full: the descriptor's offset moves past it (as
 * write would have), and what a longer failed attempt left beyond is cut. */
void stream_finish(call_t *cl) {
  call_stream_t *s = cl->stream;
  if (s == NULL || s->out_fd < 0 || !s->out_seekable)
    return;
  if (s->out_most > s->out_pos && ftruncate(s->out_fd, (off_t)(s->out_start + s->out_pos)) != 0) {
    /* a device or a fifo: nothing to cut */
  }
  lseek(s->out_fd, (off_t)(s->out_start + s->out_pos), SEEK_SET);
}

/* ---- hashing the file first ----------------------------------------------------- */

int stream_needs_hash(const call_t *cl, int https) {
  if (cl->stream == NULL || cl->stream->fd < 0)
    return 0;
  int s3 = cl->m->kind == MSVC_S3;
  return !(s3 && https) || (s3 && (cl->mop->flags & MO_CHECKSUM_REQUIRED));
}

/* Glacier's tree hash: the SHA-256 of each 1 MiB leaf, kept as the file
 * goes by, combined at the end (glacier.c). */
typedef struct {
  EVP_MD_CTX *leaf;
  unsigned char (*leaves)[32];
  size_t n, cap;
  uint64_t in_leaf;
} tree_t;

static int tree_end_leaf(tree_t *t) {
  if (t->n == t->cap) {
    size_t cap = t->cap ? 2 * t->cap : 64;
    void *p = realloc(t->leaves, cap * 32);
    if (p == NULL)
      return -1;
    t->leaves = p;
    t->cap = cap;
  }
  t->in_leaf = 0;
  return EVP_DigestFinal_ex(t->leaf, t->leaves[t->n++], NULL) == 1 &&
                 EVP_DigestInit_ex(t->leaf, EVP_sha256(), NULL) == 1
             ? 0
             : -1;
}

static int tree_add(tree_t *t, const char *p, size_t n) {
  if (t->leaf == NULL)
    return 0;
  if (EVP_DigestUpdate(t->leaf, p, n) != 1)
    return -1;
  t->in_leaf += n;
  return t->in_leaf == GLACIER_LEAF ? tree_end_leaf(t) : 0;
}

static int tree_finish(tree_t *t, char out[65]) {
  if (t->leaf == NULL)
    return 0;
  if (t->in_leaf > 0 && tree_end_leaf(t) != 0)
    return -1;
  return glacier_tree_hash(t->leaves, t->n, out);
}

static void hash_work(uv_work_t *w) {
  call_t *cl = w->data;
  call_stream_t *s = cl->stream;
  EVP_MD_CTX *sha = EVP_MD_CTX_new(), *md5 = EVP_MD_CTX_new();
  EVP_MD *sha_md = EVP_MD_fetch(NULL, "SHA256", NULL), *md5_md = EVP_MD_fetch(NULL, "MD5", NULL);
  char *buf = malloc(1 << 16);
  tree_t tree = {0};
  int ok = sha && md5 && sha_md && md5_md && buf && EVP_DigestInit_ex(sha, sha_md, NULL) == 1 &&
           EVP_DigestInit_ex(md5, md5_md, NULL) == 1;
  if (ok && s->want_tree)
    ok = (tree.leaf = EVP_MD_CTX_new()) != NULL &&
         EVP_DigestInit_ex(tree.leaf, EVP_sha256(), NULL) == 1;
  s->hash_errno = 0;
  for (uint64_t pos = 0; ok && pos < s->len;) {
    size_t n = s->len - pos < (1u << 16) ? (size_t)(s->len - pos) : (1u << 16);
    ssize_t got = pread(s->fd, buf, n, (off_t)(s->off + pos));
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0) {
      s->hash_errno = got < 0 ? errno : EIO;
      ok = 0;
      break;
    }
    /* never past a leaf's end (after a short read, a full one could cross
     * it): what is beyond is read again for the next leaf */
    size_t leaf_room = (size_t)(GLACIER_LEAF - tree.in_leaf);
    if ((size_t)got > leaf_room)
      got = (ssize_t)leaf_room;
    ok = EVP_DigestUpdate(sha, buf, (size_t)got) == 1 &&
         EVP_DigestUpdate(md5, buf, (size_t)got) == 1 && tree_add(&tree, buf, (size_t)got) == 0;
    pos += (uint64_t)got;
  }
  if (ok)
    ok = tree_finish(&tree, s->tree_hex) == 0;
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  if (ok && EVP_DigestFinal_ex(sha, d, &dl) == 1) {
    for (unsigned i = 0; i < dl; i++)
      snprintf(s->sha256_hex + 2 * i, 3, "%02x", d[i]);
    ok = EVP_DigestFinal_ex(md5, d, &dl) == 1;
    buf_t b = {0};
    b64_encode(&b, d, dl);
    if (ok && buf_str(&b) != NULL)
      snprintf(s->md5_b64, sizeof s->md5_b64, "%s", b.data);
    else
      ok = 0;
    buf_free(&b);
  }
  s->hash_ok = ok;
  EVP_MD_CTX_free(tree.leaf);
  free(tree.leaves);
  free(buf);
  EVP_MD_free(sha_md);
  EVP_MD_free(md5_md);
  EVP_MD_CTX_free(sha);
  EVP_MD_CTX_free(md5);
}

static void hash_done(uv_work_t *w, int status) {
  call_t *cl = w->data;
  (void)status;
  cl->stream->hashing = 0;
  call_hashed(cl);
}

int stream_hash_start(call_t *cl) {
  cl->stream->work.data = cl;
  int rc = uv_queue_work(uvaws_client_loop(cl->client), &cl->stream->work, hash_work, hash_done);
  if (rc != 0)
    return uvaws_error_set(&cl->err, UVAWS_EINTERNAL, "hashing the upload: %s", uv_strerror(rc));
  cl->stream->hashing = 1;
  return 0;
}
