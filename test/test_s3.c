/* S3 through the operation layer, against s3rver (a real S3 emulator: it
 * stores what it is given and answers as S3 does) and the test server (for
 * answers s3rver never gives): buckets, objects with awkward keys, metadata,
 * HEAD errors without a body, ListObjectsV2 pages, CopyObject, DeleteObjects
 * (Content-MD5 added), multipart uploads, and objects streamed from and to
 * files, larger than the client's in-memory limit, with progress. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "testutil.h"

static const char *s3rver, *server, *server_tls, *ca_file;

#include "calltest.h"

/* A client for s3rver (or the test server): S3's rules, s3rver's key. */
static void fx_open_s3(fx_t *fx, const char *endpoint, size_t max_response) {
  uvaws_client_options_t o = test_options(endpoint);
  o.service = "s3";
  o.access_key = "S3RVER";
  o.secret_key = "S3RVER";
  o.max_attempts = 2;
  o.max_response_bytes = max_response;
  fx_open_with(fx, &o);
}

static double num_at(const cJSON *j, const char *name) {
  return cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(j, name));
}

static got_t put_text(fx_t *fx, const char *key, const char *text) {
  uvaws_call_options_t o = UVAWS_CALL_OPTIONS_INIT;
  o.payload = text;
  o.payload_len = strlen(text);
  char params[512];
  cJSON *k = cJSON_CreateString(key);
  char *kj = cJSON_PrintUnformatted(k);
  snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-s3\",\"Key\":%s,\"ContentType\":"
           "\"text/plain\",\"Metadata\":{\"Color\":\"blue\"}}", kj);
  free(kj);
  cJSON_Delete(k);
  return call_opts(fx, "PutObject", params, &o);
}

/* ---- objects ---------------------------------------------------------------- */

static void test_objects(void **state) {
  (void)state;
  fx_t fx;
  fx_open_s3(&fx, s3rver, 0);
  got_t g = call(&fx, "CreateBucket", "{\"Bucket\":\"uvaws-s3\"}");
  assert_int_equal(g.code, 0);
  done(&g);
  g = call(&fx, "ListBuckets", NULL);
  assert_int_equal(g.code, 0);
  /* one bucket: still a list */
  assert_true(cJSON_IsArray(cJSON_GetObjectItem(g.out, "Buckets")));
  assert_string_equal(str_at(g.out, "Buckets.0.Name"), "uvaws-s3");
  assert_non_null(str_at(g.out, "Buckets.0.CreationDate"));
  done(&g);

  /* a key with a space, '+', '~', a non-ASCII letter and slashes (greedy label) */
  const char *key = "dir/sub/a b+c~\xc3\xa9.txt";
  g = put_text(&fx, key, "hello, object");
  assert_int_equal(g.code, 0);
  assert_non_null(str_at(g.out, "ETag"));
  done(&g);

  char params[256];
  snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-s3\",\"Key\":\"%s\"}", key);
  g = call(&fx, "HeadObject", params);
  assert_int_equal(g.code, 0);
  assert_int_equal((int)num_at(g.out, "ContentLength"), 13); /* a typed header */
  assert_string_equal(str_at(g.out, "ContentType"), "text/plain");
  assert_string_equal(str_at(g.out, "Metadata.color"), "blue"); /* a header prefix map */
  const char *lm = str_at(g.out, "LastModified"); /* RFC 822 in, the output form out */
  assert_non_null(lm);
  assert_int_equal(strlen(lm), 20);
  assert_int_equal(lm[19], 'Z');
  done(&g);

  g = call(&fx, "GetObject", params);
  assert_int_equal(g.code, 0);
  assert_int_equal(g.payload_len, 13);
  assert_memory_equal(g.payload, "hello, object", 13);
  assert_null(cJSON_GetObjectItem(g.out, "Body")); /* the bytes are the payload's */
  done(&g);

  /* errors: HEAD has no body, GET has S3's <Error> */
  g = call(&fx, "HeadObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"missing\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_int_equal(g.status, 404);
  assert_string_equal(g.type, "404");
  assert_string_equal(g.message, "Not Found");
  done(&g);
  g = call(&fx, "GetObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"missing\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_string_equal(g.type, "NoSuchKey");
  done(&g);

  /* CopyObject: the copy source is percent-encoded, '/' kept (s3rver reads
   * it with decodeURI, which leaves %2B alone: this key has no '+') */
  g = put_text(&fx, "dir/copy me \xc3\xa9", "hello, object");
  done(&g);
  snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-s3\",\"Key\":\"copy.txt\","
           "\"CopySource\":\"uvaws-s3/dir/copy me \xc3\xa9\"}");
  g = call(&fx, "CopyObject", params);
  assert_int_equal(g.code, 0);
  assert_non_null(str_at(g.out, "CopyObjectResult.ETag"));
  done(&g);
  g = call(&fx, "GetObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"copy.txt\"}");
  assert_int_equal(g.code, 0);
  assert_memory_equal(g.payload, "hello, object", 13);
  done(&g);

  /* ListObjectsV2 in one page: keys, sizes, the count, no token (s3rver cannot
   * make continuation tokens on Node 18: paging is tested with ListObjects) */
  g = call(&fx, "ListObjectsV2", "{\"Bucket\":\"uvaws-s3\",\"Prefix\":\"dir/copy\"}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "Contents.0.Key"), "dir/copy me \xc3\xa9");
  assert_int_equal((long)num_at(cJSON_GetArrayItem(cJSON_GetObjectItem(g.out, "Contents"), 0), "Size"), 13);
  assert_int_equal((long)num_at(g.out, "KeyCount"), 1);
  assert_true(cJSON_IsFalse(cJSON_GetObjectItem(g.out, "IsTruncated")));
  assert_null(cJSON_GetObjectItem(g.out, "NextContinuationToken"));
  done(&g);
  /* DeleteObject, then the key is gone (a HEAD error has no body: named by its status) */
  g = call(&fx, "DeleteObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"dir/copy me \xc3\xa9\"}");
  assert_int_equal(g.code, 0);
  done(&g);
  g = call(&fx, "HeadObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"dir/copy me \xc3\xa9\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_int_equal(g.status, 404);
  assert_string_equal(g.type, "404");
  done(&g);

  /* DeleteObjects needs a checksum: Content-MD5 is added */
  g = call(&fx, "DeleteObjects", "{\"Bucket\":\"uvaws-s3\",\"Delete\":{\"Objects\":["
                                 "{\"Key\":\"copy.txt\"},{\"Key\":\"never-was\"}],\"Quiet\":false}}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "Deleted.0.Key"), "copy.txt");
  done(&g);
  g = call(&fx, "HeadObject", "{\"Bucket\":\"uvaws-s3\",\"Key\":\"copy.txt\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  done(&g);
  fx_close(&fx);
}

/* ---- listing pages ------------------------------------------------------------ */

typedef struct {
  int pages, keys;
} pages_t;

static int on_list_page(uvaws_result_t *page, void *arg) {
  pages_t *p = arg;
  p->pages++;
  p->keys += cJSON_GetArraySize(cJSON_GetObjectItem(page->output, "Contents"));
  return 0;
}

static int pages_err;
static unsigned pages_n;
static void on_pages_done(const uvaws_error_t *err, unsigned n, void *arg) {
  (void)arg;
  pages_err = err ? err->code : 0;
  pages_n = n;
}

static void test_list_pages(void **state) {
  (void)state;
  fx_t fx;
  fx_open_s3(&fx, s3rver, 0);
  got_t g = call(&fx, "CreateBucket", "{\"Bucket\":\"uvaws-pages\"}");
  assert_int_equal(g.code, 0);
  done(&g);
  for (int i = 0; i < 5; i++) {
    char key[32], params[128];
    snprintf(key, sizeof key, "p/%d", i);
    snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-pages\",\"Key\":\"%s\",\"Body\":\"eA==\"}",
             key);
    g = call(&fx, "PutObject", params); /* a payload in the parameters, as base64 */
    assert_int_equal(g.code, 0);
    done(&g);
  }
  g = call(&fx, "GetObject", "{\"Bucket\":\"uvaws-pages\",\"Key\":\"p/3\"}");
  assert_int_equal(g.payload_len, 1);
  assert_int_equal(g.payload[0], 'x');
  done(&g);
  /* two keys a page: three pages. ListObjects' paginator carries
   * "NextMarker || Contents[-1].Key" into Marker while IsTruncated (s3rver
   * cannot make ListObjectsV2's continuation tokens on Node 18: it ciphers
   * them with DES, which OpenSSL 3 no longer offers) */
  pages_t p = {0};
  cJSON *params = cJSON_Parse("{\"Bucket\":\"uvaws-pages\",\"Prefix\":\"p/\",\"MaxKeys\":2}");
  assert_int_equal(uvaws_paginate(fx.client, "ListObjects", params, on_list_page, on_pages_done,
                                  &p, NULL), 0);
  uv_run(&fx.loop, UV_RUN_DEFAULT);
  cJSON_Delete(params);
  assert_int_equal(pages_err, 0);
  assert_int_equal(p.keys, 5);
  assert_int_equal(p.pages, 3);
  assert_int_equal(pages_n, 3);
  fx_close(&fx);
}

/* ---- multipart ------------------------------------------------------------------ */

static void test_multipart(void **state) {
  (void)state;
  fx_t fx;
  fx_open_s3(&fx, s3rver, 0);
  got_t g = call(&fx, "CreateBucket", "{\"Bucket\":\"uvaws-mp\"}");
  done(&g);
  g = call(&fx, "CreateMultipartUpload", "{\"Bucket\":\"uvaws-mp\",\"Key\":\"big\"}");
  assert_int_equal(g.code, 0);
  char upload_id[256];
  snprintf(upload_id, sizeof upload_id, "%s", str_at(g.out, "UploadId"));
  done(&g);
  size_t part = 5u << 20; /* S3's smallest part but the last */
  char *data = malloc(part + 10);
  for (size_t i = 0; i < part + 10; i++)
    data[i] = (char)('a' + i % 26);
  char etags[2][128];
  for (int n = 1; n <= 2; n++) {
    uvaws_call_options_t o = UVAWS_CALL_OPTIONS_INIT;
    o.payload = n == 1 ? data : data + part;
    o.payload_len = n == 1 ? part : 10;
    char params[512];
    snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-mp\",\"Key\":\"big\",\"PartNumber\":%d,"
             "\"UploadId\":\"%s\"}", n, upload_id);
    g = call_opts(&fx, "UploadPart", params, &o);
    assert_int_equal(g.code, 0);
    snprintf(etags[n - 1], sizeof etags[0], "%s", str_at(g.out, "ETag"));
    done(&g);
  }
  cJSON *c = cJSON_CreateObject();
  cJSON_AddStringToObject(c, "Bucket", "uvaws-mp");
  cJSON_AddStringToObject(c, "Key", "big");
  cJSON_AddStringToObject(c, "UploadId", upload_id);
  cJSON *parts = cJSON_AddArrayToObject(cJSON_AddObjectToObject(c, "MultipartUpload"), "Parts");
  for (int n = 1; n <= 2; n++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "ETag", etags[n - 1]);
    cJSON_AddNumberToObject(p, "PartNumber", n);
    cJSON_AddItemToArray(parts, p);
  }
  char *text = cJSON_PrintUnformatted(c);
  cJSON_Delete(c);
  g = call(&fx, "CompleteMultipartUpload", text);
  free(text);
  assert_int_equal(g.code, 0);
  assert_non_null(str_at(g.out, "ETag"));
  done(&g);
  g = call(&fx, "GetObject", "{\"Bucket\":\"uvaws-mp\",\"Key\":\"big\"}");
  assert_int_equal(g.code, 0);
  assert_int_equal(g.payload_len, part + 10);
  assert_memory_equal(g.payload, data, part + 10);
  done(&g);
  free(data);
  fx_close(&fx);
}

/* ---- streaming -------------------------------------------------------------------- */

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
      break;
  if (f)
    fclose(f);
  return kb;
}

typedef struct {
  uint64_t last, total, calls, backwards;
  long rss_max; /* resident memory seen while the body moved */
} prog_t;

static void on_progress(uint64_t done_bytes, uint64_t total, void *arg) {
  prog_t *p = arg;
  if (done_bytes < p->last)
    p->backwards++;
  p->last = done_bytes;
  p->total = total;
  if (p->calls++ % 64 == 0) {
    long kb = rss_kb();
    if (kb > p->rss_max)
      p->rss_max = kb;
  }
}

static void digest_file(int fd, off_t from, unsigned char out[32]) {
  EVP_MD_CTX *c = EVP_MD_CTX_new();
  EVP_DigestInit_ex(c, EVP_sha256(), NULL);
  char buf[1 << 16];
  ssize_t n;
  off_t at = from;
  while ((n = pread(fd, buf, sizeof buf, at)) > 0) {
    EVP_DigestUpdate(c, buf, (size_t)n);
    at += n;
  }
  unsigned len;
  EVP_DigestFinal_ex(c, out, &len);
  EVP_MD_CTX_free(c);
}

static void test_streaming(void **state) {
  (void)state;
  /* 80 MiB: past the client's in-memory answer limit (8 MiB here), so the
   * download can only succeed by streaming to the file */
  const size_t size = 80u << 20;
  char up[] = "/tmp/uvaws-s3-up-XXXXXX", down[] = "/tmp/uvaws-s3-down-XXXXXX";
  int in = mkstemp(up), out = mkstemp(down);
  assert_true(in >= 0 && out >= 0);
  unlink(up);
  unlink(down);
  char block[1 << 16];
  for (size_t off = 0; off < size; off += sizeof block) {
    for (size_t i = 0; i < sizeof block; i++)
      block[i] = (char)((off / sizeof block * 31 + i) & 0xff);
    assert_int_equal(write(in, block, sizeof block), (ssize_t)sizeof block);
  }
  /* the download goes after a header the file already has */
  assert_int_equal(write(out, "HEAD", 4), 4);

  fx_t fx;
  fx_open_s3(&fx, s3rver, 8u << 20);
  got_t g = call(&fx, "CreateBucket", "{\"Bucket\":\"uvaws-stream\"}");
  done(&g);
  long rss0 = rss_kb();

  prog_t pu = {0};
  uvaws_call_options_t o = UVAWS_CALL_OPTIONS_INIT;
  o.upload_fd = in;
  o.progress = on_progress;
  o.progress_arg = &pu;
  g = call_opts(&fx, "PutObject", "{\"Bucket\":\"uvaws-stream\",\"Key\":\"big.bin\"}", &o);
  assert_int_equal(g.code, 0);
  done(&g);
  assert_int_equal(pu.last, size);
  assert_int_equal(pu.total, size);
  assert_true(pu.calls > 10);
  assert_int_equal(pu.backwards, 0);

  /* without a file, the answer is over the limit */
  g = call(&fx, "GetObject", "{\"Bucket\":\"uvaws-stream\",\"Key\":\"big.bin\"}");
  assert_int_equal(g.code, UVAWS_ETOOBIG);
  done(&g);

  prog_t pd = {0};
  uvaws_call_options_t od = UVAWS_CALL_OPTIONS_INIT;
  od.download_fd = out;
  od.progress = on_progress;
  od.progress_arg = &pd;
  assert_int_equal(lseek(out, 0, SEEK_CUR), 4);
  g = call_opts(&fx, "GetObject", "{\"Bucket\":\"uvaws-stream\",\"Key\":\"big.bin\"}", &od);
  assert_int_equal(g.code, 0);
  assert_false(g.had_payload); /* it went to the file */
  assert_int_equal((long)num_at(g.out, "ContentLength"), (long)size);
  done(&g);
  assert_int_equal(pd.last, size);
  assert_int_equal(pd.total, size);
  /* the descriptor moved past what was written, as write() would have */
  assert_int_equal(lseek(out, 0, SEEK_CUR), (off_t)(4 + size));
  unsigned char a[32], b[32];
  digest_file(in, 0, a);
  digest_file(out, 4, b);
  assert_memory_equal(a, b, 32);
  char head[4];
  assert_int_equal(pread(out, head, 4, 0), 4);
  assert_memory_equal(head, "HEAD", 4);
  /* memory stayed bounded while the bodies moved: far less than the 160 MiB
   * that went through */
  long grew = (pu.rss_max > pd.rss_max ? pu.rss_max : pd.rss_max) - rss0;
  print_message("streamed %zu MiB up and down; resident memory grew by at most %ld kB\n",
                size >> 20, grew);
  assert_true(pu.rss_max > 0 && pd.rss_max > 0);
  assert_true(grew < 16 * 1024);

  /* a payload for an operation that takes none, and one given twice */
  uvaws_call_options_t bad = UVAWS_CALL_OPTIONS_INIT;
  bad.upload_fd = in;
  g = call_opts(&fx, "ListBuckets", NULL, &bad);
  assert_int_equal(g.code, UVAWS_EPARAM);
  done(&g);
  g = call_opts(&fx, "PutObject", "{\"Bucket\":\"uvaws-stream\",\"Key\":\"k\",\"Body\":\"eA==\"}",
                &bad);
  assert_int_equal(g.code, UVAWS_EPARAM);
  done(&g);
  bad.upload_fd = -1;
  bad.download_fd = out;
  g = call_opts(&fx, "PutObject", "{\"Bucket\":\"uvaws-stream\",\"Key\":\"k\"}", &bad);
  assert_int_equal(g.code, UVAWS_EPARAM);
  done(&g);
  close(in);
  close(out);
  fx_close(&fx);
}

/* Cancelled while the upload is hashed (http: the file's SHA-256 is signed),
 * and the client closed at that moment: the callback comes once. */
static void test_streaming_cancel(void **state) {
  (void)state;
  char up[] = "/tmp/uvaws-s3-cancel-XXXXXX";
  int in = mkstemp(up);
  unlink(up);
  assert_int_equal(ftruncate(in, 4u << 20), 0);
  for (int close_it = 0; close_it < 2; close_it++) {
    fx_t fx;
    fx_open_s3(&fx, s3rver, 0);
    got_t g = {0};
    uvaws_call_options_t o = UVAWS_CALL_OPTIONS_INIT;
    o.upload_fd = in;
    cJSON *params = cJSON_Parse("{\"Bucket\":\"uvaws-stream\",\"Key\":\"cancelled\"}");
    uvaws_op_t *op = NULL;
    assert_int_equal(uvaws_call_ex(fx.client, "PutObject", params, &o, on_result, &g, &op), 0);
    cJSON_Delete(params);
    if (close_it) {
      uvaws_client_close(fx.client, fx_on_closed, NULL);
    } else {
      assert_int_equal(uvaws_op_cancel(op), 0);
      assert_int_equal(uvaws_op_cancel(op), UVAWS_EBUSY); /* once */
    }
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(g.calls, 1);
    assert_int_equal(g.code, UVAWS_ECANCELED);
    done(&g);
    if (!close_it)
      fx_close(&fx);
    else
      assert_int_equal(uv_loop_close(&fx.loop), 0);
  }
  close(in);
}

static void canned(const char *json_list) { canned_answers(server, json_list); }

/* ---- what a streamed upload signs as its payload ------------------------------ */

/* The last request the test server logged, as it received it. */
static cJSON *last_logged(void) {
  cJSON *log = control(server, "GET", "/_log?last=1", NULL);
  assert_non_null(log);
  cJSON *req = cJSON_DetachItemFromArray(cJSON_GetObjectItem(log, "requests"), 0);
  cJSON_Delete(log);
  assert_non_null(req);
  return req;
}

static void hex(const unsigned char d[32], char out[65]) {
  for (int i = 0; i < 32; i++)
    snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* One streamed PutObject of `len` bytes (0: the whole file) to `endpoint`,
 * which ends with `want`; returns what the server logged when it is 0. */
static cJSON *put_streamed(const char *endpoint, int fd, uint64_t len, int want) {
  uvaws_client_options_t o = test_options(endpoint);
  o.service = "s3";
  o.max_attempts = 1;
  o.ca_file = ca_file;
  fx_t fx;
  fx_open_with(&fx, &o);
  uvaws_call_options_t co = UVAWS_CALL_OPTIONS_INIT;
  co.upload_fd = fd;
  co.upload_len = len;
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  got_t g = call_opts(&fx, "PutObject", "{\"Bucket\":\"uvaws-sig\",\"Key\":\"big.bin\"}", &co);
  assert_int_equal(g.code, want);
  done(&g);
  fx_close(&fx);
  return want == 0 ? last_logged() : NULL;
}

/* Over TLS the stream is sent as UNSIGNED-PAYLOAD (no second pass over the
 * file); over plain http its SHA-256 is computed first and signed. Either
 * way the bytes arrive whole and the signature verifies. */
static void test_streamed_payload_signing(void **state) {
  (void)state;
  if (server_tls == NULL || ca_file == NULL)
    skip();
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/uvaws-sig/big.bin\",\"status\":200,\"body\":\"\"}]");
  const size_t size = 3u << 20;
  char up[] = "/tmp/uvaws-s3-sig-XXXXXX";
  int in = mkstemp(up);
  assert_true(in >= 0);
  unlink(up);
  char block[1 << 16];
  for (size_t off = 0; off < size; off += sizeof block) {
    memset(block, (int)(off >> 16), sizeof block);
    assert_int_equal(write(in, block, sizeof block), (ssize_t)sizeof block);
  }
  unsigned char d[32];
  char want[65];
  digest_file(in, 0, d);
  hex(d, want);

  cJSON *tls = put_streamed(server_tls, in, 0, 0);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(tls, "tls")));
  assert_string_equal(str_at(tls, "headers.x-amz-content-sha256"), "UNSIGNED-PAYLOAD");
  assert_string_equal(str_at(tls, "signature"), "ok");
  assert_int_equal((long)num_at(tls, "body_len"), (long)size);
  assert_string_equal(str_at(tls, "body_sha256"), want);
  cJSON_Delete(tls);

  cJSON *plain = put_streamed(server, in, 0, 0);
  assert_false(cJSON_IsTrue(cJSON_GetObjectItem(plain, "tls")));
  assert_string_equal(str_at(plain, "headers.x-amz-content-sha256"), want);
  assert_string_equal(str_at(plain, "signature"), "ok");
  assert_int_equal((long)num_at(plain, "body_len"), (long)size);
  assert_string_equal(str_at(plain, "body_sha256"), want);
  cJSON_Delete(plain);
  /* a file shorter than upload_len (it shrank under us): the file's error,
   * not an upload cut short */
  assert_null(put_streamed(server_tls, in, size + 100, UVAWS_EIO));
  close(in);
}

/* ---- answers s3rver never gives (the test server's canned answers) ------------- */

static void test_odd_answers(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/uvaws-odd/copied\",\"status\":200,\"content_type\":\"application/xml\","
         "\"body\":\"<?xml version=\\\"1.0\\\"?>\\n<Error><Code>InternalError</Code><Message>"
         "copy failed midway</Message><RequestId>r1</RequestId></Error>\"},"
         "{\"path\":\"/uvaws-odd\",\"content_type\":\"application/xml\",\"s3_request_id\":true,\"body\":"
         "\"<LocationConstraint xmlns=\\\"http://s3.amazonaws.com/doc/2006-03-01/\\\">eu-west-1"
         "</LocationConstraint>\"}]");
  fx_t fx;
  fx_open_s3(&fx, server, 0);
  /* 200 with an <Error> document: an error, as S3 documents it */
  got_t g = call(&fx, "CopyObject", "{\"Bucket\":\"uvaws-odd\",\"Key\":\"copied\","
                                    "\"CopySource\":\"src/k\"}");
  assert_int_equal(g.code, UVAWS_EAWS);
  assert_string_equal(g.type, "InternalError");
  assert_string_equal(g.message, "copy failed midway");
  done(&g);
  /* GetBucketLocation's bare root element */
  g = call(&fx, "GetBucketLocation", "{\"Bucket\":\"uvaws-odd\"}");
  assert_int_equal(g.code, 0);
  assert_string_equal(str_at(g.out, "LocationConstraint"), "eu-west-1");
  assert_true(strlen(g.request_id) > 0); /* from S3's x-amz-request-id */
  done(&g);
  fx_close(&fx);
}

/* ---- streamed bodies and retries ----------------------------------------------- */

/* A retried upload starts the file over; a retried download starts the file
 * over too and cuts what the longer failed attempt left past the end; into
 * a pipe, which cannot take back what the failed attempt wrote, it fails. */
static void test_streams_retried(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/uvaws-rt/up\",\"status\":500,\"times\":1,\"body\":\"\"},"
         "{\"path\":\"/uvaws-rt/up\",\"status\":200,\"body\":\"\"},"
         "{\"path\":\"/uvaws-rt/down\",\"fault\":\"close-mid-body\",\"times\":1},"
         "{\"path\":\"/uvaws-rt/down\",\"status\":200,\"content_type\":\"application/octet-stream\","
         "\"body\":\"the whole body\"}]");
  fx_t fx;
  fx_open_s3(&fx, server, 0);
  char up[] = "/tmp/uvaws-s3-rt-XXXXXX";
  int fd = mkstemp(up);
  assert_true(fd >= 0);
  unlink(up);
  char block[1 << 16];
  for (int i = 0; i < 4; i++) {
    memset(block, 'a' + i, sizeof block);
    assert_int_equal(write(fd, block, sizeof block), (ssize_t)sizeof block);
  }
  unsigned char d[32];
  char want[65];
  digest_file(fd, 0, d);
  hex(d, want);
  uvaws_call_options_t co = UVAWS_CALL_OPTIONS_INIT;
  co.upload_fd = fd;
  got_t g = call_opts(&fx, "PutObject", "{\"Bucket\":\"uvaws-rt\",\"Key\":\"up\"}", &co);
  assert_int_equal(g.code, 0);
  done(&g);
  cJSON *req = last_logged();
  assert_int_equal((long)num_at(req, "body_len"), 4L << 16);
  assert_string_equal(str_at(req, "body_sha256"), want);
  cJSON_Delete(req);
  /* the download: the file's first attempt was longer than the answer */
  assert_int_equal(ftruncate(fd, 0), 0);
  assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
  co = (uvaws_call_options_t)UVAWS_CALL_OPTIONS_INIT;
  co.download_fd = fd;
  g = call_opts(&fx, "GetObject", "{\"Bucket\":\"uvaws-rt\",\"Key\":\"down\"}", &co);
  assert_int_equal(g.code, 0);
  done(&g);
  char got[64] = "";
  assert_int_equal(pread(fd, got, sizeof got - 1, 0), 14);
  assert_string_equal(got, "the whole body");
  assert_int_equal(lseek(fd, 0, SEEK_CUR), 14);
  close(fd);
  /* into a pipe */
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/uvaws-rt/down\",\"fault\":\"close-mid-body\",\"times\":1},"
         "{\"path\":\"/uvaws-rt/down\",\"status\":200,\"body\":\"the whole body\"}]");
  int p[2];
  assert_int_equal(pipe(p), 0);
  co.download_fd = p[1];
  g = call_opts(&fx, "GetObject", "{\"Bucket\":\"uvaws-rt\",\"Key\":\"down\"}", &co);
  assert_int_equal(g.code, UVAWS_EIO);
  done(&g);
  close(p[0]);
  close(p[1]);
  fx_close(&fx);
}

/* ---- checksums S3 needs beyond its model ----------------------------------------- */

/* Base64 of digest `alg` of n bytes at p. */
static void b64_digest(const char *alg, const void *p, size_t n, char out[64]) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned dl = 0;
  assert_int_equal(EVP_Digest(p, n, d, &dl, EVP_get_digestbyname(alg), NULL), 1);
  EVP_EncodeBlock((unsigned char *)out, d, (int)dl);
}

/* Content-MD5 of the body where the model requires a checksum (DeleteObjects),
 * x-amz-checksum-sha256 instead when asked for, and the MD5 of an SSE-C key
 * given without it: each checked against the bytes the server got. */
static void test_checksums_sent(void **state) {
  (void)state;
  cJSON_Delete(control(server, "POST", "/_reset", NULL));
  canned("[{\"path\":\"/uvaws-sum\",\"status\":200,\"content_type\":\"application/xml\","
         "\"body\":\"<DeleteResult/>\"},{\"path\":\"/uvaws-sum/k\",\"status\":200,\"body\":\"\"}]");
  fx_t fx;
  fx_open_s3(&fx, server, 0);
  static const char *const deletes[] = {
      "{\"Bucket\":\"uvaws-sum\",\"Delete\":{\"Objects\":[{\"Key\":\"a\"}]}}",
      "{\"Bucket\":\"uvaws-sum\",\"ChecksumAlgorithm\":\"SHA256\",\"Delete\":{\"Objects\":"
      "[{\"Key\":\"b\"}]}}"};
  for (int sha = 0; sha <= 1; sha++) {
    got_t g = call(&fx, "DeleteObjects", deletes[sha]);
    assert_int_equal(g.code, 0);
    done(&g);
    cJSON *req = last_logged();
    const char *body = str_at(req, "body");
    assert_non_null(body);
    char want[64];
    b64_digest(sha ? "SHA256" : "MD5", body, strlen(body), want);
    assert_string_equal(str_at(req, sha ? "headers.x-amz-checksum-sha256" : "headers.content-md5"),
                        want);
    cJSON_Delete(req);
  }
  unsigned char key[32];
  memset(key, 0x5a, sizeof key);
  char key64[64], params[256], want[64];
  EVP_EncodeBlock((unsigned char *)key64, key, (int)sizeof key);
  snprintf(params, sizeof params, "{\"Bucket\":\"uvaws-sum\",\"Key\":\"k\",\"Body\":\"aGk=\","
           "\"SSECustomerAlgorithm\":\"AES256\",\"SSECustomerKey\":\"%s\"}", key64);
  got_t g = call(&fx, "PutObject", params);
  assert_int_equal(g.code, 0);
  done(&g);
  cJSON *req = last_logged();
  b64_digest("MD5", key, sizeof key, want);
  assert_string_equal(str_at(req, "headers.x-amz-server-side-encryption-customer-key-md5"), want);
  assert_string_equal(str_at(req, "headers.x-amz-server-side-encryption-customer-key"), key64);
  cJSON_Delete(req);
  fx_close(&fx);
}

int main(void) {
  s3rver = need_env("UVAWS_TEST_S3");
  server = need_env("UVAWS_TEST_SERVER");
  server_tls = getenv("UVAWS_TEST_SERVER_TLS");
  ca_file = getenv("UVAWS_TEST_CA_FILE");
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_objects),        cmocka_unit_test(test_list_pages),
      cmocka_unit_test(test_multipart),      cmocka_unit_test(test_streaming),
      cmocka_unit_test(test_streaming_cancel), cmocka_unit_test(test_odd_answers),
      cmocka_unit_test(test_streamed_payload_signing), cmocka_unit_test(test_checksums_sent),
      cmocka_unit_test(test_streams_retried),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
