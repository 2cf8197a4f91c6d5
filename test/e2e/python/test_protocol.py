"""Protocol tests of openproton with boto3.

They check that errors reach a boto3 user the way they would from AWS: the
modelled ValidationException as the client's typed exception with the Coral
message, the unmodelled ones (NotImplementedException and the
authentication errors) as a ClientError with the right code and HTTP status.

The Go test TestProtocolClients starts the server and runs this file from
test/e2e:

    python3 -m unittest -v python/test_protocol.py

PROTO_AUTH selects the suite: "open" runs OpenModeTests
against a server in open auth mode; "sigv4" runs SigV4Tests against a
server started with --auth sigv4, whose keys come from PROTO_KEY_A,
PROTO_SECRET_A, PROTO_ACCOUNT_A, PROTO_KEY_B, PROTO_SECRET_B and
PROTO_ACCOUNT_B. OPENPROTON_ENDPOINT names the server.
"""

import os
import sys
import unittest

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from connhelp import required_env  # noqa: E402

ENDPOINT = required_env("OPENPROTON_ENDPOINT")
MODE = required_env("PROTO_AUTH")
REGION = "us-east-1"

UUID_PATTERN = botocore.session.get_session().get_service_model("proton").shape_for(
    "EnvironmentAccountConnectionId").metadata["pattern"]


def make_client(key="111111111111", secret="openproton-test-secret", region=REGION,
                validate=True):
    """A Proton client for the server under test, with retries off so that
    every call is exactly one request."""
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        parameter_validation=validate,
        connect_timeout=5,
        read_timeout=20,
    )
    return boto3.client(
        "proton",
        endpoint_url=ENDPOINT,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=config,
    )


class ErrorAsserts(unittest.TestCase):
    """Assertions shared by both suites."""

    def assert_wire_error(self, err, code, status):
        """err is the boto3 error for an AWS JSON error response with
        __type code and HTTP status."""
        resp = err.response
        self.assertEqual(resp["Error"]["Code"], code, resp)
        self.assertTrue(resp["Error"]["Message"], "empty message: %r" % resp)
        meta = resp["ResponseMetadata"]
        self.assertEqual(meta["HTTPStatusCode"], status, resp)
        self.assertTrue(meta.get("RequestId"), "no x-amzn-RequestId: %r" % meta)
        self.assertEqual(meta["HTTPHeaders"].get("x-amzn-errortype"), code, meta)

    def assert_lists_empty(self, client):
        out = client.list_environment_account_connections(requestedBy="ENVIRONMENT_ACCOUNT")
        self.assertEqual(out["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertTrue(out["ResponseMetadata"].get("RequestId"))
        self.assertEqual(out["environmentAccountConnections"], [])
        self.assertNotIn("nextToken", out)


class OpenModeTests(ErrorAsserts):
    """Against a server in open auth mode."""

    @classmethod
    def setUpClass(cls):
        cls.client = make_client()
        cls.raw = make_client(validate=False)

    def test_not_implemented_get_repository(self):
        with self.assertRaises(ClientError) as cm:
            self.client.get_repository(name="my-org/my-repo", provider="GITHUB")
        self.assert_wire_error(cm.exception, "NotImplementedException", 501)
        self.assertIn("GetRepository", cm.exception.response["Error"]["Message"])
        # Not a modelled exception of the operation.
        self.assertNotIsInstance(cm.exception, self.client.exceptions.ValidationException)

    def test_not_implemented_list_repositories(self):
        with self.assertRaises(ClientError) as cm:
            self.client.list_repositories()
        self.assert_wire_error(cm.exception, "NotImplementedException", 501)
        self.assertIn("ListRepositories", cm.exception.response["Error"]["Message"])

    def test_validation_pattern(self):
        with self.assertRaises(self.raw.exceptions.ValidationException) as cm:
            self.raw.get_environment_account_connection(id="not-a-uuid")
        self.assert_wire_error(cm.exception, "ValidationException", 400)
        self.assertEqual(
            cm.exception.response["Error"]["Message"],
            "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: " + UUID_PATTERN)

    def test_validation_pattern_with_client_side_validation(self):
        # botocore checks no patterns, so even a default client relies on
        # the server for this one.
        with self.assertRaises(self.client.exceptions.ValidationException) as cm:
            self.client.get_environment_account_connection(id="not-a-uuid")
        self.assert_wire_error(cm.exception, "ValidationException", 400)

    def test_validation_enum(self):
        with self.assertRaises(self.raw.exceptions.ValidationException) as cm:
            self.raw.list_environment_account_connections(requestedBy="BAD")
        self.assert_wire_error(cm.exception, "ValidationException", 400)
        self.assertEqual(
            cm.exception.response["Error"]["Message"],
            "1 validation error detected: Value 'BAD' at 'requestedBy' failed to satisfy "
            "constraint: Member must satisfy enum value set: "
            "[MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]")

    def test_validation_required(self):
        with self.assertRaises(self.raw.exceptions.ValidationException) as cm:
            self.raw.list_environment_account_connections()
        self.assertEqual(
            cm.exception.response["Error"]["Message"],
            "1 validation error detected: Value null at 'requestedBy' failed to satisfy "
            "constraint: Member must not be null")

    def test_validation_length(self):
        with self.assertRaises(self.raw.exceptions.ValidationException) as cm:
            self.raw.list_environment_account_connections(
                requestedBy="ENVIRONMENT_ACCOUNT", environmentName="e" * 101)
        self.assertIn(
            "at 'environmentName' failed to satisfy constraint: Member must have length "
            "less than or equal to 100",
            cm.exception.response["Error"]["Message"])

    def test_validation_several_in_one_message(self):
        with self.assertRaises(self.raw.exceptions.ValidationException) as cm:
            self.raw.list_environment_account_connections(
                requestedBy="BAD", maxResults=0, statuses=["NOPE"], environmentName="bad name!")
        self.assert_wire_error(cm.exception, "ValidationException", 400)
        msg = cm.exception.response["Error"]["Message"]
        self.assertTrue(msg.startswith("4 validation errors detected: "), msg)
        parts = msg[len("4 validation errors detected: "):].split("; ")
        self.assertEqual(len(parts), 4, msg)
        for want in (
            "Value 'BAD' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]",
            "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
            "Value 'NOPE' at 'statuses.1.member' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]",
            "Value 'bad name!' at 'environmentName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9A-Za-z]+[0-9A-Za-z_\\-]*$",
        ):
            self.assertIn(want, parts, msg)

    def test_success(self):
        self.assert_lists_empty(self.client)


class SigV4Tests(ErrorAsserts):
    """Against a server started with --auth sigv4 and two keys."""

    @classmethod
    def setUpClass(cls):
        env = os.environ
        cls.key_a, cls.secret_a = env["PROTO_KEY_A"], env["PROTO_SECRET_A"]
        cls.key_b, cls.secret_b = env["PROTO_KEY_B"], env["PROTO_SECRET_B"]

    def test_right_secret_account_a(self):
        self.assert_lists_empty(make_client(self.key_a, self.secret_a))

    def test_right_secret_account_b_other_region(self):
        self.assert_lists_empty(make_client(self.key_b, self.secret_b, region="eu-west-1"))

    def test_authenticated_then_not_implemented(self):
        with self.assertRaises(ClientError) as cm:
            make_client(self.key_a, self.secret_a).get_repository(name="my-org/my-repo", provider="GITHUB")
        self.assert_wire_error(cm.exception, "NotImplementedException", 501)

    def test_authenticated_then_validated(self):
        client = make_client(self.key_b, self.secret_b, validate=False)
        with self.assertRaises(client.exceptions.ValidationException):
            client.get_environment_account_connection(id="not-a-uuid")

    def test_wrong_secret(self):
        with self.assertRaises(ClientError) as cm:
            make_client(self.key_a, self.secret_b).list_environment_account_connections(
                requestedBy="ENVIRONMENT_ACCOUNT")
        self.assert_wire_error(cm.exception, "InvalidSignatureException", 403)

    def test_unknown_access_key(self):
        with self.assertRaises(ClientError) as cm:
            make_client("AKIAPROTOUNKNOWN0000", self.secret_a).list_environment_account_connections(
                requestedBy="ENVIRONMENT_ACCOUNT")
        self.assert_wire_error(cm.exception, "UnrecognizedClientException", 403)


def load_tests(loader, standard_tests, pattern):
    """Only the suite of the server's auth mode runs."""
    suite = {"open": OpenModeTests, "sigv4": SigV4Tests}.get(MODE)
    if suite is None:
        raise ValueError("PROTO_AUTH must be open or sigv4, not %r" % MODE)
    return loader.loadTestsFromTestCase(suite)


if __name__ == "__main__":
    unittest.main()
