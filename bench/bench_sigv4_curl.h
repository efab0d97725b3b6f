/* libcurl's own SigV4 (CURLOPT_AWS_SIGV4) in the signing benchmark.
 *
 * libcurl signs inside a transfer, so its cost is measured as the difference
 * between two transfers of the GetItem request that differ only in
 * CURLOPT_AWS_SIGV4 (and CURLOPT_USERPWD). Both go to a thread of the
 * process that listens on 127.0.0.1 and answers every request on its one
 * kept-alive connection with a fixed response; the endpoint's name is mapped
 * to it with CURLOPT_RESOLVE, so it is signed as the real endpoint would be
 * and never resolved. X-Amz-Date is given as a
 * header, which libcurl then signs with instead of the clock, so its
 * signature can be compared with uvaws's at the benchmark's fixed time. */
#ifndef BENCH_SIGV4_CURL_H
#define BENCH_SIGV4_CURL_H

typedef struct curl_signer_s curl_signer_t;

/* NULL on failure. `sigv4`: 1 signs, 0 sends the same request unsigned. */
curl_signer_t *curl_signer_new(int sigv4);
/* One transfer; 0 or -1. */
int curl_signer_run(curl_signer_t *c);
/* The Authorization header of the first request the server saw ("" if none). */
const char *curl_signer_authorization(const curl_signer_t *c);
void curl_signer_free(curl_signer_t *c);

#endif
