/* A JMESPath parser (Pratt, with jmespath.py's binding powers) and tree
 * interpreter over cJSON. Results are new items; parts of the searched
 * document are shared through cJSON references, never copied. */
#include "jmespath.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEXT 2048
#define MAX_DEPTH 64

typedef enum {
  T_EOF, T_IDENT, T_QIDENT, T_NUMBER, T_LITERAL, T_DOT, T_STAR, T_LBRACKET, T_RBRACKET,
  T_FILTER, T_FLATTEN, T_LPAREN, T_RPAREN, T_COMMA, T_PIPE, T_OR, T_AND, T_NOT, T_EQ, T_NE,
  T_LT, T_LE, T_GT, T_GE, T_CURRENT, T_LBRACE, T_COLON, T_EXPREF,
} tok_t;

typedef enum {
  N_FIELD, N_SUB, N_INDEX, N_PROJECT, N_VPROJECT, N_FLATTEN, N_FILTER, N_CMP, N_OR, N_AND, N_NOT,
  N_LITERAL, N_CURRENT, N_PIPE, N_FUNC, N_IDENTITY,
} node_t;

struct jp_expr {
  node_t type;
  tok_t op;       /* N_CMP */
  long index;     /* N_INDEX */
  char *name;     /* N_FIELD, N_FUNC */
  cJSON *literal; /* N_LITERAL */
  jp_expr_t *a, *b, *c; /* children (N_FUNC: a, b are its arguments) */
  int argc;
};

/* ---- lexer ----------------------------------------------------------------- */

typedef struct {
  const char *p;
  tok_t t;
  char *text; /* identifier or literal text of the current token */
  long num;
  const char *why;
  int depth;
} lex_t;

static void fail(lex_t *l, const char *why) {
  if (l->why == NULL)
    l->why = why;
}

/* A quoted run up to an unescaped `q`. `keep` keeps every escape as it is
 * (a quoted identifier is then read as a JSON string); else "\q" becomes q
 * and other escapes stay (a `literal` is JSON, which reads them). */
static char *quoted(lex_t *l, char q, int keep) {
  const char *p = ++l->p;
  char *out = malloc(strlen(p) + 1);
  size_t n = 0;
  if (out == NULL) {
    fail(l, "out of memory");
    return NULL;
  }
  while (*p && *p != q) {
    if (*p == '\\' && p[1]) {
      if (keep || p[1] != q)
        out[n++] = '\\';
      out[n++] = p[1];
      p += 2;
      continue;
    }
    out[n++] = *p++;
  }
  if (*p != q) {
    free(out);
    l->p = p;
    fail(l, "unterminated quote");
    return NULL;
  }
  l->p = p + 1;
  out[n] = '\0';
  return out;
}

static void next(lex_t *l) {
  free(l->text);
  l->text = NULL;
  while (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r')
    l->p++;
  const char *p = l->p;
  char c = *p;
  if (c == '\0') {
    l->t = T_EOF;
    return;
  }
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
           *p == '_')
      p++;
    l->t = T_IDENT;
    l->text = strndup(l->p, (size_t)(p - l->p));
    l->p = p;
    if (l->text == NULL)
      fail(l, "out of memory");
    return;
  }
  if ((c >= '0' && c <= '9') || (c == '-' && p[1] >= '0' && p[1] <= '9')) {
    char *end;
    l->num = strtol(p, &end, 10);
    l->p = end;
    l->t = T_NUMBER;
    return;
  }
  if (c == '"') { /* a quoted identifier is a JSON string */
    const char *start = p;
    char *raw = quoted(l, '"', 1);
    if (raw == NULL)
      return;
    char *json = malloc(strlen(raw) + 3);
    cJSON *s = NULL;
    if (json != NULL) {
      sprintf(json, "\"%s\"", raw);
      s = cJSON_Parse(json);
    }
    free(json);
    free(raw);
    if (!cJSON_IsString(s)) {
      cJSON_Delete(s);
      l->p = start;
      fail(l, "bad quoted identifier");
      return;
    }
    l->text = strdup(s->valuestring);
    cJSON_Delete(s);
    l->t = T_QIDENT;
    return;
  }
  if (c == '`' || c == '\'') {
    char *raw = quoted(l, c, 0);
    if (raw == NULL)
      return;
    l->text = raw;
    l->t = T_LITERAL;
    l->num = c; /* which quote: '`' is JSON, '\'' a raw string */
    return;
  }
  static const struct {
    const char *s;
    tok_t t;
  } ops[] = {{"[?", T_FILTER}, {"[]", T_FLATTEN}, {"||", T_OR}, {"&&", T_AND}, {"==", T_EQ},
             {"!=", T_NE},     {"<=", T_LE},      {">=", T_GE}, {".", T_DOT},   {"*", T_STAR},
             {"[", T_LBRACKET}, {"]", T_RBRACKET}, {"(", T_LPAREN}, {")", T_RPAREN},
             {",", T_COMMA},   {"|", T_PIPE},     {"!", T_NOT},  {"<", T_LT},   {">", T_GT},
             {"@", T_CURRENT}, {"{", T_LBRACE},   {":", T_COLON}, {"&", T_EXPREF}};
  for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
    size_t n = strlen(ops[i].s);
    if (strncmp(p, ops[i].s, n) == 0) {
      l->t = ops[i].t;
      l->p += n;
      return;
    }
  }
  fail(l, "unexpected character");
  l->t = T_EOF;
}

/* ---- parser ---------------------------------------------------------------- */

static int bp(tok_t t) {
  switch (t) {
  case T_PIPE:
    return 1;
  case T_OR:
    return 2;
  case T_AND:
    return 3;
  case T_EQ:
  case T_NE:
  case T_LT:
  case T_LE:
  case T_GT:
  case T_GE:
    return 5;
  case T_FLATTEN:
    return 9;
  case T_STAR:
    return 20;
  case T_FILTER:
    return 21;
  case T_DOT:
    return 40;
  case T_NOT:
    return 45;
  case T_LBRACE:
    return 50;
  case T_LBRACKET:
    return 55;
  case T_LPAREN:
    return 60;
  default:
    return 0;
  }
}

#define PROJECTION_STOP 10

static jp_expr_t *mk(lex_t *l, node_t type, jp_expr_t *a, jp_expr_t *b) {
  jp_expr_t *e = calloc(1, sizeof *e);
  if (e == NULL) {
    fail(l, "out of memory");
    jp_free(a);
    jp_free(b);
    return NULL;
  }
  e->type = type;
  e->a = a;
  e->b = b;
  return e;
}

static jp_expr_t *expression(lex_t *l, int rbp);

static int expect(lex_t *l, tok_t t) {
  if (l->t != t) {
    fail(l, "unexpected token");
    return -1;
  }
  next(l);
  return 0;
}

static jp_expr_t *projection_rhs(lex_t *l, int rbp) {
  if (bp(l->t) < PROJECTION_STOP)
    return mk(l, N_IDENTITY, NULL, NULL);
  if (l->t == T_LBRACKET || l->t == T_FILTER)
    return expression(l, rbp);
  if (l->t == T_DOT) {
    next(l);
    return expression(l, rbp);
  }
  fail(l, "unexpected token after a projection");
  return NULL;
}

/* [N] or [*] after `left` (NULL: the current node). */
static jp_expr_t *bracket(lex_t *l, jp_expr_t *left) {
  if (l->t == T_NUMBER) {
    long n = l->num;
    next(l);
    if (expect(l, T_RBRACKET) != 0) {
      jp_free(left);
      return NULL;
    }
    jp_expr_t *ix = mk(l, N_INDEX, NULL, NULL);
    if (ix == NULL) {
      jp_free(left);
      return NULL;
    }
    ix->index = n;
    return left ? mk(l, N_SUB, left, ix) : ix;
  }
  if (l->t == T_STAR) {
    next(l);
    if (expect(l, T_RBRACKET) != 0) {
      jp_free(left);
      return NULL;
    }
    jp_expr_t *rhs = projection_rhs(l, bp(T_STAR));
    return mk(l, N_PROJECT, left ? left : mk(l, N_CURRENT, NULL, NULL), rhs);
  }
  jp_free(left);
  fail(l, "slices and multi-select lists are not supported");
  return NULL;
}

/* "[?cond]" (after its "[?") applied to `left`, then the projection's rest. */
static jp_expr_t *filter(lex_t *l, jp_expr_t *left) {
  jp_expr_t *cond = expression(l, 0);
  if (expect(l, T_RBRACKET) != 0) {
    jp_free(cond);
    jp_free(left);
    return NULL;
  }
  jp_expr_t *f = mk(l, N_FILTER, left, projection_rhs(l, bp(T_FILTER)));
  if (f)
    f->c = cond;
  else
    jp_free(cond);
  return f;
}

static jp_expr_t *nud(lex_t *l) {
  tok_t t = l->t;
  jp_expr_t *e;
  switch (t) {
  case T_IDENT:
  case T_QIDENT:
    e = mk(l, N_FIELD, NULL, NULL);
    if (e) {
      e->name = l->text;
      l->text = NULL;
    }
    next(l);
    if (t == T_IDENT && l->t == T_LPAREN && e) { /* a function call */
      e->type = N_FUNC;
      next(l);
      jp_expr_t **slot[] = {&e->a, &e->b};
      while (l->t != T_RPAREN && l->why == NULL) {
        if (e->argc >= 2) {
          fail(l, "too many arguments");
          break;
        }
        *slot[e->argc++] = expression(l, 0);
        if (l->t == T_COMMA)
          next(l);
        else if (l->t != T_RPAREN)
          fail(l, "expected ',' or ')'");
      }
      next(l);
      if (strcmp(e->name, "length") != 0 && strcmp(e->name, "contains") != 0)
        fail(l, "only the functions length and contains are supported");
      if ((strcmp(e->name, "length") == 0 && e->argc != 1) ||
          (strcmp(e->name, "contains") == 0 && e->argc != 2))
        fail(l, "wrong number of arguments");
    }
    return e;
  case T_LITERAL: {
    e = mk(l, N_LITERAL, NULL, NULL);
    if (e) {
      e->literal = l->num == '`' ? cJSON_Parse(l->text) : cJSON_CreateString(l->text);
      if (e->literal == NULL)
        fail(l, "bad literal");
    }
    next(l);
    return e;
  }
  case T_CURRENT:
    next(l);
    return mk(l, N_CURRENT, NULL, NULL);
  case T_STAR:
    next(l);
    return mk(l, N_VPROJECT, mk(l, N_CURRENT, NULL, NULL), projection_rhs(l, bp(T_STAR)));
  case T_FLATTEN:
    next(l);
    return mk(l, N_PROJECT, mk(l, N_FLATTEN, mk(l, N_CURRENT, NULL, NULL), NULL),
              projection_rhs(l, bp(T_FLATTEN)));
  case T_FILTER:
    next(l);
    return filter(l, mk(l, N_CURRENT, NULL, NULL));
  case T_LBRACKET:
    next(l);
    return bracket(l, NULL);
  case T_NOT:
    next(l);
    return mk(l, N_NOT, expression(l, bp(T_NOT)), NULL);
  case T_LPAREN:
    next(l);
    e = expression(l, 0);
    if (expect(l, T_RPAREN) != 0) {
      jp_free(e);
      return NULL;
    }
    return e;
  default:
    fail(l, t == T_EOF ? "unexpected end" : "unexpected token");
    return NULL;
  }
}

static jp_expr_t *led(lex_t *l, jp_expr_t *left) {
  tok_t t = l->t;
  next(l);
  switch (t) {
  case T_DOT:
    if (l->t == T_STAR) {
      next(l);
      return mk(l, N_VPROJECT, left, projection_rhs(l, bp(T_STAR)));
    }
    if (l->t != T_IDENT && l->t != T_QIDENT) {
      fail(l, "expected a name after '.'");
      jp_free(left);
      return NULL;
    }
    return mk(l, N_SUB, left, expression(l, bp(T_DOT)));
  case T_PIPE:
    return mk(l, N_PIPE, left, expression(l, bp(T_PIPE)));
  case T_OR:
    return mk(l, N_OR, left, expression(l, bp(T_OR)));
  case T_AND:
    return mk(l, N_AND, left, expression(l, bp(T_AND)));
  case T_FLATTEN:
    return mk(l, N_PROJECT, mk(l, N_FLATTEN, left, NULL), projection_rhs(l, bp(T_FLATTEN)));
  case T_FILTER:
    return filter(l, left);
  case T_LBRACKET:
    return bracket(l, left);
  case T_EQ:
  case T_NE:
  case T_LT:
  case T_LE:
  case T_GT:
  case T_GE: {
    jp_expr_t *e = mk(l, N_CMP, left, expression(l, bp(t)));
    if (e)
      e->op = t;
    return e;
  }
  default:
    fail(l, "unexpected token");
    jp_free(left);
    return NULL;
  }
}

static jp_expr_t *expression(lex_t *l, int rbp) {
  if (++l->depth > MAX_DEPTH) {
    fail(l, "too deeply nested");
    return NULL;
  }
  jp_expr_t *left = l->why ? NULL : nud(l);
  while (l->why == NULL && left != NULL && rbp < bp(l->t))
    left = led(l, left);
  l->depth--;
  if (l->why != NULL) {
    jp_free(left);
    return NULL;
  }
  return left;
}

jp_expr_t *jp_compile(const char *text, char *why, size_t why_len) {
  if (text == NULL || strlen(text) > MAX_TEXT) {
    if (why && why_len)
      snprintf(why, why_len, "no expression, or longer than %d", MAX_TEXT);
    return NULL;
  }
  lex_t l = {.p = text};
  next(&l);
  jp_expr_t *e = expression(&l, 0);
  if (l.why == NULL && l.t != T_EOF)
    fail(&l, "unexpected token");
  free(l.text);
  if (l.why != NULL) {
    jp_free(e);
    if (why && why_len)
      snprintf(why, why_len, "%s in \"%s\" at offset %ld", l.why, text, (long)(l.p - text));
    return NULL;
  }
  return e;
}

void jp_free(jp_expr_t *e) {
  if (e == NULL)
    return;
  jp_free(e->a);
  jp_free(e->b);
  jp_free(e->c);
  free(e->name);
  cJSON_Delete(e->literal);
  free(e);
}

/* ---- interpreter ------------------------------------------------------------- */

/* A new item standing for `v`: containers and strings by reference. */
static cJSON *ref(const cJSON *v) {
  if (v == NULL)
    return NULL;
  if (cJSON_IsArray(v))
    return cJSON_CreateArrayReference(v->child);
  if (cJSON_IsObject(v))
    return cJSON_CreateObjectReference(v->child);
  if (cJSON_IsString(v))
    return cJSON_CreateStringReference(v->valuestring);
  if (cJSON_IsRaw(v))
    return cJSON_CreateNumber(strtod(v->valuestring, NULL));
  if (cJSON_IsNull(v))
    return NULL;
  return cJSON_Duplicate(v, 0);
}

int jp_truthy(const cJSON *v) {
  if (v == NULL || cJSON_IsNull(v) || cJSON_IsFalse(v))
    return 0;
  if (cJSON_IsString(v))
    return v->valuestring[0] != '\0';
  if (cJSON_IsArray(v) || cJSON_IsObject(v))
    return v->child != NULL;
  return 1;
}

static double num(const cJSON *v) {
  return cJSON_IsRaw(v) ? strtod(v->valuestring, NULL) : v->valuedouble;
}

static int is_num(const cJSON *v) { return cJSON_IsNumber(v) || cJSON_IsRaw(v); }

int jp_equal(const cJSON *a, const cJSON *b) {
  int an = a == NULL || cJSON_IsNull(a), bn = b == NULL || cJSON_IsNull(b);
  if (an || bn)
    return an && bn;
  if (is_num(a) && is_num(b))
    return num(a) == num(b);
  if (cJSON_IsString(a) && cJSON_IsString(b))
    return strcmp(a->valuestring, b->valuestring) == 0;
  if (cJSON_IsBool(a) && cJSON_IsBool(b))
    return cJSON_IsTrue(a) == cJSON_IsTrue(b);
  if (cJSON_IsArray(a) && cJSON_IsArray(b)) {
    const cJSON *x = a->child, *y = b->child;
    for (; x && y; x = x->next, y = y->next)
      if (!jp_equal(x, y))
        return 0;
    return x == NULL && y == NULL;
  }
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
      return 0;
    for (const cJSON *x = a->child; x; x = x->next)
      if (!jp_equal(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
        return 0;
    return 1;
  }
  return 0;
}

static cJSON *eval(const jp_expr_t *e, const cJSON *v, int depth);
static cJSON *eval_list(const jp_expr_t *e, const cJSON *v, int depth);

/* A list of eval(rhs, item) for each item that is not null. */
static cJSON *project(const jp_expr_t *rhs, const cJSON *first, int depth) {
  cJSON *out = cJSON_CreateArray();
  for (const cJSON *i = first; out != NULL && i != NULL; i = i->next) {
    cJSON *r = eval(rhs, i, depth);
    if (r != NULL && !cJSON_AddItemToArray(out, r))
      cJSON_Delete(r);
  }
  return out;
}

static cJSON *func(const jp_expr_t *e, const cJSON *v, int depth) {
  cJSON *a = eval(e->a, v, depth);
  cJSON *out = NULL;
  if (strcmp(e->name, "length") == 0) {
    if (cJSON_IsString(a)) {
      double n = 0;
      for (const char *s = a->valuestring; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
      out = cJSON_CreateNumber(n);
    } else if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
      out = cJSON_CreateNumber(cJSON_GetArraySize(a));
    }
  } else { /* contains */
    cJSON *b = eval(e->b, v, depth);
    int found = 0;
    if (cJSON_IsArray(a)) {
      for (const cJSON *i = a->child; i && !found; i = i->next)
        found = jp_equal(i, b);
      out = cJSON_CreateBool(found);
    } else if (cJSON_IsString(a) && cJSON_IsString(b)) {
      out = cJSON_CreateBool(strstr(a->valuestring, b->valuestring) != NULL);
    }
    cJSON_Delete(b);
  }
  cJSON_Delete(a);
  return out;
}

static cJSON *compare(const jp_expr_t *e, const cJSON *v, int depth) {
  cJSON *a = eval(e->a, v, depth), *b = eval(e->b, v, depth);
  cJSON *out = NULL;
  if (e->op == T_EQ || e->op == T_NE) {
    int eq = jp_equal(a, b);
    out = cJSON_CreateBool(e->op == T_EQ ? eq : !eq);
  } else if (is_num(a) && is_num(b)) {
    double x = num(a), y = num(b);
    int r = e->op == T_LT ? x < y : e->op == T_LE ? x <= y : e->op == T_GT ? x > y : x >= y;
    out = cJSON_CreateBool(r);
  }
  cJSON_Delete(a);
  cJSON_Delete(b);
  return out;
}

/* eval(e, v) when it is a list, else NULL (the result deleted). */
static cJSON *eval_list(const jp_expr_t *e, const cJSON *v, int depth) {
  cJSON *l = eval(e, v, depth);
  if (cJSON_IsArray(l))
    return l;
  cJSON_Delete(l);
  return NULL;
}

static cJSON *eval(const jp_expr_t *e, const cJSON *v, int depth) {
  if (e == NULL || depth > MAX_DEPTH)
    return NULL;
  depth++;
  cJSON *l, *r;
  switch (e->type) {
  case N_FIELD:
    return cJSON_IsObject(v) ? ref(cJSON_GetObjectItemCaseSensitive(v, e->name)) : NULL;
  case N_CURRENT:
  case N_IDENTITY:
    return ref(v);
  case N_LITERAL:
    return cJSON_Duplicate(e->literal, 1);
  case N_SUB:
  case N_PIPE:
    l = eval(e->a, v, depth);
    r = l ? eval(e->b, l, depth) : e->type == N_PIPE ? eval(e->b, NULL, depth) : NULL;
    cJSON_Delete(l);
    return r;
  case N_INDEX: {
    if (!cJSON_IsArray(v))
      return NULL;
    long n = cJSON_GetArraySize(v), i = e->index < 0 ? n + e->index : e->index;
    return i >= 0 && i < n ? ref(cJSON_GetArrayItem(v, (int)i)) : NULL;
  }
  case N_PROJECT:
    l = eval_list(e->a, v, depth);
    r = l ? project(e->b, l->child, depth) : NULL;
    cJSON_Delete(l);
    return r;
  case N_VPROJECT:
    l = eval(e->a, v, depth);
    r = cJSON_IsObject(l) ? project(e->b, l->child, depth) : NULL;
    cJSON_Delete(l);
    return r;
  case N_FLATTEN: {
    if ((l = eval_list(e->a, v, depth)) == NULL)
      return NULL;
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *i = l->child; out && i; i = i->next) {
      const cJSON *first = cJSON_IsArray(i) ? i->child : i;
      for (const cJSON *j = first; j; j = cJSON_IsArray(i) ? j->next : NULL) {
        cJSON *x = ref(j);
        if (x != NULL && !cJSON_AddItemToArray(out, x))
          cJSON_Delete(x);
      }
    }
    cJSON_Delete(l);
    return out;
  }
  case N_FILTER: {
    if ((l = eval_list(e->a, v, depth)) == NULL)
      return NULL;
    cJSON *out = cJSON_CreateArray();
    for (const cJSON *i = l->child; out && i; i = i->next) {
      cJSON *cond = eval(e->c, i, depth);
      int keep = jp_truthy(cond);
      cJSON_Delete(cond);
      if (!keep)
        continue;
      cJSON *x = eval(e->b, i, depth);
      if (x != NULL && !cJSON_AddItemToArray(out, x))
        cJSON_Delete(x);
    }
    cJSON_Delete(l);
    return out;
  }
  case N_CMP:
    return compare(e, v, depth);
  case N_OR:
    l = eval(e->a, v, depth);
    if (jp_truthy(l))
      return l;
    cJSON_Delete(l);
    return eval(e->b, v, depth);
  case N_AND:
    l = eval(e->a, v, depth);
    if (!jp_truthy(l))
      return l;
    cJSON_Delete(l);
    return eval(e->b, v, depth);
  case N_NOT:
    l = eval(e->a, v, depth);
    r = cJSON_CreateBool(!jp_truthy(l));
    cJSON_Delete(l);
    return r;
  case N_FUNC:
    return func(e, v, depth);
  }
  return NULL;
}

cJSON *jp_search(const jp_expr_t *e, const cJSON *data) { return eval(e, data, 0); }
