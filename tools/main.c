/* uvaws: call AWS operations from the shell, one or thousands at a time.
 *
 *   uvaws call SERVICE OPERATION [JSON | @FILE | -]
 *   uvaws batch SERVICE [--concurrency N] [--progress | --no-progress] [FILE]
 *   uvaws presign [--expires S] [--method M] SERVICE PATH
 *   uvaws sign [--explain] [--method M] [-H 'Name: value']... [--data BODY | @FILE] SERVICE PATH
 *   uvaws help [COMMAND]       (or uvaws COMMAND --help)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "buf.h"
#include "cli.h"

static const char usage[] =
    "usage: uvaws [options] COMMAND ...\n"
    "\n"
    "commands:\n"
    "  call SERVICE OPERATION [JSON | @FILE | -]\n"
    "        one call; the JSON result on stdout, an error on stderr\n"
    "  batch SERVICE [FILE]\n"
    "        JSON lines {\"op\": ..., \"params\": {...}, \"id\": ...} from FILE or stdin, run\n"
    "        concurrently; one JSON line per result on stdout; a summary on stderr\n"
    "  presign SERVICE PATH\n"
    "        a presigned URL for PATH (e.g. uvaws presign s3 /bucket/key)\n"
    "  sign SERVICE PATH\n"
    "        the headers that sign a request; with --explain, the canonical request and\n"
    "        the string to sign (what to compare when AWS says SignatureDoesNotMatch)\n"
    "  help [COMMAND]\n"
    "        the help of one command (also: uvaws COMMAND --help)\n"
    "\n"
    "options:\n"
    "  --region REGION        instead of AWS_REGION, AWS_DEFAULT_REGION, the profile's\n"
    "  --profile NAME         instead of AWS_PROFILE, AWS_DEFAULT_PROFILE, default\n"
    "  --endpoint URL         instead of AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, ...\n"
    "  --max-attempts N       attempts per request, first included (default 3)\n"
    "  --timeout SECONDS      one attempt, connect to last byte (default 60; 0: none)\n"
    "  --deadline SECONDS     the whole request, retries and waits included (default: none)\n"
    "  --ca-file FILE         trust this CA bundle\n"
    "  --no-verify-ssl        turn TLS verification off (never in production)\n"
    "  -v, --verbose          log to stderr (twice: debug); secrets are never logged\n"
    "  --concurrency N        batch: requests in flight (default 64)\n"
    "  --progress, --no-progress  batch: the progress bar (default: when stderr is a tty)\n"
    "  --expires SECONDS      presign: lifetime, up to 604800 (default 3600)\n"
    "  --method METHOD        presign, sign: the HTTP method (default GET)\n"
    "  -H, --header 'N: V'    sign: a header to sign (repeatable)\n"
    "  --data BODY | @FILE    sign: the body\n"
    "  --explain              sign: show the canonical request and string to sign\n"
    "  -h, --help             this text;  --version  the version\n"
    "\n"
    "Credentials are found as the AWS CLI finds them: AWS_ACCESS_KEY_ID and\n"
    "AWS_SECRET_ACCESS_KEY, ~/.aws/credentials and ~/.aws/config profiles,\n"
    "credential_process, roles, web identity, container credentials, instance metadata.\n"
    "\n"
    "exit status: 0 success, 1 AWS answered with an error, 2 bad arguments or input,\n"
    "3 no answer (network, timeout, TLS), 4 configuration or credentials, 5 other.\n"
    "batch exits 1 when any line failed.\n";

int cli_exit_for(int code) {
  switch (code) {
  case 0:
    return EXIT_OK;
  case UVAWS_EAWS:
    return EXIT_AWS;
  case UVAWS_EINVAL:
  case UVAWS_EOPERATION:
  case UVAWS_EPARAM:
  case UVAWS_EMETHOD:
  case UVAWS_EPATH:
  case UVAWS_EHEADERNAME:
  case UVAWS_EHEADERVALUE:
  case UVAWS_EQUERY:
  case UVAWS_EEXPIRES:
    return EXIT_USAGE;
  case UVAWS_ENETWORK:
  case UVAWS_ETIMEDOUT:
  case UVAWS_ETLS:
  case UVAWS_EPROTOCOL:
    return EXIT_NETWORK;
  case UVAWS_ENOCONFIG:
  case UVAWS_ECONFIG:
  case UVAWS_ENOPROFILE:
  case UVAWS_ENOCREDS:
  case UVAWS_ENOREGION:
  case UVAWS_EENDPOINT:
  case UVAWS_ECREDS:
    return EXIT_CONFIG;
  default:
    return EXIT_OTHER;
  }
}

void cli_print_error(const char *what, const uvaws_error_t *e) {
  fprintf(stderr, "uvaws: %s: ", what);
  if (e->aws_type)
    fprintf(stderr, "%s", e->aws_type);
  else
    fprintf(stderr, "%s", uvaws_err_name(e->code));
  if (e->message)
    fprintf(stderr, ": %s", e->message);
  else if (e->detail)
    fprintf(stderr, ": %s", e->detail);
  else if (!e->aws_type)
    fprintf(stderr, ": %s", uvaws_strerror(e->code));
  if (e->http_status)
    fprintf(stderr, " (HTTP %ld)", e->http_status);
  if (e->request_id)
    fprintf(stderr, " [request id %s]", e->request_id);
  fputc('\n', stderr);
}

cJSON *cli_error_json(const uvaws_error_t *e, long status) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddStringToObject(j, "code", uvaws_err_name(e->code));
  if (e->aws_type)
    cJSON_AddStringToObject(j, "type", e->aws_type);
  if (e->message || e->detail)
    cJSON_AddStringToObject(j, "message", e->message ? e->message : e->detail);
  if (e->request_id)
    cJSON_AddStringToObject(j, "request_id", e->request_id);
  if (status)
    cJSON_AddNumberToObject(j, "status", (double)status);
  return j;
}

char *cli_text_arg(const char *arg) {
  if (arg[0] != '@' && strcmp(arg, "-") != 0)
    return strdup(arg);
  const char *path = arg[0] == '@' ? arg + 1 : NULL;
  FILE *f = path ? fopen(path, "rb") : stdin;
  if (f == NULL) {
    fprintf(stderr, "uvaws: cannot read %s: %s\n", path, strerror(errno));
    return NULL;
  }
  buf_t b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    buf_add(&b, chunk, n);
  if (path)
    fclose(f);
  if (buf_str(&b) == NULL) {
    buf_free(&b);
    return NULL;
  }
  return b.data; /* the caller frees it */
}

static void on_log(uvaws_log_level_t level, const char *message, void *arg) {
  (void)arg;
  static const char *const names[] = {"", "error", "warn", "info", "debug"};
  fprintf(stderr, "uvaws %s: %s\n", names[level], message);
}

uvaws_client_t *cli_client(uv_loop_t *loop, const char *service, const cli_opts_t *o,
                           int *exit_code) {
  uvaws_client_options_t co;
  uvaws_client_options_init(&co);
  co.service = service;
  co.region = o->region;
  co.profile = o->profile;
  co.endpoint = o->endpoint;
  co.ca_file = o->ca_file;
  co.tls_no_verify = o->no_verify_ssl;
  co.max_attempts = o->max_attempts;
  /* unset: the library's default; 0: no limit */
  co.request_timeout_ms = o->timeout_s < 0 ? 0 : o->timeout_s == 0 ? -1 : (long)(o->timeout_s * 1000);
  co.deadline_ms = (long)(o->deadline_s * 1000);
  co.max_clients = o->concurrency ? o->concurrency : 64;
  co.user_agent_suffix = "uvaws-cli";
  if (o->verbose) {
    co.log_cb = on_log;
    co.log_level = o->verbose > 1 ? UVAWS_LOG_DEBUG : UVAWS_LOG_INFO;
  }
  uvaws_client_t *c = NULL;
  uvaws_error_t err;
  int rc = uvaws_client_new(loop, &co, &c, &err);
  if (rc != 0) {
    cli_print_error(service, &err);
    *exit_code = cli_exit_for(rc);
    uvaws_error_clear(&err);
    return NULL;
  }
  return c;
}

static void on_closed(uvaws_client_t *c, void *arg) {
  (void)c;
  (void)arg;
}

void cli_close(uv_loop_t *loop, uvaws_client_t *c) {
  uvaws_client_close(c, on_closed, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
}

/* ---- call ------------------------------------------------------------------ */

typedef struct {
  int exit_code;
  const char *operation;
  char payload_member[128]; /* the output's blob payload, when it has one */
} call_state_t;

static void on_call(uvaws_result_t *res, void *arg) {
  call_state_t *s = arg;
  if (res->error) {
    cli_print_error(s->operation, res->error);
    s->exit_code = cli_exit_for(res->error->code);
    return;
  }
  /* a payload that went to no file is shown with the output, as base64 */
  if (res->payload != NULL && s->payload_member[0]) {
    size_t n = res->payload_len;
    unsigned char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (b64 != NULL && n < (size_t)1 << 30) {
      EVP_EncodeBlock(b64, res->payload, (int)n);
      cJSON_AddStringToObject(res->output, s->payload_member, (const char *)b64);
    }
    free(b64);
  }
  char *text = cJSON_Print(res->output);
  if (text) {
    puts(text);
    free(text);
  }
  s->exit_code = EXIT_OK;
}

static const char *json_kind(const cJSON *j) {
  return cJSON_IsArray(j) ? "an array" : cJSON_IsString(j) ? "a string"
       : cJSON_IsNumber(j) ? "a number" : cJSON_IsBool(j) ? "a boolean" : "null";
}

/* Operations are known for the services of the table; the others can still
 * be signed for (presign, sign) by their signing name. With no model file at
 * all, that is what is said, with where it was looked for. */
static int service_known(const char *service) {
  if (uvaws_service_find(service) != NULL)
    return 1;
  if (uvaws_service_at(0) == NULL)
    fprintf(stderr, "uvaws: no service models in %s (the file services.bin, built with the "
                    "library and installed beside it); set UVAWS_MODEL_DIR to where it is\n",
            uvaws_models_dir());
  else
    fprintf(stderr, "uvaws: unknown service '%s': no operations are known for it\n", service);
  return 0;
}

static int cmd_call(const char *service, const char *operation, const char *json,
                    const cli_opts_t *o) {
  if (!service_known(service))
    return EXIT_USAGE;
  cJSON *params = NULL;
  if (json != NULL) {
    char *text = cli_text_arg(json);
    if (text == NULL)
      return EXIT_USAGE;
    const char *end = NULL;
    params = cJSON_ParseWithOpts(text, &end, 1);
    if (params == NULL) {
      fprintf(stderr, "uvaws: the parameters are not valid JSON (near byte %ld)\n",
              end ? (long)(end - text) : 0L);
      free(text);
      return EXIT_USAGE;
    }
    if (!cJSON_IsObject(params)) {
      fprintf(stderr, "uvaws: the parameters are JSON, but %s, not an object {...}\n",
              json_kind(params));
      cJSON_Delete(params);
      free(text);
      return EXIT_USAGE;
    }
    free(text);
  }
  uv_loop_t loop;
  uv_loop_init(&loop);
  int code = EXIT_OTHER;
  uvaws_client_t *c = cli_client(&loop, service, o, &code);
  if (c == NULL) {
    cJSON_Delete(params);
    uv_loop_close(&loop);
    return code;
  }
  call_state_t s = {EXIT_OTHER, operation, ""};
  /* the output's blob payload member, by the model */
  cJSON *d = uvaws_operation_describe(uvaws_service_find(service), operation);
  const cJSON *m;
  cJSON_ArrayForEach(m, cJSON_GetObjectItem(cJSON_GetObjectItem(d, "output"), "members")) {
    if (cJSON_IsTrue(cJSON_GetObjectItem(m, "payload")))
      snprintf(s.payload_member, sizeof s.payload_member, "%s", m->string);
  }
  cJSON_Delete(d);
  uvaws_call_options_t co = UVAWS_CALL_OPTIONS_INIT;
  int rc = 0;
  if (o->payload_in && (co.upload_fd = open(o->payload_in, O_RDONLY | O_CLOEXEC)) < 0) {
    fprintf(stderr, "uvaws: --payload %s: %s\n", o->payload_in, strerror(errno));
    rc = UVAWS_EIO;
  }
  if (rc == 0 && o->payload_out) {
    co.download_fd = strcmp(o->payload_out, "-") == 0
                         ? STDOUT_FILENO
                         : open(o->payload_out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (co.download_fd < 0) {
      fprintf(stderr, "uvaws: --output-payload %s: %s\n", o->payload_out, strerror(errno));
      rc = UVAWS_EIO;
    }
  }
  if (rc == 0) {
    rc = uvaws_call_ex(c, operation, params, &co, on_call, &s, NULL);
    if (rc != 0)
      fprintf(stderr, "uvaws: %s %s: %s (%s)\n", service, operation, uvaws_strerror(rc),
              uvaws_err_name(rc));
  }
  cJSON_Delete(params);
  if (rc != 0)
    s.exit_code = cli_exit_for(rc);
  uv_run(&loop, UV_RUN_DEFAULT);
  cli_close(&loop, c);
  uv_loop_close(&loop);
  if (co.upload_fd >= 0)
    close(co.upload_fd);
  if (co.download_fd > STDOUT_FILENO && close(co.download_fd) != 0 && s.exit_code == EXIT_OK) {
    fprintf(stderr, "uvaws: --output-payload %s: %s\n", o->payload_out, strerror(errno));
    s.exit_code = EXIT_OTHER;
  }
  return s.exit_code;
}

/* ---- presign and sign ------------------------------------------------------ */

typedef struct {
  int exit_code;
  int explain;
} sign_state_t;

static void on_signed(const uvaws_response_t *res, void *arg) {
  sign_state_t *s = arg;
  if (res->error) {
    cli_print_error("signing", res->error);
    s->exit_code = cli_exit_for(res->error->code);
    return;
  }
  s->exit_code = EXIT_OK;
  if (s->explain < 0) { /* presign: the URL */
    puts(res->body);
    return;
  }
  cJSON *j = cJSON_Parse(res->body);
  if (s->explain) {
    printf("%s %s\n\n--- canonical request\n%s\n\n--- string to sign\n%s\n\n--- headers\n",
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "method")),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "url")),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "canonical_request")),
           cJSON_GetStringValue(cJSON_GetObjectItem(j, "string_to_sign")));
  }
  const cJSON *h;
  cJSON_ArrayForEach(h, cJSON_GetObjectItem(j, "headers")) {
    printf("%s: %s\n", cJSON_GetStringValue(cJSON_GetObjectItem(h, "name")),
           cJSON_GetStringValue(cJSON_GetObjectItem(h, "value")));
  }
  cJSON_Delete(j);
}

static int cmd_sign(const char *service, const char *path, const cli_opts_t *o, int presign) {
  uvaws_kv_t headers[32];
  char *hbuf[32] = {0};
  size_t nh = 0;
  for (int i = 0; i < o->header_count; i++) {
    hbuf[nh] = strdup(o->headers[i]);
    char *colon = hbuf[nh] ? strchr(hbuf[nh], ':') : NULL;
    if (colon == NULL) {
      fprintf(stderr, "uvaws: header '%s': want 'Name: value'\n", o->headers[i]);
      for (size_t k = 0; k <= nh; k++)
        free(hbuf[k]);
      return EXIT_USAGE;
    }
    *colon = '\0';
    char *v = colon + 1;
    while (*v == ' ')
      v++;
    headers[nh] = (uvaws_kv_t){hbuf[nh], v};
    nh++;
  }
  char *body = o->data ? cli_text_arg(o->data) : NULL;
  int code = EXIT_OTHER;
  if (o->data && body == NULL)
    code = EXIT_USAGE;
  uv_loop_t loop;
  uv_loop_init(&loop);
  uvaws_client_t *c = code == EXIT_USAGE ? NULL : cli_client(&loop, service, o, &code);
  if (c != NULL) {
    /* the path as given, split at '?' into the query */
    char *p = strdup(path);
    char *q = p ? strchr(p, '?') : NULL;
    uvaws_kv_t query[64];
    size_t nq = 0;
    if (q) {
      *q++ = '\0';
      for (char *pair = strtok(q, "&"); pair && nq < 64; pair = strtok(NULL, "&")) {
        char *eq = strchr(pair, '=');
        if (eq)
          *eq++ = '\0';
        query[nq++] = (uvaws_kv_t){pair, eq ? eq : ""};
      }
    }
    uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = o->method ? o->method : "GET", .path = p,
                           .query = query, .query_count = nq, .headers = headers,
                           .header_count = nh, .body = body, .body_len = body ? strlen(body) : 0};
    sign_state_t s = {EXIT_OTHER, presign ? -1 : o->explain};
    int rc = presign ? uvaws_presign(c, &req, o->expires ? o->expires : 3600, on_signed, &s, NULL)
                     : uvaws_sign_explain(c, &req, on_signed, &s, NULL);
    if (rc != 0) {
      fprintf(stderr, "uvaws: %s: %s (%s)\n", presign ? "presign" : "sign", uvaws_strerror(rc),
              uvaws_err_name(rc));
      s.exit_code = cli_exit_for(rc);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    cli_close(&loop, c);
    code = s.exit_code;
    free(p);
  }
  uv_loop_close(&loop);
  free(body);
  for (size_t k = 0; k < nh; k++)
    free(hbuf[k]);
  return code;
}

/* ---- arguments ------------------------------------------------------------- */

static int need(int argc, char **argv, int i) {
  if (i + 1 >= argc) {
    fprintf(stderr, "uvaws: %s needs a value\n", argv[i]);
    exit(EXIT_USAGE);
  }
  return i + 1;
}

static unsigned parse_uint(const char *opt, const char *s) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  if (*s == '\0' || *end != '\0' || v == 0 || v > 1000000) {
    fprintf(stderr, "uvaws: %s %s: want a positive integer\n", opt, s);
    exit(EXIT_USAGE);
  }
  return (unsigned)v;
}

/* Run from a build tree (build/tools/uvaws), the tool uses the models built
 * beside it (build/models) unless UVAWS_MODEL_DIR says otherwise or the
 * installed ones are there: so the demo and a developer's first try work
 * before anything is installed. */
static void find_models(void) {
  const char *env = getenv("UVAWS_MODEL_DIR");
  char path[4096];
  if (env != NULL && env[0] != '\0')
    return;
  snprintf(path, sizeof path, "%s/services.bin", uvaws_models_dir());
  if (access(path, R_OK) == 0)
    return;
  size_t n = sizeof path - 32;
  if (uv_exepath(path, &n) != 0)
    return;
  char *slash = strrchr(path, '/');
  if (slash == NULL)
    return;
  strcpy(slash, "/../models/services.bin");
  if (access(path, R_OK) == 0) {
    path[strlen(path) - strlen("/services.bin")] = '\0';
    uvaws_models_set_dir(path);
  }
}

int main(int argc, char **argv) {
  cli_opts_t o;
  memset(&o, 0, sizeof o);
  o.progress = -1;
  o.concurrency = 64;
  o.timeout_s = -1;
  find_models();
  const char *pos[8];
  int npos = 0, help = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      help = 1;
    } else if (strcmp(a, "--version") == 0) {
      printf("uvaws %s\n", UVAWS_VERSION_STRING);
      return EXIT_OK;
    } else if (strcmp(a, "--region") == 0) {
      o.region = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--profile") == 0) {
      o.profile = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--endpoint") == 0 || strcmp(a, "--endpoint-url") == 0) {
      o.endpoint = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--ca-file") == 0) {
      o.ca_file = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--no-verify-ssl") == 0) {
      o.no_verify_ssl = 1;
    } else if (strcmp(a, "--max-attempts") == 0) {
      i = need(argc, argv, i);
      o.max_attempts = parse_uint(a, argv[i]);
    } else if (strcmp(a, "--timeout") == 0 || strcmp(a, "--deadline") == 0) {
      i = need(argc, argv, i);
      char *end;
      double v = strtod(argv[i], &end);
      /* a day at most: past that a number is a mistake, and ms must fit a long */
      if (end == argv[i] || *end != '\0' || !(v >= 0 && v <= 86400)) {
        fprintf(stderr, "uvaws: %s %s: want seconds from 0 to 86400\n", a, argv[i]);
        return EXIT_USAGE;
      }
      *(a[2] == 't' ? &o.timeout_s : &o.deadline_s) = v;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      o.verbose++;
    } else if (strcmp(a, "-vv") == 0) {
      o.verbose += 2;
    } else if (strcmp(a, "--concurrency") == 0) {
      i = need(argc, argv, i);
      o.concurrency = parse_uint(a, argv[i]);
    } else if (strcmp(a, "--progress") == 0) {
      o.progress = 1;
    } else if (strcmp(a, "--no-progress") == 0) {
      o.progress = 0;
    } else if (strcmp(a, "--expires") == 0) {
      i = need(argc, argv, i);
      o.expires = parse_uint(a, argv[i]);
    } else if (strcmp(a, "--method") == 0 || strcmp(a, "-X") == 0) {
      o.method = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "-H") == 0 || strcmp(a, "--header") == 0) {
      i = need(argc, argv, i);
      if (o.header_count < 32)
        o.headers[o.header_count++] = argv[i];
    } else if (strcmp(a, "--data") == 0 || strcmp(a, "-d") == 0) {
      o.data = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--explain") == 0) {
      o.explain = 1;
    } else if (strcmp(a, "--payload") == 0) {
      o.payload_in = argv[i = need(argc, argv, i)];
    } else if (strcmp(a, "--output-payload") == 0) {
      o.payload_out = argv[i = need(argc, argv, i)];
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "uvaws: unknown option %s (see uvaws --help)\n", a);
      return EXIT_USAGE;
    } else if (npos < 8) {
      pos[npos++] = a;
    }
  }
  const char *cmd = npos > 0 ? pos[0] : NULL;
  if (cmd && strcmp(cmd, "help") == 0 && !help) { /* uvaws help [COMMAND | SERVICE [OP]] */
    cmd = npos > 1 ? pos[1] : NULL;
    if (cmd != NULL && (npos > 2 || cli_command_synopsis(cmd) == NULL))
      return cli_models_help(cmd, npos > 2 ? pos[2] : NULL, stdout);
    help = 1;
  }
  if (help && cmd == NULL) {
    fputs(usage, stdout);
    return EXIT_OK;
  }
  const char *synopsis = cmd ? cli_command_synopsis(cmd) : NULL;
  if (cmd == NULL || synopsis == NULL) {
    if (cmd == NULL)
      fputs(usage, stderr);
    else {
      fprintf(stderr, "uvaws: unknown command '%s'; the commands are ", cmd);
      cli_command_list(stderr);
      fputs(" (uvaws --help)\n", stderr);
    }
    return EXIT_USAGE;
  }
  if (help)
    return cli_command_help(cmd, stdout) == 0 ? EXIT_OK : EXIT_USAGE;
  if (strcmp(cmd, "call") == 0 && (npos == 3 || npos == 4))
    return cmd_call(pos[1], pos[2], npos == 4 ? pos[3] : NULL, &o);
  if (strcmp(cmd, "batch") == 0 && (npos == 2 || npos == 3))
    return service_known(pos[1]) ? cmd_batch(pos[1], npos == 3 ? pos[2] : NULL, &o) : EXIT_USAGE;
  if (strcmp(cmd, "presign") == 0 && npos == 3)
    return cmd_sign(pos[1], pos[2], &o, 1);
  if (strcmp(cmd, "sign") == 0 && npos == 3)
    return cmd_sign(pos[1], pos[2], &o, 0);
  fprintf(stderr, "usage: uvaws [options] %s\n(uvaws %s --help says more)\n", synopsis, cmd);
  return EXIT_USAGE;
}
