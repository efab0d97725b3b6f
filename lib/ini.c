#include "ini.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "secret.h"

/* The shared files are tiny; a cap keeps a wrong path (a log, a device) from
 * being slurped whole. */
#define INI_MAX_FILE (1024 * 1024)

typedef struct {
  char *key, *value;
} sub_t;

typedef struct {
  char *key; /* lower-case */
  char *value;
  sub_t *sub;
  size_t nsub, capsub;
} entry_t;

typedef struct {
  char *name;
  entry_t *ent;
  size_t n, cap;
} section_t;

/* Sections and keys are stored per occurrence and looked up from the end, so
 * that "repeated section merges, last key wins" costs nothing while parsing
 * (no quadratic de-duplication on a large file). */
struct ini_s {
  section_t *sec;
  size_t n, cap;
};

typedef struct {
  ini_t *ini;
  section_t *sec;    /* current section, NULL before the first header */
  entry_t *ent;      /* the key that indented lines continue, or NULL */
  size_t ent_indent; /* indentation of that key's line */
  int sub_mode;      /* its value was empty: indented lines are sub-keys */
  int ent_invalid;   /* its name is not a valid one: read, then dropped */
  buf_t val;         /* its value while it may still grow */
  const char *why;   /* what was wrong, for the caller's message */
} parser_t;

static int is_space(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

int ini_name_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '/' || c == '.' || c == '%' || c == '@' || c == ':' || c == '+';
}

static int valid_name(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if (!ini_name_char((unsigned char)s[i]))
      return 0;
  }
  return n > 0;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static int ascii_caseeq(const char *a, const char *b) {
  while (*a && lower(*a) == lower(*b))
    a++, b++;
  return lower(*a) == lower(*b);
}

static char *dup_n(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d != NULL) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Strict, as Python's decoder: no overlong forms, no surrogates, nothing past
 * U+10FFFF. NUL is refused too: values become C strings. */
static const char *check_utf8(const unsigned char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    if (c == 0)
      return "NUL byte";
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t k;
    unsigned cp, min;
    if (c >= 0xC2 && c <= 0xDF)
      k = 1, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
      k = 2, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
      k = 3, cp = c & 0x07, min = 0x10000;
    else
      return "invalid UTF-8";
    if (n - i <= k)
      return "invalid UTF-8";
    for (size_t j = 1; j <= k; j++) {
      if ((s[i + j] & 0xC0) != 0x80)
        return "invalid UTF-8";
      cp = cp << 6 | (s[i + j] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return "invalid UTF-8";
    i += k + 1;
  }
  return NULL;
}

/* Where an inline comment starts in a value s[0..n) (s right after the '='):
 * at a '#' or ';' right after whitespace, so `a;b` and `=#x` keep theirs. */
static size_t comment_at(const char *s, size_t n) {
  for (size_t i = 1; i < n; i++) {
    if ((s[i] == '#' || s[i] == ';') && is_space(s[i - 1]))
      return i;
  }
  return n;
}

static void trim(const char **s, size_t *n) {
  while (*n > 0 && is_space(**s))
    (*s)++, (*n)--;
  while (*n > 0 && is_space((*s)[*n - 1]))
    (*n)--;
}

/* Room for one more of an array's n items. */
static int grow(void **arr, size_t *cap, size_t n, size_t size) {
  return n < *cap ? 0 : buf_grow_array(arr, cap, n + 1, size);
}

static void free_entry(entry_t *e) {
  for (size_t k = 0; k < e->nsub; k++) {
    free(e->sub[k].key);
    secret_free(e->sub[k].value);
  }
  free(e->sub);
  free(e->key);
  secret_free(e->value);
}

/* The key's value is complete. A key whose name is not valid was read only so
 * that its continuation lines are consumed with it: it is dropped here, as the
 * specification ignores it. */
static int finish_entry(parser_t *p) {
  if (p->ent == NULL)
    return 0;
  if (p->ent_invalid) {
    free_entry(p->ent);
    p->sec->n--; /* it is the last entry of the current section */
    p->ent = NULL;
    return 0;
  }
  const char *v = buf_str(&p->val);
  if (v == NULL || (p->ent->value = dup_n(v, p->val.len)) == NULL)
    return UVAWS_ENOMEM;
  p->ent = NULL;
  return 0;
}

static int add_section(parser_t *p, const char *name, size_t n) {
  ini_t *ini = p->ini;
  if (grow((void **)&ini->sec, &ini->cap, ini->n, sizeof *ini->sec) != 0)
    return UVAWS_ENOMEM;
  section_t *s = &ini->sec[ini->n];
  memset(s, 0, sizeof *s);
  if ((s->name = dup_n(name, n)) == NULL)
    return UVAWS_ENOMEM;
  ini->n++;
  p->sec = s;
  return 0;
}

static int add_entry(parser_t *p, const char *key, size_t kn, const char *val, size_t vn,
                     size_t indent) {
  section_t *s = p->sec;
  if (grow((void **)&s->ent, &s->cap, s->n, sizeof *s->ent) != 0)
    return UVAWS_ENOMEM;
  entry_t *e = &s->ent[s->n];
  memset(e, 0, sizeof *e);
  if ((e->key = dup_n(key, kn)) == NULL)
    return UVAWS_ENOMEM;
  for (char *c = e->key; *c; c++)
    *c = lower(*c);
  s->n++;
  p->ent = e;
  p->ent_indent = indent;
  p->sub_mode = vn == 0;
  p->ent_invalid = !valid_name(key, kn);
  buf_reset(&p->val);
  buf_add(&p->val, val, vn);
  return p->val.failed ? UVAWS_ENOMEM : 0;
}

/* A sub-key line keeps its '#' and ';' in the value: it is a continuation
 * line, where the specification (and botocore) see no comment. */
static int add_sub(parser_t *p, const char *t, size_t n) {
  const char *eq = memchr(t, '=', n);
  if (eq == NULL) {
    p->why = "expected 'name = value' in an indented sub-section";
    return UVAWS_ECONFIG;
  }
  const char *k = t, *v = eq + 1;
  size_t kn = (size_t)(eq - t), vn = n - kn - 1;
  trim(&k, &kn);
  trim(&v, &vn);
  if (kn == 0) {
    p->why = "empty name before '=' in a sub-section";
    return UVAWS_ECONFIG;
  }
  if (!valid_name(k, kn))
    return 0; /* ignored, as an invalid key is */
  entry_t *e = p->ent;
  if (grow((void **)&e->sub, &e->capsub, e->nsub, sizeof *e->sub) != 0)
    return UVAWS_ENOMEM;
  sub_t *s = &e->sub[e->nsub];
  s->key = dup_n(k, kn);
  s->value = dup_n(v, vn);
  e->nsub++; /* counted even half-built so that ini_free releases it */
  return s->key == NULL || s->value == NULL ? UVAWS_ENOMEM : 0;
}

/* An indented line under a key: a sub-key, or more of the value, whole: a
 * '#' or ';' in it is text, not a comment (the specification's rule). */
static int continuation(parser_t *p, const char *t, size_t n) {
  if (p->sub_mode)
    return add_sub(p, t, n);
  buf_addc(&p->val, '\n');
  buf_add(&p->val, t, n);
  return p->val.failed ? UVAWS_ENOMEM : 0;
}

/* Where a header's name ends: at the first ']' that only blanks or a comment
 * follow (so `[p] # see [x]` is "p"); failing that, at the last ']' on the
 * line, the rest ignored as botocore does (`[p] junk` is "p"). NULL: no ']'. */
static const char *header_end(const char *t, size_t n) {
  const char *last = NULL;
  for (size_t i = 1; i < n; i++) {
    if (t[i] != ']')
      continue;
    last = t + i;
    size_t j = i + 1;
    while (j < n && is_space(t[j]))
      j++;
    if (j == n || t[j] == '#' || t[j] == ';')
      return last;
  }
  return last;
}

/* A line that is not blank, a comment or a continuation. */
static int statement(parser_t *p, const char *t, size_t n, size_t indent) {
  int rc = finish_entry(p);
  if (rc != 0)
    return rc;
  if (t[0] == '[') {
    const char *close = header_end(t, n);
    if (close == NULL) {
      p->why = "a [section] header without its closing ']'";
      return UVAWS_ECONFIG;
    }
    const char *name = t + 1;
    size_t nn = (size_t)(close - name);
    trim(&name, &nn);
    return add_section(p, name, nn);
  }
  if (p->sec == NULL) {
    p->why = "expected a [section] header before any key";
    return UVAWS_ECONFIG;
  }
  size_t d = 0;
  while (d < n && t[d] != '=' && t[d] != ':')
    d++;
  if (d == n) {
    p->why = indent > 0 ? "an indented line with no key above it to continue"
                        : "expected 'key = value', a [section] header or a comment";
    return UVAWS_ECONFIG;
  }
  const char *k = t, *v = t + d + 1;
  size_t kn = d, vn = n - d - 1;
  trim(&k, &kn);
  if (kn == 0) {
    p->why = "empty key before the delimiter";
    return UVAWS_ECONFIG;
  }
  vn = comment_at(v, vn);
  trim(&v, &vn);
  return add_entry(p, k, kn, v, vn, indent);
}

static int line(parser_t *p, const char *s, size_t n) {
  if ((p->why = check_utf8((const unsigned char *)s, n)) != NULL)
    return UVAWS_ECONFIG;
  size_t indent = 0;
  while (indent < n && is_space(s[indent]))
    indent++;
  const char *t = s + indent;
  size_t tn = n - indent;
  trim(&t, &tn);
  if (tn == 0 || t[0] == '#' || t[0] == ';')
    return 0; /* blank and comment lines, also inside a continued value */
  if (p->ent != NULL && indent > p->ent_indent)
    return continuation(p, t, tn);
  return statement(p, t, tn, indent);
}

static int parse(const char *text, size_t len, ini_t **out, int *err_line, const char **why) {
  *out = NULL;
  if (err_line != NULL)
    *err_line = 0;
  *why = NULL;
  parser_t p = {0};
  if ((p.ini = calloc(1, sizeof *p.ini)) == NULL)
    return UVAWS_ENOMEM;
  size_t pos = 0;
  if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;
  int rc = 0, lineno = 0;
  while (pos < len && rc == 0) {
    size_t eol = pos;
    while (eol < len && text[eol] != '\n' && text[eol] != '\r')
      eol++;
    lineno = lineno < INT_MAX ? lineno + 1 : lineno;
    rc = line(&p, text + pos, eol - pos);
    pos = eol + (eol < len && text[eol] == '\r' && eol + 1 < len && text[eol + 1] == '\n' ? 2 : 1);
  }
  if (rc == 0)
    rc = finish_entry(&p);
  buf_free(&p.val);
  if (rc != 0) {
    ini_free(p.ini);
    if (rc == UVAWS_ECONFIG && err_line != NULL)
      *err_line = lineno;
    *why = rc == UVAWS_ECONFIG ? p.why : "out of memory";
    return rc;
  }
  *out = p.ini;
  return 0;
}

int ini_parse(const char *text, size_t len, ini_t **out, int *err_line) {
  const char *why;
  if (out == NULL)
    return UVAWS_EINVAL;
  if (text == NULL && len > 0) {
    *out = NULL;
    return UVAWS_EINVAL;
  }
  return parse(text != NULL ? text : "", len, out, err_line, &why);
}

/* Reads at most INI_MAX_FILE + 1 bytes into `b` (cleansed when it grows:
 * the file holds secrets), so that a file that grew after fstat is still
 * caught by the cap. 0, UVAWS_ENOMEM, or UVAWS_ECONFIG with *read_errno. */
static int read_all(int fd, buf_t *b, int *read_errno) {
  while (b->len <= INI_MAX_FILE) {
    if (buf_grow(b, 4096) != 0)
      return UVAWS_ENOMEM;
    size_t room = b->cap - b->len - 1, left = INI_MAX_FILE + 1 - b->len;
    ssize_t r = read(fd, b->data + b->len, room < left ? room : left);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      *read_errno = errno;
      return UVAWS_ECONFIG;
    }
    if (r == 0)
      break;
    b->len += (size_t)r;
  }
  return 0;
}

int ini_load_file(const char *path, ini_t **out, uvaws_error_t *err) {
  if (out == NULL || path == NULL)
    return uvaws_error_set(err, UVAWS_EINVAL, "ini_load_file: NULL argument");
  *out = NULL;
  /* O_NONBLOCK: a FIFO named by mistake must not hang client creation. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  int rc;
  struct stat st;
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR)
      rc = uvaws_error_set(err, UVAWS_ENOCONFIG, "%s: no such file", path);
    else
      rc = uvaws_error_set(err, UVAWS_ECONFIG, "%s: cannot open: %s", path, strerror(errno));
    return rc;
  }
  if (fstat(fd, &st) != 0) {
    rc = uvaws_error_set(err, UVAWS_ECONFIG, "%s: cannot stat: %s", path, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    rc = uvaws_error_set(err, UVAWS_ENOCONFIG, "%s: not a regular file", path);
  } else if (st.st_size > INI_MAX_FILE) {
    rc = uvaws_error_set(err, UVAWS_ECONFIG, "%s: larger than 1 MiB", path);
  } else {
    buf_t data = {0};
    int read_errno = 0;
    rc = read_all(fd, &data, &read_errno);
    if (rc == UVAWS_ENOMEM) {
      uvaws_error_set(err, rc, "%s: out of memory", path);
    } else if (rc != 0) {
      rc = uvaws_error_set(err, rc, "%s: cannot read: %s", path, strerror(read_errno));
    } else if (data.len > INI_MAX_FILE) {
      rc = uvaws_error_set(err, UVAWS_ECONFIG, "%s: larger than 1 MiB", path);
    } else {
      int at = 0;
      const char *why = NULL;
      rc = parse(data.data ? data.data : "", data.len, out, &at, &why);
      if (rc == UVAWS_ECONFIG)
        uvaws_error_set(err, rc, "%s:%d: %s", path, at, why);
      else if (rc != 0)
        uvaws_error_set(err, rc, "%s: out of memory", path);
    }
    buf_free(&data); /* cleansed */
  }
  close(fd);
  return rc;
}

static const entry_t *entry_in(const section_t *s, const char *key) {
  for (size_t i = s->n; i-- > 0;) {
    if (s->ent[i].value != NULL && ascii_caseeq(s->ent[i].key, key))
      return &s->ent[i];
  }
  return NULL;
}

static const entry_t *entry(const ini_t *ini, const char *section, const char *key) {
  if (ini == NULL || section == NULL || key == NULL)
    return NULL;
  for (size_t i = ini->n; i-- > 0;) {
    if (strcmp(ini->sec[i].name, section) == 0) {
      const entry_t *e = entry_in(&ini->sec[i], key);
      if (e != NULL)
        return e;
    }
  }
  return NULL;
}

static const char *sub_value(const entry_t *e, const char *subkey) {
  if (e == NULL || subkey == NULL)
    return NULL;
  for (size_t i = e->nsub; i-- > 0;) {
    if (strcmp(e->sub[i].key, subkey) == 0)
      return e->sub[i].value;
  }
  return NULL;
}

const char *ini_get(const ini_t *ini, const char *section, const char *key) {
  const entry_t *e = entry(ini, section, key);
  return e != NULL ? e->value : NULL;
}

const char *ini_get_sub(const ini_t *ini, const char *section, const char *key,
                        const char *subkey) {
  return sub_value(entry(ini, section, key), subkey);
}

int ini_has_section(const ini_t *ini, const char *section) {
  if (ini == NULL || section == NULL)
    return 0;
  for (size_t i = 0; i < ini->n; i++) {
    if (strcmp(ini->sec[i].name, section) == 0)
      return 1;
  }
  return 0;
}

size_t ini_section_count(const ini_t *ini) { return ini != NULL ? ini->n : 0; }

const char *ini_section_name(const ini_t *ini, size_t i) {
  return ini != NULL && i < ini->n ? ini->sec[i].name : NULL;
}

const char *ini_get_at(const ini_t *ini, size_t i, const char *key) {
  if (ini == NULL || i >= ini->n || key == NULL)
    return NULL;
  const entry_t *e = entry_in(&ini->sec[i], key);
  return e != NULL ? e->value : NULL;
}

const char *ini_get_sub_at(const ini_t *ini, size_t i, const char *key, const char *subkey) {
  if (ini == NULL || i >= ini->n || key == NULL)
    return NULL;
  return sub_value(entry_in(&ini->sec[i], key), subkey);
}

void ini_free(ini_t *ini) {
  if (ini == NULL)
    return;
  for (size_t i = 0; i < ini->n; i++) {
    section_t *s = &ini->sec[i];
    for (size_t j = 0; j < s->n; j++)
      free_entry(&s->ent[j]);
    free(s->ent);
    free(s->name);
  }
  free(ini->sec);
  free(ini);
}
