/* uvaws COMMAND --help: what each command does, its arguments and the
 * options that apply to it, so a person never has to read the whole page. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Options every command that reaches AWS takes. */
static const char common[] =
    "  --region REGION        instead of AWS_REGION, AWS_DEFAULT_REGION, the profile's\n"
    "  --profile NAME         instead of AWS_PROFILE, AWS_DEFAULT_PROFILE, default\n"
    "  --endpoint URL         instead of AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, ...\n"
    "  --ca-file FILE         trust this CA bundle\n"
    "  --no-verify-ssl        turn TLS verification off (never in production)\n"
    "  -v, --verbose          log to stderr (twice: debug); secrets are never logged\n";

/* Options of commands that send requests. */
static const char sending[] =
    "  --max-attempts N       attempts per request, first included (default 3)\n"
    "  --timeout SECONDS      one attempt, connect to last byte (default 60; 0: none)\n"
    "  --deadline SECONDS     the whole request, retries and waits included\n"
    "                         (default: none)\n";

typedef struct {
  const char *name, *synopsis, *text;
  int sends; /* takes the sending options */
  const char *own; /* options of its own */
} command_t;

static const command_t commands[] = {
    {"call", "call SERVICE OPERATION [JSON | @FILE | -]",
     "Calls one operation. The parameters are a JSON object given inline, read from\n"
     "@FILE, or from standard input (-). The result is printed as JSON on stdout;\n"
     "an error goes to stderr with its AWS type, message and request id. Any\n"
     "operation of any service (uvaws help SERVICE lists them); the parameters are\n"
     "checked against the service's model before anything is sent.\n"
     "  uvaws call dynamodb GetItem '{\"TableName\": \"t\", \"Key\": {\"id\": {\"S\": \"1\"}}}'\n"
     "  uvaws call s3 PutObject '{\"Bucket\": \"b\", \"Key\": \"k\"}' --payload report.pdf\n"
     "  uvaws call s3 GetObject '{\"Bucket\": \"b\", \"Key\": \"k\"}' --output-payload copy.pdf\n",
     1,
     "  --payload FILE         the operation's payload (S3's Body) streamed from FILE\n"
     "  --output-payload FILE  a payload answer streamed to FILE (- for stdout); without\n"
     "                         it, the payload is printed in the output as base64\n"},
    {"batch", "batch SERVICE [FILE | -]",
     "Runs many calls concurrently: JSON lines {\"op\": ..., \"params\": {...}, \"id\": ...}\n"
     "from FILE or standard input, one JSON result line per input line on stdout (in\n"
     "completion order, with its id), a summary with latency percentiles on stderr.\n"
     "The progress bar shows a percentage and ETA for a file, a count and rate for a\n"
     "pipe.\n",
     1,
     "  --concurrency N        requests in flight (default 64)\n"
     "  --progress, --no-progress  the progress bar (default: when stderr is a tty)\n"},
    {"presign", "presign SERVICE PATH",
     "Prints a presigned URL for PATH (query allowed: /bucket/key?versionId=1), signed\n"
     "with the credentials found as for any call; nothing is sent.\n"
     "  uvaws presign s3 /my-bucket/report.pdf --expires 600\n",
     0,
     "  --expires SECONDS      lifetime, up to 604800 (default 3600)\n"
     "  --method METHOD        the HTTP method (default GET)\n"},
    {"sign", "sign SERVICE PATH",
     "Prints the headers that sign a request; with --explain, also the canonical\n"
     "request and the string to sign, to compare with what AWS says when it answers\n"
     "SignatureDoesNotMatch. A session token is shown redacted. Nothing is sent.\n",
     0,
     "  --method METHOD        the HTTP method (default GET)\n"
     "  -H, --header 'N: V'    a header to sign (repeatable)\n"
     "  --data BODY | @FILE    the body\n"
     "  --explain              show the canonical request and string to sign\n"},
    {"help", "help [COMMAND | services | SERVICE [OPERATION]]",
     "Prints the help of COMMAND, or the overview; the services of the models; the\n"
     "operations of SERVICE; the parameters and output of one OPERATION.\n"
     "  uvaws help s3 PutObject\n",
     0, NULL},
};

const char *cli_command_synopsis(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(commands[i].name, name) == 0)
      return commands[i].synopsis;
  return NULL;
}

int cli_command_help(const char *name, FILE *out) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    const command_t *c = &commands[i];
    if (strcmp(c->name, name) != 0)
      continue;
    fprintf(out, "usage: uvaws [options] %s\n\n%s", c->synopsis, c->text);
    if (c->own != NULL) /* help itself takes no options */
      fprintf(out, "\noptions:\n%s%s%s", c->own, c->sends ? sending : "", common);
    return 0;
  }
  return -1;
}

void cli_command_list(FILE *out) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    fprintf(out, "%s%s", i ? ", " : "", commands[i].name);
}
