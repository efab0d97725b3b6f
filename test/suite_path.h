/* Where the shared test data lives: an environment variable first, else the
 * directory beside the checkout (../shared), as the project is laid out. */
#ifndef UVAWS_TEST_SUITE_PATH_H
#define UVAWS_TEST_SUITE_PATH_H

#include <stdio.h>
#include <stdlib.h>

static inline const char *sigv4_suite_dir(char *buf, size_t n) {
  const char *env = getenv("UVAWS_SIGV4_SUITE");
  if (env != NULL && env[0] != '\0')
    return env;
  snprintf(buf, n, "%s/../shared/sigv4-test-suite/v4", UVAWS_SOURCE_ROOT);
  return buf;
}

#endif
