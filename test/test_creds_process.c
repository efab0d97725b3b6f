/* credential_process under attack, through creds_process_start with real
 * helper scripts: a timeout kills the whole process group (a child left
 * holding the pipe, a child that writes forever), output past 64 KiB kills
 * at once, stderr shows in an error detail only with key material redacted,
 * standard output is read to its end (many small writes, the helper gone
 * before the last byte), stderr past its limit neither blocks the helper nor
 * counts as output, and abandoning a helper kills its group. A watchdog ends
 * every run: a helper the code under test fails to stop fails the test. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "creds_process.h"
#include "uvaws/error.h"

#define WATCHDOG_MS 15000

static char dir[256];

typedef struct {
  int calls, code;
  char key[128];
  char detail[512];
} result_t;

static void on_result(void *arg, creds_t *creds, int code, const char *detail) {
  result_t *r = arg;
  r->calls++;
  r->code = code;
  snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
  if (creds)
    snprintf(r->key, sizeof r->key, "%s", creds->access_key);
}

static void on_watchdog(uv_timer_t *t) { uv_stop(t->loop); }

/* Writes the script, runs `script ARGS` with `timeout_ms`; the watchdog
 * stops the loop if the callback never comes. */
static result_t run_script(const char *body, const char *args, uint64_t timeout_ms) {
  char path[512], cmd[1024];
  snprintf(path, sizeof path, "%s/helper.sh", dir);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(body, f);
  fclose(f);
  chmod(path, 0700);
  snprintf(cmd, sizeof cmd, "%s %s", path, args ? args : "");
  result_t r = {0};
  uv_loop_t loop;
  uv_loop_init(&loop);
  uv_timer_t watchdog;
  uv_timer_init(&loop, &watchdog);
  uv_unref((uv_handle_t *)&watchdog);
  uv_timer_start(&watchdog, on_watchdog, WATCHDOG_MS, 0);
  creds_process_t *p = creds_process_start(&loop, cmd, timeout_ms, on_result, &r);
  assert_non_null(p);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (r.calls == 0) {
    print_error("no answer within %d ms\n", WATCHDOG_MS);
    creds_process_abandon(p);
  }
  uv_close((uv_handle_t *)&watchdog, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  return r;
}

/* The pid a helper wrote to `name` in the test directory. */
static pid_t pid_in(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  long pid = 0;
  assert_int_equal(fscanf(f, "%ld", &pid), 1);
  fclose(f);
  return (pid_t)pid;
}

/* Gone, or a zombie waiting for whoever adopted it: not running either way. */
static int running(pid_t pid) {
  char path[64], stat[512];
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  FILE *f = fopen(path, "r");
  if (f == NULL)
    return 0;
  size_t n = fread(stat, 1, sizeof stat - 1, f);
  fclose(f);
  stat[n] = '\0';
  const char *p = strrchr(stat, ')');
  return p != NULL && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

/* The child may take a moment to die after SIGKILL: the kernel is asked, not
 * a clock (bounded by a count, not a duration). */
static void assert_dies(pid_t pid) {
  for (int i = 0; i < 2000 && running(pid); i++)
    usleep(1000);
  if (running(pid))
    kill(pid, SIGKILL); /* don't leave it behind, then fail */
  assert_false(running(pid));
}

#define GOOD_JSON "{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": \"s\"}"

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/uvaws-process-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_timeout_kills_the_group(void **state) {
  (void)state;
  char body[1024];
  /* the child inherits stdout and stderr and would hold them for 10 minutes */
  snprintf(body, sizeof body, "#!/bin/sh\nsleep 600 &\necho $! > %s/child\nsleep 600\n", dir);
  result_t r = run_script(body, NULL, 300);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "did not finish within 300 ms"));
  assert_dies(pid_in("child"));

  /* the helper gone, its child still holding stdout: the timeout ends it too */
  snprintf(body, sizeof body, "#!/bin/sh\nsleep 600 &\necho $! > %s/child\necho '%s'\nexit 0\n",
           dir, GOOD_JSON);
  r = run_script(body, NULL, 300);
  assert_int_equal(r.calls, 1);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "did not finish"));
  assert_dies(pid_in("child"));
}

static void test_endless_output_is_killed_at_once(void **state) {
  (void)state;
  /* the helper itself, then a child of it, writing forever; the timeout is
   * far beyond the watchdog, so only the 64 KiB limit can end these runs */
  const char *writers[] = {
      "#!/bin/sh\nwhile :; do echo xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done\n",
      "#!/bin/sh\n(while :; do echo yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy; done) &\n"
      "echo $! > %s/child\nwait\n",
  };
  for (size_t i = 0; i < 2; i++) {
    char body[1024];
    snprintf(body, sizeof body, writers[i], dir);
    result_t r = run_script(body, NULL, 600000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, UVAWS_ECREDS);
    assert_non_null(strstr(r.detail, "larger than 64 KiB"));
    if (i == 1)
      assert_dies(pid_in("child"));
  }
}

static void test_output_at_the_limit(void **state) {
  (void)state;
  /* exactly 64 KiB of valid JSON is taken, one byte more is not */
  for (int extra = 0; extra <= 1; extra++) {
    size_t pad = 65536 - strlen(GOOD_JSON) - strlen(", \"P\": \"\"") + (size_t)extra;
    char body[512];
    snprintf(body, sizeof body,
             "#!/bin/sh\nprintf '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", "
             "\"SecretAccessKey\": \"s\", \"P\": \"'\nhead -c %zu /dev/zero | tr '\\0' x\n"
             "printf '\"}'\n", pad);
    result_t r = run_script(body, NULL, 600000);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.code, extra ? UVAWS_ECREDS : 0);
    if (!extra)
      assert_string_equal(r.key, "AKIDPROC");
  }
}

static void test_stderr_is_redacted(void **state) {
  (void)state;
  static const struct {
    const char *line, *secret;
  } cases[] = {
      {"aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI"},
      {"aws_secret_access_key = tiny", "tiny"},
      {"{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\": \"se/cr+et\"}",
       "se/cr+et"},
      {"{\"AccessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\": \"se/cr+et\"}",
       "AKIAIOSFODNN7EXAMPLE"},
      {"assumed ASIAQWERTYUIOPASDFGH with FwoGZXIvYXdzEJr//////////wEaDOWmRSO3", "FwoGZXIv"},
      {"assumed ASIAQWERTYUIOPASDFGH with FwoGZXIvYXdzEJr//////////wEaDOWmRSO3",
       "ASIAQWERTYUIOPASDFGH"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char body[1024];
    snprintf(body, sizeof body, "#!/bin/sh\ncat >&2 <<'EOF'\n%s\nEOF\nexit 1\n", cases[i].line);
    result_t r = run_script(body, NULL, 600000);
    assert_int_equal(r.code, UVAWS_ECREDS);
    if (strstr(r.detail, cases[i].secret) != NULL)
      print_error("detail: %s\n", r.detail);
    assert_non_null(strstr(r.detail, "status 1"));
    assert_non_null(strstr(r.detail, "[redacted]"));
    assert_null(strstr(r.detail, cases[i].secret));
  }
  /* what is no secret stays, to say what went wrong */
  result_t r = run_script("#!/bin/sh\necho 'cannot reach the vault' >&2\nexit 7\n", NULL, 600000);
  assert_non_null(strstr(r.detail, "status 7: cannot reach the vault"));
}

static void test_stdout_read_to_the_end(void **state) {
  (void)state;
  /* many small writes, with pauses between them */
  result_t r = run_script("#!/bin/sh\nfor part in '{\"Version\": 1, ' '\"AccessKeyId\": ' "
                          "'\"AKIDSLOW\", ' '\"SecretAccessKey\": ' '\"s\"}'; do\n"
                          "  printf '%s' \"$part\"; sleep 0.05\ndone\n",
                          NULL, 600000);
  assert_int_equal(r.code, 0);
  assert_string_equal(r.key, "AKIDSLOW");
  /* the helper exits first; its child writes the rest afterwards */
  r = run_script("#!/bin/sh\nprintf '{\"Version\": 1, '\n(sleep 0.3; printf '\"AccessKeyId\": "
                 "\"AKIDLATE\", \"SecretAccessKey\": \"s\"}') &\nexit 0\n",
                 NULL, 600000);
  assert_int_equal(r.code, 0);
  assert_string_equal(r.key, "AKIDLATE");
}

static void test_stderr_past_its_limit(void **state) {
  (void)state;
  /* 1 MiB of stderr: read and dropped (a helper blocked on a full pipe would
   * never exit), never taken for output */
  const char *noisy = "#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' w >&2\necho '" GOOD_JSON
                      "'\n";
  result_t r = run_script(noisy, NULL, 600000);
  assert_int_equal(r.code, 0);
  assert_string_equal(r.key, "AKIDPROC");
  /* and a failing helper's detail stays short */
  r = run_script("#!/bin/sh\nhead -c 1048576 /dev/zero | tr '\\0' ' ' >&2\nexit 3\n", NULL,
                 600000);
  assert_int_equal(r.code, UVAWS_ECREDS);
  assert_non_null(strstr(r.detail, "status 3"));
  assert_true(strlen(r.detail) < 400);
}

static void test_words_reach_the_helper(void **state) {
  (void)state;
  result_t r = run_script("#!/bin/sh\n[ \"$#\" = 4 ] && [ \"$1\" = 'a b' ] && [ \"$2\" = 'c\"d' ] "
                          "&& [ \"$3\" = 'e f' ] && [ \"$4\" = '$HOME;x' ] || exit 9\necho '"
                          GOOD_JSON "'\n",
                          "'a b' \"c\\\"d\" e\\ f '$HOME;x'", 600000);
  if (r.code != 0)
    print_error("%s\n", r.detail);
  assert_int_equal(r.code, 0);
}

typedef struct {
  creds_process_t *p;
  char pidfile[512];
  int abandoned;
} abandon_t;

static void try_abandon(uv_timer_t *t) {
  abandon_t *a = t->data;
  if (access(a->pidfile, R_OK) != 0)
    return; /* the helper has not started its child yet */
  creds_process_abandon(a->p);
  a->abandoned = 1;
  uv_close((uv_handle_t *)t, NULL);
}

static void test_abandon_kills_the_group(void **state) {
  (void)state;
  char path[512], body[2048], pidfile[300];
  snprintf(path, sizeof path, "%s/helper.sh", dir);
  snprintf(pidfile, sizeof pidfile, "%s/child", dir);
  snprintf(body, sizeof body, "#!/bin/sh\nsleep 600 &\necho $! > %s.tmp\nmv %s.tmp %s\nsleep 600\n",
           pidfile, pidfile, pidfile);
  FILE *f = fopen(path, "w");
  fputs(body, f);
  fclose(f);
  chmod(path, 0700);
  uv_loop_t loop;
  uv_loop_init(&loop);
  result_t r = {0};
  abandon_t a = {0};
  snprintf(a.pidfile, sizeof a.pidfile, "%s", pidfile);
  a.p = creds_process_start(&loop, path, 600000, on_result, &r);
  assert_non_null(a.p);
  uv_timer_t poll;
  uv_timer_init(&loop, &poll);
  poll.data = &a;
  uv_timer_start(&poll, try_abandon, 10, 10);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  assert_true(a.abandoned);
  assert_int_equal(r.calls, 0); /* abandoned: no callback */
  assert_dies(pid_in("child"));
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
  const struct CMUnitTest tests[] = {
      T(test_timeout_kills_the_group),
      T(test_endless_output_is_killed_at_once),
      T(test_output_at_the_limit),
      T(test_stderr_is_redacted),
      T(test_stdout_read_to_the_end),
      T(test_stderr_past_its_limit),
      T(test_words_reach_the_helper),
      T(test_abandon_kills_the_group),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
