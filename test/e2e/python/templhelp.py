"""Shared helpers for the template end-to-end tests.

Environment (set by test/e2e/templates_test.go):
  OPENPROTON_ENDPOINT       a server that fetches bundles from S3
  OPENPROTON_S3_ENDPOINT    that S3 (moto_server), with the credentials in
                            OPENPROTON_S3_ACCESS_KEY_ID / _SECRET_ACCESS_KEY
  OPENPROTON_DIR_ENDPOINT   a server started with --bundle-dir
                            OPENPROTON_BUNDLE_DIR
  OPENPROTON_QUOTA_ENDPOINT optional: a server on the same directory with
                            OPENPROTON_TEMPLATE_QUOTA templates per account
                            and OPENPROTON_VERSION_QUOTA versions per template

Every test draws a fresh account, so tests never see each other's templates.
Bundles are built with bundlehelp.
"""

import os
import random
import subprocess
import time

import boto3
from botocore.config import Config

import connhelp as h
from bundlehelp import CFN_MANIFEST, tar_gz, write_dir

S3_ENDPOINT = os.environ.get("OPENPROTON_S3_ENDPOINT", "")
DIR_ENDPOINT = os.environ.get("OPENPROTON_DIR_ENDPOINT", "")
QUOTA_ENDPOINT = os.environ.get("OPENPROTON_QUOTA_ENDPOINT", "")
VERSION_QUOTA = int(os.environ.get("OPENPROTON_VERSION_QUOTA", "500"))
TEMPLATE_QUOTA = int(os.environ.get("OPENPROTON_TEMPLATE_QUOTA", "100"))
S3_KEY = os.environ.get("OPENPROTON_S3_ACCESS_KEY_ID", "")
S3_SECRET = os.environ.get("OPENPROTON_S3_SECRET_ACCESS_KEY", "")

ENV_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  environment_input_type: "EnvInput"
  types:
    EnvInput:
      type: object
      description: "Inputs of the environment"
      properties:
        vpc_cidr:
          type: string
          default: "10.0.0.0/16"
          pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]+$'
%s"""

SIZE_INPUT = """        size:
          type: string
          enum: ["small", "large"]
          default: "small"
"""

SVC_SCHEMA = """schema:
  format:
    openapi: "3.0.0"
  service_input_type: "SvcInput"
%s  types:
    SvcInput:
      type: object
      properties:
        port:
          type: integer
          default: 80
          minimum: 1
          maximum: 65535
%s"""

PIPELINE_TYPE = """    PipeInput:
      type: object
      properties:
        branch:
          type: string
          default: main
"""

ENV_CFN = """AWSTemplateFormatVersion: '2010-09-09'
Resources:
  VPC:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: '{{ environment.inputs.vpc_cidr }}'
Outputs:
  VpcId:
    Value: !Ref VPC
"""

SVC_CFN = """Resources:
  Service:
    Type: AWS::ECS::Service
    Properties:
      ServiceName: '{{ service.name }}-{{ service_instance.name }}'
"""


def env_files(extra_inputs=""):
    return [("schema/schema.yaml", ENV_SCHEMA % extra_inputs),
            ("infrastructure/manifest.yaml", CFN_MANIFEST),
            ("infrastructure/cloudformation.yaml", ENV_CFN)]


def env_bundle(extra_inputs=""):
    return tar_gz(env_files(extra_inputs))


def svc_bundle(pipeline=True):
    files = [("schema/schema.yaml", SVC_SCHEMA % ('  pipeline_input_type: "PipeInput"\n' if pipeline else "",
                                                PIPELINE_TYPE if pipeline else "")),
             ("instance_infrastructure/manifest.yaml", CFN_MANIFEST),
             ("instance_infrastructure/cloudformation.yaml", SVC_CFN)]
    if pipeline:
        files += [("pipeline_infrastructure/manifest.yaml", CFN_MANIFEST),
                  ("pipeline_infrastructure/cloudformation.yaml", "Resources: {}\n")]
    return tar_gz(files)


_rand = random.Random()


def fresh_bucket():
    return "openproton-%08x" % _rand.getrandbits(32)


_s3 = None


def s3():
    global _s3
    if _s3 is None:
        _s3 = boto3.session.Session().client(
            "s3", endpoint_url=S3_ENDPOINT, region_name="us-east-1",
            aws_access_key_id=S3_KEY, aws_secret_access_key=S3_SECRET,
            config=Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 2}))
    return _s3


def upload(data, key="bundle.tar.gz"):
    """Puts data in a fresh S3 bucket; returns the source member of a create."""
    bucket = fresh_bucket()
    s3().create_bucket(Bucket=bucket)
    s3().put_object(Bucket=bucket, Key=key, Body=data)
    return {"s3": {"bucket": bucket, "key": key}}


def put_dir(data, key="bundles/env.tar.gz"):
    """Writes data where the --bundle-dir server reads s3://bucket/key, in a
    fresh bucket."""
    return write_dir(data, fresh_bucket(), key)


def client(account, endpoint=None, validate=True):
    return h.client(account, endpoint=endpoint, validate=validate)


def dir_client(account, validate=True):
    return h.client(account, endpoint=DIR_ENDPOINT, validate=validate)


def version_of(kind, resp):
    return resp["environmentTemplateVersion" if kind == "environment" else "serviceTemplateVersion"]


def get_version(c, kind, name, major, minor):
    if kind == "environment":
        return c.get_environment_template_version(templateName=name, majorVersion=major, minorVersion=minor)["environmentTemplateVersion"]
    return c.get_service_template_version(templateName=name, majorVersion=major, minorVersion=minor)["serviceTemplateVersion"]


def wait_registered(c, kind, name, major, minor):
    """Waits with the SDK's waiter (polling faster than its 2 s default) and
    returns the version."""
    waiter = c.get_waiter("%s_template_version_registered" % kind)
    waiter.wait(templateName=name, majorVersion=major, minorVersion=minor, WaiterConfig={"Delay": 0.2, "MaxAttempts": 300})
    return get_version(c, kind, name, major, minor)


def wait_settled(c, kind, name, major, minor, timeout=60):
    """Polls until the version leaves REGISTRATION_IN_PROGRESS; returns it."""
    deadline = time.time() + timeout
    while True:
        v = get_version(c, kind, name, major, minor)
        if v["status"] != "REGISTRATION_IN_PROGRESS":
            return v
        if time.time() > deadline:
            raise AssertionError("version %s %s.%s still registering after %ss" % (name, major, minor, timeout))
        time.sleep(0.1)


def create_env_template(c, name=None, **kw):
    name = name or h.fresh_name("env")
    return c.create_environment_template(name=name, **kw)["environmentTemplate"]


def registered_env_version(c, name, source, **kw):
    """Creates an environment template version and waits until it is DRAFT."""
    v = c.create_environment_template_version(templateName=name, source=source, **kw)["environmentTemplateVersion"]
    return wait_registered(c, "environment", name, v["majorVersion"], v["minorVersion"])


def published_env_template(c, source):
    """A new environment template with version 1.0 published; its name."""
    name = create_env_template(c)["name"]
    registered_env_version(c, name, source)
    c.update_environment_template_version(templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED")
    return name


# --- AWS CLI -----------------------------------------------------------------


def s3_cli(*args):
    """Runs `aws s3 ...` against moto_server."""
    env = h.base_cli_env(S3_KEY, S3_SECRET, "us-east-1")
    p = subprocess.run([h.AWS, "s3"] + list(args) + ["--endpoint-url", S3_ENDPOINT], env=env, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise AssertionError("aws s3 %s failed (rc %d): %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def proton_wait(account, *args, endpoint=None):
    """Runs `aws proton wait ARGS`; returns (exit code, stderr)."""
    cmd = [h.AWS, "proton", "wait"] + list(args) + ["--endpoint-url", endpoint or h.ENDPOINT]
    p = subprocess.run(cmd, env=h.cli_env(account, endpoint=endpoint), capture_output=True, text=True, timeout=400)
    return p.returncode, p.stderr
