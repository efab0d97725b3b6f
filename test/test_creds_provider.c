/* Credential providers of one's own (uvaws/credentials.h) behind a client,
 * and the built-in ones used directly: a provider that answers later, fails,
 * answers from inside its fetch, answers slowly and is cancelled by a close,
 * never answers (the request's deadline bounds the wait), hands out
 * credentials that expire (refreshed ahead, refetched once after an
 * expired-token answer) or that cannot be used; the chain that sticks to
 * the member that answered; the default chain with a transport of its own;
 * one provider shared by two clients (one fetch serves both); a cancel
 * while the container token file is read. (An answer that frees its
 * provider: test_creds_free.c.) */
#include <errno.h>
#include <fcntl.h>

#include "creds_fixture.h"

static int64_t clock_offset;

static int64_t test_clock(void *arg) {
  (void)arg;
  return (int64_t)time(NULL) + clock_offset;
}

/* ---- a provider of the test's own ------------------------------------------ */

typedef enum { LATER, AT_ONCE, NEVER } vault_mode_t;

typedef struct {
  uvaws_creds_provider_t p; /* what the client is given */
  uv_timer_t timer;
  vault_mode_t mode;
  unsigned delay_ms;
  int fail_code;          /* answer this error instead of credentials */
  const char *fail_detail;
  const char *bad_secret; /* answer credentials with this secret (hostile) */
  int64_t lifetime_s;     /* 0: credentials that never expire */
  int fetches, cancels, frees, answers, overlaps;
  int pending;
  uvaws_creds_cb cb;
  void *arg;
} vault_t;

static void vault_answer(vault_t *v) {
  v->pending = 0;
  v->answers++;
  if (v->fail_code != 0) {
    uvaws_error_t e = {0};
    uvaws_error_set(&e, v->fail_code, "%s", v->fail_detail);
    v->cb(NULL, &e, v->arg);
    uvaws_error_clear(&e);
    return;
  }
  char key[32];
  snprintf(key, sizeof key, "AKIDVAULT%d", v->fetches);
  uvaws_credentials_t c = {key, v->bad_secret ? v->bad_secret : "s", NULL,
                           v->lifetime_s ? test_clock(NULL) + v->lifetime_s : 0};
  v->cb(&c, NULL, v->arg);
}

static void on_vault_timer(uv_timer_t *t) { vault_answer(t->data); }

static int vault_fetch(uvaws_creds_provider_t *p, uvaws_creds_cb cb, void *arg, void **handle) {
  vault_t *v = p->data;
  v->fetches++;
  v->overlaps += v->pending;
  v->pending = 1;
  v->cb = cb;
  v->arg = arg;
  *handle = v;
  if (v->mode == AT_ONCE)
    vault_answer(v);
  else if (v->mode == LATER)
    uv_timer_start(&v->timer, on_vault_timer, v->delay_ms, 0);
  return 0;
}

static void vault_cancel(uvaws_creds_provider_t *p, void *handle) {
  vault_t *v = p->data;
  assert_ptr_equal(handle, v);
  v->cancels++;
  v->pending = 0;
  uv_timer_stop(&v->timer);
}

static void vault_free(uvaws_creds_provider_t *p) {
  vault_t *v = p->data;
  v->frees++;
  uv_close((uv_handle_t *)&v->timer, NULL);
}

static const uvaws_creds_provider_ops_t vault_ops = {vault_fetch, vault_cancel, vault_free};

static void vault_init(vault_t *v, uv_loop_t *loop, vault_mode_t mode) {
  memset(v, 0, sizeof *v);
  v->p.ops = &vault_ops;
  v->p.data = v;
  v->p.name = "the test vault";
  v->mode = mode;
  v->delay_ms = 20;
  uv_timer_init(loop, &v->timer);
  v->timer.data = v;
}

/* A client on `f` whose credentials come from `v`. */
static void open_with(fixture_t *f, vault_t *v, vault_mode_t mode, outcome_t *r) {
  uvaws_client_options_t o = bare();
  o.clock = test_clock;
  memset(f, 0, sizeof *f);
  uv_loop_init(&f->loop); /* the vault's timer lives on the client's loop */
  vault_init(v, &f->loop, mode);
  o.credentials_provider = &v->p;
  uv_timer_init(&f->loop, &f->watchdog);
  f->watchdog.data = f;
  uv_unref((uv_handle_t *)&f->watchdog);
  uvaws_error_t err;
  memset(r, 0, sizeof *r);
  r->new_rc = uvaws_client_new(&f->loop, &o, &f->client, &err);
  uvaws_error_clear(&err);
  assert_int_equal(r->new_rc, 0);
}

/* Closes the client, then frees the borrowed provider, as a user must. */
static void close_with(fixture_t *f, vault_t *v) {
  uvaws_client_close(f->client, on_closed, NULL);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  f->client = NULL;
  uvaws_creds_provider_free(&v->p);
  assert_int_equal(v->frees, 1);
  fx_close(f);
}

/* ---- behind a client ---------------------------------------------------------- */

static void test_user_provider_answers(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, LATER, &r);
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDVAULT1");
  fx_request(&f, &r, NULL, 0); /* credentials that never expire: asked once */
  assert_outcome(&r, 0);
  assert_int_equal(v.fetches, 1);
  assert_int_equal(v.overlaps, 0);
  close_with(&f, &v);
  assert_int_equal(v.cancels, 0);
}

static void test_user_provider_fails(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, LATER, &r);
  v.fail_code = UVAWS_ECREDS;
  v.fail_detail = "the vault is sealed";
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "the vault is sealed");
  fx_request(&f, &r, NULL, 0); /* held off: fails at once, the vault not asked */
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "not fetched again");
  assert_int_equal(v.fetches, 1);
  assert_int_equal(stat_of("requests"), 0);
  close_with(&f, &v);
}

/* Exactly once, and never from inside uvaws_fetch, even when the provider
 * answers from inside its fetch: with credentials, and with an error. */
typedef struct {
  outcome_t out;
  int submitting;
  int inside;
} watched_t;

static void on_watched(const uvaws_response_t *res, void *arg) {
  watched_t *w = arg;
  w->inside += w->submitting;
  on_done(res, &w->out);
}

static void submit_watched(fixture_t *f, watched_t *w) {
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  w->submitting = 1;
  assert_int_equal(uvaws_fetch(f->client, &req, on_watched, w, NULL), 0);
  w->submitting = 0;
}

static void test_user_provider_answers_inside_fetch(void **state) {
  (void)state;
  for (int failing = 0; failing <= 1; failing++) {
    fixture_t f;
    vault_t v;
    outcome_t r;
    open_with(&f, &v, AT_ONCE, &r);
    v.fail_code = failing ? UVAWS_ECREDS : 0;
    v.fail_detail = "no such secret";
    watched_t a = {0}, b = {0};
    submit_watched(&f, &a);
    submit_watched(&f, &b);
    fx_run(&f, &a.out);
    assert_outcome(&a.out, failing ? UVAWS_ECREDS : 0);
    assert_outcome(&b.out, failing ? UVAWS_ECREDS : 0);
    assert_int_equal(a.inside + b.inside, 0);
    assert_int_equal(v.fetches, 1);
    if (!failing)
      assert_signed_by("AKIDVAULT1");
    close_with(&f, &v);
  }
}

/* Several requests wait for one fetch; a slow one is cancelled by the
 * close, and the provider is never called back into after that. */
static void on_close_timer(uv_timer_t *t) {
  fixture_t *f = t->data;
  uvaws_client_close(f->client, on_closed, NULL);
  uv_close((uv_handle_t *)t, NULL);
}

static void test_slow_provider_cancelled_by_close(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, LATER, &r);
  v.delay_ms = 60000;
  outcome_t out[5] = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  for (int i = 0; i < 5; i++)
    assert_int_equal(uvaws_fetch(f.client, &req, on_done, &out[i], NULL), 0);
  uv_timer_t closer;
  uv_timer_init(&f.loop, &closer);
  closer.data = &f;
  uv_timer_start(&closer, on_close_timer, 50, 0);
  fx_run(&f, &r);
  assert_false(r.watchdog);
  for (int i = 0; i < 5; i++)
    assert_outcome(&out[i], UVAWS_ECANCELED);
  assert_int_equal(v.fetches, 1);
  assert_int_equal(v.cancels, 1);
  assert_int_equal(v.answers, 0);
  f.client = NULL;
  uvaws_creds_provider_free(&v.p);
  fx_close(&f);
}

static void test_provider_that_never_answers(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, NEVER, &r);
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/", .deadline_ms = 200};
  assert_int_equal(uvaws_fetch(f.client, &req, on_done, &r, NULL), 0);
  while (!r.done && !f.fired) {
    uv_timer_start(&f.watchdog, on_watchdog, WATCHDOG_MS, 0);
    uv_run(&f.loop, UV_RUN_ONCE);
  }
  assert_outcome(&r, UVAWS_ETIMEDOUT);
  assert_has(r.detail, "deadline");
  assert_int_equal(r.attempts, 0);
  close_with(&f, &v);
  assert_int_equal(v.cancels, 1); /* the close stopped the fetch that never ended */
}

/* Hour-long credentials: refreshed in the background 200 s before expiry
 * (the old ones still sign), waited for in the last minute. */
static void test_expiry_and_refresh(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  clock_offset = 0;
  open_with(&f, &v, LATER, &r);
  v.lifetime_s = 3600;
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDVAULT1");
  clock_offset = 3600 - 200;
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDVAULT1"); /* signed before the refresh came back */
  fx_run(&f, &r);
  assert_int_equal(v.fetches, 2);
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDVAULT2");
  clock_offset = 2 * 3600 - 200 - 30; /* the second ones' last 30 s: requests wait */
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDVAULT3");
  assert_int_equal(v.overlaps, 0);
  close_with(&f, &v);
  clock_offset = 0;
}

static void test_expired_token_refetches_once(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, LATER, &r);
  uvaws_kv_t h[] = {{"x-test-fault", "expired-token"}, {"x-test-fault-times", "1"},
                    {"x-test-id", "vault-expired"}};
  fx_request(&f, &r, h, 3);
  assert_outcome(&r, 0);
  assert_int_equal(r.attempts, 2);
  assert_int_equal(v.fetches, 2);
  assert_signed_by("AKIDVAULT2");
  close_with(&f, &v);
}

static void test_unusable_answers_refused(void **state) {
  (void)state;
  fixture_t f;
  vault_t v;
  outcome_t r;
  open_with(&f, &v, LATER, &r);
  v.bad_secret = "s\r\nX-Injected: 1";
  fx_request(&f, &r, NULL, 0);
  assert_outcome(&r, UVAWS_ECREDS);
  assert_has(r.detail, "the test vault answered credentials that cannot be used");
  assert_int_equal(stat_of("requests"), 0);
  close_with(&f, &v);
}

static void never_answered(const uvaws_credentials_t *creds, const uvaws_error_t *err,
                           void *arg) {
  (void)creds;
  (void)err;
  (void)arg;
  fail();
}

static void test_provider_checks(void **state) {
  (void)state;
  uvaws_client_options_t o = bare();
  vault_t v;
  vault_init(&v, uv_default_loop(), LATER);
  o.credentials_provider = &v.p;
  o.access_key = "AKIDX";
  o.secret_key = "s";
  outcome_t r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_EINVAL);
  uvaws_creds_provider_t empty = {0};
  o = bare();
  o.credentials_provider = &empty;
  r = run_one(&o, NULL, 0);
  assert_int_equal(r.new_rc, UVAWS_EINVAL);
  assert_int_equal(uvaws_creds_fetch(NULL, never_answered, NULL, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_creds_fetch(&v.p, NULL, NULL, NULL), UVAWS_EINVAL);
  uvaws_creds_cancel(NULL, NULL);
  uvaws_creds_provider_free(NULL);
  uvaws_creds_provider_t *p = NULL;
  uvaws_error_t err = {0};
  uvaws_credentials_t bad = {"AKID WITH SPACES", "s", NULL, 0};
  assert_int_equal(uvaws_creds_provider_static(&bad, &p, &err), UVAWS_EINVAL);
  assert_null(p);
  uvaws_error_clear(&err);
  assert_int_equal(uvaws_creds_provider_static(NULL, &p, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_creds_provider_chain(NULL, 0, &p, NULL), UVAWS_EINVAL);
  uvaws_creds_provider_t *none[] = {NULL};
  assert_int_equal(uvaws_creds_provider_chain(none, 1, &p, NULL), UVAWS_EINVAL);
  assert_int_equal(uvaws_creds_provider_process(uv_default_loop(), "'unclosed", &p, NULL),
                   UVAWS_EINVAL);
  assert_int_equal(uvaws_creds_provider_default_chain(NULL, NULL, &p, NULL), UVAWS_EINVAL);
  uvaws_creds_provider_free(&v.p);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

/* ---- the built-in providers, used directly --------------------------------- */

/* Asks `p` once and runs `loop` until it answered. */
static answer_t ask(uv_loop_t *loop, uvaws_creds_provider_t *p) {
  answer_t a = {0};
  assert_int_equal(uvaws_creds_fetch(p, on_answer, &a, NULL), 0);
  while (a.answers == 0 && uv_run(loop, UV_RUN_ONCE) != 0)
    ;
  assert_int_equal(a.answers, 1);
  return a;
}

static void test_chain_sticks_to_the_one_that_answered(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  vault_t empty, vault;
  vault_init(&empty, &loop, LATER);
  empty.fail_code = UVAWS_ENOCREDS;
  empty.fail_detail = "nothing here";
  empty.p.name = "the empty vault";
  vault_init(&vault, &loop, AT_ONCE);
  uvaws_creds_provider_t *members[] = {&empty.p, &vault.p}, *chain = NULL;
  assert_int_equal(uvaws_creds_provider_chain(members, 2, &chain, NULL), 0);
  answer_t a = ask(&loop, chain);
  assert_int_equal(a.code, 0);
  assert_string_equal(a.key, "AKIDVAULT1");
  assert_string_equal(chain->name, "the test vault");
  a = ask(&loop, chain);
  assert_string_equal(a.key, "AKIDVAULT2");
  assert_int_equal(empty.fetches, 1); /* not asked again */
  /* a failure that is not "nothing here" is the chain's answer */
  vault.fail_code = UVAWS_ECREDS;
  vault.fail_detail = "sealed";
  a = ask(&loop, chain);
  assert_int_equal(a.code, UVAWS_ECREDS);
  assert_string_equal(a.detail, "sealed");
  uvaws_creds_provider_free(chain); /* frees the members */
  assert_int_equal(empty.frees + vault.frees, 2);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

/* Before any member answered: a member that fails (not "nothing here")
 * ends the chain there, the next one is not asked. Two fetches wait on one
 * member's fetch: cancelling one leaves the member running for the other. */
static void test_chain_failure_and_cancel(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  vault_t sealed, vault;
  vault_init(&sealed, &loop, AT_ONCE);
  sealed.fail_code = UVAWS_ECREDS;
  sealed.fail_detail = "sealed";
  vault_init(&vault, &loop, AT_ONCE);
  uvaws_creds_provider_t *members[] = {&sealed.p, &vault.p}, *chain = NULL;
  assert_int_equal(uvaws_creds_provider_chain(members, 2, &chain, NULL), 0);
  answer_t a = ask(&loop, chain);
  assert_int_equal(a.code, UVAWS_ECREDS);
  assert_string_equal(a.detail, "sealed");
  assert_int_equal(vault.fetches, 0);
  uvaws_creds_provider_free(chain);

  vault_t later;
  vault_init(&later, &loop, LATER);
  uvaws_creds_provider_t *one[] = {&later.p};
  assert_int_equal(uvaws_creds_provider_chain(one, 1, &chain, NULL), 0);
  answer_t first = {0}, second = {0};
  void *h1 = NULL, *h2 = NULL;
  assert_int_equal(uvaws_creds_fetch(chain, on_answer, &first, &h1), 0);
  assert_int_equal(uvaws_creds_fetch(chain, on_answer, &second, &h2), 0);
  assert_int_equal(later.fetches, 1);
  uvaws_creds_cancel(chain, h1);
  assert_int_equal(later.cancels, 0);
  while (second.answers == 0 && uv_run(&loop, UV_RUN_ONCE) != 0)
    ;
  assert_int_equal(first.answers, 0);
  assert_int_equal(second.answers, 1);
  assert_string_equal(second.key, "AKIDVAULT1");
  uvaws_creds_provider_free(chain);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void on_wait_over(uv_timer_t *t) { uv_close((uv_handle_t *)t, NULL); }

/* Cancelled while its request is out: instance metadata, and a role whose
 * source (container credentials) is still fetching. The late answer reaches
 * nobody, nothing more is sent (no AssumeRole signed with the source's late
 * credentials), and everything closes. */
static void test_cancel_while_fetching(void **state) {
  (void)state;
  for (int role = 0; role <= 1; role++) {
    fresh(NULL);
    if (role) {
      use_role_from_container();
      configure("{\"container_delay_ms\": 300}");
    } else {
      use_metadata();
      configure("{\"imds_delay_ms\": 300}");
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    uvaws_creds_provider_t *p = NULL;
    assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, NULL), 0);
    answer_t a = {0};
    void *h = NULL;
    assert_int_equal(uvaws_creds_fetch(p, on_answer, &a, &h), 0);
    uvaws_creds_cancel(p, h);
    uv_timer_t wait; /* past the server's delay: its answer comes while p lives */
    uv_timer_init(&loop, &wait);
    uv_timer_start(&wait, on_wait_over, 800, 0);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(a.answers, 0);
    assert_true(stat_of("requests") <= 1); /* the one cancelled, at most */
    uvaws_creds_provider_free(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
  }
  fresh(NULL);
}

/* ---- a cancel while the container token file is read ---------------------------- */

/* The token file is a FIFO with no writer: the provider's read (its open,
 * in libuv's thread pool) cannot end before the test opens it for writing,
 * so what happens before that happens while the read is surely under way. */
static void token_fifo(char path[512]) {
  use_container();
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  snprintf(path, 512, "%s/token-fifo", home);
  assert_int_equal(mkfifo(path, 0600), 0);
  setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
}

/* Lets the read end: waits (bounded) for the reader's open, then writes the
 * token and closes, which is the end of the file. */
static void token_fifo_end(const char *path) {
  int fd = -1;
  for (int i = 0; i < 20000 && fd < 0; i++) { /* 20 s at most */
    fd = open(path, O_WRONLY | O_NONBLOCK); /* ENXIO while nobody reads */
    if (fd < 0) {
      assert_int_equal(errno, ENXIO);
      usleep(1000);
    }
  }
  assert_true(fd >= 0);
  static const char token[] = "uvaws-test-container-token\n";
  assert_int_equal(write(fd, token, sizeof token - 1), (ssize_t)(sizeof token - 1));
  close(fd);
}

/* Cancelled, or the provider freed, while the token file is read: the read
 * ends later and calls nobody (no callback, nothing touched after the free:
 * ASan), no request goes out. With two fetches, the cancel of one leaves
 * the read to the other, which gets credentials. */
static void test_cancel_while_token_file_read(void **state) {
  (void)state;
  for (int how = 0; how < 3; how++) { /* cancel, free, cancel one of two */
    fresh(NULL);
    char path[512];
    token_fifo(path);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uvaws_creds_provider_t *p = NULL;
    assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, NULL), 0);
    assert_string_equal(p->name, "container credentials");
    answer_t a = {0}, b = {0};
    void *ha = NULL, *hb = NULL;
    assert_int_equal(uvaws_creds_fetch(p, on_answer, &a, &ha), 0);
    if (how == 2)
      assert_int_equal(uvaws_creds_fetch(p, on_answer, &b, &hb), 0);
    uv_run(&loop, UV_RUN_NOWAIT); /* the read starts; it cannot end yet */
    assert_int_equal(a.answers, 0);
    if (how == 1) {
      uvaws_creds_provider_free(p);
      p = NULL;
    } else {
      uvaws_creds_cancel(p, ha);
    }
    token_fifo_end(path);
    uv_run(&loop, UV_RUN_DEFAULT); /* the read ends (and the other's request) */
    assert_int_equal(a.answers, 0);
    if (how == 2) {
      assert_int_equal(b.answers, 1);
      assert_int_equal(b.code, 0);
      assert_string_equal(b.key, "ASIACONT00000001");
      assert_int_equal(stat_of("container_creds_fetches"), 1);
    } else {
      assert_int_equal(stat_of("requests"), 0);
    }
    uvaws_creds_provider_free(p);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    cleanup(NULL);
  }
  fresh(NULL);
}

static void test_static_and_environment(void **state) {
  (void)state;
  uvaws_credentials_t c = {"AKIDSTATIC", "s", NULL, 0};
  uvaws_creds_provider_t *p = NULL;
  assert_int_equal(uvaws_creds_provider_static(&c, &p, NULL), 0);
  assert_true(p->flags & UVAWS_CREDS_FIXED);
  uvaws_client_options_t o = bare();
  o.credentials_provider = p;
  outcome_t r = run_one(&o, NULL, 0);
  assert_outcome(&r, 0);
  assert_signed_by("AKIDSTATIC");
  uvaws_creds_provider_free(p);

  assert_int_equal(uvaws_creds_provider_environment(&p, NULL), 0);
  answer_t a = ask(uv_default_loop(), p); /* no keys in the environment */
  assert_int_equal(a.code, UVAWS_ENOCREDS);
  assert_has(a.detail, "AWS_ACCESS_KEY_ID");
  uvaws_creds_provider_free(p);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENVPROV", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "s", 1);
  assert_int_equal(uvaws_creds_provider_environment(&p, NULL), 0);
  a = ask(uv_default_loop(), p);
  assert_string_equal(a.key, "AKIDENVPROV");
  uvaws_creds_provider_free(p);
}

static void test_process_provider(void **state) {
  (void)state;
  char script[512];
  process_script(script, "AKIDPROCPROV");
  uvaws_creds_provider_t *p = NULL;
  assert_int_equal(uvaws_creds_provider_process(uv_default_loop(), script, &p, NULL), 0);
  answer_t a = ask(uv_default_loop(), p);
  assert_int_equal(a.code, 0);
  assert_string_equal(a.key, "AKIDPROCPROV");
  uvaws_creds_provider_free(p);
  uv_run(uv_default_loop(), UV_RUN_DEFAULT);
}

/* The default chain on a transport of its own: container credentials here;
 * freed, it closes everything it opened (the loop closes). */
static void test_default_chain_alone(void **state) {
  (void)state;
  uv_loop_t loop;
  uv_loop_init(&loop);
  use_container();
  uvaws_creds_provider_t *p = NULL;
  uvaws_error_t err = {0};
  assert_int_equal(uvaws_creds_provider_default_chain(&loop, NULL, &p, &err), 0);
  assert_string_equal(p->name, "container credentials");
  answer_t a = ask(&loop, p);
  assert_int_equal(a.code, 0);
  assert_string_equal(a.key, "ASIACONT00000001");
  uvaws_creds_provider_free(p);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  /* nothing configured (metadata is off in these tests) */
  assert_int_equal(uvaws_creds_provider_default_chain(uv_default_loop(), NULL, &p, &err),
                   UVAWS_ENOCREDS);
  assert_has(err.detail, "no credentials: tried");
  uvaws_error_clear(&err);
}

/* Two clients on one provider: one fetch (one container request) serves
 * both, and each client's close cancels only its own wait. */
static void test_one_provider_two_clients(void **state) {
  (void)state;
  uv_loop_t *loop = uv_default_loop();
  use_container();
  configure("{\"container_delay_ms\": 200}");
  uvaws_creds_provider_t *p = NULL;
  assert_int_equal(uvaws_creds_provider_default_chain(loop, NULL, &p, NULL), 0);
  uvaws_client_options_t o = bare();
  o.credentials_provider = p;
  uvaws_client_t *a, *b;
  assert_int_equal(uvaws_client_new(loop, &o, &a, NULL), 0);
  assert_int_equal(uvaws_client_new(loop, &o, &b, NULL), 0);
  outcome_t ra = {0}, rb = {0};
  uvaws_request_t req = {.size = sizeof(uvaws_request_t), .method = "GET", .path = "/"};
  assert_int_equal(uvaws_fetch(a, &req, on_done, &ra, NULL), 0);
  assert_int_equal(uvaws_fetch(b, &req, on_done, &rb, NULL), 0);
  uv_run(loop, UV_RUN_DEFAULT);
  assert_outcome(&ra, 0);
  assert_outcome(&rb, 0);
  assert_int_equal(stat_of("container_creds_fetches"), 1);
  uvaws_client_close(a, on_closed, NULL);
  uvaws_client_close(b, on_closed, NULL);
  uv_run(loop, UV_RUN_DEFAULT);
  uvaws_creds_provider_free(p);
  uv_run(loop, UV_RUN_DEFAULT);
}

int main(void) {
  server = need_env("UVAWS_TEST_SERVER");
  TEST_FILTER_FROM_ENV();
#define T(name) cmocka_unit_test_setup_teardown(name, fresh, cleanup)
  const struct CMUnitTest tests[] = {
      T(test_user_provider_answers),
      T(test_user_provider_fails),
      T(test_user_provider_answers_inside_fetch),
      T(test_slow_provider_cancelled_by_close),
      T(test_provider_that_never_answers),
      T(test_expiry_and_refresh),
      T(test_expired_token_refetches_once),
      T(test_unusable_answers_refused),
      T(test_provider_checks),
      T(test_chain_sticks_to_the_one_that_answered),
      T(test_chain_failure_and_cancel),
      T(test_cancel_while_fetching),
      T(test_cancel_while_token_file_read),
      T(test_static_and_environment),
      T(test_process_provider),
      T(test_default_chain_alone),
      T(test_one_provider_two_clients),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
