/* libFuzzer target for aws_error_from_response(): any bytes as the body, plus
 * an x-amzn-ErrorType and a request-id header made from the first bytes, so
 * the header paths (cleaning, precedence, fall-through) are fuzzed too. Must
 * never crash, hang or leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "aws_error.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* Byte 0 chooses which headers exist and the status; bytes 1..n up to the
   * first NUL (at most 64) become the header value. The whole input is still
   * the body, so seeds of plain JSON/XML files work unchanged. */
  char value[65] = "";
  uvaws_kv_t headers[3];
  size_t nh = 0;
  unsigned sel = size > 0 ? data[0] : 0;
  if (size > 1) {
    size_t n = 0;
    while (n < 64 && 1 + n < size && data[1 + n] != 0)
      n++;
    memcpy(value, data + 1, n);
    value[n] = '\0';
  }
  if (sel & 1)
    headers[nh++] = (uvaws_kv_t){"X-Amzn-ErrorType", value};
  if (sel & 2)
    headers[nh++] = (uvaws_kv_t){"x-amzn-requestid", value};
  if (sel & 4)
    headers[nh++] = (uvaws_kv_t){"x-amz-request-id", "FUZZ"};

  uvaws_error_t err = {0};
  (void)aws_error_from_response(&err, 400 + (long)(sel >> 3), headers, nh, (const char *)data,
                                size);
  uvaws_error_clear(&err);
  (void)aws_error_body_kind((const char *)data, size);
  return 0;
}
