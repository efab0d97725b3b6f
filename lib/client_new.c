/* Creating and closing a client: options, configuration resolution, the
 * endpoint, and the handles. */
#include "uvaws/client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_priv.h"
#include "config.h"
#include "kv.h"
#include "secret.h"
#include "sigv4_canon.h"
#include "sized.h"
#include "url.h"
#include "uvaws/version.h"

#define DEFAULT_MAX_CLIENTS 100
#define DEFAULT_CONNECT_TIMEOUT_MS 10000
#define DEFAULT_REQUEST_TIMEOUT_MS 60000
#define DEFAULT_MAX_RESPONSE_BYTES ((size_t)64 << 20)

/* ---- client lifecycle ---------------------------------------------------- */

int client_set_endpoint(uvaws_client_t *c, const char *endpoint, uvaws_error_t *err) {
  url_t u;
  const char *why;
  if (url_parse(endpoint, &u, &why) != 0)
    return uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint '%s' is not a URL", endpoint);
  int rc = 0;
  if (u.host == NULL) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint '%s' is not a URL", endpoint);
    goto out;
  }
  char *port = u.port;
  if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint '%s': scheme must be http or https",
                         endpoint);
    goto out;
  }
  if (u.host[0] == '\0' || u.query || u.user || u.fragment) {
    rc = uvaws_error_set(err, UVAWS_EENDPOINT,
                         "endpoint '%s': want scheme://host[:port][/path], no query, "
                         "user or fragment", endpoint);
    goto out;
  }
  /* A default port is not part of the Host curl sends: drop it so that the
   * Host we sign is byte for byte the one on the wire. */
  if (port && ((strcmp(u.scheme, "https") == 0 && strcmp(port, "443") == 0) ||
               (strcmp(u.scheme, "http") == 0 && strcmp(port, "80") == 0)))
    port = NULL;
  size_t hlen = strlen(u.host) + (port ? strlen(port) + 1 : 0) + 1;
  free(c->host);
  free(c->base_url);
  free(c->base_path);
  c->host = malloc(hlen);
  c->base_url = malloc(strlen(u.scheme) + 3 + hlen);
  const char *path = u.path;
  size_t plen = path ? strlen(path) : 0;
  while (plen > 0 && path[plen - 1] == '/')
    plen--; /* "/base/" and "/base" mean the same; "/" means none */
  c->base_path = malloc(plen + 1);
  if (c->host == NULL || c->base_url == NULL || c->base_path == NULL) {
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "parsing the endpoint");
    goto out;
  }
  snprintf(c->host, hlen, "%s%s%s", u.host, port ? ":" : "", port ? port : "");
  sprintf(c->base_url, "%s://%s", u.scheme, c->host);
  memcpy(c->base_path, path ? path : "", plen);
  c->base_path[plen] = '\0';
out:
  url_free(&u);
  return rc;
}

static void free_client(uvaws_client_t *c) {
  client_posts_free(c);
  if (c->own_provider) /* creation failed: close never freed it */
    uvaws_creds_provider_free(c->provider);
  imds_unref(c->imds);
  if (c->transport != NULL) /* creation failed: it never ran */
    transport_free(c->transport);
  creds_clear(&c->creds);
  uvaws_error_clear(&c->creds_error);
  uvaws_signer_free(c->signer);
  free(c->service);
  free(c->region);
  free(c->endpoint);
  free(c->endpoint_prefix);
  free(c->base_url);
  free(c->base_path);
  free(c->host);
  free(c);
}

static int valid_name(const char *s) {
  if (s == NULL || s[0] == '\0')
    return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '-' || *s == '_' || *s == '.'))
      return 0;
  return 1;
}

/* Checks what can be checked before anything is allocated. */
static int check_options(const uvaws_client_options_t *o, uvaws_error_t *err) {
  if (!valid_name(o->service))
    return uvaws_error_set(err, UVAWS_EINVAL, "service: a signing name like \"dynamodb\" is required");
  if (o->region && !valid_name(o->region))
    return uvaws_error_set(err, UVAWS_EINVAL, "region \"%s\" is not a region name", o->region);
  if (o->credentials_provider && (o->access_key || o->secret_key || o->session_token))
    return uvaws_error_set(err, UVAWS_EINVAL, "credentials_provider or access_key: one or the "
                                              "other");
  if (o->credentials_provider && o->credentials_provider->ops == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "credentials_provider has no operations");
  if ((o->access_key == NULL) != (o->secret_key == NULL))
    return uvaws_error_set(err, UVAWS_EINVAL, "access_key and secret_key go together");
  if (o->access_key && (!valid_name(o->access_key) || o->secret_key[0] == '\0'))
    return uvaws_error_set(err, UVAWS_EINVAL, "access_key or secret_key is malformed");
  if (o->session_token && !canon_is_field_value(o->session_token))
    return uvaws_error_set(err, UVAWS_EINVAL, "session token contains control characters");
  if (o->user_agent_suffix && !canon_is_field_value(o->user_agent_suffix))
    return uvaws_error_set(err, UVAWS_EINVAL, "user_agent_suffix contains control characters");
  if (o->request_timeout_ms < -1 || o->deadline_ms < -1 || o->connect_timeout_ms < 0)
    return uvaws_error_set(err, UVAWS_EINVAL, "timeouts: milliseconds, 0 for the default, -1 for none");
  if (o->ca_file && o->ca_file[0] == '\0')
    return uvaws_error_set(err, UVAWS_EINVAL, "ca_file is empty");
  return 0;
}

/* Where STS answers for this profile (an override, or the regional endpoint). */
static char *sts_endpoint(const uvaws_client_options_t *o, const char *region, uvaws_error_t *err) {
  config_input_t in = {.profile = o->profile, .region = region ? region : "us-east-1",
                       .service_id = "STS", .endpoint_prefix = "sts"};
  config_t sc;
  if (config_resolve(&in, &sc, err) != 0)
    return NULL;
  char *ep = sc.endpoint ? strdup(sc.endpoint) : NULL;
  config_free(&sc);
  if (ep == NULL)
    uvaws_error_set(err, UVAWS_ENOMEM, "resolving the STS endpoint");
  return ep;
}

/* STS requests for credentials are signed like every request: with the
 * client's clock and the skew it learnt. */
static int64_t signing_clock(void *arg) { return client_signing_now(arg); }

/* The provider: the caller's (borrowed), or the chain the configuration
 * describes (owned), and instance metadata for a region still unknown. */
static int make_provider(uvaws_client_t *c, const uvaws_client_options_t *o, const config_t *cfg,
                         uvaws_error_t *err) {
  creds_io_t io = {c->loop, c->transport, signing_clock, c};
  if ((c->imds = imds_new(&io, cfg)) == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "allocating the instance metadata client");
  if (o->credentials_provider != NULL) {
    c->provider = o->credentials_provider;
    return 0;
  }
  char *sts = NULL; /* only a role needs STS: the files are not read again otherwise */
  if (!config_static_first(cfg) && (cfg->role_arn || cfg->env_role_arn) &&
      (sts = sts_endpoint(o, cfg->region, err)) == NULL)
    return err && err->code ? err->code : UVAWS_ENOMEM;
  c->provider = creds_default_chain(&io, cfg, sts, cfg->region ? cfg->region : "us-east-1",
                                    c->imds, err);
  free(sts);
  c->own_provider = c->provider != NULL;
  return c->provider ? 0 : (err && err->code ? err->code : UVAWS_ENOMEM);
}

/* A global service (IAM, Route 53, CloudFront ...: the model's
 * globalEndpoint) has one endpoint in the aws partition, whatever the region,
 * and signs for us-east-1. S3 and STS are left regional: their regional
 * endpoints exist and are the ones AWS recommends. */
static int global_endpoint(uvaws_client_t *c, uvaws_error_t *err) {
  const char *host = c->svc ? c->svc->global_endpoint : NULL;
  const char *r = c->region;
  if (host == NULL || strcmp(c->svc->name, "s3") == 0 || strcmp(c->svc->name, "sts") == 0 ||
      (r && (strncmp(r, "cn-", 3) == 0 || strncmp(r, "us-gov-", 7) == 0 ||
             strncmp(r, "us-iso", 6) == 0 || strncmp(r, "eu-isoe-", 8) == 0)))
    return 0;
  char url[256];
  snprintf(url, sizeof url, "https://%s", host);
  char *region = strdup("us-east-1");
  if (region == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "copying the region");
  free(c->region);
  c->region = region;
  return client_set_endpoint(c, url, err);
}

/* Region, endpoint and credentials from the options, the environment and the
 * profile; what needs the network (metadata, STS) is left to client_ready. */
static int resolve(uvaws_client_t *c, const uvaws_client_options_t *o, uvaws_error_t *err) {
  config_input_t in = {
      .profile = o->profile,
      .region = o->region,
      .endpoint = o->endpoint,
      .access_key = o->access_key,
      .secret_key = o->secret_key,
      .session_token = o->session_token,
      .service_id = c->svc ? c->svc->service_id : o->service,
      .endpoint_prefix = c->endpoint_prefix,
      .no_credentials = o->credentials_provider != NULL,
  };
  config_t cfg;
  int rc = config_resolve(&in, &cfg, err);
  if (rc != 0)
    return rc;
  if (cfg.region && (c->region = strdup(cfg.region)) == NULL)
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "copying the region");
  if (rc == 0 && cfg.endpoint_explicit && (c->endpoint = strdup(cfg.endpoint)) == NULL)
    rc = uvaws_error_set(err, UVAWS_ENOMEM, "copying the endpoint");
  if (rc == 0 && cfg.endpoint)
    rc = client_set_endpoint(c, cfg.endpoint, err);
  if (rc == 0 && !cfg.endpoint_explicit)
    rc = global_endpoint(c, err);
  if (rc == 0)
    rc = make_provider(c, o, &cfg, err);
  if (rc == 0 && c->region == NULL && cfg.imds_disabled)
    rc = uvaws_error_set(err, UVAWS_ENOREGION,
                         "no region: tried the region option, AWS_REGION, AWS_DEFAULT_REGION, "
                         "profile %s in %s; instance metadata is disabled",
                         cfg.profile ? cfg.profile : "default",
                         cfg.config_file ? cfg.config_file : "~/.aws/config");
  if (rc == 0)
    rc = client_retry_setup(c, o, cfg.retry_mode, cfg.max_attempts, err);
  config_free(&cfg);
  return rc;
}

int uvaws_client_options_init(uvaws_client_options_t *o) {
  return sized_init(o, sizeof *o);
}

int uvaws_client_new(uv_loop_t *loop, const uvaws_client_options_t *opts, uvaws_client_t **out,
                     uvaws_error_t *err) {
  if (err)
    memset(err, 0, sizeof *err);
  if (out)
    *out = NULL;
  if (loop == NULL || opts == NULL || out == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "loop, options and out are required");
  uvaws_client_options_t copy = UVAWS_CLIENT_OPTIONS_INIT;
  const char *why;
  if (sized_read(&copy, sizeof copy, opts, &why) != 0)
    return uvaws_error_set(err, UVAWS_EINVAL, "uvaws_client_options_t: %s", why);
  const uvaws_client_options_t *o = &copy;
  int rc = check_options(o, err);
  if (rc != 0)
    return rc;

  uvaws_client_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return uvaws_error_set(err, UVAWS_ENOMEM, "allocating the client");
  c->loop = loop;
  c->loop_thread = uv_thread_self();
  c->max_clients = o->max_clients ? o->max_clients : DEFAULT_MAX_CLIENTS;
  c->max_queue = o->max_queue;
  c->request_timeout_ms = o->request_timeout_ms ? o->request_timeout_ms : DEFAULT_REQUEST_TIMEOUT_MS;
  c->deadline_ms = o->deadline_ms > 0 ? o->deadline_ms : 0;
  c->max_response_bytes = o->max_response_bytes ? o->max_response_bytes : DEFAULT_MAX_RESPONSE_BYTES;
  c->sign_flags = o->sign_flags;
  /* S3 signs paths as sent, unnormalized, with x-amz-content-sha256: a
   * client for it wants that without being told. */
  if (c->sign_flags == 0 && o->service && (strcmp(o->service, "s3") == 0 ||
                                           strcmp(o->service, "s3-object-lambda") == 0))
    c->sign_flags = UVAWS_SIGV4_S3;
  c->log_cb = o->log_cb;
  c->log_arg = o->log_arg;
  c->log_level = o->log_level ? o->log_level : UVAWS_LOG_WARN;
  c->clock = o->clock;
  c->clock_arg = o->clock_arg;
  c->observe = o->observe;
  c->observe_arg = o->observe_arg;
  /* A service of the table brings its signing name and host prefix (SES signs
   * as "ses" at email.REGION); any other name is both. */
  c->svc = uvaws_service_find(o->service);
  c->service = strdup(c->svc ? c->svc->signing_name : o->service);
  c->endpoint_prefix = strdup(c->svc ? c->svc->endpoint_prefix : o->service);
  if (c->service == NULL || c->endpoint_prefix == NULL) {
    free_client(c);
    return uvaws_error_set(err, UVAWS_ENOMEM, "copying the options");
  }
  list_init(&c->queue);
  list_init(&c->flying);
  list_init(&c->backoff);
  list_init(&c->deferred);
  list_init(&c->closers);
  list_init(&c->watchers);
  rc = uvaws_signer_new(&c->signer);
  if (rc != 0) {
    free_client(c);
    return uvaws_error_set(err, rc, "creating the signer");
  }
  char ua[256];
  snprintf(ua, sizeof ua, "uvaws/%s%s%s", UVAWS_VERSION_STRING, o->user_agent_suffix ? " " : "",
           o->user_agent_suffix ? o->user_agent_suffix : "");
  transport_options_t topts = {
      .connect_timeout_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms
                                                      : DEFAULT_CONNECT_TIMEOUT_MS,
      .max_connections = c->max_clients,
      .ca_file = o->ca_file,
      .tls_no_verify = o->tls_no_verify,
      .user_agent = ua,
  };
  rc = transport_new(loop, &topts, &c->transport);
  if (rc != 0) {
    free_client(c);
    return uvaws_error_set(err, rc, "creating the transport");
  }
  /* Resolution before any handle: failing here frees everything at once
   * (the transport has started nothing; the credential chain only keeps it
   * for later). */
  rc = resolve(c, o, err);
  if (rc != 0) {
    free_client(c);
    return rc;
  }
  /* The last step that can fail: a failed uv_async_init leaves no handle
   * to close, so the client is still freed at once. */
  if (o->threadsafe && (rc = client_posts_init(c)) != 0) {
    free_client(c);
    return uvaws_error_set(err, rc, "creating the handle that takes other threads' requests");
  }
  uv_prepare_init(loop, &c->alive);
  c->alive.data = c;
  /* Referenced: while deferred calls are pending it keeps the loop running
   * (an inactive timer never does). */
  uv_timer_init(loop, &c->defer_timer);
  uv_timer_init(loop, &c->rate_timer);
  c->rate_timer.data = c;
  c->defer_timer.data = c;
  if (o->tls_no_verify)
    client_log(c, UVAWS_LOG_WARN, "TLS verification is off for %s",
               c->base_url ? c->base_url : "this client");
  client_log(c, UVAWS_LOG_DEBUG, "client for %s in %s at %s%s, credentials from %s", c->service,
             c->region ? c->region : "(region from instance metadata)",
             c->base_url ? c->base_url : "(endpoint from the region)",
             c->base_path ? c->base_path : "",
             c->provider->name ? c->provider->name : "a provider");
  *out = c;
  return 0;
}

static void on_handle_closed(uv_handle_t *h) {
  uvaws_client_t *c = h->data;
  if (--c->pending_closes > 0)
    return;
  client_release_watchers(c);
  /* libuv's rule: the callback sees the client still allocated (closed: every
   * call on it is refused), and it is freed when the callback returns. */
  if (c->close_cb)
    c->close_cb(c, c->close_arg);
  free_client(c);
}

void client_on_transport_closed(void *arg) {
  uvaws_client_t *c = arg;
  c->transport = NULL;
  c->pending_closes = 3;
  c->rate_timer.data = c;
  c->pending_closes += client_posts_close(c, on_handle_closed);
  uv_close((uv_handle_t *)&c->rate_timer, on_handle_closed);
  uv_close((uv_handle_t *)&c->alive, on_handle_closed);
  uv_close((uv_handle_t *)&c->defer_timer, on_handle_closed);
}

void uvaws_client_close(uvaws_client_t *c, uvaws_close_cb cb, void *arg) {
  if (c == NULL || c->closing)
    return;
  if (client_wrong_thread(c)) { /* no status to return: say it loudly */
    client_log(c, UVAWS_LOG_ERROR, "uvaws_client_close called from a thread other than the "
               "loop's: ignored");
    return;
  }
  c->closing = 1;
  c->close_cb = cb;
  c->close_arg = arg;
  /* Never tear down here: this may be running inside a response callback,
   * with the transport's completion loop above us on the stack. */
  uv_timer_start(&c->defer_timer, client_run_deferred, 0, 0);
}

uv_loop_t *uvaws_client_loop(const uvaws_client_t *c) { return c ? c->loop : NULL; }

const uvaws_service_t *uvaws_client_service(const uvaws_client_t *c) { return c ? c->svc : NULL; }

int uvaws_client_stats(const uvaws_client_t *c, uvaws_client_stats_t *out) {
  if (c == NULL || out == NULL)
    return UVAWS_EINVAL;
  if (client_wrong_thread(c))
    return UVAWS_ETHREAD;
  *out = c->stats;
  out->queued = c->queued;
  out->in_flight = c->in_flight;
  out->connections = c->transport ? transport_connections(c->transport) : 0;
  out->retry_quota = c->retry.quota;
  out->clock_skew_s = c->clock_skew_s;
  return 0;
}

const char *uvaws_response_header(const uvaws_response_t *res, const char *name) {
  return res != NULL ? kv_get(res->headers, res->header_count, name) : NULL;
}
