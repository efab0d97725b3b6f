/* Repeated keys in a JSON object (json_keys.h). Small objects, which are
 * nearly all of them, compare every pair; larger ones sort their keys, so
 * that a hostile answer with a hundred thousand keys costs n log n. Neither
 * allocates below a few hundred members. */
#include "json_keys.h"

#include <stdint.h>
#include <stdlib.h>

/* Up to this many members the pairs are compared: cheaper than sorting
 * (most pairs differ in their first byte), and no allocation. A DynamoDB
 * item of a dozen attributes stays on this side. */
#define PAIRWISE_MAX 16
/* Up to this many members the sort's arrays are on the stack (4.5 KiB). */
#define SORT_ON_STACK 256

static int key_cmp(const char *a, const char *b, int fold) {
  for (;; a++, b++) {
    unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
    if (fold) {
      x = (unsigned char)(x >= 'A' && x <= 'Z' ? x + 32 : x);
      y = (unsigned char)(y >= 'A' && y <= 'Z' ? y + 32 : y);
    }
    if (x != y || x == '\0')
      return (int)x - (int)y;
  }
}

static const char *key_of(const cJSON *e) { return e->string != NULL ? e->string : ""; }

typedef struct {
  const char *key;
  size_t pos; /* the member's place in the object: ties sort by it */
} entry_t;

static int entry_cmp_by(const entry_t *a, const entry_t *b, int fold) {
  int c = key_cmp(a->key, b->key, fold);
  return c != 0 ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

/* two comparators, since qsort passes no argument (and a global would race
 * between loops on other threads) */
static int entry_cmp(const void *a, const void *b) { return entry_cmp_by(a, b, 0); }
static int entry_cmp_fold(const void *a, const void *b) { return entry_cmp_by(a, b, 1); }

/* Marks in `shadowed` (one byte a member) those a later member replaces. */
static int mark_sorted(const cJSON *obj, size_t n, int fold, unsigned char *shadowed) {
  entry_t few[SORT_ON_STACK];
  entry_t *v = n <= SORT_ON_STACK ? few : malloc(n * sizeof *v);
  if (v == NULL)
    return -1;
  size_t i = 0;
  for (const cJSON *e = obj->child; e != NULL; e = e->next, i++)
    v[i] = (entry_t){key_of(e), i};
  qsort(v, n, sizeof *v, fold ? entry_cmp_fold : entry_cmp);
  for (i = 0; i + 1 < n; i++)
    if (key_cmp(v[i].key, v[i + 1].key, fold) == 0)
      shadowed[v[i].pos] = 1; /* v[i + 1] is later: sorted by place on ties */
  if (v != few)
    free(v);
  return 0;
}

int json_shadowed_keys(cJSON *obj, int fold_case, json_shadowed_fn fn, void *arg) {
  if (obj == NULL || obj->child == NULL || obj->child->next == NULL)
    return 0; /* none or one member: the common case, nothing to do */
  size_t n = 0;
  for (const cJSON *e = obj->child; e != NULL; e = e->next)
    n++;
  if (n <= PAIRWISE_MAX) {
    for (cJSON *e = obj->child; e != NULL;) {
      cJSON *next = e->next;
      const char *k = key_of(e);
      for (const cJSON *l = next; l != NULL; l = l->next) {
        const char *lk = key_of(l);
        if ((fold_case || k[0] == lk[0]) && key_cmp(k, lk, fold_case) == 0) {
          int rc = fn(obj, e, arg);
          if (rc != 0)
            return rc;
          break;
        }
      }
      e = next;
    }
    return 0;
  }
  unsigned char few[SORT_ON_STACK] = {0};
  unsigned char *shadowed = n <= SORT_ON_STACK ? few : calloc(n, 1);
  if (shadowed == NULL || mark_sorted(obj, n, fold_case, shadowed) != 0) {
    if (shadowed != few)
      free(shadowed);
    return -1;
  }
  int rc = 0;
  size_t i = 0;
  for (cJSON *e = obj->child; e != NULL && rc == 0; i++) {
    cJSON *next = e->next; /* fn may delete e */
    if (shadowed[i])
      rc = fn(obj, e, arg);
    e = next;
  }
  if (shadowed != few)
    free(shadowed);
  return rc;
}

static int found(cJSON *obj, cJSON *earlier, void *arg) {
  (void)obj;
  (void)earlier;
  (void)arg;
  return 1;
}

int json_has_repeated_key(const cJSON *obj) {
  /* found() changes nothing: the cast only lets one walker serve both */
  int rc = json_shadowed_keys((cJSON *)obj, 0, found, NULL);
  return rc < 0 ? -1 : rc > 0;
}

int json_drop_shadowed(cJSON *obj, cJSON *earlier, void *arg) {
  (void)arg;
  cJSON_Delete(cJSON_DetachItemViaPointer(obj, earlier));
  return 0;
}

cJSON *json_parse_last_wins(const char *text, size_t len) {
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (root != NULL && json_shadowed_keys(root, 0, json_drop_shadowed, NULL) != 0) {
    cJSON_Delete(root);
    return NULL;
  }
  return root;
}
