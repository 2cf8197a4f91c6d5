"""Environment and service templates through boto3, against running servers.

Run from test/e2e (see templhelp.py for the environment):
  python3 -m unittest -v python/test_templates.py
"""

import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402
import templhelp as th  # noqa: E402

ARN_PREFIX = "arn:aws:proton:us-east-1:%s:"


class EnvironmentTemplateFlow(unittest.TestCase):
    """The platform administrator's flow, bundle in S3."""

    def test_register_publish_and_minor(self):
        acct = h.fresh_account()
        c = th.client(acct)
        name = h.fresh_name("env")
        t = c.create_environment_template(name=name, displayName="Web", description="VPC and cluster",
                                          tags=[{"key": "team", "value": "platform"}])["environmentTemplate"]
        self.assertEqual(t["arn"], ARN_PREFIX % acct + "environment-template/" + name)
        self.assertEqual((t["name"], t["displayName"], t["description"]), (name, "Web", "VPC and cluster"))
        self.assertEqual(t["createdAt"], t["lastModifiedAt"])
        self.assertNotIn("recommendedVersion", t)
        self.assertNotIn("provisioning", t)

        source = th.upload(th.env_bundle())
        v = c.create_environment_template_version(templateName=name, source=source, description="first",
                                                  tags=[{"key": "v", "value": "1"}])["environmentTemplateVersion"]
        self.assertEqual(v["status"], "REGISTRATION_IN_PROGRESS")
        self.assertEqual((v["templateName"], v["majorVersion"], v["minorVersion"]), (name, "1", "0"))
        self.assertEqual(v["arn"], t["arn"] + ":1.0")
        self.assertNotIn("schema", v)
        self.assertNotIn("recommendedMinorVersion", v)

        got = th.wait_registered(c, "environment", name, "1", "0")
        self.assertEqual(got["status"], "DRAFT")
        self.assertNotIn("statusMessage", got)
        self.assertIn("environment_input_type", got["schema"])
        self.assertEqual(got["schema"], th.ENV_SCHEMA % "")
        self.assertEqual(got["description"], "first")
        self.assertGreaterEqual(got["lastModifiedAt"], got["createdAt"])

        pub = c.update_environment_template_version(templateName=name, majorVersion="1", minorVersion="0",
                                                    status="PUBLISHED")["environmentTemplateVersion"]
        self.assertEqual(pub["status"], "PUBLISHED")
        self.assertEqual(pub["recommendedMinorVersion"], "0")
        self.assertEqual(c.get_environment_template(name=name)["environmentTemplate"]["recommendedVersion"], "1.0")

        # A compatible minor (a new optional input) registers as 1.1.
        m = c.create_environment_template_version(templateName=name, majorVersion="1",
                                                  source=th.upload(th.env_bundle(th.SIZE_INPUT)))["environmentTemplateVersion"]
        self.assertEqual((m["majorVersion"], m["minorVersion"]), ("1", "1"))
        self.assertEqual(th.wait_registered(c, "environment", name, "1", "1")["status"], "DRAFT")
        self.assertEqual(c.get_environment_template(name=name)["environmentTemplate"]["recommendedVersion"], "1.0")
        c.update_environment_template_version(templateName=name, majorVersion="1", minorVersion="1", status="PUBLISHED")
        self.assertEqual(c.get_environment_template(name=name)["environmentTemplate"]["recommendedVersion"], "1.1")

        # Summaries carry no schema; the list is in number order.
        vs = c.list_environment_template_versions(templateName=name)["templateVersions"]
        self.assertEqual([(x["majorVersion"], x["minorVersion"]) for x in vs], [("1", "0"), ("1", "1")])
        for x in vs:
            self.assertNotIn("schema", x)
            self.assertEqual(x["recommendedMinorVersion"], "1")
        ts = c.list_environment_templates()["templates"]
        self.assertEqual([x["name"] for x in ts], [name])
        self.assertEqual(ts[0]["recommendedVersion"], "1.1")

        # Tags given at creation.
        self.assertEqual(c.list_tags_for_resource(resourceArn=t["arn"])["tags"], [{"key": "team", "value": "platform"}])
        self.assertEqual(c.list_tags_for_resource(resourceArn=v["arn"])["tags"], [{"key": "v", "value": "1"}])

    def test_customer_managed_template_takes_a_schema_only_bundle(self):
        c = th.client(h.fresh_account())
        name = th.create_env_template(c, provisioning="CUSTOMER_MANAGED")["name"]
        self.assertEqual(c.get_environment_template(name=name)["environmentTemplate"]["provisioning"], "CUSTOMER_MANAGED")
        schema = th.ENV_SCHEMA.replace('          default: "10.0.0.0/16"\n', "").replace(
            "          pattern: '^([0-9]{1,3}\\.){3}[0-9]{1,3}/[0-9]+$'\n", "") % ""
        v = th.registered_env_version(c, name, th.upload(th.tar_gz([("schema/schema.yaml", schema)])))
        self.assertEqual(v["status"], "DRAFT")
        # A full bundle is refused for such a template.
        v = c.create_environment_template_version(templateName=name, source=th.upload(th.env_bundle()))["environmentTemplateVersion"]
        failed = th.wait_settled(c, "environment", name, v["majorVersion"], v["minorVersion"])
        self.assertEqual(failed["status"], "REGISTRATION_FAILED")
        self.assertIn("customer-managed", failed["statusMessage"])


class ServiceTemplateFlow(unittest.TestCase):
    def test_register_with_compatible_environment_templates(self):
        acct = h.fresh_account()
        c = th.client(acct)
        env = th.published_env_template(c, th.upload(th.env_bundle()))
        name = h.fresh_name("svc")
        t = c.create_service_template(name=name, displayName="API")["serviceTemplate"]
        self.assertEqual(t["arn"], ARN_PREFIX % acct + "service-template/" + name)
        self.assertNotIn("pipelineProvisioning", t)
        v = c.create_service_template_version(
            templateName=name, source=th.upload(th.svc_bundle()),
            compatibleEnvironmentTemplates=[{"templateName": env, "majorVersion": "1"}],
            supportedComponentSources=["DIRECTLY_DEFINED"])["serviceTemplateVersion"]
        self.assertEqual(v["status"], "REGISTRATION_IN_PROGRESS")
        self.assertEqual(v["compatibleEnvironmentTemplates"], [{"templateName": env, "majorVersion": "1"}])
        self.assertEqual(v["supportedComponentSources"], ["DIRECTLY_DEFINED"])
        got = th.wait_registered(c, "service", name, "1", "0")
        self.assertEqual(got["status"], "DRAFT")
        self.assertIn("pipeline_input_type", got["schema"])
        c.update_service_template_version(templateName=name, majorVersion="1", minorVersion="0", status="PUBLISHED")
        self.assertEqual(c.get_service_template(name=name)["serviceTemplate"]["recommendedVersion"], "1.0")
        summaries = c.list_service_template_versions(templateName=name)["templateVersions"]
        self.assertEqual(len(summaries), 1)
        self.assertNotIn("compatibleEnvironmentTemplates", summaries[0])
        self.assertEqual(c.list_service_templates()["templates"][0]["name"], name)

        # compatibleEnvironmentTemplates may be replaced; bad entries are refused.
        env2 = th.published_env_template(c, th.upload(th.env_bundle()))
        up = c.update_service_template_version(
            templateName=name, majorVersion="1", minorVersion="0",
            compatibleEnvironmentTemplates=[{"templateName": env2, "majorVersion": "1"}, {"templateName": env, "majorVersion": "1"}],
            supportedComponentSources=[])["serviceTemplateVersion"]
        self.assertEqual([x["templateName"] for x in up["compatibleEnvironmentTemplates"]], [env2, env])
        self.assertNotIn("supportedComponentSources", up)
        for bad, words in [([{"templateName": "nope", "majorVersion": "1"}], "nope"),
                           ([{"templateName": env, "majorVersion": "2"}], "major version 2"),
                           ([{"templateName": env, "majorVersion": "1"}, {"templateName": env, "majorVersion": "1"}], "more than once")]:
            e = h.expect_error(self, "ValidationException", c.create_service_template_version, templateName=name,
                               source=th.upload(th.svc_bundle()), compatibleEnvironmentTemplates=bad)
            self.assertIn(words, e.response["Error"]["Message"])
            h.expect_error(self, "ValidationException", c.update_service_template_version, templateName=name,
                           majorVersion="1", minorVersion="0", compatibleEnvironmentTemplates=bad)
        # Required by the model.
        h.expect_error(self, "ValidationException", th.client(acct, validate=False).create_service_template_version,
                       templateName=name, source=th.upload(th.svc_bundle()))

    def test_pipeline_follows_pipeline_provisioning(self):
        c = th.client(h.fresh_account())
        env = th.published_env_template(c, th.upload(th.env_bundle()))
        name = c.create_service_template(name=h.fresh_name("svc"), pipelineProvisioning="CUSTOMER_MANAGED")["serviceTemplate"]["name"]
        compat = [{"templateName": env, "majorVersion": "1"}]
        c.create_service_template_version(templateName=name, source=th.upload(th.svc_bundle(pipeline=True)), compatibleEnvironmentTemplates=compat)
        v = th.wait_settled(c, "service", name, "1", "0")
        self.assertEqual(v["status"], "REGISTRATION_FAILED")
        self.assertIn("CUSTOMER_MANAGED", v["statusMessage"])
        c.create_service_template_version(templateName=name, source=th.upload(th.svc_bundle(pipeline=False)), compatibleEnvironmentTemplates=compat)
        self.assertEqual(th.wait_registered(c, "service", name, "2", "0")["status"], "DRAFT")


def broken_bundles():
    """(name, bundle bytes, words the statusMessage must contain)."""
    big = os.urandom(5 * 1024 * 1024 + 1)
    # 11 files in infrastructure/: the quota counts each folder.
    many = th.env_files() + [("infrastructure/extra%d.yaml" % i, "a: %d\n" % i) for i in range(9)]
    return [
        ("not gzip", b"PK\x03\x04 this is a zip, not a tar.gz", ["gzip"]),
        ("no schema", th.tar_gz(th.env_files()[1:]), ["schema/schema.yaml"]),
        ("bad YAML", th.tar_gz([("schema/schema.yaml", "schema: [\n")] + th.env_files()[1:]), ["schema/schema.yaml", "YAML"]),
        ("not Proton's schema form", th.tar_gz([("schema/schema.yaml", "openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n")]
                                              + th.env_files()[1:]), ["schema/schema.yaml"]),
        ("unknown manifest form", th.tar_gz(th.env_files()[:1] + [("infrastructure/manifest.yaml", "templates: []\n"),
                                                                  ("infrastructure/cloudformation.yaml", th.ENV_CFN)]), ["manifest.yaml"]),
        ("file too large", th.tar_gz(th.env_files()[:2] + [("infrastructure/cloudformation.yaml", "# " + "x" * (201 * 1024) + "\n")]),
         ["cloudformation.yaml", "200 KB"]),
        ("too many files", th.tar_gz(many), ["infrastructure/ holds 11 files", "10"]),
        ("bundle too large", big, ["5 MB"]),
    ]


class BrokenBundles(unittest.TestCase):
    """Every broken bundle ends REGISTRATION_FAILED with a message naming the
    problem; the server stays up and answers."""

    def check(self, c, source_of):
        name = th.create_env_template(c)["name"]
        created = []
        for case, data, words in broken_bundles():
            v = c.create_environment_template_version(templateName=name, source=source_of(data))["environmentTemplateVersion"]
            created.append((case, v["majorVersion"], words))
        for case, major, words in created:
            v = th.wait_settled(c, "environment", name, major, "0")
            self.assertEqual(v["status"], "REGISTRATION_FAILED", case)
            for w in words:
                self.assertIn(w, v["statusMessage"], "%s: %s" % (case, v["statusMessage"]))
            self.assertNotIn("schema", v)
        # The waiter reports the failure.
        with self.assertRaises(Exception) as ctx:
            c.get_waiter("environment_template_version_registered").wait(
                templateName=name, majorVersion="1", minorVersion="0", WaiterConfig={"Delay": 0.2, "MaxAttempts": 5})
        self.assertIn("REGISTRATION_FAILED", str(ctx.exception))

    def test_in_s3(self):
        self.check(th.client(h.fresh_account()), th.upload)

    def test_in_the_bundle_directory(self):
        self.check(th.dir_client(h.fresh_account()), th.put_dir)

    def test_missing_object(self):
        c = th.client(h.fresh_account())
        name = th.create_env_template(c)["name"]
        source = th.upload(th.env_bundle())
        source["s3"]["key"] = "no/such/key.tar.gz"
        c.create_environment_template_version(templateName=name, source=source)
        v = th.wait_settled(c, "environment", name, "1", "0")
        self.assertEqual(v["status"], "REGISTRATION_FAILED")
        self.assertIn("s3://%s/no/such/key.tar.gz" % source["s3"]["bucket"], v["statusMessage"])
        c.create_environment_template_version(templateName=name, source={"s3": {"bucket": th.fresh_bucket(), "key": "k"}})
        self.assertIn("bucket does not exist", th.wait_settled(c, "environment", name, "2", "0")["statusMessage"])

    def test_incompatible_minor(self):
        c = th.client(h.fresh_account())
        name = th.create_env_template(c)["name"]
        th.registered_env_version(c, name, th.upload(th.env_bundle(th.SIZE_INPUT)))
        # Dropping the size input breaks compatibility with 1.0.
        c.create_environment_template_version(templateName=name, majorVersion="1", source=th.upload(th.env_bundle()))
        v = th.wait_settled(c, "environment", name, "1", "1")
        self.assertEqual(v["status"], "REGISTRATION_FAILED")
        self.assertIn("not backward compatible", v["statusMessage"])
        self.assertIn("size", v["statusMessage"])
        # The same schema is fine as a new major.
        c.create_environment_template_version(templateName=name, source=th.upload(th.env_bundle()))
        self.assertEqual(th.wait_registered(c, "environment", name, "2", "0")["status"], "DRAFT")


class BundleDirectoryFlow(unittest.TestCase):
    def test_register_from_the_bundle_directory(self):
        c = th.dir_client(h.fresh_account())
        env = th.published_env_template(c, th.put_dir(th.env_bundle()))
        name = c.create_service_template(name=h.fresh_name("svc"))["serviceTemplate"]["name"]
        c.create_service_template_version(templateName=name, source=th.put_dir(th.svc_bundle(), key="svc/bundle.tar.gz"),
                                          compatibleEnvironmentTemplates=[{"templateName": env, "majorVersion": "1"}])
        self.assertEqual(th.wait_registered(c, "service", name, "1", "0")["status"], "DRAFT")
        # Keys cannot climb out of the directory.
        src = th.put_dir(th.env_bundle())
        src["s3"]["key"] = "../../etc/passwd"
        c.create_environment_template_version(templateName=env, source=src)
        v = th.wait_settled(c, "environment", env, "2", "0")
        self.assertEqual(v["status"], "REGISTRATION_FAILED")


class DeletionRules(unittest.TestCase):
    """Every deletion rule of template versions, on the --bundle-dir server."""

    def setUp(self):
        self.c = th.dir_client(h.fresh_account())
        self.name = th.create_env_template(self.c)["name"]
        self.source = th.put_dir(th.env_bundle())

    def version(self, major=None):
        kw = {"majorVersion": major} if major else {}
        v = th.registered_env_version(self.c, self.name, self.source, **kw)
        return v["majorVersion"], v["minorVersion"]

    def publish(self, major, minor):
        self.c.update_environment_template_version(templateName=self.name, majorVersion=major, minorVersion=minor, status="PUBLISHED")

    def delete(self, major, minor):
        return self.c.delete_environment_template_version(templateName=self.name, majorVersion=major, minorVersion=minor)

    def refused(self, major, minor, words):
        e = h.expect_error(self, "ConflictException", self.delete, major, minor)
        self.assertIn(words, e.response["Error"]["Message"])

    def numbers(self):
        vs = self.c.list_environment_template_versions(templateName=self.name)["templateVersions"]
        return ["%s.%s" % (v["majorVersion"], v["minorVersion"]) for v in vs]

    def test_rules(self):
        self.version()       # 1.0
        self.version("1")    # 1.1
        self.version("1")    # 1.2 (stays DRAFT)
        self.version()       # 2.0
        self.version("2")    # 2.1 (stays DRAFT)
        self.publish("1", "0")
        self.publish("1", "1")
        self.publish("2", "0")
        tmpl = self.c.get_environment_template(name=self.name)["environmentTemplate"]
        self.assertEqual(tmpl["recommendedVersion"], "2.0")

        # A template with versions cannot be deleted.
        e = h.expect_error(self, "ConflictException", self.c.delete_environment_template, name=self.name)
        self.assertIn("versions", e.response["Error"]["Message"])
        # A minor that is not the recommended one: published or draft.
        out = self.delete("1", "0")["environmentTemplateVersion"]
        self.assertEqual((out["majorVersion"], out["minorVersion"], out["status"]), ("1", "0", "PUBLISHED"))
        self.delete("2", "1")
        # The recommended minor of a major, with other minors left.
        self.refused("1", "1", "recommended minor version of major version 1")
        self.delete("1", "2")
        # ... and as the last minor of its major: the major goes with it.
        self.delete("1", "1")
        self.assertEqual(self.numbers(), ["2.0"])
        self.assertEqual(self.c.list_environment_template_versions(templateName=self.name, majorVersion="1")["templateVersions"], [])
        h.expect_error(self, "ResourceNotFoundException", self.c.create_environment_template_version,
                       templateName=self.name, majorVersion="1", source=self.source)
        # The recommended version while another major exists.
        self.version()  # 3.0 (DRAFT)
        self.refused("2", "0", "recommended version")
        self.delete("3", "0")
        # ... and as the last version of the template.
        self.delete("2", "0")
        self.assertNotIn("recommendedVersion", self.c.get_environment_template(name=self.name)["environmentTemplate"])
        self.assertEqual(self.numbers(), [])
        gone = self.c.delete_environment_template(name=self.name)["environmentTemplate"]
        self.assertEqual(gone["name"], self.name)

    def test_repeated_and_unknown_deletes(self):
        self.version()
        self.delete("1", "0")
        again = self.delete("1", "0")
        self.assertNotIn("environmentTemplateVersion", again)
        h.expect_error(self, "ResourceNotFoundException", self.delete, "5", "0")
        self.c.delete_environment_template(name=self.name)
        self.assertNotIn("environmentTemplate", self.c.delete_environment_template(name=self.name))
        h.expect_error(self, "ResourceNotFoundException", self.c.delete_environment_template, name=h.fresh_name("none"))
        h.expect_error(self, "ResourceNotFoundException", self.c.delete_service_template, name=self.name)

    def test_recommendation_follows_publishing(self):
        self.version()     # 1.0
        self.version("1")  # 1.1
        self.version()     # 2.0
        get = lambda: self.c.get_environment_template(name=self.name)["environmentTemplate"].get("recommendedVersion")
        self.assertIsNone(get())
        self.publish("2", "0")
        self.assertEqual(get(), "2.0")
        self.publish("1", "1")
        self.assertEqual(get(), "2.0")  # a lower version never takes over
        v = self.c.get_environment_template_version(templateName=self.name, majorVersion="1", minorVersion="0")["environmentTemplateVersion"]
        self.assertEqual((v["status"], v["recommendedMinorVersion"]), ("DRAFT", "1"))
        # Publishing a published version again changes nothing; DRAFT cannot come back.
        self.publish("2", "0")
        h.expect_error(self, "ConflictException", self.c.update_environment_template_version,
                       templateName=self.name, majorVersion="2", minorVersion="0", status="DRAFT")
        h.expect_error(self, "ValidationException", self.c.update_environment_template_version,
                       templateName=self.name, majorVersion="2", minorVersion="0", status="REGISTRATION_FAILED")


class Idempotency(unittest.TestCase):
    def test_create_template_by_name(self):
        c = th.client(h.fresh_account())
        name = h.fresh_name("env")
        first = c.create_environment_template(name=name, description="d")["environmentTemplate"]
        self.assertEqual(c.create_environment_template(name=name, description="d")["environmentTemplate"], first)
        e = h.expect_error(self, "ValidationException", c.create_environment_template, name=name, description="other")
        self.assertIn("Idempotent parameter mismatch", e.response["Error"]["Message"])
        c.update_environment_template(name=name, displayName="Changed")
        h.expect_error(self, "ConflictException", c.create_environment_template, name=name, description="d")
        # Service templates are another name space.
        c.create_service_template(name=name)

    def test_client_token_of_version_creates(self):
        c = th.client(h.fresh_account())
        name = th.create_env_template(c)["name"]
        source = th.upload(th.env_bundle())
        token = str(uuid.uuid4())
        first = c.create_environment_template_version(templateName=name, source=source, clientToken=token)["environmentTemplateVersion"]
        th.wait_registered(c, "environment", name, "1", "0")
        again = c.create_environment_template_version(templateName=name, source=source, clientToken=token)["environmentTemplateVersion"]
        self.assertEqual((again["majorVersion"], again["minorVersion"], again["status"]), ("1", "0", "DRAFT"))
        self.assertEqual(again["createdAt"], first["createdAt"])
        e = h.expect_error(self, "ValidationException", c.create_environment_template_version,
                           templateName=name, source=source, clientToken=token, description="other")
        self.assertIn("Idempotent parameter mismatch", e.response["Error"]["Message"])
        # boto3 fills in a fresh token itself: without one, every call creates.
        c.create_environment_template_version(templateName=name, source=source)
        c.create_environment_template_version(templateName=name, source=source)
        vs = c.list_environment_template_versions(templateName=name)["templateVersions"]
        self.assertEqual([v["majorVersion"] for v in vs], ["1", "2", "3"])


class TagsAndErrors(unittest.TestCase):
    def test_tags_of_templates_and_versions(self):
        acct = h.fresh_account()
        c = th.dir_client(acct)
        name = th.create_env_template(c)["name"]
        th.registered_env_version(c, name, th.put_dir(th.env_bundle()))
        for arn in [ARN_PREFIX % acct + "environment-template/" + name,
                    ARN_PREFIX % acct + "environment-template/" + name + ":1.0"]:
            c.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
            c.untag_resource(resourceArn=arn, tagKeys=["a"])
            self.assertEqual(c.list_tags_for_resource(resourceArn=arn)["tags"], [{"key": "b", "value": "2"}])
        for arn in [ARN_PREFIX % acct + "environment-template/" + name + ":1.1",
                    ARN_PREFIX % acct + "service-template/" + name,
                    ARN_PREFIX % h.fresh_account() + "environment-template/" + name]:
            h.expect_error(self, "ResourceNotFoundException", c.list_tags_for_resource, resourceArn=arn)
        # Deleting the version drops its tags; a later 1.0 starts without them.
        c.delete_environment_template_version(templateName=name, majorVersion="1", minorVersion="0")
        th.registered_env_version(c, name, th.put_dir(th.env_bundle()))
        self.assertEqual(c.list_tags_for_resource(resourceArn=ARN_PREFIX % acct + "environment-template/" + name + ":1.0")["tags"], [])

    def test_errors(self):
        c = th.dir_client(h.fresh_account())
        raw = th.dir_client(h.fresh_account(), validate=False)
        src = th.put_dir(th.env_bundle())
        h.expect_error(self, "ResourceNotFoundException", c.get_environment_template, name="nope")
        h.expect_error(self, "ResourceNotFoundException", c.create_environment_template_version, templateName="nope", source=src)
        h.expect_error(self, "ResourceNotFoundException", c.list_environment_template_versions, templateName="nope")
        name = th.create_env_template(c)["name"]
        h.expect_error(self, "ResourceNotFoundException", c.get_environment_template_version, templateName=name, majorVersion="1", minorVersion="0")
        h.expect_error(self, "ResourceNotFoundException", c.create_environment_template_version, templateName=name, majorVersion="4", source=src)
        # Model constraints.
        h.expect_error(self, "ValidationException", raw.create_environment_template, name="-bad")
        h.expect_error(self, "ValidationException", raw.create_environment_template_version, templateName=name,
                       source={"s3": {"bucket": "UPPER", "key": "k"}})
        h.expect_error(self, "ValidationException", raw.create_environment_template_version, templateName=name, source={})
        h.expect_error(self, "ValidationException", raw.get_environment_template_version, templateName=name, majorVersion="01", minorVersion="0")
        h.expect_error(self, "ValidationException", raw.list_environment_templates, maxResults=0)
        h.expect_error(self, "ValidationException", c.create_environment_template, name=h.fresh_name(), tags=[{"key": "aws:x", "value": "y"}])

    def test_quotas(self):
        h.required_env("OPENPROTON_QUOTA_ENDPOINT")
        c = h.client(h.fresh_account(), endpoint=th.QUOTA_ENDPOINT)
        src = th.put_dir(th.env_bundle())
        names = [th.create_env_template(c)["name"]]
        # Environment and service templates count together.
        for _ in range(th.TEMPLATE_QUOTA - 1):
            names.append(c.create_service_template(name=h.fresh_name("svc"))["serviceTemplate"]["name"])
        e = h.expect_error(self, "ServiceQuotaExceededException", c.create_environment_template, name=h.fresh_name())
        self.assertIn("%d templates" % th.TEMPLATE_QUOTA, e.response["Error"]["Message"])
        # A repeated create of an existing template is no new template.
        c.create_environment_template(name=names[0])
        for _ in range(th.VERSION_QUOTA):
            c.create_environment_template_version(templateName=names[0], source=src)
        h.expect_error(self, "ServiceQuotaExceededException", c.create_environment_template_version, templateName=names[0], source=src)
        # Deleting a version makes room again.
        th.wait_settled(c, "environment", names[0], "1", "0")
        c.delete_environment_template_version(templateName=names[0], majorVersion="1", minorVersion="0")
        c.create_environment_template_version(templateName=names[0], source=src)

    def test_pagination_and_region(self):
        acct = h.fresh_account()
        c = th.dir_client(acct)
        names = sorted(th.create_env_template(c, name="p%02d-%s" % (i, h.fresh_name()))["name"] for i in range(5))
        pag = c.get_paginator("list_environment_templates")
        pages = list(pag.paginate(PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 3)
        self.assertEqual([t["name"] for p in pages for t in p["templates"]], names)
        other = h.client(acct, region=h.OTHER_REGION, endpoint=th.DIR_ENDPOINT)
        self.assertEqual(other.list_environment_templates()["templates"], [])
        h.expect_error(self, "ResourceNotFoundException", other.get_environment_template, name=names[0])
        token = c.list_environment_templates(maxResults=1)["nextToken"]
        h.expect_error(self, "ValidationException", c.list_service_templates, nextToken=token)


if __name__ == "__main__":
    unittest.main()
