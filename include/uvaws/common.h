/* Types shared by every uvaws module. */
#ifndef UVAWS_COMMON_H
#define UVAWS_COMMON_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A name and a value: a header, a query parameter. Both NUL-terminated. */
typedef struct {
  const char *name;
  const char *value;
} uvaws_kv_t;

#ifdef __cplusplus
}
#endif
#endif
