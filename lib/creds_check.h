/* What credential sources answer, checked before any of it is believed: the
 * JSON of credential_process, container endpoints and instance metadata, the
 * credential fields themselves, and where container credentials may be
 * fetched from. Pure functions: no I/O, no clock. */
#ifndef UVAWS_CREDS_CHECK_H
#define UVAWS_CREDS_CHECK_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "creds.h"

/* Every answer from a credential source (instance metadata, container, STS,
 * credential_process) is at most this long; a longer one is refused. */
#define CREDS_MAX_ANSWER 65536

/* Credentials from a JSON object: AccessKeyId, SecretAccessKey, the session
 * token under `token_field`, Expiration (RFC 3339). With `full` (container,
 * instance metadata, STS), token and Expiration are required as the SDKs
 * require them; without (credential_process) both are optional. A field of
 * the wrong type, a bad time or a field that fails creds_check_fields refuses
 * the whole answer. 0, or -1 with *why saying what is wrong (never a value). */
int creds_from_object(const cJSON *obj, const char *token_field, int full, creds_t *out,
                      const char **why);

/* The same from JSON text of `len` bytes, which must hold no NUL, raw or
 * escaped (cJSON would cut the string there and hide the rest). */
int creds_from_json_text(const char *text, size_t len, const char *token_field, int full,
                         creds_t *out, const char **why);

/* A credential_process answer: the above with "Version": 1. */
int creds_from_process_json(const char *text, size_t len, creds_t *out, const char **why);

/* The fields as they will be used: the key id fits the signature's scope
 * (letters, digits, '-', '_', '.'; at most 128), secret and token are
 * non-empty where present and hold no control character (CR, LF, NUL, tab,
 * DEL ...). 0, or -1 with *why naming the field. */
int creds_check_fields(const creds_t *c, const char **why);

/* AWS_CONTAINER_CREDENTIALS_FULL_URI (or the URL built from the relative
 * one), judged on the host curl will connect to: http or https, no user
 * name or password; over plain http only a loopback address (127.0.0.0/8,
 * ::1, ::ffff:127.0.0.0/104, "localhost") or the ECS/EKS agents'
 * 169.254.170.2, 169.254.170.23 and fd00:ec2::23. *normalized gets curl's
 * form of the URL (what is fetched; free with free()). 0, or -1 with *why. */
int creds_container_url(const char *url, char **normalized, const char **why);

/* An instance profile's role name as instance metadata lists it: IAM's
 * characters (letters, digits, "+=,.@_-"), 1 to 128 of them. */
int creds_role_name_ok(const char *s, size_t n);

#endif
