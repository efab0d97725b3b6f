/* A reader for the AWS CLI's INI dialect (~/.aws/config, ~/.aws/credentials).
 *
 * Written here rather than taken from a library because the dialect differs
 * from generic INI where it matters: values may be far longer than 200 bytes
 * (session tokens), ';' and '#' start a comment only at the start of a line
 * or after whitespace (so `credential_process = cmd ;x` keeps its ';' ... as
 * the CLI does), and an indented block after `key =` is a sub-section
 * (`s3 =` then `  addressing_style = path`).
 *
 * The rules, as the AWS CLI (botocore's configloader / raw_config_parse) reads:
 * - UTF-8; a leading BOM is skipped; LF or CRLF line ends.
 * - blank lines and lines whose first non-blank char is '#' or ';' are comments.
 * - `[name]` opens a section (spaces inside the brackets trimmed); text after
 *   `]` that is not a comment is a parse error.
 * - `key = value` (spaces around '=' and at the ends trimmed; key lower-cased
 *   is NOT done: keys are case-sensitive as in botocore); a value may be empty.
 *   An inline comment starts at " #" or " ;" (whitespace before it).
 * - A line that starts with whitespace continues the previous key: if that key's
 *   value was empty, the indented `subkey = value` lines form its sub-section;
 *   otherwise the line is appended to the value (newline-joined), as
 *   ConfigParser does for multi-line values.
 * - A key before any section, or a line with no '=' that is not a section, a
 *   comment or a continuation, is a parse error (with its line number).
 * - A repeated section merges; a repeated key: the last one wins.
 */
#ifndef UVAWS_INI_H
#define UVAWS_INI_H

#include <stddef.h>

#include "uvaws/error.h"

typedef struct ini_s ini_t;

/* Parses `len` bytes of `text`. Returns 0, UVAWS_ENOMEM, or UVAWS_ECONFIG with
 * the 1-based line of the first error in *err_line. */
int ini_parse(const char *text, size_t len, ini_t **out, int *err_line);

/* Reads and parses `path` (after `~/` expansion with $HOME). Missing file:
 * UVAWS_ENOCONFIG; unreadable or larger than 1 MiB: UVAWS_ECONFIG; parse error:
 * UVAWS_ECONFIG with "PATH:LINE: what" in err->detail. */
int ini_load_file(const char *path, ini_t **out, uvaws_error_t *err);

/* The value of `key` in `section`, or NULL. For a key with a sub-section the
 * value is "" and ini_get_sub reads inside it. */
const char *ini_get(const ini_t *ini, const char *section, const char *key);
const char *ini_get_sub(const ini_t *ini, const char *section, const char *key,
                        const char *subkey);

/* 1 if the section exists (even empty). */
int ini_has_section(const ini_t *ini, const char *section);

/* Frees everything; values are cleansed first (they may be secrets). NULL ok. */
void ini_free(ini_t *ini);

/* Expands a leading "~/" with $HOME; returns a malloc'd string or NULL. */
char *ini_expand_home(const char *path);

#endif
