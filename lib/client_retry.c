/* Retries in the client: after each attempt, whether the request goes again
 * (and when), as the retry policy says; backoff waits on a uv_timer per
 * waiting request; retries re-enter at the head of the queue and are signed
 * again when dispatched. Also the one retry after an expired token (fresh
 * credentials) and after a clock-skew answer (corrected clock): neither
 * draws on the quota, but both count as retries and stay within
 * max_attempts, so max_attempts 1 really means "send once". */
#include <stdlib.h>
#include <string.h>

#include "client_priv.h"
#include "url.h"

struct backoff_s {
  uv_timer_t timer;
  uvaws_job_t *job; /* NULL once cancelled: the close callback only frees */
};

static double mono_s(void) { return (double)uv_hrtime() / 1e9; }

/* xorshift64*: jitter needs spread, not secrecy. */
static double random01(uvaws_client_t *c) {
  uint64_t x = c->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  c->rng = x;
  return (double)((x * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static void backoff_unlink(uvaws_client_t *c, uvaws_job_t *j) {
  list_remove(&j->link);
  c->backoff_count--;
}

static void on_backoff_closed(uv_handle_t *h) { free(h->data); }

static void on_backoff(uv_timer_t *t) {
  backoff_t *b = t->data;
  uvaws_job_t *j = b->job;
  uvaws_client_t *c = j->client;
  backoff_unlink(c, j);
  j->backoff = NULL;
  uv_close((uv_handle_t *)&b->timer, on_backoff_closed);
  client_requeue_front(c, j);
  client_dispatch_more(c);
}

void client_backoff_cancel(uvaws_client_t *c, uvaws_job_t *j) {
  backoff_t *b = j->backoff;
  backoff_unlink(c, j);
  j->backoff = NULL;
  b->job = NULL;
  uv_timer_stop(&b->timer);
  uv_close((uv_handle_t *)&b->timer, on_backoff_closed);
}

static int schedule(uvaws_client_t *c, uvaws_job_t *j, double delay_s) {
  if (delay_s <= 0) {
    client_requeue_front(c, j);
    return 1;
  }
  backoff_t *b = calloc(1, sizeof *b);
  if (b == NULL)
    return 0; /* deliver the failure rather than lose the request */
  uv_timer_init(c->loop, &b->timer);
  b->timer.data = b;
  b->job = j;
  j->backoff = b;
  job_set_state(j, JOB_BACKOFF);
  list_push_back(&c->backoff, &j->link);
  c->backoff_count++;
  uv_timer_start(&b->timer, on_backoff, (uint64_t)(delay_s * 1000.0 + 0.5), 0);
  return 1;
}

/* The largest clock correction taken from an answer: a day covers a clock
 * set to local time instead of UTC, or a missed daylight-saving change. A
 * Date further off (decades, year 9999) says more about the server than about
 * our clock: taking it would make every later request fail. */
#define MAX_SKEW_S (24 * 3600)
#define LAST_SIGNABLE_S INT64_C(253402300799) /* 9999-12-31T23:59:59Z */

/* Server time minus ours from the answer's Date header, if it is usable: 1
 * with *skew_s set, or 0 (no Date, unparsable, out of bounds: logged). */
static int skew_from(uvaws_client_t *c, const uvaws_job_t *j, const uvaws_response_t *res,
                     double *skew_s) {
  const char *date = uvaws_response_header(res, "Date");
  if (date == NULL)
    return 0;
  int64_t server = url_http_date(date);
  int64_t now = client_now(c), skew = server - now;
  if (server < 0 || skew > MAX_SKEW_S || skew < -MAX_SKEW_S || now + skew < 0 ||
      now + skew > LAST_SIGNABLE_S) {
    client_log(c, UVAWS_LOG_WARN,
               "%s %s: clock-skew answer with Date \"%.64s\", %s: not corrected", j->method,
               j->path, date, server < 0 ? "which does not parse" : "more than a day off");
    return 0;
  }
  *skew_s = (double)skew;
  return 1;
}

int client_retry_after(uvaws_client_t *c, uvaws_job_t *j, const uvaws_response_t *res) {
  const uvaws_error_t *err = res->error;
  failure_t f = retry_classify(err);
  if (res->status > 0)
    retry_update_rate(&c->retry, f == FAILURE_THROTTLE, mono_s());
  if (err == NULL) {
    retry_on_success(&c->retry, j->retry_cost);
    return 0;
  }
  /* max_attempts bounds every retry, these two included: 1 means "send once". */
  int may_retry = j->attempts < c->retry.max_attempts;
  if (may_retry && err->code == UVAWS_EAWS && client_auth_retry(c, j, err)) {
    client_log(c, UVAWS_LOG_INFO, "%s %s: %s, retrying once with fresh credentials", j->method,
               j->path, err->aws_type);
    uvaws_error_clear(&j->error);
    c->stats.retries++;
    client_requeue_front(c, j);
    return 1;
  }
  if (f == FAILURE_SKEW) {
    double skew;
    if (!may_retry || j->skew_retried || !skew_from(c, j, res, &skew))
      return 0;
    j->skew_retried = 1;
    c->clock_skew_s = skew;
    client_log(c, UVAWS_LOG_WARN, "%s %s: %s; the server's clock is %+.0f s from ours, "
               "correcting and retrying once", j->method, j->path, err->aws_type, skew);
    uvaws_error_clear(&j->error);
    c->stats.retries++;
    client_requeue_front(c, j);
    return 1;
  }
  int cost;
  double delay;
  if (!retry_decide(&c->retry, f, j->attempts, random01(c), &cost, &delay)) {
    if (f != FAILURE_NONE && j->attempts < c->retry.max_attempts)
      client_log(c, UVAWS_LOG_WARN, "%s %s: not retried, the retry quota is spent", j->method,
                 j->path);
    return 0;
  }
  if (client_deadline_passes(j, delay)) {
    retry_on_success(&c->retry, cost);
    client_log(c, UVAWS_LOG_INFO, "%s %s: not retried, the request's deadline comes first",
               j->method, j->path);
    return 0;
  }
  client_log(c, UVAWS_LOG_INFO, "%s %s: attempt %u failed (%s), retrying in %.0f ms", j->method,
             j->path, j->attempts, err->aws_type ? err->aws_type : uvaws_err_name(err->code),
             delay * 1000);
  if (!schedule(c, j, delay)) {
    retry_on_success(&c->retry, cost); /* give the tokens back: no retry after all */
    return 0;
  }
  j->retry_cost += cost;
  uvaws_error_clear(&j->error);
  c->stats.retries++;
  return 1;
}

static void on_rate(uv_timer_t *t) { client_dispatch_more(t->data); }

int client_rate_gate(uvaws_client_t *c) {
  double wait = retry_acquire(&c->retry, mono_s());
  if (wait <= 0)
    return 1;
  if (!uv_is_active((uv_handle_t *)&c->rate_timer))
    uv_timer_start(&c->rate_timer, on_rate, (uint64_t)(wait * 1000.0) + 1, 0);
  return 0;
}

int client_retry_setup(uvaws_client_t *c, const uvaws_client_options_t *o, const char *cfg_mode,
                       int cfg_max_attempts, uvaws_error_t *err) {
  const char *mode_text = o->retry_mode ? o->retry_mode : cfg_mode;
  int mode = mode_text ? retry_mode_parse(mode_text) : RETRY_STANDARD;
  if (mode < 0)
    return uvaws_error_set(err, UVAWS_EINVAL, "retry mode \"%s\": want standard or adaptive",
                           mode_text);
  unsigned attempts = o->max_attempts ? o->max_attempts
                      : cfg_max_attempts > 0 ? (unsigned)cfg_max_attempts : 3;
  retry_policy_init(&c->retry, (retry_mode_t)mode, attempts);
  if (o->retry_base_delay_ms)
    c->retry.base_delay_s = o->retry_base_delay_ms / 1000.0;
  if (o->retry_max_delay_ms)
    c->retry.max_delay_s = o->retry_max_delay_ms / 1000.0;
  client_log(c, UVAWS_LOG_DEBUG, "retries: %s mode, at most %u attempts, backoff %.0f ms to %.0f ms",
             mode == RETRY_ADAPTIVE ? "adaptive" : "standard", c->retry.max_attempts,
             c->retry.base_delay_s * 1000, c->retry.max_delay_s * 1000);
  c->rng = uv_hrtime() ^ (uint64_t)(uintptr_t)c ^ 0x9E3779B97F4A7C15ULL;
  if (c->rng == 0)
    c->rng = 1;
  return 0;
}
