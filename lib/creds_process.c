#include "creds_process.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "uvaws/error.h"

#define MAX_STDOUT 65536
#define MAX_STDERR 4096
#define PROCESS_TIMEOUT_MS 60000

struct creds_process_s {
  uv_process_t proc;
  uv_pipe_t out, err;
  uv_timer_t timer;
  buf_t out_buf, err_buf;
  int open_handles;
  int exited, pipes_done;
  int64_t exit_status;
  int term_signal;
  int timed_out, too_big;
  int spawn_error; /* uv_spawn failed: reported from the timer, nothing to kill */
  char scratch[4096];
  char *program;
  creds_process_cb cb;
  void *arg;
};

/* ---- words --------------------------------------------------------------- */

void creds_free_words(char **words) {
  if (words == NULL)
    return;
  for (char **w = words; *w; w++)
    free(*w);
  free(words);
}

char **creds_split_words(const char *s) {
  size_t cap = 8, n = 0;
  char **words = calloc(cap, sizeof *words);
  buf_t w = {0};
  int in_word = 0;
  if (words == NULL)
    return NULL;
  for (const char *p = s;; p++) {
    char c = *p;
    if (c == '\0' || c == ' ' || c == '\t' || c == '\n') {
      if (in_word) {
        if (n + 2 > cap) {
          char **more = realloc(words, 2 * cap * sizeof *words);
          if (more == NULL)
            goto fail;
          words = more;
          cap *= 2;
        }
        const char *str = buf_str(&w);
        if (str == NULL || (words[n] = strdup(str)) == NULL)
          goto fail;
        words[++n] = NULL;
        buf_reset(&w);
        in_word = 0;
      }
      if (c == '\0')
        break;
      continue;
    }
    in_word = 1;
    if (c == '\'') {
      const char *end = strchr(p + 1, '\'');
      if (end == NULL)
        goto fail;
      buf_add(&w, p + 1, (size_t)(end - p - 1));
      p = end;
    } else if (c == '"') {
      for (p++; *p != '"'; p++) {
        if (*p == '\0')
          goto fail;
        if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]) != NULL)
          p++;
        buf_addc(&w, *p);
      }
    } else if (c == '\\') {
      if (p[1] == '\0')
        goto fail;
      buf_addc(&w, *++p);
    } else {
      buf_addc(&w, c);
    }
  }
  buf_free(&w);
  if (n == 0) {
    free(words);
    return NULL;
  }
  return words;
fail:
  buf_free(&w);
  creds_free_words(words);
  return NULL;
}

/* ---- the process --------------------------------------------------------- */

static void on_closed(uv_handle_t *h) {
  creds_process_t *p = h->data;
  if (--p->open_handles > 0)
    return;
  buf_free(&p->out_buf); /* cleansed: it held a secret */
  buf_free(&p->err_buf);
  free(p->program);
  free(p);
}

static void close_all(creds_process_t *p) {
  uv_handle_t *hs[] = {(uv_handle_t *)&p->out, (uv_handle_t *)&p->err, (uv_handle_t *)&p->timer,
                       (uv_handle_t *)&p->proc};
  /* All four, the process too: libuv wants it closed even when uv_spawn failed. */
  for (size_t i = 0; i < 4; i++)
    if (!uv_is_closing(hs[i]))
      uv_close(hs[i], on_closed);
}

static void report(creds_process_t *p, creds_t *creds, const char *fmt, const char *what) {
  creds_process_cb cb = p->cb;
  p->cb = NULL;
  if (cb == NULL)
    return;
  char detail[512];
  snprintf(detail, sizeof detail, fmt, p->program, what);
  cb(p->arg, creds, creds ? 0 : UVAWS_ECREDS, detail);
}

/* Both pipes at EOF and the process gone: decide. */
static void maybe_finish(creds_process_t *p) {
  if (!p->exited || p->pipes_done < 2)
    return;
  uv_timer_stop(&p->timer);
  const char *err_text = buf_str(&p->err_buf);
  char first_line[201];
  snprintf(first_line, sizeof first_line, "%.*s",
           err_text ? (int)strcspn(err_text, "\r\n") : 0, err_text ? err_text : "");
  if (p->timed_out) {
    report(p, NULL, "%s: %s", "no answer within 60 s, killed");
  } else if (p->term_signal != 0) {
    report(p, NULL, "%s was killed by signal %s", p->term_signal == SIGKILL ? "KILL" : "other");
  } else if (p->exit_status != 0) {
    char what[300];
    snprintf(what, sizeof what, "%lld%s%s", (long long)p->exit_status,
             first_line[0] ? ": " : "", first_line);
    report(p, NULL, "%s exited with status %s", what);
  } else if (p->too_big) {
    report(p, NULL, "%s: %s", "its output is larger than 64 KiB");
  } else {
    creds_t creds;
    const char *why = NULL;
    if (creds_from_process_json(p->out_buf.data ? p->out_buf.data : "", p->out_buf.len, &creds,
                                &why) == 0) {
      report(p, &creds, "%s%s", "");
      creds_clear(&creds);
    } else {
      report(p, NULL, "%s: %s", why);
    }
  }
  close_all(p);
}

static void on_exit_cb(uv_process_t *proc, int64_t status, int term_signal) {
  creds_process_t *p = proc->data;
  p->exited = 1;
  p->exit_status = status;
  p->term_signal = term_signal;
  maybe_finish(p);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b) {
  (void)suggested;
  creds_process_t *p = h->data; /* reads are copied out at once: one buffer will do */
  *b = uv_buf_init(p->scratch, sizeof p->scratch);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  creds_process_t *p = s->data;
  int is_out = s == (uv_stream_t *)&p->out;
  buf_t *dst = is_out ? &p->out_buf : &p->err_buf;
  size_t limit = is_out ? MAX_STDOUT : MAX_STDERR;
  if (n > 0) {
    size_t room = dst->len < limit ? limit - dst->len : 0;
    if ((size_t)n > room && is_out)
      p->too_big = 1;
    buf_add(dst, b->base, (size_t)n < room ? (size_t)n : room);
    OPENSSL_cleanse(b->base, (size_t)n);
  } else if (n < 0) {
    uv_read_stop(s);
    p->pipes_done++;
    maybe_finish(p);
  }
}

static void on_spawn_failed(uv_timer_t *t) {
  creds_process_t *p = t->data;
  report(p, NULL, "cannot run %s: %s", uv_strerror(p->spawn_error));
  close_all(p);
}

static void on_timeout(uv_timer_t *t) {
  creds_process_t *p = t->data;
  p->timed_out = 1;
  uv_process_kill(&p->proc, SIGKILL);
}

creds_process_t *creds_process_start(uv_loop_t *loop, const char *command, creds_process_cb cb,
                                     void *arg) {
  char **argv = creds_split_words(command);
  if (argv == NULL)
    return NULL;
  creds_process_t *p = calloc(1, sizeof *p);
  if (p == NULL || (p->program = strdup(argv[0])) == NULL) {
    free(p);
    creds_free_words(argv);
    return NULL;
  }
  p->cb = cb;
  p->arg = arg;
  uv_pipe_init(loop, &p->out, 0);
  uv_pipe_init(loop, &p->err, 0);
  uv_timer_init(loop, &p->timer);
  p->out.data = p->err.data = p->timer.data = p->proc.data = p;
  uv_stdio_container_t stdio[3] = {
      {.flags = UV_IGNORE},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->out},
      {.flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE, .data.stream = (uv_stream_t *)&p->err},
  };
  uv_process_options_t o = {
      .exit_cb = on_exit_cb, .file = argv[0], .args = argv, .stdio_count = 3, .stdio = stdio,
  };
  int rc = uv_spawn(loop, &p->proc, &o);
  creds_free_words(argv);
  p->open_handles = 4;
  if (rc != 0) { /* reported from the loop, like every other outcome */
    p->spawn_error = rc;
    uv_timer_start(&p->timer, on_spawn_failed, 0, 0);
    return p;
  }
  uv_read_start((uv_stream_t *)&p->out, on_alloc, on_read);
  uv_read_start((uv_stream_t *)&p->err, on_alloc, on_read);
  uv_timer_start(&p->timer, on_timeout, PROCESS_TIMEOUT_MS, 0);
  return p;
}

void creds_process_abandon(creds_process_t *p) {
  if (p == NULL)
    return;
  p->cb = NULL;
  if (!p->exited && !p->spawn_error)
    uv_process_kill(&p->proc, SIGKILL);
  close_all(p);
}
