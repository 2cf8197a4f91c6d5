#!/usr/bin/env python3
"""Writes botocore_fixtures.json: requests signed by botocore's SigV4 signer.

The Go tests verify these requests, so the verifier is checked against a
second, independent client implementation. Credentials and the signing time
are fixed, so running the script again gives the same file.

    python3 botocore_gen.py > botocore_fixtures.json
"""

import datetime
import json
import sys
from unittest import mock

import botocore
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGNED_AT = datetime.datetime(2024, 3, 1, 12, 0, 0)

JSON_HEADERS = [
    ("Content-Type", "application/x-amz-json-1.0"),
    ("X-Amz-Target", "AwsProton20200720.ListEnvironments"),
]

CASES = [
    {
        "name": "json post",
        "method": "POST",
        "url": "https://proton.us-east-1.amazonaws.com/",
        "region": "us-east-1",
        "headers": JSON_HEADERS,
        "body": '{"maxResults": 10}',
    },
    {
        "name": "session token, extra and repeated headers",
        "method": "POST",
        "url": "https://proton.eu-central-1.amazonaws.com/",
        "region": "eu-central-1",
        "token": "FwoGZXIvYXdzEBYaDH+token/value==",
        "headers": JSON_HEADERS
        + [
            ("X-Custom", "  spaced    out  "),
            ("X-Multi", "one"),
            ("X-Multi", "two"),
        ],
        "body": '{"templateName": "fargate"}',
    },
    {
        "name": "query string and unnormalized path",
        "method": "GET",
        "url": "http://localhost:4566/some%20path/./x//y/?b=2&a=x%20y&a=1&empty=",
        "region": "us-gov-west-1",
        "headers": [],
        "body": "",
    },
    {
        "name": "date header instead of x-amz-date",
        "method": "POST",
        "url": "http://127.0.0.1:8080/",
        "region": "cn-north-1",
        "headers": JSON_HEADERS + [("Date", "placeholder, replaced when signing")],
        "body": "{}",
    },
    {
        "name": "unsigned payload",
        "method": "POST",
        "url": "https://proton.ap-southeast-5.amazonaws.com/",
        "region": "ap-southeast-5",
        "headers": JSON_HEADERS + [("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD")],
        "body": '{"name": "anything"}',
    },
]


def sign(case):
    request = AWSRequest(method=case["method"], url=case["url"], data=case["body"].encode())
    for name, value in case["headers"]:
        request.headers[name] = value  # appends, so repeated names stay repeated
    credentials = Credentials(ACCESS_KEY, SECRET_KEY, case.get("token"))
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNED_AT):
        SigV4Auth(credentials, "proton", case["region"]).add_auth(request)
    return {
        "name": case["name"],
        "method": case["method"],
        "url": case["url"],
        "headers": [[k, v] for k, v in request.headers.items()],
        "body": case["body"],
        "signedAt": SIGNED_AT.strftime("%Y%m%dT%H%M%SZ"),
    }


def main():
    out = {
        "generator": "botocore " + botocore.__version__,
        "accessKeyId": ACCESS_KEY,
        "secretAccessKey": SECRET_KEY,
        "cases": [sign(c) for c in CASES],
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
