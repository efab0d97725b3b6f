/* libFuzzer target for the JMESPath of paginators and waiters: the input up
 * to its first NUL is an expression, the rest a JSON document to search.
 * Must never crash, hang or leak; results print as JSON. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jmespath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const uint8_t *nul = memchr(data, 0, size);
  size_t n = nul ? (size_t)(nul - data) : size;
  char *expr = malloc(n + 1);
  memcpy(expr, data, n);
  expr[n] = '\0';
  jp_expr_t *e = jp_compile(expr, NULL, 0);
  if (e != NULL) {
    cJSON *doc = nul ? cJSON_ParseWithLength((const char *)nul + 1, size - n - 1) : NULL;
    cJSON *r = jp_search(e, doc);
    if (r != NULL) {
      char *text = cJSON_PrintUnformatted(r);
      free(text);
      (void)jp_truthy(r);
      (void)jp_equal(r, doc);
    }
    cJSON_Delete(r);
    cJSON_Delete(doc);
    jp_free(e);
  }
  free(expr);
  return 0;
}
