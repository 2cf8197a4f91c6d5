"""The model's component waiters, through boto3 and through the AWS CLI
(`aws proton wait ...`): ComponentDeployed ends on SUCCEEDED and stops on
FAILED, ComponentDeleted ends once the component is gone and stops on
DELETE_FAILED (a self-managed component whose automation reports its
delete failed). The component is
AWS's S3 bucket sample (aws-samples/aws-proton-cloudformation-sample-templates,
component-templates/s3-bucket-component), attached to an instance whose
file gives its role the component's policy with proton_cfn_iam_policy_arns.

Each test works in an account of its own: an environment template and an
environment `dev` with a component role, and a service template `web`
whose version supports directly defined components.

Run from test/e2e, against a server started with --bundle-dir
OPENPROTON_BUNDLE_DIR (test/e2e/components_test.go):
  python3 -m unittest -v python.test_components_waiters
"""

import os
import sys
import tarfile
import unittest

from botocore.exceptions import WaiterError

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402
import envhelp as eh  # noqa: E402
import templhelp as th  # noqa: E402
from bundlehelp import CFN_MANIFEST, tar_gz, write_dir  # noqa: E402

BUCKET = "openproton-test-components"
h.required_env("OPENPROTON_BUNDLE_DIR")

# AWS's sample, as its repository has it.
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                       "internal", "awssamples", "testdata", "cfn-sample-templates.tgz")


def sample(name, archive=SAMPLES):
    with tarfile.open(archive) as t:
        return t.extractfile("component-templates/s3-bucket-component/" + name).read().decode()


MANIFEST, S3_CFN = sample("manifest.yaml"), sample("cloudformation.yaml")
# The sample's Terraform twin (aws-samples/aws-proton-terraform-sample-templates).
TF_SAMPLES = SAMPLES.replace("cfn-sample-templates.tgz", "tf-sample-templates.tgz")
TF_MANIFEST, S3_TF = sample("manifest.yaml", TF_SAMPLES), sample("component.tf", TF_SAMPLES)

# The instance file: its role gets the component's managed policies, which
# an output shows.
INSTANCE_CFN = """Resources:
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/ReadOnlyAccess
        {{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}
Outputs:
  Policies:
    Value:
      Fn::Join:
        - ","
        - - base
          {{ service_instance.components.default.outputs | proton_cfn_iam_policy_arns }}
"""

# A component file that is YAML only until it is rendered.
BROKEN_CFN = """Resources: {}
Outputs:
  Name:
    Value: {{ component.name }}: {{ environment.name }}
"""

FAST = {"Delay": 0.2, "MaxAttempts": 300}

REPO = {"repositoryConnectionArn": "arn:aws:codestar-connections:us-east-1:111111111111:connection/4f1c2a5e-9d1b-4b63-a0a4-5c1f2e6d7b80",
        "repositoryId": "my-org/orders", "branchName": "main"}

SPEC = "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n  - name: a\n    environment: dev\n"


def world():
    """A fresh account with environment `dev` (with a component role), the
    published service template `web` (components allowed) and its
    service `orders`, ACTIVE, with instance `a`; returns the account."""
    acct = h.fresh_account()
    c = h.client(acct)
    env_tpl = eh.template(acct)
    c.create_environment(name="dev", templateName=env_tpl, templateMajorVersion="1", spec=eh.spec(),
                         protonServiceRoleArn=h.role_arn(acct), componentRoleArn=h.role_arn(acct, "component-role"))
    data = tar_gz({"schema/schema.yaml": th.SVC_SCHEMA % ('  pipeline_input_type: "PipeInput"\n', th.PIPELINE_TYPE),
                   "instance_infrastructure/manifest.yaml": CFN_MANIFEST,
                   "instance_infrastructure/cloudformation.yaml": INSTANCE_CFN,
                   "pipeline_infrastructure/manifest.yaml": CFN_MANIFEST,
                   "pipeline_infrastructure/cloudformation.yaml": "Resources: {}\n"})
    c.create_service_template(name="web")
    c.create_service_template_version(templateName="web", source=write_dir(data, BUCKET, "%s/web.tar.gz" % acct),
                                      compatibleEnvironmentTemplates=[{"templateName": env_tpl, "majorVersion": "1"}],
                                      supportedComponentSources=["DIRECTLY_DEFINED"])
    th.wait_registered(c, "service", "web", "1", "0")
    c.update_service_template_version(templateName="web", majorVersion="1", minorVersion="0", status="PUBLISHED")
    c.update_account_settings(pipelineServiceRoleArn=h.role_arn(acct, "pipeline"))
    eh.wait_deployed(acct, "dev", delay=0.2, attempts=300)
    c.create_service(name="orders", templateName="web", templateMajorVersion="1", spec=SPEC, **REPO)
    c.get_waiter("service_created").wait(name="orders", WaiterConfig=FAST)
    return acct


def policies(c):
    """Deploys instance `a` again and returns its Policies output."""
    c.update_service_instance(serviceName="orders", name="a", deploymentType="CURRENT_VERSION")
    c.get_waiter("service_instance_deployed").wait(serviceName="orders", name="a", WaiterConfig=FAST)
    outs = c.list_service_instance_outputs(serviceName="orders", serviceInstanceName="a")["outputs"]
    return {o["key"]: o["valueString"] for o in outs}["Policies"]


class Boto3Waiters(unittest.TestCase):

    def test_success_states(self):
        acct = world()
        c = h.client(acct)
        comp = c.create_component(name="bucket", serviceName="orders", serviceInstanceName="a",
                                  manifest=MANIFEST, templateFile=S3_CFN)["component"]
        self.assertEqual((comp["deploymentStatus"], comp["environmentName"]), ("IN_PROGRESS", "dev"))
        c.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FAST)
        outs = {o["key"]: o["valueString"] for o in c.list_component_outputs(componentName="bucket")["outputs"]}
        policy = "arn:aws:iam::%s:policy/emulated/S3BucketAccessPolicy" % acct
        self.assertEqual(outs["BucketAccessPolicyArn"], policy)
        self.assertEqual(policies(c), "base," + policy)

        up = c.update_component(name="bucket", deploymentType="CURRENT_VERSION", serviceName="", serviceInstanceName="")["component"]
        self.assertNotIn("serviceName", up)
        c.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FAST)
        self.assertEqual(policies(c), "base")

        self.assertEqual(c.delete_component(name="bucket")["component"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        c.get_waiter("component_deleted").wait(name="bucket", WaiterConfig=FAST)
        with self.assertRaises(c.exceptions.ResourceNotFoundException):
            c.get_component(name="bucket")

    def test_failure_state(self):
        acct = world()
        c = h.client(acct)
        c.create_component(name="broken", environmentName="dev", manifest=MANIFEST, templateFile=BROKEN_CFN)
        with self.assertRaises(WaiterError) as cm:
            c.get_waiter("component_deployed").wait(name="broken", WaiterConfig=FAST)
        self.assertIn("terminal failure state", str(cm.exception))
        got = c.get_component(name="broken")["component"]
        self.assertEqual(got["deploymentStatus"], "FAILED")
        self.assertIn("not valid YAML once rendered", got["deploymentStatusMessage"])
        # A failed component is deleted like any other.
        c.delete_component(name="broken")
        c.get_waiter("component_deleted").wait(name="broken", WaiterConfig=FAST)


class DeleteFailed(unittest.TestCase):
    """ComponentDeleted's failure state: a detached Terraform component in a
    self-managed environment, whose automation reports its delete FAILED."""

    def world(self):
        acct = h.fresh_account()
        c = h.client(acct)
        env_tpl = eh.template(acct, eh.tf_bundle())
        env = c.create_environment(name="tfdev", templateName=env_tpl, templateMajorVersion="1", spec=eh.spec(),
                                   provisioningRepository={"provider": "GITHUB", "name": "example-org/env-repo", "branch": "main"})
        c.notify_resource_deployment_status_change(resourceArn=env["environment"]["arn"], status="SUCCEEDED")
        comp = c.create_component(name="bucket", environmentName="tfdev", manifest=TF_MANIFEST, templateFile=S3_TF)["component"]
        c.notify_resource_deployment_status_change(resourceArn=comp["arn"], status="SUCCEEDED")
        c.get_waiter("component_deployed").wait(name="bucket", WaiterConfig=FAST)
        self.assertEqual(c.delete_component(name="bucket")["component"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        c.notify_resource_deployment_status_change(resourceArn=comp["arn"], status="FAILED", statusMessage="terraform destroy failed")
        return acct, c, comp

    def retry_delete(self, c, comp):
        got = c.get_component(name="bucket")["component"]
        self.assertEqual((got["deploymentStatus"], got["deploymentStatusMessage"]), ("DELETE_FAILED", "terraform destroy failed"))
        c.delete_component(name="bucket")
        c.notify_resource_deployment_status_change(resourceArn=comp["arn"], status="SUCCEEDED")
        c.get_waiter("component_deleted").wait(name="bucket", WaiterConfig=FAST)

    def test_boto3(self):
        acct, c, comp = self.world()
        with self.assertRaises(WaiterError) as cm:
            c.get_waiter("component_deleted").wait(name="bucket", WaiterConfig=FAST)
        self.assertIn("terminal failure state", str(cm.exception))
        self.retry_delete(c, comp)

    def test_cli(self):
        acct, c, comp = self.world()
        rc, err = th.proton_wait(acct, "component-deleted", "--name", "bucket")
        self.assertEqual(rc, 255, err)
        self.assertIn("Waiter ComponentDeleted failed: Waiter encountered a terminal failure state", err)
        self.retry_delete(c, comp)


class CLIWaiters(unittest.TestCase):
    """`aws proton wait` keeps the model's delay (5 s)."""

    def test_states(self):
        acct = world()
        h.aws(acct, "create-component", "--name", "bucket", "--service-name", "orders", "--service-instance-name", "a",
              "--manifest", MANIFEST, "--template-file", S3_CFN)
        self.assertEqual(th.proton_wait(acct, "component-deployed", "--name", "bucket"), (0, ""))
        h.aws(acct, "create-component", "--name", "broken", "--environment-name", "dev",
              "--manifest", MANIFEST, "--template-file", BROKEN_CFN)
        rc, err = th.proton_wait(acct, "component-deployed", "--name", "broken")
        self.assertNotEqual(rc, 0)
        self.assertIn("terminal failure state", err)
        h.cli_expect_error(self, "ConflictException", acct, "delete-component", "--name", "bucket")
        h.aws(acct, "update-component", "--name", "bucket", "--deployment-type", "CURRENT_VERSION",
              "--service-name", "", "--service-instance-name", "")
        self.assertEqual(th.proton_wait(acct, "component-deployed", "--name", "bucket"), (0, ""))
        h.aws(acct, "delete-component", "--name", "bucket")
        self.assertEqual(th.proton_wait(acct, "component-deleted", "--name", "bucket"), (0, ""))
        h.cli_expect_error(self, "ResourceNotFoundException", acct, "get-component", "--name", "bucket")


if __name__ == "__main__":
    unittest.main()
