/* The rules of the AWS SDKs' retry behaviour (the "standard" and "adaptive"
 * modes every current SDK implements): which errors are retried, backoff,
 * the quota, and the CUBIC rate limiter of adaptive mode. */
#include "retry.h"

#include <math.h>
#include <string.h>
#include <strings.h>

static int in_list(const char *s, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(s, list[i]) == 0)
      return 1;
  return 0;
}

static const char *const throttling[] = {
    "Throttling",          "ThrottlingException",
    "ThrottledException",  "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "TransactionInProgressException", "RequestLimitExceeded",
    "BandwidthLimitExceeded", "LimitExceededException",
    "RequestThrottled",    "SlowDown",
    "EC2ThrottledException",
};

static const char *const transient[] = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
};

static const char *const skew[] = {
    "RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
};

failure_t retry_classify(const uvaws_error_t *err) {
  if (err == NULL)
    return FAILURE_NONE;
  switch (err->code) {
  case UVAWS_ENETWORK:
  case UVAWS_ETIMEDOUT:
    return FAILURE_CONNECTION;
  case UVAWS_EAWS:
    break;
  default:
    return FAILURE_NONE; /* TLS, limits, bad input, cancel: retrying cannot help */
  }
  const char *t = err->aws_type;
  if (t != NULL) {
    if (in_list(t, throttling, sizeof throttling / sizeof *throttling))
      return FAILURE_THROTTLE;
    if (in_list(t, transient, sizeof transient / sizeof *transient))
      return FAILURE_TRANSIENT;
    if (in_list(t, skew, sizeof skew / sizeof *skew))
      return FAILURE_SKEW;
    if (strcmp(t, "InvalidSignatureException") == 0 && err->message != NULL &&
        strstr(err->message, "Signature expired") != NULL)
      return FAILURE_SKEW;
  }
  switch (err->http_status) {
  case 429:
    return FAILURE_THROTTLE;
  case 500:
  case 502:
  case 503:
  case 504:
    return FAILURE_TRANSIENT;
  default:
    return FAILURE_NONE;
  }
}

void retry_policy_init(retry_policy_t *p, retry_mode_t mode, unsigned max_attempts) {
  memset(p, 0, sizeof *p);
  p->mode = mode;
  p->max_attempts = max_attempts ? max_attempts : 3;
  p->base_delay_s = 1.0;
  p->max_delay_s = 20.0;
  p->quota = RETRY_QUOTA_INITIAL;
  p->time_window = 0;
}

int retry_decide(retry_policy_t *p, failure_t f, unsigned attempt, double random01, int *cost,
                 double *delay_s) {
  *cost = 0;
  *delay_s = 0;
  if (f == FAILURE_NONE || attempt >= p->max_attempts)
    return 0;
  /* Throttles don't draw on the quota in the SDKs: backing off is the remedy,
   * and adaptive mode slows the sender. Everything else pays. */
  if (f != FAILURE_THROTTLE) {
    int c = f == FAILURE_CONNECTION ? RETRY_TIMEOUT_COST : RETRY_COST;
    if (p->quota < c)
      return 0;
    p->quota -= c;
    *cost = c;
  }
  if (f == FAILURE_SKEW) {
    *delay_s = 0; /* nothing to wait for: the corrected clock is the fix */
    return 1;
  }
  double d = random01 * p->base_delay_s * pow(2.0, (double)(attempt - 1));
  *delay_s = d < p->max_delay_s ? d : p->max_delay_s;
  return 1;
}

void retry_on_success(retry_policy_t *p, int cost) {
  p->quota += cost > 0 ? cost : RETRY_SUCCESS_REFUND;
  if (p->quota > RETRY_QUOTA_INITIAL)
    p->quota = RETRY_QUOTA_INITIAL;
}

/* ---- adaptive mode: the SDKs' client-side rate limiter ------------------- */

#define MIN_FILL_RATE 0.5
#define MIN_CAPACITY 1.0
#define SMOOTH 0.8
#define BETA 0.7
#define SCALE_CONSTANT 0.4

static void refill(retry_policy_t *p, double now) {
  if (p->last_refill == 0) {
    p->last_refill = now;
    return;
  }
  double fill = (now - p->last_refill) * p->fill_rate;
  p->current_capacity = fmin(p->max_capacity, p->current_capacity + fill);
  p->last_refill = now;
}

double retry_acquire(retry_policy_t *p, double now) {
  if (p->mode != RETRY_ADAPTIVE || !p->limiter_enabled)
    return 0;
  refill(p, now);
  if (p->current_capacity >= 1.0) {
    p->current_capacity -= 1.0;
    return 0;
  }
  return (1.0 - p->current_capacity) / p->fill_rate;
}

static void set_rate(retry_policy_t *p, double rate, double now) {
  refill(p, now);
  p->fill_rate = fmax(rate, MIN_FILL_RATE);
  p->max_capacity = fmax(rate, MIN_CAPACITY);
  p->current_capacity = fmin(p->current_capacity, p->max_capacity);
}

static void measure(retry_policy_t *p, double now) {
  double bucket = floor(now * 2) / 2; /* half-second buckets */
  p->request_count++;
  if (bucket > p->last_tx_bucket) {
    double rate = p->request_count / (bucket - p->last_tx_bucket);
    p->measured_rate = rate * SMOOTH + p->measured_rate * (1 - SMOOTH);
    p->request_count = 0;
    p->last_tx_bucket = bucket;
  }
}

void retry_update_rate(retry_policy_t *p, int throttled, double now) {
  if (p->mode != RETRY_ADAPTIVE)
    return;
  if (p->last_tx_bucket == 0)
    p->last_tx_bucket = floor(now * 2) / 2;
  measure(p, now);
  double rate;
  if (throttled) {
    double rate_to_use = p->limiter_enabled ? fmin(p->measured_rate, p->fill_rate) : p->measured_rate;
    p->last_max_rate = rate_to_use;
    p->time_window = cbrt(p->last_max_rate * (1 - BETA) / SCALE_CONSTANT);
    rate = rate_to_use * BETA;
    p->last_throttle_time = now;
    p->limiter_enabled = 1;
  } else {
    double dt = now - p->last_throttle_time - p->time_window;
    rate = SCALE_CONSTANT * dt * dt * dt + p->last_max_rate; /* CUBIC growth */
  }
  if (p->limiter_enabled)
    set_rate(p, fmin(rate, 2 * p->measured_rate), now);
}

int retry_mode_parse(const char *s) {
  if (s == NULL)
    return -1;
  if (strcasecmp(s, "standard") == 0 || strcasecmp(s, "legacy") == 0)
    return RETRY_STANDARD;
  if (strcasecmp(s, "adaptive") == 0)
    return RETRY_ADAPTIVE;
  return -1;
}
