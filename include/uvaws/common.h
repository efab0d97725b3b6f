/* Types shared by every uvaws module. */
#ifndef UVAWS_COMMON_H
#define UVAWS_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Marks the public API: the shared library exports these and nothing else. */
#if defined(__GNUC__) || defined(__clang__)
#define UVAWS_EXTERN __attribute__((visibility("default")))
#else
#define UVAWS_EXTERN
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds since the Unix epoch; replaces the wall clock (tests, simulations). */
typedef int64_t (*uvaws_clock_fn)(void *arg);

/* A name and a value: a header, a query parameter. Both NUL-terminated. */
typedef struct {
  const char *name;
  const char *value;
} uvaws_kv_t;

#ifdef __cplusplus
}
#endif
#endif
