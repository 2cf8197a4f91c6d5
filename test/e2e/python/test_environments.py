"""End-to-end tests of environments and their deployments through boto3 and
the AWS CLI, against a running openproton (OPENPROTON_ENDPOINT) whose
provisioner is the emulating engine with a short delay, and a second server
(OPENPROTON_SLOW_ENDPOINT) whose deployments take OPENPROTON_SLOW_DELAY
seconds and whose environment quota is OPENPROTON_SLOW_QUOTA.
"""

import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as c  # noqa: E402
import envhelp as h  # noqa: E402
from connhelp import aws, client, expect_error, fresh_account, fresh_name, role_arn  # noqa: E402

SLOW = os.environ.get("OPENPROTON_SLOW_ENDPOINT", "")
SLOW_DELAY = float(os.environ.get("OPENPROTON_SLOW_DELAY", "4"))
SLOW_QUOTA = int(os.environ.get("OPENPROTON_SLOW_QUOTA", "3"))
REPO = {"provider": "GITHUB", "name": "example-org/env-repo", "branch": "main"}


def create_env(account, tpl, name=None, endpoint=None, **kw):
    params = {"name": name or fresh_name("env"), "templateName": tpl, "templateMajorVersion": "1",
              "spec": h.spec()}
    if "provisioningRepository" not in kw and "environmentAccountConnectionId" not in kw:
        params["protonServiceRoleArn"] = role_arn(account)
    params.update(kw)
    return client(account, endpoint=endpoint).create_environment(**params)["environment"]


class CrossAccount(unittest.TestCase):
    """The story of an environment provisioned through a connection."""

    def test_environment_account_connection_story(self):
        e_acct, m_acct = fresh_account(), fresh_account()
        m, e = client(m_acct), client(e_acct)
        name = fresh_name("env")
        tpl = h.template(m_acct)

        first = c.create(e_acct, m_acct, name=name)
        m.accept_environment_account_connection(id=first["id"])
        env = create_env(m_acct, tpl, name=name, environmentAccountConnectionId=first["id"])
        self.assertEqual(env["environmentAccountId"], e_acct)
        self.assertEqual(env["environmentAccountConnectionId"], first["id"])
        self.assertEqual(env["arn"], "arn:aws:proton:us-east-1:%s:environment/%s" % (m_acct, name))
        self.assertEqual(env["deploymentStatus"], "IN_PROGRESS")
        self.assertNotIn("protonServiceRoleArn", env)
        # The SDK's own waiter, with its own 5 s delay: the deployment must
        # have ended by its first re-poll.
        started = time.time()
        m.get_waiter("environment_deployed").wait(name=name)
        self.assertLess(time.time() - started, 12, "the waiter needed more than one re-poll")
        self.assertEqual(h.outputs(m_acct, name)["VpcCidr"], "10.0.0.0/16")

        err = expect_error(self, "ConflictException", m.reject_environment_account_connection, id=first["id"])
        self.assertIn(name, err.response["Error"]["Message"])
        self.assertEqual(c.get(m_acct, first["id"])["status"], "CONNECTED")
        # The environment account does not see the environment.
        expect_error(self, "ResourceNotFoundException", e.get_environment, name=name)

        e.delete_environment_account_connection(id=first["id"])
        env = m.get_environment(name=name)["environment"]
        self.assertEqual(env["environmentAccountConnectionId"], first["id"])
        self.assertEqual(env["environmentAccountId"], e_acct)
        err = expect_error(self, "ConflictException", m.update_environment, name=name, deploymentType="CURRENT_VERSION")
        self.assertIn("deleted", err.response["Error"]["Message"])
        expect_error(self, "ConflictException", m.delete_environment, name=name)
        self.assertEqual(len(m.list_deployments(environmentName=name)["deployments"]), 1, "a refused deployment was recorded")

        # Only a CONNECTED connection of the same environment account and
        # environment name can take over.
        other = fresh_account()
        foreign = c.create(other, m_acct, name=name)
        m.accept_environment_account_connection(id=foreign["id"])
        expect_error(self, "ValidationException", m.update_environment, name=name, deploymentType="NONE",
                     environmentAccountConnectionId=foreign["id"])
        second = c.create(e_acct, m_acct, name=name)
        expect_error(self, "ConflictException", m.update_environment, name=name, deploymentType="CURRENT_VERSION",
                     environmentAccountConnectionId=second["id"])
        m.accept_environment_account_connection(id=second["id"])
        env = m.update_environment(name=name, deploymentType="CURRENT_VERSION",
                                   environmentAccountConnectionId=second["id"])["environment"]
        self.assertEqual(env["environmentAccountConnectionId"], second["id"])
        self.assertEqual(env["deploymentStatus"], "IN_PROGRESS")
        m.get_waiter("environment_deployed").wait(name=name)
        deps = m.list_deployments(environmentName=name)["deployments"]
        self.assertEqual([d["deploymentStatus"] for d in deps], ["SUCCEEDED", "SUCCEEDED"])
        self.assertEqual(deps[0]["id"], env["lastAttemptedDeploymentId"], "newest first")
        expect_error(self, "ConflictException", m.reject_environment_account_connection, id=second["id"])
        # The old connection is free: it can be rejected... it is gone; the
        # foreign one is not in use and can be.
        m.reject_environment_account_connection(id=foreign["id"])

        m.delete_environment(name=name)
        h.wait_gone(m_acct, name)
        m.reject_environment_account_connection(id=second["id"])


class SelfManaged(unittest.TestCase):
    """Terraform templates: the customer's automation reports results."""

    def test_notify_with_the_cli_shape_of_the_github_actions(self):
        acct = fresh_account()
        m = client(acct)
        tpl = h.template(acct, h.tf_bundle())
        name = fresh_name("tf")
        env = create_env(acct, tpl, name=name, provisioningRepository=REPO)
        self.assertEqual(env["provisioning"], "CUSTOMER_MANAGED")
        self.assertEqual(env["provisioningRepository"]["arn"],
                         "arn:aws:proton:us-east-1:%s:repository/github:example-org/env-repo" % acct)
        time.sleep(2.5)
        self.assertEqual(m.get_environment(name=name)["environment"]["deploymentStatus"], "IN_PROGRESS")
        self.assertEqual(h.outputs(acct, name), {})
        aws(acct, "notify-resource-deployment-status-change", "--resource-arn", env["arn"],
            "--status", "SUCCEEDED", "--outputs", '[{"key":"vpc","valueString":"v-1"}]')
        env = m.get_environment(name=name)["environment"]
        self.assertEqual(env["deploymentStatus"], "SUCCEEDED")
        self.assertEqual(env["lastSucceededDeploymentId"], env["lastAttemptedDeploymentId"])
        out = aws(acct, "list-environment-outputs", "--environment-name", name)
        self.assertEqual(out["outputs"], [{"key": "vpc", "valueString": "v-1"}])
        # A repeated notification is harmless; a contradicting one is not.
        aws(acct, "notify-resource-deployment-status-change", "--resource-arn", env["arn"], "--status", "SUCCEEDED")
        c.cli_expect_error(self, "ConflictException", acct, "notify-resource-deployment-status-change",
                           "--resource-arn", env["arn"], "--status", "FAILED")

        # An update: outputs reported while in progress, then a failure.
        first = env["lastAttemptedDeploymentId"]
        env = m.update_environment(name=name, deploymentType="CURRENT_VERSION", spec=h.spec(tier="prod"))["environment"]
        dep = env["lastAttemptedDeploymentId"]
        m.notify_resource_deployment_status_change(resourceArn=env["arn"], status="IN_PROGRESS", deploymentId=dep,
                                                   outputs=[{"key": "vpc", "valueString": "v-2"}])
        m.notify_resource_deployment_status_change(resourceArn=env["arn"], status="FAILED", deploymentId=dep,
                                                   statusMessage="terraform apply failed")
        env = m.get_environment(name=name)["environment"]
        self.assertEqual(env["deploymentStatus"], "FAILED")
        self.assertEqual(env["deploymentStatusMessage"], "terraform apply failed")
        self.assertEqual(h.outputs(acct, name), {"vpc": "v-1"}, "outputs of the last succeeded deployment")
        self.assertEqual(h.outputs(acct, name, deploymentId=dep), {"vpc": "v-2"})
        self.assertEqual(env["lastSucceededDeploymentId"], first)

        # A cancelled update: there is no pull request to close, so it ends
        # CANCELLED and the environment shows what it ran before.
        env = m.update_environment(name=name, deploymentType="CURRENT_VERSION", spec=h.spec(tier="dev"))["environment"]
        self.assertIn('"dev"', env["spec"])
        m.cancel_environment_deployment(environmentName=name)
        env = h.wait_status(acct, name, ["CANCELLED"])
        self.assertEqual(env["deploymentStatusMessage"], "User initiated cancellation.")
        self.assertIn('"prod"', env["spec"])

        m.delete_environment(name=name)
        self.assertEqual(m.get_environment(name=name)["environment"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        m.notify_resource_deployment_status_change(resourceArn=env["arn"], status="SUCCEEDED")
        expect_error(self, "ResourceNotFoundException", m.get_environment, name=name)
        self.assertNotIn("environment", m.delete_environment(name=name))


class Lifecycle(unittest.TestCase):
    """AWS-managed environments through their lifecycle."""

    def test_updates_deployments_and_delete(self):
        acct = fresh_account()
        m = client(acct)
        tpl = h.template(acct)
        name = fresh_name("env")
        create_env(acct, tpl, name=name, spec=h.spec(owner="ops", subnet_count=3), tags=[{"key": "team", "value": "a"}])
        env = h.wait_deployed(acct, name)
        # VpcId is !Ref VPC: the emulating engine names what it stands for.
        self.assertEqual(h.outputs(acct, name), {"Owner": "ops", "SubnetCount": "3", "VpcCidr": "10.0.0.0/16",
                                                 "VpcId": "emulated:VPC.Ref"})
        first = env["lastAttemptedDeploymentId"]

        # CURRENT_VAL keeps a value; the spec is returned exactly as sent.
        new_spec = 'proton: EnvironmentSpec\nspec:\n  owner: "${Proton::CURRENT_VAL}"\n  vpc_cidr: "10.1.0.0/16"\n'
        env = m.update_environment(name=name, deploymentType="CURRENT_VERSION", spec=new_spec)["environment"]
        self.assertEqual(env["spec"], new_spec)
        h.wait_deployed(acct, name)
        self.assertEqual(h.outputs(acct, name)["Owner"], "ops")
        self.assertEqual(h.outputs(acct, name)["VpcCidr"], "10.1.0.0/16")
        self.assertEqual(m.get_environment(name=name)["environment"]["spec"], new_spec)

        # MINOR_VERSION to the recommended minor, then MAJOR_VERSION.
        h.register(acct, tpl, h.cfn_bundle(), major="1")
        env = m.update_environment(name=name, deploymentType="MINOR_VERSION")["environment"]
        self.assertEqual((env["templateMajorVersion"], env["templateMinorVersion"]), ("1", "1"))
        h.wait_deployed(acct, name)
        h.register(acct, tpl, h.cfn_bundle())
        env = m.update_environment(name=name, deploymentType="MAJOR_VERSION")["environment"]
        self.assertEqual((env["templateMajorVersion"], env["templateMinorVersion"]), ("2", "0"))
        env = h.wait_deployed(acct, name)
        expect_error(self, "ValidationException", m.update_environment, name=name, deploymentType="MAJOR_VERSION",
                     templateMajorVersion="1")
        expect_error(self, "ValidationException", m.update_environment, name=name, deploymentType="MINOR_VERSION",
                     templateMajorVersion="1")
        listed = m.list_environments(environmentTemplates=[{"templateName": tpl, "majorVersion": "2"}])["environments"]
        self.assertEqual([e["name"] for e in listed], [name])
        self.assertEqual(m.list_environments(environmentTemplates=[{"templateName": tpl, "majorVersion": "1"}])["environments"], [])

        # History: newest first, with initial and target states.
        deps = m.list_deployments(environmentName=name)["deployments"]
        self.assertEqual(len(deps), 4)
        self.assertEqual(deps[-1]["id"], first)
        self.assertEqual(deps[0]["id"], env["lastAttemptedDeploymentId"])
        d = m.get_deployment(id=deps[0]["id"], environmentName=name)["deployment"]
        self.assertEqual(d["initialState"]["environment"]["templateMajorVersion"], "1")
        self.assertEqual(d["targetState"]["environment"]["templateMajorVersion"], "2")
        self.assertEqual(d["targetResourceType"], "ENVIRONMENT")
        self.assertEqual(d["lastAttemptedDeploymentId"], deps[1]["id"])
        d0 = m.get_deployment(id=first)["deployment"]
        self.assertNotIn("initialState", d0)
        expect_error(self, "ResourceNotFoundException", m.get_deployment, id=first, environmentName="other")
        expect_error(self, "ResourceNotFoundException", client(fresh_account()).get_deployment, id=first)
        pages = list(m.get_paginator("list_deployments").paginate(environmentName=name, PaginationConfig={"PageSize": 1}))
        self.assertEqual([p["deployments"][0]["id"] for p in pages], [x["id"] for x in deps])
        expect_error(self, "ConflictException", m.delete_deployment, id=deps[0]["id"])
        m.delete_deployment(id=first)
        expect_error(self, "ResourceNotFoundException", m.get_deployment, id=first)

        # Tags of the environment ARN.
        arn = env["arn"]
        m.tag_resource(resourceArn=arn, tags=[{"key": "cost", "value": "1"}])
        tags = {t["key"]: t["value"] for t in m.list_tags_for_resource(resourceArn=arn)["tags"]}
        self.assertEqual(tags, {"team": "a", "cost": "1"})
        expect_error(self, "ResourceNotFoundException", client(fresh_account()).list_tags_for_resource, resourceArn=arn)

        counts = m.get_resources_summary()["counts"]
        self.assertEqual(counts["environments"]["total"], 1)
        self.assertEqual(counts["environmentTemplates"]["total"], 1)
        self.assertEqual(counts["services"]["total"], 0)

        env = m.delete_environment(name=name)["environment"]
        self.assertEqual(env["deploymentStatus"], "DELETE_IN_PROGRESS")
        self.assertEqual(m.delete_environment(name=name)["environment"]["deploymentStatus"], "DELETE_IN_PROGRESS")
        h.wait_gone(acct, name)
        self.assertNotIn("environment", m.delete_environment(name=name))
        expect_error(self, "ResourceNotFoundException", m.list_tags_for_resource, resourceArn=arn)
        expect_error(self, "ResourceNotFoundException", m.delete_environment, name=fresh_name("never"))
        # The name can be used again.
        create_env(acct, tpl, name=name)
        h.wait_deployed(acct, name)
        self.assertEqual(len(m.list_deployments(environmentName=name)["deployments"]), 1)

    def test_customer_managed_outputs_come_from_the_spec(self):
        acct = fresh_account()
        tpl = h.template(acct, {"schema/schema.yaml": h.CM_SCHEMA}, provisioning="CUSTOMER_MANAGED")
        name = fresh_name("cm")
        env = client(acct).create_environment(name=name, templateName=tpl, templateMajorVersion="1",
                                              spec='proton: EnvironmentSpec\nspec:\n  vpc_id: "vpc-123"\n')["environment"]
        self.assertEqual(env["provisioning"], "CUSTOMER_MANAGED")
        h.wait_deployed(acct, name)
        self.assertEqual(h.outputs(acct, name), {"vpc_id": "vpc-123"})
        self.assertEqual(client(acct).list_environment_provisioned_resources(environmentName=name)["provisionedResources"], [])

    def test_idempotent_create_by_name(self):
        acct = fresh_account()
        m = client(acct)
        tpl = h.template(acct)
        name = fresh_name("env")
        env = create_env(acct, tpl, name=name)
        again = create_env(acct, tpl, name=name)
        self.assertEqual(again["lastAttemptedDeploymentId"], env["lastAttemptedDeploymentId"])
        err = expect_error(self, "ValidationException", create_env, acct, tpl, name=name, spec=h.spec(tier="prod"))
        self.assertIn("Idempotent parameter mismatch", err.response["Error"]["Message"])
        h.wait_deployed(acct, name)
        m.update_environment(name=name, deploymentType="NONE", description="changed")
        expect_error(self, "ConflictException", create_env, acct, tpl, name=name)
        self.assertEqual(len(m.list_deployments(environmentName=name)["deployments"]), 1)

    def test_account_settings(self):
        acct = fresh_account()
        m = client(acct)
        self.assertEqual(m.get_account_settings()["accountSettings"], {})
        s = m.update_account_settings(pipelineServiceRoleArn=role_arn(acct, "pipe"),
                                      pipelineProvisioningRepository=REPO)["accountSettings"]
        self.assertEqual(s["pipelineServiceRoleArn"], role_arn(acct, "pipe"))
        self.assertEqual(s["pipelineProvisioningRepository"]["arn"],
                         "arn:aws:proton:us-east-1:%s:repository/github:example-org/env-repo" % acct)
        s = m.update_account_settings(pipelineCodebuildRoleArn=role_arn(acct, "cb"))["accountSettings"]
        self.assertEqual(set(s), {"pipelineServiceRoleArn", "pipelineCodebuildRoleArn", "pipelineProvisioningRepository"})
        expect_error(self, "ValidationException", m.update_account_settings, pipelineProvisioningRepository=REPO,
                     deletePipelineProvisioningRepository=True)
        s = m.update_account_settings(pipelineServiceRoleArn="", deletePipelineProvisioningRepository=True)["accountSettings"]
        self.assertEqual(s, {"pipelineCodebuildRoleArn": role_arn(acct, "cb")})
        self.assertEqual(m.get_account_settings()["accountSettings"], s)
        self.assertEqual(client(fresh_account()).get_account_settings()["accountSettings"], {})


class InvalidInput(unittest.TestCase):
    """Every bad request gets its modelled error and changes nothing."""

    @classmethod
    def setUpClass(cls):
        cls.acct = fresh_account()
        cls.m = client(cls.acct)
        cls.tpl = h.template(cls.acct)
        h.register(cls.acct, cls.tpl, h.cfn_bundle(), major="1", publish=False)  # 1.1 stays DRAFT
        cls.name = fresh_name("env")
        create_env(cls.acct, cls.tpl, name=cls.name)
        h.wait_deployed(cls.acct, cls.name)

    def unchanged(self):
        env = self.m.get_environment(name=self.name)["environment"]
        self.assertEqual(env["deploymentStatus"], "SUCCEEDED")
        self.assertEqual(len(self.m.list_deployments(environmentName=self.name)["deployments"]), 1)
        return env

    def test_invalid_specs_name_each_input(self):
        cases = [
            ("proton: EnvironmentSpec\nspec:\n  tier: \"dev\"\n", "owner"),
            (h.spec(tier="staging"), "tier"),
            (h.spec(vpc_cidr="ten.zero"), "vpc_cidr"),
            (h.spec(subnet_count=9), "subnet_count"),
            (h.spec(subnet_count=0), "subnet_count"),
            (h.spec(owner="x"), "owner"),
            (h.spec(subnet_count="many"), "subnet_count"),
            ("proton: ServiceSpec\nspec:\n  owner: ab\n", "EnvironmentSpec"),
            ("{not yaml", ""),
        ]
        for spec, word in cases:
            with self.subTest(spec=spec):
                name = fresh_name("bad")
                err = expect_error(self, "ValidationException", create_env, self.acct, self.tpl, name=name, spec=spec)
                self.assertIn(word, err.response["Error"]["Message"])
                expect_error(self, "ResourceNotFoundException", self.m.get_environment, name=name)
        err = expect_error(self, "ValidationException", self.m.update_environment, name=self.name,
                           deploymentType="CURRENT_VERSION", spec=h.spec(tier="staging", owner="x"))
        self.assertIn("tier", err.response["Error"]["Message"])
        self.assertIn("owner", err.response["Error"]["Message"])
        self.unchanged()

    def test_templates_and_versions(self):
        expect_error(self, "ResourceNotFoundException", create_env, self.acct, fresh_name("nosuch"))
        expect_error(self, "ResourceNotFoundException", create_env, self.acct, self.tpl, templateMajorVersion="9")
        err = expect_error(self, "ValidationException", create_env, self.acct, self.tpl, templateMinorVersion="1")
        self.assertIn("1.1", err.response["Error"]["Message"])
        expect_error(self, "ResourceNotFoundException", create_env, self.acct, self.tpl, templateMinorVersion="7")
        # Another account's template is not visible.
        expect_error(self, "ResourceNotFoundException", create_env, fresh_account(), self.tpl)
        self.assertEqual(len(self.m.list_environments()["environments"]), 1)

    def test_provisioning_rules(self):
        other = fresh_account()
        conn = c.create(other, self.acct, name="conn-env")
        cases = [
            dict(protonServiceRoleArn=None),  # no role at all
            dict(provisioningRepository=REPO),
            dict(provisioningRepository=REPO, protonServiceRoleArn=role_arn(self.acct)),
            dict(environmentAccountConnectionId=conn["id"], protonServiceRoleArn=role_arn(self.acct)),
        ]
        for kw in cases:
            with self.subTest(kw=kw):
                params = {"name": fresh_name("bad"), "templateName": self.tpl, "templateMajorVersion": "1", "spec": h.spec()}
                params.update({k: v for k, v in kw.items() if v is not None})
                expect_error(self, "ValidationException", self.m.create_environment, **params)
        tf = h.template(self.acct, h.tf_bundle())
        expect_error(self, "ValidationException", create_env, self.acct, tf)
        # Connection checks: PENDING, another environment name, another
        # management account.
        expect_error(self, "ConflictException", create_env, self.acct, self.tpl, name="conn-env",
                     environmentAccountConnectionId=conn["id"])
        self.m.accept_environment_account_connection(id=conn["id"])
        expect_error(self, "ValidationException", create_env, self.acct, self.tpl, name="other-env",
                     environmentAccountConnectionId=conn["id"])
        stranger = fresh_account()
        expect_error(self, "ResourceNotFoundException", create_env, stranger, h.template(stranger), name="conn-env",
                     environmentAccountConnectionId=conn["id"])
        self.assertEqual(len(self.m.list_environments()["environments"]), 1)
        # Rules of UpdateEnvironment on an environment with a service role.
        expect_error(self, "ValidationException", self.m.update_environment, name=self.name, deploymentType="NONE",
                     environmentAccountConnectionId=conn["id"])
        expect_error(self, "ValidationException", self.m.update_environment, name=self.name, deploymentType="NONE",
                     provisioningRepository=REPO)
        self.unchanged()

    def test_deployment_types(self):
        m, n = self.m, self.name
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="CURRENT_VERSION",
                     templateMajorVersion="1")
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="NONE", spec=h.spec())
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="MINOR_VERSION",
                     templateMajorVersion="2")
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="MINOR_VERSION",
                     templateMinorVersion="1")  # 1.1 is a draft
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="MAJOR_VERSION")
        expect_error(self, "ValidationException", m.update_environment, name=n, deploymentType="MAJOR_VERSION",
                     templateMajorVersion="1")
        expect_error(self, "ValidationException", client(self.acct, validate=False).update_environment,
                     name=n, deploymentType="SIDEWAYS")
        expect_error(self, "ResourceNotFoundException", m.update_environment, name=fresh_name("nosuch"),
                     deploymentType="NONE")
        self.unchanged()

    def test_illegal_transitions_and_lookups(self):
        m, n = self.m, self.name
        expect_error(self, "ConflictException", m.cancel_environment_deployment, environmentName=n)
        expect_error(self, "ResourceNotFoundException", m.cancel_environment_deployment, environmentName=fresh_name("x"))
        env = self.unchanged()
        expect_error(self, "ConflictException", m.notify_resource_deployment_status_change,
                     resourceArn=env["arn"], status="SUCCEEDED")
        expect_error(self, "ResourceNotFoundException", m.notify_resource_deployment_status_change,
                     resourceArn=env["arn"].replace(n, fresh_name("x")), status="SUCCEEDED")
        expect_error(self, "ResourceNotFoundException", client(fresh_account()).notify_resource_deployment_status_change,
                     resourceArn=env["arn"], status="SUCCEEDED")
        expect_error(self, "ResourceNotFoundException", m.list_environment_outputs, environmentName=fresh_name("x"))
        expect_error(self, "ResourceNotFoundException", m.list_environment_outputs, environmentName=n,
                     deploymentId="00000000-0000-4000-8000-000000000000")
        expect_error(self, "ValidationException", m.list_environment_outputs, environmentName=n, nextToken="abc")
        expect_error(self, "ResourceNotFoundException", m.list_deployments, serviceName="svc")
        expect_error(self, "ValidationException", m.list_deployments, nextToken="bm90LWEtdG9rZW4=")
        expect_error(self, "ValidationException", m.get_deployment, id="not-a-uuid")
        expect_error(self, "ConflictException", m.delete_deployment, id=env["lastAttemptedDeploymentId"])
        self.unchanged()


class SlowDeployments(unittest.TestCase):
    """Rules that need a deployment to stay in progress for a while."""

    @classmethod
    def setUpClass(cls):
        c.required_env("OPENPROTON_SLOW_ENDPOINT")

    def test_conflicts_while_in_progress_and_cancel(self):
        acct = fresh_account()
        m = client(acct, endpoint=SLOW)
        name = fresh_name("slow")
        tpl = h.template(acct, endpoint=SLOW)
        create_env(acct, tpl, name=name, endpoint=SLOW)
        expect_error(self, "ConflictException", m.update_environment, name=name, deploymentType="CURRENT_VERSION")
        expect_error(self, "ConflictException", m.delete_environment, name=name)
        expect_error(self, "ConflictException", m.cancel_environment_deployment, environmentName=name)  # a create
        m.get_waiter("environment_deployed").wait(name=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        env = m.update_environment(name=name, deploymentType="CURRENT_VERSION", spec=h.spec(tier="prod"))["environment"]
        self.assertIn("prod", env["spec"])
        env = m.cancel_environment_deployment(environmentName=name)["environment"]
        self.assertIn(env["deploymentStatus"], ("CANCELLING", "CANCELLED"))
        deadline = time.time() + 30
        while env["deploymentStatus"] == "CANCELLING" and time.time() < deadline:
            time.sleep(0.2)
            env = m.get_environment(name=name)["environment"]
        self.assertEqual(env["deploymentStatus"], "CANCELLED")
        self.assertEqual(env["deploymentStatusMessage"], "User initiated cancellation.")
        self.assertNotIn("prod", env["spec"], "a cancelled update returns to the spec before it")
        d = m.get_deployment(id=env["lastAttemptedDeploymentId"])["deployment"]
        self.assertEqual(d["deploymentStatus"], "CANCELLED")
        self.assertIn("completedAt", d)

    def test_quota(self):
        acct = fresh_account()
        tpl = h.template(acct, endpoint=SLOW)
        for _ in range(SLOW_QUOTA):
            create_env(acct, tpl, endpoint=SLOW)
        expect_error(self, "ServiceQuotaExceededException", create_env, acct, tpl, endpoint=SLOW)
        self.assertEqual(len(client(acct, endpoint=SLOW).list_environments()["environments"]), SLOW_QUOTA)


if __name__ == "__main__":
    unittest.main()
