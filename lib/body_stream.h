/* Bodies that stream: a request body read as it goes out and an answer's
 * body written as it comes in, instead of either held in memory (S3 objects
 * larger than memory). The transport calls these; the operation layer
 * implements them over file descriptors (stream.c). */
#ifndef UVAWS_BODY_STREAM_H
#define UVAWS_BODY_STREAM_H

#include <stddef.h>
#include <stdint.h>

/* A read's or write's failure. */
#define BODY_STREAM_ERROR ((size_t)-1)

typedef struct {
  uint64_t len; /* the body's length: sent as Content-Length */
  /* Called when a transfer (a first attempt or a retry) starts, and when
   * curl must send the body again: back to the first byte; 0, or anything
   * else to fail the transfer. */
  int (*begin)(void *arg);
  /* Fills up to `n` bytes of `buf`: the count, 0 at the end, or
   * BODY_STREAM_ERROR. */
  size_t (*read)(void *arg, char *buf, size_t n);
  void *arg;
} body_source_t;

/* Where a 2xx answer's body goes (other answers, which are errors, are kept
 * in memory as always, within the size limit). */
typedef struct {
  int (*begin)(void *arg); /* as above: a transfer starts */
  /* Takes `n` bytes of the body; `expected` is its Content-Length (0 when
   * not given). Returns n, or anything else to fail the transfer. */
  size_t (*write)(void *arg, const char *data, size_t n, uint64_t expected);
  void *arg;
} body_sink_t;

#endif
