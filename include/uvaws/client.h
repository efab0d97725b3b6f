/* The asynchronous client: one per AWS service, bound to the caller's loop.
 *
 * A client owns a libcurl multi handle that the caller's uv_loop_t drives:
 * sockets through uv_poll_t, curl's timer through one uv_timer_t. At most
 * `max_clients` requests are in flight; the rest wait in FIFO order. Each
 * request is signed when it is dispatched, not when it is queued, so one that
 * waited (or is retried) carries credentials and a time valid at send time.
 *
 * Every accepted request completes exactly once, through its callback, never
 * from inside the call that submitted it. A call that returns an error calls
 * no callback. Like libuv, a client is used from its loop's thread only,
 * with one exception made for it: uvaws_fetch_threadsafe. The loop-only
 * functions check the calling thread and refuse a wrong one with
 * UVAWS_ETHREAD (uvaws_client_close, which returns nothing, logs it and
 * ignores the call).
 */
#ifndef UVAWS_CLIENT_H
#define UVAWS_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "common.h"
#include "credentials.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct uvaws_client_s uvaws_client_t;
typedef struct uvaws_job_s uvaws_job_t;

typedef enum {
  UVAWS_LOG_ERROR = 1,
  UVAWS_LOG_WARN = 2,
  UVAWS_LOG_INFO = 3,
  UVAWS_LOG_DEBUG = 4,
} uvaws_log_level_t;

/* Receives one log line (no trailing newline). Never receives a secret. */
typedef void (*uvaws_log_cb)(uvaws_log_level_t level, const char *message, void *arg);

/* What one request cost, given to the observation hook when it completes.
 * Valid during the hook only. Times are microseconds; the parts of a request
 * that happened more than once (attempts, their waits) are summed over them,
 * so that queued + credentials + signing + transfer <= total, and per
 * attempt connect <= first_byte <= transfer. A part that did not happen (no
 * attempt reached the wire; a reused connection) reads 0. docs/architecture.md
 * shows where on the request path each is taken. */
typedef struct {
  size_t size;           /* sizeof(uvaws_observation_t): fields are added at the end */
  const char *service;   /* the client's signing name: "dynamodb" */
  const char *operation; /* "PutItem" for operation calls (uvaws_call and the calls
                            of paginators and waiters); NULL for uvaws_fetch */
  const char *method;    /* "POST"; NULL for an operation call refused before it made
                            a request (UVAWS_EPARAM, UVAWS_EOPERATION ...) */
  long status;           /* the final HTTP status; 0 when no answer arrived */
  int error;             /* the request's UVAWS_E* code as its callback sees it
                            (UVAWS_EAWS, UVAWS_ECANCELED ...); 0 on success */
  unsigned attempts;     /* times it went on the wire */
  uint64_t request_body_bytes;  /* the body, once (a streamed upload too) */
  uint64_t response_body_bytes; /* the final answer's body held in memory */
  uint64_t request_wire_bytes;  /* every attempt's request line, headers and body as
                                   libcurl counts them (over HTTP/2 the head as its
                                   HTTP/1.1 text, before header compression); 0 when
                                   it could not say */
  uint64_t response_wire_bytes; /* every answer's head and body, likewise */
  uint64_t queued_us;      /* waiting in the queue for a slot (max_clients), the send
                              rate (adaptive retries), after a retry's backoff */
  uint64_t credentials_us; /* waiting in the queue for credentials or the region */
  uint64_t signing_us;     /* computing signatures */
  uint64_t connect_us;     /* DNS, TCP and TLS (libcurl's CURLINFO_APPCONNECT_TIME_T,
                              or CURLINFO_CONNECT_TIME_T over plain http) */
  uint64_t first_byte_us;  /* from handing the attempt to libcurl to the first byte of
                              the answer (CURLINFO_STARTTRANSFER_TIME_T) */
  uint64_t transfer_us;    /* the whole attempt in libcurl (CURLINFO_TOTAL_TIME_T) */
  uint64_t total_us;       /* from submission to completion: everything above, the
                              backoff between attempts, the hand-over from another
                              thread (uvaws_fetch_threadsafe) */
} uvaws_observation_t;

/* The observation hook: called on the loop's thread once for every request
 * the client accepted (uvaws_fetch and its thread-safe and future forms,
 * operation calls, presign and sign_explain, which send nothing), whether it
 * succeeded, failed or was cancelled, just before the request's own
 * callback; an operation call whose parameters were refused is told too
 * (attempts 0, its error). It may do what a response callback may: submit, cancel other
 * requests, close the client. Requests refused with an error when submitted
 * were never accepted: no observation. */
typedef void (*uvaws_observe_cb)(const uvaws_observation_t *obs, void *arg);

/* Start from UVAWS_CLIENT_OPTIONS_INIT or uvaws_client_options_init(), then
 * set what you need: 0 and NULL mean "the default". `size` tells the library
 * which fields your build has, so that new fields (always added at the end)
 * break no program built before them; see docs/abi.md. */
typedef struct {
  size_t size;          /* sizeof(uvaws_client_options_t), set by the initializers */
  const char *service;  /* signing name: "dynamodb", "sqs", "ses", "s3" (required) */
  const char *profile;  /* NULL: AWS_PROFILE, AWS_DEFAULT_PROFILE, else "default" */
  const char *region;   /* NULL: AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
                           then the EC2 instance identity document */
  const char *endpoint; /* "https://host[:port][/base/path]"; NULL: AWS_ENDPOINT_URL_<SERVICE>,
                           AWS_ENDPOINT_URL, the profile's endpoint_url, else the public
                           endpoint https://SERVICE.REGION.amazonaws.com */
  /* Static credentials (access key and secret, token optional). NULL: the
   * environment, the shared files, credential_process, container credentials,
   * then EC2 instance metadata, as the AWS CLI looks; temporary credentials
   * are refreshed before they expire. */
  const char *access_key;
  const char *secret_key;
  const char *session_token;
  /* Credentials from this provider instead (uvaws/credentials.h): one of
   * yours, or a built-in one. Borrowed: free it after the close callback.
   * Not with access_key. */
  uvaws_creds_provider_t *credentials_provider;
  unsigned max_clients;       /* requests in flight at once; default 100 */
  size_t max_queue;           /* requests accepted and not on the wire (waiting for a
                                 slot, credentials, the region, the send rate or a
                                 retry's backoff; presigns too): at most this many,
                                 beyond it UVAWS_EQUEUEFULL; 0: unbounded */
  long connect_timeout_ms;    /* default 10000 */
  long request_timeout_ms;    /* one attempt, connect to last byte; default 60000;
                                 -1: no limit. A silent endpoint ends in UVAWS_ETIMEDOUT
                                 after this, then is retried as max_attempts allows */
  long deadline_ms;           /* the whole request: queue, credentials, every attempt
                                 and backoff; ends it with UVAWS_ETIMEDOUT wherever it
                                 is; default (0) and -1: none */
  size_t max_response_bytes;  /* larger bodies fail with UVAWS_ETOOBIG; default 64 MiB */
  const char *user_agent_suffix; /* appended to "uvaws/VERSION" */
  const char *ca_file;        /* PEM bundle to trust instead of the system's */
  int tls_no_verify;          /* 1 turns TLS verification off: for tests only */
  unsigned sign_flags;        /* UVAWS_SIGV4_*; 0: UVAWS_SIGV4_S3 for "s3", none otherwise */
  /* Retries, as the AWS SDKs do them. NULL/0: AWS_RETRY_MODE and
   * AWS_MAX_ATTEMPTS, then the profile's retry_mode and max_attempts, then
   * "standard" and 3. max_attempts counts the first attempt: 1 disables retries. */
  const char *retry_mode;     /* "standard" or "adaptive" */
  unsigned max_attempts;
  unsigned retry_base_delay_ms; /* the first retry waits up to this; default 1000 */
  unsigned retry_max_delay_ms;  /* cap of one wait; default 20000 */
  uvaws_log_cb log_cb;
  void *log_arg;
  uvaws_log_level_t log_level; /* highest level passed to log_cb; 0: WARN */
  uvaws_clock_fn clock;       /* NULL: the system's wall clock */
  int threadsafe;             /* 1: uvaws_fetch_threadsafe may be called from other
                                 threads; the client then holds its loop alive until it
                                 is closed (a uv_async_t takes the requests) */
  void *clock_arg;
  /* Observation (per-request timings and sizes), or NULL: nothing is
   * measured then, at no cost. */
  uvaws_observe_cb observe;
  void *observe_arg;
} uvaws_client_options_t;

#define UVAWS_CLIENT_OPTIONS_INIT {.size = sizeof(uvaws_client_options_t)}

/* Zeroes `o` and sets its size: UVAWS_CLIENT_OPTIONS_INIT for callers that
 * cannot use a C macro (bindings). 0, or UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_client_options_init(uvaws_client_options_t *o);

/* One HTTP request. Copied by uvaws_fetch: nothing needs to outlive the call,
 * except `body` when `body_free` is set (then uvaws owns it: no copy). Start
 * from UVAWS_REQUEST_INIT or uvaws_request_init(), as the options. */
typedef struct {
  size_t size;            /* sizeof(uvaws_request_t), set by the initializers */
  const char *method;     /* "GET", "POST" ... */
  const char *path;       /* plain, not encoded: "/my table/item 1"; must start with '/' */
  int path_encoded;       /* 1: `path` is already percent-encoded as it goes on the wire
                             (a segment holding "/" as %2F); then it is sent as given */
  const uvaws_kv_t *query; /* plain names and values */
  size_t query_count;
  const uvaws_kv_t *headers;
  size_t header_count;
  const void *body;
  size_t body_len;
  void (*body_free)(void *body); /* non-NULL: take `body` without copying, free it so */
  long timeout_ms;               /* one attempt; 0: the client's request_timeout_ms; -1: none */
  long deadline_ms;              /* the whole request; 0: the client's deadline_ms; -1: none */
} uvaws_request_t;

#define UVAWS_REQUEST_INIT {.size = sizeof(uvaws_request_t)}

/* Zeroes `r` and sets its size. 0, or UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_request_init(uvaws_request_t *r);

/* The outcome of a request, valid during the callback only (a future keeps
 * its copy until released). `body` is NUL-terminated for convenience. */
typedef struct {
  long status; /* HTTP status; 0 when no answer arrived */
  const uvaws_kv_t *headers;
  size_t header_count;
  const char *body;
  size_t body_len;
  const uvaws_error_t *error; /* NULL on success (2xx) */
  unsigned attempts;          /* how many times it was sent */
  double elapsed_ms;          /* from submission to completion */
} uvaws_response_t;

typedef void (*uvaws_response_cb)(const uvaws_response_t *res, void *arg);
typedef void (*uvaws_close_cb)(uvaws_client_t *client, void *arg);

/* Creates a client on `loop` (never owned). On failure returns a UVAWS_E*
 * code and, when `err` is not NULL, fills it (free with uvaws_error_clear).
 * Options whose size is 0 (zeroed, not initialized), or larger than this
 * library's with any of the extra fields set, are UVAWS_EINVAL. */
UVAWS_EXTERN int uvaws_client_new(uv_loop_t *loop, const uvaws_client_options_t *opts, uvaws_client_t **out,
                     uvaws_error_t *err);

/* Closes the client: queued and in-flight requests complete with
 * UVAWS_ECANCELED, handles close, then `cb` (may be NULL) is called and, when
 * it returns, the client is freed. Inside `cb` the pointer is still valid (as
 * a libuv handle in its close callback): new work is refused with
 * UVAWS_ECLOSED and uvaws_client_stats works. Safe inside a response
 * callback. A second call does nothing. */
UVAWS_EXTERN void uvaws_client_close(uvaws_client_t *client, uvaws_close_cb cb, void *arg);

/* Submits a request. Returns 0 (then `cb` will be called exactly once) or an
 * error with no callback: UVAWS_EINVAL (NULL client, request or callback; NULL or
 * empty method; a request size refused as uvaws_client_new refuses options'), UVAWS_EMETHOD, UVAWS_EPATH (not starting with '/', CR, LF),
 * UVAWS_EHEADERNAME (not a token, or a header curl owns: Connection,
 * Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade, TE),
 * UVAWS_EHEADERVALUE (CR, LF, NUL; an x-amz-content-sha256 that is no payload
 * hash, or two of them), UVAWS_EQUERY, UVAWS_ECLOSED (client closing),
 * UVAWS_EQUEUEFULL, UVAWS_ENOMEM. The request goes out as it was signed: the
 * path byte for byte (dot segments too), every header (a blank value is sent
 * empty), a caller's x-amz-content-sha256 as the payload line. `job_out` (may
 * be NULL) receives a handle for uvaws_cancel, valid until the callback returns. */
UVAWS_EXTERN int uvaws_fetch(uvaws_client_t *client, const uvaws_request_t *req, uvaws_response_cb cb,
                void *arg, uvaws_job_t **job_out);

/* uvaws_fetch from any thread. The request is validated and copied in the
 * calling thread and handed to the client's loop (a uv_async_t wakes it);
 * the callback runs on the loop's thread, exactly once, as for uvaws_fetch.
 * Needs a client made with options.threadsafe (else UVAWS_EINVAL).
 * Returns 0, or with no callback: the input errors of uvaws_fetch,
 * UVAWS_ECLOSED once the client is being torn down, UVAWS_ENOMEM. Errors only
 * the loop can tell (the client closing, a full queue) come through the
 * callback. No cancel handle: the loop's thread owns cancelling. The client
 * must outlive every call: stop posting threads before the close callback
 * returns (after it, the client is freed). */
UVAWS_EXTERN int uvaws_fetch_threadsafe(uvaws_client_t *client, const uvaws_request_t *req,
                                        uvaws_response_cb cb, void *arg);

/* Cancels a request that has not completed, as uv_cancel does a libuv
 * request: its callback still comes, once, later, from the loop, with
 * UVAWS_ECANCELED, and the handle stays valid until then. Returns 0;
 * UVAWS_EBUSY when its completion is already on its way (its callback
 * running included: a request cannot cancel itself from its own callback;
 * uv_cancel says UV_EBUSY alike); UVAWS_EINVAL for NULL. */
UVAWS_EXTERN int uvaws_cancel(uvaws_job_t *job);

/* Presigns `req` (method, path, query, headers, body) with the client's
 * credentials, region and endpoint, as the SDKs do: for S3 (sign_flags with
 * UVAWS_SIGV4_CONTENT_SHA256) the payload is unsigned; for other services the
 * payload line is the body's hash (an empty body's for a GET), which services
 * like STS check; a caller's x-amz-content-sha256 is the payload line in both.
 * The callback gets the URL, valid `expires_s` seconds (1 to 7 days), in
 * res->body with status 200.
 * Waits for credentials and region like a request, but sends nothing.
 * Returns 0 or the errors of uvaws_fetch, or UVAWS_EEXPIRES. `job_out` (may
 * be NULL) receives a handle for uvaws_cancel, as uvaws_fetch's. */
UVAWS_EXTERN int uvaws_presign(uvaws_client_t *client, const uvaws_request_t *req,
                               unsigned expires_s, uvaws_response_cb cb, void *arg,
                               uvaws_job_t **job_out);

/* Signs `req` without sending it, for debugging SignatureDoesNotMatch: the
 * callback gets in res->body a JSON object with method, url,
 * canonical_request, string_to_sign, signed_headers and the headers to send.
 * A session token is shown redacted wherever it appears. `job_out` as uvaws_presign's. */
UVAWS_EXTERN int uvaws_sign_explain(uvaws_client_t *client, const uvaws_request_t *req,
                                    uvaws_response_cb cb, void *arg, uvaws_job_t **job_out);

/* The loop a client runs on. */
UVAWS_EXTERN uv_loop_t *uvaws_client_loop(const uvaws_client_t *client);

/* Counts, for monitoring and tests. */
typedef struct {
  size_t queued;       /* waiting for a slot */
  size_t in_flight;    /* on the wire */
  uint64_t submitted;  /* accepted by uvaws_fetch */
  uint64_t completed;  /* callbacks called */
  uint64_t attempts;   /* requests put on the wire, retries included */
  uint64_t connections; /* TCP connections opened (keep-alive and HTTP/2 reuse them) */
  uint64_t retries;     /* attempts beyond the first, all requests together */
  int retry_quota;      /* tokens left in the retry quota (500 when all is well) */
  double clock_skew_s;  /* correction learnt from a clock-skew answer */
} uvaws_client_stats_t;

UVAWS_EXTERN int uvaws_client_stats(const uvaws_client_t *client, uvaws_client_stats_t *out);

/* Finds a response header by name, case-insensitively; NULL if absent. */
UVAWS_EXTERN const char *uvaws_response_header(const uvaws_response_t *res, const char *name);

#ifdef __cplusplus
}
#endif
#endif
