/* A presigned S3 URL with the credentials uvaws finds (environment, profiles,
 * roles, instance metadata ...): anyone holding the URL may GET the object
 * until it expires; no secret leaves this program.
 *
 *   s3_presign BUCKET KEY [SECONDS]
 */
#include <stdio.h>
#include <stdlib.h>

#include <uvaws.h>

static int status = 1;

static void on_url(const uvaws_response_t *res, void *arg) {
  (void)arg;
  if (res->error) {
    fprintf(stderr, "presign: %s: %s\n", uvaws_err_name(res->error->code),
            res->error->detail ? res->error->detail : uvaws_strerror(res->error->code));
    return;
  }
  puts(res->body);
  status = 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s BUCKET KEY [SECONDS]\n", argv[0]);
    return 2;
  }
  unsigned expires = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 3600;
  char path[2048];
  snprintf(path, sizeof path, "/%s/%s", argv[1], argv[2]); /* path-style */
  uv_loop_t *loop = uv_default_loop();
  uvaws_client_options_t o = {.size = sizeof(uvaws_client_options_t), .service = "s3"}; /* S3's signing rules come with it */
  uvaws_client_t *c;
  uvaws_error_t err;
  if (uvaws_client_new(loop, &o, &c, &err) != 0) {
    fprintf(stderr, "client: %s\n", err.detail);
    return 1;
  }
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = path};
  int rc = uvaws_presign(c, &req, expires, on_url, NULL, NULL);
  if (rc != 0)
    fprintf(stderr, "presign: %s\n", uvaws_strerror(rc));
  uv_run(loop, UV_RUN_DEFAULT);
  uvaws_client_close(c, NULL, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  return rc ? 1 : status;
}
