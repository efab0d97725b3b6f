/* Retry policy as the AWS SDKs define it ("standard" and "adaptive" modes):
 * what is retried, how long to wait (exponential backoff with full jitter,
 * capped), the retry quota that stops a failing service from being hammered,
 * and adaptive mode's client-side rate limiter. Pure logic: no I/O; time and
 * randomness are inputs, so the rules are tested exactly. */
#ifndef UVAWS_RETRY_H
#define UVAWS_RETRY_H

#include <stdint.h>

#include "uvaws/error.h"

typedef enum { RETRY_STANDARD = 0, RETRY_ADAPTIVE = 1 } retry_mode_t;

/* What a failed attempt was. */
typedef enum {
  FAILURE_NONE = 0,   /* success, or an error never retried */
  FAILURE_THROTTLE,   /* throttling: retried, and slows adaptive mode down */
  FAILURE_TRANSIENT,  /* 5xx, RequestTimeout ...: retried */
  FAILURE_CONNECTION, /* refused, reset, closed, timed out: retried */
  FAILURE_SKEW,       /* the clock is off: retried once after correcting it */
} failure_t;

/* Classifies a finished attempt from its error (NULL: success). */
failure_t retry_classify(const uvaws_error_t *err);

/* The quota: 500 tokens; a retry costs 5 (10 after a timeout); a success
 * gives back what its retries cost, or 1 when it needed none. */
#define RETRY_QUOTA_INITIAL 500
#define RETRY_COST 5
#define RETRY_TIMEOUT_COST 10
#define RETRY_SUCCESS_REFUND 1

typedef struct {
  retry_mode_t mode;
  unsigned max_attempts;   /* first attempt included; 1 disables retries */
  double base_delay_s;     /* the first retry waits up to this (1 s in the SDKs) */
  double max_delay_s;      /* cap of a single wait (20 s) */
  int quota;               /* tokens left */
  /* adaptive mode's rate limiter (the SDKs' CUBIC token bucket) */
  int limiter_enabled;     /* set at the first throttle, as the SDKs do */
  double fill_rate, max_capacity, current_capacity, last_refill;
  double measured_rate, last_tx_bucket, request_count;
  double last_max_rate, last_throttle_time, time_window;
} retry_policy_t;

void retry_policy_init(retry_policy_t *p, retry_mode_t mode, unsigned max_attempts);

/* Whether attempt `attempt` (1-based) that failed as `f` gets another one. On
 * yes, takes the quota cost into *cost and the wait into *delay_s; `random01`
 * is uniform in [0, 1). */
int retry_decide(retry_policy_t *p, failure_t f, unsigned attempt, double random01,
                 int *cost, double *delay_s);

/* A request finished well: gives back `cost` (what its retries took), or the
 * small refund when it needed none. */
void retry_on_success(retry_policy_t *p, int cost);

/* Adaptive mode: seconds to wait before sending now (0: send), taking a
 * token when it returns 0. `now` in seconds, monotonic. */
double retry_acquire(retry_policy_t *p, double now);

/* Adaptive mode: feeds every answer back (throttled or not). */
void retry_update_rate(retry_policy_t *p, int throttled, double now);

/* Parses "standard" / "adaptive" (also "legacy", taken as standard). -1 if neither. */
int retry_mode_parse(const char *s);

#endif
