/* The query protocol's request body (SES v1, STS, SNS, SQS query, CloudWatch,
 * EC2): cJSON parameters flattened into form-encoded name=value pairs, as the
 * AWS SDKs serialize them, without service models:
 *
 *   {"A": {"B": {"C": "x"}}}        A.B.C=x
 *   {"A": ["x", "y"]}               A.member.1=x&A.member.2=y   (ec2: A.1=x&A.2=y)
 *   {"A": [{"B": "x"}]}             A.member.1.B=x              (ec2: A.1.B=x)
 *   {"A": []}                       A=                          (an empty list is sent, empty)
 *   true / false                    true / false
 *   numbers                         integers as integers, others the shortest text
 *                                   that reads back the same ("%.17g" at worst)
 *   raw cJSON numbers (cJSON_CreateRaw) are sent verbatim (big or exact values)
 *
 * Names are used as given (EC2 callers give the wire names, e.g. "InstanceId"
 * for InstanceId.N, "Filter" for Filter.N.Name). A map is sent as the caller
 * spells it: {"Attr": {"entry": {"1": {"Name": "k", "Value": "v"}}}} or the
 * dotted names themselves ({"Attr.entry.1.Name": "k"}) give Attr.entry.1.Name=k.
 * An object without members sends nothing. Pairs are appended in the params'
 * order, each as name "=" value, preceded by "&" unless `out` is empty (so the
 * caller writes "Action=...&Version=..." first), names and values
 * percent-encoded (RFC 3986, as SigV4 and the SDKs encode form bodies). */
#ifndef UVAWS_QUERY_SER_H
#define UVAWS_QUERY_SER_H

#include <cjson/cJSON.h>

#include "buf.h"

/* Appends the pairs of `params` (an object) to `out`. Returns 0, or
 * UVAWS_EPARAM when a value cannot be carried (null; NaN or infinity; a
 * top-level that is not an object; nesting deeper than 32) with the wire name
 * of the culprit ("Destination.ToAddresses.member.2"; "" for the top level) in
 * `bad_path` (bad_len bytes, cut to fit; may be NULL; "" on success),
 * UVAWS_EINVAL when `out` is NULL, or UVAWS_ENOMEM. On an error `out` may hold
 * part of the pairs. */
int query_serialize(const cJSON *params, int ec2, buf_t *out, char *bad_path, size_t bad_len);

#endif
