/* JMESPath, the expressions of the models' paginators and waiters
 * ("NextMarker || Contents[-1].Key", "Reservations[].Instances[].State.Name",
 * "length(services[?!(length(deployments) == `1`)]) == `0`"), over cJSON.
 *
 * The grammar and evaluation of jmespath.org's specification (the same Pratt
 * parser as jmespath.py, which botocore uses): identifiers (also quoted),
 * sub-expressions, index [-1], projections ([*], .*, [] flatten, [?filter]),
 * comparisons, ||, &&, !, parentheses, pipes, literals (`json`, 'raw'), @,
 * and the functions length and contains. Slices, multi-selects and other
 * functions are refused when parsed (no model uses them). */
#ifndef UVAWS_JMESPATH_H
#define UVAWS_JMESPATH_H

#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct jp_expr jp_expr_t;

/* Parses `text`; NULL with the reason in `why` (may be NULL). */
jp_expr_t *jp_compile(const char *text, char *why, size_t why_len);
void jp_free(jp_expr_t *e);

/* Evaluates on `data`: a new item (cJSON_Delete it; it may reference parts
 * of `data`, so delete it first), or NULL for JMESPath's null (and when out
 * of memory). */
cJSON *jp_search(const jp_expr_t *e, const cJSON *data);

/* JMESPath's truth: false, null, "", [] and {} are false; all else true. */
int jp_truthy(const cJSON *v);

/* Deep equality as JMESPath defines it (numbers by value). */
int jp_equal(const cJSON *a, const cJSON *b);

#endif
