#include "uvaws/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_text.h"

const char *uvaws_strerror(int code) {
  switch (code) {
  case 0:
    return "success";
#define XX(name, value, text) \
  case UVAWS_##name:          \
    return text;
    UVAWS_ERRNO_MAP(XX)
#undef XX
  }
  return "unknown error";
}

const char *uvaws_err_name(int code) {
  switch (code) {
  case 0:
    return "OK";
#define XX(name, value, text) \
  case UVAWS_##name:          \
    return "UVAWS_" #name;
    UVAWS_ERRNO_MAP(XX)
#undef XX
  }
  return "UVAWS_UNKNOWN";
}

void uvaws_error_clear(uvaws_error_t *err) {
  if (err == NULL)
    return;
  free(err->aws_type);
  free(err->message);
  free(err->request_id);
  free(err->detail);
  memset(err, 0, sizeof *err);
}

int uvaws_error_set(uvaws_error_t *err, int code, const char *detail_fmt, ...) {
  if (err == NULL)
    return code;
  uvaws_error_clear(err);
  err->code = code;
  if (detail_fmt != NULL) {
    va_list ap;
    va_start(ap, detail_fmt);
    int n = vsnprintf(NULL, 0, detail_fmt, ap);
    va_end(ap);
    if (n >= 0 && (err->detail = malloc((size_t)n + 1)) != NULL) {
      va_start(ap, detail_fmt);
      vsnprintf(err->detail, (size_t)n + 1, detail_fmt, ap);
      va_end(ap);
      /* Details quote servers, helpers and files: escape what could steer
       * a terminal or forge a line wherever the error is printed. */
      if (!safe_text_is_clean(err->detail, (size_t)n)) {
        char *safe = safe_text_dup(err->detail, (size_t)n);
        free(err->detail);
        err->detail = safe;
      }
    }
  }
  return code;
}

static int dup_field(char **dst, const char *src) {
  if (src == NULL)
    return 0;
  *dst = strdup(src);
  return *dst == NULL ? -1 : 0;
}

int uvaws_error_copy(uvaws_error_t *dst, const uvaws_error_t *src) {
  if (dst == NULL || src == NULL)
    return UVAWS_EINVAL;
  uvaws_error_clear(dst);
  dst->code = src->code;
  dst->http_status = src->http_status;
  if (dup_field(&dst->aws_type, src->aws_type) || dup_field(&dst->message, src->message) ||
      dup_field(&dst->request_id, src->request_id) || dup_field(&dst->detail, src->detail)) {
    uvaws_error_clear(dst);
    return UVAWS_ENOMEM;
  }
  return 0;
}
