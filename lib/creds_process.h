/* The credential_process source: runs the profile's command with uv_spawn
 * and reads credentials from its standard output (JSON, Version 1). */
#ifndef UVAWS_CREDS_PROCESS_H
#define UVAWS_CREDS_PROCESS_H

#include <uv.h>

#include "credentials.h"

typedef struct creds_process_s creds_process_t;

/* `creds` is NULL on failure, then `code` (UVAWS_ECREDS) and `detail` say why. */
typedef void (*creds_process_cb)(void *arg, creds_t *creds, int code, const char *detail);

/* Splits `command` into words as a POSIX shell does for quoting (and as the
 * AWS CLI does, with shlex): blanks separate, '...' is literal, "..." honours
 * \" \\ \$ \`, and a backslash outside quotes escapes the next character. No
 * expansion of any kind and no operators: "a;b" is one word. Returns a
 * NULL-terminated array (free with creds_free_words) or NULL on an unclosed
 * quote, an empty command, or no memory. */
char **creds_split_words(const char *command);
void creds_free_words(char **words);

/* Parses a process's output; *why says what is wrong when it returns -1. */
int creds_from_process_json(const char *text, size_t len, creds_t *out, const char **why);

/* Starts `command`; NULL when it cannot be split or spawned (the callback is
 * not called then). The process is killed after 60 s. */
creds_process_t *creds_process_start(uv_loop_t *loop, const char *command, creds_process_cb cb,
                                     void *arg);

/* The callback will not be called; the process is killed and everything freed. */
void creds_process_abandon(creds_process_t *p);

#endif
