"""Shared helpers for the environment account connection end-to-end tests.

The tests talk to a running openproton (OPENPROTON_ENDPOINT) in the default
`open` auth mode, where a 12-digit access key id is the caller's account and
the signing region is the caller's region. Every test draws fresh accounts so
that tests never see each other's connections and can run again against the
same server.
"""

import concurrent.futures
import json
import os
import random
import re
import shutil
import subprocess
import threading
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError



def required_env(name):
    """The value of the environment variable name, which the Go test that
    runs the suite sets. A missing one fails the test that needs it: a suite
    must never skip, or test another server, because its harness left it out."""
    value = os.environ.get(name, "")
    if not value:
        raise RuntimeError("%s is not set; the Go end-to-end tests set it (see test/e2e)" % name)
    return value


ENDPOINT = required_env("OPENPROTON_ENDPOINT")
SECRET = "openproton-test-secret"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# HTTP status of each modelled exception (the Smithy model's codes).
STATUS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ServiceQuotaExceededException": 402,
}

_rand = random.Random()
_rand_lock = threading.Lock()
_used = set()


def fresh_account():
    """A random 12-digit account id not handed out before in this process."""
    with _rand_lock:
        while True:
            acct = str(_rand.randint(10**11, 10**12 - 1))
            if acct not in _used:
                _used.add(acct)
                return acct


def fresh_name(prefix="env"):
    return "%s-%08x" % (prefix, _rand.getrandbits(32))


def role_arn(account, name="proton-service-role"):
    return "arn:aws:iam::%s:role/%s" % (account, name)


_clients = {}
_clients_lock = threading.Lock()


def client(account, region=REGION, validate=True, endpoint=None):
    """A boto3 Proton client acting as account in region (cached)."""
    endpoint = endpoint or ENDPOINT
    key = (account, region, validate, endpoint)
    with _clients_lock:
        c = _clients.get(key)
        if c is None:
            c = boto3.session.Session().client(
                "proton",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id=account,
                aws_secret_access_key=SECRET,
                config=Config(
                    parameter_validation=validate,
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    connect_timeout=5,
                    read_timeout=30,
                ),
            )
            _clients[key] = c
        return c


def create(e, m, name=None, region=REGION, endpoint=None, **kw):
    """Creates a connection from e to m and returns it."""
    params = {"managementAccountId": m, "environmentName": name or fresh_name()}
    if "roleArn" not in kw and "codebuildRoleArn" not in kw:
        params["roleArn"] = role_arn(e)
    params.update(kw)
    resp = client(e, region, endpoint=endpoint).create_environment_account_connection(**params)
    return resp["environmentAccountConnection"]


def get(account, cid, region=REGION):
    return client(account, region).get_environment_account_connection(id=cid)["environmentAccountConnection"]


def list_all(account, requested_by, region=REGION, endpoint=None, **kw):
    """Every connection the account sees in one role, through the paginator."""
    pag = client(account, region, endpoint=endpoint).get_paginator("list_environment_account_connections")
    out = []
    for page in pag.paginate(requestedBy=requested_by, **kw):
        out.extend(page["environmentAccountConnections"])
    return out


def ids(conns):
    return [c["id"] for c in conns]


def ordered(conns):
    """The ids of conns in list order: requestedAt, then id."""
    return [c["id"] for c in sorted(conns, key=lambda c: (c["requestedAt"], c["id"]))]


def expect_error(tc, code, fn, *args, **kwargs):
    """Calls fn, asserting it fails with the modelled exception code and its
    HTTP status; returns the botocore ClientError."""
    try:
        resp = fn(*args, **kwargs)
    except ClientError as e:
        got = e.response.get("Error", {}).get("Code")
        status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        tc.assertEqual(got, code, "wrong error from %s: %s" % (getattr(fn, "__name__", fn), e))
        if code in STATUS:
            tc.assertEqual(status, STATUS[code], "HTTP status of %s" % code)
        tc.assertTrue(e.response["Error"].get("Message"), "error without a message")
        return e
    tc.fail("%s succeeded, expected %s: %r" % (getattr(fn, "__name__", fn), code, resp))


def pause():
    """Lets the server's millisecond clock move on, so that timestamp changes
    are observable."""
    time.sleep(0.01)


# --- AWS CLI -----------------------------------------------------------------

CLI_ERR_RE = re.compile(r"An error occurred \(([A-Za-z]+)\)(?: when calling the (\w+) operation)?(?: \([^)]*\))?: ?(.*)", re.S)


class CLIError(Exception):
    def __init__(self, code, message, rc, stderr):
        super().__init__("%s: %s" % (code, message))
        self.code, self.message, self.rc, self.stderr = code, message, rc, stderr


def base_cli_env(key_id, secret, region):
    """The environment of an AWS CLI run with these credentials and nothing
    of the caller's own AWS settings (variables, config and credential files,
    instance metadata)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": region,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    return env


def cli_env(account, region=REGION, endpoint=None):
    env = base_cli_env(account, SECRET, region)
    env.update({
        "AWS_REGION": region,
        "AWS_ENDPOINT_URL_PROTON": endpoint or ENDPOINT,
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
        "AWS_PAGER": "",
    })
    return env


def _aws_program():
    """The `aws` executable; a pyenv shim is resolved to the program it runs,
    which saves the shim's start-up on every call."""
    found = shutil.which("aws")
    if not found:
        raise RuntimeError("the AWS CLI (`aws`) is not on PATH")
    if "/shims/" in found:
        try:
            real = subprocess.run(["pyenv", "which", "aws"], capture_output=True, text=True, timeout=30).stdout.strip()
            if real and os.access(real, os.X_OK):
                return real
        except (OSError, subprocess.SubprocessError):
            pass
    return found


AWS = _aws_program()


def parallel(*thunks):
    """Runs independent calls at once and returns their results in order; the
    first failure is raised."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(t) for t in thunks]
        return [f.result() for f in futures]


def aws(account, *args, region=REGION, endpoint=None):
    """Runs `aws proton ARGS --output json` as account; returns the parsed
    output ({} for an empty one) or raises CLIError."""
    cmd = [AWS, "proton"] + [str(a) for a in args] + ["--output", "json",
                                                         "--endpoint-url", endpoint or ENDPOINT]
    p = subprocess.run(cmd, env=cli_env(account, region, endpoint), capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        m = CLI_ERR_RE.search(p.stderr)
        if not m:
            raise AssertionError("aws %s failed without a service error (rc %d): %s" % (" ".join(args), p.returncode, p.stderr))
        raise CLIError(m.group(1), m.group(3).strip(), p.returncode, p.stderr)
    out = p.stdout.strip()
    return json.loads(out) if out else {}


def cli_expect_error(tc, code, account, *args, **kw):
    try:
        out = aws(account, *args, **kw)
    except CLIError as e:
        tc.assertEqual(e.code, code, e.stderr)
        tc.assertTrue(e.message, "error without a message: %s" % e.stderr)
        return e
    tc.fail("aws proton %s succeeded, expected %s: %r" % (" ".join(map(str, args)), code, out))
