/* What the client benchmarks (bench_client_uvaws.c, bench_client_raw.c)
 * share: the request they send, their command line and how they measure.
 *
 * One process runs one client on one workload, so getrusage(RUSAGE_SELF)
 * is that client's CPU alone; the figures cover the run (first request
 * submitted to last answer), not start-up. Results are one JSON line. */
#ifndef BENCH_CLIENT_H
#define BENCH_CLIENT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

/* A DynamoDB GetItem, as the JavaScript SDK serializes the same input
 * (bench/client_sdk.js): 89 bytes. */
#define GETITEM_BODY                                                                       \
  "{\"TableName\":\"users\",\"Key\":{\"id\":{\"S\":\"user-000042\"}},"                     \
  "\"ProjectionExpression\":\"id,visits\"}"
#define GETITEM_TARGET "DynamoDB_20120810.GetItem"
#define GETITEM_TYPE "application/x-amz-json-1.0"
/* The documentation's example credentials: nginx checks nothing. */
#define BENCH_ACCESS_KEY "AKIDEXAMPLE"
#define BENCH_SECRET_KEY "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

typedef struct {
  const char *url;    /* --url http://127.0.0.1:PORT/ or https://... */
  const char *name;   /* --name: the "name" of the JSON line */
  const char *cafile; /* --cafile PEM: the bench's throwaway CA, for https URLs */
  long requests;      /* --requests N (default 100000) */
  long inflight;      /* --inflight N (default 64) */
} bench_args_t;

static inline double bench_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User and system CPU of the process so far, in seconds. */
typedef struct {
  double user, sys;
} bench_cpu_t;

static inline bench_cpu_t bench_cpu(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  bench_cpu_t c = {(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
                   (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6};
  return c;
}

static inline long bench_maxrss_kb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* Prints the run as one JSON line: rate, CPU per request (user+sys, and
 * each), peak RSS, and the connections the client opened (for https, its
 * TLS handshakes). */
static inline void bench_report(const bench_args_t *a, long ok, long failed, double wall_s,
                                bench_cpu_t c0, bench_cpu_t c1, long connections,
                                const char *extra) {
  double n = (double)(ok + failed ? ok + failed : 1);
  double user = c1.user - c0.user, sys = c1.sys - c0.sys;
  printf("{\"name\":\"%s\",\"requests\":%ld,\"inflight\":%ld,\"ok\":%ld,\"failed\":%ld,"
         "\"seconds\":%.4f,\"rps\":%.1f,\"cpu_us_per_req\":%.3f,\"user_us_per_req\":%.3f,"
         "\"sys_us_per_req\":%.3f,\"maxrss_kb\":%ld,\"connections\":%ld%s%s}\n",
         a->name, a->requests, a->inflight, ok, failed, wall_s, (double)(ok + failed) / wall_s,
         (user + sys) * 1e6 / n, user * 1e6 / n, sys * 1e6 / n, bench_maxrss_kb(), connections,
         extra ? "," : "", extra ? extra : "");
  fflush(stdout);
}

/* Takes one common option (and its value) out of argv at i: returns how many
 * arguments it used (2), 0 when argv[i] is not one of them (the caller's own
 * flag, which may well be the last argument), or -1 when its value is missing. */
static inline int bench_arg(bench_args_t *a, int argc, char **argv, int i) {
  static const char *const with_value[] = {"--url", "--name", "--requests", "--inflight",
                                           "--cafile"};
  int known = 0;
  for (size_t k = 0; k < sizeof with_value / sizeof *with_value; k++)
    known |= strcmp(argv[i], with_value[k]) == 0;
  if (!known)
    return 0;
  if (i + 1 >= argc)
    return -1;
  if (strcmp(argv[i], "--url") == 0)
    a->url = argv[i + 1];
  else if (strcmp(argv[i], "--name") == 0)
    a->name = argv[i + 1];
  else if (strcmp(argv[i], "--cafile") == 0)
    a->cafile = argv[i + 1];
  else if (strcmp(argv[i], "--requests") == 0)
    a->requests = atol(argv[i + 1]);
  else
    a->inflight = atol(argv[i + 1]);
  return 2;
}

#endif
