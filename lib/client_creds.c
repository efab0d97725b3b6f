/* The gate in front of dispatch: a request is signed only when the region is
 * known and the credentials are good for a while yet. Whatever is missing is
 * fetched once, however many requests wait, and they are dispatched when it
 * arrives; temporary credentials are refreshed in the background before they
 * expire, and requests wait only in the last stretch before expiry. All of
 * it works on any provider (uvaws/credentials.h): the answers of one that is
 * not uvaws's own are checked like any other, and one that answers from
 * inside its fetch is answered after the fetch returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_priv.h"
#include "config.h"
#include "creds_check.h"
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

static int fixed(const uvaws_client_t *c) {
  return c->provider != NULL && (c->provider->flags & UVAWS_CREDS_FIXED) != 0;
}

static const char *source_name(const uvaws_client_t *c) {
  return c->provider != NULL && c->provider->name != NULL ? c->provider->name
                                                          : "the credential provider";
}

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

static void on_creds(const uvaws_credentials_t *creds, const uvaws_error_t *err, void *arg);
static void take_answer(uvaws_client_t *c, creds_t *creds, const uvaws_error_t *err);

static void start_refresh(uvaws_client_t *c) {
  if (c->creds_refreshing || c->closing)
    return;
  c->creds_refreshing = 1;
  c->creds_in_fetch = 1;
  void *handle = NULL;
  int rc = uvaws_creds_fetch(c->provider, on_creds, c, &handle);
  c->creds_in_fetch = 0;
  if (rc != 0) {
    c->creds_refreshing = 0;
    creds_clear(&c->kept_creds); /* a provider that answered and failed: its error wins */
    uvaws_error_clear(&c->kept_error);
    c->creds_kept = 0;
    uvaws_error_t e = {0};
    uvaws_error_set(&e, rc, "cannot start fetching credentials from %s: %s", source_name(c),
                    uvaws_strerror(rc));
    client_fail_queued(c, &e);
    uvaws_error_clear(&e);
    return;
  }
  if (c->creds_refreshing) {
    c->creds_handle = handle;
    client_log(c, UVAWS_LOG_DEBUG, "fetching credentials from %s", source_name(c));
  } else if (c->creds_kept) { /* answered from inside the fetch: taken now */
    c->creds_kept = 0;
    take_answer(c, &c->kept_creds, c->kept_error.code ? &c->kept_error : NULL);
    creds_clear(&c->kept_creds);
    uvaws_error_clear(&c->kept_error);
  }
  client_update_alive(c);
}

/* A provider's answer in the client's own form: credentials checked as the
 * built-in sources check theirs, or the error (one for a provider that
 * answered neither). 0, or -1 with *e set. */
static int copy_answer(uvaws_client_t *c, const uvaws_credentials_t *in,
                       const uvaws_error_t *err, creds_t *out, uvaws_error_t *e) {
  memset(out, 0, sizeof *out);
  const char *why = NULL;
  if (in == NULL) {
    if (err == NULL || err->code == 0)
      uvaws_error_set(e, UVAWS_ECREDS, "%s answered neither credentials nor an error",
                      source_name(c));
    else if (uvaws_error_copy(e, err) != 0)
      uvaws_error_set(e, err->code, "out of memory copying the error");
    return -1;
  }
  if (creds_copy(out, in) != 0) {
    uvaws_error_set(e, UVAWS_ENOMEM, "copying the credentials from %s", source_name(c));
    return -1;
  }
  if (creds_check_fields(out, &why) != 0) {
    creds_clear(out);
    uvaws_error_set(e, UVAWS_ECREDS, "%s answered credentials that cannot be used: %s",
                    source_name(c), why);
    return -1;
  }
  return 0;
}

static void on_creds(const uvaws_credentials_t *creds, const uvaws_error_t *err, void *arg) {
  uvaws_client_t *c = arg;
  if (!c->creds_refreshing) {
    client_log(c, UVAWS_LOG_WARN, "%s answered a fetch that was not asked for: ignored",
               source_name(c));
    return;
  }
  c->creds_refreshing = 0;
  c->creds_handle = NULL;
  creds_t got;
  uvaws_error_t e = {0};
  int ok = copy_answer(c, creds, err, &got, &e) == 0;
  if (c->creds_in_fetch) { /* never act from inside the provider's fetch */
    c->kept_creds = got;
    c->kept_error = e;
    c->creds_kept = 1;
    return;
  }
  take_answer(c, ok ? &got : NULL, ok ? NULL : &e);
  creds_clear(&got);
  uvaws_error_clear(&e);
  client_update_alive(c);
  client_dispatch_more(c);
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
  const char *from = source_name(c);
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

/* What a fetch brought: credentials (taken) or the error. */
static void take_answer(uvaws_client_t *c, creds_t *creds, const uvaws_error_t *err) {
  if (creds != NULL && creds->access_key == NULL)
    creds = NULL; /* a kept failure */
  int64_t now = client_now(c);
  uvaws_error_t refused = {0};
  /* Fixed credentials are never fetched again: near their expiry, requests
   * end with client_ready's message instead. */
  if (creds != NULL && !fixed(c) && refuse_on_arrival(c, creds, now, &refused)) {
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
    if (c->creds.expiration == 0 || fixed(c)) {
      c->creds_failures = 0;
      client_log(c, UVAWS_LOG_INFO, "credentials for %s from %s", c->creds.access_key,
                 source_name(c));
    } else if (remaining <= advisory_for(max64(c->creds_life, remaining))) {
      /* Usable, but due for a refresh already: not at once, or each answer
       * would ask for the next. */
      unsigned long long ms = hold_off(c);
      client_log(c, UVAWS_LOG_WARN, "credentials for %s from %s expire in %lld s already: "
                 "refreshed again in %llu ms at the earliest", c->creds.access_key,
                 source_name(c), (long long)remaining, ms);
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
                    source_name(c), left);
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
}

/* Fixed credentials with an expiry (AWS_CREDENTIAL_EXPIRATION) are never
 * refreshed: 1 while they may be signed with; once in their last window,
 * the waiting requests end. */
static int fixed_ready(uvaws_client_t *c, int64_t now) {
  if (c->creds.expiration == 0 || creds_usable(c, now))
    return 1;
  char when[RFC3339_TEXT_MAX];
  rfc3339_format(c->creds.expiration, when);
  uvaws_error_t e = {0};
  int64_t remaining = c->creds.expiration - now;
  uvaws_error_set(&e, UVAWS_ECREDS,
                  "the credentials from %s %s at %s (%lld s %s); static credentials are not "
                  "refreshed: set new ones", source_name(c),
                  remaining <= 0 ? "expired" : "expire", when,
                  (long long)(remaining <= 0 ? -remaining : remaining),
                  remaining <= 0 ? "ago" : "from now, too close to use");
  client_fail_queued(c, &e);
  uvaws_error_clear(&e);
  return 0;
}

static void on_region(void *arg, const char *region, const char *detail) {
  uvaws_client_t *c = arg;
  c->region_op = NULL;
  c->region_fetching = 0;
  uvaws_error_t e = {0};
  int rc = 0;
  if (region == NULL) {
    uvaws_error_set(&e, UVAWS_ENOREGION,
                    "no region: tried the region option, AWS_REGION, AWS_DEFAULT_REGION, the "
                    "profile, and instance metadata: %s",
                    detail && detail[0] ? detail : "no answer");
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
  int rc = UVAWS_ENOREGION;
  c->region_op = c->imds ? imds_fetch_region(c->imds, on_region, c, &rc) : NULL;
  if (c->region_op != NULL) {
    c->region_fetching = 1;
    client_update_alive(c);
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
  if (fixed(c) && c->creds.access_key != NULL)
    return fixed_ready(c, now);
  if (creds_usable(c, now) && (c->creds.expiration == 0 ||
                               c->creds.expiration - now > advisory_for(life_of(c))))
    return 1;
  /* A refresh is due: in the background while they still work, else the
   * requests wait for it. The provider may have answered at once. */
  if (!held_off(c))
    start_refresh(c);
  now = client_now(c);
  if (fixed(c) && c->creds.access_key != NULL)
    return fixed_ready(c, now);
  if (creds_usable(c, now))
    return 1;
  if (!c->creds_refreshing)
    fail_held_off(c);
  return 0;
}

void client_creds_stop(uvaws_client_t *c) {
  if (c->creds_refreshing) {
    c->creds_refreshing = 0;
    uvaws_creds_cancel(c->provider, c->creds_handle);
    c->creds_handle = NULL;
  }
  imds_abandon(c->region_op);
  c->region_op = NULL;
  c->region_fetching = 0;
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
  if (j->auth_retried || fixed(c) || err->aws_type == NULL || !is_auth_error(err->aws_type))
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
