"""Environment account connections through boto3, against a running openproton.

Run from test/e2e:  python3 -m unittest -v python/test_connections.py
Environment:
  OPENPROTON_ENDPOINT        the server (required)
  OPENPROTON_QUOTA_ENDPOINT  optional server started with a lower connection
                             quota; OPENPROTON_QUOTA gives that quota. Without
                             them the quota test uses OPENPROTON_ENDPOINT and
                             the default quota of 5.
"""

import base64
import os
import sys
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import connhelp as h  # noqa: E402

E, M, X = "111111111111", "222222222222", "333333333333"


class ConnectionLifecycle(unittest.TestCase):
    """The handshake between E and M, and what every other party sees."""

    def test_full_lifecycle(self):
        ce, cm, cx = h.client(E), h.client(M), h.client(X)
        name = h.fresh_name("lifecycle")
        c = h.create(E, M, name, roleArn=h.role_arn(E))
        cid = c["id"]
        self.addCleanup(lambda: ce.delete_environment_account_connection(id=cid))

        # Shape of a new connection.
        self.assertEqual(c["status"], "PENDING")
        self.assertRegex(cid, h.UUID_RE)
        self.assertEqual(c["arn"], "arn:aws:proton:us-east-1:%s:environment-account-connection/%s" % (E, cid))
        self.assertEqual(c["requestedAt"], c["lastModifiedAt"])
        self.assertEqual(c["environmentAccountId"], E)
        self.assertEqual(c["managementAccountId"], M)
        self.assertEqual(c["environmentName"], name)
        self.assertEqual(c["roleArn"], h.role_arn(E))

        # Both parties read it; nobody else knows it exists.
        self.assertEqual(h.get(E, cid), c)
        self.assertEqual(h.get(M, cid), c)
        for fn in (cx.get_environment_account_connection, cx.accept_environment_account_connection,
                   cx.reject_environment_account_connection, cx.delete_environment_account_connection):
            e = h.expect_error(self, "ResourceNotFoundException", fn, id=cid)
            self.assertNotIn(M, e.response["Error"]["Message"])
        h.expect_error(self, "ResourceNotFoundException", cx.update_environment_account_connection,
                       id=cid, roleArn=h.role_arn(X))

        # Wrong party.
        for fn in (ce.accept_environment_account_connection, ce.reject_environment_account_connection):
            e = h.expect_error(self, "AccessDeniedException", fn, id=cid)
            self.assertIn(M, e.response["Error"]["Message"], "message should name the management account")
        h.expect_error(self, "AccessDeniedException", cm.update_environment_account_connection,
                       id=cid, roleArn=h.role_arn(E, "other"))
        h.expect_error(self, "AccessDeniedException", cm.delete_environment_account_connection, id=cid)
        self.assertEqual(h.get(E, cid), c, "failed calls must change nothing")

        # Update on PENDING keeps the status and bumps lastModifiedAt.
        h.pause()
        u = ce.update_environment_account_connection(id=cid, roleArn=h.role_arn(E, "rotated"))["environmentAccountConnection"]
        self.assertEqual(u["status"], "PENDING")
        self.assertEqual(u["roleArn"], h.role_arn(E, "rotated"))
        self.assertGreater(u["lastModifiedAt"], c["lastModifiedAt"])
        self.assertEqual(u["requestedAt"], c["requestedAt"])

        # Accept.
        h.pause()
        a = cm.accept_environment_account_connection(id=cid)["environmentAccountConnection"]
        self.assertEqual(a["status"], "CONNECTED")
        self.assertGreater(a["lastModifiedAt"], u["lastModifiedAt"])
        self.assertEqual(a["arn"], c["arn"], "the ARN stays in the environment account")
        self.assertEqual(a["roleArn"], h.role_arn(E, "rotated"))
        h.pause()
        a2 = cm.accept_environment_account_connection(id=cid)["environmentAccountConnection"]
        self.assertEqual(a2, a, "accepting a CONNECTED connection returns it unchanged")
        self.assertEqual(h.get(E, cid), a)

        # Update on CONNECTED keeps the status and bumps lastModifiedAt.
        h.pause()
        u2 = ce.update_environment_account_connection(
            id=cid, componentRoleArn=h.role_arn(E, "component"))["environmentAccountConnection"]
        self.assertEqual(u2["status"], "CONNECTED")
        self.assertEqual(u2["componentRoleArn"], h.role_arn(E, "component"))
        self.assertEqual(u2["roleArn"], h.role_arn(E, "rotated"), "an omitted role keeps its value")
        self.assertGreater(u2["lastModifiedAt"], a["lastModifiedAt"])

        # Reject a CONNECTED connection.
        h.pause()
        r = cm.reject_environment_account_connection(id=cid)["environmentAccountConnection"]
        self.assertEqual(r["status"], "REJECTED")
        self.assertGreaterEqual(r["lastModifiedAt"], u2["lastModifiedAt"])
        h.pause()
        r2 = cm.reject_environment_account_connection(id=cid)["environmentAccountConnection"]
        self.assertEqual(r2, r, "rejecting a REJECTED connection returns it unchanged")

        # REJECTED is terminal.
        h.expect_error(self, "ConflictException", cm.accept_environment_account_connection, id=cid)
        h.expect_error(self, "ConflictException", ce.update_environment_account_connection,
                       id=cid, roleArn=h.role_arn(E, "again"))
        self.assertEqual(h.get(M, cid), r)

        # Delete by E returns the connection; a second delete is an empty success.
        d = ce.delete_environment_account_connection(id=cid)
        self.assertEqual(d["environmentAccountConnection"], r)
        d2 = ce.delete_environment_account_connection(id=cid)
        self.assertEqual(d2["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertNotIn("environmentAccountConnection", d2)
        self.assertEqual(set(d2) - {"ResponseMetadata"}, set())
        for acct in (E, M):
            h.expect_error(self, "ResourceNotFoundException", h.client(acct).get_environment_account_connection, id=cid)

    def test_reject_pending(self):
        e, m = h.fresh_account(), h.fresh_account()
        c = h.create(e, m)
        h.pause()
        r = h.client(m).reject_environment_account_connection(id=c["id"])["environmentAccountConnection"]
        self.assertEqual(r["status"], "REJECTED")
        self.assertGreater(r["lastModifiedAt"], c["lastModifiedAt"])
        self.assertEqual(h.get(e, c["id"])["status"], "REJECTED")
        h.expect_error(self, "ConflictException", h.client(m).accept_environment_account_connection, id=c["id"])

    def test_create_rules(self):
        e, m = h.fresh_account(), h.fresh_account()
        ce = h.client(e)
        e1 = h.expect_error(self, "ValidationException", ce.create_environment_account_connection,
                            managementAccountId=m, environmentName="norole")
        self.assertIn("roleArn", e1.response["Error"]["Message"])
        h.expect_error(self, "ValidationException", ce.create_environment_account_connection,
                       managementAccountId=m, environmentName="norole", componentRoleArn=h.role_arn(e, "component"))
        h.expect_error(self, "ValidationException", ce.create_environment_account_connection,
                       managementAccountId=e, environmentName="self", roleArn=h.role_arn(e))
        self.assertEqual(h.list_all(e, "ENVIRONMENT_ACCOUNT"), [])
        self.assertEqual(h.list_all(e, "MANAGEMENT_ACCOUNT"), [])

        # codebuildRoleArn alone is enough.
        cb = h.create(e, m, "cb", codebuildRoleArn=h.role_arn(e, "codebuild"))
        self.assertEqual(cb["codebuildRoleArn"], h.role_arn(e, "codebuild"))
        self.assertEqual(h.get(m, cb["id"])["codebuildRoleArn"], h.role_arn(e, "codebuild"))

        # Several connections for the same (E, M, environment name) may exist.
        a = h.create(e, m, "same")
        b = h.create(e, m, "same")
        self.assertNotEqual(a["id"], b["id"])
        self.assertEqual(h.ids(h.list_all(m, "MANAGEMENT_ACCOUNT", environmentName="same")), h.ordered([a, b]))


class ConnectionQuota(unittest.TestCase):
    def test_quota(self):
        endpoint = os.environ.get("OPENPROTON_QUOTA_ENDPOINT") or h.ENDPOINT
        quota = int(os.environ.get("OPENPROTON_QUOTA", "5")) if os.environ.get("OPENPROTON_QUOTA_ENDPOINT") else 5
        e, m, e2 = h.fresh_account(), h.fresh_account(), h.fresh_account()
        ce = h.client(e, endpoint=endpoint)
        cm = h.client(m, endpoint=endpoint)
        made = [h.create(e, m, "q0", endpoint=endpoint, clientToken="first-" + e)]
        made += [h.create(e, m, endpoint=endpoint) for _ in range(quota - 1)]
        over = h.expect_error(self, "ServiceQuotaExceededException", h.create, e, m, endpoint=endpoint)
        self.assertIn(str(quota), over.response["Error"]["Message"])
        # A retry of a create that succeeded is not a new connection: it
        # succeeds at the quota.
        retry = h.create(e, m, "q0", endpoint=endpoint, clientToken="first-" + e)
        self.assertEqual(retry["id"], made[0]["id"])
        # CONNECTED still counts.
        cm.accept_environment_account_connection(id=made[0]["id"])
        h.expect_error(self, "ServiceQuotaExceededException", h.create, e, m, endpoint=endpoint)
        self.assertEqual(len(h.list_all(e, "ENVIRONMENT_ACCOUNT", endpoint=endpoint)), quota)
        # REJECTED does not count.
        cm.reject_environment_account_connection(id=made[1]["id"])
        again = h.create(e, m, endpoint=endpoint)
        self.assertEqual(again["status"], "PENDING")
        h.expect_error(self, "ServiceQuotaExceededException", h.create, e, m, endpoint=endpoint)
        # A deleted connection frees its place.
        ce.delete_environment_account_connection(id=made[2]["id"])
        h.create(e, m, endpoint=endpoint)
        h.expect_error(self, "ServiceQuotaExceededException", h.create, e, m, endpoint=endpoint)
        # Another environment account, or the same one in another region, is unaffected.
        h.create(e2, m, endpoint=endpoint)
        other = h.create(e, m, region=h.OTHER_REGION, endpoint=endpoint)
        self.assertIn(":eu-west-1:%s:" % e, other["arn"])
        # The account on the receiving end is not limited by it either.
        h.create(m, e, endpoint=endpoint)


class ConnectionClientToken(unittest.TestCase):
    def test_client_token(self):
        e, m = h.fresh_account(), h.fresh_account()
        ce = h.client(e)
        token = "tok-" + uuid.uuid4().hex
        params = dict(managementAccountId=m, environmentName="tokened", roleArn=h.role_arn(e),
                      tags=[{"key": "k", "value": "v"}], clientToken=token)
        first = ce.create_environment_account_connection(**params)["environmentAccountConnection"]
        second = ce.create_environment_account_connection(**params)["environmentAccountConnection"]
        self.assertEqual(second, first)
        self.assertEqual(h.ids(h.list_all(e, "ENVIRONMENT_ACCOUNT")), [first["id"]])

        mismatch = dict(params, environmentName="different")
        err = h.expect_error(self, "ValidationException", ce.create_environment_account_connection, **mismatch)
        self.assertIn("Idempotent parameter mismatch", err.response["Error"]["Message"])
        h.expect_error(self, "ValidationException", ce.create_environment_account_connection,
                       **dict(params, tags=[{"key": "k", "value": "other"}]))
        self.assertEqual(len(h.list_all(e, "ENVIRONMENT_ACCOUNT")), 1)

        # The retry returns the connection as it is now.
        h.client(m).accept_environment_account_connection(id=first["id"])
        now = ce.create_environment_account_connection(**params)["environmentAccountConnection"]
        self.assertEqual(now["id"], first["id"])
        self.assertEqual(now["status"], "CONNECTED")

        # Tokens are exact strings and belong to the caller.
        upper = ce.create_environment_account_connection(**dict(params, clientToken=token.upper()))
        self.assertNotEqual(upper["environmentAccountConnection"]["id"], first["id"])
        e2 = h.fresh_account()
        other = h.client(e2).create_environment_account_connection(**dict(params, roleArn=h.role_arn(e2)))
        self.assertNotEqual(other["environmentAccountConnection"]["id"], first["id"])
        self.assertEqual(len(h.list_all(e, "ENVIRONMENT_ACCOUNT")), 2)

        # Once the connection is deleted, its token makes a new one.
        ce.delete_environment_account_connection(id=first["id"])
        reborn = ce.create_environment_account_connection(**params)["environmentAccountConnection"]
        self.assertNotEqual(reborn["id"], first["id"])
        self.assertEqual(reborn["status"], "PENDING")

        # Without a token, boto3 sends a fresh one each time: two connections.
        p2 = {k: v for k, v in params.items() if k != "clientToken"}
        a = ce.create_environment_account_connection(**p2)["environmentAccountConnection"]
        b = ce.create_environment_account_connection(**p2)["environmentAccountConnection"]
        self.assertNotEqual(a["id"], b["id"])


class ConnectionDelete(unittest.TestCase):
    def test_delete(self):
        e, m = h.fresh_account(), h.fresh_account()
        ce = h.client(e)
        c = h.create(e, m, tags=[{"key": "team", "value": "a"}])
        acc = h.client(m).accept_environment_account_connection(id=c["id"])["environmentAccountConnection"]
        d = ce.delete_environment_account_connection(id=c["id"])
        self.assertEqual(d["environmentAccountConnection"], acc)
        again = ce.delete_environment_account_connection(id=c["id"])
        self.assertEqual(again["ResponseMetadata"]["HTTPStatusCode"], 200)
        self.assertEqual({k: v for k, v in again.items() if k != "ResponseMetadata"}, {})
        self.assertEqual(h.list_all(e, "ENVIRONMENT_ACCOUNT"), [])
        self.assertEqual(h.list_all(m, "MANAGEMENT_ACCOUNT"), [])
        h.expect_error(self, "ResourceNotFoundException", ce.list_tags_for_resource, resourceArn=c["arn"])

        h.expect_error(self, "ResourceNotFoundException", ce.delete_environment_account_connection, id=str(uuid.uuid4()))
        # A third account learns nothing from a deleted id either.
        h.expect_error(self, "ResourceNotFoundException",
                       h.client(h.fresh_account()).delete_environment_account_connection, id=c["id"])

        # PENDING ones delete too.
        p = h.create(e, m)
        self.assertEqual(ce.delete_environment_account_connection(id=p["id"])["environmentAccountConnection"]["status"], "PENDING")


class ConnectionList(unittest.TestCase):
    def test_pagination_and_filters(self):
        m = h.fresh_account()
        envs = [h.fresh_account() for _ in range(3)]
        made = []
        for i in range(7):
            e = envs[i % 3]
            made.append(h.create(e, m, "shared" if i in (1, 4) else "env%d" % i))
        cm = h.client(m)

        # boto3's paginator, two per page.
        pages = list(cm.get_paginator("list_environment_account_connections").paginate(
            requestedBy="MANAGEMENT_ACCOUNT", PaginationConfig={"PageSize": 2}))
        self.assertEqual(len(pages), 4)
        tokens = [p.get("nextToken") for p in pages]
        self.assertTrue(all(tokens[:-1]), tokens)
        self.assertFalse(tokens[-1])
        self.assertEqual(len(set(tokens[:-1])), 3, "a nextToken never repeats")
        got = [c for p in pages for c in p["environmentAccountConnections"]]
        for p in pages:
            self.assertLessEqual(len(p["environmentAccountConnections"]), 2)
        self.assertEqual(len(got), 7)
        self.assertEqual(sorted(h.ids(got)), sorted(h.ids(made)), "every connection exactly once")
        self.assertEqual(got, sorted(got, key=lambda c: (c["requestedAt"], c["id"])), "ordered by requestedAt then id")
        self.assertEqual(h.ids(got), h.ordered(made))
        self.assertNotIn("codebuildRoleArn", got[0])
        self.assertEqual(got[0]["arn"], made[0]["arn"])

        # The default page holds them all.
        one = cm.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT")
        self.assertEqual(h.ids(one["environmentAccountConnections"]), h.ordered(made))
        self.assertFalse(one.get("nextToken"))

        # Filters.
        def pick(*idx):
            return h.ordered([made[i] for i in idx])

        self.assertEqual(h.ids(h.list_all(m, "MANAGEMENT_ACCOUNT", environmentName="shared")), pick(1, 4))
        self.assertEqual(h.ids(h.list_all(envs[0], "ENVIRONMENT_ACCOUNT")), pick(0, 3, 6))
        self.assertEqual(h.list_all(envs[0], "MANAGEMENT_ACCOUNT"), [])
        self.assertEqual(h.list_all(m, "ENVIRONMENT_ACCOUNT"), [])
        cm.accept_environment_account_connection(id=made[2]["id"])
        cm.accept_environment_account_connection(id=made[5]["id"])
        cm.reject_environment_account_connection(id=made[3]["id"])
        self.assertEqual(h.ids(h.list_all(m, "MANAGEMENT_ACCOUNT", statuses=["CONNECTED"])), pick(2, 5))
        self.assertEqual(h.ids(h.list_all(m, "MANAGEMENT_ACCOUNT", statuses=["REJECTED", "CONNECTED"])), pick(2, 3, 5))
        self.assertEqual(h.ids(h.list_all(m, "MANAGEMENT_ACCOUNT", statuses=["PENDING"], PaginationConfig={"PageSize": 1})),
                         pick(0, 1, 4, 6))
        self.assertEqual(h.ids(h.list_all(envs[0], "ENVIRONMENT_ACCOUNT", statuses=["PENDING"], environmentName="env0")),
                         [made[0]["id"]])

        # Tokens are tamper-evident and bound to the query that issued them.
        first = cm.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", maxResults=2)
        tok = first["nextToken"]
        twin = cm.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", maxResults=2)
        self.assertEqual(h.ids(twin["environmentAccountConnections"]), h.ids(first["environmentAccountConnections"]))
        self.assertNotEqual(twin["nextToken"], tok, "a nextToken never repeats, even for the same page")
        raw = bytearray(base64.b64decode(tok + "=" * (-len(tok) % 4)))
        raw[len(raw) // 2] ^= 0x01
        tampered = base64.b64encode(bytes(raw)).decode()
        self.assertNotEqual(tampered, tok)
        h.expect_error(self, "ValidationException", cm.list_environment_account_connections,
                       requestedBy="MANAGEMENT_ACCOUNT", maxResults=2, nextToken=tampered)
        h.expect_error(self, "ValidationException", cm.list_environment_account_connections,
                       requestedBy="MANAGEMENT_ACCOUNT", nextToken="AAAA" + tok)
        h.expect_error(self, "ValidationException", cm.list_environment_account_connections,
                       requestedBy="MANAGEMENT_ACCOUNT", statuses=["PENDING"], nextToken=tok)
        h.expect_error(self, "ValidationException", h.client(envs[1]).list_environment_account_connections,
                       requestedBy="MANAGEMENT_ACCOUNT", nextToken=tok)
        # The page size may change between pages.
        rest = cm.list_environment_account_connections(requestedBy="MANAGEMENT_ACCOUNT", maxResults=10, nextToken=tok)
        self.assertEqual(h.ids(first["environmentAccountConnections"] + rest["environmentAccountConnections"]), h.ordered(made))


class ConnectionRegion(unittest.TestCase):
    def test_invisible_from_another_region(self):
        e, m = h.fresh_account(), h.fresh_account()
        c = h.create(e, m, tags=[{"key": "k", "value": "v"}])
        for acct in (e, m):
            eu = h.client(acct, h.OTHER_REGION)
            h.expect_error(self, "ResourceNotFoundException", eu.get_environment_account_connection, id=c["id"])
            h.expect_error(self, "ResourceNotFoundException", eu.list_tags_for_resource, resourceArn=c["arn"])
        eum, eue = h.client(m, h.OTHER_REGION), h.client(e, h.OTHER_REGION)
        h.expect_error(self, "ResourceNotFoundException", eum.accept_environment_account_connection, id=c["id"])
        h.expect_error(self, "ResourceNotFoundException", eum.reject_environment_account_connection, id=c["id"])
        h.expect_error(self, "ResourceNotFoundException", eue.delete_environment_account_connection, id=c["id"])
        h.expect_error(self, "ResourceNotFoundException", eue.update_environment_account_connection,
                       id=c["id"], roleArn=h.role_arn(e, "x"))
        h.expect_error(self, "ResourceNotFoundException", eue.tag_resource, resourceArn=c["arn"],
                       tags=[{"key": "k", "value": "eu"}])
        self.assertEqual(h.list_all(m, "MANAGEMENT_ACCOUNT", region=h.OTHER_REGION), [])
        self.assertEqual(h.list_all(e, "ENVIRONMENT_ACCOUNT", region=h.OTHER_REGION), [])
        # The partition follows the region.
        cn = h.create(e, m, region="cn-north-1", roleArn="arn:aws-cn:iam::%s:role/r" % e)
        self.assertEqual(cn["arn"], "arn:aws-cn:proton:cn-north-1:%s:environment-account-connection/%s" % (e, cn["id"]))
        self.assertEqual(h.get(m, cn["id"], region="cn-north-1")["status"], "PENDING")
        h.expect_error(self, "ResourceNotFoundException", h.client(m).get_environment_account_connection, id=cn["id"])
        # Untouched at home.
        self.assertEqual(h.get(m, c["id"]), c)
        self.assertEqual(h.client(e).list_tags_for_resource(resourceArn=c["arn"])["tags"], [{"key": "k", "value": "v"}])


def tagdict(tags):
    return {t["key"]: t["value"] for t in tags}


class ConnectionTags(unittest.TestCase):
    def test_tags(self):
        e, m = h.fresh_account(), h.fresh_account()
        ce, cm = h.client(e), h.client(m)
        c = h.create(e, m, tags=[{"key": "a", "value": "1"}, {"key": "b", "value": "2"}])
        arn = c["arn"]

        def tags():
            return tagdict(ce.list_tags_for_resource(resourceArn=arn)["tags"])

        self.assertEqual(tags(), {"a": "1", "b": "2"})
        ce.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "one"}, {"key": "c", "value": "3"}])
        self.assertEqual(tags(), {"a": "one", "b": "2", "c": "3"})
        ce.untag_resource(resourceArn=arn, tagKeys=["b", "never-there"])
        self.assertEqual(tags(), {"a": "one", "c": "3"})
        ce.tag_resource(resourceArn=arn, tags=[{"key": "empty", "value": ""}])
        self.assertEqual(tags(), {"a": "one", "c": "3", "empty": ""})
        ce.untag_resource(resourceArn=arn, tagKeys=["empty"])

        # Reserved keys.
        for key in ("aws:owner", "AWS:owner", "aws:proton:account"):
            h.expect_error(self, "ValidationException", ce.tag_resource, resourceArn=arn, tags=[{"key": key, "value": "x"}])
        h.expect_error(self, "ValidationException", ce.untag_resource, resourceArn=arn, tagKeys=["aws:owner"])
        h.expect_error(self, "ValidationException", h.create, e, m, tags=[{"key": "aws:x", "value": "y"}])
        self.assertEqual(len(h.list_all(e, "ENVIRONMENT_ACCOUNT")), 1)

        # Only the environment account manages them.
        h.expect_error(self, "AccessDeniedException", cm.tag_resource, resourceArn=arn, tags=[{"key": "m", "value": "x"}])
        h.expect_error(self, "AccessDeniedException", cm.untag_resource, resourceArn=arn, tagKeys=["a"])
        stranger = h.client(h.fresh_account())
        h.expect_error(self, "ResourceNotFoundException", stranger.tag_resource, resourceArn=arn, tags=[{"key": "s", "value": "x"}])
        h.expect_error(self, "ResourceNotFoundException", stranger.list_tags_for_resource, resourceArn=arn)
        self.assertEqual(tags(), {"a": "one", "c": "3"})

        # At most 50 in total.
        ce.tag_resource(resourceArn=arn, tags=[{"key": "k%02d" % i, "value": str(i)} for i in range(48)])
        self.assertEqual(len(tags()), 50)
        h.expect_error(self, "ValidationException", ce.tag_resource, resourceArn=arn, tags=[{"key": "one-too-many", "value": "x"}])
        h.expect_error(self, "ValidationException", ce.tag_resource, resourceArn=arn,
                       tags=[{"key": "a", "value": "two"}, {"key": "one-too-many", "value": "x"}])
        self.assertEqual(len(tags()), 50)
        self.assertEqual(tags()["a"], "one", "a refused request changes nothing")
        ce.tag_resource(resourceArn=arn, tags=[{"key": "a", "value": "overwrite-at-limit"}])
        self.assertEqual(tags()["a"], "overwrite-at-limit")

        # ListTagsForResource pages.
        pages = list(ce.get_paginator("list_tags_for_resource").paginate(resourceArn=arn, PaginationConfig={"PageSize": 20}))
        self.assertEqual([len(p["tags"]) for p in pages], [20, 20, 10])
        self.assertEqual(len({t["key"] for p in pages for t in p["tags"]}), 50)

        # 50 tags at creation are fine; a connection's tags are its own.
        full = h.create(e, m, tags=[{"key": "t%02d" % i, "value": "v"} for i in range(50)])
        self.assertEqual(len(ce.list_tags_for_resource(resourceArn=full["arn"])["tags"]), 50)
        self.assertEqual(len(tags()), 50)


class ConnectionInvalidInput(unittest.TestCase):
    """Every member's constraints, checked by the server (client-side checks off)."""

    @classmethod
    def setUpClass(cls):
        cls.e, cls.m = h.fresh_account(), h.fresh_account()
        cls.ce = h.client(cls.e, validate=False)
        cls.cm = h.client(cls.m, validate=False)
        cls.conn = h.create(cls.e, cls.m, "baseline", tags=[{"key": "keep", "value": "me"}])

    def snapshot(self):
        return (
            h.list_all(self.e, "ENVIRONMENT_ACCOUNT"),
            h.list_all(self.m, "MANAGEMENT_ACCOUNT"),
            h.list_all(self.e, "MANAGEMENT_ACCOUNT"),
            h.client(self.e).list_tags_for_resource(resourceArn=self.conn["arn"])["tags"],
        )

    def invalid(self, fn, paths=(), **kw):
        before = self.snapshot()
        err = h.expect_error(self, "ValidationException", fn, **kw)
        msg = err.response["Error"]["Message"]
        for p in paths:
            self.assertIn("'%s'" % p, msg)
        self.assertEqual(self.snapshot(), before, "an invalid request changed state: %s %r" % (fn.__name__, kw))
        return msg

    def test_ids(self):
        good = self.conn["id"]
        msg = self.invalid(self.ce.get_environment_account_connection, id="not-a-uuid")
        self.assertEqual(msg, "1 validation error detected: Value 'not-a-uuid' at 'id' failed to satisfy constraint: "
                              "Member must satisfy regular expression pattern: "
                              "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        for bad in ("not-a-uuid", good.upper(), good + "0", "", " " + good):
            for fn in (self.ce.get_environment_account_connection, self.cm.accept_environment_account_connection,
                       self.cm.reject_environment_account_connection, self.ce.delete_environment_account_connection):
                self.invalid(fn, ["id"] if bad else [], id=bad)
            self.invalid(self.ce.update_environment_account_connection, ["id"] if bad else [], id=bad, roleArn=h.role_arn(self.e))
        self.assertEqual(h.get(self.e, good), self.conn)

    def test_create_members(self):
        base = dict(managementAccountId=self.m, environmentName="valid", roleArn=h.role_arn(self.e))
        cases = [
            ("managementAccountId", dict(managementAccountId="12345")),
            ("managementAccountId", dict(managementAccountId="abcdefghijkl")),
            ("managementAccountId", dict(managementAccountId="1234567890123")),
            ("environmentName", dict(environmentName="bad name!")),
            ("environmentName", dict(environmentName="-leading-dash")),
            ("environmentName", dict(environmentName="")),
            ("environmentName", dict(environmentName="n" * 101)),
            ("roleArn", dict(roleArn="not-an-arn")),
            ("roleArn", dict(roleArn="arn:aws:iam::123:role/short-account")),
            ("roleArn", dict(roleArn="arn:aws:iam::%s:user/not-a-role" % self.e)),
            ("roleArn", dict(roleArn="arn:aws:iam::%s:role/%s" % (self.e, "r" * 2040))),
            ("codebuildRoleArn", dict(codebuildRoleArn="arn:aws:s3:::bucket")),
            ("componentRoleArn", dict(componentRoleArn="arn:aws:iam::%s:role/bad role" % self.e)),
            ("tags", dict(tags=[{"key": "k%d" % i, "value": "v"} for i in range(51)])),
            ("tags.1.member.key", dict(tags=[{"key": "", "value": "v"}])),
            ("tags.1.member.key", dict(tags=[{"key": "k" * 129, "value": "v"}])),
            ("tags.1.member.value", dict(tags=[{"key": "k", "value": "v" * 257}])),
            ("clientToken", dict(clientToken="t" * 65)),
            ("clientToken", dict(clientToken="has space")),
        ]
        for path, over in cases:
            with self.subTest(path=path, value=str(over)[:60]):
                self.invalid(self.ce.create_environment_account_connection, [path], **dict(base, **over))
        msg = self.invalid(self.ce.create_environment_account_connection, ["tags"],
                           **dict(base, tags=[{"key": "k%d" % i, "value": "v"} for i in range(51)]))
        self.assertIn("at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50", msg)
        # Missing required members.
        msg = self.invalid(self.ce.create_environment_account_connection, ["managementAccountId"],
                           environmentName="valid", roleArn=h.role_arn(self.e))
        self.assertIn("Member must not be null", msg)
        # Every violation at once, in one message.
        msg = self.invalid(self.ce.create_environment_account_connection, ["managementAccountId", "environmentName"],
                           managementAccountId="x", environmentName="bad name!", roleArn=h.role_arn(self.e))
        self.assertIn("2 validation errors detected", msg)

    def test_update_members(self):
        cid = self.conn["id"]
        for member in ("roleArn", "codebuildRoleArn", "componentRoleArn"):
            for bad in ("not-an-arn", ""):
                self.invalid(self.ce.update_environment_account_connection, [member], id=cid, **{member: bad})
        self.assertEqual(h.get(self.e, cid), self.conn)

    def test_list_members(self):
        fn = self.cm.list_environment_account_connections
        self.invalid(fn, ["requestedBy"], requestedBy="BOTH")
        self.invalid(fn, ["requestedBy"])
        self.invalid(fn, ["statuses.1.member"], requestedBy="MANAGEMENT_ACCOUNT", statuses=["DONE"])
        self.invalid(fn, [], requestedBy="MANAGEMENT_ACCOUNT", statuses=["PENDING", "pending"])
        self.invalid(fn, ["maxResults"], requestedBy="MANAGEMENT_ACCOUNT", maxResults=0)
        self.invalid(fn, ["maxResults"], requestedBy="MANAGEMENT_ACCOUNT", maxResults=101)
        self.invalid(fn, ["nextToken"], requestedBy="MANAGEMENT_ACCOUNT", nextToken="!!!")
        self.invalid(fn, [], requestedBy="MANAGEMENT_ACCOUNT", nextToken="AAAA")
        self.invalid(fn, ["environmentName"], requestedBy="MANAGEMENT_ACCOUNT", environmentName="bad name!")
        # The limits themselves are fine.
        for n in (1, 100):
            out = fn(requestedBy="MANAGEMENT_ACCOUNT", maxResults=n)
            self.assertEqual(h.ids(out["environmentAccountConnections"]), [self.conn["id"]])

    def test_tag_members(self):
        arn = self.conn["arn"]
        self.invalid(self.ce.tag_resource, ["tags"], resourceArn=arn, tags=[{"key": "k%d" % i, "value": "v"} for i in range(51)])
        self.invalid(self.ce.tag_resource, [], resourceArn=arn, tags=[{"key": "", "value": "v"}])
        self.invalid(self.ce.tag_resource, [], resourceArn=arn, tags=[{"key": "k", "value": "v" * 257}])
        self.invalid(self.ce.tag_resource, ["resourceArn"], resourceArn="not-an-arn", tags=[{"key": "k", "value": "v"}])
        self.invalid(self.ce.untag_resource, ["tagKeys"], resourceArn=arn, tagKeys=["k%d" % i for i in range(51)])
        self.invalid(self.ce.untag_resource, [], resourceArn=arn, tagKeys=[""])
        self.invalid(self.ce.list_tags_for_resource, ["maxResults"], resourceArn=arn, maxResults=0)
        self.invalid(self.ce.list_tags_for_resource, ["maxResults"], resourceArn=arn, maxResults=101)
        self.invalid(self.ce.list_tags_for_resource, [], resourceArn=arn, nextToken="AAAA")


if __name__ == "__main__":
    unittest.main()
