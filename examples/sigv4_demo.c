/* Signs a DynamoDB GetItem request and presigns an S3 GET with uvaws's SigV4
 * signer, and shows every step: what anyone debugging SignatureDoesNotMatch
 * wants to see. Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY
 * when set (the secret is never printed), else from the AWS documentation's
 * example key. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uvaws.h>

int main(void) {
  const char *ak = getenv("AWS_ACCESS_KEY_ID"), *sk = getenv("AWS_SECRET_ACCESS_KEY");
  if (ak == NULL || sk == NULL) {
    ak = "AKIDEXAMPLE";
    sk = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  }
  const char *body = "{\"TableName\":\"users\",\"Key\":{\"id\":{\"S\":\"user-000042\"}},"
                     "\"ConsistentRead\":true}";
  uvaws_kv_t headers[] = {
      {"Host", "dynamodb.us-east-1.amazonaws.com"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Target", "DynamoDB_20120810.GetItem"},
  };
  uvaws_sigv4_input_t in = {
      .access_key = ak, .secret_key = sk, .region = "us-east-1", .service = "dynamodb",
      .timestamp = (int64_t)time(NULL), .method = "POST", .path = "/",
      .headers = headers, .header_count = 3, .body = body, .body_len = strlen(body),
  };
  uvaws_signer_t *signer;
  uvaws_sigv4_output_t out;
  int rc = uvaws_signer_new(&signer);
  if (rc == 0)
    rc = uvaws_signer_sign_headers(signer, &in, &out);
  if (rc != 0) {
    fprintf(stderr, "signing failed: %s (%s)\n", uvaws_strerror(rc), uvaws_err_name(rc));
    return 1;
  }
  printf("uvaws %s: SigV4 for a DynamoDB GetItem\n\n", UVAWS_VERSION_STRING);
  printf("POST / HTTP/1.1\n");
  for (size_t i = 0; i < 3; i++)
    printf("%s: %s\n", headers[i].name, headers[i].value);
  printf("\n%s\n\n--- canonical request\n%s\n\n--- string to sign\n%s\n\n--- headers added\n", body,
         out.canonical_request, out.string_to_sign);
  for (size_t i = 0; i < out.header_count; i++)
    printf("%s: %s\n", out.headers[i].name, out.headers[i].value);

  uvaws_kv_t s3_headers[] = {{"Host", "examplebucket.s3.amazonaws.com"}};
  uvaws_sigv4_input_t s3 = {
      .access_key = ak, .secret_key = sk, .region = "us-east-1", .service = "s3",
      .timestamp = (int64_t)time(NULL), .method = "GET", .path = "/reports/2026/summary.csv",
      .headers = s3_headers, .header_count = 1,
      .payload_hash = UVAWS_SIGV4_UNSIGNED_PAYLOAD, .flags = UVAWS_SIGV4_S3,
  };
  rc = uvaws_signer_presign(signer, &s3, 3600, &out);
  if (rc != 0) {
    fprintf(stderr, "presign failed: %s\n", uvaws_strerror(rc));
    uvaws_signer_free(signer);
    return 1;
  }
  printf("\n--- presigned S3 GET, valid one hour\n%s\n", out.url);
  uvaws_signer_free(signer);
  return 0;
}
