// Smoke test of a deployed stage, as an agent sees it, through @hitl-gate/client: put a low-tier proposal
// (ticket_priority, approved by the policy at once) on the stage's bus, then read its review through the
// IAM-signed status route until it shows the approval. `npm run smoke -- --stage prod [--region eu-west-1]` reads the stack's
// outputs with the caller's AWS credentials; `--local http://127.0.0.1:3000` runs it against local mode.
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import type { SignatureV4 } from '@smithy/signature-v4';
import { reviewIdFor } from '../functions/domain/ids.ts';
import { ApprovalTimeout, HitlGate } from '../clients/typescript/src/index.ts';

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

const target = args.local ? local(args.local, args.stage, args.region) : await deployed(args.stage, args.region);
const agentId = 'hitl-gate-smoke';
const proposalId = `smoke-${new Date().toISOString().replace(/[:.]/g, '-')}`;
const reviewId = reviewIdFor(agentId, proposalId);

// The agent's side, with the product's own client: propose, then read the status until it is decided.
const gate = new HitlGate({
  busName: target.busName,
  apiUrl: target.apiUrl,
  region: target.region,
  credentials: target.credentials,
  source: 'agent.smoke',
  poll: { firstMs: 250, maxMs: 1000 },
  ...(target.endpoint ? { endpoint: target.endpoint } : {}),
});
await gate
  .propose({
    proposalId,
    agentId,
    requestedBy: 'smoke-test',
    action: { type: 'ticket_priority', summary: 'Smoke test: raise a ticket to P2' },
  })
  .catch((e: Error) => fail(`PutEvents on ${target.busName}: ${e.name}: ${e.message}`));
say(`put Action Proposed ${proposalId} (ticket_priority, low tier) on ${target.busName}; review ${reviewId}`);

const timeoutMs = Number(args['timeout-seconds']) * 1000;
const decided = await gate
  .waitFor(agentId, proposalId, { timeoutMs })
  .catch((e: Error) =>
    fail(
      e instanceof ApprovalTimeout
        ? `timed out after ${args['timeout-seconds']} s waiting for the approval of review ${reviewId}`
        : `reading the status of review ${reviewId}: ${e.name}: ${e.message}`,
    ),
  );
if (decided.outcome !== 'approved')
  fail(`review ${reviewId} was decided ${decided.outcome}, not approved: ${decided.decisionReason}`);
const status: Record<string, unknown> = (await gate.status(agentId, proposalId)) ?? {};
say(
  `review ${reviewId} is ${String(status.status)}: approved by ${decided.decidedBy.map((b) => b.id).join(', ')} (tier ${String(status.tier)}, rule ${String(status.rule)})`,
);
say('OK');
