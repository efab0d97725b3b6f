/* The libcurl multi socket API driven by a libuv loop.
 *
 * Differences from curl's multi-uv.c example, each for speed:
 * - a uv_poll_t per socket number is created once and kept: when curl stops
 *   watching one of its connection sockets (CURL_POLL_REMOVE, as it does after
 *   every transfer on a kept-alive connection) the poll is left running and is
 *   stopped only if the socket wakes up while curl is not interested, so a
 *   reused connection costs no epoll_ctl at all. Curl's open/close socket
 *   callbacks tell us when a connection socket really goes away, so a poll is
 *   always stopped before its descriptor is closed and its number reused.
 * - easy handles (with their buffers) are pooled and reused.
 * - request header lists are built in a reused buffer, not with
 *   curl_slist_append's two allocations per header.
 * - the URL is parsed once per change into a CURLU handle (CURLOPT_CURLU);
 *   curl only copies the handle per transfer.
 * - the User-Agent goes in that list, not through CURLOPT_USERAGENT: curl
 *   formats CURLOPT_USERAGENT into a "User-Agent: ..." string of its own with
 *   aprintf on every transfer, one byte at a time, before formatting the
 *   request head with it the same way.
 */
#ifndef UVAWS_TRANSPORT_H
#define UVAWS_TRANSPORT_H

#include <stddef.h>

#include <curl/curl.h>
#include <uv.h>

#include "body_stream.h"
#include "buf.h"
#include "uvaws/common.h"

typedef struct transport_s transport_t;
typedef struct conn_s conn_t;

/* Called from the loop when a transfer ends (not when it is aborted). */
typedef void (*transport_done_cb)(conn_t *conn, CURLcode result, void *owner);

typedef struct {
  long connect_timeout_ms;
  size_t max_connections; /* kept alive in the connection cache */
  const char *ca_file;
  int tls_no_verify;
  const char *user_agent;
} transport_options_t;

struct conn_s {
  CURL *easy;
  transport_t *t;
  conn_t *next_free;
  void *job; /* the owner's request, while in flight */
  char errbuf[CURL_ERROR_SIZE];
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
  size_t header_nodes_cap;
  int has_user_agent; /* the caller gave its own User-Agent header */
  /* response */
  buf_t resp_head; /* raw header lines of the last response */
  buf_t body;
  uvaws_kv_t *resp_headers; /* parsed by conn_parse_headers, into resp_head */
  size_t resp_header_count, resp_headers_cap;
  size_t max_body;
  int too_big;
  /* set by the owner before transport_start, for one transfer */
  const body_source_t *source;
  const body_sink_t *sink;
  int sinking;   /* -1: not known yet; 1: this body goes to the sink; 0: to memory */
  int sink_failed;
  int head_done; /* the blank line after the response headers arrived */
};

int transport_new(uv_loop_t *loop, const transport_options_t *opts, transport_done_cb done,
                  void *owner, transport_t **out);

/* A pooled easy handle ready for conn_prepare, or NULL when out of memory. */
conn_t *transport_conn_get(transport_t *t);
/* Returns a conn that is not in flight to the pool. */
void transport_conn_put(transport_t *t, conn_t *c);

/* Starts collecting request headers. */
void conn_headers_reset(conn_t *c);
void conn_header_add(conn_t *c, const char *name, const char *value);
/* The longest request line and headers libcurl sends: its request buffer is
 * 1 MiB, and a small body (under 64 KiB) goes into the same buffer. */
#define TRANSPORT_MAX_REQUEST_HEAD ((size_t)(1u << 20) - (64u << 10) - 1024u)

/* Sets method, URL (already in c->url), headers, body and timeout, then hands
 * the transfer to curl. The body must stay valid until the transfer ends.
 * With c->source set, the body is read from it instead (`body` unused);
 * with c->sink set, a 2xx answer's body goes there (and no size limit
 * applies to it).
 * 0, UVAWS_EHEADTOOBIG (the request line and headers would pass
 * TRANSPORT_MAX_REQUEST_HEAD), UVAWS_ENOMEM, UVAWS_EIO (a stream would not begin) or
 * UVAWS_EINTERNAL. */
int transport_start(conn_t *c, const char *method, const void *body, size_t body_len,
                    long timeout_ms, size_t max_body);
/* Takes an in-flight transfer away from curl; no done callback follows. */
void transport_abort(conn_t *c);

/* The request line and headers `c` would send, in bytes (about). */
size_t conn_request_head_len(const conn_t *c, const char *method);

/* Parses the response header lines into c->resp_headers (in place). */
int conn_parse_headers(conn_t *c);

/* Sockets opened for connections so far (keep-alive and HTTP/2 keep it low). */
unsigned long transport_connections(const transport_t *t);

/* Some conn with a transfer in flight, or NULL. */
conn_t *transport_busy_conn(transport_t *t);

/* Ends every transfer (no callbacks), closes connections and handles, then
 * calls `cb` from the loop and frees the transport. */
void transport_close(transport_t *t, void (*cb)(void *arg), void *arg);

#endif
