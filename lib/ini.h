/* A reader for the AWS CLI's INI dialect (~/.aws/config, ~/.aws/credentials).
 *
 * Written here rather than taken from a library because the dialect differs
 * from generic INI where it matters: values may be far longer than 200 bytes
 * (session tokens), ';' and '#' start a comment only at the start of a line
 * or after whitespace (so `credential_process = cmd ;x` keeps its ';' ... as
 * the CLI does), and an indented block after `key =` is a sub-section
 * (`s3 =` then `  addressing_style = path`).
 *
 * The rules, as the AWS CLI (botocore's configloader over Python's
 * RawConfigParser) reads them, checked against python3-botocore:
 * - UTF-8 (invalid UTF-8 or a NUL byte is a parse error); a leading BOM is
 *   skipped (botocore refuses it; editors on Windows write it); lines end in
 *   LF, CRLF or a lone CR (Python's universal newlines).
 * - blank lines and lines whose first non-blank char is '#' or ';' are comments.
 * - `[name]` opens a section. The name is everything between the '[' and the
 *   LAST ']' on the line, spaces kept (`[ default ]` is the section
 *   " default ", not "default", as in botocore); text after that ']' is
 *   ignored, as botocore's greedy header pattern does. `[]` is an error.
 * - `key = value` or `key: value` (the first '=' or ':' splits, as
 *   RawConfigParser's delimiters do); spaces around the delimiter and at the
 *   ends are trimmed; keys are lower-cased (RawConfigParser's optionxform);
 *   keys may contain spaces; a value may be empty; an empty key is an error.
 *   An inline comment starts at a '#' or ';' that follows whitespace
 *   (` #`, ` ;`); elsewhere they are part of the value, so
 *   `credential_process = /bin/echo a;b` keeps "a;b". (botocore keeps inline
 *   comments in the value; the other AWS SDKs strip them as here.)
 * - A line indented deeper than the key line above it continues that key: if
 *   the key's value was empty, its indented `subkey = value` lines form the
 *   key's sub-section (sub-keys keep their case; a line without '=' there is
 *   an error); otherwise the line is appended to the value, newline-joined.
 *   Blank lines inside a continued value are kept, trailing ones dropped;
 *   comment lines inside it are skipped.
 * - A key before any section, or a line with no delimiter that is not a
 *   section, a comment or a continuation, is a parse error (with its line).
 * - A repeated section merges and a repeated key: the last one wins (botocore
 *   refuses both in one file; merging is the lenient reading).
 * - Section names are kept verbatim: matching `[profile  NAME]` loosely is
 *   the caller's job (config.c), through the section iterator below.
 */
#ifndef UVAWS_INI_H
#define UVAWS_INI_H

#include <stddef.h>

#include "uvaws/error.h"

typedef struct ini_s ini_t;

/* Parses `len` bytes of `text`. Returns 0, UVAWS_ENOMEM, or UVAWS_ECONFIG with
 * the 1-based line of the first error in *err_line. */
int ini_parse(const char *text, size_t len, ini_t **out, int *err_line);

/* Reads and parses `path` (after `~/` expansion with $HOME). Missing file, or
 * not a regular file (botocore's os.path.isfile): UVAWS_ENOCONFIG; unreadable
 * or larger than 1 MiB: UVAWS_ECONFIG; parse error: UVAWS_ECONFIG with
 * "PATH:LINE: what" in err->detail (never the line's text: it may hold a
 * secret). `err` may be NULL. */
int ini_load_file(const char *path, ini_t **out, uvaws_error_t *err);

/* The value of `key` (lower-case) in `section`, or NULL. For a key with a
 * sub-section the value is "" and ini_get_sub reads inside it. */
const char *ini_get(const ini_t *ini, const char *section, const char *key);
const char *ini_get_sub(const ini_t *ini, const char *section, const char *key,
                        const char *subkey);

/* 1 if the section exists (even empty). */
int ini_has_section(const ini_t *ini, const char *section);

/* Sections in file order, one entry per occurrence (a repeated section counts
 * each time): their number, and the name of the i-th (NULL past the end).
 * For callers that match section names loosely, as botocore does with
 * `[profile   NAME]` and `[profile "NAME"]`. */
size_t ini_section_count(const ini_t *ini);
const char *ini_section_name(const ini_t *ini, size_t i);

/* ini_get / ini_get_sub in the i-th occurrence only. */
const char *ini_get_at(const ini_t *ini, size_t i, const char *key);
const char *ini_get_sub_at(const ini_t *ini, size_t i, const char *key, const char *subkey);

/* Frees everything; values are cleansed first (they may be secrets). NULL ok. */
void ini_free(ini_t *ini);

/* Expands a leading "~/" (or a lone "~") with $HOME, or the password
 * database's home when HOME is unset or empty; other paths, "~user/..."
 * included, come back unchanged. A malloc'd string, NULL only without memory. */
char *ini_expand_home(const char *path);

#endif
