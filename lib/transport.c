#include "transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "buf.h"
#include "list.h"
#include "resp_head.h"
#include "sigv4_canon.h"
#include "uvaws/error.h"

struct transfer_s {
  CURL *easy;
  transport_t *t;
  list_t pooled; /* in the transport's free list while not taken */
  int in_flight;
  transport_done_cb cb;
  void *cb_arg;
  char errbuf[CURL_ERROR_SIZE];
  char detail[CURL_ERROR_SIZE + 128];
  /* request */
  buf_t url;
  /* What the easy handle was last given, so that a request like the last
   * one (a client's usual case) sets none of it again: curl copies the URL
   * on every CURLOPT_URL. */
  buf_t url_given;
  /* The URL parsed once, for CURLOPT_CURLU: given a string, curl parses it
   * again on every transfer (~11,000 instructions for a DynamoDB URL). */
  CURLU *url_handle;
  long timeout_given;
  size_t max_body_given;
  buf_t header_text; /* "Name: value\0Name: value\0" */
  struct curl_slist *header_nodes;
  size_t header_nodes_cap, header_lines;
  int has_content_type;
  int has_user_agent; /* the caller gave its own User-Agent header */
  /* streams, for one transfer (transport_request_t) */
  const body_source_t *source;
  const body_sink_t *sink;
  int sinking; /* -1: not known yet; 1: this body goes to the sink; 0: to memory */
  int sink_failed;
  /* response */
  resp_head_t head; /* the last response's header lines, parsed at its end */
  buf_t body;
  size_t max_body;
  int measure; /* fill the result's timings */
  int body_in_head; /* curl sends the body in the head's buffer (counted with it) */
  int too_big;
  int head_done; /* the blank line after the response headers arrived */
};

typedef struct sock_s {
  uv_poll_t poll;
  transport_t *t;
  curl_socket_t fd;
  int active;     /* UV_READABLE|UV_WRITABLE the poll runs with, 0 when stopped */
  int wanted;     /* what curl asked for, 0 after CURL_POLL_REMOVE */
  int connection; /* opened through our opensocket callback: closes through ours */
} sock_t;

struct transport_s {
  uv_loop_t *loop;
  CURLM *multi;
  uv_timer_t timer; /* initialized when curl first asks for it */
  int timer_ready;
  sock_t **by_fd;
  size_t by_fd_cap;
  list_t free_transfers;
  transfer_t **all;
  size_t count, cap;
  transport_options_t opts;
  char *ca_file, *user_agent;
  unsigned long connections;
  int aborting; /* inside curl_multi_remove_handle for an unfinished transfer */
  /* Inside check_done's callbacks, where the transfer being finished is still
   * used after its callback: a close asked for there (a credential provider
   * freed from its answer frees its own transport) waits for the return. */
  int delivering;
  int close_asked;
  int pending_closes;
  void (*close_cb)(void *arg);
  void *close_arg;
};

/* ---- sockets ------------------------------------------------------------- */

static sock_t *sock_for(transport_t *t, curl_socket_t fd, int create) {
  if (fd < 0)
    return NULL;
  if ((size_t)fd >= t->by_fd_cap &&
      (!create || buf_grow_array((void **)&t->by_fd, &t->by_fd_cap, (size_t)fd + 1,
                                 sizeof *t->by_fd) != 0))
    return NULL;
  sock_t *s = t->by_fd[fd];
  if (s == NULL && create) {
    s = calloc(1, sizeof *s);
    if (s == NULL)
      return NULL;
    if (uv_poll_init_socket(t->loop, &s->poll, fd) != 0) {
      free(s);
      return NULL;
    }
    /* Our handles never keep the loop alive by themselves: the client keeps it
     * alive while it has requests (an idle kept-alive socket must not). */
    uv_unref((uv_handle_t *)&s->poll);
    s->poll.data = s;
    s->t = t;
    s->fd = fd;
    t->by_fd[fd] = s;
  }
  return s;
}

static void sock_stop(sock_t *s) {
  if (s->active) {
    uv_poll_stop(&s->poll);
    s->active = 0;
  }
  s->wanted = 0;
}

static void finish(transfer_t *x, CURLcode rc);
static void close_now(transport_t *t);

static void check_done(transport_t *t) {
  CURLMsg *msg;
  int left;
  t->delivering++;
  while (!t->close_asked && t->multi != NULL &&
         (msg = curl_multi_info_read(t->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    transfer_t *x = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode result = msg->data.result;
    curl_multi_remove_handle(t->multi, msg->easy_handle);
    x->in_flight = 0;
    finish(x, result);
  }
  if (--t->delivering == 0 && t->close_asked)
    close_now(t);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  sock_t *s = h->data;
  transport_t *t = s->t;
  if (s->wanted == 0) {
    /* A kept-alive connection woke up between transfers (the server closed it,
     * most likely): stop watching; curl checks it before reusing it. */
    sock_stop(s);
    return;
  }
  int flags = 0;
  if (status < 0)
    flags = CURL_CSELECT_ERR;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  int running;
  curl_multi_socket_action(t->multi, s->fd, flags, &running);
  check_done(t);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  (void)easy;
  (void)socketp;
  transport_t *t = userp;
  if (what == CURL_POLL_REMOVE) {
    sock_t *s = sock_for(t, fd, 0);
    if (s != NULL) {
      /* Lazily (see on_poll), unless the socket may be closed behind our
       * back: not opened through us, or its transfer being aborted (curl
       * 7.88 closes a connection still connecting without our close
       * callback; a poll started in this loop turn would then make libuv
       * watch a closed descriptor, and abort). */
      if (s->connection && !t->aborting)
        s->wanted = 0;
      else
        sock_stop(s);
    }
    return 0;
  }
  sock_t *s = sock_for(t, fd, 1);
  if (s == NULL)
    return -1;
  int events = 0;
  if (what & CURL_POLL_IN)
    events |= UV_READABLE;
  if (what & CURL_POLL_OUT)
    events |= UV_WRITABLE;
  s->wanted = events;
  if (s->active != events) {
    if (uv_poll_start(&s->poll, events, on_poll) != 0)
      return -1;
    s->active = events;
  }
  return 0;
}

static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr) {
  transport_t *t = clientp;
  (void)purpose;
  curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (fd < 0)
    return CURL_SOCKET_BAD;
  sock_t *s = sock_for(t, fd, 1);
  if (s == NULL) {
    close(fd);
    return CURL_SOCKET_BAD;
  }
  /* A number reused after a socket curl closed without telling us: forget the
   * old registration before watching the new socket. */
  sock_stop(s);
  s->connection = 1;
  t->connections++;
  return fd;
}

static int on_close_socket(void *clientp, curl_socket_t fd) {
  transport_t *t = clientp;
  sock_t *s = sock_for(t, fd, 0);
  if (s != NULL) {
    sock_stop(s); /* before close(): the number may be reused at once */
    s->connection = 0;
  }
  return close(fd);
}

static void on_timeout(uv_timer_t *h) {
  transport_t *t = h->data;
  int running;
  curl_multi_socket_action(t->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  check_done(t);
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  transport_t *t = userp;
  if (!t->timer_ready) {
    if (timeout_ms < 0)
      return 0;
    if (uv_timer_init(t->loop, &t->timer) != 0)
      return -1;
    t->timer.data = t;
    uv_unref((uv_handle_t *)&t->timer);
    t->timer_ready = 1;
  }
  if (timeout_ms < 0)
    uv_timer_stop(&t->timer);
  else
    uv_timer_start(&t->timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

/* ---- transport ----------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int transport_new(uv_loop_t *loop, const transport_options_t *opts, transport_t **out) {
  transport_t *t = calloc(1, sizeof *t);
  if (t == NULL)
    return UVAWS_ENOMEM;
  t->loop = loop;
  t->opts = *opts;
  list_init(&t->free_transfers);
  t->ca_file = dup_or_null(opts->ca_file);
  t->user_agent = dup_or_null(opts->user_agent);
  t->multi = curl_multi_init();
  if (t->multi == NULL || (opts->ca_file && !t->ca_file) || (opts->user_agent && !t->user_agent)) {
    if (t->multi)
      curl_multi_cleanup(t->multi);
    free(t->ca_file);
    free(t->user_agent);
    free(t);
    return UVAWS_ENOMEM;
  }
  curl_multi_setopt(t->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(t->multi, CURLMOPT_SOCKETDATA, t);
  curl_multi_setopt(t->multi, CURLMOPT_TIMERFUNCTION, on_timer);
  curl_multi_setopt(t->multi, CURLMOPT_TIMERDATA, t);
  curl_multi_setopt(t->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  curl_multi_setopt(t->multi, CURLMOPT_MAXCONNECTS, (long)opts->max_connections);
  *out = t;
  return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
  transfer_t *x = userp;
  size_t len = size * n;
  if (x->sink != NULL && x->sinking < 0) { /* the status is known at the first byte */
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    x->sinking = status >= 200 && status <= 299;
  }
  if (x->sinking == 1) {
    curl_off_t expected = -1;
    curl_easy_getinfo(x->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    size_t took = x->sink->write(x->sink->arg, data, len, expected > 0 ? (uint64_t)expected : 0);
    if (took != len)
      x->sink_failed = 1;
    return took == len ? len : 0;
  }
  if (x->body.len + len > x->max_body) {
    x->too_big = 1;
    return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
  }
  buf_add(&x->body, data, len);
  return x->body.failed ? 0 : len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp) {
  transfer_t *x = userp;
  size_t len = size * n;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    buf_reset(&x->head.raw); /* a new response (after 100 Continue): start over */
    x->head_done = 0;
  } else if ((len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n')) {
    x->head_done = 1;
  }
  buf_add(&x->head.raw, data, len);
  return x->head.raw.failed ? 0 : len;
}

static transfer_t *transfer_new(transport_t *t) {
  if (t->count == t->cap &&
      buf_grow_array((void **)&t->all, &t->cap, t->count + 1, sizeof *t->all) != 0)
    return NULL;
  transfer_t *x = calloc(1, sizeof *x);
  if (x == NULL || (x->easy = curl_easy_init()) == NULL) {
    free(x);
    return NULL;
  }
  x->t = t;
  CURL *e = x->easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, x);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
  curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
  curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, t);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  /* The path goes out byte for byte as it was signed: curl must not resolve
   * "." and ".." segments (S3 keys may hold them; other services' signatures
   * cover the path as sent, normalized by the server alike). */
  curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, t->opts.connect_timeout_ms);
  if (t->ca_file)
    curl_easy_setopt(e, CURLOPT_CAINFO, t->ca_file);
  if (t->opts.tls_no_verify) {
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  t->all[t->count++] = x;
  return x;
}

transfer_t *transport_get(transport_t *t) {
  list_t *n = list_pop_front(&t->free_transfers);
  return n ? list_entry(n, transfer_t, pooled) : transfer_new(t);
}

/* Buffers grown past this by one large answer are given back, not pooled. */
#define KEEP_BUFFER_BYTES (1u << 20)

static void cleanse(buf_t *b) {
  if (b->data != NULL)
    OPENSSL_cleanse(b->data, b->cap);
}

void transport_put(transfer_t *x, int secret) {
  transport_t *t = x->t;
  if (secret) {
    cleanse(&x->url);
    cleanse(&x->url_given);
    buf_reset(&x->url_given); /* given to the easy handle again next time */
    cleanse(&x->header_text);
    cleanse(&x->head.raw);
    cleanse(&x->body);
  }
  x->cb = NULL;
  x->cb_arg = NULL;
  x->source = NULL;
  x->sink = NULL;
  x->too_big = 0;
  x->has_content_type = 0;
  x->has_user_agent = 0;
  x->errbuf[0] = x->detail[0] = '\0';
  if (x->body.cap > KEEP_BUFFER_BYTES)
    buf_free(&x->body);
  buf_reset(&x->body);
  buf_reset(&x->head.raw);
  buf_reset(&x->header_text);
  x->head.count = 0;
  list_push_front(&t->free_transfers, &x->pooled); /* the warmest first */
}

void transfer_set_url(transfer_t *x, const char *base, const char *path, const uvaws_kv_t *query,
                      size_t query_count) {
  buf_t *b = &x->url;
  buf_reset(b);
  buf_adds(b, base);
  buf_adds(b, path);
  for (size_t i = 0; i < query_count; i++) {
    buf_addc(b, i == 0 ? '?' : '&');
    canon_encode(b, query[i].name, strlen(query[i].name), 0);
    buf_addc(b, '=');
    canon_encode(b, query[i].value, strlen(query[i].value), 0);
  }
}

/* A header line with nothing after the colon: curl then sends no such
 * header at all, its own default included. */
static void suppress(transfer_t *x, const char *name_colon) {
  buf_adds(&x->header_text, name_colon);
  buf_addc(&x->header_text, '\0');
}

void transfer_add_header(transfer_t *x, const char *name, const char *value) {
  size_t n = strlen(name);
  if (n == 12 && (name[0] | 0x20) == 'c' && canon_ieq(name, n, "content-type"))
    x->has_content_type = 1;
  else if (n == 10 && (name[0] | 0x20) == 'u' && canon_ieq(name, n, "user-agent"))
    x->has_user_agent = 1;
  buf_add(&x->header_text, name, n);
  if (value[strspn(value, " \t")] == '\0') {
    /* "Name:" followed by nothing but blanks tells curl to remove the header;
     * "Name;" sends it empty, which is what a blank value canonicalizes to. */
    buf_addc(&x->header_text, ';');
  } else {
    buf_add(&x->header_text, ": ", 2);
    buf_adds(&x->header_text, value);
  }
  buf_addc(&x->header_text, '\0');
}

int transport_owns_header(const char *name) {
  size_t n = strlen(name);
  switch (n) { /* by length first: this runs on every header of every request */
  case 2:
    return canon_ieq(name, n, "te");
  case 7:
    return canon_ieq(name, n, "upgrade");
  case 10:
    return canon_ieq(name, n, "connection") || canon_ieq(name, n, "keep-alive");
  case 16:
    return canon_ieq(name, n, "proxy-connection");
  case 17:
    return canon_ieq(name, n, "transfer-encoding");
  default:
    return 0;
  }
}

/* Links the NUL-separated header lines into curl_slist nodes we own: curl
 * only reads the list, so it need not come from curl_slist_append. Line by
 * line with memchr: counting the NULs a byte at a time cost more than the
 * rest of this function (callgrind). */
static int link_headers(transfer_t *x) {
  if (x->header_text.failed)
    return -1;
  char *p = x->header_text.data, *end = p + x->header_text.len;
  size_t n = 0;
  while (p < end) {
    char *nul = memchr(p, '\0', (size_t)(end - p));
    if (nul == NULL)
      break;
    if (n == x->header_nodes_cap &&
        buf_grow_array((void **)&x->header_nodes, &x->header_nodes_cap, n + 1,
                       sizeof *x->header_nodes) != 0)
      return -1;
    x->header_nodes[n++].data = p;
    p = nul + 1;
  }
  for (size_t i = 0; i < n; i++) /* now that the array no longer moves */
    x->header_nodes[i].next = i + 1 < n ? &x->header_nodes[i + 1] : NULL;
  x->header_lines = n;
  return 0;
}

/* The request line and headers `x` would send, in bytes (about): "METHOD URL
 * HTTP/1.1\r\n" (the URL bounds the target), each header line (linked by
 * now) with its ": " and CRLF, and what curl adds (Host, length). */
static size_t request_head_len(const transfer_t *x, const char *method) {
  return strlen(method) + x->url.len + 16 + x->header_text.len + x->header_lines + 256;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userp) {
  const body_source_t *src = ((transfer_t *)userp)->source;
  size_t got = src->read(src->arg, buf, size * n);
  return got == BODY_STREAM_ERROR ? CURL_READFUNC_ABORT : got;
}

/* curl rewinds an upload it must send again on the same transfer (an
 * HTTP/2 stream refused, a 417): back to the start is the only seek asked. */
static int on_seek(void *userp, curl_off_t offset, int origin) {
  const body_source_t *src = ((transfer_t *)userp)->source;
  if (offset != 0 || origin != SEEK_SET)
    return CURL_SEEKFUNC_CANTSEEK;
  return src->begin(src->arg) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

/* The streaming half of transport_start: 0, or -1 when a begin failed. */
static int start_streams(transfer_t *x, const char *method) {
  CURL *e = x->easy;
  x->sinking = x->sink ? -1 : 0;
  x->sink_failed = 0;
  if ((x->sink && x->sink->begin(x->sink->arg) != 0) ||
      (x->source && x->source->begin(x->source->arg) != 0))
    return -1;
  if (x->source == NULL) {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 0L);
    return 0;
  }
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(e, CURLOPT_READDATA, x);
  curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
  curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)x->source->len);
  curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "PUT") == 0 ? NULL : method);
  return 0;
}

/* Gives the easy handle x->url parsed once, as it is: the path exactly as
 * the signer saw it (CURLU_PATH_AS_IS; no dot segments resolved on the way:
 * CURLOPT_PATH_AS_IS does not reach a URL handle). A URL the parser refuses
 * goes to curl as a string instead, so that the transfer fails the way it
 * always did. Returns curl's answer. */
static CURLcode set_url(transfer_t *x) {
  if (x->url_handle == NULL)
    x->url_handle = curl_url();
  if (x->url_handle != NULL &&
      curl_url_set(x->url_handle, CURLUPART_URL, x->url.data, CURLU_PATH_AS_IS) == CURLUE_OK)
    return curl_easy_setopt(x->easy, CURLOPT_CURLU, x->url_handle);
  curl_easy_setopt(x->easy, CURLOPT_CURLU, NULL);
  return curl_easy_setopt(x->easy, CURLOPT_URL, x->url.data);
}

static int start_failed(transfer_t *x, int code, const char *why) {
  snprintf(x->detail, sizeof x->detail, "%s", why);
  return code;
}

int transport_start(transfer_t *x, const transport_request_t *r, transport_done_cb cb, void *arg) {
  CURL *e = x->easy;
  /* The User-Agent as an ordinary header (see transport.h); a caller's own
   * wins. No "Expect: 100-continue" round trip (libcurl asks for one above
   * 1 MiB, and for every upload from a source), no curl default headers
   * nobody signed. */
  if (x->t->user_agent != NULL && !x->has_user_agent)
    transfer_add_header(x, "User-Agent", x->t->user_agent);
  if (r->body_len >= ((size_t)1 << 20) || r->source != NULL)
    suppress(x, "Expect:");
  suppress(x, "Accept:");
  if (!x->has_content_type)
    suppress(x, "Content-Type:");
  if (link_headers(x) != 0 || buf_str(&x->url) == NULL)
    return start_failed(x, UVAWS_ENOMEM, "out of memory building the request");
  /* libcurl fails a longer head with "out of memory" (or, past 8 MB of URL,
   * refuses the URL and would keep this handle's previous one): say what it
   * is, before anything is sent. */
  size_t head = request_head_len(x, r->method);
  if (head > TRANSPORT_MAX_REQUEST_HEAD) {
    snprintf(x->detail, sizeof x->detail,
             "the request line and headers take %zu bytes; libcurl sends at most %zu", head,
             TRANSPORT_MAX_REQUEST_HEAD);
    return UVAWS_EHEADTOOBIG;
  }
  x->max_body = r->max_body;
  x->measure = r->measure;
  x->too_big = 0;
  x->head_done = 0;
  x->errbuf[0] = x->detail[0] = '\0';
  buf_reset(&x->body);
  buf_reset(&x->head.raw);
  if (x->url_given.len != x->url.len || x->url_given.failed ||
      memcmp(x->url_given.data, x->url.data, x->url.len) != 0) {
    CURLcode urc = set_url(x);
    if (urc != CURLE_OK) /* past 8 MB curl refuses a URL and would keep the last */
      return urc == CURLE_OUT_OF_MEMORY
                 ? start_failed(x, UVAWS_ENOMEM, "out of memory setting the URL")
                 : start_failed(x, UVAWS_EHEADTOOBIG, "libcurl refuses a URL this long");
    /* Over TLS, wait for a connection being set up to say whether it speaks
     * HTTP/2 (then share it) rather than open more. Plain http never does,
     * but curl would still hold every new request until the first answer on
     * the first connection came back: one slow answer stalled them all. */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(x->url.data, "https:", 6) == 0 ? 1L : 0L);
    buf_reset(&x->url_given);
    buf_add(&x->url_given, x->url.data, x->url.len); /* failed: set again next time */
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->header_text.len ? x->header_nodes : NULL);
  long timeout = r->timeout_ms > 0 ? r->timeout_ms : 0L;
  if (x->timeout_given != timeout) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    x->timeout_given = timeout;
  }
  /* a body that goes to a sink may be as large as it is */
  size_t limit = r->sink ? 0 : r->max_body;
  if (x->max_body_given != limit) {
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limit);
    x->max_body_given = limit;
  }
  const char *method = r->method;
  x->source = r->source;
  x->sink = r->sink;
  if (start_streams(x, method) != 0)
    return start_failed(x, UVAWS_EIO, "the streamed body could not begin");
  int is_get = strcmp(method, "GET") == 0, is_head = strcmp(method, "HEAD") == 0;
  x->body_in_head = 0;
  if (x->source != NULL) {
    /* the body comes from the source (start_streams) */
  } else if ((is_get || is_head) && r->body_len == 0) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_NOBODY, is_head ? 1L : 0L);
  } else {
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body_len ? r->body : "");
    x->body_in_head = r->body_len < TRANSPORT_SMALL_BODY;
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
  }
  if (curl_multi_add_handle(x->t->multi, e) != CURLM_OK)
    return start_failed(x, UVAWS_EINTERNAL, "libcurl refused the transfer");
  x->cb = cb;
  x->cb_arg = arg;
  x->in_flight = 1;
  return 0;
}

const char *transfer_detail(const transfer_t *x) { return x->detail; }

void transport_abort(transfer_t *x) {
  transport_t *t = x->t;
  if (t->multi != NULL && x->in_flight) {
    t->aborting = 1;
    curl_multi_remove_handle(t->multi, x->easy);
    t->aborting = 0;
  }
  x->in_flight = 0;
}

/* ---- completion ----------------------------------------------------------- */

/* libcurl's limits on a response head: 100 KiB a header line (7.88 reports
 * it as out of memory, with no text), 300 KiB in all ("Too large response
 * headers", a receive error; CURLE_TOO_LARGE from 8.6). */
#define CURL_HEADER_LIMITS "100 KiB a line, 300 KiB in all"

static int head_too_big(CURLcode rc, const transfer_t *x) {
#if LIBCURL_VERSION_NUM >= 0x080600
  if (rc == CURLE_TOO_LARGE)
    return 1;
#endif
  if (rc == CURLE_OUT_OF_MEMORY)
    return !x->head_done; /* the header buffer, not the body, hit the wall */
  return rc == CURLE_RECV_ERROR && strstr(x->errbuf, "oo large") != NULL;
}

static int classify(CURLcode rc, const transfer_t *x) {
  if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED)
    return UVAWS_ETOOBIG;
  /* a streamed body's file failed, not the network */
  if (x->sink_failed ||
      (x->source && (rc == CURLE_READ_ERROR || rc == CURLE_ABORTED_BY_CALLBACK)))
    return UVAWS_EIO;
  if (head_too_big(rc, x))
    return UVAWS_EHEADTOOBIG;
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    return UVAWS_ETIMEDOUT;
  case CURLE_OUT_OF_MEMORY:
    return UVAWS_ENOMEM;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
  case CURLE_SSL_INVALIDCERTSTATUS:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_SSL_ENGINE_INITFAILED:
  case CURLE_SSL_ENGINE_NOTFOUND:
  case CURLE_SSL_ENGINE_SETFAILED:
    return UVAWS_ETLS;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_UNSUPPORTED_PROTOCOL:
    return UVAWS_EPROTOCOL;
  default:
    return UVAWS_ENETWORK;
  }
}

/* The failure's code, and its text into x->detail. */
static int describe_failure(transfer_t *x, CURLcode rc) {
  const char *text = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
  int code = classify(rc, x);
  if (code == UVAWS_ETOOBIG)
    snprintf(x->detail, sizeof x->detail, "response body larger than %zu bytes", x->max_body);
  else if (code == UVAWS_EHEADTOOBIG) /* 7.88's own text says "out of memory" */
    snprintf(x->detail, sizeof x->detail,
             "the response headers pass libcurl's limits (" CURL_HEADER_LIMITS ")%s%s",
             rc != CURLE_OUT_OF_MEMORY ? ": " : "", rc != CURLE_OUT_OF_MEMORY ? text : "");
  else
    snprintf(x->detail, sizeof x->detail, "%s", text);
  return code;
}

static uint64_t info_off(CURL *e, CURLINFO what) {
  curl_off_t v = 0;
  return curl_easy_getinfo(e, what, &v) == CURLE_OK && v > 0 ? (uint64_t)v : 0;
}

static uint64_t info_long(CURL *e, CURLINFO what) {
  long v = 0;
  return curl_easy_getinfo(e, what, &v) == CURLE_OK && v > 0 ? (uint64_t)v : 0;
}

static void measure(const transfer_t *x, transport_timings_t *m) {
  CURL *e = x->easy;
  m->connect_us = info_off(e, CURLINFO_CONNECT_TIME_T);
  m->tls_us = info_off(e, CURLINFO_APPCONNECT_TIME_T);
  m->first_byte_us = info_off(e, CURLINFO_STARTTRANSFER_TIME_T);
  m->total_us = info_off(e, CURLINFO_TOTAL_TIME_T);
  /* A body small enough to go out in the head's buffer (HTTP/1, under 64
   * KiB, given whole: see transport.h) is counted in the request size
   * already; a larger or streamed one only in the upload size, and so is
   * every body over HTTP/2, where libcurl sends it in DATA frames of its own
   * (the version is the one the transfer used, known only now). */
  long version = (long)info_long(e, CURLINFO_HTTP_VERSION);
  int in_head =
      x->body_in_head && (version == CURL_HTTP_VERSION_1_0 || version == CURL_HTTP_VERSION_1_1);
  m->bytes_up = info_long(e, CURLINFO_REQUEST_SIZE);
  if (!in_head)
    m->bytes_up += info_off(e, CURLINFO_SIZE_UPLOAD_T);
  m->bytes_down = info_long(e, CURLINFO_HEADER_SIZE) + info_off(e, CURLINFO_SIZE_DOWNLOAD_T);
}

static void finish(transfer_t *x, CURLcode rc) {
  transport_result_t res = {0};
  res.detail = "";
  res.body = "";
  curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &res.status);
  if (rc != CURLE_OK || x->too_big) {
    res.code = describe_failure(x, rc);
    res.detail = x->detail;
  } else if (resp_head_parse(&x->head) != 0 || buf_str(&x->body) == NULL) {
    res.code = UVAWS_ENOMEM;
    res.detail = "out of memory storing the response";
  } else {
    res.headers = x->head.headers;
    res.header_count = x->head.count;
    res.body = x->body.data;
    res.body_len = x->body.len;
  }
  if (x->measure) /* eight getinfo calls: a few hundred instructions */
    measure(x, &res.timings);
  x->cb(x, &res, x->cb_arg);
}

unsigned long transport_connections(const transport_t *t) { return t->connections; }

static int buf_holds(const buf_t *b, const char *text) {
  return b->data != NULL && memmem(b->data, b->cap, text, strlen(text)) != NULL;
}

int transport_pool_holds(const transport_t *t, const char *text) {
  for (size_t i = 0; i < t->count; i++) {
    const transfer_t *x = t->all[i];
    if (buf_holds(&x->url, text) || buf_holds(&x->url_given, text) ||
        buf_holds(&x->header_text, text) ||
        buf_holds(&x->head.raw, text) || buf_holds(&x->body, text))
      return 1;
  }
  return 0;
}

/* ---- closing ------------------------------------------------------------- */

static void finish_close(transport_t *t) {
  if (--t->pending_closes > 0)
    return;
  void (*cb)(void *) = t->close_cb;
  void *arg = t->close_arg;
  free(t->by_fd);
  free(t->ca_file);
  free(t->user_agent);
  free(t);
  if (cb)
    cb(arg);
}

static void on_sock_closed(uv_handle_t *h) {
  sock_t *s = h->data;
  transport_t *t = s->t;
  free(s);
  finish_close(t);
}

static void on_timer_closed(uv_handle_t *h) { finish_close(h->data); }

static void free_transfers(transport_t *t) {
  for (size_t i = 0; i < t->count; i++) {
    transfer_t *x = t->all[i];
    curl_easy_cleanup(x->easy);
    curl_url_cleanup(x->url_handle);
    buf_free(&x->url);
    buf_free(&x->url_given);
    buf_free(&x->header_text);
    resp_head_free(&x->head);
    buf_free(&x->body);
    free(x->header_nodes);
    free(x);
  }
  free(t->all);
  t->all = NULL;
}

void transport_free(transport_t *t) {
  int sockets = 0;
  for (size_t i = 0; i < t->by_fd_cap; i++)
    sockets |= t->by_fd[i] != NULL;
  if (t->timer_ready || sockets || t->delivering) { /* used after all: handles to close */
    transport_close(t, NULL, NULL);
    return;
  }
  curl_multi_cleanup(t->multi);
  free_transfers(t);
  free(t->by_fd);
  free(t->ca_file);
  free(t->user_agent);
  free(t);
}

void transport_close(transport_t *t, void (*cb)(void *arg), void *arg) {
  t->close_cb = cb;
  t->close_arg = arg;
  if (t->delivering) /* from a transfer's callback: check_done closes on return */
    t->close_asked = 1;
  else
    close_now(t);
}

static void close_now(transport_t *t) {
  for (size_t i = 0; i < t->count; i++) {
    transfer_t *x = t->all[i];
    if (x->in_flight)
      curl_multi_remove_handle(t->multi, x->easy);
  }
  /* Closes the cached connections through on_close_socket, which needs the
   * socket table: keep it until the polls are closed below. */
  curl_multi_cleanup(t->multi);
  t->multi = NULL;
  free_transfers(t);
  /* The timer is closed even when curl never asked for it: the callback
   * comes from the loop either way. */
  if (!t->timer_ready) {
    uv_timer_init(t->loop, &t->timer);
    t->timer_ready = 1;
  }
  t->timer.data = t;
  t->pending_closes = 1; /* the timer */
  for (size_t i = 0; i < t->by_fd_cap; i++) {
    sock_t *s = t->by_fd[i];
    if (s != NULL) {
      t->pending_closes++;
      uv_close((uv_handle_t *)&s->poll, on_sock_closed);
      t->by_fd[i] = NULL;
    }
  }
  uv_close((uv_handle_t *)&t->timer, on_timer_closed);
}
