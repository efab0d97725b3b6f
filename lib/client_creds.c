/* The gate in front of dispatch: a request is signed only when the region is
 * known and the credentials are good for a while yet. Whatever is missing is
 * fetched once, however many requests wait, and they are dispatched when it
 * arrives; temporary credentials are refreshed in the background before they
 * expire, and requests wait only in the last stretch before expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_priv.h"
#include "config.h"
#include "rfc3339.h"

/* Refresh windows, from the credentials' lifetime: hour-long credentials are
 * refreshed in the background from 5 minutes before expiry and are not
 * signed with in their last minute; credentials that live seconds (tests)
 * scale down. The lifetime is the longest a source has handed out, so a
 * source that once gave an hour and now answers with 30 s left is inside
 * the window, not a new normal. */
#define ADVISORY_MAX_S 300
#define MANDATORY_MAX_S 60
/* After a failed or refused fetch the source is not asked again for a
 * while, doubling with each failure in a row: never a refetch loop. */
#define HOLD_FIRST_MS 1000
#define HOLD_MAX_MS 30000

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static int64_t mandatory_for(int64_t life) { return max64(1, min64(MANDATORY_MAX_S, life / 4)); }
static int64_t advisory_for(int64_t life) { return min64(ADVISORY_MAX_S, life / 2); }

static int64_t life_of(const uvaws_client_t *c) {
  return max64(max64(c->creds_life, c->creds.expiration - c->creds_fetched_at), 1);
}

static int creds_usable(const uvaws_client_t *c, int64_t now) {
  return c->creds.access_key != NULL &&
         (c->creds.expiration == 0 || c->creds.expiration - now > mandatory_for(life_of(c)));
}

/* Milliseconds of a monotonic clock read now: not the loop's cached time,
 * which stands still while callbacks keep submitting requests that fail at
 * once (they all run in one pass of the loop). */
static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

static int held_off(const uvaws_client_t *c) {
  return c->creds_failures > 0 && now_ms() < c->creds_hold_until;
}

static uint64_t hold_off(uvaws_client_t *c) {
  unsigned shift = c->creds_failures < 6 ? c->creds_failures : 6;
  uint64_t ms = (uint64_t)HOLD_FIRST_MS << shift;
  if (ms > HOLD_MAX_MS)
    ms = HOLD_MAX_MS;
  c->creds_failures++;
  c->creds_hold_until = now_ms() + ms;
  return ms;
}

static void on_creds(void *arg, creds_t *creds, const uvaws_error_t *err);

static void start_refresh(uvaws_client_t *c) {
  if (c->creds_refreshing || c->closing)
    return;
  int rc = creds_chain_fetch(c->chain, on_creds, c);
  if (rc == 0) {
    c->creds_refreshing = 1;
    client_log(c, UVAWS_LOG_DEBUG, "fetching credentials");
    return;
  }
  uvaws_error_t e = {0};
  uvaws_error_set(&e, rc, "cannot start fetching credentials: %s", uvaws_strerror(rc));
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
}

/* Credentials that arrive expired or inside the window in which they are
 * not signed with are refused (and the source held off): taking them would
 * only fetch them again at once. *e gets the reason. */
static int refuse_on_arrival(uvaws_client_t *c, const creds_t *creds, int64_t now,
                             uvaws_error_t *e) {
  int64_t remaining = creds->expiration - now;
  int64_t window = mandatory_for(max64(max64(c->creds_life, remaining), 1));
  if (creds->expiration == 0 || remaining > window)
    return 0;
  unsigned long long ms = hold_off(c);
  char when[RFC3339_TEXT_MAX];
  rfc3339_format(creds->expiration, when);
  const char *from = creds_chain_source_name(c->chain);
  if (remaining <= 0)
    uvaws_error_set(e, UVAWS_ECREDS,
                    "%s answered credentials that expired at %s (%lld s ago); %s is not asked "
                    "again for %llu ms", from, when, (long long)-remaining, from, ms);
  else
    uvaws_error_set(e, UVAWS_ECREDS,
                    "%s answered credentials that expire at %s, in %lld s: inside the last "
                    "%lld s before expiry, in which uvaws does not sign with them; %s is not "
                    "asked again for %llu ms", from, when, (long long)remaining,
                    (long long)window, from, ms);
  return 1;
}

static void on_creds(void *arg, creds_t *creds, const uvaws_error_t *err) {
  uvaws_client_t *c = arg;
  c->creds_refreshing = 0;
  int64_t now = client_now(c);
  uvaws_error_t refused = {0};
  if (creds != NULL && refuse_on_arrival(c, creds, now, &refused)) {
    creds_clear(creds);
    creds = NULL;
    err = &refused;
  }
  if (creds != NULL) {
    int64_t remaining = creds->expiration - now;
    creds_clear(&c->creds);
    c->creds = *creds;
    memset(creds, 0, sizeof *creds); /* moved */
    c->creds_fetched_at = now;
    c->creds_gen++;
    uvaws_error_clear(&c->creds_error);
    if (c->creds.expiration == 0) {
      c->creds_failures = 0;
      client_log(c, UVAWS_LOG_INFO, "credentials for %s", c->creds.access_key);
    } else if (remaining <= advisory_for(max64(c->creds_life, remaining))) {
      /* Usable, but due for a refresh already: not at once, or each answer
       * would ask for the next. */
      unsigned long long ms = hold_off(c);
      client_log(c, UVAWS_LOG_WARN, "credentials for %s from %s expire in %lld s already: "
                 "refreshed again in %llu ms at the earliest", c->creds.access_key,
                 creds_chain_source_name(c->chain), (long long)remaining, ms);
    } else {
      c->creds_failures = 0;
      c->creds_life = max64(c->creds_life, remaining);
      client_log(c, UVAWS_LOG_INFO, "credentials for %s, expiring in %lld s",
                 c->creds.access_key, (long long)remaining);
    }
  } else {
    if (refused.code == 0)
      hold_off(c);
    uvaws_error_clear(&c->creds_error);
    if (uvaws_error_copy(&c->creds_error, err) != 0)
      uvaws_error_set(&c->creds_error, err->code, "out of memory copying the error");
    const char *why = err->detail ? err->detail : uvaws_strerror(err->code);
    if (creds_usable(c, now)) {
      /* The current ones still work: keep them, try again a little later. */
      client_log(c, UVAWS_LOG_WARN, "refreshing credentials failed, keeping the current ones: %s",
                 why);
    } else {
      client_log(c, UVAWS_LOG_ERROR, "no credentials: %s", why);
      client_fail_queued(c, err);
    }
  }
  uvaws_error_clear(&refused);
  client_dispatch_more(c);
}

/* No credentials to sign with, and the source may not be asked yet: the
 * requests that wait end now, with the last failure. */
static void fail_held_off(uvaws_client_t *c) {
  if (list_empty(&c->queue))
    return;
  uint64_t now = now_ms();
  unsigned long long left = c->creds_hold_until > now ? c->creds_hold_until - now : 0;
  uvaws_error_t e = {0};
  if (c->creds_error.code != 0)
    uvaws_error_set(&e, c->creds_error.code, "%s (credentials are not fetched again for "
                    "another %llu ms)", c->creds_error.detail ? c->creds_error.detail
                    : uvaws_strerror(c->creds_error.code), left);
  else /* taken near their expiry, or dropped after AWS refused them */
    uvaws_error_set(&e, UVAWS_ECREDS, "the credentials from %s cannot be used any more and were "
                    "fetched moments ago: not fetched again for another %llu ms",
                    creds_chain_source_name(c->chain), left);
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
}

/* Static credentials with an expiry (AWS_CREDENTIAL_EXPIRATION) are never
 * refreshed: once in their last window, requests end. */
static void static_expired(uvaws_client_t *c, int64_t now) {
  char when[RFC3339_TEXT_MAX];
  rfc3339_format(c->creds.expiration, when);
  uvaws_error_t e = {0};
  int64_t remaining = c->creds.expiration - now;
  uvaws_error_set(&e, UVAWS_ECREDS,
                  "the credentials from the environment %s at %s (AWS_CREDENTIAL_EXPIRATION, "
                  "%lld s %s); static credentials are not refreshed: set new ones",
                  remaining <= 0 ? "expired" : "expire", when,
                  (long long)(remaining <= 0 ? -remaining : remaining),
                  remaining <= 0 ? "ago" : "from now, too close to use");
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
}

static void on_region(void *arg, const char *region, const uvaws_error_t *err) {
  uvaws_client_t *c = arg;
  c->region_fetching = 0;
  uvaws_error_t e = {0};
  int rc = 0;
  if (region == NULL) {
    uvaws_error_set(&e, UVAWS_ENOREGION,
                    "no region: tried the region option, AWS_REGION, AWS_DEFAULT_REGION, the "
                    "profile, and instance metadata: %s",
                    err && err->detail ? err->detail : "no answer");
    rc = UVAWS_ENOREGION;
  } else if ((c->region = strdup(region)) == NULL) {
    rc = uvaws_error_set(&e, UVAWS_ENOMEM, "copying the region");
  } else if (c->base_url == NULL) {
    char url[512];
    if (c->endpoint)
      snprintf(url, sizeof url, "%s", c->endpoint);
    else
      snprintf(url, sizeof url, "https://%s.%s.%s", c->endpoint_prefix, region,
               config_dns_suffix(region));
    rc = client_set_endpoint(c, url, &e);
  }
  if (rc != 0) {
    client_log(c, UVAWS_LOG_ERROR, "%s", e.detail ? e.detail : uvaws_strerror(rc));
    client_fail_queued(c, &e);
  } else {
    client_log(c, UVAWS_LOG_INFO, "region %s from instance metadata", region);
  }
  uvaws_error_clear(&e);
  client_dispatch_more(c);
}

static void start_region(uvaws_client_t *c) {
  if (c->region_fetching || c->closing)
    return;
  int rc = creds_chain_fetch_region(c->chain, on_region, c);
  if (rc == 0) {
    c->region_fetching = 1;
    return;
  }
  uvaws_error_t e = {0};
  uvaws_error_set(&e, UVAWS_ENOREGION, "no region, and instance metadata cannot be asked: %s",
                  uvaws_strerror(rc));
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
}

int client_ready(uvaws_client_t *c) {
  if (c->region == NULL || c->base_url == NULL) {
    start_region(c);
    return 0;
  }
  int64_t now = client_now(c);
  if (c->creds_static) {
    if (c->creds.expiration == 0 || creds_usable(c, now))
      return 1;
    static_expired(c, now);
    return 0;
  }
  int usable = creds_usable(c, now);
  if (usable && (c->creds.expiration == 0 ||
                 c->creds.expiration - now > advisory_for(life_of(c))))
    return 1;
  /* A refresh is due: in the background while they still work, else the
   * requests wait for it. */
  if (!held_off(c))
    start_refresh(c);
  if (usable)
    return 1;
  if (!c->creds_refreshing)
    fail_held_off(c);
  return 0;
}

/* What AWS answers when the token or key is expired, revoked or unknown. */
static int is_auth_error(const char *type) {
  static const char *const types[] = {
      "ExpiredToken",       "ExpiredTokenException", "InvalidClientTokenId",
      "UnrecognizedClientException", "AuthFailure", "InvalidToken",
      "TokenRefreshRequired", "InvalidAccessKeyId", "InvalidSecurityToken",
  };
  for (size_t i = 0; i < sizeof types / sizeof *types; i++)
    if (strcmp(type, types[i]) == 0)
      return 1;
  return 0;
}

int client_auth_retry(uvaws_client_t *c, uvaws_job_t *j, const uvaws_error_t *err) {
  if (j->auth_retried || c->creds_static || c->chain == NULL || err->aws_type == NULL ||
      !is_auth_error(err->aws_type))
    return 0;
  j->auth_retried = 1;
  /* Drop them only if they are the ones this request used: a burst of such
   * answers must not throw away the fresh credentials the first one fetched. */
  if (j->creds_gen == c->creds_gen) {
    creds_clear(&c->creds);
    c->creds_gen++;
  }
  return 1;
}
