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

/* Refresh windows, from the credentials' lifetime: hour-long credentials are
 * refreshed in the background from 5 minutes before expiry and block requests
 * only in the last minute; credentials that live seconds (tests) scale down. */
#define ADVISORY_MAX_S 300
#define MANDATORY_MAX_S 60
#define RETRY_FAILED_REFRESH_S 10

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

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

static int64_t mandatory_window(const uvaws_client_t *c) {
  int64_t life = max64(c->creds.expiration - c->creds_fetched_at, 1);
  return max64(1, min64(MANDATORY_MAX_S, life / 4));
}

static int creds_usable(const uvaws_client_t *c, int64_t now) {
  return c->creds.access_key != NULL &&
         (c->creds.expiration == 0 || c->creds.expiration - now > mandatory_window(c));
}

static void on_creds(void *arg, creds_t *creds, const uvaws_error_t *err) {
  uvaws_client_t *c = arg;
  c->creds_refreshing = 0;
  int64_t now = client_now(c);
  if (creds != NULL) {
    creds_clear(&c->creds);
    c->creds = *creds;
    memset(creds, 0, sizeof *creds); /* moved */
    c->creds_fetched_at = now;
    c->creds_gen++;
    c->creds_failed_at = 0;
    if (c->creds.expiration)
      client_log(c, UVAWS_LOG_INFO, "credentials for %s, expiring in %lld s",
                 c->creds.access_key, (long long)(c->creds.expiration - now));
    else
      client_log(c, UVAWS_LOG_INFO, "credentials for %s", c->creds.access_key);
  } else if (creds_usable(c, now)) {
    /* The current ones still work: keep them, try again a little later. */
    c->creds_failed_at = now;
    client_log(c, UVAWS_LOG_WARN, "refreshing credentials failed, keeping the current ones: %s",
               err->detail ? err->detail : uvaws_strerror(err->code));
  } else {
    client_log(c, UVAWS_LOG_ERROR, "no credentials: %s",
               err->detail ? err->detail : uvaws_strerror(err->code));
    client_fail_queued(c, err);
  }
  client_dispatch_more(c);
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
  if (c->creds_static)
    return 1;
  int64_t now = client_now(c);
  if (c->creds.access_key == NULL) {
    start_refresh(c);
    return 0;
  }
  if (c->creds.expiration == 0)
    return 1;
  int64_t life = max64(c->creds.expiration - c->creds_fetched_at, 1);
  int64_t remaining = c->creds.expiration - now;
  if (remaining > min64(ADVISORY_MAX_S, life / 2))
    return 1;
  if (c->creds_failed_at == 0 || now - c->creds_failed_at >= RETRY_FAILED_REFRESH_S)
    start_refresh(c);
  return remaining > mandatory_window(c);
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
