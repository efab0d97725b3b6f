/* The header block of an HTTP answer, as curl hands it over line by line
 * (status line first; a new block after 100 Continue), parsed in place into
 * name/value pairs: names and values cut at CR, LF or a NUL inside a line,
 * values trimmed of blanks, lines without a colon (the status line) left
 * out. The transport's; apart so that a fuzz target reaches it. */
#ifndef UVAWS_RESP_HEAD_H
#define UVAWS_RESP_HEAD_H

#include <stddef.h>

#include "buf.h"
#include "uvaws/common.h"

typedef struct {
  buf_t raw;           /* the lines as received */
  uvaws_kv_t *headers; /* into `raw`, after resp_head_parse */
  size_t count, cap;
} resp_head_t;

/* Parses `raw` (modified in place) into headers/count; 0, or -1 without
 * memory. Parsing again after new lines were put in `raw` starts over. */
int resp_head_parse(resp_head_t *h);

/* Frees both; zeroes them. */
void resp_head_free(resp_head_t *h);

#endif
