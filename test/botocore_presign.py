#!/usr/bin/python3
"""Presigns a URL with botocore, for tests that compare uvaws's presigned URLs.

    botocore_presign.py SERVICE REGION ACCESS_KEY SECRET EPOCH_S EXPIRES METHOD URL [HEADER=VALUE...]

Prints the URL SigV4QueryAuth (S3SigV4QueryAuth for s3) makes at time EPOCH_S.
Exits 77 when botocore is not importable (run with /usr/bin/python3).
"""

import datetime
import sys
from unittest import mock

try:
    import botocore.auth
    import botocore.awsrequest
    import botocore.credentials
except ImportError as e:
    print("botocore not importable: %s" % e, file=sys.stderr)
    sys.exit(77)


def main(argv):
    service, region, ak, sk, epoch, expires, method, url = argv[:8]
    creds = botocore.credentials.Credentials(ak, sk)
    cls = botocore.auth.S3SigV4QueryAuth if service == "s3" else botocore.auth.SigV4QueryAuth
    auth = cls(creds, service, region, expires=int(expires))
    req = botocore.awsrequest.AWSRequest(method=method, url=url)
    for h in argv[8:]:
        name, _, value = h.partition("=")
        req.headers[name] = value
    when = datetime.datetime.utcfromtimestamp(int(epoch))
    with mock.patch("botocore.auth.datetime") as dt:
        dt.datetime.utcnow.return_value = when
        auth.add_auth(req)
    print(req.url)


if __name__ == "__main__":
    main(sys.argv[1:])
