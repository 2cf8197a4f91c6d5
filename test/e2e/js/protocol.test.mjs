// Protocol tests of openproton with @aws-sdk/client-proton.
//
// They check that errors reach a JavaScript user the way they would from
// AWS: ValidationException as the package's typed exception with the Coral
// message, the unmodelled errors (NotImplementedException and the
// authentication errors) as a ProtonServiceException named after the error
// code, with the HTTP status in $metadata.
//
// The Go test TestProtocolClients starts the server and runs, from test/e2e:
//
//   node --test js/protocol.test.mjs
//
// PROTO_AUTH selects the suite: "open" for a server in open
// auth mode; "sigv4" for a server started with --auth sigv4, whose keys come
// from PROTO_KEY_A, PROTO_SECRET_A, PROTO_KEY_B and PROTO_SECRET_B.
// OPENPROTON_ENDPOINT names the server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtonClient,
  ProtonServiceException,
  ValidationException,
  GetRepositoryCommand,
  ListRepositoriesCommand,
  GetEnvironmentAccountConnectionCommand,
  ListEnvironmentAccountConnectionsCommand,
} from '@aws-sdk/client-proton';
import { required } from './env.mjs';

const endpoint = required('OPENPROTON_ENDPOINT');
const mode = required('PROTO_AUTH');

const uuidPattern = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

// client returns a Proton client for the server under test, with retries
// off so that every call is exactly one request.
function client(accessKeyId = '111111111111', secretAccessKey = 'openproton-test-secret', region = 'us-east-1') {
  return new ProtonClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
}

// rejection runs the command and returns the error it fails with.
async function rejection(c, command) {
  try {
    const out = await c.send(command);
    assert.fail(`expected an error, got ${JSON.stringify(out)}`);
  } catch (err) {
    if (err instanceof assert.AssertionError) throw err;
    return err;
  }
}

// assertWireError checks an error decoded from an AWS JSON error response.
function assertWireError(err, code, status) {
  assert.ok(err instanceof ProtonServiceException, `not a ProtonServiceException: ${err?.stack ?? err}`);
  assert.equal(err.name, code, err.message);
  assert.equal(err.$metadata.httpStatusCode, status);
  assert.ok(err.$metadata.requestId, 'no x-amzn-RequestId');
  assert.ok(err.message, 'empty message');
  assert.equal(err.$fault, status >= 500 ? 'server' : 'client');
}

async function assertListsEmpty(c) {
  const out = await c.send(new ListEnvironmentAccountConnectionsCommand({ requestedBy: 'ENVIRONMENT_ACCOUNT' }));
  assert.equal(out.$metadata.httpStatusCode, 200);
  assert.ok(out.$metadata.requestId);
  assert.deepEqual(out.environmentAccountConnections, []);
  assert.equal(out.nextToken, undefined);
}

if (mode === 'open') {
  const c = client();

  test('GetRepository is not implemented: 501 NotImplementedException', async () => {
    const err = await rejection(c, new GetRepositoryCommand({ name: 'my-org/my-repo', provider: 'GITHUB' }));
    assertWireError(err, 'NotImplementedException', 501);
    assert.ok(!(err instanceof ValidationException));
    assert.match(err.message, /GetRepository/);
  });

  test('ListRepositories is not implemented: 501 NotImplementedException', async () => {
    const err = await rejection(c, new ListRepositoriesCommand({}));
    assertWireError(err, 'NotImplementedException', 501);
    assert.match(err.message, /ListRepositories/);
  });

  test('a pattern violation is a typed ValidationException', async () => {
    const err = await rejection(c, new GetEnvironmentAccountConnectionCommand({ id: 'bad' }));
    assert.ok(err instanceof ValidationException, `not a ValidationException: ${err?.stack ?? err}`);
    assertWireError(err, 'ValidationException', 400);
    assert.equal(err.message,
      "1 validation error detected: Value 'bad' at 'id' failed to satisfy constraint: " +
      'Member must satisfy regular expression pattern: ' + uuidPattern);
  });

  test('an enum violation is a typed ValidationException', async () => {
    const err = await rejection(c, new ListEnvironmentAccountConnectionsCommand({ requestedBy: 'BAD' }));
    assert.ok(err instanceof ValidationException);
    assert.equal(err.message,
      "1 validation error detected: Value 'BAD' at 'requestedBy' failed to satisfy constraint: " +
      'Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]');
  });

  test('several violations come back in one message', async () => {
    const err = await rejection(c, new ListEnvironmentAccountConnectionsCommand({
      requestedBy: 'BAD', maxResults: 1000, statuses: ['PENDING', 'NOPE'],
    }));
    assert.ok(err instanceof ValidationException);
    const prefix = '3 validation errors detected: ';
    assert.ok(err.message.startsWith(prefix), err.message);
    const parts = err.message.slice(prefix.length).split('; ');
    assert.equal(parts.length, 3, err.message);
    for (const want of [
      "Value 'BAD' at 'requestedBy' failed to satisfy constraint: Member must satisfy enum value set: [MANAGEMENT_ACCOUNT, ENVIRONMENT_ACCOUNT]",
      "Value '1000' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 100",
      "Value 'NOPE' at 'statuses.2.member' failed to satisfy constraint: Member must satisfy enum value set: [PENDING, CONNECTED, REJECTED]",
    ]) {
      assert.ok(parts.includes(want), `missing ${want} in ${err.message}`);
    }
  });

  test('a valid request succeeds', async () => {
    await assertListsEmpty(c);
  });
} else if (mode === 'sigv4') {
  const { PROTO_KEY_A: keyA, PROTO_SECRET_A: secretA, PROTO_KEY_B: keyB, PROTO_SECRET_B: secretB } = process.env;

  test('the right secret of account A passes authentication', async () => {
    await assertListsEmpty(client(keyA, secretA));
  });

  test('the right secret of account B, signed for another region, passes authentication', async () => {
    await assertListsEmpty(client(keyB, secretB, 'eu-west-1'));
  });

  test('an authenticated call of an operation not built yet is NotImplementedException', async () => {
    const err = await rejection(client(keyA, secretA), new GetRepositoryCommand({ name: 'my-org/my-repo', provider: 'GITHUB' }));
    assertWireError(err, 'NotImplementedException', 501);
  });

  test('a wrong secret is InvalidSignatureException', async () => {
    const err = await rejection(client(keyA, secretB),
      new ListEnvironmentAccountConnectionsCommand({ requestedBy: 'ENVIRONMENT_ACCOUNT' }));
    assertWireError(err, 'InvalidSignatureException', 403);
  });

  test('an unknown access key is UnrecognizedClientException', async () => {
    const err = await rejection(client('AKIAPROTOUNKNOWN0000', secretA),
      new ListEnvironmentAccountConnectionsCommand({ requestedBy: 'ENVIRONMENT_ACCOUNT' }));
    assertWireError(err, 'UnrecognizedClientException', 403);
  });
} else {
  throw new Error(`PROTO_AUTH must be open or sigv4, not ${mode}`);
}
