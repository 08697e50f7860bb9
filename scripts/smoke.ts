// Smoke test of a deployed stage, as an agent sees it: put a low-tier proposal (ticket_priority, approved
// by the policy at once) on the stage's bus, then read its review through the IAM-signed status route
// until it shows the approval. `npm run smoke -- --stage prod [--region eu-west-1]` reads the stack's
// outputs with the caller's AWS credentials; `--local http://127.0.0.1:3000` runs it against local mode.
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SignatureV4 } from '@smithy/signature-v4';
import { reviewIdFor } from '../functions/domain/ids.ts';
import { DetailType } from '../events/names.ts';
import { Sha256 } from '../local/iam/sigv4.ts';

const { values: args } = parseArgs({
  options: {
    stage: { type: 'string', default: 'dev' },
    region: { type: 'string', default: 'eu-west-1' },
    local: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '60' },
  },
});

/** Fixed keys or the SDK's provider: what both the signer and the clients accept. */
type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

interface Target {
  apiUrl: string;
  busName: string;
  region: string;
  credentials: Credentials;
  /** Local mode serves EventBridge on its one port; in AWS the SDK finds the endpoint. */
  endpoint?: string;
}

const say = (line: string) => console.log(`smoke: ${line}`);
const fail = (message: string): never => {
  console.error(`smoke: FAILED: ${message}`);
  process.exit(1);
};

/** The stack's outputs, read with the SDK's default credentials (environment, profile, SSO, role). */
async function deployed(stage: string, region: string): Promise<Target> {
  const cloudFormation = new CloudFormationClient({ region });
  const stackName = `hitl-gate-${stage}`;
  const { Stacks } = await cloudFormation
    .send(new DescribeStacksCommand({ StackName: stackName }))
    .catch((e: Error) => fail(`cannot read the stack ${stackName} in ${region}: ${e.name}: ${e.message}`));
  const outputs = Object.fromEntries((Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
  const need = (key: string) =>
    outputs[key] ?? fail(`the stack ${stackName} has no output ${key} (deployed from an older serverless.yml?)`);
  say(`stack ${stackName} in ${region}: ApiUrl ${need('ApiUrl')}, bus ${need('BusName')}`);
  return { apiUrl: need('ApiUrl'), busName: need('BusName'), region, credentials: cloudFormation.config.credentials };
}

/** Local mode's own names: the bus of the stage, everything on one port, the developer's key. */
function local(url: string, stage: string, region: string): Target {
  say(`local mode at ${url}, bus hitl-${stage}`);
  return {
    apiUrl: url.replace(/\/$/, ''),
    busName: `hitl-${stage}`,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpoint: url,
  };
}

/** GET /reviews/{id}/status signed with SigV4 for execute-api, as the aws_iam route requires. */
async function readStatus(target: Target, reviewId: string): Promise<{ status: number; body: Record<string, any> }> {
  const url = new URL(`${target.apiUrl}/reviews/${reviewId}/status`);
  const signer = new SignatureV4({
    credentials: target.credentials,
    region: target.region,
    service: 'execute-api',
    sha256: Sha256,
  });
  const request = await signer.sign({
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    path: url.pathname,
    query: {},
    headers: { host: url.host },
  });
  const res = await fetch(url, { headers: request.headers as Record<string, string> });
  const text = await res.text();
  let body: Record<string, any> = {};
  try {
    body = JSON.parse(text) as Record<string, any>;
  } catch {
    body = { text };
  }
  return { status: res.status, body };
}

const target = args.local ? local(args.local, args.stage, args.region) : await deployed(args.stage, args.region);
const agentId = 'hitl-gate-smoke';
const proposalId = `smoke-${new Date().toISOString().replace(/[:.]/g, '-')}`;
const reviewId = reviewIdFor(agentId, proposalId);

const eventBridge = new EventBridgeClient({
  region: target.region,
  credentials: target.credentials,
  ...(target.endpoint ? { endpoint: target.endpoint } : {}),
});
const put = await eventBridge
  .send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: target.busName,
          Source: 'agent.smoke',
          DetailType: DetailType.ActionProposed,
          Detail: JSON.stringify({
            proposalId,
            agentId,
            requestedBy: 'smoke-test',
            action: { type: 'ticket_priority', summary: 'Smoke test: raise a ticket to P2' },
          }),
        },
      ],
    }),
  )
  .catch((e: Error) => fail(`PutEvents on ${target.busName}: ${e.name}: ${e.message}`));
if (put.FailedEntryCount) fail(`PutEvents refused the proposal: ${JSON.stringify(put.Entries)}`);
say(`put Action Proposed ${proposalId} (ticket_priority, low tier) on ${target.busName}; review ${reviewId}`);

const until = Date.now() + Number(args['timeout-seconds']) * 1000;
let last = 'no answer yet';
for (;;) {
  const { status, body } = await readStatus(target, reviewId);
  if (status === 200 && body.decision?.outcome === 'approved') {
    say(
      `review ${reviewId} is ${body.status}: approved by ${body.decision.by.map((b: { id: string }) => b.id).join(', ')} (tier ${body.tier}, rule ${body.rule})`,
    );
    say('OK');
    break;
  }
  if (status === 200 && body.decision)
    fail(`review ${reviewId} was decided ${body.decision.outcome}, not approved: ${JSON.stringify(body.decision)}`);
  if (status !== 200 && status !== 404)
    fail(`GET /reviews/${reviewId}/status answered ${status}: ${JSON.stringify(body)}`);
  last = status === 404 ? 'not opened yet (404)' : `status ${String(body.status)}`;
  if (Date.now() > until)
    fail(`timed out after ${args['timeout-seconds']} s waiting for the approval of review ${reviewId}: ${last}`);
  await new Promise((r) => setTimeout(r, 1000));
}
