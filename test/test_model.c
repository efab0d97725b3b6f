/* The compiled service models: every service of the file loads, every
 * operation and structure member is found through the hash tables, the
 * public rows and their aliases, and damaged files or sections are refused
 * (or, when a random change happens to keep them consistent, read without
 * leaving their bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model.h"
#include "uvaws.h"

static void test_every_service_loads(void **state) {
  (void)state;
  size_t n = 0;
  char why[512] = "";
  const uvaws_service_t *rows = model_services(&n, why, sizeof why);
  if (rows == NULL)
    fprintf(stderr, "%s\n", why);
  assert_non_null(rows);
  assert_true(n >= 300); /* botocore 1.29 has 333 */
  size_t ops = 0, members = 0, event_ops = 0;
  for (size_t i = 0; i < n; i++) {
    if (i > 0)
      assert_true(strcmp(rows[i - 1].name, rows[i].name) < 0);
    const model_t *m = model_get(rows[i].name, why, sizeof why);
    if (m == NULL)
      fprintf(stderr, "%s: %s\n", rows[i].name, why);
    assert_non_null(m);
    assert_ptr_equal(m, model_get(rows[i].name, NULL, 0)); /* loaded once */
    assert_ptr_equal(m->svc, &rows[i]);
    for (uint32_t k = 0; k < m->h->op_count; k++) {
      const mop_t *op = &m->ops[k];
      assert_ptr_equal(model_op(m, model_str(m, op->name)), op);
      if (k > 0)
        assert_true(strcmp(model_str(m, m->ops[k - 1].name), model_str(m, op->name)) < 0);
      /* the compiler's flag says what the shapes say: a member of the
       * input or output whose shape streams events */
      int streams = 0;
      for (int side = 0; side < 2; side++) {
        uint32_t ref = side ? op->output : op->input;
        const mshape_t *io = ref == MODEL_NONE ? NULL : model_target(m, model_mref(m, ref));
        for (uint32_t j = 0; io != NULL && j < io->b; j++)
          streams |= (model_target(m, model_mref(m, io->a + j))->flags & MS_EVENTSTREAM) != 0;
      }
      assert_int_equal(streams, (op->flags & MO_EVENTSTREAM) != 0);
      event_ops += streams;
    }
    /* the services with rules of their own are known by name once */
    msvc_kind_t kind = strcmp(rows[i].name, "s3") == 0           ? MSVC_S3
                       : strcmp(rows[i].name, "glacier") == 0    ? MSVC_GLACIER
                       : strcmp(rows[i].name, "apigateway") == 0 ? MSVC_APIGATEWAY
                                                                 : MSVC_OTHER;
    assert_int_equal(m->kind, kind);
    ops += m->h->op_count;
    for (uint32_t s = 0; s < m->h->shape_count; s++) {
      const mshape_t *sh = model_shape(m, s);
      if (sh->type != MT_STRUCTURE)
        continue;
      for (uint32_t k = 0; k < sh->b; k++) {
        const mref_t *r = model_mref(m, sh->a + k);
        const char *name = model_str(m, r->name);
        assert_ptr_equal(model_member(m, sh, name, strlen(name)), r);
        assert_ptr_equal(model_member_str(m, sh, name), r);
        /* a name's prefix or extension is another member or none (both
         * lookups compare whole names, not starts) */
        size_t len = strlen(name);
        char longer[256];
        if (len > 0 && len + 2 <= sizeof longer) {
          const mref_t *p = model_member(m, sh, name, len - 1);
          assert_true(p == NULL || strlen(model_str(m, p->name)) == len - 1);
          memcpy(longer, name, len);
          longer[len] = 'x';
          longer[len + 1] = '\0';
          p = model_member_str(m, sh, longer);
          assert_true(p == NULL || strcmp(model_str(m, p->name), longer) == 0);
        }
        members++;
      }
      assert_null(model_member(m, sh, "NoSuchMember\x01", 13));
      assert_null(model_member_str(m, sh, "NoSuchMember\x01"));
      assert_null(model_member_str(m, sh, ""));
    }
    assert_null(model_op(m, "NoSuchOperation"));
  }
  assert_true(ops > 10000);
  assert_true(members > 100000);
  assert_true(event_ops >= 3); /* S3 SelectObjectContent, Kinesis SubscribeToShard, Lex V2 StartConversation */
}

static void test_known_shapes(void **state) {
  (void)state;
  const model_t *m = model_get("dynamodb", NULL, 0);
  assert_non_null(m);
  assert_int_equal(m->protocol, MPROTO_JSON);
  assert_string_equal(m->svc->target_prefix, "DynamoDB_20120810");
  assert_string_equal(m->svc->json_version, "1.0");
  const mop_t *get = model_op(m, "GetItem");
  assert_non_null(get);
  assert_string_equal(model_str(m, get->method), "POST");
  const mref_t *in = model_mref(m, get->input);
  const mshape_t *gi = model_target(m, in);
  assert_string_equal(model_str(m, gi->name), "GetItemInput");
  const mref_t *table = model_member(m, gi, "TableName", 9);
  assert_non_null(table);
  assert_true(table->flags & MR_REQUIRED);
  double min;
  assert_true(model_min(model_target(m, table), &min));
  assert_true(min == 3.0);
  assert_non_null(model_waiter(m, "TableExists"));
  assert_non_null(strstr(model_waiter(m, "TableExists"), "\"DescribeTable\""));
  assert_non_null(model_pager(m, "Scan"));
  assert_null(model_pager(m, "GetItem"));

  m = model_get("s3", NULL, 0);
  assert_non_null(m);
  assert_int_equal(m->protocol, MPROTO_REST_XML);
  assert_int_equal(m->signature, MSIG_S3V4);
  const mop_t *put = model_op(m, "PutObject");
  assert_string_equal(model_str(m, put->request_uri), "/{Bucket}/{Key+}");
  const mshape_t *pin = model_target(m, model_mref(m, put->input));
  assert_int_not_equal(pin->c, MODEL_NONE);
  const mref_t *body = model_mref(m, pin->c);
  assert_string_equal(model_str(m, body->name), "Body");
  assert_true(body->flags & MR_STREAMING);
  const mref_t *acl = model_member(m, pin, "ACL", 3);
  assert_int_equal(acl->location, ML_HEADER);
  assert_string_equal(model_str(m, acl->serial), "x-amz-acl");
  assert_true(model_op(m, "DeleteObjects")->flags & MO_CHECKSUM_REQUIRED);
  const mop_t *cb = model_op(m, "CreateBucket");
  const mshape_t *cbin = model_target(m, model_mref(m, cb->input));
  const mref_t *conf = model_member(m, cbin, "CreateBucketConfiguration", 25);
  assert_string_equal(model_str(m, conf->xmlns_uri), "http://s3.amazonaws.com/doc/2006-03-01/");

  m = model_get("ec2", NULL, 0);
  assert_int_equal(m->protocol, MPROTO_EC2);
  const mop_t *di = model_op(m, "DescribeInstances");
  const mshape_t *din = model_target(m, model_mref(m, di->input));
  const mref_t *ids = model_member(m, din, "InstanceIds", 11);
  assert_string_equal(model_str(m, ids->serial), "InstanceId");
  assert_string_equal(model_str(m, model_mref(m, di->output)->result_wrapper), "");

  m = model_get("sts", NULL, 0);
  const mop_t *ar = model_op(m, "AssumeRole");
  assert_string_equal(model_str(m, model_mref(m, ar->output)->result_wrapper), "AssumeRoleResult");
  assert_null(model_get("no-such-service", NULL, 0));
}

static void test_rows_and_aliases(void **state) {
  (void)state;
  assert_string_equal(uvaws_service_find("DynamoDB")->name, "dynamodb");
  assert_string_equal(uvaws_service_find("dynamodb")->service_id, "DynamoDB");
  assert_string_equal(uvaws_service_find("email")->name, "ses");
  assert_string_equal(uvaws_service_find("ses")->endpoint_prefix, "email");
  assert_string_equal(uvaws_service_find("sesv2")->signing_name, "ses");
  assert_string_equal(uvaws_service_find("monitoring")->name, "cloudwatch");
  assert_string_equal(uvaws_service_find("streams.dynamodb")->name, "dynamodbstreams");
  assert_string_equal(uvaws_service_find("CloudFormation")->name, "cloudformation");
  assert_int_equal(uvaws_service_find("route53")->protocol, UVAWS_PROTOCOL_REST_XML);
  assert_string_equal(uvaws_service_find("iam")->global_endpoint, "iam.amazonaws.com");
  assert_null(uvaws_service_find("dynamodb")->global_endpoint);
  assert_null(uvaws_service_find(NULL));
  assert_null(uvaws_service_find(""));
  assert_null(uvaws_service_find("nope"));
  size_t n = 0;
  while (uvaws_service_at(n) != NULL)
    n++;
  assert_true(n >= 300);
  /* the file is in use: its place can no longer change */
  assert_int_equal(uvaws_models_set_dir("/elsewhere"), UVAWS_EBUSY);
  assert_int_equal(uvaws_models_set_dir(NULL), UVAWS_EINVAL);
  assert_non_null(uvaws_models_dir());
}

/* ---- damaged files ----------------------------------------------------------- */

static uint8_t *read_file(size_t *len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", uvaws_models_dir(), MODEL_FILE_NAME);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  *len = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *p = malloc(*len);
  assert_non_null(p);
  assert_int_equal(fread(p, 1, *len, f), *len);
  fclose(f);
  return p;
}

/* Reads everything a checked section lets a reader reach. */
static unsigned long walk(const model_t *m) {
  unsigned long sum = 0;
  for (uint32_t k = 0; k < m->h->op_count; k++) {
    const mop_t *op = &m->ops[k];
    sum += strlen(model_str(m, op->name)) + strlen(model_str(m, op->request_uri));
    sum += model_op(m, model_str(m, op->name)) != NULL;
    if (op->input != MODEL_NONE)
      sum += model_target(m, model_mref(m, op->input))->type;
  }
  for (uint32_t s = 0; s < m->h->shape_count; s++) {
    const mshape_t *sh = model_shape(m, s);
    sum += strlen(model_str(m, sh->name));
    if (sh->type == MT_STRUCTURE)
      for (uint32_t k = 0; k < sh->b; k++) {
        const mref_t *r = model_mref(m, sh->a + k);
        const char *name = model_str(m, r->name);
        sum += model_member(m, sh, name, strlen(name)) != NULL;
        sum += model_target(m, r)->type + strlen(model_str(m, r->serial));
      }
    else if (sh->type == MT_LIST)
      sum += model_target(m, model_mref(m, sh->a))->type;
    else if (sh->type == MT_MAP)
      sum += model_target(m, model_mref(m, sh->a))->type + model_target(m, model_mref(m, sh->b))->type;
    else if (sh->type == MT_STRING)
      for (uint32_t k = 0; k < sh->b; k++)
        sum += strlen(model_str(m, m->enums[sh->a + k]));
  }
  for (uint32_t k = 0; k < m->h->pager_count; k++)
    sum += strlen(model_str(m, m->pagers[k].json));
  for (uint32_t k = 0; k < m->h->waiter_count; k++)
    sum += strlen(model_str(m, m->waiters[k].json));
  return sum;
}

static void test_damaged(void **state) {
  (void)state;
  size_t len;
  uint8_t *file = read_file(&len);
  assert_null(model_check_file(file, len));
  assert_non_null(model_check_file(file, len - 1));
  assert_non_null(model_check_file(file, 10));
  file[0] ^= 1;
  assert_non_null(model_check_file(file, len));
  file[0] ^= 1;
  /* exactly at each bound: a string offset at the end of the index's pool
   * (one before it is its last NUL, an empty string), a pool that does not
   * end in NUL, a hash slot naming one service past the last */
  const mfile_hdr_t *hd = (const mfile_hdr_t *)file;
  mindex_t *first = (mindex_t *)(file + hd->index_off);
  uint32_t keep = first->name;
  first->name = hd->strings_len;
  assert_non_null(model_check_file(file, len));
  first->name = hd->strings_len - 1;
  assert_null(model_check_file(file, len));
  first->name = keep;
  uint8_t *last = file + hd->strings_off + hd->strings_len - 1;
  *last = 'x';
  assert_non_null(model_check_file(file, len));
  *last = '\0';
  uint32_t *slot = (uint32_t *)(file + hd->hash_off);
  keep = slot[0];
  slot[0] = hd->service_count + 1;
  assert_non_null(model_check_file(file, len));
  slot[0] = hd->service_count;
  assert_null(model_check_file(file, len));
  slot[0] = keep;
  assert_null(model_check_file(file, len));
  /* one word changed anywhere in the header or index: refused or harmless */
  const mfile_hdr_t *h = (const mfile_hdr_t *)file;
  size_t index_end = h->index_off + h->service_count * sizeof(mindex_t);
  srand(20240101);
  for (int i = 0; i < 3000; i++) {
    size_t w = 8 + (size_t)rand() % ((index_end - 8) / 4) * 4;
    uint32_t old;
    memcpy(&old, file + w, 4);
    uint32_t v = (uint32_t)rand() << 1 ^ (uint32_t)rand();
    memcpy(file + w, &v, 4);
    if (model_check_file(file, len) == NULL) {
      const mindex_t *ix = (const mindex_t *)(file + h->index_off);
      for (uint32_t k = 0; k < h->service_count; k++)
        assert_true(ix[k].blob_off + (uint64_t)ix[k].blob_len <= len);
    }
    memcpy(file + w, &old, 4);
  }
  /* a service section, changed one word at a time (in a heap copy, so that
   * the sanitizer sees any read past it) */
  const mindex_t *ix = (const mindex_t *)(file + h->index_off);
  const char *strings = (const char *)(file + h->strings_off);
  const mindex_t *ddb = NULL;
  for (uint32_t k = 0; k < h->service_count; k++)
    if (strcmp(strings + ix[k].name, "dynamodb") == 0)
      ddb = &ix[k];
  assert_non_null(ddb);
  size_t slen = ddb->blob_len;
  uint8_t *sec = malloc(slen);
  memcpy(sec, file + ddb->blob_off, slen);
  model_t m;
  memset(&m, 0, sizeof m);
  assert_null(model_check_section(&m, sec, slen));
  unsigned long good = walk(&m);
  const msvc_hdr_t *sh = (const msvc_hdr_t *)sec;
  size_t words_end = sh->strings_off; /* every word before the strings */
  int refused = 0;
  for (int i = 0; i < 4000; i++) {
    size_t w = (size_t)rand() % (words_end / 4) * 4;
    uint32_t old;
    memcpy(&old, sec + w, 4);
    uint32_t v = i % 3 == 0 ? old ^ (1u << (rand() % 32)) : (uint32_t)rand() % 70000;
    memcpy(sec + w, &v, 4);
    memset(&m, 0, sizeof m);
    if (model_check_section(&m, sec, slen) == NULL)
      (void)walk(&m); /* in bounds, or the sanitizer says so */
    else
      refused++;
    memcpy(sec + w, &old, 4);
  }
  assert_true(refused > 100);
  memset(&m, 0, sizeof m);
  assert_null(model_check_section(&m, sec, slen));
  assert_int_equal(walk(&m), good);
  /* cut inside the string pool: refused */
  assert_non_null(model_check_section(&m, sec, sh->strings_off + sh->strings_len - 1));
  free(sec);
  free(file);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_service_loads),
      cmocka_unit_test(test_known_shapes),
      cmocka_unit_test(test_rows_and_aliases),
      cmocka_unit_test(test_damaged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
