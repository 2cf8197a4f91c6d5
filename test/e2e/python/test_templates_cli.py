"""The platform administrator's template flow through the AWS CLI, as users
ran it on AWS: upload a bundle to S3, create the template, create a version
from s3={bucket,key}, `aws proton wait ...-registered`, publish; the same for
a service template with compatible environment templates; and the same flow
against a server reading bundles from a directory.

Run from test/e2e (see templhelp.py for the environment):
  python3 -m unittest -v python/test_templates_cli.py
"""

import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402
import templhelp as th  # noqa: E402
from connhelp import aws  # noqa: E402


class CLIFlow:
    """The flow; subclasses say where bundles go and which server to use."""

    endpoint = None

    def put(self, data, key):
        """Stores data; returns (bucket, key)."""
        raise NotImplementedError

    def proton(self, *args):
        return aws(self.acct, *args, endpoint=self.endpoint)

    def wait(self, *args):
        return th.proton_wait(self.acct, *args, endpoint=self.endpoint)

    def test_platform_admin_flow(self):
        self.acct = h.fresh_account()
        env = h.fresh_name("cli-env")
        svc = h.fresh_name("cli-svc")

        t = self.proton("create-environment-template", "--name", env, "--display-name", "VPC",
                        "--description", "Shared VPC")["environmentTemplate"]
        self.assertEqual(t["name"], env)
        bucket, key = self.put(th.env_bundle(), "env/env-bundle.tar.gz")
        v = self.proton("create-environment-template-version", "--template-name", env, "--description", "first",
                        "--source", "s3={bucket=%s,key=%s}" % (bucket, key))["environmentTemplateVersion"]
        self.assertEqual((v["majorVersion"], v["minorVersion"], v["status"]), ("1", "0", "REGISTRATION_IN_PROGRESS"))
        rc, err = self.wait("environment-template-version-registered", "--template-name", env,
                            "--major-version", "1", "--minor-version", "0")
        self.assertEqual(rc, 0, err)
        v = self.proton("update-environment-template-version", "--template-name", env, "--major-version", "1",
                        "--minor-version", "0", "--status", "PUBLISHED")["environmentTemplateVersion"]
        self.assertEqual(v["status"], "PUBLISHED")
        t = self.proton("get-environment-template", "--name", env)["environmentTemplate"]
        self.assertEqual(t["recommendedVersion"], "1.0")

        self.proton("create-service-template", "--name", svc, "--display-name", "API")
        bucket, key = self.put(th.svc_bundle(), "svc/svc-bundle.tar.gz")
        v = self.proton("create-service-template-version", "--template-name", svc,
                        "--source", "s3={bucket=%s,key=%s}" % (bucket, key),
                        "--compatible-environment-templates", "templateName=%s,majorVersion=1" % env,
                        "--supported-component-sources", "DIRECTLY_DEFINED")["serviceTemplateVersion"]
        self.assertEqual(v["compatibleEnvironmentTemplates"], [{"templateName": env, "majorVersion": "1"}])
        rc, err = self.wait("service-template-version-registered", "--template-name", svc,
                            "--major-version", "1", "--minor-version", "0")
        self.assertEqual(rc, 0, err)
        self.proton("update-service-template-version", "--template-name", svc, "--major-version", "1",
                    "--minor-version", "0", "--status", "PUBLISHED")
        got = self.proton("get-service-template-version", "--template-name", svc, "--major-version", "1",
                          "--minor-version", "0")["serviceTemplateVersion"]
        self.assertEqual((got["status"], got["recommendedMinorVersion"]), ("PUBLISHED", "0"))
        self.assertIn("service_input_type", got["schema"])
        listed = self.proton("list-service-templates")["templates"]
        self.assertEqual([(x["name"], x.get("recommendedVersion")) for x in listed], [(svc, "1.0")])

        # A broken bundle: the waiter stops on REGISTRATION_FAILED.
        bucket, key = self.put(b"not a bundle", "env/broken.tar.gz")
        self.proton("create-environment-template-version", "--template-name", env, "--major-version", "1",
                    "--source", "s3={bucket=%s,key=%s}" % (bucket, key))
        rc, err = self.wait("environment-template-version-registered", "--template-name", env,
                            "--major-version", "1", "--minor-version", "1")
        self.assertNotEqual(rc, 0)
        self.assertIn("REGISTRATION_FAILED", err)
        v = self.proton("get-environment-template-version", "--template-name", env, "--major-version", "1",
                        "--minor-version", "1")["environmentTemplateVersion"]
        self.assertIn("gzip", v["statusMessage"])

        # Clean up in the order the deletion rules ask for.
        self.proton("delete-environment-template-version", "--template-name", env, "--major-version", "1", "--minor-version", "1")
        err = h.cli_expect_error(self, "ConflictException", self.acct, "delete-environment-template", "--name", env,
                                 endpoint=self.endpoint)
        self.assertIn("versions", err.message)
        self.proton("delete-service-template-version", "--template-name", svc, "--major-version", "1", "--minor-version", "0")
        self.proton("delete-service-template", "--name", svc)
        self.proton("delete-environment-template-version", "--template-name", env, "--major-version", "1", "--minor-version", "0")
        self.proton("delete-environment-template", "--name", env)
        h.cli_expect_error(self, "ResourceNotFoundException", self.acct, "get-environment-template", "--name", env,
                           endpoint=self.endpoint)


class CLIFlowS3(CLIFlow, unittest.TestCase):
    """Bundles uploaded with `aws s3 cp` to moto_server."""

    def put(self, data, key):
        bucket = th.fresh_bucket()
        th.s3_cli("mb", "s3://" + bucket)
        with tempfile.NamedTemporaryFile(suffix=".tar.gz") as f:
            f.write(data)
            f.flush()
            th.s3_cli("cp", f.name, "s3://%s/%s" % (bucket, key))
        return bucket, key


class CLIFlowBundleDir(CLIFlow, unittest.TestCase):
    """Bundles copied into the --bundle-dir directory."""

    endpoint = th.DIR_ENDPOINT

    def put(self, data, key):
        src = th.put_dir(data, key)
        return src["s3"]["bucket"], src["s3"]["key"]


if __name__ == "__main__":
    unittest.main()
