/* A credential provider freed by its user from inside the callback of its
 * first or a middle answer while other fetches wait on the same flight:
 * every built-in provider with a flight. Container credentials (answering
 * and failing), credential_process, a chain forwarding its member's answer,
 * instance metadata; and the STS ones: AssumeRole from a source profile or
 * from container credentials, AssumeRoleWithWebIdentity from a token file,
 * with STS answering, refusing (its ErrorResponse) and cut off (a
 * connection reset), and the role's source failing. Nothing may be touched
 * after the free (ASan: the transport the chain owns is closed from inside
 * its own transfer's callback), nothing leaked, and the fetches after the
 * freeing one are never answered. The canned STS answers are laid out as
 * STS sends them, and botocore reads them as uvaws must. */
#include <sys/wait.h>

#include "creds_fixture.h"

/* ---- a callback that frees its provider --------------------------------------- */

/* The provider the next on_answer_freeing call frees (then NULL). */
static uvaws_creds_provider_t *free_in_answer;

static void on_answer_freeing(const uvaws_credentials_t *creds, const uvaws_error_t *err,
                              void *arg) {
  on_answer(creds, err, arg);
  uvaws_creds_provider_t *p = free_in_answer;
  free_in_answer = NULL;
  uvaws_creds_provider_free(p);
}

#define WAITERS 3

/* WAITERS fetches of one flight on `p`; the answer of fetch `freer` frees
 * p. The fetches before it and it are answered once each (with `key`, or a
 * failure saying `why` when key is NULL), the ones after it never (freeing cancels
 * them), and nothing is touched after the free (ASan): no waiter, no frame
 * of the answer in progress, nothing leaked; the loop then closes. */
static void answer_frees_provider(uv_loop_t *loop, uvaws_creds_provider_t *p, int freer,
                                  const char *key, const char *why) {
  answer_t a[WAITERS];
  memset(a, 0, sizeof a);
  for (int i = 0; i < WAITERS; i++)
    assert_int_equal(uvaws_creds_fetch(p, i == freer ? on_answer_freeing : on_answer, &a[i], NULL),
                     0);
  free_in_answer = p;
  uv_run(loop, UV_RUN_DEFAULT);
  assert_null(free_in_answer); /* freed from the callback */
  for (int i = 0; i < WAITERS; i++) {
    if (i > freer) {
      assert_int_equal(a[i].answers, 0);
      continue;
    }
    assert_int_equal(a[i].answers, 1);
    if (key != NULL) {
      assert_int_equal(a[i].code, 0);
      assert_string_equal(a[i].key, key);
    } else {
      assert_int_equal(a[i].code, UVAWS_ECREDS);
      assert_has(a[i].detail, why);
    }
  }
  assert_int_equal(uv_loop_close(loop), 0);
}

/* The built-in providers with a flight that are not STS's (container
 * credentials answering and failing, credential_process, a chain forwarding
 * its member's answer, instance metadata), freed by the first waiter's
 * answer and by a middle one's. */
static void test_answer_frees_provider(void **state) {
  (void)state;
  char script[512];
  process_script(script, "AKIDPROCFREE");
  for (int freer = 0; freer < WAITERS - 1; freer++) {
    for (int kind = 0; kind < 5; kind++) {
      fresh(NULL);
      uv_loop_t loop;
      uv_loop_init(&loop);
      uvaws_creds_provider_t *p = NULL;
      const char *key = "ASIACONT00000001";
      if (kind <= 1) { /* container credentials; failing with a 500 the second time */
        use_container();
        if (kind == 1)
          configure("{\"container_status\": 500}");
        key = kind == 1 ? NULL : key;
        assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, NULL), 0);
        assert_string_equal(p->name, "container credentials");
      } else if (kind == 4) { /* instance metadata (IMDSv2: token, then role, then keys) */
        use_metadata();
        key = "ASIAIMDS00000001";
        assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, NULL), 0);
      } else if (kind == 2) {
        key = "AKIDPROCFREE";
        assert_int_equal(uvaws_creds_provider_process(&loop, script, &p, NULL), 0);
      } else { /* the environment has nothing, the process answers: forwarded */
        key = "AKIDPROCFREE";
        uvaws_creds_provider_t *m[2];
        assert_int_equal(uvaws_creds_provider_environment(&m[0], NULL), 0);
        assert_int_equal(uvaws_creds_provider_process(&loop, script, &m[1], NULL), 0);
        assert_int_equal(uvaws_creds_provider_chain(m, 2, &p, NULL), 0);
      }
      answer_frees_provider(&loop, p, freer, key, "HTTP 500");
      cleanup(NULL);
    }
  }
  fresh(NULL);
}

/* ---- the STS providers ------------------------------------------------------ */

/* How STS answers, or the role's source before it (AssumeRole's container
 * credentials, web identity's token file) fails. */
typedef enum { STS_ANSWERS, STS_REFUSES, STS_RESET, SOURCE_FAILS } sts_way_t;

typedef struct {
  const char *action;  /* AssumeRole or AssumeRoleWithWebIdentity */
  int from_container;  /* AssumeRole's source: container credentials, else a source profile */
  sts_way_t way;
} sts_case_t;

static const sts_case_t sts_cases[] = {
    {"AssumeRole", 0, STS_ANSWERS},
    {"AssumeRole", 0, STS_REFUSES},
    {"AssumeRole", 0, STS_RESET},
    {"AssumeRole", 1, STS_ANSWERS},
    {"AssumeRole", 1, STS_RESET},
    {"AssumeRole", 1, SOURCE_FAILS},
    {"AssumeRoleWithWebIdentity", 0, STS_ANSWERS},
    {"AssumeRoleWithWebIdentity", 0, STS_REFUSES},
    {"AssumeRoleWithWebIdentity", 0, STS_RESET},
    {"AssumeRoleWithWebIdentity", 0, SOURCE_FAILS},
};

static int is_web(const char *action) { return strcmp(action, "AssumeRole") != 0; }

static const char *sts_key(const char *action) {
  return is_web(action) ? "ASIAWEBFREE00001" : "ASIAROLEFREE0001";
}

/* STS's answer to `action`, as STS lays it out: indented, the assumed
 * role's user beside the credentials, and what the web identity token
 * said or the size of the session policy. */
static void sts_answer(const char *action, char *out, size_t n) {
  char exp[32];
  iso_in(3600, exp);
  int web = is_web(action);
  snprintf(out, n,
           "<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
           "  <%sResult>\n%s"
           "    <AssumedRoleUser>\n"
           "      <Arn>arn:aws:sts::123456789012:assumed-role/%s/uvaws-test</Arn>\n"
           "      <AssumedRoleId>AROA3XFRBF535PLBIFPI4:uvaws-test</AssumedRoleId>\n"
           "    </AssumedRoleUser>\n"
           "    <Credentials>\n"
           "      <AccessKeyId>%s</AccessKeyId>\n"
           "      <SecretAccessKey>wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY</SecretAccessKey>\n"
           "      <SessionToken>AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTw"
           "dQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1"
           "NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q"
           "6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3i"
           "SIlTJabIQwj2ICCR/oLxBA==</SessionToken>\n"
           "      <Expiration>%s</Expiration>\n"
           "    </Credentials>\n%s"
           "  </%sResult>\n"
           "  <ResponseMetadata>\n"
           "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
           "  </ResponseMetadata>\n"
           "</%sResponse>\n",
           action, action,
           web ? "    <SubjectFromWebIdentityToken>amzn1.account.AF6RHO7KZU5XRVQJGXK6HB56KR2A"
                 "</SubjectFromWebIdentityToken>\n"
                 "    <Audience>client.5498841531868486423.1548@apps.example.com</Audience>\n"
               : "",
           web ? "web" : "app", sts_key(action), exp,
           web ? "    <Provider>www.amazon.com</Provider>\n"
               : "    <PackedPolicySize>6</PackedPolicySize>\n",
           action, action);
}

/* STS's refusal of `action` (403 AccessDenied for AssumeRole, 400
 * InvalidIdentityToken for web identity): its status, the body in `out`,
 * and "Code: Message" in `said`, what the caller must be told. */
static int sts_refusal(const char *action, char *out, size_t n, char *said, size_t said_n) {
  int web = is_web(action);
  const char *code = web ? "InvalidIdentityToken" : "AccessDenied";
  const char *message =
      web ? "Couldn't retrieve verification key from your identity provider,  please reference "
            "AssumeRoleWithWebIdentity documentation for requirements"
          : "User: arn:aws:iam::123456789012:user/base is not authorized to perform: "
            "sts:AssumeRole on resource: arn:aws:iam::123456789012:role/app";
  snprintf(out, n,
           "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
           "  <Error>\n"
           "    <Type>Sender</Type>\n"
           "    <Code>%s</Code>\n"
           "    <Message>%s</Message>\n"
           "  </Error>\n"
           "  <RequestId>4bd8c2f6-6d2e-4b5c-9a3f-0d5e2c1a7b90</RequestId>\n"
           "</ErrorResponse>\n",
           code, message);
  snprintf(said, said_n, "%s: %s", code, message);
  return web ? 400 : 403;
}

/* Asserts that botocore reads `xml`, the answer to `action` with `status`,
 * as `want` (the access key, or "Code: Message"). Skipped where botocore
 * cannot be imported. */
static void botocore_reads(const char *action, int status, const char *xml, const char *want) {
  char path[512], cmd[1024], line[1024] = "";
  snprintf(path, sizeof path, "%s/sts-answer.xml", home);
  write_file(path, xml, 0600);
  snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/test/botocore_sts_parse.py %s %d '%s'",
           UVAWS_SOURCE_ROOT, action, status, path);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  char *got = fgets(line, sizeof line, p);
  int rc = pclose(p);
  if (WIFEXITED(rc) && WEXITSTATUS(rc) == 77) {
    print_message("botocore not importable: canned STS answers not checked\n");
    return;
  }
  assert_int_equal(rc, 0);
  assert_non_null(got);
  line[strcspn(line, "\n")] = '\0';
  assert_string_equal(line, want);
}

/* Each STS case, freed by the first waiter's answer and by a middle one's:
 * one flight (one STS request at most), the answer uvaws gives is the one
 * botocore reads from the same XML. */
static void test_sts_answer_frees_provider(void **state) {
  (void)state;
  static char xml[4096];
  char said[512];
  for (int web = 0; web <= 1; web++) { /* the canned answers are STS's, as botocore reads them */
    const char *action = web ? "AssumeRoleWithWebIdentity" : "AssumeRole";
    sts_answer(action, xml, sizeof xml);
    botocore_reads(action, 200, xml, sts_key(action));
    int status = sts_refusal(action, xml, sizeof xml, said, sizeof said);
    botocore_reads(action, status, xml, said);
  }
  for (int freer = 0; freer < WAITERS - 1; freer++) {
    for (size_t i = 0; i < sizeof sts_cases / sizeof sts_cases[0]; i++) {
      const sts_case_t *c = &sts_cases[i];
      cleanup(NULL); /* the teardown removes the last HOME */
      fresh(NULL);
      if (is_web(c->action))
        use_web_identity();
      else if (c->from_container)
        use_role_from_container();
      else
        use_role();
      const char *key = NULL, *why = said;
      if (c->way == STS_ANSWERS) {
        sts_answer(c->action, xml, sizeof xml);
        canned_sts(c->action, 200, xml, NULL);
        key = sts_key(c->action);
      } else if (c->way == STS_REFUSES) {
        int status = sts_refusal(c->action, xml, sizeof xml, said, sizeof said);
        canned_sts(c->action, status, xml, NULL);
      } else if (c->way == STS_RESET) {
        canned_sts(c->action, 200, "", "reset");
        snprintf(said, sizeof said, "STS %s failed", c->action);
      } else if (is_web(c->action)) {
        char token[512];
        snprintf(token, sizeof token, "%s/web-token", home);
        assert_int_equal(unlink(token), 0);
        why = "cannot read token file";
      } else {
        configure("{\"container_status\": 500}");
        why = "HTTP 500";
      }
      uv_loop_t loop;
      uv_loop_init(&loop);
      uvaws_creds_provider_t *p = NULL;
      assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, NULL), 0);
      assert_string_equal(p->name, is_web(c->action) ? "STS AssumeRoleWithWebIdentity"
                                                     : "STS AssumeRole");
      answer_frees_provider(&loop, p, freer, key, why);
      char action[64];
      snprintf(action, sizeof action, "Action=%s&", c->action);
      /* one flight, one request: curl sends it again once when the
       * connection it reused (the container's) dies with nothing read */
      int sent = logged_with(action), most = c->way == SOURCE_FAILS ? 0 : 1;
      most += c->way == STS_RESET && c->from_container;
      if (sent < (c->way != SOURCE_FAILS) || sent > most)
        print_error("case %zu, freer %d: %d %s requests\n", i, freer, sent, c->action);
      assert_in_range(sent, c->way != SOURCE_FAILS, most);
    }
  }
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  TEST_FILTER_FROM_ENV();
#define T(name) cmocka_unit_test_setup_teardown(name, fresh, cleanup)
  const struct CMUnitTest tests[] = {
      T(test_answer_frees_provider),
      T(test_sts_answer_frees_provider),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
