/* libFuzzer target for what credential sources answer: the input, exactly
 * as long as it is, goes through creds_from_json_text (container and
 * instance metadata answers), creds_from_process_json (credential_process
 * output) and, cut at its first NUL, creds_container_url. Whatever is
 * accepted must pass creds_check_fields, and must not expire at 0 ("never")
 * when it named an Expiration. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "creds_check.h"

static void check(const creds_t *c) {
  const char *why;
  if (creds_check_fields(c, &why) != 0)
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *s = malloc(size ? size : 1);
  if (s == NULL)
    return 0;
  memcpy(s, data, size);
  creds_t c;
  const char *why = NULL;
  if (creds_from_json_text(s, size, "Token", 1, &c, &why) == 0) {
    check(&c);
    if (c.session_token == NULL || c.expiration == 0)
      abort(); /* a full answer has both */
    creds_clear(&c);
  } else if (why == NULL) {
    abort();
  }
  if (creds_from_process_json(s, size, &c, &why) == 0) {
    check(&c);
    creds_clear(&c);
  }
  char *url = malloc(size + 1);
  if (url != NULL) {
    memcpy(url, data, size);
    url[size] = '\0';
    char *fetched = NULL;
    if (creds_container_url(url, &fetched, &why) == 0 && fetched == NULL)
      abort();
    free(fetched);
    free(url);
  }
  free(s);
  return 0;
}
