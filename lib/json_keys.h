/* Keys a JSON object holds more than once. JSON allows them; a dictionary
 * (botocore's, every SDK's, the services' own parsers) holds one value per
 * key, the last one read. The operation layer follows that rule wherever a
 * cJSON object stands for a dictionary: an answer keeps the last value, a
 * parameter given twice is refused, an item with a repeated attribute is not
 * made. */
#ifndef UVAWS_JSON_KEYS_H
#define UVAWS_JSON_KEYS_H

#include <cjson/cJSON.h>

/* Called for a member that a later member with the same key replaces; may
 * delete it (detached from the object first). A nonzero return stops. */
typedef int (*json_shadowed_fn)(cJSON *obj, cJSON *earlier, void *arg);

/* Calls `fn` once for each member of `obj` that a later member of `obj` with
 * the same key replaces, in the object's order; keys compared byte for byte,
 * or ASCII case-insensitively when `fold_case` (HTTP header names). O(n log n)
 * in the members. Returns 0, fn's nonzero return, or -1 out of memory. */
int json_shadowed_keys(cJSON *obj, int fold_case, json_shadowed_fn fn, void *arg);

/* 1 if some key of `obj` repeats (byte for byte), 0 if none, -1 out of memory. */
int json_has_repeated_key(const cJSON *obj);

/* A json_shadowed_fn that deletes the member: the last value stands. */
int json_drop_shadowed(cJSON *obj, cJSON *earlier, void *arg);

/* `len` bytes of JSON parsed as botocore's json.loads reads them: a key the
 * top-level object repeats keeps its last value. NULL when the text is not
 * JSON or there is no memory. The tree is the caller's. */
cJSON *json_parse_last_wins(const char *text, size_t len);

#endif
