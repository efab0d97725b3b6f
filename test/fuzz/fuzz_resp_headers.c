/* libFuzzer target for the response header handling: any bytes as the raw
 * header block the transport collects from curl (resp_head_t.raw), parsed
 * in place by resp_head_parse(), then looked up as a response and handed
 * with the parsed headers to aws_error_from_response(), as the client does
 * for every answer that is not a 2xx. Whatever follows the first blank line
 * is the body. Must never crash, hang, leak, or hand out a header that is
 * not inside the buffer or that still carries the line's separators. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_error.h"
#include "resp_head.h"
#include "uvaws/client.h"

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_resp_headers: %s\n", what);
    abort();
  }
}

static int inside(const resp_head_t *h, const char *p) {
  return p >= h->raw.data && p <= h->raw.data + h->raw.len;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* the header block ends at the first blank line; the rest is the body */
  size_t head_len = size, body_off = size;
  for (size_t i = 0; i + 1 < size; i++) {
    if (data[i] == '\n' && data[i + 1] == '\n') {
      head_len = i + 1, body_off = i + 2;
      break;
    }
    if (i + 3 < size && memcmp(data + i, "\r\n\r\n", 4) == 0) {
      head_len = i + 2, body_off = i + 4;
      break;
    }
  }
  resp_head_t head;
  memset(&head, 0, sizeof head);
  buf_add(&head.raw, data, head_len);
  if (head.raw.failed) {
    resp_head_free(&head);
    return 0;
  }
  /* twice: a reused transfer parses a new block into the same arrays */
  for (int round = 0; round < 2; round++) {
    if (round == 1) {
      buf_reset(&head.raw);
      buf_add(&head.raw, data, head_len);
    }
    if (resp_head_parse(&head) != 0)
      break;
    check(head.count <= head.cap, "count beyond capacity");
    for (size_t i = 0; i < head.count; i++) {
      const uvaws_kv_t *h = &head.headers[i];
      check(h->name != NULL && h->value != NULL, "NULL name or value");
      check(inside(&head, h->name) && inside(&head, h->value), "header outside the buffer");
      size_t nl = strlen(h->name), vl = strlen(h->value);
      check(nl > 0, "empty header name");
      check(inside(&head, h->name + nl) && inside(&head, h->value + vl),
            "string runs past the buffer");
      check(strchr(h->name, ':') == NULL, "colon in a header name");
      check(memchr(h->name, '\n', nl) == NULL && memchr(h->value, '\n', vl) == NULL,
            "line feed in a header");
      check(vl == 0 || (h->value[0] != ' ' && h->value[0] != '\t' && h->value[vl - 1] != ' ' &&
                        h->value[vl - 1] != '\t'),
            "value not trimmed");
    }
    /* the status line is never a header */
    if (head_len >= 5 && memcmp(data, "HTTP/", 5) == 0 && head.count > 0)
      check(head.headers[0].name != head.raw.data, "status line taken as a header");
  }

  long status = 400;
  if (head_len > 12 && memcmp(data, "HTTP/", 5) == 0) {
    const char *sp = memchr(data, ' ', head_len < 16 ? head_len : 16);
    if (sp != NULL) {
      /* the input is not NUL-terminated: read the digits by hand */
      size_t k = (size_t)(sp - (const char *)data) + 1;
      long st = 0;
      for (int d = 0; d < 3 && k < head_len && data[k] >= '0' && data[k] <= '9'; d++, k++)
        st = st * 10 + (data[k] - '0');
      status = st;
    }
  }
  uvaws_response_t res;
  memset(&res, 0, sizeof res);
  res.status = status;
  res.headers = head.headers;
  res.header_count = head.count;
  res.body = (const char *)data + body_off;
  res.body_len = size - body_off;
  (void)uvaws_response_header(&res, "x-amzn-RequestId");
  (void)uvaws_response_header(&res, "Date");
  if (head.count > 0) {
    const char *found = uvaws_response_header(&res, head.headers[0].name);
    check(found != NULL, "a parsed header is not found by its own name");
  }

  uvaws_error_t err = {0};
  int rc = aws_error_from_response(&err, status, res.headers, res.header_count, res.body,
                                   res.body_len);
  check(rc == 0 || rc == UVAWS_ENOMEM, "aws_error_from_response failed");
  check(err.code == UVAWS_EAWS, "not an AWS error");
  if (err.aws_type)
    check(strlen(err.aws_type) <= AWS_ERROR_FIELD_MAX && strchr(err.aws_type, '#') == NULL &&
              strchr(err.aws_type, ':') == NULL && err.aws_type[0] != '\0',
          "aws_type not cleaned");
  uvaws_error_clear(&err);

  resp_head_free(&head);
  return 0;
}
