/* retry: the pure retry policy of lib/retry.c, with time and randomness as
 * inputs: what is retried (every throttling, transient, connection and skew
 * case, and what is not), backoff with full jitter and its cap, max_attempts,
 * the retry quota's accounting, adaptive mode's rate limiter, and the mode
 * names. No server, no clock. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "retry.h"
#include "uvaws.h"

#define N(a) (sizeof(a) / sizeof *(a))

static failure_t classify(int code, long status, const char *type, const char *message) {
  uvaws_error_t e = {0};
  e.code = code;
  e.http_status = status;
  e.aws_type = (char *)type;
  e.message = (char *)message;
  return retry_classify(&e);
}

static failure_t aws(long status, const char *type) {
  return classify(UVAWS_EAWS, status, type, NULL);
}

/* ---- classification --------------------------------------------------------- */

static void throttling_codes(void **state) {
  (void)state;
  static const char *const codes[] = {
      "Throttling",
      "ThrottlingException",
      "ThrottledException",
      "RequestThrottledException",
      "TooManyRequestsException",
      "ProvisionedThroughputExceededException",
      "TransactionInProgressException",
      "RequestLimitExceeded",
      "BandwidthLimitExceeded",
      "LimitExceededException",
      "RequestThrottled",
      "SlowDown",
      "EC2ThrottledException",
  };
  static const long statuses[] = {400, 403, 429, 500, 503};
  for (size_t i = 0; i < N(codes); i++)
    for (size_t k = 0; k < N(statuses); k++) {
      if (aws(statuses[k], codes[i]) != FAILURE_THROTTLE)
        fail_msg("%s at %ld is not a throttle", codes[i], statuses[k]);
    }
  /* 429 without a type: a throttle too */
  assert_int_equal(aws(429, NULL), FAILURE_THROTTLE);
  assert_int_equal(aws(429, "SomethingElse"), FAILURE_THROTTLE);
  /* exact names only: no prefixes, suffixes or other case */
  assert_int_equal(aws(400, "throttling"), FAILURE_NONE);
  assert_int_equal(aws(400, "ThrottlingExceptionX"), FAILURE_NONE);
  assert_int_equal(aws(400, "Throttl"), FAILURE_NONE);
  assert_int_equal(aws(400, ""), FAILURE_NONE);
}

static void transient_codes(void **state) {
  (void)state;
  static const char *const codes[] = {"RequestTimeout", "RequestTimeoutException",
                                      "PriorRequestNotComplete"};
  for (size_t i = 0; i < N(codes); i++) {
    assert_int_equal(aws(400, codes[i]), FAILURE_TRANSIENT);
    assert_int_equal(aws(408, codes[i]), FAILURE_TRANSIENT);
  }
  static const long statuses[] = {500, 502, 503, 504};
  for (size_t i = 0; i < N(statuses); i++) {
    assert_int_equal(aws(statuses[i], NULL), FAILURE_TRANSIENT);
    assert_int_equal(aws(statuses[i], "InternalServerError"), FAILURE_TRANSIENT);
    assert_int_equal(aws(statuses[i], "ServiceUnavailable"), FAILURE_TRANSIENT);
  }
  /* other 5xx are not in the list */
  assert_int_equal(aws(501, NULL), FAILURE_NONE);
  assert_int_equal(aws(505, NULL), FAILURE_NONE);
}

static void connection_failures(void **state) {
  (void)state;
  assert_int_equal(classify(UVAWS_ENETWORK, 0, NULL, NULL), FAILURE_CONNECTION);
  assert_int_equal(classify(UVAWS_ETIMEDOUT, 0, NULL, NULL), FAILURE_CONNECTION);
  /* cut mid-body after a 200 status line: still a connection failure */
  assert_int_equal(classify(UVAWS_ENETWORK, 200, NULL, NULL), FAILURE_CONNECTION);
  assert_int_equal(classify(UVAWS_ETIMEDOUT, 200, NULL, NULL), FAILURE_CONNECTION);
}

static void skew_codes(void **state) {
  (void)state;
  assert_int_equal(aws(400, "RequestTimeTooSkewed"), FAILURE_SKEW);
  assert_int_equal(aws(403, "RequestTimeTooSkewed"), FAILURE_SKEW);
  assert_int_equal(aws(400, "RequestExpired"), FAILURE_SKEW);
  assert_int_equal(aws(400, "RequestInTheFuture"), FAILURE_SKEW);
  assert_int_equal(classify(UVAWS_EAWS, 400, "InvalidSignatureException",
                            "Signature expired: 20240101T000000Z is now earlier than "
                            "20240101T001000Z (20240101T001500Z - 5 min.)"),
                   FAILURE_SKEW);
  /* InvalidSignatureException for any other reason is a bad signature */
  assert_int_equal(classify(UVAWS_EAWS, 400, "InvalidSignatureException",
                            "The request signature we calculated does not match"),
                   FAILURE_NONE);
  assert_int_equal(classify(UVAWS_EAWS, 400, "InvalidSignatureException", NULL), FAILURE_NONE);
  assert_int_equal(classify(UVAWS_EAWS, 400, "SignatureDoesNotMatch", "Signature expired"),
                   FAILURE_NONE);
}

static void not_retried(void **state) {
  (void)state;
  assert_int_equal(retry_classify(NULL), FAILURE_NONE);
  uvaws_error_t zero = {0};
  assert_int_equal(retry_classify(&zero), FAILURE_NONE);
  static const char *const types[] = {
      "ValidationException",       "ResourceNotFoundException",
      "ConditionalCheckFailedException", "AccessDeniedException",
      "ExpiredTokenException",     "UnrecognizedClientException",
      "InternalServerError",       "SerializationException",
  };
  static const long client_statuses[] = {400, 401, 403, 404, 409, 413};
  for (size_t i = 0; i < N(types); i++)
    for (size_t k = 0; k < N(client_statuses); k++)
      assert_int_equal(aws(client_statuses[k], types[i]), FAILURE_NONE);
  static const long statuses[] = {0, 100, 200, 204, 301, 304, 400, 401, 403, 404, 405, 413, 499};
  for (size_t k = 0; k < N(statuses); k++)
    assert_int_equal(aws(statuses[k], NULL), FAILURE_NONE);
  /* failures that retrying cannot mend, whatever status or type came along */
  static const int codes[] = {UVAWS_ETLS,     UVAWS_ETOOBIG, UVAWS_ECANCELED, UVAWS_EPROTOCOL,
                              UVAWS_ECLOSED,  UVAWS_ENOMEM,  UVAWS_EINVAL,    UVAWS_ECREDS,
                              UVAWS_ENOCREDS, UVAWS_ENOREGION, UVAWS_EQUEUEFULL};
  for (size_t i = 0; i < N(codes); i++) {
    assert_int_equal(classify(codes[i], 0, NULL, NULL), FAILURE_NONE);
    assert_int_equal(classify(codes[i], 503, NULL, NULL), FAILURE_NONE);
    assert_int_equal(classify(codes[i], 429, "Throttling", NULL), FAILURE_NONE);
  }
}

/* ---- backoff, attempts, quota ------------------------------------------------ */

static void defaults(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 0);
  assert_int_equal(p.max_attempts, 3);
  assert_int_equal(p.quota, RETRY_QUOTA_INITIAL);
  assert_int_equal(p.quota, 500);
  assert_true(p.base_delay_s == 1.0);
  assert_true(p.max_delay_s == 20.0);
  assert_int_equal(p.mode, RETRY_STANDARD);
  assert_false(p.limiter_enabled);
  retry_policy_init(&p, RETRY_ADAPTIVE, 7);
  assert_int_equal(p.max_attempts, 7);
  assert_int_equal(p.mode, RETRY_ADAPTIVE);
}

static void backoff_full_jitter(void **state) {
  (void)state;
  static const double rs[] = {0.0, 1e-9, 0.25, 0.5, 0.75, 0.999999};
  static const double bases[] = {0.005, 0.1, 1.0};
  for (size_t b = 0; b < N(bases); b++) {
    for (unsigned attempt = 1; attempt < 40; attempt++) {
      for (size_t i = 0; i < N(rs); i++) {
        retry_policy_t p;
        retry_policy_init(&p, RETRY_STANDARD, 100);
        p.base_delay_s = bases[b];
        p.max_delay_s = 20.0;
        int cost;
        double delay;
        assert_true(retry_decide(&p, FAILURE_TRANSIENT, attempt, rs[i], &cost, &delay));
        double want = rs[i] * bases[b] * pow(2.0, attempt - 1);
        if (want > 20.0)
          want = 20.0;
        assert_true(fabs(delay - want) < 1e-9);
        assert_true(delay >= 0 && delay <= 20.0);
        /* never more than the uncapped ceiling base × 2^(attempt-1) */
        assert_true(delay <= bases[b] * pow(2.0, attempt - 1));
      }
    }
  }
  /* the ceiling doubles per attempt until the cap */
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 100);
  p.base_delay_s = 0.005;
  p.max_delay_s = 0.05;
  int cost;
  double d1, d2, d3, d5;
  retry_decide(&p, FAILURE_TRANSIENT, 1, 0.999999, &cost, &d1);
  retry_decide(&p, FAILURE_TRANSIENT, 2, 0.999999, &cost, &d2);
  retry_decide(&p, FAILURE_TRANSIENT, 3, 0.999999, &cost, &d3);
  retry_decide(&p, FAILURE_TRANSIENT, 5, 0.999999, &cost, &d5);
  assert_true(d1 < 0.005 && d1 > 0.00499);
  assert_true(d2 < 0.010 && d2 > 0.00999);
  assert_true(d3 < 0.020 && d3 > 0.01999);
  assert_true(d5 == 0.05); /* 0.08 capped */
  /* huge attempts: no overflow, no NaN, always the cap (even with r = 0 × inf) */
  double d;
  assert_true(retry_decide(&p, FAILURE_CONNECTION, 99, 0.5, &cost, &d));
  assert_true(d == 0.05);
  retry_policy_init(&p, RETRY_STANDARD, 5000);
  assert_true(retry_decide(&p, FAILURE_THROTTLE, 4000, 0.0, &cost, &d));
  assert_false(isnan(d));
  assert_true(d >= 0 && d <= 20.0);
  assert_true(retry_decide(&p, FAILURE_THROTTLE, 4000, 0.9, &cost, &d));
  assert_true(d == 20.0);
  /* jitter spreads: a range of r gives a range of delays, never above the ceiling */
  double lo = 1e9, hi = 0;
  for (int i = 0; i < 1000; i++) {
    retry_policy_init(&p, RETRY_STANDARD, 3);
    retry_decide(&p, FAILURE_TRANSIENT, 2, i / 1000.0, &cost, &d);
    lo = d < lo ? d : lo;
    hi = d > hi ? d : hi;
  }
  assert_true(lo == 0.0);
  assert_true(hi > 1.99 && hi < 2.0);
}

static void skew_waits_nothing(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 3);
  int cost;
  double delay;
  assert_true(retry_decide(&p, FAILURE_SKEW, 1, 0.9, &cost, &delay));
  assert_true(delay == 0.0);
  assert_int_equal(cost, RETRY_COST);
  assert_int_equal(p.quota, 500 - RETRY_COST);
}

static void max_attempts(void **state) {
  (void)state;
  static const failure_t kinds[] = {FAILURE_THROTTLE, FAILURE_TRANSIENT, FAILURE_CONNECTION,
                                    FAILURE_SKEW};
  for (unsigned max = 1; max <= 6; max++)
    for (size_t k = 0; k < N(kinds); k++) {
      retry_policy_t p;
      retry_policy_init(&p, RETRY_STANDARD, max);
      for (unsigned attempt = 1; attempt <= max + 2; attempt++) {
        int cost = -1;
        double delay = -1;
        int yes = retry_decide(&p, kinds[k], attempt, 0.5, &cost, &delay);
        assert_int_equal(yes, attempt < max);
        if (!yes) {
          assert_int_equal(cost, 0);
          assert_true(delay == 0.0);
        }
      }
    }
  /* max_attempts 1: nothing is ever retried, and the quota is untouched */
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 1);
  int cost;
  double delay;
  for (size_t k = 0; k < N(kinds); k++)
    assert_false(retry_decide(&p, kinds[k], 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 500);
  /* a success or an error that is never retried: no retry at any attempt */
  retry_policy_init(&p, RETRY_STANDARD, 10);
  assert_false(retry_decide(&p, FAILURE_NONE, 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 500);
}

static void quota_costs_and_refunds(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 3);
  int cost;
  double delay;
  assert_true(retry_decide(&p, FAILURE_TRANSIENT, 1, 0.5, &cost, &delay));
  assert_int_equal(cost, 5);
  assert_int_equal(p.quota, 495);
  assert_true(retry_decide(&p, FAILURE_CONNECTION, 1, 0.5, &cost, &delay));
  assert_int_equal(cost, 10);
  assert_int_equal(p.quota, 485);
  /* throttles are free: backing off (and adaptive mode) is their remedy */
  for (int i = 0; i < 1000; i++) {
    assert_true(retry_decide(&p, FAILURE_THROTTLE, 1, 0.5, &cost, &delay));
    assert_int_equal(cost, 0);
  }
  assert_int_equal(p.quota, 485);
  /* a success gives back what its retries cost ... */
  retry_on_success(&p, 15);
  assert_int_equal(p.quota, 500);
  /* ... never above the initial quota ... */
  retry_on_success(&p, 10);
  assert_int_equal(p.quota, 500);
  retry_on_success(&p, 0);
  assert_int_equal(p.quota, 500);
  /* ... and 1 when it needed no retry */
  assert_true(retry_decide(&p, FAILURE_TRANSIENT, 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 495);
  retry_on_success(&p, 0);
  assert_int_equal(p.quota, 496);
  retry_on_success(&p, 0);
  assert_int_equal(p.quota, 497);
}

static void quota_exhaustion(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 3);
  int cost;
  double delay;
  int granted = 0;
  while (retry_decide(&p, FAILURE_TRANSIENT, 1, 0.5, &cost, &delay))
    granted++;
  assert_int_equal(granted, 500 / RETRY_COST);
  assert_int_equal(p.quota, 0);
  /* refused: no cost, no wait, the quota never goes negative */
  for (int i = 0; i < 10; i++) {
    assert_false(retry_decide(&p, FAILURE_TRANSIENT, 1, 0.5, &cost, &delay));
    assert_false(retry_decide(&p, FAILURE_CONNECTION, 1, 0.5, &cost, &delay));
    assert_false(retry_decide(&p, FAILURE_SKEW, 1, 0.5, &cost, &delay));
    assert_int_equal(cost, 0);
    assert_true(delay == 0.0);
    assert_int_equal(p.quota, 0);
  }
  /* throttles still go */
  assert_true(retry_decide(&p, FAILURE_THROTTLE, 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 0);
  /* successes refill it, one token each */
  for (int i = 0; i < 7; i++)
    retry_on_success(&p, 0);
  assert_int_equal(p.quota, 7);
  /* enough for a 5-token retry, not for a 10-token one */
  assert_false(retry_decide(&p, FAILURE_CONNECTION, 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 7);
  assert_true(retry_decide(&p, FAILURE_TRANSIENT, 1, 0.5, &cost, &delay));
  assert_int_equal(p.quota, 2);
  /* connection retries alone: 50 of them drain a full quota */
  retry_policy_init(&p, RETRY_STANDARD, 3);
  granted = 0;
  while (retry_decide(&p, FAILURE_CONNECTION, 2, 0.5, &cost, &delay))
    granted++;
  assert_int_equal(granted, 500 / RETRY_TIMEOUT_COST);
  assert_int_equal(p.quota, 0);
  /* full recovery */
  for (int i = 0; i < 1000; i++)
    retry_on_success(&p, 0);
  assert_int_equal(p.quota, 500);
}

/* ---- adaptive mode ------------------------------------------------------------ */

/* Feeds `n` answers spaced `dt` apart from *now on. */
static void feed(retry_policy_t *p, double *now, int n, double dt, int throttled) {
  for (int i = 0; i < n; i++) {
    *now += dt;
    retry_update_rate(p, throttled, *now);
  }
}

static void standard_has_no_limiter(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_STANDARD, 3);
  double now = 100;
  feed(&p, &now, 100, 0.01, 1); /* throttled every time */
  assert_false(p.limiter_enabled);
  for (int i = 0; i < 1000; i++)
    assert_true(retry_acquire(&p, now) == 0.0);
}

static void adaptive_limiter(void **state) {
  (void)state;
  retry_policy_t p;
  retry_policy_init(&p, RETRY_ADAPTIVE, 3);
  double now = 100;
  /* no throttle yet: the limiter is off and sending is free */
  feed(&p, &now, 1000, 0.01, 0); /* 100 answers/s for 10 s */
  assert_false(p.limiter_enabled);
  for (int i = 0; i < 1000; i++)
    assert_true(retry_acquire(&p, now) == 0.0);
  double measured = p.measured_rate;
  assert_true(measured > 90 && measured < 110);

  /* the first throttle turns it on at β × the measured rate (same half-second
   * bucket as the last answer, so the measurement is unchanged) */
  double bucket = floor(now * 2) / 2;
  now += 0.001;
  assert_true(floor(now * 2) / 2 == bucket);
  retry_update_rate(&p, 1, now);
  assert_true(p.limiter_enabled);
  assert_true(fabs(p.measured_rate - measured) < 1e-9);
  assert_true(fabs(p.fill_rate - 0.7 * measured) < 1e-9);
  assert_true(fabs(p.last_max_rate - measured) < 1e-9);
  double after_throttle = p.fill_rate;

  /* the bucket starts empty: acquire says wait, a positive time that lets one
   * token in; after that wait a token is there */
  double w = retry_acquire(&p, now);
  assert_true(w > 0);
  assert_true(w <= 1.0 / p.fill_rate + 1e-9);
  now += w + 1e-6;
  assert_true(retry_acquire(&p, now) == 0.0);
  /* empty again */
  assert_true(retry_acquire(&p, now) > 0);
  /* draining: at most fill_rate × seconds + capacity tokens per second */
  double t0 = now;
  int sent = 0;
  while (now < t0 + 1.0) {
    double wait = retry_acquire(&p, now);
    if (wait == 0.0)
      sent++;
    else
      now += fmax(wait, 1e-4); /* as the client: a timer of at least 1 ms */
  }
  assert_true(sent <= (int)ceil(p.fill_rate * 1.0) + 2);
  assert_true(sent >= (int)floor(after_throttle * 0.5));

  /* a second throttle drops it again by β, from min(measured, fill) */
  double fill_before = p.fill_rate;
  retry_update_rate(&p, 1, now);
  double m2 = p.measured_rate; /* measured first, then used */
  double use = fmin(m2, fill_before);
  assert_true(fabs(p.fill_rate - fmax(fmin(0.7 * use, 2 * m2), 0.5)) < 1e-9);
  assert_true(fabs(p.last_max_rate - use) < 1e-9);
  assert_true(p.fill_rate < fill_before);
  double low = p.fill_rate;

  /* successes afterwards: CUBIC growth back past the old rate (bounded by
   * twice the measured rate) */
  double prev = low;
  int grew = 0;
  for (int s = 0; s < 20; s++) {
    feed(&p, &now, 100, 0.01, 0); /* one second at 100 answers/s */
    assert_true(p.fill_rate >= 0.5);
    assert_true(p.fill_rate <= 2 * p.measured_rate + 1e-9);
    if (p.fill_rate > prev + 1e-9)
      grew++;
    prev = p.fill_rate;
  }
  assert_true(grew >= 3);
  assert_true(p.fill_rate > low);
  assert_true(p.fill_rate >= measured * 0.95);
  /* sending is throttled by the bucket, but at the grown rate */
  assert_true(p.max_capacity >= 1.0);
}

static void adaptive_floor(void **state) {
  (void)state;
  /* a throttle before anything was measured: the rate floor (0.5/s) */
  retry_policy_t p;
  retry_policy_init(&p, RETRY_ADAPTIVE, 3);
  retry_update_rate(&p, 1, 100.1);
  assert_true(p.limiter_enabled);
  assert_true(p.fill_rate == 0.5);
  assert_true(p.max_capacity == 1.0);
  double w = retry_acquire(&p, 100.1);
  assert_true(w > 0 && w <= 2.0 + 1e-9);
  /* repeated throttles never take it below the floor nor make it NaN */
  double now = 100.1;
  feed(&p, &now, 200, 0.05, 1);
  assert_true(p.fill_rate >= 0.5);
  assert_false(isnan(p.fill_rate));
  w = retry_acquire(&p, now);
  assert_false(isnan(w));
  assert_true(w >= 0 && w <= 2.0 + 1e-9);
}

static void mode_names(void **state) {
  (void)state;
  assert_int_equal(retry_mode_parse("standard"), RETRY_STANDARD);
  assert_int_equal(retry_mode_parse("STANDARD"), RETRY_STANDARD);
  assert_int_equal(retry_mode_parse("legacy"), RETRY_STANDARD);
  assert_int_equal(retry_mode_parse("Legacy"), RETRY_STANDARD);
  assert_int_equal(retry_mode_parse("adaptive"), RETRY_ADAPTIVE);
  assert_int_equal(retry_mode_parse("Adaptive"), RETRY_ADAPTIVE);
  assert_int_equal(retry_mode_parse(NULL), -1);
  assert_int_equal(retry_mode_parse(""), -1);
  assert_int_equal(retry_mode_parse("fast"), -1);
  assert_int_equal(retry_mode_parse("standard "), -1);
  assert_int_equal(retry_mode_parse("adapt"), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(throttling_codes),
      cmocka_unit_test(transient_codes),
      cmocka_unit_test(connection_failures),
      cmocka_unit_test(skew_codes),
      cmocka_unit_test(not_retried),
      cmocka_unit_test(defaults),
      cmocka_unit_test(backoff_full_jitter),
      cmocka_unit_test(skew_waits_nothing),
      cmocka_unit_test(max_attempts),
      cmocka_unit_test(quota_costs_and_refunds),
      cmocka_unit_test(quota_exhaustion),
      cmocka_unit_test(standard_has_no_limiter),
      cmocka_unit_test(adaptive_limiter),
      cmocka_unit_test(adaptive_floor),
      cmocka_unit_test(mode_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
