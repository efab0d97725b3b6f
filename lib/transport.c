#include "transport.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sigv4_canon.h"
#include "uvaws/error.h"

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
  uv_timer_t timer;
  sock_t **by_fd;
  size_t by_fd_cap;
  conn_t *free_conns;
  conn_t **all_conns;
  size_t conn_count, conn_cap;
  transport_options_t opts;
  char *ca_file, *user_agent;
  transport_done_cb done;
  void *owner;
  unsigned long connections;
  int aborting; /* inside curl_multi_remove_handle for an unfinished transfer */
  int pending_closes;
  void (*close_cb)(void *arg);
  void *close_arg;
};

/* ---- sockets ------------------------------------------------------------- */

static sock_t *sock_for(transport_t *t, curl_socket_t fd, int create) {
  if (fd < 0)
    return NULL;
  if ((size_t)fd >= t->by_fd_cap) {
    if (!create)
      return NULL;
    size_t cap = t->by_fd_cap ? t->by_fd_cap : 64;
    while (cap <= (size_t)fd)
      cap *= 2;
    sock_t **p = realloc(t->by_fd, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    memset(p + t->by_fd_cap, 0, (cap - t->by_fd_cap) * sizeof *p);
    t->by_fd = p;
    t->by_fd_cap = cap;
  }
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

static void check_done(transport_t *t) {
  CURLMsg *msg;
  int left;
  while (t->multi != NULL && (msg = curl_multi_info_read(t->multi, &left)) != NULL) {
    if (msg->msg != CURLMSG_DONE)
      continue;
    conn_t *c = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
    CURLcode result = msg->data.result;
    curl_multi_remove_handle(t->multi, msg->easy_handle);
    t->done(c, result, t->owner);
  }
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
  if (timeout_ms < 0)
    uv_timer_stop(&t->timer);
  else
    uv_timer_start(&t->timer, on_timeout, (uint64_t)timeout_ms, 0);
  return 0;
}

/* ---- transport ----------------------------------------------------------- */

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

int transport_new(uv_loop_t *loop, const transport_options_t *opts, transport_done_cb done,
                  void *owner, transport_t **out) {
  transport_t *t = calloc(1, sizeof *t);
  if (t == NULL)
    return UVAWS_ENOMEM;
  t->loop = loop;
  t->opts = *opts;
  t->ca_file = dup_or_null(opts->ca_file);
  t->user_agent = dup_or_null(opts->user_agent);
  t->done = done;
  t->owner = owner;
  t->multi = curl_multi_init();
  if (t->multi == NULL || (opts->ca_file && !t->ca_file) || (opts->user_agent && !t->user_agent) ||
      uv_timer_init(loop, &t->timer) != 0) {
    if (t->multi)
      curl_multi_cleanup(t->multi);
    free(t->ca_file);
    free(t->user_agent);
    free(t);
    return UVAWS_ENOMEM;
  }
  t->timer.data = t;
  uv_unref((uv_handle_t *)&t->timer);
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
  conn_t *c = userp;
  size_t len = size * n;
  if (c->sink != NULL && c->sinking < 0) { /* the status is known at the first byte */
    long status = 0;
    curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
    c->sinking = status >= 200 && status <= 299;
  }
  if (c->sinking == 1) {
    curl_off_t expected = -1;
    curl_easy_getinfo(c->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expected);
    size_t took = c->sink->write(c->sink->arg, data, len, expected > 0 ? (uint64_t)expected : 0);
    if (took != len)
      c->sink_failed = 1;
    return took == len ? len : 0;
  }
  if (c->body.len + len > c->max_body) {
    c->too_big = 1;
    return 0; /* curl ends the transfer with CURLE_WRITE_ERROR */
  }
  buf_add(&c->body, data, len);
  return c->body.failed ? 0 : len;
}

static size_t on_header(char *data, size_t size, size_t n, void *userp) {
  conn_t *c = userp;
  size_t len = size * n;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    buf_reset(&c->resp_head); /* a new response (after 100 Continue): start over */
    c->head_done = 0;
  } else if ((len == 2 && data[0] == '\r' && data[1] == '\n') || (len == 1 && data[0] == '\n')) {
    c->head_done = 1;
  }
  buf_add(&c->resp_head, data, len);
  return c->resp_head.failed ? 0 : len;
}

static conn_t *conn_new(transport_t *t) {
  if (t->conn_count == t->conn_cap) {
    size_t cap = t->conn_cap ? 2 * t->conn_cap : 16;
    conn_t **p = realloc(t->all_conns, cap * sizeof *p);
    if (p == NULL)
      return NULL;
    t->all_conns = p;
    t->conn_cap = cap;
  }
  conn_t *c = calloc(1, sizeof *c);
  if (c == NULL || (c->easy = curl_easy_init()) == NULL) {
    free(c);
    return NULL;
  }
  c->t = t;
  CURL *e = c->easy;
  curl_easy_setopt(e, CURLOPT_PRIVATE, c);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, c->errbuf);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, c);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, c);
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
  t->all_conns[t->conn_count++] = c;
  return c;
}

conn_t *transport_conn_get(transport_t *t) {
  conn_t *c = t->free_conns;
  if (c != NULL) {
    t->free_conns = c->next_free;
    c->next_free = NULL;
    return c;
  }
  return conn_new(t);
}

/* Buffers grown past this by one large answer are given back, not pooled. */
#define KEEP_BUFFER_BYTES (1u << 20)

void transport_conn_put(transport_t *t, conn_t *c) {
  c->job = NULL;
  c->source = NULL;
  c->sink = NULL;
  c->too_big = 0;
  c->errbuf[0] = '\0';
  if (c->body.cap > KEEP_BUFFER_BYTES)
    buf_free(&c->body);
  buf_reset(&c->body);
  buf_reset(&c->resp_head);
  c->resp_header_count = 0;
  c->next_free = t->free_conns;
  t->free_conns = c;
}

void conn_headers_reset(conn_t *c) {
  buf_reset(&c->header_text);
  c->has_user_agent = 0;
}

void conn_header_add(conn_t *c, const char *name, const char *value) {
  size_t n = strlen(name);
  if (canon_ieq(name, n, "user-agent"))
    c->has_user_agent = 1;
  buf_add(&c->header_text, name, n);
  if (value[strspn(value, " \t")] == '\0') {
    /* "Name:" followed by nothing but blanks tells curl to remove the header;
     * "Name;" sends it empty, which is what a blank value canonicalizes to. */
    buf_adds(&c->header_text, ";");
  } else {
    buf_add(&c->header_text, ": ", 2);
    buf_adds(&c->header_text, value);
  }
  buf_addc(&c->header_text, '\0');
}

/* Links the NUL-separated header lines into curl_slist nodes we own: curl
 * only reads the list, so it need not come from curl_slist_append. */
static int link_headers(conn_t *c) {
  if (c->header_text.failed)
    return -1;
  /* Line by line with memchr: counting the NULs a byte at a time cost more
   * than the rest of this function (callgrind). */
  char *p = c->header_text.data, *end = p + c->header_text.len;
  size_t n = 0;
  while (p < end) {
    char *nul = memchr(p, '\0', (size_t)(end - p));
    if (nul == NULL)
      break;
    if (n == c->header_nodes_cap) {
      size_t cap = c->header_nodes_cap ? 2 * c->header_nodes_cap : 16;
      struct curl_slist *nodes = realloc(c->header_nodes, cap * sizeof *nodes);
      if (nodes == NULL)
        return -1;
      c->header_nodes = nodes;
      c->header_nodes_cap = cap;
    }
    c->header_nodes[n++].data = p;
    p = nul + 1;
  }
  for (size_t i = 0; i < n; i++) /* now that the array no longer moves */
    c->header_nodes[i].next = i + 1 < n ? &c->header_nodes[i + 1] : NULL;
  return 0;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userp) {
  const body_source_t *src = ((conn_t *)userp)->source;
  size_t got = src->read(src->arg, buf, size * n);
  return got == BODY_STREAM_ERROR ? CURL_READFUNC_ABORT : got;
}

/* curl rewinds an upload it must send again on the same transfer (an
 * HTTP/2 stream refused, a 417): back to the start is the only seek asked. */
static int on_seek(void *userp, curl_off_t offset, int origin) {
  const body_source_t *src = ((conn_t *)userp)->source;
  if (offset != 0 || origin != SEEK_SET)
    return CURL_SEEKFUNC_CANTSEEK;
  return src->begin(src->arg) == 0 ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL;
}

/* The streaming half of transport_start: 0, or -1 when a begin failed. */
static int start_streams(conn_t *c, const char *method) {
  CURL *e = c->easy;
  c->sinking = c->sink ? -1 : 0;
  c->sink_failed = 0;
  if ((c->sink && c->sink->begin(c->sink->arg) != 0) ||
      (c->source && c->source->begin(c->source->arg) != 0))
    return -1;
  if (c->source == NULL) {
    curl_easy_setopt(e, CURLOPT_UPLOAD, 0L);
    return 0;
  }
  curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(e, CURLOPT_READDATA, c);
  curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
  curl_easy_setopt(e, CURLOPT_SEEKDATA, c);
  curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)c->source->len);
  curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "PUT") == 0 ? NULL : method);
  return 0;
}

size_t conn_request_head_len(const conn_t *c, const char *method) {
  /* "METHOD URL HTTP/1.1\r\n" (the URL bounds the target), each header line
   * with its ": " and CRLF, and what curl adds (Host, User-Agent, length). */
  size_t ua = c->t->user_agent ? strlen(c->t->user_agent) : 0, lines = 0;
  for (size_t i = 0; i < c->header_text.len; i++)
    lines += c->header_text.data[i] == '\0';
  return strlen(method) + c->url.len + 16 + c->header_text.len + lines + ua + 256;
}

/* Gives the easy handle c->url parsed once, as it is: the path exactly as
 * the signer saw it (CURLU_PATH_AS_IS; no dot segments resolved on the way).
 * A URL the parser refuses goes to curl as a string instead, so that the
 * transfer fails the way it always did. Returns curl's answer. */
static CURLcode set_url(conn_t *c) {
  if (c->url_handle == NULL)
    c->url_handle = curl_url();
  if (c->url_handle != NULL &&
      curl_url_set(c->url_handle, CURLUPART_URL, c->url.data, CURLU_PATH_AS_IS) == CURLUE_OK)
    return curl_easy_setopt(c->easy, CURLOPT_CURLU, c->url_handle);
  curl_easy_setopt(c->easy, CURLOPT_CURLU, NULL);
  return curl_easy_setopt(c->easy, CURLOPT_URL, c->url.data);
}

int transport_start(conn_t *c, const char *method, const void *body, size_t body_len,
                    long timeout_ms, size_t max_body) {
  CURL *e = c->easy;
  if (c->t->user_agent != NULL && !c->has_user_agent)
    conn_header_add(c, "User-Agent", c->t->user_agent);
  if (link_headers(c) != 0 || buf_str(&c->url) == NULL)
    return UVAWS_ENOMEM;
  /* libcurl fails a longer head with "out of memory" (or, past 8 MB of URL,
   * refuses the URL and would keep this handle's previous one): say what it
   * is, before anything is sent. */
  if (conn_request_head_len(c, method) > TRANSPORT_MAX_REQUEST_HEAD)
    return UVAWS_EHEADTOOBIG;
  c->max_body = max_body;
  c->too_big = 0;
  c->head_done = 0;
  c->errbuf[0] = '\0';
  buf_reset(&c->body);
  buf_reset(&c->resp_head);
  if (c->url_given.len != c->url.len || c->url_given.failed ||
      memcmp(c->url_given.data, c->url.data, c->url.len) != 0) {
    CURLcode urc = set_url(c);
    if (urc != CURLE_OK) /* past 8 MB curl refuses a URL and would keep the last */
      return urc == CURLE_OUT_OF_MEMORY ? UVAWS_ENOMEM : UVAWS_EHEADTOOBIG;
    /* Over TLS, wait for a connection being set up to say whether it speaks
     * HTTP/2 (then share it) rather than open more. Plain http never does,
     * but curl would still hold every new request until the first answer on
     * the first connection came back: one slow answer stalled them all. */
    curl_easy_setopt(e, CURLOPT_PIPEWAIT, strncmp(c->url.data, "https:", 6) == 0 ? 1L : 0L);
    buf_reset(&c->url_given);
    buf_add(&c->url_given, c->url.data, c->url.len); /* failed: set again next time */
  }
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, c->header_text.len ? c->header_nodes : NULL);
  long timeout = timeout_ms > 0 ? timeout_ms : 0L;
  if (c->timeout_given != timeout) {
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout);
    c->timeout_given = timeout;
  }
  size_t limit = c->sink ? 0 : max_body; /* a body that goes to a sink may be as large as it is */
  if (c->max_body_given != limit) {
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)limit);
    c->max_body_given = limit;
  }
  if (start_streams(c, method) != 0)
    return UVAWS_EIO;
  int is_get = strcmp(method, "GET") == 0, is_head = strcmp(method, "HEAD") == 0;
  if (c->source != NULL) {
    /* the body comes from the source (start_streams) */
  } else if ((is_get || is_head) && body_len == 0) {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(e, CURLOPT_NOBODY, is_head ? 1L : 0L);
  } else {
    curl_easy_setopt(e, CURLOPT_NOBODY, 0L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body_len ? body : "");
    curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") == 0 ? NULL : method);
  }
  return curl_multi_add_handle(c->t->multi, e) == CURLM_OK ? 0 : UVAWS_EINTERNAL;
}

void transport_abort(conn_t *c) {
  if (c->t->multi != NULL) {
    c->t->aborting = 1;
    curl_multi_remove_handle(c->t->multi, c->easy);
    c->t->aborting = 0;
  }
}

int conn_parse_headers(conn_t *c) {
  c->resp_header_count = 0;
  if (buf_str(&c->resp_head) == NULL)
    return -1;
  char *p = c->resp_head.data;
  char *end = p + c->resp_head.len;
  int first = 1;
  while (p < end) {
    char *eol = memchr(p, '\n', (size_t)(end - p));
    char *next = eol ? eol + 1 : end;
    char *line_end = eol ? eol : end;
    if (line_end > p && line_end[-1] == '\r')
      line_end--;
    /* A NUL inside a line ends the strings callers see: cut there, so the
     * trimming below applies to what they get. */
    char *nul = memchr(p, '\0', (size_t)(line_end - p));
    if (nul != NULL)
      line_end = nul;
    *line_end = '\0';
    char *colon = first ? NULL : strchr(p, ':');
    first = 0;
    if (colon != NULL && colon > p) {
      *colon = '\0';
      char *v = colon + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      char *ve = line_end;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        *--ve = '\0';
      if (c->resp_header_count == c->resp_headers_cap) {
        size_t cap = c->resp_headers_cap ? 2 * c->resp_headers_cap : 16;
        uvaws_kv_t *kv = realloc(c->resp_headers, cap * sizeof *kv);
        if (kv == NULL)
          return -1;
        c->resp_headers = kv;
        c->resp_headers_cap = cap;
      }
      c->resp_headers[c->resp_header_count++] = (uvaws_kv_t){p, v};
    }
    p = next;
  }
  return 0;
}

unsigned long transport_connections(const transport_t *t) { return t->connections; }

conn_t *transport_busy_conn(transport_t *t) {
  for (size_t i = 0; i < t->conn_count; i++)
    if (t->all_conns[i]->job != NULL)
      return t->all_conns[i];
  return NULL;
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

void transport_close(transport_t *t, void (*cb)(void *arg), void *arg) {
  t->close_cb = cb;
  t->close_arg = arg;
  for (size_t i = 0; i < t->conn_count; i++) {
    conn_t *c = t->all_conns[i];
    if (c->job != NULL)
      curl_multi_remove_handle(t->multi, c->easy);
  }
  /* Closes the cached connections through on_close_socket, which needs the
   * socket table: keep it until the polls are closed below. */
  curl_multi_cleanup(t->multi);
  t->multi = NULL;
  for (size_t i = 0; i < t->conn_count; i++) {
    conn_t *c = t->all_conns[i];
    curl_easy_cleanup(c->easy);
    curl_url_cleanup(c->url_handle);
    buf_free(&c->url);
    buf_free(&c->url_given);
    buf_free(&c->header_text);
    buf_free(&c->resp_head);
    buf_free(&c->body);
    free(c->header_nodes);
    free(c->resp_headers);
    free(c);
  }
  free(t->all_conns);
  t->all_conns = NULL;
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
