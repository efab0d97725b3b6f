/* Error codes and error objects.
 *
 * As in libuv, functions return 0 or a negative code; uvaws_strerror() and
 * uvaws_err_name() describe a code. Every uvaws code lies in -7999..-7000,
 * where no libuv code is (libuv's run from -1 to -4095: negated errno values,
 * UV_EAI_* at -3000..-3014, its own at -4095..-4025), so a program can pass
 * both kinds through one int and tell them apart. A failed request carries a uvaws_error_t
 * with everything known about the failure: the code, the HTTP status, the AWS
 * error type, message and request id, and a detail (curl's text, a file and
 * line ...). No secret ever appears in an error.
 */
#ifndef UVAWS_ERROR_H
#define UVAWS_ERROR_H

#include "common.h"

#define UVAWS_ERRNO_MIN (-7999)
#define UVAWS_ERRNO_MAX (-7000)

#ifdef __cplusplus
extern "C" {
#endif

#define UVAWS_ERRNO_MAP(XX)                                                      \
  XX(EINVAL, -7001, "invalid argument")                                          \
  XX(ENOMEM, -7002, "out of memory")                                             \
  XX(EMETHOD, -7003, "HTTP method is not a token")                               \
  XX(EHEADERNAME, -7004, "header name is not an HTTP token")                     \
  XX(EHEADERVALUE, -7005, "header value contains CR, LF or NUL")                 \
  XX(EPATH, -7006, "path is empty, relative or contains CR, LF or NUL")          \
  XX(EQUERY, -7007, "query parameter contains CR, LF or NUL")                    \
  XX(ETIME, -7008, "timestamp out of range")                                     \
  XX(ENOHOST, -7009, "request has no Host")                                      \
  XX(EEXPIRES, -7010, "expiry out of range (1 s to 7 days)")                     \
  XX(ECRYPTO, -7011, "cryptographic library failure")                            \
  XX(ENOBUFS, -7012, "destination buffer too small")                              \
  XX(ECANCELED, -7020, "request cancelled")                                      \
  XX(ECLOSED, -7021, "client is closing or closed")                              \
  XX(ETIMEDOUT, -7022, "request timed out")                                      \
  XX(ENETWORK, -7023, "network failure")                                         \
  XX(ETLS, -7024, "TLS failure")                                                 \
  XX(ETOOBIG, -7025, "response larger than the limit")                           \
  XX(EQUEUEFULL, -7026, "request queue is full")                                 \
  XX(EAWS, -7027, "AWS returned an error")                                       \
  XX(EPROTOCOL, -7028, "malformed response")                                     \
  XX(EBUSY, -7029, "busy: too late to cancel, or not allowed inside a loop callback")          \
  XX(EHEADTOOBIG, -7030, "request or response head larger than libcurl allows")   \
  XX(ETHREAD, -7031, "called from a thread other than the client's loop thread") \
  XX(EIO, -7032, "reading or writing a local file failed")                      \
  XX(ENOCONFIG, -7040, "configuration file not found")                           \
  XX(ECONFIG, -7041, "configuration file does not parse")                        \
  XX(ENOPROFILE, -7042, "profile not found")                                     \
  XX(ENOCREDS, -7043, "no credentials found")                                    \
  XX(ENOREGION, -7044, "no region configured")                                   \
  XX(EENDPOINT, -7045, "invalid endpoint URL")                                   \
  XX(ECREDS, -7046, "credential provider failed")                                \
  XX(EOPERATION, -7060, "unknown operation")                                     \
  XX(EPARAM, -7061, "parameter cannot be serialized by this protocol")          \
  XX(ESERVICE, -7062, "unknown service: no operations known for it")            \
  XX(EINTERNAL, -7099, "internal error")

typedef enum {
#define XX(name, value, text) UVAWS_##name = value,
  UVAWS_ERRNO_MAP(XX)
#undef XX
} uvaws_errno_t;

/* A short English description of `code`; never NULL. */
UVAWS_EXTERN const char *uvaws_strerror(int code);

/* The symbolic name of `code` ("UVAWS_ETIMEDOUT"); never NULL. */
UVAWS_EXTERN const char *uvaws_err_name(int code);

/* Everything known about one failure. Strings are owned by the error and may be
 * NULL when unknown. */
typedef struct uvaws_error_s {
  int code;          /* UVAWS_E*, 0 when there is no error */
  long http_status;  /* 0 when no HTTP answer arrived */
  char *aws_type;    /* "ResourceNotFoundException", prefix# and :suffix removed */
  char *message;     /* AWS message, or uvaws's own explanation */
  char *request_id;  /* x-amzn-RequestId, x-amz-request-id or from the body */
  char *detail;      /* curl's error text, a file and line, the sources tried ... */
} uvaws_error_t;

/* Frees the strings of `err` and zeroes it. Safe on a zeroed error and on NULL. */
UVAWS_EXTERN void uvaws_error_clear(uvaws_error_t *err);

/* Fills `err` (cleared first) with `code` and a printf-style detail. Returns `code`.
 * `err` may be NULL, then only `code` is returned. */
UVAWS_EXTERN int uvaws_error_set(uvaws_error_t *err, int code, const char *detail_fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Deep-copies `src` into `dst` (dst is cleared first). Returns 0 or UVAWS_ENOMEM. */
UVAWS_EXTERN int uvaws_error_copy(uvaws_error_t *dst, const uvaws_error_t *src);

#ifdef __cplusplus
}
#endif
#endif
