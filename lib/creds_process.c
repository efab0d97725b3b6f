#include "creds_process.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "buf.h"
#include "creds_check.h"
#include "creds_provider.h"
#include "uvaws/error.h"

#define MAX_STDOUT CREDS_MAX_ANSWER
#define MAX_STDERR 4096

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
  int group_killed; /* SIGKILL went to the process group: stop waiting for EOF */
  uint64_t timeout_ms;
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
        if (n + 2 > cap && buf_grow_array((void **)&words, &cap, n + 2, sizeof *words) != 0)
          goto fail;
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

/* ---- what a helper's stderr may show ------------------------------------- */

static int is_run_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}

/* A run of base64-ish characters that could be a key, a secret, a token or
 * a signature: long, and not plain words or a path. */
static int looks_like_key(const char *s, size_t n) {
  if (n < 16)
    return 0;
  if (strncmp(s, "AKIA", 4) == 0 || strncmp(s, "ASIA", 4) == 0)
    return 1;
  int digit = 0, upper = 0, lower = 0, other = 0;
  for (size_t i = 0; i < n; i++) {
    digit |= s[i] >= '0' && s[i] <= '9';
    upper |= s[i] >= 'A' && s[i] <= 'Z';
    lower |= s[i] >= 'a' && s[i] <= 'z';
    other |= s[i] == '+' || s[i] == '=';
  }
  return digit || other || (upper && lower);
}

/* A name whose value is a secret whatever it looks like. */
static int names_secret(const char *s, size_t n) {
  static const char *const words[] = {"secret", "token", "password", "passwd", "key",
                                      "credential", "signature", "session", "auth"};
  char low[64];
  if (n >= sizeof low)
    n = sizeof low - 1;
  for (size_t i = 0; i < n; i++)
    low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
  low[n] = '\0';
  for (size_t i = 0; i < sizeof words / sizeof *words; i++)
    if (strstr(low, words[i]) != NULL)
      return 1;
  return 0;
}

static int is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '_' || c == '-';
}

/* At in[i], after a name: `= value`, `: value`, `": "value` (quotes and
 * blanks around the separator). Returns where the value starts, or 0. */
static size_t value_after(const char *in, size_t n, size_t i) {
  while (i < n && strchr("\"' \t", in[i]) != NULL)
    i++;
  if (i >= n || (in[i] != '=' && in[i] != ':'))
    return 0;
  for (i++; i < n && strchr("\"' \t", in[i]) != NULL; i++)
    ;
  return i;
}

void creds_redact(const char *in, size_t n, char *out, size_t outn) {
  buf_t b = {0};
  size_t i = 0;
  while (i < n && in[i] != '\n' && in[i] != '\r') {
    if (!is_run_char(in[i])) {
      unsigned char c = (unsigned char)in[i++];
      buf_addc(&b, c >= 0x20 && c < 0x7f ? (char)c : '?');
      continue;
    }
    size_t start = i, name_end = i;
    while (name_end < n && is_name_char(in[name_end]))
      name_end++;
    size_t v = name_end > start && names_secret(in + start, name_end - start)
                   ? value_after(in, n, name_end)
                   : 0;
    if (v > 0) {
      size_t end = v;
      while (end < n && strchr("\"' \t\r\n,;&}", in[end]) == NULL)
        end++;
      if (end > v) { /* the name and its separator stay, the value goes */
        buf_add(&b, in + start, v - start);
        buf_adds(&b, "[redacted]");
        i = end;
        continue;
      }
    }
    while (i < n && is_run_char(in[i]))
      i++;
    if (looks_like_key(in + start, i - start))
      buf_adds(&b, "[redacted]");
    else
      buf_add(&b, in + start, i - start);
  }
  const char *s = buf_str(&b);
  snprintf(out, outn, "%s", s ? s : "");
  buf_free(&b);
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

/* The helper runs in a session of its own (UV_PROCESS_DETACHED), so its pid
 * is its process group: SIGKILL to the group reaches the children it left
 * holding the pipes too. The group is only signalled while the helper has
 * not been reaped or its pipes are open, so that its pid cannot have been
 * reused by then. */
static void kill_group(creds_process_t *p) {
  if (p->group_killed || p->spawn_error || (p->exited && p->pipes_done >= 2))
    return;
  p->group_killed = 1;
  uv_kill(-p->proc.pid, SIGKILL);
  if (!p->exited)
    uv_process_kill(&p->proc, SIGKILL); /* in case it left its group */
  uv_read_stop((uv_stream_t *)&p->out);
  uv_read_stop((uv_stream_t *)&p->err);
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

/* The helper gone, and its pipes at EOF (or given up on after a kill): decide. */
static void maybe_finish(creds_process_t *p) {
  if (!p->exited || (p->pipes_done < 2 && !p->group_killed))
    return;
  uv_timer_stop(&p->timer);
  char first_line[201];
  creds_redact(p->err_buf.data ? p->err_buf.data : "", p->err_buf.len, first_line,
               sizeof first_line);
  char what[300];
  if (p->timed_out) {
    snprintf(what, sizeof what, "it did not finish within %llu ms: killed with its process group",
             (unsigned long long)p->timeout_ms);
    report(p, NULL, "%s: %s", what);
  } else if (p->too_big) {
    report(p, NULL, "%s: %s", "its output is larger than 64 KiB: killed with its process group");
  } else if (p->term_signal != 0) {
    report(p, NULL, "%s was killed by signal %s", p->term_signal == SIGKILL ? "KILL" : "other");
  } else if (p->exit_status != 0) {
    snprintf(what, sizeof what, "%lld%s%s", (long long)p->exit_status,
             first_line[0] ? ": " : "", first_line);
    report(p, NULL, "%s exited with status %s", what);
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
    /* stderr past its limit is read and dropped, so the helper never blocks
     * on it; stdout past its limit is the end of the helper. */
    buf_add(dst, b->base, (size_t)n < room ? (size_t)n : room);
    OPENSSL_cleanse(b->base, (size_t)n);
    if ((size_t)n > room && is_out) {
      p->too_big = 1;
      kill_group(p);
      maybe_finish(p);
    }
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
  kill_group(p);
  maybe_finish(p);
}

creds_process_t *creds_process_start(uv_loop_t *loop, const char *command, uint64_t timeout_ms,
                                     creds_process_cb cb, void *arg) {
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
  p->timeout_ms = timeout_ms;
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
      .flags = UV_PROCESS_DETACHED, /* its own session and process group: see kill_group */
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
  uv_timer_start(&p->timer, on_timeout, timeout_ms, 0);
  return p;
}

void creds_process_abandon(creds_process_t *p) {
  if (p == NULL)
    return;
  p->cb = NULL;
  kill_group(p);
  close_all(p);
}

/* ---- the provider --------------------------------------------------------- */

#define PROCESS_TIMEOUT_MS 60000

typedef struct {
  uv_loop_t *loop;
  char *command;
  creds_flight_t flight;
  creds_process_t *run;
} provider_t;

static void on_done(void *arg, creds_t *creds, int code, const char *detail) {
  provider_t *d = arg;
  d->run = NULL;
  char why[600];
  snprintf(why, sizeof why, "credential_process: %s", detail);
  flight_answer(&d->flight, creds, code, why);
}

static int process_start(void *ctx) {
  provider_t *d = ctx;
  d->run = creds_process_start(d->loop, d->command, PROCESS_TIMEOUT_MS, on_done, d);
  return d->run ? 0 : UVAWS_ENOMEM;
}

static int process_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  provider_t *d = p->data;
  return flight_fetch(&d->flight, cb, arg, handle, process_start, d);
}

static void process_cancel(uvaws_creds_provider_t *p, void *handle) {
  provider_t *d = p->data;
  if (flight_leave(&d->flight, handle)) {
    creds_process_abandon(d->run);
    d->run = NULL;
  }
}

static void process_free(uvaws_creds_provider_t *p) {
  provider_t *d = p->data;
  flight_free(&d->flight);
  creds_process_abandon(d->run);
  free(d->command);
  provider_release(p);
}

static const uvaws_creds_provider_ops_t process_ops = {process_fetch, process_cancel,
                                                       process_free};

uvaws_creds_provider_t *creds_process_new(uv_loop_t *loop, const char *command,
                                          uvaws_error_t *err) {
  uvaws_creds_provider_t *p =
      provider_alloc(&process_ops, sizeof(provider_t), "credential_process", 0);
  provider_t *d = p ? p->data : NULL;
  if (d == NULL || (d->command = strdup(command)) == NULL) {
    provider_release(p);
    uvaws_error_set(err, UVAWS_ENOMEM, "allocating the credential_process provider");
    return NULL;
  }
  d->loop = loop;
  flight_init(&d->flight);
  return p;
}

int uvaws_creds_provider_process(uv_loop_t *loop, const char *command,
                                 uvaws_creds_provider_t **out, uvaws_error_t *err) {
  if (out != NULL)
    *out = NULL;
  if (loop == NULL || command == NULL || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "loop, command and out are required");
  char **words = creds_split_words(command);
  if (words == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "credential_process: the command is empty or "
                                              "has an unclosed quote");
  creds_free_words(words);
  *out = creds_process_new(loop, command, err);
  return *out ? 0 : UVAWS_ENOMEM;
}
