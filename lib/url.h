/* URLs and HTTP dates read by libcurl's own parsers, so that what uvaws
 * judges (an endpoint's host, a container URL's address, a server's Date) is
 * what curl will act on. The only place outside transport.c that calls
 * libcurl. */
#ifndef UVAWS_URL_H
#define UVAWS_URL_H

#include <stdint.h>

/* The parts of a URL, malloc'd; NULL where the URL has none. `path` is "/"
 * when the URL gives none, as curl sends it. */
typedef struct {
  char *scheme, *host, *port, *path, *query, *fragment;
  char *user, *password, *options, *zoneid;
  char *full; /* curl's normalized form of the whole URL */
} url_t;

/* Parses an absolute URL (callers check scheme and host). 0, or -1 with *why saying what is wrong (never the
 * URL, which may hold a password) and `u` zeroed. */
int url_parse(const char *text, url_t *u, const char **why);

/* Frees the parts; zeroes `u`. Safe on a zeroed url_t. */
void url_free(url_t *u);

/* An HTTP date (RFC 7231 and the obsolete forms) as seconds since the epoch,
 * or -1 when it does not parse. */
int64_t url_http_date(const char *text);

#endif
