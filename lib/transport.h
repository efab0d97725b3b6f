/* The libcurl multi socket API driven by a libuv loop. Every curl type, curl
 * option and connection buffer stays inside transport.c: the modules above
 * see transfers through the functions below, and each transfer ends in a
 * transport_result_t whose code is already a uvaws one.
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
 *   curl only copies the handle per transfer. The URL, timeout and size
 *   limit are given to the easy handle only when they change.
 * - the User-Agent goes in that list, not through CURLOPT_USERAGENT: curl
 *   formats CURLOPT_USERAGENT into a "User-Agent: ..." string of its own with
 *   aprintf on every transfer, one byte at a time, before formatting the
 *   request head with it the same way. The same holds for Host, which the
 *   client sends in the list as it signed it.
 */
#ifndef UVAWS_TRANSPORT_H
#define UVAWS_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "body_stream.h"
#include "uvaws/common.h"

typedef struct transport_s transport_t;
/* One pooled easy handle with its buffers: taken with transport_get, given
 * a URL and headers, started, and given back with transport_put. */
typedef struct transfer_s transfer_t;

typedef struct {
  long connect_timeout_ms;
  size_t max_connections; /* kept alive in the connection cache */
  const char *ca_file;
  int tls_no_verify;
  const char *user_agent;
} transport_options_t;

/* What curl measured of one transfer. Times are microseconds from its start;
 * a step that did not happen (connecting, on a reused connection; TLS, over
 * plain http) reads 0. */
typedef struct {
  uint64_t connect_us;    /* TCP connection made */
  uint64_t tls_us;        /* TLS handshake done */
  uint64_t first_byte_us; /* first byte of the answer */
  uint64_t total_us;
  uint64_t bytes_up;   /* request line, headers and body */
  uint64_t bytes_down; /* response headers and body */
} transport_timings_t;

/* How a transfer ended; valid during the done callback only. */
typedef struct {
  /* 0: an HTTP answer arrived, whatever its status. Else why none did:
   * UVAWS_ETIMEDOUT, UVAWS_ENETWORK, UVAWS_ETLS, UVAWS_EPROTOCOL,
   * UVAWS_ETOOBIG (body past max_body), UVAWS_EHEADTOOBIG (a head past
   * libcurl's limits), UVAWS_EIO (a streamed body's source or sink
   * failed), UVAWS_ENOMEM. */
  int code;
  const char *detail; /* what went wrong, for code != 0 (curl's text, the limit); else "" */
  long status;        /* HTTP status; 0 when none arrived */
  const uvaws_kv_t *headers; /* the final answer's (after any 100 Continue); none on error */
  size_t header_count;
  const char *body; /* NUL-terminated; "" on error and when it went to the sink */
  size_t body_len;
  transport_timings_t timings; /* when the request asked to measure; else zeros */
} transport_result_t;

/* Called from the loop when a transfer ends (never for an aborted one). */
typedef void (*transport_done_cb)(transfer_t *x, const transport_result_t *res, void *arg);

/* What to send, besides the URL and headers set on the transfer; a field
 * left 0 asks for nothing. */
typedef struct {
  const char *method;
  const void *body; /* must stay valid until the transfer ends */
  size_t body_len;
  long timeout_ms; /* the whole transfer; 0: none */
  size_t max_body; /* a longer answer ends in UVAWS_ETOOBIG */
  int measure;     /* 1: fill the result's timings */
  /* A body read as it goes out instead of `body` (sent with its length, no
   * Expect round trip), and where a 2xx answer's body goes instead of
   * memory (no max_body then: it may be as large as it is). Both must stay
   * valid until the transfer ends; their begin runs at every start. */
  const body_source_t *source;
  const body_sink_t *sink;
} transport_request_t;

int transport_new(uv_loop_t *loop, const transport_options_t *opts, transport_t **out);

/* A pooled transfer with no URL and no headers, or NULL when out of memory. */
transfer_t *transport_get(transport_t *t);
/* Gives a transfer that is not in flight back to the pool. `cleanse` zeroes
 * its buffers first: what it carried (a token, credentials) must not stay in
 * memory until the buffers are next written. */
void transport_put(transfer_t *x, int cleanse);

/* The URL: `base` ("https://host:port", or a whole URL), `path` (as it goes
 * on the wire), then `query` (plain names and values, percent-encoded as
 * SigV4 encodes them) after '?'. */
void transfer_set_url(transfer_t *x, const char *base, const char *path, const uvaws_kv_t *query,
                      size_t query_count);
/* One request header, sent as given (a blank value is sent empty). Curl adds
 * none of its own beyond Host (when none is given) and the body's length: no
 * Accept, no default Content-Type, no Expect. */
void transfer_add_header(transfer_t *x, const char *name, const char *value);

/* A body libcurl sends in the same buffer as the request head (under 64
 * KiB, given whole). */
#define TRANSPORT_SMALL_BODY ((size_t)64u << 10)

/* The longest request line and headers libcurl sends: its request buffer is
 * 1 MiB, and a small body goes into the same buffer. */
#define TRANSPORT_MAX_REQUEST_HEAD ((size_t)(1u << 20) - TRANSPORT_SMALL_BODY - 1024u)

/* Hands the transfer to curl; `cb` follows from the loop. A User-Agent
 * header is added with the transport's own unless the caller gave one. 0,
 * or UVAWS_EHEADTOOBIG (the request line and headers would pass
 * TRANSPORT_MAX_REQUEST_HEAD), UVAWS_ENOMEM, UVAWS_EIO (a stream would not
 * begin) or UVAWS_EINTERNAL, with transfer_detail saying why; no callback
 * then. */
int transport_start(transfer_t *x, const transport_request_t *r, transport_done_cb cb, void *arg);
/* Why transport_start failed. */
const char *transfer_detail(const transfer_t *x);
/* Takes an in-flight transfer away from curl; no callback follows. */
void transport_abort(transfer_t *x);

/* 1 for a header curl owns (it frames the message and manages the
 * connection): Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding,
 * Upgrade, TE. Over HTTP/2 curl drops them after they were signed. */
int transport_owns_header(const char *name);

/* Sockets opened for connections so far (keep-alive and HTTP/2 keep it low). */
unsigned long transport_connections(const transport_t *t);

/* 1 when a pooled transfer's buffers hold `text` anywhere (tests: secrets
 * must not linger in them). */
int transport_pool_holds(const transport_t *t, const char *text);

/* Ends every transfer (no callbacks), closes connections and handles, then
 * calls `cb` (may be NULL) from the loop and frees the transport. From a
 * transfer's callback (its owner freed there), the transfers end when that
 * callback returns, and no other callback is called meanwhile. */
void transport_close(transport_t *t, void (*cb)(void *arg), void *arg);

/* Frees a transport at once when it never started a transfer (no handle to
 * close: creation that failed further on), else as transport_close. */
void transport_free(transport_t *t);

#endif
