#include "sigv4_memo.h"

#include <stdint.h>

/* The inputs as strings, in the order they are serialized: a string is its
 * length then its bytes, NULL is SIZE_MAX alone. Credentials and scope are
 * in it too although they do not shape the canonical request: a match then
 * also means they were validated, with the same result. */
#define FIXED_STRINGS 6

static void fixed_strings(const uvaws_sigv4_input_t *in, const char *s[FIXED_STRINGS]) {
  /* The token is in the canonical request when it is signed as a header. */
  int token_signed = in->session_token != NULL && in->session_token[0] != '\0' &&
                     !(in->flags & UVAWS_SIGV4_TOKEN_UNSIGNED);
  s[0] = in->method;
  s[1] = in->path;
  s[2] = token_signed ? in->session_token : NULL;
  s[3] = in->access_key;
  s[4] = in->region;
  s[5] = in->service;
}

static void put_str(buf_t *b, const char *s) {
  size_t n = s ? strlen(s) : SIZE_MAX;
  buf_add(b, &n, sizeof n);
  if (s)
    buf_add(b, s, n);
}

/* Compares the string at *p with `s` and steps past it; 1 when equal. The
 * key was written by sigv4_memo_store from inputs with the same counts (they
 * are compared first), so it holds exactly the strings read here. */
static inline int same_str(const char **p, const char *s) {
  size_t n;
  memcpy(&n, *p, sizeof n);
  *p += sizeof n;
  if (s == NULL || n == SIZE_MAX)
    return s == NULL && n == SIZE_MAX;
  if (strncmp(*p, s, n) != 0 || s[n] != '\0')
    return 0;
  *p += n;
  return 1;
}

int sigv4_memo_match(sigv4_memo_t *m, const uvaws_sigv4_input_t *in) {
  m->input = in;
  if (!m->valid || (in->flags & UVAWS_SIGV4_CONTENT_SHA256))
    return 0;
  size_t counts[3] = {in->flags, in->query_count, in->header_count};
  const char *p = m->key.data;
  if (memcmp(p, counts, sizeof counts) != 0)
    return 0;
  p += sizeof counts;
  const char *s[FIXED_STRINGS];
  fixed_strings(in, s);
  for (int i = 0; i < FIXED_STRINGS; i++)
    if (!same_str(&p, s[i]))
      return 0;
  for (size_t i = 0; i < in->query_count; i++)
    if (!same_str(&p, in->query[i].name) || !same_str(&p, in->query[i].value))
      return 0;
  for (size_t i = 0; i < in->header_count; i++)
    if (!same_str(&p, in->headers[i].name) || !same_str(&p, in->headers[i].value))
      return 0;
  return 1;
}

void sigv4_memo_store(sigv4_memo_t *m, size_t prefix_len, size_t date_off) {
  const uvaws_sigv4_input_t *in = m->input;
  m->valid = 0;
  if (in == NULL || (in->flags & UVAWS_SIGV4_CONTENT_SHA256))
    return;
  size_t counts[3] = {in->flags, in->query_count, in->header_count};
  buf_t *b = &m->key;
  buf_reset(b);
  buf_add(b, counts, sizeof counts);
  const char *s[FIXED_STRINGS];
  fixed_strings(in, s);
  for (int i = 0; i < FIXED_STRINGS; i++)
    put_str(b, s[i]);
  for (size_t i = 0; i < in->query_count; i++) {
    put_str(b, in->query[i].name);
    put_str(b, in->query[i].value);
  }
  for (size_t i = 0; i < in->header_count; i++) {
    put_str(b, in->headers[i].name);
    put_str(b, in->headers[i].value);
  }
  if (b->failed)
    return;
  m->prefix_len = prefix_len;
  m->date_off = date_off;
  m->valid = 1;
}

void sigv4_memo_free(sigv4_memo_t *m) {
  buf_free(&m->key);
  m->valid = 0;
  m->input = NULL;
}
