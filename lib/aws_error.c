#include "aws_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <expat.h>

#include "buf.h"
#include "json_keys.h"
#include "kv.h"
#include "safe_text.h"
#include "xml_tree.h"

static int is_blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

/* Length of s[0..n) without a trailing incomplete UTF-8 sequence, so that
 * cutting a long message never leaves half a character for a terminal or a
 * JSON encoder to choke on. Bytes that are not UTF-8 at all are left alone:
 * this only repairs the damage the cut itself did. */
static size_t utf8_whole(const char *s, size_t n) {
  size_t i = n, cont = 0;
  while (i > 0 && cont < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
    i--;
    cont++;
  }
  if (i == 0)
    return n;
  unsigned char lead = (unsigned char)s[i - 1];
  size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  if (need > 1 && cont + 1 < need)
    return i - 1;
  return n;
}

/* Stores s[0..n), trimmed, cut to AWS_ERROR_FIELD_MAX and escaped, in *out unless *out
 * is already set (the first source found wins) or nothing is left. 0 or -1. */
static int keep(char **out, const char *s, size_t n) {
  if (*out != NULL)
    return 0;
  while (n > 0 && is_blank((unsigned char)*s)) {
    s++;
    n--;
  }
  while (n > 0 && is_blank((unsigned char)s[n - 1]))
    n--;
  if (n > AWS_ERROR_FIELD_MAX)
    n = utf8_whole(s, AWS_ERROR_FIELD_MAX);
  if (n == 0)
    return 0;
  /* A server's words go into error strings that get printed: escaped. */
  *out = safe_text_dup(s, n);
  return *out == NULL ? -1 : 0;
}

/* An error type as the SDKs clean it: "ns#Name:http://..." -> "Name". The
 * ':' goes first because the URL after it may itself contain '#'. */
static int keep_type(char **out, const char *s, size_t n) {
  const char *colon = memchr(s, ':', n);
  if (colon != NULL)
    n = (size_t)(colon - s);
  for (size_t i = n; i > 0; i--) {
    if (s[i - 1] == '#') {
      s += i;
      n -= i;
      break;
    }
  }
  return keep(out, s, n);
}

/* Skips a UTF-8 byte order mark: some Windows-built proxies and mocks send
 * one, and cJSON does not expect it. */
static size_t bom_len(const char *body, size_t len) {
  return len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

aws_body_kind_t aws_error_body_kind(const char *body, size_t body_len) {
  if (body == NULL)
    return AWS_BODY_OTHER;
  size_t i = bom_len(body, body_len);
  while (i < body_len && is_blank((unsigned char)body[i]))
    i++;
  if (i == body_len)
    return AWS_BODY_OTHER;
  return body[i] == '{' ? AWS_BODY_JSON : body[i] == '<' ? AWS_BODY_XML : AWS_BODY_OTHER;
}

/* ---- JSON ---- */

static int json_string(char **out, const cJSON *obj, const char *key, int is_type) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsString(v) || v->valuestring == NULL)
    return 0;
  size_t n = strlen(v->valuestring);
  return is_type ? keep_type(out, v->valuestring, n) : keep(out, v->valuestring, n);
}

static int from_json(uvaws_error_t *err, const char *body, size_t len) {
  /* A NULL here is a syntax error or, rarely, cJSON out of memory; cJSON
   * does not say which, and either way the body tells us nothing. */
  cJSON *root = json_parse_last_wins(body, len); /* a repeated key: botocore reads the last */
  if (root == NULL)
    return 0;
  int rc = 0;
  if (cJSON_IsObject(root)) {
    /* "code" before "__type" is Smithy's restJson1 order. Lambda's "Type"
     * ("User"/"Service") is a fault category, not the error type. */
    static const char *const types[] = {"code", "Code", "__type"};
    static const char *const messages[] = {"message", "Message", "errorMessage"};
    for (size_t i = 0; rc == 0 && i < sizeof types / sizeof *types; i++)
      rc = json_string(&err->aws_type, root, types[i], 1);
    for (size_t i = 0; rc == 0 && i < sizeof messages / sizeof *messages; i++)
      rc = json_string(&err->message, root, messages[i], 0);
  }
  cJSON_Delete(root);
  return rc;
}

/* ---- XML ----
 *
 * Expat runs without namespace processing and a "prefix:" is cut from element
 * names: AWS documents put the namespace on xmlns= and nobody branches on it,
 * and a stray undeclared prefix from a mock should not cost us the error.
 * Only three layouts are read, by position, so an HTML page or any other XML
 * that happens to contain a <Code> yields nothing:
 *   /Error/{Code,Message,RequestId}                          S3, restXml
 *   /ErrorResponse/Error/{Code,Message}, /ErrorResponse/RequestId  query
 *   /Response/Errors/Error/{Code,Message}, /Response/RequestID     EC2
 * Only the first <Error> counts, so that Code and Message describe the same
 * error when EC2 lists several. */

enum { N_OTHER, N_ERROR, N_ERRORRESPONSE, N_RESPONSE, N_ERRORS, N_CODE, N_MESSAGE, N_REQUESTID };
enum { F_NONE = -1, F_TYPE, F_MESSAGE, F_REQUEST_ID, F_COUNT };
#define XML_PATH_MAX 4

typedef struct {
  XML_Parser parser;
  unsigned char path[XML_PATH_MAX]; /* names of the outermost elements open */
  size_t depth;
  int field;          /* field whose text is being collected, F_NONE if none */
  size_t field_depth; /* depth of the element that holds it */
  int first_error_done;
  int refused; /* a DTD appeared: not an AWS error, and possibly an entity bomb */
  int nomem;
  char *val[F_COUNT];
  size_t text_len;
  char text[AWS_ERROR_FIELD_MAX + 1]; /* one byte more than kept, to see a cut */
} xml_state;

static int name_id(const char *name) {
  const char *colon = strrchr(name, ':');
  if (colon != NULL)
    name = colon + 1;
  static const struct {
    const char *name;
    int id;
  } names[] = {
      {"Error", N_ERROR},         {"ErrorResponse", N_ERRORRESPONSE},
      {"Response", N_RESPONSE},   {"Errors", N_ERRORS},
      {"Code", N_CODE},           {"Message", N_MESSAGE},
      {"RequestId", N_REQUESTID}, {"RequestID", N_REQUESTID},
  };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strcmp(name, names[i].name) == 0)
      return names[i].id;
  return N_OTHER;
}

/* Whether the first n open elements end with an <Error> in a known layout. */
static int is_error_path(const xml_state *x, size_t n) {
  const unsigned char *p = x->path;
  return (n == 1 && p[0] == N_ERROR) || (n == 2 && p[0] == N_ERRORRESPONSE && p[1] == N_ERROR) ||
         (n == 3 && p[0] == N_RESPONSE && p[1] == N_ERRORS && p[2] == N_ERROR);
}

static int field_at(const xml_state *x) {
  size_t d = x->depth;
  if (d < 2 || d > XML_PATH_MAX)
    return F_NONE;
  int leaf = x->path[d - 1];
  if (!x->first_error_done && is_error_path(x, d - 1)) {
    if (leaf == N_CODE)
      return F_TYPE;
    if (leaf == N_MESSAGE)
      return F_MESSAGE;
  }
  if (d == 2 && leaf == N_REQUESTID &&
      (x->path[0] == N_ERROR || x->path[0] == N_ERRORRESPONSE || x->path[0] == N_RESPONSE))
    return F_REQUEST_ID;
  return F_NONE;
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts) {
  xml_state *x = ud;
  (void)atts;
  x->depth++;
  if (x->depth <= XML_PATH_MAX)
    x->path[x->depth - 1] = (unsigned char)name_id(name);
  if (x->field != F_NONE)
    return; /* markup inside a field: its text keeps flowing into the field */
  int f = field_at(x);
  if (f != F_NONE && x->val[f] == NULL) {
    x->field = f;
    x->field_depth = x->depth;
    x->text_len = 0;
  }
}

static void XMLCALL on_end(void *ud, const XML_Char *name) {
  xml_state *x = ud;
  (void)name;
  if (x->field != F_NONE && x->depth == x->field_depth) {
    int rc = x->field == F_TYPE ? keep_type(&x->val[F_TYPE], x->text, x->text_len)
                                : keep(&x->val[x->field], x->text, x->text_len);
    x->field = F_NONE;
    if (rc != 0) {
      x->nomem = 1;
      XML_StopParser(x->parser, XML_FALSE);
    }
  }
  if (x->depth <= XML_PATH_MAX && is_error_path(x, x->depth))
    x->first_error_done = 1;
  x->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len) {
  xml_state *x = ud;
  if (x->field == F_NONE || len <= 0)
    return;
  size_t n = (size_t)len;
  if (x->text_len == 0) /* leading blanks would otherwise eat into the cap */
    while (n > 0 && is_blank((unsigned char)*s)) {
      s++;
      n--;
    }
  size_t room = sizeof x->text - x->text_len;
  if (n > room)
    n = room;
  memcpy(x->text + x->text_len, s, n);
  x->text_len += n;
}

/* AWS error documents never carry a DTD; one that does is refused before
 * any entity is declared, so no entity expansion (billion laughs, external
 * entities) can happen whatever expat's own limits are. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
                               const XML_Char *pubid, int has_internal_subset) {
  xml_state *x = ud;
  (void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
  x->refused = 1;
  XML_StopParser(x->parser, XML_FALSE);
}

static int from_xml(uvaws_error_t *err, const char *body, size_t len) {
  xml_state *x = calloc(1, sizeof *x); /* ~4 KiB: off the caller's stack */
  if (x == NULL)
    return -1;
  x->field = F_NONE;
  x->parser = xml_parser_create();
  if (x->parser == NULL) {
    free(x);
    return -1;
  }
  XML_SetUserData(x->parser, x);
  XML_SetElementHandler(x->parser, on_start, on_end);
  XML_SetCharacterDataHandler(x->parser, on_text);
  XML_SetStartDoctypeDeclHandler(x->parser, on_doctype);
  XML_SetParamEntityParsing(x->parser, XML_PARAM_ENTITY_PARSING_NEVER);

  /* The result is not checked on purpose: a truncated or malformed body
   * still yields the fields whose elements closed before the damage. */
  if (XML_Parse(x->parser, body, (int)len, XML_TRUE) == XML_STATUS_ERROR &&
      XML_GetErrorCode(x->parser) == XML_ERROR_NO_MEMORY)
    x->nomem = 1;

  int rc = 0;
  if (x->nomem) {
    rc = -1;
  } else if (!x->refused) {
    /* Already cleaned by keep()/keep_type(): hand the strings over. */
    if (err->aws_type == NULL) {
      err->aws_type = x->val[F_TYPE];
      x->val[F_TYPE] = NULL;
    }
    err->message = x->val[F_MESSAGE];
    err->request_id = x->val[F_REQUEST_ID];
    x->val[F_MESSAGE] = x->val[F_REQUEST_ID] = NULL;
  }
  for (int i = 0; i < F_COUNT; i++)
    free(x->val[i]);
  XML_ParserFree(x->parser);
  free(x);
  return rc;
}

/* ---- putting it together ---- */

/* An answer that is no AWS error at all (an HTML page from a proxy or a
 * wrong endpoint): a short excerpt with blank runs folded, escaped like all
 * text from outside, so that a person sees what came back. */
#define EXCERPT_MAX 160

/* Up to `max` bytes of s[0..n), blank runs folded to one space, escaped, onto
 * `b`. Returns how much of s it took. */
static size_t add_excerpt(buf_t *b, size_t max, const char *s, size_t n) {
  char folded[EXCERPT_MAX];
  size_t t = 0, i = 0;
  int blank = 0;
  while (i < n && is_blank((unsigned char)s[i]))
    i++;
  for (; i < n && t < max && t < sizeof folded; i++) {
    if (is_blank((unsigned char)s[i])) {
      blank = 1;
      continue;
    }
    if (blank && t + 1 < max)
      folded[t++] = ' ';
    blank = 0;
    folded[t++] = s[i];
  }
  safe_text_add(b, folded, utf8_whole(folded, t));
  return i;
}

static int keep_excerpt(char **out, const char *content_type, const char *body, size_t n) {
  buf_t b = {0};
  buf_adds(&b, n > 0 ? "an answer that is not an AWS error" : "an empty answer");
  if (content_type) {
    buf_adds(&b, " (");
    add_excerpt(&b, 40, content_type, strlen(content_type));
    buf_addc(&b, ')');
  }
  if (n > 0) {
    buf_adds(&b, ": ");
    if (add_excerpt(&b, EXCERPT_MAX, body, n) < n)
      buf_adds(&b, " ...");
  }
  const char *text = buf_str(&b);
  *out = text ? strdup(text) : NULL;
  buf_free(&b);
  return *out ? 0 : -1;
}

static int fill(uvaws_error_t *err, const uvaws_kv_t *headers, size_t header_count,
                const char *body, size_t body_len) {
  const char *h = kv_get(headers, header_count, "x-amzn-ErrorType");
  if (h != NULL && keep_type(&err->aws_type, h, strlen(h)) != 0)
    return -1;

  if (body == NULL)
    body_len = 0;
  if (body_len > AWS_ERROR_BODY_MAX)
    body_len = AWS_ERROR_BODY_MAX;
  switch (aws_error_body_kind(body, body_len)) {
  case AWS_BODY_JSON: {
    size_t skip = bom_len(body, body_len);
    if (from_json(err, body + skip, body_len - skip) != 0)
      return -1;
    break;
  }
  case AWS_BODY_XML:
    if (from_xml(err, body, body_len) != 0)
      return -1;
    break;
  case AWS_BODY_OTHER:
    break;
  }

  if (err->aws_type == NULL && err->message == NULL && err->detail == NULL &&
      keep_excerpt(&err->detail, kv_get(headers, header_count, "Content-Type"), body,
                   body_len) != 0)
    return -1;

  /* The body's id first; the headers in the order the SDKs look. */
  static const char *const ids[] = {"x-amzn-RequestId", "x-amz-request-id"};
  for (size_t i = 0; i < sizeof ids / sizeof *ids && err->request_id == NULL; i++) {
    h = kv_get(headers, header_count, ids[i]);
    if (h != NULL && keep(&err->request_id, h, strlen(h)) != 0)
      return -1;
  }
  return 0;
}

int aws_error_from_response(uvaws_error_t *err, long status, const uvaws_kv_t *headers,
                            size_t header_count, const char *body, size_t body_len) {
  if (err == NULL)
    return UVAWS_EINVAL;
  uvaws_error_clear(err);
  int rc = fill(err, headers, header_count, body, body_len) == 0 ? 0 : UVAWS_ENOMEM;
  if (rc != 0)
    uvaws_error_clear(err);
  err->code = UVAWS_EAWS;
  err->http_status = status;
  return rc;
}
