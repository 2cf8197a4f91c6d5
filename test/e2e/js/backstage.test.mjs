// The calls of the AWS Proton plugins for Backstage, through
// @aws-sdk/client-proton, as the plugins make them.
//
// The scaffolder action (aws:proton:create-service) sends CreateService with
// the spec file of the software template as it is, the repository as
// `owner/repo`, the branch and the CodeStar connection; the entity card
// takes the service name from the service's ARN and reads GetService:
// status, status message, last modification, template name, and the
// template versions from the pipeline. A script of the scaffolder waits
// with waitUntilServiceCreated.
//
// The Go test TestBackstageTutorialJS starts the server, registers AWS's
// sample templates fargate-env and load-balanced-fargate-svc (the template
// of the plugins' tutorial), deploys the environment OPENPROTON_ENVIRONMENT
// in account OPENPROTON_ACCOUNT, sets the account's pipeline role and runs,
// from test/e2e:
//
//   node --test js/backstage.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ProtonClient,
  CreateServiceCommand,
  GetServiceCommand,
  ListServiceInstancesCommand,
  waitUntilServiceCreated,
} from '@aws-sdk/client-proton';
import { required } from './env.mjs';

const endpoint = required('OPENPROTON_ENDPOINT');
const account = required('OPENPROTON_ACCOUNT');
const environment = required('OPENPROTON_ENVIRONMENT');
const region = 'us-east-1';

const client = new ProtonClient({
  endpoint,
  region,
  credentials: { accessKeyId: account, secretAccessKey: 'openproton-test-secret' },
  maxAttempts: 1,
});

const serviceName = 'nginx-website';
const connection = `arn:aws:codestar-connections:${region}:${account}:connection/c176b204-5bb1-48f1-b977-5aff4fa2df9d`;
// The spec file of the tutorial's software template, as fetch:template
// writes it: two instances in one environment, and the pipeline's inputs.
const spec = `proton: ServiceSpec

pipeline:
  service_dir: "."
  unit_test_command: "./run-tests.sh"

instances:
  - name: "dev"
    environment: "${environment}"
    spec:
      desired_count: 1
      port: 80
      task_size: "x-small"
  - name: "prod"
    environment: "${environment}"
    spec:
      desired_count: 2
      port: 80
      task_size: "medium"
`;
// The repository as the action's input gets it from parseRepoUrl.
const repository = { host: 'github.com', owner: 'my-org', repo: serviceName };

let created;

test('the scaffolder action creates the service', async () => {
  const resp = await client.send(new CreateServiceCommand({
    name: serviceName,
    templateName: 'load-balanced-fargate-svc',
    templateMajorVersion: '1',
    repositoryId: `${repository.owner}/${repository.repo}`,
    repositoryConnectionArn: connection,
    branchName: 'main',
    spec,
  }));
  assert.equal(resp.$metadata.httpStatusCode, 200);
  created = resp.service;
  assert.ok(created !== undefined, 'CreateService answered no service');
  // The action's output, which the entity's catalog-info.yaml keeps.
  assert.equal(created.arn, `arn:aws:proton:${region}:${account}:service/${serviceName}`);
  assert.equal(created.status, 'CREATE_IN_PROGRESS');
  assert.equal(created.repositoryId, 'my-org/nginx-website');
  assert.equal(created.repositoryConnectionArn, connection);
  assert.equal(created.branchName, 'main');
  assert.equal(created.templateName, 'load-balanced-fargate-svc');
  assert.equal(created.spec, spec);
  assert.ok(created.createdAt instanceof Date);
  assert.ok(created.lastModifiedAt instanceof Date);
});

test('waitUntilServiceCreated ends when the service is ACTIVE', async () => {
  assert.ok(created, 'the service was not created');
  const result = await waitUntilServiceCreated({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { name: serviceName });
  assert.equal(result.state, 'SUCCESS', JSON.stringify(result.reason));
  assert.equal(result.reason.service.status, 'ACTIVE');
});

test('the entity card reads the service from its ARN', async () => {
  assert.ok(created, 'the service was not created');
  // As the card's backend does: the region and the name from the ARN.
  const [, , , arnRegion, , resource] = created.arn.split(':');
  const segments = resource.split('/');
  assert.equal(segments.length, 2);
  const card = new ProtonClient({
    endpoint,
    region: arnRegion,
    credentials: { accessKeyId: account, secretAccessKey: 'openproton-test-secret' },
    maxAttempts: 1,
  });
  const resp = await card.send(new GetServiceCommand({ name: segments[1] }));
  const v = resp.service;
  const shown = {
    name: v.name,
    region: arnRegion,
    status: v.status,
    statusMessage: v.statusMessage,
    templateName: v.templateName,
    templateMajorVersion: v.pipeline?.templateMajorVersion,
    templateMinorVersion: v.pipeline?.templateMinorVersion,
  };
  assert.deepEqual(shown, {
    name: serviceName,
    region,
    status: 'ACTIVE',
    statusMessage: undefined,
    templateName: 'load-balanced-fargate-svc',
    templateMajorVersion: '1',
    templateMinorVersion: '0',
  });
  assert.ok(v.lastModifiedAt instanceof Date);
  assert.ok(v.lastModifiedAt >= created.lastModifiedAt);
  assert.equal(v.pipeline.deploymentStatus, 'SUCCEEDED');
  assert.equal(v.pipeline.templateName, 'load-balanced-fargate-svc');
  assert.match(v.pipeline.arn, new RegExp(`^arn:aws:proton:${region}:${account}:service/${serviceName}/pipeline(/|$)`));
  const instances = await card.send(new ListServiceInstancesCommand({ serviceName }));
  assert.deepEqual(
    instances.serviceInstances.map((i) => [i.name, i.environmentName, i.deploymentStatus, i.templateMajorVersion, i.templateMinorVersion]),
    [['dev', environment, 'SUCCEEDED', '1', '0'], ['prod', environment, 'SUCCEEDED', '1', '0']]);
});
