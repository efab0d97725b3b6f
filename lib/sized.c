#include "sized.h"

#include <string.h>

#include "uvaws/error.h"

int sized_read(void *dst, size_t dst_size, const void *src, const char **why) {
  size_t size;
  memcpy(&size, src, sizeof size); /* every version starts with it */
  const char *problem = NULL;
  if (size == 0)
    problem = "size is 0: initialize the struct with its INIT macro or init function";
  else if (size % sizeof(size_t) != 0)
    problem = "size is not the sizeof of any version of the struct";
  else if (size > dst_size) {
    const unsigned char *extra = (const unsigned char *)src + dst_size;
    for (size_t i = 0; i < size - dst_size && problem == NULL; i++)
      if (extra[i] != 0)
        problem = "sets fields this version of uvaws does not know (built against a newer "
                  "uvaws): link the newer library";
  }
  if (problem != NULL) {
    if (why != NULL)
      *why = problem;
    return UVAWS_EINVAL;
  }
  memcpy(dst, src, size < dst_size ? size : dst_size);
  memcpy(dst, &dst_size, sizeof dst_size);
  return 0;
}

int sized_init(void *dst, size_t size) {
  if (dst == NULL)
    return UVAWS_EINVAL;
  memset(dst, 0, size);
  memcpy(dst, &size, sizeof size);
  return 0;
}
