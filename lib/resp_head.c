/* The header block of an answer parsed in place (see resp_head.h). */
#include "resp_head.h"

#include <stdlib.h>
#include <string.h>

int resp_head_parse(resp_head_t *h) {
  h->count = 0;
  if (buf_str(&h->raw) == NULL)
    return -1;
  char *p = h->raw.data;
  char *end = p + h->raw.len;
  int first = 1;
  while (p < end) {
    char *eol = memchr(p, '\n', (size_t)(end - p));
    char *next = eol ? eol + 1 : end;
    char *line_end = eol ? eol : end;
    if (line_end > p && line_end[-1] == '\r')
      line_end--;
    /* A NUL inside a line ends the strings callers see: cut there, so the
     * trimming below applies to what they get. */
    char *nul = memchr(p, '\0', (size_t)(line_end - p));
    if (nul != NULL)
      line_end = nul;
    *line_end = '\0';
    char *colon = first ? NULL : strchr(p, ':');
    first = 0;
    if (colon != NULL && colon > p) {
      *colon = '\0';
      char *v = colon + 1;
      while (*v == ' ' || *v == '\t')
        v++;
      char *ve = line_end;
      while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        *--ve = '\0';
      if (h->count == h->cap &&
          buf_grow_array((void **)&h->headers, &h->cap,
                         h->count + 1, sizeof *h->headers) != 0)
        return -1;
      h->headers[h->count++] = (uvaws_kv_t){p, v};
    }
    p = next;
  }
  return 0;
}

void resp_head_free(resp_head_t *h) {
  buf_free(&h->raw);
  free(h->headers);
  h->headers = NULL;
  h->count = h->cap = 0;
}
