#!/usr/bin/python3
"""Reads an STS answer with botocore's parser, for tests whose canned STS
answers must be what real STS sends (botocore being the independent reader).

    botocore_sts_parse.py OPERATION STATUS FILE

Parses FILE as the HTTP body of OPERATION's answer with status STATUS and
prints the access key id of its Credentials, or "Code: Message" of its
error. Exits 77 when botocore is not importable (run with /usr/bin/python3).
"""

import sys

try:
    import botocore.parsers
    import botocore.session
except ImportError as e:
    print("botocore not importable: %s" % e, file=sys.stderr)
    sys.exit(77)


def main(argv):
    operation, status, path = argv
    model = botocore.session.get_session().get_service_model("sts")
    parser = botocore.parsers.create_parser(model.metadata["protocol"])
    with open(path, "rb") as f:
        body = f.read()
    answer = {"body": body, "headers": {"content-type": "text/xml"}, "status_code": int(status)}
    parsed = parser.parse(answer, model.operation_model(operation).output_shape)
    if "Error" in parsed:
        print("%s: %s" % (parsed["Error"].get("Code"), parsed["Error"].get("Message")))
    else:
        print(parsed["Credentials"]["AccessKeyId"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
