/* The raw baseline of the client benchmark: libcurl's multi socket API on a
 * libuv loop written the way curl's docs/examples/multi-uv.c does it, and
 * nothing else: no signing, no queue, no retries, no response parsing.
 *
 * - a uv_poll_t is created when curl first asks to watch a socket
 *   (CURL_POLL_IN/OUT, remembered with curl_multi_assign) and closed with
 *   uv_close on CURL_POLL_REMOVE, which curl sends after every transfer, so a
 *   kept-alive connection gets a new poll for each request;
 * - one uv_timer_t for curl's timer, with 0 rounded up to 1 ms as the example
 *   does ("0 means directly call socket_action, but we'll do it in a bit");
 * - `inflight` easy handles made once and reused (remove, then add again),
 *   keep-alive, the same headers and body as uvaws sends, unsigned.
 *
 * --sigv4 adds libcurl's own signing (CURLOPT_AWS_SIGV4
 * "aws:amz:us-east-1:dynamodb" with CURLOPT_USERPWD key:secret), which signs
 * every request.
 *
 * Over https (--cafile trusts the bench's throwaway CA) it speaks HTTP/1.1
 * unless --http2 is given; --http2 multiplexes the transfers on one
 * connection as uvaws does (CURLMOPT_PIPELINING, CURLOPT_PIPEWAIT). The
 * connections it opened (CURLINFO_NUM_CONNECTS summed over the transfers) are
 * in its JSON line: over TLS, its handshakes.
 *
 * --pad N adds N bytes of request head (an "X-Pad" header, unsigned): with
 * the bytes uvaws's signature adds (X-Amz-Date, Authorization, User-Agent),
 * it shows what sending them costs in libcurl, whoever signs.
 *
 * --lean drives libcurl the cheapest way this file knows, the ways uvaws's
 * transport does: the URL parsed once into a CURLU handle (CURLOPT_CURLU)
 * instead of a CURLOPT_URL string curl parses on every transfer, Host in the
 * header list (curl would aprintf its own), and a socket's poll handle kept
 * across the kept-alive requests of its connection (opened and closed through
 * CURLOPT_OPENSOCKETFUNCTION / CURLOPT_CLOSESOCKETFUNCTION, left running on
 * CURL_POLL_REMOVE and stopped only if it fires between transfers) instead of
 * a new uv_poll_t and epoll_ctl calls for every request. With --pad it is the
 * floor of any client on libcurl sending a signed request's bytes.
 *
 *   bench_client_raw --url http://127.0.0.1:PORT/ [--requests N] [--inflight N]
 *                    [--sigv4] [--http2] [--pad N] [--lean] [--cafile PEM]
 *                    [--name NAME]
 */
#include <curl/curl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "bench_client.h"

typedef struct {
  uv_poll_t poll_handle;
  curl_socket_t sockfd;
  int active; /* --lean: the events the poll runs with, 0 when stopped */
  int wanted; /* --lean: what curl asked for, 0 after CURL_POLL_REMOVE */
} curl_context_t;

typedef struct {
  CURL *easy;
  size_t got; /* body bytes of the current answer */
  char body[1024];
} xfer_t;

static uv_loop_t *loop;
static CURLM *multi;
static uv_timer_t timeout;
static long started, ok, failed, total, connects;
static int lean;
/* --lean: the kept poll handles, by descriptor */
static curl_context_t **kept;
static size_t kept_cap;

static curl_context_t *create_curl_context(curl_socket_t sockfd) {
  curl_context_t *context = malloc(sizeof *context);
  if (context == NULL)
    abort();
  context->sockfd = sockfd;
  context->active = context->wanted = 0;
  uv_poll_init_socket(loop, &context->poll_handle, sockfd);
  context->poll_handle.data = context;
  return context;
}

static void curl_close_cb(uv_handle_t *handle) { free(handle->data); }

static void destroy_curl_context(curl_context_t *context) {
  uv_close((uv_handle_t *)&context->poll_handle, curl_close_cb);
}

static void lean_stop(curl_context_t *c);

static void check_multi_info(void) {
  CURLMsg *message;
  int pending;
  while ((message = curl_multi_info_read(multi, &pending)) != NULL) {
    if (message->msg != CURLMSG_DONE)
      continue;
    CURL *easy = message->easy_handle;
    xfer_t *x;
    long status = 0, opened = 0;
    curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &opened);
    connects += opened;
    if (message->data.result == CURLE_OK && status == 200 && x->got > 0)
      ok++;
    else if (failed++ < 5)
      fprintf(stderr, "request failed: %s, HTTP %ld\n",
              curl_easy_strerror(message->data.result), status);
    curl_multi_remove_handle(multi, easy);
    /* The handle is reused for the next request, not cleaned up. */
    if (started < total) {
      started++;
      x->got = 0;
      curl_multi_add_handle(multi, easy);
    }
  }
  /* --lean: kept polls would keep the loop running after the last answer */
  if (lean && ok + failed == total)
    for (size_t i = 0; i < kept_cap; i++)
      if (kept[i] != NULL)
        lean_stop(kept[i]);
}

static void curl_perform(uv_poll_t *req, int status, int events) {
  (void)status;
  int running_handles;
  int flags = 0;
  if (events & UV_READABLE)
    flags |= CURL_CSELECT_IN;
  if (events & UV_WRITABLE)
    flags |= CURL_CSELECT_OUT;
  curl_context_t *context = req->data;
  curl_multi_socket_action(multi, context->sockfd, flags, &running_handles);
  check_multi_info();
}

static void on_timeout(uv_timer_t *req) {
  (void)req;
  int running_handles;
  curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running_handles);
  check_multi_info();
}

static int start_timeout(CURLM *m, long timeout_ms, void *userp) {
  (void)m;
  (void)userp;
  if (timeout_ms < 0) {
    uv_timer_stop(&timeout);
  } else {
    if (timeout_ms == 0)
      timeout_ms = 1; /* 0 means directly call socket_action, but we do it in a bit */
    uv_timer_start(&timeout, on_timeout, (uint64_t)timeout_ms, 0);
  }
  return 0;
}

/* --lean: the poll handle of a descriptor, made on first use and kept. */
static curl_context_t *kept_context(curl_socket_t fd) {
  if ((size_t)fd >= kept_cap) {
    size_t cap = (size_t)fd + 64;
    curl_context_t **grown = realloc(kept, cap * sizeof *kept);
    if (grown == NULL)
      abort();
    memset(grown + kept_cap, 0, (cap - kept_cap) * sizeof *kept);
    kept = grown;
    kept_cap = cap;
  }
  if (kept[fd] == NULL)
    kept[fd] = create_curl_context(fd);
  return kept[fd];
}

static void lean_stop(curl_context_t *c) {
  if (c->active)
    uv_poll_stop(&c->poll_handle);
  c->active = c->wanted = 0;
}

static void lean_perform(uv_poll_t *req, int status, int events) {
  curl_context_t *c = req->data;
  if (c->wanted == 0) { /* woke between transfers: curl checks it before reuse */
    lean_stop(c);
    return;
  }
  curl_perform(req, status, events);
}

static int lean_socket(curl_socket_t s, int action) {
  curl_context_t *c = kept_context(s);
  if (action == CURL_POLL_REMOVE) {
    c->wanted = 0; /* left running: the next request on it wants the same */
    return 0;
  }
  int events = 0;
  if (action != CURL_POLL_IN)
    events |= UV_WRITABLE;
  if (action != CURL_POLL_OUT)
    events |= UV_READABLE;
  c->wanted = events;
  if (c->active != events) {
    uv_poll_start(&c->poll_handle, events, lean_perform);
    c->active = events;
  }
  return 0;
}

static curl_socket_t lean_open(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr) {
  (void)clientp;
  (void)purpose;
  curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
  if (fd >= 0)
    lean_stop(kept_context(fd));
  return fd;
}

static int lean_close(void *clientp, curl_socket_t fd) {
  (void)clientp;
  if ((size_t)fd < kept_cap && kept[fd] != NULL)
    lean_stop(kept[fd]); /* before close(): the number may be reused at once */
  return close(fd);
}

static int handle_socket(CURL *easy, curl_socket_t s, int action, void *userp, void *socketp) {
  (void)easy;
  (void)userp;
  if (lean)
    return lean_socket(s, action);
  curl_context_t *curl_context;
  int events = 0;
  switch (action) {
  case CURL_POLL_IN:
  case CURL_POLL_OUT:
  case CURL_POLL_INOUT:
    curl_context = socketp ? (curl_context_t *)socketp : create_curl_context(s);
    curl_multi_assign(multi, s, (void *)curl_context);
    if (action != CURL_POLL_IN)
      events |= UV_WRITABLE;
    if (action != CURL_POLL_OUT)
      events |= UV_READABLE;
    uv_poll_start(&curl_context->poll_handle, events, curl_perform);
    break;
  case CURL_POLL_REMOVE:
    if (socketp) {
      uv_poll_stop(&((curl_context_t *)socketp)->poll_handle);
      destroy_curl_context((curl_context_t *)socketp);
      curl_multi_assign(multi, s, NULL);
    }
    break;
  default:
    abort();
  }
  return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *userp) {
  xfer_t *x = userp;
  size_t len = size * n;
  if (x->got + len <= sizeof x->body)
    memcpy(x->body + x->got, data, len);
  x->got += len;
  return len;
}

int main(int argc, char **argv) {
  bench_args_t a = {.name = "raw", .requests = 100000, .inflight = 64};
  int sigv4 = 0, http2 = 0;
  long pad = 0;
  for (int i = 1; i < argc;) {
    int used = bench_arg(&a, argc, argv, i);
    if (used > 0) {
      i += used;
    } else if (used == 0 && strcmp(argv[i], "--sigv4") == 0) {
      sigv4 = 1;
      i++;
    } else if (used == 0 && strcmp(argv[i], "--http2") == 0) {
      http2 = 1;
      i++;
    } else if (used == 0 && strcmp(argv[i], "--lean") == 0) {
      lean = 1;
      i++;
    } else if (used == 0 && strcmp(argv[i], "--pad") == 0 && i + 1 < argc) {
      pad = atol(argv[i + 1]);
      i += 2;
    } else {
      fprintf(stderr,
              "usage: %s --url URL [--requests N] [--inflight N] [--sigv4] [--http2] [--pad N]"
              " [--lean] [--cafile PEM] [--name NAME]\n",
              argv[0]);
      return 2;
    }
  }
  if (a.url == NULL || a.requests <= 0 || a.inflight <= 0) {
    fprintf(stderr, "%s: --url is required; counts must be positive\n", argv[0]);
    return 2;
  }
  curl_global_init(CURL_GLOBAL_ALL);
  loop = uv_default_loop();
  multi = curl_multi_init();
  uv_timer_init(loop, &timeout);
  curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, handle_socket);
  curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, start_timeout);
  curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, a.inflight);
  curl_multi_setopt(multi, CURLMOPT_PIPELINING, http2 ? (long)CURLPIPE_MULTIPLEX : 0L);

  /* The headers uvaws sends, less the signature's (X-Amz-Date, Authorization),
   * with curl's default Accept header left out as uvaws does. */
  struct curl_slist *headers = NULL;
  headers = curl_slist_append(headers, "Content-Type: " GETITEM_TYPE);
  headers = curl_slist_append(headers, "X-Amz-Target: " GETITEM_TARGET);
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Accept:");
  CURLU *parsed = NULL;
  char *host_line = NULL;
  if (lean) {
    parsed = curl_url();
    char *host = NULL, *port = NULL;
    if (parsed == NULL || curl_url_set(parsed, CURLUPART_URL, a.url, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
        curl_url_get(parsed, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
      fprintf(stderr, "%s: cannot parse %s\n", argv[0], a.url);
      return 2;
    }
    size_t n = strlen(host) + strlen(port) + 8;
    host_line = malloc(n);
    if (host_line == NULL)
      return 1;
    snprintf(host_line, n, "Host: %s:%s", host, port);
    curl_free(host);
    curl_free(port);
    headers = curl_slist_append(headers, host_line);
  }
  char *pad_line = NULL;
  if (pad > 0) { /* "X-Pad: xxx...\r\n" is `pad` bytes of request head */
    long n = pad < 10 ? 10 : pad;
    pad_line = malloc((size_t)n);
    if (pad_line == NULL)
      return 1;
    memcpy(pad_line, "X-Pad: ", 7);
    memset(pad_line + 7, 'x', (size_t)(n - 10));
    pad_line[n - 3] = '\0';
    headers = curl_slist_append(headers, pad_line);
  }
  static const char body[] = GETITEM_BODY;

  long n = a.inflight < a.requests ? a.inflight : a.requests;
  xfer_t *xfers = calloc((size_t)n, sizeof *xfers);
  for (long i = 0; i < n; i++) {
    CURL *e = curl_easy_init();
    xfers[i].easy = e;
    if (lean) {
      curl_easy_setopt(e, CURLOPT_CURLU, parsed);
      curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, lean_open);
      curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, lean_close);
    } else {
      curl_easy_setopt(e, CURLOPT_URL, a.url);
    }
    curl_easy_setopt(e, CURLOPT_PRIVATE, &xfers[i]);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)(sizeof body - 1));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &xfers[i]);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION,
                     http2 ? (long)CURL_HTTP_VERSION_2TLS : (long)CURL_HTTP_VERSION_1_1);
    if (http2)
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    if (a.cafile)
      curl_easy_setopt(e, CURLOPT_CAINFO, a.cafile);
    if (sigv4) {
      curl_easy_setopt(e, CURLOPT_AWS_SIGV4, "aws:amz:us-east-1:dynamodb");
      curl_easy_setopt(e, CURLOPT_USERPWD, BENCH_ACCESS_KEY ":" BENCH_SECRET_KEY);
    }
  }

  total = a.requests;
  double t0 = bench_now_s();
  bench_cpu_t c0 = bench_cpu();
  for (long i = 0; i < n; i++) {
    started++;
    curl_multi_add_handle(multi, xfers[i].easy);
  }
  uv_run(loop, UV_RUN_DEFAULT);
  double wall = bench_now_s() - t0;
  bench_report(&a, ok, failed, wall, c0, bench_cpu(), connects, NULL);

  for (long i = 0; i < n; i++)
    curl_easy_cleanup(xfers[i].easy);
  curl_multi_cleanup(multi);
  for (size_t i = 0; i < kept_cap; i++)
    if (kept[i] != NULL)
      destroy_curl_context(kept[i]);
  uv_close((uv_handle_t *)&timeout, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  curl_slist_free_all(headers);
  free(pad_line);
  free(host_line);
  free(kept);
  curl_url_cleanup(parsed);
  free(xfers);
  curl_global_cleanup();
  return failed ? 1 : 0;
}
