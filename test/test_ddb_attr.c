/* ddb_attr: DynamoDB AttributeValues to and from plain JSON, every type both
 * ways, round trips, and what DynamoDB would refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "uvaws.h"

static char *print(const cJSON *j) {
  char *s = cJSON_PrintUnformatted(j);
  assert_non_null(s);
  return s;
}

static void same(const cJSON *got, const char *want) {
  if (got == NULL)
    fail_msg("converted to NULL, want %s", want);
  char *g = print(got);
  assert_string_equal(g, want);
  free(g);
}

typedef cJSON *(*conv)(const cJSON *);

/* `in` (JSON text) converted by `f` prints as `want` (NULL: refused). */
static void conv_is(conv f, const char *in, const char *want) {
  cJSON *j = cJSON_Parse(in);
  if (j == NULL)
    fail_msg("test JSON does not parse: %s", in);
  cJSON *out = f(j);
  if (want == NULL) {
    if (out != NULL) {
      char *g = print(out);
      fail_msg("%s accepted as %s", in, g);
    }
  } else {
    same(out, want);
  }
  cJSON_Delete(out);
  cJSON_Delete(j);
}

/* plain -> attr gives `attr`, attr -> plain gives `plain` back, and both
 * round trips are identical. */
static void both_ways(const char *plain, const char *attr) {
  conv_is(uvaws_ddb_to_attr, plain, attr);
  conv_is(uvaws_ddb_from_attr, attr, plain);
  cJSON *p = cJSON_Parse(plain), *a = cJSON_Parse(attr);
  cJSON *a2 = uvaws_ddb_to_attr(p), *p2 = uvaws_ddb_from_attr(a2);
  cJSON *p3 = uvaws_ddb_from_attr(a), *a3 = uvaws_ddb_to_attr(p3);
  char *sp = print(p), *sa = print(a);
  same(p2, sp);
  same(a3, sa);
  free(sp);
  free(sa);
  cJSON_Delete(p);
  cJSON_Delete(a);
  cJSON_Delete(a2);
  cJSON_Delete(p2);
  cJSON_Delete(p3);
  cJSON_Delete(a3);
}

static void scalars(void **state) {
  (void)state;
  both_ways("\"hello \xc3\xa9\"", "{\"S\":\"hello \xc3\xa9\"}");
  both_ways("\"\"", "{\"S\":\"\"}");
  both_ways("true", "{\"BOOL\":true}");
  both_ways("false", "{\"BOOL\":false}");
  both_ways("null", "{\"NULL\":true}");
  both_ways("42", "{\"N\":\"42\"}");
  both_ways("-3.25", "{\"N\":\"-3.25\"}");
  both_ways("{\"$b64\":\"aGVsbG8=\"}", "{\"B\":\"aGVsbG8=\"}");
  both_ways("{\"$b64\":\"\"}", "{\"B\":\"\"}");
}

/* A cJSON number goes out as its shortest exact text; from "N" comes a raw
 * number holding the digits verbatim, however many. */
static void numbers(void **state) {
  (void)state;
  cJSON *n = cJSON_CreateNumber(0.1);
  cJSON *a = uvaws_ddb_to_attr(n);
  same(a, "{\"N\":\"0.1\"}");
  cJSON_Delete(a);
  cJSON_SetNumberValue(n, 1e21);
  same(a = uvaws_ddb_to_attr(n), "{\"N\":\"1e+21\"}");
  cJSON_Delete(a);
  cJSON_SetNumberValue(n, 9007199254740993.0); /* not a double: 2^53 + 1 rounds */
  same(a = uvaws_ddb_to_attr(n), "{\"N\":\"9007199254740992\"}");
  cJSON_Delete(a);
  cJSON_Delete(n);

  static const char big[] = "123456789012345678901234567890.123456789";
  cJSON *raw = cJSON_CreateRaw(big);
  same(a = uvaws_ddb_to_attr(raw), "{\"N\":\"123456789012345678901234567890.123456789\"}");
  cJSON *back = uvaws_ddb_from_attr(a);
  assert_true(cJSON_IsRaw(back));
  assert_string_equal(back->valuestring, big);
  cJSON_Delete(back);
  cJSON_Delete(a);
  cJSON_Delete(raw);

  /* what a DynamoDB answer holds, exactly */
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"-0.000000000000000000000000000000000001\"}",
          "-0.000000000000000000000000000000000001");
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"1E+126\"}", "1E+126");
  /* not numbers: a raw value is printed verbatim, so it must be JSON's */
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"+1\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":\".5\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"1e\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"12abc\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":\"NaN\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"N\":42}", NULL);
  raw = cJSON_CreateRaw("[1]");
  assert_null(uvaws_ddb_to_attr(raw));
  cJSON_Delete(raw);
}

static void documents(void **state) {
  (void)state;
  both_ways("{\"name\":\"Ada\",\"age\":36,\"tags\":[\"a\",1,true,null],"
            "\"address\":{\"city\":\"London\",\"lines\":[{\"n\":1}],\"empty\":{}},"
            "\"none\":[]}",
            "{\"M\":{\"name\":{\"S\":\"Ada\"},\"age\":{\"N\":\"36\"},"
            "\"tags\":{\"L\":[{\"S\":\"a\"},{\"N\":\"1\"},{\"BOOL\":true},{\"NULL\":true}]},"
            "\"address\":{\"M\":{\"city\":{\"S\":\"London\"},"
            "\"lines\":{\"L\":[{\"M\":{\"n\":{\"N\":\"1\"}}}]},\"empty\":{\"M\":{}}}},"
            "\"none\":{\"L\":[]}}}");
  /* tags inside documents */
  both_ways("[{\"$ss\":[\"x\"]},{\"k\":{\"$b64\":\"AA==\"}}]",
            "{\"L\":[{\"SS\":[\"x\"]},{\"M\":{\"k\":{\"B\":\"AA==\"}}}]}");
}

static void sets(void **state) {
  (void)state;
  both_ways("{\"$ss\":[\"red\",\"green\",\"\"]}", "{\"SS\":[\"red\",\"green\",\"\"]}");
  both_ways("{\"$ns\":[\"1\",\"2.5\",\"-7\",\"123456789012345678901234567890\"]}",
            "{\"NS\":[\"1\",\"2.5\",\"-7\",\"123456789012345678901234567890\"]}");
  both_ways("{\"$bs\":[\"AQID\",\"BAU=\",\"Bg==\"]}", "{\"BS\":[\"AQID\",\"BAU=\",\"Bg==\"]}");
  /* numbers in a number set, cJSON's or raw, are written as text */
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":[1,\"2\",0.5,1e300]}",
          "{\"NS\":[\"1\",\"2\",\"0.5\",\"1e+300\"]}");
  cJSON *ns = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(ns, "$ns");
  cJSON_AddItemToArray(arr, cJSON_CreateRaw("98765432109876543210"));
  cJSON *a = uvaws_ddb_to_attr(ns);
  same(a, "{\"NS\":[\"98765432109876543210\"]}");
  cJSON_Delete(a);
  cJSON_Delete(ns);
}

static void items(void **state) {
  (void)state;
  conv_is(uvaws_ddb_to_item, "{\"pk\":\"user#1\",\"n\":5,\"bin\":{\"$b64\":\"AAEC\"}}",
          "{\"pk\":{\"S\":\"user#1\"},\"n\":{\"N\":\"5\"},\"bin\":{\"B\":\"AAEC\"}}");
  conv_is(uvaws_ddb_from_item,
          "{\"pk\":{\"S\":\"user#1\"},\"n\":{\"N\":\"5\"},\"ss\":{\"SS\":[\"a\"]}}",
          "{\"pk\":\"user#1\",\"n\":5,\"ss\":{\"$ss\":[\"a\"]}}");
  conv_is(uvaws_ddb_to_item, "{}", "{}");
  conv_is(uvaws_ddb_from_item, "{}", "{}");
  /* an item is an object, whatever its members */
  conv_is(uvaws_ddb_to_item, "[\"a\"]", NULL);
  conv_is(uvaws_ddb_to_item, "\"a\"", NULL);
  conv_is(uvaws_ddb_from_item, "[{\"S\":\"a\"}]", NULL);
  conv_is(uvaws_ddb_from_item, "{\"a\":\"not an attr\"}", NULL);
  conv_is(uvaws_ddb_to_item, "{\"a\":{\"$b64\":\"!!\"}}", NULL);
  /* an attribute named twice, in the item or a map inside it: DynamoDB
   * refuses such an item; small and large objects (sorted) alike */
  conv_is(uvaws_ddb_to_item, "{\"a\":1,\"a\":2}", NULL);
  conv_is(uvaws_ddb_to_item, "{\"a\":1,\"A\":2}", "{\"a\":{\"N\":\"1\"},\"A\":{\"N\":\"2\"}}");
  conv_is(uvaws_ddb_to_attr, "{\"m\":{\"x\":1,\"y\":2,\"x\":3}}", NULL);
  conv_is(uvaws_ddb_to_attr, "[{\"x\":1,\"x\":1}]", NULL);
  conv_is(uvaws_ddb_from_item, "{\"a\":{\"S\":\"1\"},\"a\":{\"S\":\"2\"}}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"M\":{\"a\":{\"S\":\"1\"},\"a\":{\"S\":\"2\"}}}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"L\":[{\"M\":{\"a\":{\"S\":\"1\"},\"a\":{\"N\":\"2\"}}}]}",
          NULL);
  /* 20 keys (sorted, not paired): distinct pass, one repeated at the end fails */
  char big[512] = "{\"k0\":0";
  for (int i = 1; i < 20; i++)
    snprintf(big + strlen(big), sizeof big - strlen(big), ",\"k%d\":%d", i, i);
  size_t end = strlen(big);
  strcpy(big + end, "}");
  cJSON *p = cJSON_Parse(big), *item = uvaws_ddb_to_item(p);
  assert_non_null(item);
  assert_int_equal(cJSON_GetArraySize(item), 20);
  cJSON_Delete(item);
  cJSON_Delete(p);
  strcpy(big + end, ",\"k7\":1}");
  p = cJSON_Parse(big);
  assert_non_null(p);
  assert_null(uvaws_ddb_to_item(p));
  cJSON_Delete(p);
  assert_null(uvaws_ddb_to_item(NULL));
  assert_null(uvaws_ddb_from_item(NULL));
  assert_null(uvaws_ddb_to_attr(NULL));
  assert_null(uvaws_ddb_from_attr(NULL));
}

static void bad_base64(void **state) {
  (void)state;
  static const char *bad[] = {
      "aGVsbG8",   /* padding missing */
      "aGVsbG8==", /* too much */
      "aGVs bG8=", /* blank */
      " aGVsbG8=", /* leading blank, which OpenSSL alone would skip */
      "aGVsbG8=\n",
      "aGV$bG8=",
      "aGVsbG9=", /* leftover bits set: not what any encoder writes */
      "QR==",
      "=AAA",
      "A===",
      "====",
      "aGVs=G8=", /* padding in the middle */
      "aGVsbG8A    ", /* trailing blanks, which OpenSSL alone would skip */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    cJSON *p = cJSON_CreateObject();
    cJSON_AddStringToObject(p, "$b64", bad[i]);
    cJSON *a = uvaws_ddb_to_attr(p);
    if (a != NULL)
      fail_msg("\"%s\" accepted", bad[i]);
    cJSON_Delete(p);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "B", bad[i]);
    assert_null(uvaws_ddb_from_attr(j));
    cJSON_Delete(j);
  }
  conv_is(uvaws_ddb_to_attr, "{\"$bs\":[\"AQID\",\"no\"]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"BS\":[\"AQID\",\"A\"]}", NULL);
}

static void bad_sets(void **state) {
  (void)state;
  /* empty */
  conv_is(uvaws_ddb_to_attr, "{\"$ss\":[]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":[]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$bs\":[]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"SS\":[]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"NS\":[]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"BS\":[]}", NULL);
  /* duplicates */
  conv_is(uvaws_ddb_to_attr, "{\"$ss\":[\"a\",\"b\",\"a\"]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":[1,\"1\"]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$bs\":[\"AQID\",\"AQID\"]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"SS\":[\"a\",\"a\"]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"NS\":[\"2\",\"2\"]}", NULL);
  /* wrong element types */
  conv_is(uvaws_ddb_to_attr, "{\"$ss\":[\"a\",1]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ss\":[null]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":[\"one\"]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":[true]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$bs\":[1]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"NS\":[1]}", NULL); /* DynamoDB sends strings */
  conv_is(uvaws_ddb_from_attr, "{\"SS\":\"a\"}", NULL);
}

static void wrong_tags(void **state) {
  (void)state;
  conv_is(uvaws_ddb_to_attr, "{\"$b64\":1}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$b64\":[\"AA==\"]}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ss\":\"a\"}", NULL);
  conv_is(uvaws_ddb_to_attr, "{\"$ns\":{\"a\":1}}", NULL);
  conv_is(uvaws_ddb_to_attr, "[1,{\"$ss\":[]}]", NULL);
  /* a tag beside other members is only a key of a map */
  conv_is(uvaws_ddb_to_attr, "{\"$b64\":\"!\",\"x\":1}",
          "{\"M\":{\"$b64\":{\"S\":\"!\"},\"x\":{\"N\":\"1\"}}}");
  conv_is(uvaws_ddb_to_attr, "{\"$other\":1}", "{\"M\":{\"$other\":{\"N\":\"1\"}}}");

  /* not AttributeValues */
  conv_is(uvaws_ddb_from_attr, "\"S\"", NULL);
  conv_is(uvaws_ddb_from_attr, "{}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"S\":\"a\",\"N\":\"1\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"X\":\"a\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"S\":1}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"BOOL\":\"true\"}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"NULL\":false}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"M\":[]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"L\":{}}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"L\":[{\"S\":\"a\"},{\"Q\":1}]}", NULL);
  conv_is(uvaws_ddb_from_attr, "{\"M\":{\"a\":{\"M\":{\"b\":\"c\"}}}}", NULL);

  /* NaN has no number text */
  cJSON *p = cJSON_CreateNumber(0.0);
  p->valuedouble = p->valuedouble / p->valuedouble;
  assert_null(uvaws_ddb_to_attr(p));
  cJSON_Delete(p);
}

static void deep_nesting(void **state) {
  (void)state;
  /* DynamoDB allows 32 levels; the cap is further out, and then refuses */
  cJSON *root = cJSON_CreateArray(), *at = root;
  for (int i = 0; i < 60; i++) {
    cJSON *next = cJSON_CreateArray();
    cJSON_AddItemToArray(at, next);
    at = next;
  }
  cJSON *a = uvaws_ddb_to_attr(root);
  assert_non_null(a);
  cJSON *b = uvaws_ddb_from_attr(a);
  assert_non_null(b);
  cJSON_Delete(a);
  cJSON_Delete(b);
  for (int i = 0; i < 100; i++) {
    cJSON *next = cJSON_CreateArray();
    cJSON_AddItemToArray(at, next);
    at = next;
  }
  assert_null(uvaws_ddb_to_attr(root));
  cJSON_Delete(root);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(scalars),    cmocka_unit_test(numbers),   cmocka_unit_test(documents),
      cmocka_unit_test(sets),       cmocka_unit_test(items),     cmocka_unit_test(bad_base64),
      cmocka_unit_test(bad_sets),   cmocka_unit_test(wrong_tags), cmocka_unit_test(deep_nesting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
