/* A reader for the AWS shared config and credentials files (~/.aws/config,
 * ~/.aws/credentials), as the AWS SDKs' shared profile-file specification
 * reads them (its public parser test suite, restated in test/test_profiles.c),
 * lenient where the AWS CLI (botocore over Python's RawConfigParser) is.
 * docs/config.md lists where uvaws, the specification and the CLI differ.
 *
 * Written here rather than taken from a library because the format differs
 * from generic INI where it matters: values may be far longer than 200 bytes
 * (session tokens), ';' and '#' start a comment in a value only after
 * whitespace (so `credential_process = cmd a;b` keeps its ';'), and an
 * indented block after `key =` is a sub-section (`s3 =` then
 * `  addressing_style = path`).
 *
 * The rules:
 * - UTF-8 (invalid UTF-8 or a NUL byte is a parse error); a leading BOM is
 *   skipped; lines end in LF, CRLF or a lone CR.
 * - blank lines and lines whose first non-blank char is '#' or ';' are
 *   comments, also between the lines of a continued value.
 * - `[name]` opens a section; the name is trimmed (`[ default ]` is
 *   "default"). It ends at the first ']' followed by nothing but blanks or a
 *   comment (`[p] # see [x]` is "p", `[p]#c` too), else at the last ']' on the
 *   line, the rest ignored as botocore does. A '[' line without ']' is an
 *   error; `[]` is a section named "" (never a profile).
 * - `key = value` (also `key: value`, as botocore: the first '=' or ':'
 *   splits); key and value trimmed; keys lower-cased; a value may be empty;
 *   an empty key is an error. In the value, '#' or ';' after whitespace
 *   starts a comment; elsewhere it is text. A key whose name has a char
 *   outside A-Z a-z 0-9 - _ / . % @ : + is read (with its continuation
 *   lines) and ignored, as the specification says.
 * - A line indented deeper than the key line above it continues that key: if
 *   the key's value was empty, its indented `subkey = value` lines form the
 *   key's sub-section (split at '='; sub-keys keep their case; invalid names
 *   ignored; a line without '=' or with an empty name is an error); otherwise
 *   the line, trimmed, is appended to the value after a newline. Either way
 *   the line is taken whole: its '#' and ';' are text.
 * - A key before any section, or a line with no delimiter that is not a
 *   section, a comment or a continuation, is a parse error (with its line).
 * - A repeated section merges and a repeated key: the last one wins.
 * - Which sections are profiles is the caller's business (config_files.c),
 *   through the section iterator below.
 */
#ifndef UVAWS_INI_H
#define UVAWS_INI_H

#include <stddef.h>

#include "uvaws/error.h"

typedef struct ini_s ini_t;

/* Parses `len` bytes of `text`. Returns 0, UVAWS_ENOMEM, or UVAWS_ECONFIG with
 * the 1-based line of the first error in *err_line. */
int ini_parse(const char *text, size_t len, ini_t **out, int *err_line);

/* Reads and parses `path` (taken as it is: config expands "~"). Missing file, or
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

/* 1 if `c` may appear in a key or profile name: A-Z a-z 0-9 - _ / . % @ : +
 * (the specification's identifier characters). */
int ini_name_char(int c);

#endif
