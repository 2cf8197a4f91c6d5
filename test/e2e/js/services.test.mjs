// A service created the way the Backstage plugin for AWS Proton does it,
// with @aws-sdk/client-proton: its scaffolder action calls CreateService
// with a repository connection, a repository id (owner/repo) and a branch;
// its entity card then reads the service with GetService.
//
// The Go test TestServicesBackstageJS starts a server, makes the account's
// environment and service template, and runs, from test/e2e:
//
//   node --test js/services.test.mjs
//
// OPENPROTON_ENDPOINT names the server, OPENPROTON_ACCOUNT the account and
// OPENPROTON_ENVIRONMENT the environment the instance runs in.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtonClient,
  CreateServiceCommand,
  GetServiceCommand,
  waitUntilServiceCreated,
} from '@aws-sdk/client-proton';
import { required } from './env.mjs';

const endpoint = required('OPENPROTON_ENDPOINT');
const account = required('OPENPROTON_ACCOUNT');
const environment = required('OPENPROTON_ENVIRONMENT');

const client = new ProtonClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: account, secretAccessKey: 'openproton-test-secret' },
  maxAttempts: 1,
});

test('the Backstage scaffolder action creates a service; the entity card reads it', async () => {
  const connection = `arn:aws:codestar-connections:us-east-1:${account}:connection/backstage`;
  const spec = [
    'proton: ServiceSpec',
    'pipeline:',
    '  branch: main',
    'instances:',
    '  - name: backstage-instance',
    `    environment: ${environment}`,
    '',
  ].join('\n');
  const created = await client.send(new CreateServiceCommand({
    name: 'backstage-svc',
    templateName: 'web',
    templateMajorVersion: '1',
    repositoryConnectionArn: connection,
    repositoryId: 'my-org/backstage-svc',
    branchName: 'main',
    spec,
  }));
  assert.equal(created.service.status, 'CREATE_IN_PROGRESS');
  const waited = await waitUntilServiceCreated({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { name: 'backstage-svc' });
  assert.equal(waited.state, 'SUCCESS');
  const { service } = await client.send(new GetServiceCommand({ name: 'backstage-svc' }));
  assert.equal(service.status, 'ACTIVE');
  assert.equal(service.arn, `arn:aws:proton:us-east-1:${account}:service/backstage-svc`);
  assert.equal(service.templateName, 'web');
  assert.equal(service.repositoryConnectionArn, connection);
  assert.equal(service.repositoryId, 'my-org/backstage-svc');
  assert.equal(service.branchName, 'main');
  assert.equal(service.spec, spec);
  assert.ok(service.createdAt instanceof Date && service.lastModifiedAt instanceof Date);
  assert.equal(service.pipeline.templateName, 'web');
  assert.equal(service.pipeline.templateMajorVersion, '1');
  assert.equal(service.pipeline.templateMinorVersion, '1');
  assert.equal(service.pipeline.deploymentStatus, 'SUCCEEDED');
  assert.equal(service.pipeline.arn, `arn:aws:proton:us-east-1:${account}:service/backstage-svc/pipeline`);
});
