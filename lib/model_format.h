/* The compiled service models: the layout of the file that
 * models/compile_models.py writes from botocore's service-2.json,
 * paginators-1.json and waiters-2.json, and that model.c maps.
 *
 * Everything is little-endian 32-bit words, except the string pools (bytes,
 * every string NUL-terminated, offset 0 is ""). Records are fixed-size arrays
 * of words, so a mapped file is read in place, without parsing: loading a
 * service is a bounds check of its records (model.c refuses any index or
 * offset outside its section, so a damaged file cannot make the reader leave
 * it). Names are found through open-addressing hash tables (FNV-1a, linear
 * probing, power-of-two sizes, slots hold index + 1, 0 is empty) that the
 * compiler builds, so lookups are O(1).
 *
 * A member reference (mref) is botocore's "shape reference": a structure
 * member, a list's member, a map's key or value, an operation's input or
 * output. It carries the effective serialization traits, the target shape's
 * merged with the reference's own (botocore's resolve_shape_ref), so the
 * serializers never merge at run time.
 *
 * Changing any record: bump MODEL_FORMAT_VERSION here and in the compiler. */
#ifndef UVAWS_MODEL_FORMAT_H
#define UVAWS_MODEL_FORMAT_H

#include <stdint.h>

#define MODEL_MAGIC "UVAWSMDL"
#define MODEL_FORMAT_VERSION 3u
#define MODEL_ENDIAN_MARK 0x01020304u
#define MODEL_SERVICE_MAGIC 0x31435653u /* "SVC1" */
#define MODEL_NONE 0xFFFFFFFFu          /* no index */

/* File header: 16 words after the 8-byte magic. */
typedef struct {
  char magic[8];
  uint32_t version;
  uint32_t endian;
  uint32_t service_count;
  uint32_t index_off;   /* service_count index records */
  uint32_t hash_size;   /* service-name hash table (by service name) */
  uint32_t hash_off;
  uint32_t strings_off; /* pool of the index's strings */
  uint32_t strings_len;
  uint32_t file_len;
  uint32_t source;      /* string: where the models came from ("botocore 1.29.27") */
  uint32_t reserved[6];
} mfile_hdr_t;

typedef enum {
  MPROTO_JSON = 1,
  MPROTO_REST_JSON,
  MPROTO_REST_XML,
  MPROTO_QUERY,
  MPROTO_EC2,
} mproto_t;

typedef enum {
  MSIG_V4 = 1,
  MSIG_S3V4, /* "s3" and "s3v4": SigV4 with S3's rules */
  MSIG_V2,   /* SimpleDB, Import/Export: not supported */
  MSIG_BEARER,
} msig_t;

/* One service in the file's index. */
typedef struct {
  uint32_t name;            /* botocore's directory name: "dynamodb", "s3" */
  uint32_t service_id;      /* "DynamoDB" */
  uint32_t signing_name;    /* signingName, else endpointPrefix */
  uint32_t endpoint_prefix; /* "dynamodb"; SES's is "email" */
  uint32_t protocol;        /* mproto_t */
  uint32_t api_version;
  uint32_t json_version;    /* "1.0" (JSON protocols), else "" */
  uint32_t target_prefix;   /* "DynamoDB_20120810" (json), else "" */
  uint32_t global_endpoint; /* "iam.amazonaws.com" or "" */
  uint32_t signature;       /* msig_t */
  uint32_t blob_off;        /* the service's section in the file */
  uint32_t blob_len;
} mindex_t;

/* A service section: this header, then its arrays, then its string pool. All
 * offsets are from the section's start. */
typedef struct {
  uint32_t magic; /* MODEL_SERVICE_MAGIC */
  uint32_t shape_count, shapes_off;
  uint32_t mref_count, mrefs_off;
  uint32_t op_count, ops_off;        /* sorted by name */
  uint32_t op_hash_size, op_hash_off;
  uint32_t member_hash_size, member_hash_off; /* key: (parent shape, member name) */
  uint32_t enum_count, enums_off;    /* string offsets, shared by the shapes' ranges */
  uint32_t pager_count, pagers_off;  /* named JSON texts, sorted by name */
  uint32_t pager_hash_size, pager_hash_off;
  uint32_t waiter_count, waiters_off;
  uint32_t waiter_hash_size, waiter_hash_off;
  uint32_t strings_off, strings_len;
  uint32_t xml_namespace; /* metadata.xmlNamespace (query answers), string */
  uint32_t checksum_format; /* metadata.checksumFormat ("md5" for S3), string */
  uint32_t reserved[6];
} msvc_hdr_t;

typedef enum {
  MT_STRUCTURE = 1,
  MT_LIST,
  MT_MAP,
  MT_STRING,
  MT_INTEGER,
  MT_LONG,
  MT_FLOAT,
  MT_DOUBLE,
  MT_BOOLEAN,
  MT_TIMESTAMP,
  MT_BLOB,
} mtype_t;

/* Shape flags. */
enum {
  MS_HAS_MIN = 1u << 0,
  MS_DOCUMENT = 1u << 1,    /* structure that holds any JSON value */
  MS_UNION = 1u << 2,       /* exactly one member set */
  MS_EXCEPTION = 1u << 3,
  MS_EVENTSTREAM = 1u << 4, /* a union of events: not supported on the wire */
  MS_EVENT = 1u << 5,
  MS_SENSITIVE = 1u << 6,
};

typedef struct {
  uint32_t name;
  uint32_t type;  /* mtype_t */
  uint32_t flags; /* MS_* */
  /* structure: first mref, mref count, payload member (mref index) or MODEL_NONE
   * list: member mref; map: key mref, value mref
   * string: first enum value, count (in the enum array) */
  uint32_t a, b, c;
  uint32_t error_code;  /* exception: the error code (string) */
  uint32_t http_status; /* exception: error.httpStatusCode, else 0 */
  uint32_t min_lo, min_hi; /* MS_HAS_MIN: `min` as an IEEE double's bits */
  uint32_t required;       /* structure: how many of its members are required */
} mshape_t;

typedef enum {
  ML_BODY = 0,
  ML_URI,
  ML_QUERYSTRING,
  ML_HEADER,
  ML_HEADERS, /* a map of headers under a prefix */
  ML_STATUS,  /* the HTTP status code */
} mloc_t;

/* Timestamp formats: the effective timestampFormat, 0 = the protocol's default. */
typedef enum {
  MTS_DEFAULT = 0,
  MTS_ISO8601,
  MTS_RFC822,
  MTS_UNIX,
} mts_t;

/* Member reference flags. */
enum {
  MR_REQUIRED = 1u << 0, /* required in its parent structure */
  MR_FLATTENED = 1u << 1,
  MR_XML_ATTRIBUTE = 1u << 2,
  MR_JSONVALUE = 1u << 3, /* a header holding base64 JSON */
  MR_IDEMPOTENCY = 1u << 4,
  MR_HOST_LABEL = 1u << 5,
  MR_STREAMING = 1u << 6,
  MR_EVENTPAYLOAD = 1u << 7,
  MR_HAS_NAME = 1u << 8, /* `serial` is set (locationName given) */
  MR_TS_SHIFT = 12,      /* bits 12-13: mts_t */
  MR_TS_MASK = 3u << 12,
};

typedef struct {
  uint32_t name;     /* the member's name in its structure; "" otherwise */
  uint32_t shape;    /* target shape index */
  uint32_t parent;   /* structure shape index, or MODEL_NONE */
  uint32_t location; /* mloc_t */
  uint32_t serial;   /* effective locationName (wire name), "" when none */
  uint32_t query_name; /* ec2's queryName, "" when none */
  uint32_t xmlns_uri, xmlns_prefix;
  uint32_t flags;    /* MR_* */
  uint32_t result_wrapper; /* operation output (query): the wrapping element */
} mref_t;

/* Operation flags. */
enum {
  MO_CHECKSUM_REQUIRED = 1u << 0, /* httpChecksumRequired or requestChecksumRequired */
  MO_AUTH_NONE = 1u << 1,         /* authtype "none": sent unsigned */
  MO_UNSIGNED_BODY = 1u << 2,     /* authtype "v4-unsigned-body" */
  MO_DEPRECATED = 1u << 3,
  MO_ENDPOINT_DISCOVERY = 1u << 4,
  MO_IDEMPOTENCY = 1u << 5,       /* the input has an idempotency token member */
  MO_EVENTSTREAM = 1u << 6,       /* a member of the input or output streams events */
};

typedef struct {
  uint32_t name;
  uint32_t method;      /* string: "POST" */
  uint32_t request_uri; /* string: "/{Bucket}/{Key+}?uploads" */
  uint32_t input;       /* mref index, or MODEL_NONE */
  uint32_t output;      /* mref index, or MODEL_NONE */
  uint32_t flags;       /* MO_* */
  uint32_t host_prefix; /* string: "{AccountId}." or "" */
  uint32_t checksum_member; /* httpChecksum.requestAlgorithmMember, string */
  uint32_t response_code;   /* http.responseCode, 0 when not given */
  uint32_t reserved;
} mop_t;

/* A paginator or a waiter: its name and its JSON definition, as in the model
 * file (a string of the pool). */
typedef struct {
  uint32_t name;
  uint32_t json;
} mnamed_t;

#endif
