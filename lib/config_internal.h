/* Shared between config.c (profile, region, credentials, retry), config_files.c
 * (locating, loading and reading the two shared files) and config_endpoint.c. */
#ifndef UVAWS_CONFIG_INTERNAL_H
#define UVAWS_CONFIG_INTERNAL_H

#include "config.h"
#include "ini.h"

typedef struct {
  ini_t *cfg, *cred;                /* NULL when the file is absent */
  const char *cfg_path, *cred_path; /* for messages; owned by config_t */
} cfg_files_t;

/* getenv, with an empty value treated as unset (as botocore does for the
 * variables whose emptiness it tests, and the other SDKs do for all). */
const char *cfg_env(const char *name);

/* strdup into *dst (NULL src gives NULL); 0 or UVAWS_ENOMEM. */
int cfg_dup(char **dst, const char *src);

/* "~" and "~/..." with the user's home (HOME, else the password database),
 * as Python's expanduser; anything else unchanged. malloc'd; NULL only
 * without memory (or for NULL). */
char *cfg_expand_home(const char *path);

/* $VAR / ${VAR} then "~" expansion of a path, as botocore's expandvars +
 * expanduser; malloc'd, NULL only without memory. */
char *cfg_expand_path(const char *path);

/* Loads AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE (or the default paths,
 * which may be absent) into f and the path fields of out. */
int cfg_load_files(cfg_files_t *f, config_t *out, uvaws_error_t *err);

/* 1 if section name `sect` splits, as Python's shlex.split does, into exactly
 * the two words `kind` and `name` ("services  foo", 'services "foo"'). */
int cfg_section_is(const char *sect, const char *kind, const char *name);

/* Which sections are a profile's, as the shared profile-file specification
 * says: in the config file [profile NAME] (blanks and shell quotes allowed,
 * as botocore), and [default], unless a [profile default] exists, which then
 * replaces it; in the credentials file [NAME] ([profile NAME] is ignored
 * there). NAME is A-Z a-z 0-9 - _ / . % @ : + and inner blanks, under 256
 * bytes: other sections are ignored. */

/* 1 if `name` can name a profile (see above). */
int cfg_profile_name_ok(const char *name);

/* A key of profile `profile`, from the profile merged across both files: the
 * credentials file's sections first, then the config file's, later sections
 * first in each. *where (may be NULL) gets the path of the file it came from.
 * NULL when absent. */
const char *cfg_profile_get(const cfg_files_t *f, const char *profile, const char *key,
                            const char **where);

/* 1 if either file has the profile. */
int cfg_profile_exists(const cfg_files_t *f, const char *profile);

/* config_numbers.c: `s` as plain decimal digits with at most `max_decimals`
 * decimals, scaled by 10^max_decimals ("0.25" with 3 gives 250), inside
 * [min, max]; 0, or -1 for anything else (signs, blanks, exponents, inf, nan). */
int cfg_parse_decimal(const char *s, int max_decimals, long min, long max, long *out);

/* Every numeric setting (max_attempts, metadata_service_timeout,
 * metadata_service_num_attempts, duration_seconds): environment first, then
 * the profile; a bad value is UVAWS_ECONFIG naming the setting and where. */
int cfg_resolve_numbers(const cfg_files_t *f, config_t *out, uvaws_error_t *err);

/* AWS_CREDENTIAL_EXPIRATION (RFC 3339) into *out; UVAWS_ECONFIG if malformed. */
int cfg_parse_expiration(const char *v, int64_t *out, uvaws_error_t *err);

/* A profile's static credentials (borrowed from the files; NULL when absent
 * or empty). */
typedef struct {
  const char *key, *secret, *token;
  const char *where;       /* the file's path */
  int in_credentials_file; /* else the config file */
} cfg_keys_t;

/* aws_access_key_id and aws_secret_access_key of `profile`, both from the
 * credentials file, else both from the config file, with the session token
 * (aws_session_token, else the legacy aws_security_token) of the same file.
 * Returns 1 with *out filled, 0 when neither file has either, or
 * UVAWS_ECONFIG when one comes without the other in its file (the other in
 * the other file, or nowhere), err->detail naming the profile, both keys and
 * the files (never a value). */
int cfg_static_keys(const cfg_files_t *f, const char *profile, cfg_keys_t *out,
                    uvaws_error_t *err);

/* Fills out->endpoint and out->endpoint_explicit (needs out->profile and
 * out->region resolved). */
int cfg_resolve_endpoint(const config_input_t *in, const cfg_files_t *f, config_t *out,
                         uvaws_error_t *err);

#endif
