/* The uvaws command-line tool: shared pieces of its commands. */
#ifndef UVAWS_CLI_H
#define UVAWS_CLI_H

#include <stdio.h>

#include <cjson/cJSON.h>
#include <uvaws.h>

/* Exit statuses, by outcome (also in `uvaws --help`). */
enum {
  EXIT_OK = 0,
  EXIT_AWS = 1,     /* AWS answered with an error */
  EXIT_USAGE = 2,   /* bad arguments or input */
  EXIT_NETWORK = 3, /* no answer: network, timeout, TLS */
  EXIT_CONFIG = 4,  /* configuration or credentials */
  EXIT_OTHER = 5,
};

typedef struct {
  const char *region, *profile, *endpoint, *ca_file;
  unsigned max_attempts;
  double timeout_s;  /* one attempt; -1: the library's default, 0: none */
  double deadline_s; /* the whole request; 0: none */
  int verbose;       /* -v: info, -vv: debug, to stderr */
  int no_verify_ssl;
  unsigned concurrency;
  int progress;      /* -1: when stderr is a terminal */
  unsigned expires;  /* presign */
  const char *method; /* presign, sign */
  int explain;        /* sign */
  const char *headers[32]; /* sign: "Name: value" */
  int header_count;
  const char *data;   /* sign: body, or @file */
  const char *payload_in;  /* call: the payload streamed from this file */
  const char *payload_out; /* call: a blob payload streamed to this file ("-": stdout) */
} cli_opts_t;

/* A client for `service` on `loop` from the options; prints why on failure. */
uvaws_client_t *cli_client(uv_loop_t *loop, const char *service, const cli_opts_t *o, int *exit_code);
void cli_close(uv_loop_t *loop, uvaws_client_t *c);

/* The exit status for an error code. */
int cli_exit_for(int code);

/* Prints an error to stderr: type, message, request id, status. */
void cli_print_error(const char *what, const uvaws_error_t *e);

/* The error as a JSON object (for batch lines). */
cJSON *cli_error_json(const uvaws_error_t *e, long status);

/* Reads "@file" or returns the text itself; NULL (and a message) on failure.
 * The result is malloc'd. "-" reads standard input. */
char *cli_text_arg(const char *arg);

int cmd_batch(const char *service, const char *input, const cli_opts_t *o);

/* help.c: the commands' own help. */
const char *cli_command_synopsis(const char *name); /* NULL: no such command */
int cli_command_help(const char *name, FILE *out);  /* 0, or -1: no such command */
void cli_command_list(FILE *out);                   /* "call, batch, ..." */

/* models_help.c: the services (NULL or "services"), the operations of one,
 * the parameters and output of one operation; an exit status. */
int cli_models_help(const char *service, const char *operation, FILE *out);

#endif
