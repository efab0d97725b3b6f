/* uvaws batch: JSON lines in, one JSON line per result out, many in flight.
 *
 * Input is read through libuv's thread pool in chunks, and only as fast as
 * results come back: at most `concurrency` calls are outstanding, so memory
 * stays flat on a million-line file and each latency is the call's own, not
 * time spent waiting in a queue. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"

#define CHUNK 65536
#define MAX_LINE (1u << 20)

typedef struct {
  uv_loop_t *loop;
  uvaws_client_t *client;
  const cli_opts_t *o;
  uv_file fd;
  int own_fd;
  uv_fs_t req;
  char chunk[CHUNK];
  buf_t pend;      /* bytes read; those from pend_off on are not consumed as lines yet */
  size_t pend_off;
  int reading, eof, read_error;
  unsigned long lineno, submitted, done, ok, failed, invalid;
  uint64_t total_bytes; /* a regular file's size: progress from the start; 0 on a pipe */
  uint64_t done_bytes;  /* bytes of the lines answered so far */
  unsigned inflight;
  double *lat;
  size_t lat_n, lat_cap;
  uv_timer_t bar;
  int show_bar, bar_started, finished;
  uint64_t start_ns;
} batch_t;

typedef struct {
  batch_t *b;
  cJSON *id;
  size_t bytes; /* its line's, newline included */
} item_t;

static void pump(batch_t *b);

/* ---- output ------------------------------------------------------------------ */

static void emit(cJSON *line) {
  char *text = cJSON_PrintUnformatted(line);
  if (text) {
    fputs(text, stdout);
    fputc('\n', stdout);
    free(text);
  }
  cJSON_Delete(line);
}

static void emit_invalid(batch_t *b, const char *why) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddNumberToObject(j, "line", (double)b->lineno);
  cJSON_AddBoolToObject(j, "ok", 0);
  cJSON *e = cJSON_AddObjectToObject(j, "error");
  cJSON_AddStringToObject(e, "code", "UVAWS_EINVAL");
  cJSON_AddStringToObject(e, "message", why);
  emit(j);
  b->invalid++;
  b->done++;
}

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, c = *(const double *)y;
  return (a > c) - (a < c);
}

static double percentile(const batch_t *b, double p) {
  if (b->lat_n == 0)
    return 0;
  size_t i = (size_t)(p * (double)(b->lat_n - 1) + 0.5);
  return b->lat[i];
}

static double elapsed_s(const batch_t *b) { return (double)(uv_hrtime() - b->start_ns) / 1e9; }

/* A regular file shows how far along it is from the start (bytes of answered
 * lines against the file's size, then lines once all are read); a pipe, whose
 * end nobody knows, shows a count and a rate. */
static void draw_bar(batch_t *b, int final) {
  double secs = elapsed_s(b);
  double rate = secs > 0 ? (double)b->done / secs : 0;
  double frac = -1;
  if (b->eof && b->lineno > 0)
    frac = (double)b->done / (double)b->lineno; /* every line is a request or an invalid one */
  else if (b->total_bytes > 0)
    frac = (double)b->done_bytes / (double)b->total_bytes;
  char line[200];
  if (frac >= 0) {
    if (frac > 1)
      frac = 1;
    int width = 30, filled = (int)(frac * width);
    char bar[32];
    for (int i = 0; i < width; i++)
      bar[i] = i < filled ? '#' : '-';
    bar[width] = '\0';
    char count[48];
    if (b->eof)
      snprintf(count, sizeof count, "%lu/%lu", b->done, b->lineno);
    else
      snprintf(count, sizeof count, "%lu", b->done);
    double eta = frac > 0 ? secs * (1 - frac) / frac : 0;
    snprintf(line, sizeof line, "[%s] %3.0f%% %s  %.0f/s  failed %lu  ETA %.0fs", bar,
             100.0 * frac, count, rate, b->failed + b->invalid, eta);
  } else {
    snprintf(line, sizeof line, "%lu done  %.0f/s  failed %lu", b->done, rate,
             b->failed + b->invalid);
  }
  fprintf(stderr, "\r%-78s%s", line, final ? "\n" : "");
  fflush(stderr);
}

static void on_bar(uv_timer_t *t) { draw_bar(t->data, 0); }

static void finish(batch_t *b) {
  if (b->finished)
    return;
  b->finished = 1;
  if (b->bar_started) {
    uv_timer_stop(&b->bar);
    draw_bar(b, 1);
    uv_close((uv_handle_t *)&b->bar, NULL);
  }
  fflush(stdout);
  qsort(b->lat, b->lat_n, sizeof *b->lat, cmp_double);
  uvaws_client_stats_t st;
  uvaws_client_stats(b->client, &st);
  double secs = elapsed_s(b);
  fprintf(stderr,
          "batch: %lu requests, %lu ok, %lu failed, %lu invalid lines in %.2f s: %.0f req/s; "
          "latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; %llu retries\n",
          b->submitted, b->ok, b->failed, b->invalid, secs, secs > 0 ? (double)b->done / secs : 0,
          percentile(b, 0.50), percentile(b, 0.90), percentile(b, 0.99),
          (unsigned long long)st.retries);
}

/* ---- results ----------------------------------------------------------------- */

static void on_result(uvaws_result_t *res, void *arg) {
  item_t *it = arg;
  batch_t *b = it->b;
  cJSON *j = cJSON_CreateObject();
  cJSON_AddItemToObject(j, "id", it->id);
  cJSON_AddBoolToObject(j, "ok", res->error == NULL);
  if (res->error == NULL) {
    cJSON_AddItemToObject(j, "output", uvaws_result_steal(res));
    b->ok++;
  } else {
    cJSON_AddItemToObject(j, "error", cli_error_json(res->error, res->response ? res->response->status : 0));
    b->failed++;
  }
  if (res->response) {
    cJSON_AddNumberToObject(j, "attempts", res->response->attempts);
    cJSON_AddNumberToObject(j, "ms", (double)(long)(res->response->elapsed_ms * 100) / 100);
    if (b->lat_n == b->lat_cap) {
      size_t cap = b->lat_cap ? 2 * b->lat_cap : 1024;
      double *p = realloc(b->lat, cap * sizeof *p);
      if (p) {
        b->lat = p;
        b->lat_cap = cap;
      }
    }
    if (b->lat_n < b->lat_cap)
      b->lat[b->lat_n++] = res->response->elapsed_ms;
  }
  emit(j);
  b->done_bytes += it->bytes;
  free(it);
  b->done++;
  b->inflight--;
  pump(b);
}

/* One input line: {"op": "PutItem", "params": {...}, "id": anything}. */
static void submit_line(batch_t *b, char *text, size_t bytes) {
  b->lineno++;
  while (*text == ' ' || *text == '\t' || *text == '\r')
    text++;
  size_t n = strlen(text);
  while (n > 0 && (text[n - 1] == '\r' || text[n - 1] == ' ' || text[n - 1] == '\t'))
    text[--n] = '\0';
  if (n == 0) {
    b->lineno--; /* blank lines are not requests */
    b->done_bytes += bytes;
    return;
  }
  cJSON *j = cJSON_Parse(text);
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(j, "op");
  const cJSON *params = cJSON_GetObjectItemCaseSensitive(j, "params");
  char why[128];
  if (j == NULL || !cJSON_IsObject(j)) {
    snprintf(why, sizeof why, "line %lu is not a JSON object", b->lineno);
    emit_invalid(b, why);
  } else if (!cJSON_IsString(op)) {
    snprintf(why, sizeof why, "line %lu has no \"op\" string", b->lineno);
    emit_invalid(b, why);
  } else if (params != NULL && !cJSON_IsObject(params)) {
    snprintf(why, sizeof why, "line %lu: \"params\" is not an object", b->lineno);
    emit_invalid(b, why);
  } else {
    item_t *it = calloc(1, sizeof *it);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "id");
    it->b = b;
    it->bytes = bytes;
    it->id = id ? cJSON_Duplicate(id, 1) : cJSON_CreateNumber((double)b->lineno);
    b->submitted++;
    int rc = uvaws_call(b->client, op->valuestring, params, on_result, it, NULL);
    if (rc == 0) {
      b->inflight++;
    } else {
      cJSON *out = cJSON_CreateObject();
      cJSON_AddItemToObject(out, "id", it->id);
      cJSON_AddBoolToObject(out, "ok", 0);
      uvaws_error_t e = {0};
      uvaws_error_set(&e, rc, "%s %s", op->valuestring, uvaws_strerror(rc));
      cJSON_AddItemToObject(out, "error", cli_error_json(&e, 0));
      uvaws_error_clear(&e);
      emit(out);
      free(it);
      b->failed++;
      b->done++;
      b->done_bytes += bytes;
    }
  }
  if (j == NULL || !cJSON_IsObject(j) || !cJSON_IsString(op) ||
      (params != NULL && !cJSON_IsObject(params)))
    b->done_bytes += bytes; /* answered at once, as invalid */
  cJSON_Delete(j);
}

/* ---- input ------------------------------------------------------------------- */

static void on_read(uv_fs_t *req) {
  batch_t *b = req->data;
  b->reading = 0;
  ssize_t n = req->result;
  uv_fs_req_cleanup(req);
  if (n < 0) {
    fprintf(stderr, "uvaws: reading the input: %s\n", uv_strerror((int)n));
    b->read_error = 1;
    b->eof = 1;
  } else if (n == 0) {
    b->eof = 1;
  } else {
    if (b->pend_off > 0 && b->pend_off == b->pend.len) {
      buf_reset(&b->pend);
      b->pend_off = 0;
    }
    if (b->pend_off > 0 && b->pend.cap - b->pend.len <= (size_t)n) {
      /* make room by dropping what was consumed */
      memmove(b->pend.data, b->pend.data + b->pend_off, b->pend.len - b->pend_off);
      b->pend.len -= b->pend_off;
      b->pend_off = 0;
    }
    buf_add(&b->pend, b->chunk, (size_t)n);
    if (b->pend.failed) {
      fprintf(stderr, "uvaws: out of memory\n");
      b->read_error = 1;
      b->eof = 1;
    }
  }
  pump(b);
}

static void start_read(batch_t *b) {
  uv_buf_t iov = uv_buf_init(b->chunk, sizeof b->chunk);
  b->req.data = b;
  if (uv_fs_read(b->loop, &b->req, b->fd, &iov, 1, -1, on_read) == 0)
    b->reading = 1;
  else
    b->eof = b->read_error = 1;
}

/* Submits lines while there is room, reads when lines run out, and ends when
 * everything read has been answered. */
static void pump(batch_t *b) {
  unsigned limit = b->o->concurrency ? b->o->concurrency : 64;
  while (b->inflight < limit) {
    char *start = b->pend.data ? b->pend.data + b->pend_off : NULL;
    size_t avail = b->pend.len - b->pend_off;
    char *nl = avail ? memchr(start, '\n', avail) : NULL;
    if (nl == NULL && avail > MAX_LINE) {
      b->done_bytes += b->pend.len - b->pend_off;
      b->pend_off = b->pend.len; /* drop it: one bad line must not stop the rest */
      b->lineno++;
      emit_invalid(b, "line longer than 1 MiB");
      continue;
    }
    if (nl == NULL && !b->eof)
      break;
    if (nl == NULL && avail == 0)
      break;
    size_t len = nl ? (size_t)(nl - start) : avail;
    char *line = malloc(len + 1);
    if (line == NULL)
      break;
    memcpy(line, start, len);
    line[len] = '\0';
    b->pend_off += len + (nl ? 1 : 0);
    submit_line(b, line, len + (nl ? 1 : 0));
    free(line);
  }
  if (!b->eof && !b->reading && b->inflight < limit)
    start_read(b);
  if (b->eof && b->inflight == 0 && b->pend_off >= b->pend.len)
    finish(b);
}

int cmd_batch(const char *service, const char *input, const cli_opts_t *o) {
  batch_t *b = calloc(1, sizeof *b);
  if (b == NULL)
    return EXIT_OTHER;
  uv_loop_t loop;
  uv_loop_init(&loop);
  b->loop = &loop;
  b->o = o;
  b->fd = 0;
  if (input != NULL && strcmp(input, "-") != 0) {
    b->fd = open(input, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0) {
      perror(input);
      free(b);
      uv_loop_close(&loop);
      return EXIT_USAGE;
    }
    b->own_fd = 1;
  }
  struct stat st; /* stdin redirected from a file counts as a file */
  if (fstat(b->fd, &st) == 0 && S_ISREG(st.st_mode)) {
    off_t at = lseek(b->fd, 0, SEEK_CUR);
    b->total_bytes = (uint64_t)(st.st_size - (at > 0 ? at : 0));
  }
  int code = EXIT_OTHER;
  b->client = cli_client(&loop, service, o, &code);
  if (b->client == NULL) {
    if (b->own_fd)
      close(b->fd);
    free(b);
    uv_loop_close(&loop);
    return code;
  }
  b->show_bar = o->progress >= 0 ? o->progress : isatty(2);
  b->start_ns = uv_hrtime();
  if (b->show_bar) {
    uv_timer_init(&loop, &b->bar);
    b->bar.data = b;
    uv_timer_start(&b->bar, on_bar, 100, 100);
    b->bar_started = 1;
  }
  pump(b);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (!b->finished)
    finish(b);
  cli_close(&loop, b->client);
  uv_loop_close(&loop);
  if (b->own_fd)
    close(b->fd);
  code = b->read_error ? EXIT_OTHER : b->failed ? EXIT_AWS : b->invalid ? EXIT_USAGE : EXIT_OK;
  buf_free(&b->pend);
  free(b->lat);
  free(b);
  return code;
}
