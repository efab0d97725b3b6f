/* Reads a small file through libuv's thread pool, so that a token file read
 * at refresh time never blocks the loop. */
#ifndef UVAWS_FS_READ_H
#define UVAWS_FS_READ_H

#include <stddef.h>

#include <uv.h>

typedef struct fs_read_s fs_read_t;

/* `data` is NUL-terminated and valid during the call; `err` is a libuv
 * error (negative) or UV_EFBIG when the file exceeds `max`, else 0. */
typedef void (*fs_read_cb)(void *arg, const char *data, size_t len, int err);

/* Starts reading `path`. Returns NULL when out of memory. */
fs_read_t *fs_read_start(uv_loop_t *loop, const char *path, size_t max, fs_read_cb cb, void *arg);

/* The callback will not be called; the read finishes and frees itself. */
void fs_read_abandon(fs_read_t *r);

#endif
