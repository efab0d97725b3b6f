#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_internal.h"
#include "url.h"

static int starts(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

const char *config_dns_suffix(const char *region) {
  if (region == NULL)
    return "amazonaws.com";
  /* longest prefixes first: us-isob- and us-isof- before us-iso- */
  if (starts(region, "cn-"))
    return "amazonaws.com.cn";
  if (starts(region, "us-isob-"))
    return "sc2s.sgov.gov";
  if (starts(region, "us-isof-"))
    return "csp.hci.ic.gov";
  if (starts(region, "us-iso-"))
    return "c2s.ic.gov";
  if (starts(region, "eu-isoe-"))
    return "cloud.adc-e.uk";
  if (starts(region, "eusc-"))
    return "amazonaws.eu";
  return "amazonaws.com"; /* aws and aws-us-gov */
}

/* An explicit endpoint must be an absolute http(s) URL with a host: anything
 * else would fail later, far from where it was configured. The URL itself is
 * not repeated in the message: it may carry user:password@. */
static int check_url(const char *text, const char *from, uvaws_error_t *err) {
  url_t u;
  const char *why = NULL;
  if (url_parse(text, &u, &why) != 0)
    return uvaws_error_set(err, why && strcmp(why, "out of memory") == 0 ? UVAWS_ENOMEM
                                                                          : UVAWS_EENDPOINT,
                           "endpoint from %s is not an http(s) URL: %s", from, why);
  if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
    why = "the scheme is not http or https";
  else if (u.host == NULL || u.host[0] == '\0')
    why = "no host";
  url_free(&u);
  if (why != NULL)
    return uvaws_error_set(err, UVAWS_EENDPOINT, "endpoint from %s is not an http(s) URL: %s",
                           from, why);
  return 0;
}

static int is_true(const char *v) {
  static const char t[] = "true";
  if (v == NULL || strlen(v) != 4)
    return 0;
  for (size_t i = 0; i < 4; i++) {
    char c = v[i] >= 'A' && v[i] <= 'Z' ? (char)(v[i] - 'A' + 'a') : v[i];
    if (c != t[i])
      return 0;
  }
  return 1;
}

/* "Cognito Identity Provider" -> "cognito_identity_provider": botocore's
 * hyphenized service id with '-' turned into '_'. */
static void snake_id(const char *id, char *out, size_t n, int upper) {
  size_t i = 0;
  for (; id[i] != '\0' && i + 1 < n; i++) {
    char c = id[i];
    if (c == ' ' || c == '-')
      c = '_';
    else if (upper && c >= 'a' && c <= 'z')
      c = (char)(c - 'a' + 'A');
    else if (!upper && c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    out[i] = c;
  }
  out[i] = '\0';
}

/* [services NAME] in the config file, later sections first. The section must
 * exist once a profile names it (botocore: InvalidConfigError). */
static int services_url(const cfg_files_t *f, const char *profile, const char *service_id,
                        const char **url, char *from, size_t fromn, uvaws_error_t *err) {
  const char *where = NULL;
  const char *name = cfg_profile_get(f, profile, "services", &where);
  if (name == NULL || service_id == NULL)
    return 0;
  char key[128];
  snake_id(service_id, key, sizeof key, 0);
  int found = 0;
  for (size_t i = ini_section_count(f->cfg); i-- > 0;) {
    if (!cfg_section_is(ini_section_name(f->cfg, i), "services", name))
      continue;
    found = 1;
    const char *v = ini_get_sub_at(f->cfg, i, key, "endpoint_url");
    if (v != NULL && v[0] != '\0') {
      snprintf(from, fromn, "[services %s] %s.endpoint_url in %s", name, key,
               f->cfg_path != NULL ? f->cfg_path : "the config file");
      *url = v;
      return 0;
    }
  }
  if (!found)
    return uvaws_error_set(err, UVAWS_ECONFIG,
                           "profile \"%s\" (%s) sets services = %s, but %s has no [services %s]",
                           profile, where, name,
                           f->cfg_path != NULL ? f->cfg_path : "the config file", name);
  return 0;
}

int cfg_resolve_endpoint(const config_input_t *in, const cfg_files_t *f, config_t *out,
                         uvaws_error_t *err) {
  char from[1024] = "";
  const char *url = NULL;
  if (in->endpoint != NULL && in->endpoint[0] != '\0') {
    url = in->endpoint;
    snprintf(from, sizeof from, "the endpoint option");
  }
  const char *ign = cfg_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  int ignore = ign != NULL ? is_true(ign)
                           : is_true(cfg_profile_get(f, out->profile,
                                                     "ignore_configured_endpoint_urls", NULL));
  if (url == NULL && !ignore && in->service_id != NULL && in->service_id[0] != '\0') {
    char var[160] = "AWS_ENDPOINT_URL_";
    snake_id(in->service_id, var + strlen(var), sizeof var - strlen(var), 1);
    if ((url = cfg_env(var)) != NULL)
      snprintf(from, sizeof from, "%s", var);
  }
  if (url == NULL && !ignore && (url = cfg_env("AWS_ENDPOINT_URL")) != NULL)
    snprintf(from, sizeof from, "AWS_ENDPOINT_URL");
  if (url == NULL && !ignore) {
    int rc = services_url(f, out->profile, in->service_id, &url, from, sizeof from, err);
    if (rc != 0)
      return rc;
  }
  if (url == NULL && !ignore) {
    const char *where = NULL;
    url = cfg_profile_get(f, out->profile, "endpoint_url", &where);
    if (url != NULL && url[0] == '\0')
      url = NULL;
    if (url != NULL)
      snprintf(from, sizeof from, "endpoint_url of profile \"%s\" in %s", out->profile, where);
  }
  if (url != NULL) {
    int rc = check_url(url, from, err);
    if (rc != 0)
      return rc;
    out->endpoint_explicit = 1;
    return cfg_dup(&out->endpoint, url);
  }
  if (out->region == NULL || in->endpoint_prefix == NULL || in->endpoint_prefix[0] == '\0')
    return 0;
  buf_t b = {0};
  buf_adds(&b, "https://");
  buf_adds(&b, in->endpoint_prefix);
  buf_addc(&b, '.');
  buf_adds(&b, out->region);
  buf_addc(&b, '.');
  buf_adds(&b, config_dns_suffix(out->region));
  const char *s = buf_str(&b);
  int rc = s != NULL ? cfg_dup(&out->endpoint, s) : UVAWS_ENOMEM;
  buf_free(&b);
  return rc;
}
