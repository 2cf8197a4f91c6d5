"""Helpers for the environment end-to-end tests.

Environments need a published environment template version. The tests make
their own bundles: a bundle is written to the server's bundle directory (see
bundlehelp), then registered and published through the API, as a user would
with S3.
"""

import time
import uuid

from bundlehelp import CFN_MANIFEST, tar_gz, write_dir
from connhelp import client, fresh_name

BUCKET = "openproton-test-bundles"

SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvInput"
  types:
    EnvInput:
      type: object
      description: "Inputs of a test environment"
      properties:
        vpc_cidr:
          type: string
          default: "10.0.0.0/16"
          pattern: "^[0-9./]+$"
        subnet_count:
          type: number
          default: 2
          minimum: 1
          maximum: 6
        tier:
          type: string
          enum: ["dev", "prod"]
        owner:
          type: string
          minLength: 2
          maxLength: 20
      required:
        - owner
"""

CFN = """AWSTemplateFormatVersion: '2010-09-09'
Description: Test environment {{ environment.name }}
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: '{{ environment.inputs.vpc_cidr }}'
Outputs:
  VpcCidr:
    Value: '{{ environment.inputs.vpc_cidr }}'
  Owner:
    Value: '{{ environment.inputs.owner }}'
  SubnetCount:
    Value: '{{ environment.inputs.subnet_count }}'
  VpcId:
    Value: !Ref VPC
"""

TF_MANIFEST = """infrastructure:
  templates:
    - file: "*"
      rendering_engine: hcl
      template_language: terraform
"""

TF = """resource "aws_vpc" "main" {
  cidr_block = var.environment.inputs.vpc_cidr
}
output "vpc_id" {
  value = aws_vpc.main.id
}
"""

CM_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "CustomerManagedInput"
  types:
    CustomerManagedInput:
      type: object
      properties:
        vpc_id:
          type: string
        cluster_name:
          type: string
      required: [vpc_id]
"""


def cfn_bundle(schema=SCHEMA, template=CFN):
    return {"schema/schema.yaml": schema, "infrastructure/manifest.yaml": CFN_MANIFEST,
            "infrastructure/cloudformation.yaml": template}


def tf_bundle(schema=SCHEMA):
    return {"schema/schema.yaml": schema, "infrastructure/manifest.yaml": TF_MANIFEST,
            "infrastructure/main.tf": TF}


def put_bundle(files):
    """Writes a bundle of files {path: text} and returns its S3 source."""
    return write_dir(tar_gz(files), BUCKET, "bundles/%s.tar.gz" % uuid.uuid4())


def register(account, template, files, major=None, publish=True, endpoint=None):
    """Registers a version of template from files, waits for it and publishes
    it; returns (major, minor)."""
    c = client(account, endpoint=endpoint)
    params = {"templateName": template, "source": put_bundle(files)}
    if major is not None:
        params["majorVersion"] = major
    v = c.create_environment_template_version(**params)["environmentTemplateVersion"]
    c.get_waiter("environment_template_version_registered").wait(
        templateName=template, majorVersion=v["majorVersion"], minorVersion=v["minorVersion"],
        WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if publish:
        c.update_environment_template_version(templateName=template, majorVersion=v["majorVersion"],
                                              minorVersion=v["minorVersion"], status="PUBLISHED")
    return v["majorVersion"], v["minorVersion"]


def template(account, files=None, provisioning=None, publish=True, endpoint=None):
    """Creates an environment template with one version (1.0) from files
    (a CloudFormation bundle by default); returns its name."""
    name = fresh_name("tpl")
    params = {"name": name}
    if provisioning:
        params["provisioning"] = provisioning
    client(account, endpoint=endpoint).create_environment_template(**params)
    register(account, name, files if files is not None else cfn_bundle(), publish=publish, endpoint=endpoint)
    return name


def spec(**inputs):
    """A YAML environment spec with the given inputs (owner defaults to a
    valid value)."""
    inputs.setdefault("owner", "team-a")
    lines = ["proton: EnvironmentSpec", "spec:"]
    for k, v in inputs.items():
        lines.append("  %s: %s" % (k, v if not isinstance(v, str) else '"%s"' % v))
    return "\n".join(lines) + "\n"


def wait_deployed(account, name, delay=1, attempts=60):
    client(account).get_waiter("environment_deployed").wait(
        name=name, WaiterConfig={"Delay": delay, "MaxAttempts": attempts})
    return client(account).get_environment(name=name)["environment"]


def wait_status(account, name, statuses, timeout=60):
    """Polls until the environment's status is one of statuses; returns it."""
    deadline = time.time() + timeout
    while True:
        env = client(account).get_environment(name=name)["environment"]
        if env["deploymentStatus"] in statuses:
            return env
        if time.time() > deadline:
            raise AssertionError("environment %s stayed %s" % (name, env["deploymentStatus"]))
        time.sleep(0.2)


def wait_gone(account, name, timeout=60):
    deadline = time.time() + timeout
    while True:
        try:
            env = client(account).get_environment(name=name)["environment"]
        except client(account).exceptions.ResourceNotFoundException:
            return
        if time.time() > deadline:
            raise AssertionError("environment %s still exists: %s" % (name, env["deploymentStatus"]))
        time.sleep(0.2)


def outputs(account, name, **kw):
    out = client(account).list_environment_outputs(environmentName=name, **kw)["outputs"]
    return {o["key"]: o["valueString"] for o in out}
