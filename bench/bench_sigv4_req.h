/* The requests every signer in the SigV4 benchmark signs. The peers read the
 * same values from peers/sigv4_request.json; the run script compares the
 * signatures, so the two copies cannot drift apart unnoticed. */
#ifndef BENCH_SIGV4_REQ_H
#define BENCH_SIGV4_REQ_H

#include "uvaws/common.h"

/* The example credentials of the AWS documentation. */
#define BENCH_ACCESS_KEY "AKIDEXAMPLE"
#define BENCH_SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define BENCH_REGION "us-east-1"
#define BENCH_TIMESTAMP INT64_C(1700000000) /* 2023-11-14T22:13:20Z */

/* DynamoDB GetItem. Content-Length is listed because the SDKs set it before
 * signing, and aws4 adds (and signs) it when it is missing. */
#define BENCH_GETITEM_BODY \
  "{\"TableName\":\"users\",\"Key\":{\"id\":{\"S\":\"user-000042\"}},\"ConsistentRead\":true}"
#define BENCH_GETITEM_HEADER_COUNT 4
static const uvaws_kv_t bench_getitem_headers[BENCH_GETITEM_HEADER_COUNT] = {
    {"host", "dynamodb.us-east-1.amazonaws.com"},
    {"content-type", "application/x-amz-json-1.0"},
    {"x-amz-target", "DynamoDB_20120810.GetItem"},
    {"content-length", "76"},
};

/* S3 presigned GET, path style. */
#define BENCH_S3_PATH "/bucket/some/key.txt"
#define BENCH_EXPIRES 3600u
#define BENCH_S3_HEADER_COUNT 1
static const uvaws_kv_t bench_s3_headers[BENCH_S3_HEADER_COUNT] = {
    {"host", "s3.us-east-1.amazonaws.com"},
};

#endif
