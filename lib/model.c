/* Mapping and checking the compiled service models (see model.h). */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "uvaws/error.h"

#ifndef UVAWS_MODEL_DIR_DEFAULT
#define UVAWS_MODEL_DIR_DEFAULT "/usr/local/share/uvaws/models"
#endif

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#define HOST_BIG_ENDIAN 1
#else
#define HOST_BIG_ENDIAN 0
#endif

/* The process-wide state: the mapping, the public rows, the services loaded. */
static struct {
  uv_once_t once;
  uv_mutex_t lock;
  char *dir;     /* uvaws_models_set_dir */
  int tried;     /* the file was looked for (found or not) */
  char why[512]; /* why there is no file, when there is none */
  const uint8_t *map;
  size_t len;
  const mfile_hdr_t *hdr;
  const mindex_t *index;
  const uint32_t *hash;
  const char *strings;
  uvaws_service_t *rows;
  model_t **loaded; /* by index position; NULL until checked */
  char **failed;    /* by index position: why a service did not check */
} reg = {.once = UV_ONCE_INIT};

static void init_lock(void) { uv_mutex_init(&reg.lock); }

static void say(char *why, size_t n, const char *fmt, const char *a, const char *b) {
  if (why != NULL && n > 0)
    snprintf(why, n, fmt, a, b);
}

uint32_t model_hash(const char *s, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

int uvaws_models_set_dir(const char *dir) {
  if (dir == NULL || dir[0] == '\0')
    return UVAWS_EINVAL;
  uv_once(&reg.once, init_lock);
  uv_mutex_lock(&reg.lock);
  int rc = 0;
  char *copy = NULL;
  if (reg.map != NULL)
    rc = UVAWS_EBUSY; /* services already point into the file in use */
  else if ((copy = strdup(dir)) == NULL)
    rc = UVAWS_ENOMEM;
  if (rc == 0) {
    free(reg.dir);
    reg.dir = copy;
    reg.tried = 0; /* look again, there */
  }
  uv_mutex_unlock(&reg.lock);
  return rc;
}

const char *uvaws_models_dir(void) {
  uv_once(&reg.once, init_lock);
  uv_mutex_lock(&reg.lock);
  const char *env = getenv("UVAWS_MODEL_DIR");
  const char *dir = reg.dir ? reg.dir : env && env[0] ? env : UVAWS_MODEL_DIR_DEFAULT;
  uv_mutex_unlock(&reg.lock);
  return dir;
}

/* ---- checking ------------------------------------------------------------ */

/* A section of `count` records of `size` bytes at `off` inside `len` bytes. */
static int fits(uint32_t off, uint32_t count, size_t size, size_t len) {
  return off % 4 == 0 && off <= len && (uint64_t)count * size <= len - off;
}

static int pow2(uint32_t n) { return n > 0 && (n & (n - 1)) == 0; }

/* Every slot of a hash table is empty or names a record. */
static int check_hash(const uint32_t *t, uint32_t size, uint32_t count) {
  if (!pow2(size))
    return 0;
  for (uint32_t i = 0; i < size; i++)
    if (t[i] > count)
      return 0;
  return 1;
}

const char *model_check_file(const uint8_t *p, size_t len) {
  if (len < sizeof(mfile_hdr_t) || memcmp(p, MODEL_MAGIC, 8) != 0)
    return "not a uvaws model file";
  const mfile_hdr_t *h = (const mfile_hdr_t *)p;
  if (HOST_BIG_ENDIAN || h->endian != MODEL_ENDIAN_MARK)
    return "the model file is little-endian; this host is not";
  if (h->version != MODEL_FORMAT_VERSION)
    return "the model file has another format version (rebuild it with this uvaws)";
  if (h->file_len != len)
    return "the model file is truncated";
  if (!fits(h->index_off, h->service_count, sizeof(mindex_t), len) ||
      !fits(h->hash_off, h->hash_size, 4, len) || h->strings_off > len ||
      h->strings_len == 0 || h->strings_len > len - h->strings_off ||
      p[h->strings_off + h->strings_len - 1] != '\0')
    return "the model file's index is damaged";
  if (!check_hash((const uint32_t *)(p + h->hash_off), h->hash_size, h->service_count))
    return "the model file's service table is damaged";
  const mindex_t *ix = (const mindex_t *)(p + h->index_off);
  for (uint32_t i = 0; i < h->service_count; i++) {
    const uint32_t strs[] = {ix[i].name, ix[i].service_id, ix[i].signing_name,
                             ix[i].endpoint_prefix, ix[i].api_version, ix[i].json_version,
                             ix[i].target_prefix, ix[i].global_endpoint};
    for (size_t k = 0; k < sizeof strs / sizeof *strs; k++)
      if (strs[k] >= h->strings_len)
        return "the model file's index is damaged";
    if (ix[i].protocol < MPROTO_JSON || ix[i].protocol > MPROTO_EC2 || ix[i].blob_off % 8 ||
        ix[i].blob_off > len || ix[i].blob_len > len - ix[i].blob_off ||
        ix[i].blob_len < sizeof(msvc_hdr_t))
      return "the model file's index is damaged";
  }
  if (h->source >= h->strings_len)
    return "the model file's index is damaged";
  return NULL;
}

const char *model_check_section(model_t *m, const uint8_t *base, size_t len) {
  const msvc_hdr_t *h = (const msvc_hdr_t *)base;
  if (h->magic != MODEL_SERVICE_MAGIC)
    return "no service section";
  if (!fits(h->shapes_off, h->shape_count, sizeof(mshape_t), len) ||
      !fits(h->mrefs_off, h->mref_count, sizeof(mref_t), len) ||
      !fits(h->ops_off, h->op_count, sizeof(mop_t), len) ||
      !fits(h->op_hash_off, h->op_hash_size, 4, len) ||
      !fits(h->member_hash_off, h->member_hash_size, 4, len) ||
      !fits(h->enums_off, h->enum_count, 4, len) ||
      !fits(h->pagers_off, h->pager_count, sizeof(mnamed_t), len) ||
      !fits(h->pager_hash_off, h->pager_hash_size, 4, len) ||
      !fits(h->waiters_off, h->waiter_count, sizeof(mnamed_t), len) ||
      !fits(h->waiter_hash_off, h->waiter_hash_size, 4, len) || h->strings_off > len ||
      h->strings_len == 0 || h->strings_len > len - h->strings_off ||
      base[h->strings_off + h->strings_len - 1] != '\0')
    return "sections out of bounds";
  uint32_t ns = h->shape_count, nr = h->mref_count, sl = h->strings_len;
  m->h = h;
  m->shapes = (const mshape_t *)(base + h->shapes_off);
  m->mrefs = (const mref_t *)(base + h->mrefs_off);
  m->ops = (const mop_t *)(base + h->ops_off);
  m->op_hash = (const uint32_t *)(base + h->op_hash_off);
  m->member_hash = (const uint32_t *)(base + h->member_hash_off);
  m->enums = (const uint32_t *)(base + h->enums_off);
  m->pagers = (const mnamed_t *)(base + h->pagers_off);
  m->pager_hash = (const uint32_t *)(base + h->pager_hash_off);
  m->waiters = (const mnamed_t *)(base + h->waiters_off);
  m->waiter_hash = (const uint32_t *)(base + h->waiter_hash_off);
  m->strings = (const char *)(base + h->strings_off);
  if (!check_hash(m->op_hash, h->op_hash_size, h->op_count) ||
      !check_hash(m->member_hash, h->member_hash_size, nr) ||
      !check_hash(m->pager_hash, h->pager_hash_size, h->pager_count) ||
      !check_hash(m->waiter_hash, h->waiter_hash_size, h->waiter_count) ||
      h->xml_namespace >= sl || h->checksum_format >= sl)
    return "hash tables";
  for (uint32_t i = 0; i < h->enum_count; i++)
    if (m->enums[i] >= sl)
      return "enum values";
  for (uint32_t i = 0; i < ns; i++) {
    const mshape_t *s = &m->shapes[i];
    if (s->name >= sl || s->error_code >= sl || s->type < MT_STRUCTURE || s->type > MT_BLOB)
      return "shapes";
    int ok = 1;
    switch (s->type) {
    case MT_STRUCTURE:
      ok = s->a <= nr && s->b <= nr - s->a && s->required <= s->b &&
           (s->c == MODEL_NONE || (s->c >= s->a && s->c < s->a + s->b));
      for (uint32_t k = 0; ok && k < s->b; k++)
        ok = m->mrefs[s->a + k].parent == i;
      break;
    case MT_LIST:
      ok = s->a < nr;
      break;
    case MT_MAP:
      ok = s->a < nr && s->b < nr;
      break;
    case MT_STRING:
      ok = s->a <= h->enum_count && s->b <= h->enum_count - s->a;
      break;
    default:
      break;
    }
    if (!ok)
      return "shape references";
  }
  for (uint32_t i = 0; i < nr; i++) {
    const mref_t *r = &m->mrefs[i];
    if (r->name >= sl || r->serial >= sl || r->query_name >= sl || r->xmlns_uri >= sl ||
        r->xmlns_prefix >= sl || r->result_wrapper >= sl || r->shape >= ns ||
        r->location > ML_STATUS || (r->parent != MODEL_NONE && r->parent >= ns) ||
        (r->parent != MODEL_NONE && m->shapes[r->parent].type != MT_STRUCTURE))
      return "member references";
  }
  for (uint32_t i = 0; i < h->op_count; i++) {
    const mop_t *o = &m->ops[i];
    if (o->name >= sl || o->method >= sl || o->request_uri >= sl || o->host_prefix >= sl ||
        o->checksum_member >= sl || (o->input != MODEL_NONE && o->input >= nr) ||
        (o->output != MODEL_NONE && o->output >= nr) ||
        (o->input != MODEL_NONE && m->shapes[m->mrefs[o->input].shape].type != MT_STRUCTURE) ||
        (o->output != MODEL_NONE && m->shapes[m->mrefs[o->output].shape].type != MT_STRUCTURE))
      return "operations";
  }
  for (uint32_t i = 0; i < h->pager_count; i++)
    if (m->pagers[i].name >= sl || m->pagers[i].json >= sl)
      return "paginators";
  for (uint32_t i = 0; i < h->waiter_count; i++)
    if (m->waiters[i].name >= sl || m->waiters[i].json >= sl)
      return "waiters";
  return NULL;
}

/* ---- the file ------------------------------------------------------------ */

static void build_rows(void) {
  const char *s = reg.strings;
  for (uint32_t i = 0; i < reg.hdr->service_count; i++) {
    const mindex_t *x = &reg.index[i];
    uvaws_service_t *r = &reg.rows[i];
    r->name = s + x->name;
    r->service_id = s + x->service_id;
    r->signing_name = s + x->signing_name;
    r->endpoint_prefix = s + x->endpoint_prefix;
    r->api_version = s + x->api_version;
    r->json_version = s[x->json_version] ? s + x->json_version : NULL;
    r->target_prefix = s[x->target_prefix] ? s + x->target_prefix : NULL;
    r->global_endpoint = s[x->global_endpoint] ? s + x->global_endpoint : NULL;
    switch ((mproto_t)x->protocol) {
    case MPROTO_JSON:
      r->protocol = UVAWS_PROTOCOL_JSON;
      break;
    case MPROTO_REST_JSON:
      r->protocol = UVAWS_PROTOCOL_REST_JSON;
      break;
    case MPROTO_REST_XML:
      r->protocol = UVAWS_PROTOCOL_REST_XML;
      break;
    case MPROTO_QUERY:
      r->protocol = UVAWS_PROTOCOL_QUERY;
      break;
    case MPROTO_EC2:
      r->protocol = UVAWS_PROTOCOL_EC2;
      break;
    }
  }
}

/* Maps the file once (under the lock). 0, or -1 with reg.why set. */
static int open_file(void) {
  if (reg.map != NULL)
    return 0;
  if (reg.tried)
    return -1;
  reg.tried = 1;
  const char *env = getenv("UVAWS_MODEL_DIR");
  const char *dir = reg.dir ? reg.dir : env && env[0] ? env : UVAWS_MODEL_DIR_DEFAULT;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, MODEL_FILE_NAME);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    snprintf(reg.why, sizeof reg.why, "no service models: cannot open %.400s: %s", path,
             strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  if (!S_ISREG(st.st_mode) || st.st_size <= 0 || (uint64_t)st.st_size > UINT32_MAX) {
    snprintf(reg.why, sizeof reg.why, "no service models: %.400s is not a model file", path);
    close(fd);
    return -1;
  }
  size_t len = (size_t)st.st_size;
  void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  if (p == MAP_FAILED) {
    snprintf(reg.why, sizeof reg.why, "no service models: cannot map %.400s: %s", path,
             strerror(errno));
    return -1;
  }
  const char *bad = model_check_file(p, len);
  const mfile_hdr_t *h = p;
  if (bad == NULL) {
    reg.rows = calloc(h->service_count ? h->service_count : 1, sizeof *reg.rows);
    reg.loaded = calloc(h->service_count ? h->service_count : 1, sizeof *reg.loaded);
    reg.failed = calloc(h->service_count ? h->service_count : 1, sizeof *reg.failed);
    if (reg.rows == NULL || reg.loaded == NULL || reg.failed == NULL)
      bad = "out of memory";
  }
  if (bad != NULL) {
    snprintf(reg.why, sizeof reg.why, "%.400s: %s", path, bad);
    munmap(p, len);
    free(reg.rows);
    free(reg.loaded);
    free(reg.failed);
    reg.rows = NULL;
    reg.loaded = NULL;
    reg.failed = NULL;
    return -1;
  }
  reg.map = p;
  reg.len = len;
  reg.hdr = h;
  reg.index = (const mindex_t *)(reg.map + h->index_off);
  reg.hash = (const uint32_t *)(reg.map + h->hash_off);
  reg.strings = (const char *)(reg.map + h->strings_off);
  build_rows();
  return 0;
}

/* The position of service `name` in the index, or -1. */
static long find_index(const char *name) {
  uint32_t size = reg.hdr->hash_size;
  uint32_t slot = model_hash(name, strlen(name)) & (size - 1);
  for (uint32_t n = 0; n < size; n++, slot = (slot + 1) & (size - 1)) {
    uint32_t e = reg.hash[slot];
    if (e == 0)
      return -1;
    if (strcmp(reg.strings + reg.index[e - 1].name, name) == 0)
      return (long)(e - 1);
  }
  return -1;
}

const model_t *model_get(const char *name, char *why, size_t why_len) {
  if (name == NULL) {
    say(why, why_len, "%s%s", "no service name", "");
    return NULL;
  }
  uv_once(&reg.once, init_lock);
  uv_mutex_lock(&reg.lock);
  model_t *m = NULL;
  if (open_file() != 0) {
    say(why, why_len, "%s%s", reg.why, "");
    goto out;
  }
  long i = find_index(name);
  if (i < 0) {
    say(why, why_len, "no model for service \"%s\"%s", name, "");
    goto out;
  }
  if ((m = reg.loaded[i]) != NULL || reg.failed[i] != NULL) {
    if (m == NULL)
      say(why, why_len, "%s%s", reg.failed[i], "");
    goto out;
  }
  m = calloc(1, sizeof *m);
  const char *bad = m ? NULL : "out of memory";
  const mindex_t *x = &reg.index[i];
  if (m != NULL) {
    m->svc = &reg.rows[i];
    m->ix = x;
    m->protocol = (mproto_t)x->protocol;
    m->signature = (msig_t)x->signature;
    const char *sn = m->svc->name;
    m->kind = strcmp(sn, "s3") == 0           ? MSVC_S3
              : strcmp(sn, "glacier") == 0    ? MSVC_GLACIER
              : strcmp(sn, "apigateway") == 0 ? MSVC_APIGATEWAY
                                              : MSVC_OTHER;
    bad = model_check_section(m, reg.map + x->blob_off, x->blob_len);
  }
  if (bad != NULL) {
    char text[256];
    snprintf(text, sizeof text, "the model of \"%s\" is damaged (%s)", name, bad);
    say(why, why_len, "%s%s", text, "");
    if (m != NULL) /* remembered: a damaged section stays damaged */
      reg.failed[i] = strdup(text);
    free(m);
    m = NULL;
    goto out;
  }
  reg.loaded[i] = m;
out:
  uv_mutex_unlock(&reg.lock);
  return m;
}

const uvaws_service_t *model_services(size_t *count, char *why, size_t why_len) {
  uv_once(&reg.once, init_lock);
  uv_mutex_lock(&reg.lock);
  const uvaws_service_t *rows = NULL;
  *count = 0;
  if (open_file() == 0) {
    rows = reg.rows;
    *count = reg.hdr->service_count;
  } else {
    say(why, why_len, "%s%s", reg.why, "");
  }
  uv_mutex_unlock(&reg.lock);
  return rows;
}

/* ---- lookups --------------------------------------------------------------- */

const mop_t *model_op(const model_t *m, const char *name) {
  uint32_t size = m->h->op_hash_size;
  uint32_t slot = model_hash(name, strlen(name)) & (size - 1);
  for (uint32_t n = 0; n < size; n++, slot = (slot + 1) & (size - 1)) {
    uint32_t e = m->op_hash[slot];
    if (e == 0)
      return NULL;
    if (strcmp(m->strings + m->ops[e - 1].name, name) == 0)
      return &m->ops[e - 1];
  }
  return NULL;
}

/* `rn` (a NUL-terminated model string) is the `len` bytes of `name`: compared
 * inline, since names are short and a library call costs more than the loop. */
static inline int same_name(const char *rn, const char *name, size_t len) {
  size_t k = 0;
  while (k < len && rn[k] == name[k] && rn[k] != '\0')
    k++;
  return k == len && rn[len] == '\0';
}

static const mref_t *member_hashed(const model_t *m, const mshape_t *shape, const char *name,
                                   size_t len, uint32_t hash) {
  uint32_t parent = model_shape_index(m, shape);
  uint32_t size = m->h->member_hash_size;
  uint32_t slot = (hash ^ (parent * 0x9E3779B1u)) & (size - 1);
  for (uint32_t n = 0; n < size; n++, slot = (slot + 1) & (size - 1)) {
    uint32_t e = m->member_hash[slot];
    if (e == 0)
      return NULL;
    const mref_t *r = &m->mrefs[e - 1];
    /* same_name stops at rn's end (the pool ends in a NUL) */
    if (r->parent == parent && same_name(m->strings + r->name, name, len))
      return r;
  }
  return NULL;
}

const mref_t *model_member(const model_t *m, const mshape_t *shape, const char *name, size_t len) {
  /* A small structure (most are: DynamoDB's AttributeValue has 10
   * members) is scanned: fewer instructions than hashing the name. */
  if (shape->b <= 12) {
    for (uint32_t i = 0; i < shape->b; i++) {
      const mref_t *r = &m->mrefs[shape->a + i];
      const char *rn = m->strings + r->name;
      if (rn[0] == name[0] && same_name(rn, name, len))
        return r;
    }
    return NULL;
  }
  return member_hashed(m, shape, name, len, model_hash(name, len));
}

const mref_t *model_member_str(const model_t *m, const mshape_t *shape, const char *name) {
  if (shape->b <= 12) {
    for (uint32_t i = 0; i < shape->b; i++) {
      const mref_t *r = &m->mrefs[shape->a + i];
      const char *rn = m->strings + r->name;
      if (rn[0] != name[0])
        continue;
      size_t k = 0;
      while (rn[k] == name[k] && rn[k] != '\0')
        k++;
      if (rn[k] == name[k])
        return r;
    }
    return NULL;
  }
  /* the length and the hash in one pass */
  uint32_t h = 2166136261u;
  size_t n = 0;
  for (; name[n] != '\0'; n++)
    h = (h ^ (uint8_t)name[n]) * 16777619u;
  return member_hashed(m, shape, name, n, h);
}

static const char *find_named(const model_t *m, const mnamed_t *recs, const uint32_t *hash,
                              uint32_t size, const char *name) {
  if (name == NULL)
    return NULL;
  uint32_t slot = model_hash(name, strlen(name)) & (size - 1);
  for (uint32_t n = 0; n < size; n++, slot = (slot + 1) & (size - 1)) {
    uint32_t e = hash[slot];
    if (e == 0)
      return NULL;
    if (strcmp(m->strings + recs[e - 1].name, name) == 0)
      return m->strings + recs[e - 1].json;
  }
  return NULL;
}

const char *model_pager(const model_t *m, const char *name) {
  return find_named(m, m->pagers, m->pager_hash, m->h->pager_hash_size, name);
}

const char *model_waiter(const model_t *m, const char *name) {
  return find_named(m, m->waiters, m->waiter_hash, m->h->waiter_hash_size, name);
}

int model_min(const mshape_t *s, double *min) {
  if (!(s->flags & MS_HAS_MIN))
    return 0;
  uint64_t bits = (uint64_t)s->min_hi << 32 | s->min_lo;
  memcpy(min, &bits, sizeof *min);
  return 1;
}

/* ---- the public service table ------------------------------------------- */

/* Other names people use: a service id ("DynamoDB", "CloudWatch") or an
 * endpoint prefix ("email", "monitoring"), compared case-insensitively. Where
 * several services share a prefix (SES, Pinpoint Email and SES v2 are all
 * "email"), the oldest API wins: the service that first had the name. */
const uvaws_service_t *uvaws_service_find(const char *name) {
  if (name == NULL || name[0] == '\0')
    return NULL;
  size_t n;
  const uvaws_service_t *rows = model_services(&n, NULL, 0);
  if (rows == NULL)
    return NULL;
  char lower[128];
  size_t len = strlen(name);
  if (len >= sizeof lower)
    return NULL;
  for (size_t i = 0; i <= len; i++)
    lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
  uv_mutex_lock(&reg.lock);
  long i = find_index(lower);
  uv_mutex_unlock(&reg.lock);
  if (i >= 0)
    return &rows[i];
  for (size_t k = 0; k < n; k++)
    if (strcasecmp(rows[k].service_id, name) == 0)
      return &rows[k];
  const uvaws_service_t *oldest = NULL;
  for (size_t k = 0; k < n; k++)
    if (strcasecmp(rows[k].endpoint_prefix, name) == 0 &&
        (oldest == NULL || strcmp(rows[k].api_version, oldest->api_version) < 0))
      oldest = &rows[k];
  return oldest;
}

const uvaws_service_t *uvaws_service_at(size_t i) {
  size_t n;
  const uvaws_service_t *rows = model_services(&n, NULL, 0);
  return rows != NULL && i < n ? &rows[i] : NULL;
}
