/* Types shared by every uvaws module. */
#ifndef UVAWS_COMMON_H
#define UVAWS_COMMON_H

#include <stddef.h>

/* Marks the public API: the shared library exports these and nothing else. */
#if defined(__GNUC__) || defined(__clang__)
#define UVAWS_EXTERN __attribute__((visibility("default")))
#else
#define UVAWS_EXTERN
#endif

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
