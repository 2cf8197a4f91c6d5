"""End-to-end tests of services through boto3 and the AWS CLI, against a
running openproton (OPENPROTON_ENDPOINT) whose provisioner is the emulating
engine with a short delay: every waiter of the model for services, instances
and pipelines, as each client runs it.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import envhelp as h  # noqa: E402
from bundlehelp import CFN_MANIFEST  # noqa: E402
from connhelp import aws, client, expect_error, fresh_account, fresh_name, role_arn  # noqa: E402

SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
  pipeline_input_type: "PipeInput"
  types:
    SvcInput:
      type: object
      properties:
        port:
          type: integer
          default: 80
    PipeInput:
      type: object
      properties:
        branch:
          type: string
          default: main
"""

# The instance's file reads its environment's outputs and its inputs.
INSTANCE = """Resources: {}
Outputs:
  VpcCidr:
    Value: '{{ environment.outputs.VpcCidr }}'
  Port:
    Value: '{{ service_instance.inputs.port }}'
"""

FAST = {"Delay": 1, "MaxAttempts": 60}


def world(account):
    """Makes, in account, a deployed environment, a published service
    template compatible with it and the pipeline role; returns (environment,
    service template)."""
    c = client(account)
    env_tpl = h.template(account)
    env = fresh_name("env")
    c.create_environment(name=env, templateName=env_tpl, templateMajorVersion="1", spec=h.spec(),
                         protonServiceRoleArn=role_arn(account))
    h.wait_deployed(account, env)
    svc_tpl = fresh_name("svc")
    c.create_service_template(name=svc_tpl)
    files = {"schema/schema.yaml": SCHEMA,
             "instance_infrastructure/manifest.yaml": CFN_MANIFEST,
             "instance_infrastructure/cloudformation.yaml": INSTANCE,
             "pipeline_infrastructure/manifest.yaml": CFN_MANIFEST,
             "pipeline_infrastructure/cloudformation.yaml": "Resources: {}\n"}
    v = c.create_service_template_version(templateName=svc_tpl, source=h.put_bundle(files),
                                          compatibleEnvironmentTemplates=[{"templateName": env_tpl, "majorVersion": "1"}])
    v = v["serviceTemplateVersion"]
    c.get_waiter("service_template_version_registered").wait(
        templateName=svc_tpl, majorVersion=v["majorVersion"], minorVersion=v["minorVersion"], WaiterConfig=FAST)
    c.update_service_template_version(templateName=svc_tpl, majorVersion=v["majorVersion"],
                                      minorVersion=v["minorVersion"], status="PUBLISHED")
    c.update_account_settings(pipelineServiceRoleArn=role_arn(account, "pipeline"))
    return env, svc_tpl


def spec(env, *instances):
    out = "proton: ServiceSpec\npipeline:\n  branch: main\ninstances:\n"
    for name in instances:
        out += "  - name: %s\n    environment: %s\n" % (name, env)
    return out


REPOSITORY = {"repositoryConnectionArn": "arn:aws:codestar-connections:us-east-1:123456789012:connection/e2e",
              "repositoryId": "example-org/web", "branchName": "main"}


class Waiters(unittest.TestCase):
    """A service's life, waited for with each client's waiters."""

    def test_boto3_waiters(self):
        acct = fresh_account()
        m = client(acct)
        env, tpl = world(acct)
        name = fresh_name("svc")
        svc = m.create_service(name=name, templateName=tpl, templateMajorVersion="1", spec=spec(env, "one"), **REPOSITORY)["service"]
        self.assertEqual(svc["status"], "CREATE_IN_PROGRESS")
        self.assertEqual(svc["arn"], "arn:aws:proton:us-east-1:%s:service/%s" % (acct, name))
        m.get_waiter("service_created").wait(name=name, WaiterConfig=FAST)
        m.get_waiter("service_pipeline_deployed").wait(name=name, WaiterConfig=FAST)
        m.get_waiter("service_instance_deployed").wait(serviceName=name, name="one", WaiterConfig=FAST)
        outs = m.list_service_instance_outputs(serviceName=name, serviceInstanceName="one")["outputs"]
        self.assertEqual({o["key"]: o["valueString"] for o in outs}, {"VpcCidr": "10.0.0.0/16", "Port": "80"})

        m.update_service(name=name, spec=spec(env, "one", "two"))
        m.get_waiter("service_updated").wait(name=name, WaiterConfig=FAST)
        names = [i["name"] for i in m.list_service_instances(serviceName=name)["serviceInstances"]]
        self.assertEqual(names, ["one", "two"])

        m.delete_service(name=name)
        m.get_waiter("service_deleted").wait(name=name, WaiterConfig=FAST)
        expect_error(self, "ResourceNotFoundException", m.get_service, name=name)
        self.assertEqual(m.delete_service(name=name).get("service"), None)

    def test_cli_waiters(self):
        acct = fresh_account()
        env, tpl = world(acct)
        name = fresh_name("svc")
        aws(acct, "create-service", "--name", name, "--template-name", tpl, "--template-major-version", "1",
            "--spec", spec(env, "one"), "--repository-connection-arn", REPOSITORY["repositoryConnectionArn"],
            "--repository-id", REPOSITORY["repositoryId"], "--branch-name", REPOSITORY["branchName"])
        aws(acct, "wait", "service-created", "--name", name)
        aws(acct, "wait", "service-pipeline-deployed", "--name", name)
        aws(acct, "wait", "service-instance-deployed", "--service-name", name, "--name", "one")
        got = aws(acct, "get-service", "--name", name)["service"]
        self.assertEqual(got["status"], "ACTIVE")
        self.assertEqual(got["pipeline"]["deploymentStatus"], "SUCCEEDED")

        out = aws(acct, "update-service-instance", "--service-name", name, "--name", "one",
                  "--deployment-type", "CURRENT_VERSION")
        self.assertEqual(out["serviceInstance"]["deploymentStatus"], "IN_PROGRESS")
        aws(acct, "wait", "service-instance-deployed", "--service-name", name, "--name", "one")

        aws(acct, "update-service", "--name", name, "--spec", spec(env, "one", "two"))
        aws(acct, "wait", "service-updated", "--name", name)
        aws(acct, "delete-service", "--name", name)
        aws(acct, "wait", "service-deleted", "--name", name)


if __name__ == "__main__":
    unittest.main()
