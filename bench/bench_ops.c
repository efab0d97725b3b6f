/* The operation layer alone, without a client or a network: what checking
 * and serializing a call's parameters costs, and what parsing its answer into
 * the output tree and freeing that tree costs, for one operation of each
 * body protocol. Prints one JSON line a case and a run:
 *
 *   bench_ops --cases FILE [--runs N]  {"name", "protocol", "run", "serialize_ns", "parse_ns"}
 *   bench_ops --cases FILE --check     each case once: the body's length and the output
 *
 * FILE is bench/peers/ops_cases.json: a list of {"name", "service",
 * "operation", "protocol", "params", "answer"}.
 *
 * Time is the thread's CPU time (CLOCK_THREAD_CPUTIME_ID); each case is
 * warmed up, then timed over runs of N operations, N chosen so that a run
 * takes about 0.1 s. The same cases run through botocore in
 * bench/peers/botocore_ops.py (bench/run_ops.sh prints both side by side). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "op.h"

static double cpu_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

typedef struct {
  const model_t *m;
  const mop_t *op;
  cJSON *params;
  uvaws_response_t res;
} ready_t;

static int serialize_once(const ready_t *r, op_req_t *out) {
  op_plan_t plan;
  uvaws_error_t e = {0};
  memset(out, 0, sizeof *out);
  int rc = op_check(r->m, r->op, r->params, &plan, &e);
  if (rc == 0)
    rc = op_serialize(r->m, r->op, r->params, &plan, out, &e);
  if (rc != 0)
    fprintf(stderr, "bench_ops: %s\n", e.message ? e.message : "serialize failed");
  uvaws_error_clear(&e);
  return rc;
}

static int parse_once(const ready_t *r, cJSON **out) {
  uvaws_error_t e = {0};
  *out = NULL;
  int rc = op_parse(r->m, r->op, &r->res, out, NULL, &e);
  if (rc != 0)
    fprintf(stderr, "bench_ops: %s\n", e.detail ? e.detail : "parse failed");
  uvaws_error_clear(&e);
  return rc;
}

/* ns per operation over `n` operations of one kind (0: serialize, 1: parse). */
static double timed(const ready_t *r, int kind, long n) {
  double t0 = cpu_ns();
  for (long i = 0; i < n; i++) {
    if (kind == 0) {
      op_req_t q;
      if (serialize_once(r, &q) != 0)
        exit(1);
      op_req_free(&q);
    } else {
      cJSON *o;
      if (parse_once(r, &o) != 0)
        exit(1);
      cJSON_Delete(o);
    }
  }
  return (cpu_ns() - t0) / (double)n;
}

static const char *text(const cJSON *c, const char *key) {
  const char *s = cJSON_GetStringValue(cJSON_GetObjectItem(c, key));
  return s ? s : "";
}

static int ready(const cJSON *c, ready_t *r) {
  char why[256] = "";
  r->m = model_get(text(c, "service"), why, sizeof why);
  r->op = r->m ? model_op(r->m, text(c, "operation")) : NULL;
  r->params = cJSON_Duplicate(cJSON_GetObjectItem(c, "params"), 1);
  const char *answer = text(c, "answer");
  if (r->op == NULL || !cJSON_IsObject(r->params)) {
    fprintf(stderr, "bench_ops: %s %s: %s\n", text(c, "service"), text(c, "operation"), why);
    cJSON_Delete(r->params);
    return -1;
  }
  r->res = (uvaws_response_t){.status = 200, .body = answer, .body_len = strlen(answer)};
  return 0;
}

static cJSON *read_cases(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return NULL;
  }
  static char buf[1 << 16];
  size_t len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  cJSON *cases = len < sizeof buf ? cJSON_ParseWithLength(buf, len) : NULL;
  if (!cJSON_IsArray(cases) || cJSON_GetArraySize(cases) > 16) {
    fprintf(stderr, "bench_ops: %s: not a list of at most 16 cases (64 KiB)\n", path);
    cJSON_Delete(cases);
    return NULL;
  }
  return cases;
}

int main(int argc, char **argv) {
  int runs = 7, check = 0;
  const char *path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0) {
      runs = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc) {
      path = argv[++i];
    } else if (strcmp(argv[i], "--check") == 0) {
      check = 1;
    } else {
      path = NULL;
      break;
    }
  }
  if (path == NULL) {
    fprintf(stderr, "usage: %s --cases FILE [--runs N] [--check]\n", argv[0]);
    return 2;
  }
  cJSON *cases = read_cases(path);
  if (cases == NULL)
    return 1;
  enum { MAX = 16 };
  size_t ncases = 0;
  const char *names[MAX], *protocols[MAX];
  ready_t r[MAX];
  long n[MAX][2];
  int rc = 0;
  const cJSON *c;
  cJSON_ArrayForEach(c, cases) {
    if (ready(c, &r[ncases]) != 0) {
      rc = 1;
      break;
    }
    names[ncases] = text(c, "name");
    protocols[ncases] = text(c, "protocol");
    ready_t *one = &r[ncases++];
    if (check) { /* what the peer's figures are compared on */
      op_req_t q;
      cJSON *o;
      if (serialize_once(one, &q) != 0 || parse_once(one, &o) != 0) {
        rc = 1;
        break;
      }
      char *out = cJSON_PrintUnformatted(o);
      printf("{\"name\":\"%s\",\"body_len\":%zu,\"output\":%s}\n", names[ncases - 1],
             q.body.len, out ? out : "null");
      free(out);
      cJSON_Delete(o);
      op_req_free(&q);
      continue;
    }
    for (int kind = 0; kind < 2; kind++) { /* warm-up, which also sizes a run */
      double ns = timed(one, kind, 20000);
      n[ncases - 1][kind] = (long)(1e8 / (ns > 1 ? ns : 1)) + 1;
    }
  }
  for (int run = 0; rc == 0 && !check && run < runs; run++)
    for (size_t j = 0; j < ncases; j++) {
      size_t k = (j + (size_t)run) % ncases; /* rotating order */
      double s = timed(&r[k], 0, n[k][0]), p = timed(&r[k], 1, n[k][1]);
      printf("{\"name\":\"%s\",\"protocol\":\"%s\",\"run\":%d,\"serialize_ns\":%.1f,"
             "\"parse_ns\":%.1f}\n",
             names[k], protocols[k], run, s, p);
    }
  for (size_t k = 0; k < ncases; k++)
    cJSON_Delete(r[k].params);
  cJSON_Delete(cases);
  return rc;
}
