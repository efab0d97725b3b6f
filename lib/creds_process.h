/* The credential_process source: runs the profile's command with uv_spawn
 * and reads credentials from its standard output (JSON, Version 1). */
#ifndef UVAWS_CREDS_PROCESS_H
#define UVAWS_CREDS_PROCESS_H

#include <stdint.h>

#include <uv.h>

#include "creds.h"

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

/* The first line of a helper's stderr as an error detail may show it: every
 * run that could be key material (16 or more base64 characters with a digit,
 * '+', '=' or mixed case; AKIA/ASIA ids) and every value after a name such as
 * aws_secret_access_key=, "SecretAccessKey": or token: becomes "[redacted]";
 * control and non-ASCII bytes become '?'. Always NUL-terminates `out`. */
void creds_redact(const char *in, size_t n, char *out, size_t outn);

/* Starts `command` in a session (and process group) of its own; NULL when it
 * cannot be split or memory runs out (the callback is not called then). Its
 * standard output is read to EOF, however many writes it comes in and even
 * after the helper exits. After `timeout_ms`, or as soon as stdout passes
 * 64 KiB, SIGKILL goes to the whole process group and the outcome is
 * reported without waiting for the pipes (a child may hold them). */
creds_process_t *creds_process_start(uv_loop_t *loop, const char *command, uint64_t timeout_ms,
                                     creds_process_cb cb, void *arg);

/* The callback will not be called; the process group is killed, everything freed. */
void creds_process_abandon(creds_process_t *p);

#endif
