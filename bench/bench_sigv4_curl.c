#include "bench_sigv4_curl.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "bench_sigv4_req.h"

static const char response[] = "HTTP/1.1 200 OK\r\n"
                               "Content-Type: application/x-amz-json-1.0\r\n"
                               "Content-Length: 2\r\n"
                               "\r\n"
                               "{}";

struct curl_signer_s {
  CURL *easy;
  struct curl_slist *headers, *resolve;
  int listener; /* on 127.0.0.1, a free port */
  int conn;     /* the connection the answering thread serves */
  pthread_t thread;
  int thread_started;
  char authorization[512];
};

/* Reads one request (head, then a body of the GetItem's length) and answers
 * it, until the socket closes. */
static void *answer(void *arg) {
  curl_signer_t *c = arg;
  c->conn = accept(c->listener, NULL, NULL);
  if (c->conn < 0)
    return NULL;
  char buf[8192];
  size_t have = 0, body = strlen(BENCH_GETITEM_BODY);
  for (;;) {
    ssize_t n = read(c->conn, buf + have, sizeof buf - have - 1);
    if (n <= 0)
      return NULL;
    have += (size_t)n;
    buf[have] = '\0';
    char *end = strstr(buf, "\r\n\r\n");
    if (end == NULL || have < (size_t)(end + 4 - buf) + body)
      continue;
    if (c->authorization[0] == '\0') {
      char *a = strstr(buf, "\r\nAuthorization: ");
      if (a != NULL && a < end) {
        a += 17;
        size_t len = strcspn(a, "\r");
        if (len < sizeof c->authorization) {
          memcpy(c->authorization, a, len);
          c->authorization[len] = '\0';
        }
      }
    }
    have = 0;
    if (write(c->conn, response, sizeof response - 1) != (ssize_t)(sizeof response - 1))
      return NULL;
  }
}

static size_t discard(char *p, size_t size, size_t n, void *arg) {
  (void)p;
  (void)arg;
  return size * n;
}

curl_signer_t *curl_signer_new(int sigv4) {
  curl_signer_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return NULL;
  c->conn = c->listener = -1;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof sa;
  c->listener = socket(AF_INET, SOCK_STREAM, 0);
  if (c->listener < 0 || bind(c->listener, (struct sockaddr *)&sa, sizeof sa) != 0 ||
      listen(c->listener, 1) != 0 || getsockname(c->listener, (struct sockaddr *)&sa, &len) != 0 ||
      (c->easy = curl_easy_init()) == NULL) {
    curl_signer_free(c);
    return NULL;
  }
  char resolve[96];
  snprintf(resolve, sizeof resolve, "dynamodb.us-east-1.amazonaws.com:%d:127.0.0.1",
           ntohs(sa.sin_port));
  /* The GetItem request of bench_sigv4_req.h: the same headers signed. */
  c->headers = curl_slist_append(c->headers, "Content-Type: application/x-amz-json-1.0");
  c->headers = curl_slist_append(c->headers, "X-Amz-Target: DynamoDB_20120810.GetItem");
  c->headers = curl_slist_append(c->headers, "X-Amz-Date: 20231114T221320Z");
  c->headers = curl_slist_append(c->headers, "Content-Length: 76");
  /* The endpoint's Host without the port of the local answerer, as signed by
   * the others. No "Accept:" to drop curl's default: 7.88 would sign it. */
  c->headers = curl_slist_append(c->headers, "Host: dynamodb.us-east-1.amazonaws.com");
  c->resolve = curl_slist_append(NULL, resolve);
  if (c->headers == NULL || c->resolve == NULL) {
    curl_signer_free(c);
    return NULL;
  }
  CURL *e = c->easy;
  char url[96];
  snprintf(url, sizeof url, "http://dynamodb.us-east-1.amazonaws.com:%d/", ntohs(sa.sin_port));
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->headers);
  curl_easy_setopt(e, CURLOPT_POSTFIELDS, BENCH_GETITEM_BODY);
  curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(BENCH_GETITEM_BODY));
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_PROXY, "");
  if (getenv("BENCH_DEBUG")) curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
  if (sigv4) {
    curl_easy_setopt(e, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:dynamodb");
    curl_easy_setopt(e, CURLOPT_USERPWD, BENCH_ACCESS_KEY ":" BENCH_SECRET_KEY);
  }
  if (pthread_create(&c->thread, NULL, answer, c) != 0) {
    curl_signer_free(c);
    return NULL;
  }
  c->thread_started = 1;
  return c;
}

int curl_signer_run(curl_signer_t *c) {
  long status = 0;
  CURLcode rc = curl_easy_perform(c->easy);
  if (rc != CURLE_OK) {
    if (getenv("BENCH_DEBUG")) fprintf(stderr, "curl: %s\n", curl_easy_strerror(rc));
    return -1;
  }
  curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
  return status == 200 ? 0 : -1;
}

const char *curl_signer_authorization(const curl_signer_t *c) { return c->authorization; }

void curl_signer_free(curl_signer_t *c) {
  if (c == NULL)
    return;
  if (c->easy)
    curl_easy_cleanup(c->easy); /* closes its connection: the thread's read ends */
  if (c->listener >= 0)
    shutdown(c->listener, SHUT_RDWR); /* in case it never connected */
  if (c->thread_started)
    pthread_join(c->thread, NULL);
  if (c->conn >= 0)
    close(c->conn);
  if (c->listener >= 0)
    close(c->listener);
  curl_slist_free_all(c->headers);
  curl_slist_free_all(c->resolve);
  free(c);
}
