"""The model's service waiters, through boto3 and through the AWS CLI
(`aws proton wait ...`): ServiceCreated, ServiceInstanceDeployed,
ServicePipelineDeployed, ServiceUpdated and ServiceDeleted end on their
success states and stop on their failure states.

Each test works in an account of its own: an environment template and an
environment deployed from it, a service template whose files render but
for an instance named `bad` (`web`), and one whose instance file does not
render to YAML (`broken`).

Run from test/e2e, against a server started with --bundle-dir
OPENPROTON_BUNDLE_DIR (test/e2e/services_clients_test.go):
  python3 -m unittest -v python.test_services_waiters
"""

import os
import sys
import unittest

from botocore.exceptions import WaiterError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402
import envhelp as eh  # noqa: E402
import templhelp as th  # noqa: E402
from bundlehelp import CFN_MANIFEST, tar_gz, write_dir  # noqa: E402

BUCKET = "openproton-test-services"
# The bundles are written where the server reads them.
h.required_env("OPENPROTON_BUNDLE_DIR")

# The instance file of `broken`: YAML only until it is rendered.
BROKEN_CFN = """Resources: {}
Outputs:
  Name:
    Value: {{ service.name }}: {{ service_instance.name }}
"""

# The instance file of `web`: it renders for every instance but one named
# `bad`.
WEB_CFN = th.SVC_CFN + """{% if service_instance.name == "bad" %}Outputs:
  Broken:
    Value: {{ service.name }}: {{ service_instance.name }}
{% endif %}"""

# Fast polling for boto3's waiters; the CLI's keep the model's delays.
FAST = {"Delay": 0.2, "MaxAttempts": 300}


def service_bundle(instance_cfn):
    """The service template bundle of the template tests, with a pipeline
    and instance_cfn as its instance file."""
    return tar_gz({"schema/schema.yaml": th.SVC_SCHEMA % ('  pipeline_input_type: "PipeInput"\n', th.PIPELINE_TYPE),
                   "instance_infrastructure/manifest.yaml": CFN_MANIFEST,
                   "instance_infrastructure/cloudformation.yaml": instance_cfn,
                   "pipeline_infrastructure/manifest.yaml": CFN_MANIFEST,
                   "pipeline_infrastructure/cloudformation.yaml": "Resources: {}\n"})


def world():
    """A fresh account with environment `dev` and the published service
    templates `web` and `broken` (version 1.0 each); returns the account."""
    acct = h.fresh_account()
    c = h.client(acct)
    env_tpl = eh.template(acct)
    c.create_environment(name="dev", templateName=env_tpl, templateMajorVersion="1", spec=eh.spec(),
                         protonServiceRoleArn=h.role_arn(acct))
    for name, data in (("web", service_bundle(WEB_CFN)), ("broken", service_bundle(BROKEN_CFN))):
        c.create_service_template(name=name)
        source = write_dir(data, BUCKET, "%s/%s.tar.gz" % (acct, name))
        c.create_service_template_version(templateName=name, source=source,
                                          compatibleEnvironmentTemplates=[{"templateName": env_tpl, "majorVersion": "1"}])
        th.wait_registered(c, "service", name, "1", "0")
        c.update_service_template_version(templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED")
    eh.wait_deployed(acct, "dev", delay=0.2, attempts=300)
    return acct


def spec(*instances):
    lines = ["proton: ServiceSpec", "pipeline:", "  branch: main", "instances:"]
    for name in instances:
        lines += ["  - name: %s" % name, "    environment: dev", "    spec:", "      port: 8080"]
    return "\n".join(lines) + "\n"


REPO = {"repositoryConnectionArn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/4f1c2a5e-9d1b-4b63-a0a4-5c1f2e6d7b80",
        "repositoryId": "my-org/payments", "branchName": "main"}


class Boto3Waiters(unittest.TestCase):

    def test_success_states(self):
        acct = world()
        c = h.client(acct)
        c.update_account_settings(pipelineServiceRoleArn=h.role_arn(acct, "pipeline"))
        svc = c.create_service(name="payments", templateName="web", templateMajorVersion="1", spec=spec("a"), **REPO)["service"]
        self.assertEqual(svc["status"], "CREATE_IN_PROGRESS")

        c.get_waiter("service_created").wait(name="payments", WaiterConfig=FAST)
        self.assertEqual(c.get_service(name="payments")["service"]["status"], "ACTIVE")
        c.get_waiter("service_instance_deployed").wait(serviceName="payments", name="a", WaiterConfig=FAST)
        c.get_waiter("service_pipeline_deployed").wait(name="payments", WaiterConfig=FAST)
        got = c.get_service(name="payments")["service"]
        self.assertEqual(got["pipeline"]["deploymentStatus"], "SUCCEEDED")

        up = c.update_service(name="payments", spec=spec("a", "b"))["service"]
        self.assertEqual(up["status"], "UPDATE_IN_PROGRESS")
        c.get_waiter("service_updated").wait(name="payments", WaiterConfig=FAST)
        self.assertEqual(c.get_service(name="payments")["service"]["status"], "ACTIVE")
        c.get_waiter("service_instance_deployed").wait(serviceName="payments", name="b", WaiterConfig=FAST)
        names = [i["name"] for i in c.list_service_instances(serviceName="payments")["serviceInstances"]]
        self.assertEqual(names, ["a", "b"])

        self.assertEqual(c.delete_service(name="payments")["service"]["status"], "DELETE_IN_PROGRESS")
        c.get_waiter("service_deleted").wait(name="payments", WaiterConfig=FAST)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.get_service(name="payments")

    def test_failure_states(self):
        # No pipeline setting in the account, and an instance file that does
        # not render: the instance, the pipeline and the service fail.
        acct = world()
        c = h.client(acct)
        c.create_service(name="broken", templateName="broken", templateMajorVersion="1", spec=spec("a"), **REPO)
        for waiter, params in (("service_created", {"name": "broken"}),
                               ("service_instance_deployed", {"serviceName": "broken", "name": "a"}),
                               ("service_pipeline_deployed", {"name": "broken"})):
            with self.assertRaises(WaiterError, msg=waiter) as cm:
                c.get_waiter(waiter).wait(WaiterConfig=FAST, **params)
            self.assertIn("terminal failure state", str(cm.exception), waiter)
        got = c.get_service(name="broken")["service"]
        self.assertEqual(got["status"], "CREATE_FAILED")
        self.assertEqual(got["pipeline"]["deploymentStatus"], "FAILED")
        self.assertIn("pipelineServiceRoleArn", got["pipeline"]["deploymentStatusMessage"])
        inst = c.get_service_instance(serviceName="broken", name="a")["serviceInstance"]
        self.assertEqual(inst["deploymentStatus"], "FAILED")
        self.assertIn("not valid YAML once rendered", inst["deploymentStatusMessage"])

        # The pipeline is deleted with the account's pipeline role.
        c.update_account_settings(pipelineServiceRoleArn=h.role_arn(acct, "pipeline"))
        c.delete_service(name="broken")
        c.get_waiter("service_deleted").wait(name="broken", WaiterConfig=FAST)

        # An instance that fails to deploy: UpdateService fails.
        c.create_service(name="payments", templateName="web", templateMajorVersion="1", spec=spec("a"), **REPO)
        c.get_waiter("service_created").wait(name="payments", WaiterConfig=FAST)
        c.update_service(name="payments", spec=spec("a", "bad"))
        with self.assertRaises(WaiterError) as cm:
            c.get_waiter("service_updated").wait(name="payments", WaiterConfig=FAST)
        self.assertIn("terminal failure state", str(cm.exception))
        # Creating `bad` failed: the update is rolled back. The spec is the
        # one before it, `bad` is deleted again, and the pipeline, whose
        # deployment waited for the instances, is not deployed.
        got = c.get_service(name="payments")["service"]
        self.assertEqual(got["status"], "UPDATE_FAILED_CLEANUP_COMPLETE")
        self.assertTrue(got["statusMessage"].startswith("Service instance bad failed: "), got["statusMessage"])
        self.assertEqual(got["spec"], spec("a"))
        self.assertEqual(got["pipeline"]["deploymentStatus"], "CANCELLED")
        names = [i["name"] for i in c.list_service_instances(serviceName="payments")["serviceInstances"]]
        self.assertEqual(names, ["a"])
        # The service takes changes again.
        c.update_service(name="payments", spec=spec("a", "b"))
        c.get_waiter("service_updated").wait(name="payments", WaiterConfig=FAST)
        self.assertEqual(c.get_service(name="payments")["service"]["pipeline"]["deploymentStatus"], "SUCCEEDED")


class CLIWaiters(unittest.TestCase):
    """`aws proton wait` keeps the model's delays (5 s, 10 s for the
    pipeline): each wait below either finds its state at once or polls."""

    def wait(self, acct, *args):
        rc, err = th.proton_wait(acct, *args)
        return rc, err

    def test_success_states(self):
        acct = world()
        c = h.client(acct)
        h.aws(acct, "update-account-settings", "--pipeline-service-role-arn", h.role_arn(acct, "pipeline"))
        svc = h.aws(acct, "create-service", "--name", "payments", "--template-name", "web", "--template-major-version", "1",
                    "--spec", spec("a"), "--repository-connection-arn", REPO["repositoryConnectionArn"],
                    "--repository-id", REPO["repositoryId"], "--branch-name", REPO["branchName"])["service"]
        self.assertEqual(svc["status"], "CREATE_IN_PROGRESS")
        for args in (("service-created", "--name", "payments"),
                     ("service-instance-deployed", "--service-name", "payments", "--name", "a"),
                     ("service-pipeline-deployed", "--name", "payments")):
            rc, err = self.wait(acct, *args)
            self.assertEqual((rc, err), (0, ""), args[0])
        got = c.get_service(name="payments")["service"]
        self.assertEqual((got["status"], got["pipeline"]["deploymentStatus"]), ("ACTIVE", "SUCCEEDED"))

        up = h.aws(acct, "update-service", "--name", "payments", "--spec", spec("a", "b"))["service"]
        self.assertEqual(up["status"], "UPDATE_IN_PROGRESS")
        rc, err = self.wait(acct, "service-updated", "--name", "payments")
        self.assertEqual((rc, err), (0, ""))
        self.assertEqual(c.get_service(name="payments")["service"]["status"], "ACTIVE")

        h.aws(acct, "delete-service", "--name", "payments")
        rc, err = self.wait(acct, "service-deleted", "--name", "payments")
        self.assertEqual((rc, err), (0, ""))
        h.cli_expect_error(self, "ResourceNotFoundException", acct, "get-service", "--name", "payments")

    def test_failure_states(self):
        acct = world()
        h.aws(acct, "create-service", "--name", "broken", "--template-name", "broken", "--template-major-version", "1",
              "--spec", spec("a"), "--repository-connection-arn", REPO["repositoryConnectionArn"],
              "--repository-id", REPO["repositoryId"], "--branch-name", REPO["branchName"])
        for waiter, args in (("ServiceCreated", ("service-created", "--name", "broken")),
                             ("ServiceInstanceDeployed", ("service-instance-deployed", "--service-name", "broken", "--name", "a")),
                             ("ServicePipelineDeployed", ("service-pipeline-deployed", "--name", "broken"))):
            rc, err = self.wait(acct, *args)
            self.assertEqual(rc, 255, err)
            self.assertIn("Waiter %s failed: Waiter encountered a terminal failure state" % waiter, err)
        h.aws(acct, "update-account-settings", "--pipeline-service-role-arn", h.role_arn(acct, "pipeline"))
        h.aws(acct, "delete-service", "--name", "broken")
        rc, err = self.wait(acct, "service-deleted", "--name", "broken")
        self.assertEqual((rc, err), (0, ""))

        h.aws(acct, "create-service", "--name", "payments", "--template-name", "web", "--template-major-version", "1",
              "--spec", spec("a"), "--repository-connection-arn", REPO["repositoryConnectionArn"],
              "--repository-id", REPO["repositoryId"], "--branch-name", REPO["branchName"])
        rc, err = self.wait(acct, "service-created", "--name", "payments")
        self.assertEqual((rc, err), (0, ""))
        h.aws(acct, "update-service", "--name", "payments", "--spec", spec("a", "bad"))
        rc, err = self.wait(acct, "service-updated", "--name", "payments")
        self.assertEqual(rc, 255, err)
        self.assertIn("Waiter ServiceUpdated failed: Waiter encountered a terminal failure state", err)
        self.assertEqual(h.client(acct).get_service(name="payments")["service"]["status"], "UPDATE_FAILED_CLEANUP_COMPLETE")


# A service template whose instances and pipeline are Terraform: they
# provision through the customer's automation, which reports each
# deployment's end with NotifyResourceDeploymentStatusChange.
TF_SERVICE = {"schema/schema.yaml": th.SVC_SCHEMA % ('  pipeline_input_type: "PipeInput"\n', th.PIPELINE_TYPE),
              "instance_infrastructure/manifest.yaml": eh.TF_MANIFEST,
              "instance_infrastructure/main.tf": 'resource "null_resource" "instance" {}\n',
              "pipeline_infrastructure/manifest.yaml": eh.TF_MANIFEST,
              "pipeline_infrastructure/main.tf": 'resource "null_resource" "pipeline" {}\n'}


def tf_spec(*instances):
    return spec(*instances).replace("environment: dev", "environment: tfdev")


class SelfManagedFailures(unittest.TestCase):
    """The failure states that need a delete to fail, driven by the
    notifications of a self-managed service: an update whose new instance
    fails and one of whose added instances cannot be deleted again
    (UPDATE_FAILED_CLEANUP_FAILED), and a delete that fails (DELETE_FAILED,
    ServiceDeleted's failure state)."""

    def world(self):
        acct = h.fresh_account()
        c = h.client(acct)
        env_tpl = eh.template(acct, eh.tf_bundle())
        env = c.create_environment(name="tfdev", templateName=env_tpl, templateMajorVersion="1", spec=eh.spec(),
                                   provisioningRepository={"provider": "GITHUB", "name": "example-org/env-repo", "branch": "main"})
        c.notify_resource_deployment_status_change(resourceArn=env["environment"]["arn"], status="SUCCEEDED")
        c.create_service_template(name="tfweb")
        source = write_dir(tar_gz(TF_SERVICE), BUCKET, "%s/tfweb.tar.gz" % acct)
        c.create_service_template_version(templateName="tfweb", source=source,
                                          compatibleEnvironmentTemplates=[{"templateName": env_tpl, "majorVersion": "1"}])
        th.wait_registered(c, "service", "tfweb", "1", "0")
        c.update_service_template_version(templateName="tfweb", majorVersion="1", minorVersion="0", status="PUBLISHED")
        c.update_account_settings(pipelineProvisioningRepository={"provider": "GITHUB", "name": "example-org/pipelines", "branch": "main"})
        return acct, c

    def notify(self, c, svc, target, status):
        arn = svc["arn"] + ("/service-instance/" + target if target else "/pipeline")
        c.notify_resource_deployment_status_change(resourceArn=arn, status=status)

    def run_failures(self, waits):
        """Drives the failures; waits(acct, waiter, name) must report the
        waiter's terminal failure."""
        acct, c = self.world()
        svc = c.create_service(name="tfsvc", templateName="tfweb", templateMajorVersion="1", spec=tf_spec("a"), **REPO)["service"]
        self.notify(c, svc, "a", "SUCCEEDED")
        self.notify(c, svc, "", "SUCCEEDED")
        c.get_waiter("service_created").wait(name="tfsvc", WaiterConfig=FAST)

        c.update_service(name="tfsvc", spec=tf_spec("a", "b", "c"))
        self.notify(c, svc, "b", "FAILED")
        got = c.get_service(name="tfsvc")["service"]
        self.assertEqual((got["status"], got["spec"]), ("UPDATE_FAILED_CLEANUP_IN_PROGRESS", tf_spec("a")))
        with self.assertRaises(c.exceptions.ConflictException):
            c.update_service(name="tfsvc", spec=tf_spec("a"))
        self.assertEqual(c.get_service_instance(serviceName="tfsvc", name="b")["serviceInstance"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        # c is deleted once its create ended; a self-managed pipeline's
        # deployment is left to its automation.
        self.notify(c, svc, "c", "SUCCEEDED")
        self.assertEqual(c.get_service_instance(serviceName="tfsvc", name="c")["serviceInstance"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        self.notify(c, svc, "", "SUCCEEDED")
        self.notify(c, svc, "b", "SUCCEEDED")
        self.notify(c, svc, "c", "FAILED")
        waits(acct, "service_updated", "tfsvc")
        got = c.get_service(name="tfsvc")["service"]
        self.assertEqual(got["status"], "UPDATE_FAILED_CLEANUP_FAILED")
        self.assertIn("Deleting service instance c failed", got["statusMessage"])
        names = [i["name"] for i in c.list_service_instances(serviceName="tfsvc")["serviceInstances"]]
        self.assertEqual(names, ["a", "c"])
        # A later update that leaves c out deletes it again.
        c.update_service(name="tfsvc", spec=tf_spec("a"))
        self.assertEqual(c.get_service_instance(serviceName="tfsvc", name="c")["serviceInstance"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        self.notify(c, svc, "c", "SUCCEEDED")
        self.notify(c, svc, "", "SUCCEEDED")
        c.get_waiter("service_updated").wait(name="tfsvc", WaiterConfig=FAST)
        names = [i["name"] for i in c.list_service_instances(serviceName="tfsvc")["serviceInstances"]]
        self.assertEqual(names, ["a"])

        c.delete_service(name="tfsvc")
        self.notify(c, svc, "a", "FAILED")
        self.notify(c, svc, "", "SUCCEEDED")
        waits(acct, "service_deleted", "tfsvc")
        got = c.get_service(name="tfsvc")["service"]
        self.assertEqual(got["status"], "DELETE_FAILED")
        self.assertTrue(got["statusMessage"].startswith("Service instance a failed"), got["statusMessage"])

        # A second delete retries what is left.
        c.delete_service(name="tfsvc")
        self.notify(c, svc, "a", "SUCCEEDED")
        c.get_waiter("service_deleted").wait(name="tfsvc", WaiterConfig=FAST)

    def test_boto3(self):
        def waits(acct, waiter, name):
            with self.assertRaises(WaiterError, msg=waiter) as cm:
                h.client(acct).get_waiter(waiter).wait(name=name, WaiterConfig=FAST)
            self.assertIn("terminal failure state", str(cm.exception), waiter)
        self.run_failures(waits)

    def test_cli(self):
        def waits(acct, waiter, name):
            cli = waiter.replace("_", "-")
            rc, err = th.proton_wait(acct, cli, "--name", name)
            self.assertEqual(rc, 255, err)
            title = "".join(w.capitalize() for w in waiter.split("_"))
            self.assertIn("Waiter %s failed: Waiter encountered a terminal failure state" % title, err)
        self.run_failures(waits)


if __name__ == "__main__":
    unittest.main()
