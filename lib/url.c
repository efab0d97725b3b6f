/* libcurl's URL and date parsers (see url.h). */
#include "url.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

/* curl's strings are freed with curl_free: copied into ours. */
static int take(CURLU *u, CURLUPart part, char **out) {
  char *s = NULL;
  *out = NULL;
  if (curl_url_get(u, part, &s, 0) != CURLUE_OK)
    return 0;
  *out = strdup(s);
  curl_free(s);
  return *out == NULL ? -1 : 0;
}

int url_parse(const char *text, url_t *u, const char **why) {
  memset(u, 0, sizeof *u);
  CURLU *h = curl_url();
  if (h == NULL) {
    *why = "out of memory";
    return -1;
  }
  CURLUcode uc = curl_url_set(h, CURLUPART_URL, text, 0);
  if (uc != CURLUE_OK) {
    *why = curl_url_strerror(uc);
    curl_url_cleanup(h);
    return -1;
  }
  static const struct {
    CURLUPart part;
    size_t off;
  } parts[] = {
      {CURLUPART_SCHEME, offsetof(url_t, scheme)},   {CURLUPART_HOST, offsetof(url_t, host)},
      {CURLUPART_PORT, offsetof(url_t, port)},       {CURLUPART_PATH, offsetof(url_t, path)},
      {CURLUPART_QUERY, offsetof(url_t, query)},     {CURLUPART_FRAGMENT, offsetof(url_t, fragment)},
      {CURLUPART_USER, offsetof(url_t, user)},       {CURLUPART_PASSWORD, offsetof(url_t, password)},
      {CURLUPART_OPTIONS, offsetof(url_t, options)}, {CURLUPART_ZONEID, offsetof(url_t, zoneid)},
      {CURLUPART_URL, offsetof(url_t, full)},
  };
  int rc = 0;
  for (size_t i = 0; i < sizeof parts / sizeof *parts && rc == 0; i++)
    rc = take(h, parts[i].part, (char **)((char *)u + parts[i].off));
  curl_url_cleanup(h);
  if (rc != 0)
    *why = "out of memory";
  if (rc != 0)
    url_free(u);
  return rc;
}

void url_free(url_t *u) {
  char *parts[] = {u->scheme, u->host,     u->port,    u->path,   u->query, u->fragment,
                   u->user,   u->password, u->options, u->zoneid, u->full};
  for (size_t i = 0; i < sizeof parts / sizeof *parts; i++)
    free(parts[i]);
  memset(u, 0, sizeof *u);
}

int64_t url_http_date(const char *text) {
  time_t t = curl_getdate(text, NULL);
  return t < 0 ? -1 : (int64_t)t;
}
