/* The AWS service models, compiled at build time (models/compile_models.py)
 * into one file that every process maps read-only (layout: model_format.h).
 *
 * The file is mapped on first use and a service is checked on first use:
 * every index and string offset of its records is bounds-checked once, so
 * the readers below index the records without further checks. Loading takes
 * a process-wide mutex; a loaded service never changes and is never freed
 * (it lives as long as the process, like the mapping), so any thread may read
 * it without a lock once it holds the pointer.
 *
 * Where the file is: uvaws_models_set_dir(), else $UVAWS_MODEL_DIR, else the
 * directory the library was installed with (datadir/uvaws/models). */
#ifndef UVAWS_MODEL_H
#define UVAWS_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "model_format.h"
#include "uvaws/call.h"

#define MODEL_FILE_NAME "services.bin"

/* Services whose calls take rules their models do not state, known once
 * when the model loads rather than by name on every call. */
typedef enum { MSVC_OTHER, MSVC_S3, MSVC_GLACIER, MSVC_APIGATEWAY } msvc_kind_t;

typedef struct model_s {
  const uvaws_service_t *svc; /* the public row */
  const mindex_t *ix;
  const msvc_hdr_t *h;
  const mshape_t *shapes;
  const mref_t *mrefs;
  const mop_t *ops;
  const uint32_t *op_hash, *member_hash, *enums, *pager_hash, *waiter_hash;
  const mnamed_t *pagers, *waiters;
  const char *strings;
  mproto_t protocol;
  msig_t signature;
  msvc_kind_t kind; /* the services with rules beyond their models (quirks.c, s3.c) */
} model_t;

/* The loaded model of service `name` (a row's name, exactly), or NULL with
 * the reason in `why` (why_len bytes; may be NULL): no model file, a damaged
 * one, no such service. */
const model_t *model_get(const char *name, char *why, size_t why_len);

/* The string at `off` of a loaded service (offsets are checked at load). */
static inline const char *model_str(const model_t *m, uint32_t off) { return m->strings + off; }

static inline const mshape_t *model_shape(const model_t *m, uint32_t i) { return &m->shapes[i]; }
static inline const mref_t *model_mref(const model_t *m, uint32_t i) { return &m->mrefs[i]; }
static inline const mshape_t *model_target(const model_t *m, const mref_t *r) {
  return &m->shapes[r->shape];
}
static inline uint32_t model_mref_index(const model_t *m, const mref_t *r) {
  return (uint32_t)(r - m->mrefs);
}
static inline uint32_t model_shape_index(const model_t *m, const mshape_t *s) {
  return (uint32_t)(s - m->shapes);
}

/* The operation called `name`, or NULL. */
const mop_t *model_op(const model_t *m, const char *name);

/* The member `name` (`len` bytes) of structure `shape`, or NULL. */
const mref_t *model_member(const model_t *m, const mshape_t *shape, const char *name, size_t len);

/* The same for a NUL-terminated name (a cJSON key): no strlen first. */
const mref_t *model_member_str(const model_t *m, const mshape_t *shape, const char *name);

/* A paginator's or waiter's JSON definition by name, or NULL. */
const char *model_pager(const model_t *m, const char *name);
const char *model_waiter(const model_t *m, const char *name);

/* The timestamp format of a reference (MTS_DEFAULT when the model says none). */
static inline mts_t model_ts_format(const mref_t *r) {
  return (mts_t)((r->flags & MR_TS_MASK) >> MR_TS_SHIFT);
}

/* The minimum a shape declares, when it has one. */
int model_min(const mshape_t *s, double *min);

/* 32-bit FNV-1a, the compiler's hash. */
uint32_t model_hash(const char *s, size_t n);

/* The public rows of every service in the file (sorted by name), or NULL
 * with the reason in `why`. */
const uvaws_service_t *model_services(size_t *count, char *why, size_t why_len);

/* The checks a file and a section pass before use, NULL when sound, else
 * what is wrong (exposed for tests and the fuzz target). A section that
 * passes has every record's indices and string offsets in bounds, and fills
 * `m`'s pointers (its other fields are the caller's). */
const char *model_check_file(const uint8_t *p, size_t len);
const char *model_check_section(model_t *m, const uint8_t *base, size_t len);

#endif
