/* The client's private structures and the functions its files share
 * (client.c: requests; client_new.c: creation and close; client_creds.c:
 * the region and credentials gate). */
#ifndef UVAWS_CLIENT_PRIV_H
#define UVAWS_CLIENT_PRIV_H

#include <assert.h>
#include <stdint.h>

#include "client_internal.h"
#include "creds.h"
#include "imds.h"
#include "list.h"
#include "retry.h"
#include "transport.h"
#include "uvaws/call.h"
#include "uvaws/sigv4.h"

/* A job's life: NEW -> QUEUED -> IN_FLIGHT -> DONE, with retries back to
 * QUEUED (at once) or through BACKOFF, and DEFERRED for a completion without
 * an answer (cancelled, deadline, failed before sending, presigned, a post
 * from another thread refused when the loop takes it) that is delivered
 * from the loop. DONE: its callback is running (or has run):
 * nothing left to cancel. QUEUED, IN_FLIGHT and BACKOFF jobs are on the
 * client's list of that name (queue, flying, backoff); the others on none. */
typedef enum { JOB_NEW, JOB_QUEUED, JOB_IN_FLIGHT, JOB_BACKOFF, JOB_DEFERRED, JOB_DONE } job_state_t;

typedef struct backoff_s backoff_t;
typedef struct deadline_s deadline_t;

/* What the observation hook will be told of a job (client_observe.c); in
 * the job's allocation, only when the client has a hook. */
typedef struct {
  uint64_t queue_mark_ns; /* uv_hrtime() when it last entered the queue */
  uint64_t gate_mark_ns;  /* the client's gate_wait then (see client_observe_gate) */
  uint64_t queued_ns, creds_ns, sign_ns;
  uint64_t connect_us, first_byte_us, transfer_us;
  uint64_t wire_up, wire_down;
} job_obs_t;

struct uvaws_job_s {
  defer_t defer; /* first: a deferred completion is a defer_t */
  /* in the client's queue, flying or backoff list, as its state says; in
   * the post queue (client_post.c) while NEW */
  list_t link;
  uvaws_client_t *client;
  uvaws_response_cb cb;
  void *arg;
  transfer_t *transfer; /* JOB_IN_FLIGHT */
  /* the request, copied into the same allocation as the job */
  const char *method;
  const char *path; /* wire form: base path + encoded path */
  uvaws_kv_t *query;
  size_t query_count;
  uvaws_kv_t *headers; /* [0] is Host */
  size_t header_count;
  const void *body;
  size_t body_len;
  void (*body_free)(void *body);
  long timeout_ms;
  char *bound_path; /* base path + path, when it was added at dispatch */
  /* the operation layer's extras (host prefix, payload hash, streams,
   * operation name), copied into the job's allocation; NULL for a plain
   * fetch, which so does not carry five empty pointers */
  const fetch_ext_t *ext;
  /* "https://" + host prefix + the endpoint's host, made at dispatch; the
   * signed Host (headers[0]) points into it */
  char *url_base;
  char *result;       /* a sign-only job's answer (the URL, the explanation) */
  uint64_t creds_gen; /* which credentials signed the last attempt */
  /* the small fields together, so that no padding sits between them: a
   * queued request is mostly this struct (bench: heap per queued request) */
  job_state_t state;
  unsigned expires_s; /* presign: the URL's lifetime; 0 for explain */
  unsigned attempts;
  int retry_cost;     /* quota tokens its retries took, given back on success */
  unsigned own_host : 1;     /* headers[0] is the caller's Host, not the endpoint's */
  unsigned unbound : 1;      /* accepted before the endpoint was known: path lacks the base */
  unsigned sign_only : 1;    /* uvaws_presign / uvaws_sign_explain: signed, never sent */
  unsigned auth_retried : 1; /* retried once after an expired-token answer */
  unsigned skew_retried : 1; /* retried once after a clock-skew answer */
  backoff_t *backoff; /* while waiting to be retried */
  deadline_t *deadline; /* the whole request's time limit, when it has one */
  long deadline_ms;     /* as the request asked: 0 the client's, -1 none */
  uint64_t deadline_ns; /* uv_hrtime() when it passes; 0: none */
  uint64_t submitted_ns;
  job_obs_t *obs;        /* when the client observes: what the hook will be told */
  uvaws_error_t error;
};

typedef struct post_queue_s post_queue_t;

struct uvaws_client_s {
  uv_loop_t *loop;
  uv_thread_t loop_thread; /* the thread that made it: the loop's (calls are checked against it) */
  post_queue_t *posts;     /* requests handed over from other threads */
  transport_t *transport;
  uvaws_signer_t *signer;
  uv_prepare_t alive; /* active while requests are pending: keeps uv_run going */
  uv_timer_t defer_timer;
  list_t deferred; /* defer_t, run in order by defer_timer */
  /* configuration */
  const uvaws_service_t *svc; /* the service's row, NULL for a service without a model */
  const void *model;          /* its model, once the operation layer loaded it */
  char *service, *region;    /* service: the signing name */
  char *endpoint;  /* explicit (option, env, profile), or NULL to build from the region */
  char *endpoint_prefix;
  char *base_url;  /* "https://host:port", once the region is known */
  char *base_path; /* "" or "/base" */
  char *host;      /* Host header value */
  /* credentials: from a provider (uvaws/credentials.h), kept and refreshed here */
  uvaws_creds_provider_t *provider;
  int own_provider;  /* the configuration's chain, built here: freed at close */
  creds_t creds;
  uint64_t creds_gen;   /* bumped whenever creds change or are dropped */
  int64_t creds_fetched_at;
  int64_t creds_life;        /* longest lifetime (s) credentials had on arrival: sizes the
                                refresh windows (client_creds.c) */
  uint64_t creds_hold_until; /* uv_hrtime in ms: the source is not asked again before */
  unsigned creds_failures;   /* failed or refused fetches in a row */
  uvaws_error_t creds_error; /* the last failure, for requests during the hold-off */
  int creds_refreshing; /* one fetch at a time, however many requests wait */
  void *creds_handle;   /* the fetch's, for cancel */
  int creds_in_fetch;   /* inside the provider's fetch: an answer is kept for after it */
  int creds_kept;       /* such an answer: */
  creds_t kept_creds;
  uvaws_error_t kept_error;
  imds_t *imds;         /* instance metadata, for the region */
  imds_op_t *region_op;
  int region_fetching;
  unsigned max_clients;
  size_t max_queue;
  long request_timeout_ms; /* one attempt; -1: no limit */
  long deadline_ms;        /* the whole request; 0: none */
  size_t max_response_bytes;
  unsigned sign_flags;
  uvaws_log_cb log_cb;
  void *log_arg;
  uvaws_log_level_t log_level;
  uvaws_clock_fn clock;
  void *clock_arg;
  /* observation: requests' costs, told to the hook (client_observe.c) */
  uvaws_observe_cb observe;
  void *observe_arg;
  uint64_t gate_closed_ns; /* uv_hrtime() since which requests wait for credentials or
                              the region; 0 while they need not */
  uint64_t gate_wait_ns;   /* time they waited so, all closings before that one */
  /* retries */
  retry_policy_t retry;
  uint64_t rng;             /* xorshift state for jitter */
  double clock_skew_s;      /* server time minus ours, learnt from a skew answer */
  uv_timer_t rate_timer;    /* adaptive mode: waits for the send rate to allow more */
  list_t backoff;            /* jobs waiting to be retried */
  list_t closers;            /* closer_t: waiters pausing between calls */
  list_t watchers;           /* closer_t: futures, told when the client is freed */
  size_t backoff_count;
  /* state */
  list_t queue;  /* JOB_QUEUED, in FIFO order */
  list_t flying; /* JOB_IN_FLIGHT */
  size_t queued, in_flight, deferred_jobs;
  uvaws_client_stats_t stats;
  int callback_depth;
  int closing, torn_down, pending_closes;
  uvaws_close_cb close_cb;
  void *close_arg;
};


/* Every state change goes through here. In debug builds a change the flow
 * above never makes, or one made while the job is still on a list, stops
 * the program at once (release builds define NDEBUG: no cost). */
static inline void job_set_state(uvaws_job_t *j, job_state_t to) {
#ifndef NDEBUG
  static const unsigned allowed[] = {
      [JOB_NEW] = 1u << JOB_QUEUED | 1u << JOB_DEFERRED,
      [JOB_QUEUED] = 1u << JOB_IN_FLIGHT | 1u << JOB_DEFERRED,
      [JOB_IN_FLIGHT] = 1u << JOB_QUEUED | 1u << JOB_BACKOFF | 1u << JOB_DEFERRED | 1u << JOB_DONE,
      [JOB_BACKOFF] = 1u << JOB_QUEUED | 1u << JOB_DEFERRED,
      [JOB_DEFERRED] = 1u << JOB_DONE,
      [JOB_DONE] = 0,
  };
  assert(allowed[j->state] & (1u << to));
  assert(!list_linked(&j->link));
#endif
  j->state = to;
}

void client_log(uvaws_client_t *c, uvaws_log_level_t level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int64_t client_now(const uvaws_client_t *c);
/* The client's clock corrected by the skew learnt from AWS's answers: the
 * time every request is signed with, and the clock the credential chain
 * signs its STS requests with. */
int64_t client_signing_now(const uvaws_client_t *c);
void client_update_alive(uvaws_client_t *c);
void client_dispatch_more(uvaws_client_t *c);
void client_run_deferred(uv_timer_t *h);
void client_teardown(uvaws_client_t *c);
/* Just before the client is freed: runs what is still deferred, then tells
 * every watcher (futures) that the client is gone. */
void client_release_watchers(uvaws_client_t *c);
/* Called when the transport has closed: closes the client's own handles. */
void client_on_transport_closed(void *arg);
/* Fails every queued request with a copy of `err` (from the loop). */
void client_fail_queued(uvaws_client_t *c, const uvaws_error_t *err);
/* Puts a job at the head of the queue (a retry goes before new work). */
void client_requeue_front(uvaws_client_t *c, uvaws_job_t *j);
/* Builds base_url/host/base_path from an endpoint URL; 0 or UVAWS_E*. */
int client_set_endpoint(uvaws_client_t *c, const char *endpoint, uvaws_error_t *err);

/* client_observe.c: the observation hook's accounting, called only for jobs
 * with `obs` (a client with a hook). Queue time is split between waiting
 * for a slot and waiting for credentials or the region by the client's gate:
 * the time the queue's head could not go for want of either. */
void client_observe_gate(uvaws_client_t *c, int closed);
void client_observe_enqueue(uvaws_client_t *c, uvaws_job_t *j);
void client_observe_dequeue(uvaws_client_t *c, uvaws_job_t *j);
void client_observe_transfer(uvaws_job_t *j, const transport_timings_t *t);
/* Tells the hook about a job that completes with `res`. */
void client_observe_deliver(uvaws_client_t *c, const uvaws_job_t *j, const uvaws_response_t *res);

/* What signing a job needs: credentials, scope, time, the request. */
void client_sign_input(const uvaws_client_t *c, const uvaws_job_t *j, uvaws_sigv4_input_t *in);

/* client_sign.c */
/* Signs a sign-only job now and completes it (from the loop) with its URL or
 * explanation; 0 or an error for the caller to report. */
int client_sign_only(uvaws_client_t *c, uvaws_job_t *j);
/* Validates, copies and queues a request (uvaws_fetch; with sign_only, a
 * presign or an explanation). 0 or an error with no callback. */
int client_enqueue(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                   uvaws_response_cb cb, void *arg, unsigned sign_expires_s, int sign_only,
                   uvaws_job_t **job_out);
void client_complete_later(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail);

/* The halves of accepting a request. client_job_make validates and copies it
 * (touching nothing of the client's state when `unbound`: any thread may);
 * NULL with *rc set on bad input. client_job_accept queues it (the loop's
 * thread only): 0, or UVAWS_ECLOSED/EQUEUEFULL/ENOMEM for the caller to
 * report, with the job not queued. client_job_refuse completes an accepted
 * job that could not be queued, from the loop, with `code`. */
uvaws_job_t *client_job_make(uvaws_client_t *c, const uvaws_request_t *req, const fetch_ext_t *x,
                             uvaws_response_cb cb, void *arg, int unbound, int *rc);
int client_job_accept(uvaws_client_t *c, uvaws_job_t *j);
void client_job_refuse(uvaws_client_t *c, uvaws_job_t *j, int code);
/* Frees a job never accepted; its body (body_free) stays the caller's. */
void client_job_discard(uvaws_job_t *j);

/* client_post.c: requests from other threads. */
int client_posts_init(uvaws_client_t *c);
/* Refuses further posts and ends the ones not yet taken (UVAWS_ECANCELED). */
void client_posts_shut(uvaws_client_t *c);
/* Closes the async handle, if there is one (1) or not (0); `cb` as uv_close's. */
int client_posts_close(uvaws_client_t *c, uv_close_cb cb);
void client_posts_free(uvaws_client_t *c);

/* Ends a job that has not completed with `code` (cancel, deadline): its
 * callback follows from the loop. UVAWS_EBUSY when it is already ending. */
int client_abort_job(uvaws_client_t *c, uvaws_job_t *j, int code, const char *detail);

/* client_deadline.c */
/* Starts the timer that ends the job with UVAWS_ETIMEDOUT after `ms`,
 * wherever it is then (queued, waiting for credentials, on the wire, in a
 * backoff); 0 or UVAWS_ENOMEM. */
int client_deadline_start(uvaws_client_t *c, uvaws_job_t *j, long ms);
/* Stops it (the job completed); safe when there is none. */
void client_deadline_stop(uvaws_job_t *j);
/* 1 when waiting `delay_s` more would pass the job's deadline. */
int client_deadline_passes(const uvaws_job_t *j, double delay_s);

/* client_retry.c */
/* After an attempt failed or succeeded: takes the job for a retry (back in
 * the queue, or waiting on a backoff timer) and returns 1, or returns 0 to
 * deliver `res`. Feeds the quota and adaptive mode either way. */
int client_retry_after(uvaws_client_t *c, uvaws_job_t *j, const uvaws_response_t *res);
/* Takes a job out of its backoff wait (cancel, close). */
void client_backoff_cancel(uvaws_client_t *c, uvaws_job_t *j);
/* Adaptive mode: 1 when one more request may go now, else arms rate_timer. */
int client_rate_gate(uvaws_client_t *c);
/* Sets up the retry policy from options and configuration; 0 or UVAWS_E*. */
int client_retry_setup(uvaws_client_t *c, const uvaws_client_options_t *o, const char *cfg_mode,
                       int cfg_max_attempts, uvaws_error_t *err);

/* client_creds.c */
/* 1 when a request may be signed now; else starts what it waits for. */
int client_ready(uvaws_client_t *c);
/* Stops the credential fetch and the region lookup that run (close): no
 * answer of theirs comes any more, and nothing of them stays on the
 * transport. */
void client_creds_stop(uvaws_client_t *c);
/* An answer with an expired or invalid token: drop the credentials (when they
 * can be refreshed) and say whether the job should be retried once. */
int client_auth_retry(uvaws_client_t *c, uvaws_job_t *j, const uvaws_error_t *err);

#endif
