"""Environment account connections through the AWS CLI (`aws proton ...`).

Run from test/e2e:  python3 -m unittest -v python/test_connections_cli.py
The same environment as test_connections.py (OPENPROTON_ENDPOINT, and
optionally OPENPROTON_QUOTA_ENDPOINT with OPENPROTON_QUOTA). Each step under
test runs the real `aws` program; setup that is not under test uses boto3 to
keep the suite quick.
"""

import json
import os
import sys
import unittest
import uuid
from datetime import datetime

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402
from connhelp import aws, cli_expect_error  # noqa: E402


def ts(v):
    """A CLI timestamp (epoch number or ISO string) as epoch seconds."""
    if isinstance(v, (int, float)):
        return float(v)
    return datetime.fromisoformat(v.replace("Z", "+00:00")).timestamp()


def conn(out):
    return out["environmentAccountConnection"]


class CLILifecycle(unittest.TestCase):
    def test_lifecycle(self):
        e, m, x = h.fresh_account(), h.fresh_account(), h.fresh_account()
        name = h.fresh_name("cli")
        c = conn(aws(e, "create-environment-account-connection", "--management-account-id", m,
                     "--environment-name", name, "--role-arn", h.role_arn(e)))
        cid = c["id"]
        self.assertEqual(c["status"], "PENDING")
        self.assertRegex(cid, h.UUID_RE)
        self.assertEqual(c["arn"], "arn:aws:proton:us-east-1:%s:environment-account-connection/%s" % (e, cid))
        self.assertEqual(c["requestedAt"], c["lastModifiedAt"])
        self.assertEqual(c["environmentAccountId"], e)
        self.assertEqual(c["managementAccountId"], m)

        self.assertEqual(conn(aws(e, "get-environment-account-connection", "--id", cid)), c)
        self.assertEqual(conn(aws(m, "get-environment-account-connection", "--id", cid)), c)
        # Nobody but the parties knows it; each party may do only its own part.
        # These calls change nothing, so they run at once.
        nf, ad = "ResourceNotFoundException", "AccessDeniedException"
        calls = [(nf, x, op + "-environment-account-connection", "--id", cid) for op in ("get", "accept", "reject", "delete")]
        calls += [
            (nf, x, "update-environment-account-connection", "--id", cid, "--role-arn", h.role_arn(x)),
            (ad, e, "accept-environment-account-connection", "--id", cid),
            (ad, e, "reject-environment-account-connection", "--id", cid),
            (ad, m, "update-environment-account-connection", "--id", cid, "--role-arn", h.role_arn(e, "other")),
            (ad, m, "delete-environment-account-connection", "--id", cid),
        ]
        errs = h.parallel(*[lambda c=c: cli_expect_error(self, *c) for c in calls])
        for err in errs[5:7]:
            self.assertIn(m, err.message, "the message should name the management account")
        for err in errs[:5]:
            self.assertNotIn(m, err.message)

        self.assertEqual(conn(aws(e, "get-environment-account-connection", "--id", cid)), c,
                         "failed calls changed the connection")

        h.pause()
        up = conn(aws(e, "update-environment-account-connection", "--id", cid,
                      "--codebuild-role-arn", h.role_arn(e, "codebuild")))
        self.assertEqual(up["status"], "PENDING")
        self.assertEqual(up["codebuildRoleArn"], h.role_arn(e, "codebuild"))
        self.assertEqual(up["roleArn"], h.role_arn(e))
        self.assertEqual(up["requestedAt"], c["requestedAt"])
        self.assertGreater(ts(up["lastModifiedAt"]), ts(c["lastModifiedAt"]))

        h.pause()
        a = conn(aws(m, "accept-environment-account-connection", "--id", cid))
        self.assertEqual(a["status"], "CONNECTED")
        self.assertGreater(ts(a["lastModifiedAt"]), ts(up["lastModifiedAt"]))
        self.assertEqual(conn(aws(m, "accept-environment-account-connection", "--id", cid)), a)

        h.pause()
        u = conn(aws(e, "update-environment-account-connection", "--id", cid, "--role-arn", h.role_arn(e, "rotated")))
        self.assertEqual(u["status"], "CONNECTED")
        self.assertEqual(u["roleArn"], h.role_arn(e, "rotated"))
        self.assertGreater(ts(u["lastModifiedAt"]), ts(a["lastModifiedAt"]))

        h.pause()
        r = conn(aws(m, "reject-environment-account-connection", "--id", cid))
        self.assertEqual(r["status"], "REJECTED")
        self.assertEqual(conn(aws(m, "reject-environment-account-connection", "--id", cid)), r)
        cli_expect_error(self, "ConflictException", m, "accept-environment-account-connection", "--id", cid)
        cli_expect_error(self, "ConflictException", e, "update-environment-account-connection",
                         "--id", cid, "--role-arn", h.role_arn(e, "again"))

        d = aws(e, "delete-environment-account-connection", "--id", cid)
        self.assertEqual(conn(d), r)
        self.assertEqual(aws(e, "delete-environment-account-connection", "--id", cid), {})
        cli_expect_error(self, "ResourceNotFoundException", e, "delete-environment-account-connection",
                         "--id", str(uuid.uuid4()))

    def test_create_rules(self):
        e, m = h.fresh_account(), h.fresh_account()
        cli_expect_error(self, "ValidationException", e, "create-environment-account-connection",
                         "--management-account-id", m, "--environment-name", "norole")
        cli_expect_error(self, "ValidationException", e, "create-environment-account-connection",
                         "--management-account-id", e, "--environment-name", "self", "--role-arn", h.role_arn(e))
        self.assertEqual(h.list_all(e, "ENVIRONMENT_ACCOUNT"), [])


class CLIQuotaAndTokens(unittest.TestCase):
    def test_quota(self):
        endpoint = os.environ.get("OPENPROTON_QUOTA_ENDPOINT") or h.ENDPOINT
        quota = int(os.environ.get("OPENPROTON_QUOTA", "5")) if os.environ.get("OPENPROTON_QUOTA_ENDPOINT") else 5
        e, m = h.fresh_account(), h.fresh_account()
        made = [h.create(e, m, endpoint=endpoint) for _ in range(quota)]
        create = ["create-environment-account-connection", "--management-account-id", m,
                  "--environment-name", "over", "--role-arn", h.role_arn(e)]
        cli_expect_error(self, "ServiceQuotaExceededException", e, *create, endpoint=endpoint)
        rej = conn(aws(m, "reject-environment-account-connection", "--id", made[0]["id"], endpoint=endpoint))
        self.assertEqual(rej["status"], "REJECTED")
        self.assertEqual(conn(aws(e, *create, endpoint=endpoint))["status"], "PENDING")
        e2 = h.fresh_account()
        aws(e2, "create-environment-account-connection", "--management-account-id", m,
            "--environment-name", "other", "--role-arn", h.role_arn(e2), endpoint=endpoint)
        eu = conn(aws(e, *create, region=h.OTHER_REGION, endpoint=endpoint))
        self.assertTrue(eu["arn"].startswith("arn:aws:proton:eu-west-1:%s:" % e))
        self.assertEqual(len(h.list_all(e, "ENVIRONMENT_ACCOUNT", endpoint=endpoint)), quota + 1)

    def test_client_token(self):
        e, m = h.fresh_account(), h.fresh_account()
        token = str(uuid.uuid4())
        create = ["create-environment-account-connection", "--management-account-id", m,
                  "--environment-name", "tokened", "--role-arn", h.role_arn(e), "--client-token", token]
        first = conn(aws(e, *create))
        self.assertEqual(conn(aws(e, *create)), first)
        err = cli_expect_error(self, "ValidationException", e, *(create[:4] + ["other"] + create[5:]))
        self.assertIn("Idempotent parameter mismatch", err.message)
        self.assertEqual(h.ids(h.list_all(e, "ENVIRONMENT_ACCOUNT")), [first["id"]])


class CLIList(unittest.TestCase):
    def test_pagination_and_filters(self):
        m = h.fresh_account()
        envs = [h.fresh_account() for _ in range(3)]
        made = [h.create(envs[i % 3], m, "shared" if i in (2, 5) else "env%d" % i) for i in range(7)]
        want = h.ordered(made)

        def pick(*idx):
            return h.ordered([made[i] for i in idx])
        h.client(m).accept_environment_account_connection(id=made[1]["id"])
        h.client(m).reject_environment_account_connection(id=made[4]["id"])

        out = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT", "--page-size", "2")
        got = out["environmentAccountConnections"]
        self.assertEqual(h.ids(got), want, "every connection exactly once, by requestedAt then id")
        self.assertNotIn("nextToken", out)
        self.assertNotIn("NextToken", out)

        first = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT",
                    "--page-size", "2", "--max-items", "3")
        self.assertEqual(h.ids(first["environmentAccountConnections"]), want[:3])
        self.assertTrue(first.get("NextToken"))
        rest = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT",
                   "--page-size", "2", "--starting-token", first["NextToken"])
        self.assertEqual(h.ids(rest["environmentAccountConnections"]), want[3:])

        named = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT",
                    "--environment-name", "shared", "--page-size", "1")
        self.assertEqual(h.ids(named["environmentAccountConnections"]), pick(2, 5))
        st = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT",
                 "--statuses", "CONNECTED", "REJECTED")
        self.assertEqual(h.ids(st["environmentAccountConnections"]), pick(1, 4))
        mine = aws(envs[0], "list-environment-account-connections", "--requested-by", "ENVIRONMENT_ACCOUNT")
        self.assertEqual(h.ids(mine["environmentAccountConnections"]), pick(0, 3, 6))

        # One page by hand, then a tampered token.
        page = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT", "--max-results", "2")
        self.assertEqual(h.ids(page["environmentAccountConnections"]), want[:2])
        tok = page["nextToken"]
        tampered = tok[:4] + ("B" if tok[4] != "B" else "C") + tok[5:]
        cli_expect_error(self, "ValidationException", m, "list-environment-account-connections",
                         "--requested-by", "MANAGEMENT_ACCOUNT", "--next-token", tampered)

    def test_region(self):
        e, m = h.fresh_account(), h.fresh_account()
        c = h.create(e, m)
        cli_expect_error(self, "ResourceNotFoundException", m, "get-environment-account-connection",
                         "--id", c["id"], region=h.OTHER_REGION)
        cli_expect_error(self, "ResourceNotFoundException", m, "accept-environment-account-connection",
                         "--id", c["id"], region=h.OTHER_REGION)
        out = aws(m, "list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT", region=h.OTHER_REGION)
        self.assertEqual(out["environmentAccountConnections"], [])
        self.assertEqual(h.get(m, c["id"])["status"], "PENDING")


class CLITags(unittest.TestCase):
    def test_tags(self):
        e, m = h.fresh_account(), h.fresh_account()
        c = conn(aws(e, "create-environment-account-connection", "--management-account-id", m,
                     "--environment-name", "tagged", "--role-arn", h.role_arn(e),
                     "--tags", "key=a,value=1", "key=b,value=2"))
        arn = c["arn"]

        def tags():
            return {t["key"]: t["value"] for t in aws(e, "list-tags-for-resource", "--resource-arn", arn)["tags"]}

        self.assertEqual(tags(), {"a": "1", "b": "2"})
        self.assertEqual(aws(e, "tag-resource", "--resource-arn", arn, "--tags", "key=a,value=one", "key=c,value=3"), {})
        self.assertEqual(aws(e, "untag-resource", "--resource-arn", arn, "--tag-keys", "b"), {})
        self.assertEqual(tags(), {"a": "one", "c": "3"})
        cli_expect_error(self, "ValidationException", e, "tag-resource", "--resource-arn", arn, "--tags", "key=aws:x,value=1")
        many = json.dumps([{"key": "k%02d" % i, "value": "v"} for i in range(49)])
        cli_expect_error(self, "ValidationException", e, "tag-resource", "--resource-arn", arn, "--tags", many)
        cli_expect_error(self, "AccessDeniedException", m, "tag-resource", "--resource-arn", arn, "--tags", "key=m,value=1")
        self.assertEqual(h.client(e).list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"key": "a", "value": "one"}, {"key": "c", "value": "3"}])


class CLIInvalidInput(unittest.TestCase):
    def test_invalid(self):
        e, m = h.fresh_account(), h.fresh_account()
        base = h.create(e, m, "baseline")

        def snapshot():
            return h.list_all(e, "ENVIRONMENT_ACCOUNT"), h.list_all(m, "MANAGEMENT_ACCOUNT")

        before = snapshot()
        create = ["create-environment-account-connection", "--management-account-id", m,
                  "--environment-name", "valid", "--role-arn", h.role_arn(e)]
        cases = [
            ("id", [ "accept-environment-account-connection", "--id", base["id"].upper()], m),
            ("managementAccountId", create[:2] + ["12345"] + create[3:], e),
            ("roleArn", create[:6] + ["arn:aws:iam::%s:user/not-a-role" % e], e),
            ("tags", create + ["--tags", json.dumps([{"key": "k%d" % i, "value": "v"} for i in range(51)])], e),
            ("statuses", ["list-environment-account-connections", "--requested-by", "MANAGEMENT_ACCOUNT",
                          "--statuses", "DONE"], m),
        ]
        for path, args, acct in cases:
            with self.subTest(path=path):
                err = cli_expect_error(self, "ValidationException", acct, *args)
                self.assertIn("'%s" % path, err.message)
        self.assertEqual(snapshot(), before)
        self.assertEqual(h.get(e, base["id"]), base)


if __name__ == "__main__":
    unittest.main()
