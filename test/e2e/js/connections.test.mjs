// Environment account connections with @aws-sdk/client-proton: the
// handshake's smoke path, as a JavaScript user of Proton runs it.
//
// The Go test TestConnectionsJS starts a server and runs, from test/e2e:
//
//   node --test js/connections.test.mjs
//
// OPENPROTON_ENDPOINT names the server (open auth mode: the access key id is
// the caller's account).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import {
  ProtonClient,
  AccessDeniedException,
  ConflictException,
  ResourceNotFoundException,
  ValidationException,
  CreateEnvironmentAccountConnectionCommand,
  GetEnvironmentAccountConnectionCommand,
  AcceptEnvironmentAccountConnectionCommand,
  RejectEnvironmentAccountConnectionCommand,
  DeleteEnvironmentAccountConnectionCommand,
  ListTagsForResourceCommand,
  paginateListEnvironmentAccountConnections,
} from '@aws-sdk/client-proton';
import { required } from './env.mjs';

const endpoint = required('OPENPROTON_ENDPOINT');
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// A fresh 12-digit account, so that a run never meets another run's data.
function account() {
  return String(randomInt(100000, 999999)) + String(randomInt(100000, 999999));
}

function client(accessKeyId, region = 'us-east-1') {
  return new ProtonClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey: 'openproton-test-secret' },
    maxAttempts: 1,
  });
}

const role = (acct, name = 'proton-service-role') => `arn:aws:iam::${acct}:role/${name}`;

// rejects runs the command and checks that it fails with the modelled
// exception class and HTTP status; it returns the error.
async function rejects(c, command, Exception, status) {
  let out;
  try {
    out = await c.send(command);
  } catch (err) {
    assert.ok(err instanceof Exception, `want ${Exception.name}, got ${err?.name}: ${err?.message}`);
    assert.equal(err.$metadata.httpStatusCode, status);
    assert.ok(err.message, 'an error without a message');
    return err;
  }
  assert.fail(`expected ${Exception.name}, got ${JSON.stringify(out)}`);
}

// order returns the ids of connections in list order: requestedAt, then id.
function order(...conns) {
  return [...conns]
    .sort((a, b) => (a.requestedAt - b.requestedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c) => c.id);
}

async function listIds(c, requestedBy, extra = {}) {
  const ids = [];
  for await (const page of paginateListEnvironmentAccountConnections({ client: c, pageSize: 2 }, { requestedBy, ...extra })) {
    ids.push(...page.environmentAccountConnections.map((s) => s.id));
  }
  return ids;
}

test('create, get from both accounts, accept, list, reject, delete', async () => {
  const e = account();
  const m = account();
  const x = account();
  const ce = client(e);
  const cm = client(m);

  const { environmentAccountConnection: c } = await ce.send(new CreateEnvironmentAccountConnectionCommand({
    managementAccountId: m,
    environmentName: 'js-smoke',
    roleArn: role(e),
    tags: [{ key: 'team', value: 'web' }],
  }));
  assert.match(c.id, uuid);
  assert.equal(c.status, 'PENDING');
  assert.equal(c.arn, `arn:aws:proton:us-east-1:${e}:environment-account-connection/${c.id}`);
  assert.equal(c.environmentAccountId, e);
  assert.equal(c.managementAccountId, m);
  assert.ok(c.requestedAt instanceof Date);
  assert.equal(c.requestedAt.getTime(), c.lastModifiedAt.getTime());

  for (const who of [ce, cm]) {
    const { environmentAccountConnection: got } = await who.send(new GetEnvironmentAccountConnectionCommand({ id: c.id }));
    assert.deepEqual(got, c);
  }
  await rejects(client(x), new GetEnvironmentAccountConnectionCommand({ id: c.id }), ResourceNotFoundException, 404);
  const denied = await rejects(ce, new AcceptEnvironmentAccountConnectionCommand({ id: c.id }), AccessDeniedException, 403);
  assert.ok(denied.message.includes(m), `message should name the management account: ${denied.message}`);
  await rejects(cm, new DeleteEnvironmentAccountConnectionCommand({ id: c.id }), AccessDeniedException, 403);
  await rejects(ce, new GetEnvironmentAccountConnectionCommand({ id: c.id.toUpperCase() }), ValidationException, 400);

  await new Promise((r) => setTimeout(r, 5));
  const { environmentAccountConnection: a } = await cm.send(new AcceptEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.equal(a.status, 'CONNECTED');
  assert.ok(a.lastModifiedAt > c.lastModifiedAt, 'accept moves lastModifiedAt');
  const { environmentAccountConnection: a2 } = await cm.send(new AcceptEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.deepEqual(a2, a);

  // A second connection, so that the list pages.
  const { environmentAccountConnection: c2 } = await ce.send(new CreateEnvironmentAccountConnectionCommand({
    managementAccountId: m, environmentName: 'js-smoke-2', codebuildRoleArn: role(e, 'codebuild'),
  }));
  const { environmentAccountConnection: c3 } = await client(x).send(new CreateEnvironmentAccountConnectionCommand({
    managementAccountId: m, environmentName: 'js-smoke-3', roleArn: role(x),
  }));
  assert.deepEqual(await listIds(cm, 'MANAGEMENT_ACCOUNT'), order(c, c2, c3));
  assert.deepEqual(await listIds(cm, 'MANAGEMENT_ACCOUNT', { statuses: ['CONNECTED'] }), [c.id]);
  assert.deepEqual(await listIds(ce, 'ENVIRONMENT_ACCOUNT'), order(c, c2));
  assert.deepEqual(await listIds(ce, 'MANAGEMENT_ACCOUNT'), []);
  assert.deepEqual(await listIds(client(m, 'eu-west-1'), 'MANAGEMENT_ACCOUNT'), []);

  const { tags } = await ce.send(new ListTagsForResourceCommand({ resourceArn: c.arn }));
  assert.deepEqual(tags, [{ key: 'team', value: 'web' }]);

  const { environmentAccountConnection: r } = await cm.send(new RejectEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.equal(r.status, 'REJECTED');
  const { environmentAccountConnection: r2 } = await cm.send(new RejectEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.deepEqual(r2, r);
  await rejects(cm, new AcceptEnvironmentAccountConnectionCommand({ id: c.id }), ConflictException, 409);

  const del = await ce.send(new DeleteEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.deepEqual(del.environmentAccountConnection, r);
  const again = await ce.send(new DeleteEnvironmentAccountConnectionCommand({ id: c.id }));
  assert.equal(again.$metadata.httpStatusCode, 200);
  assert.equal(again.environmentAccountConnection, undefined);
  await rejects(cm, new GetEnvironmentAccountConnectionCommand({ id: c.id }), ResourceNotFoundException, 404);
});
