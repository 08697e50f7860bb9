// The real intake and resume ASL, run by the interpreter with Tasks bound to the real handlers,
// against the embedded DynamoDB through the real SDK.
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clients, startHarness, type Harness } from '../support/local.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import type { ActionProposed } from '../../events/index.ts';
import type { Review } from '../../functions/domain/review.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';

let h: Harness;
let intakeArn: string;
let table: string;
beforeAll(async () => {
  h = await startHarness();
  intakeArn = h.app.wiring.stateMachines.find((m) => m.key === 'intake')!.arn;
  table = h.app.wiring.environment.REVIEWS_TABLE!;
});
afterAll(() => h.close());

/** Runs intake as the bus rule would start it: with the EventBridge envelope as input. */
async function intake(detail: unknown) {
  const envelope = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Action Proposed',
    source: 'agent.test',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail,
  };
  const execution = h.app.stepFunctions.startExecution({ stateMachineArn: intakeArn, input: JSON.stringify(envelope) });
  await execution.done;
  await h.app.idle();
  return execution;
}

async function review(p: ActionProposed): Promise<Review | undefined> {
  const { dynamo } = clients(h.app.url);
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table, Key: { pk: `REVIEW#${reviewIdFor(p.agentId, p.proposalId)}`, sk: 'META' } }),
  );
  return Item as Review | undefined;
}

const eventsFor = (proposalId: string) =>
  h.app.bus.events
    .filter(
      (e) => e.Source === 'hitl.gate' && (JSON.parse(e.Detail) as { proposalId?: string }).proposalId === proposalId,
    )
    .map((e) => e.DetailType);

describe('intake workflow', () => {
  it('auto-approves a $500 purchase order and completes it in the one intake execution (no restart)', async () => {
    const p = purchaseOrder(500);
    const execution = await intake(p);
    expect(execution.status).toBe('SUCCEEDED');
    await h.app.idle();
    const resumeArn = h.app.wiring.stateMachines.find((m) => m.key === 'resume')!.arn;
    const id = reviewIdFor(p.agentId, p.proposalId);
    const restarts = h.app.stepFunctions.executions.filter(
      (e) => e.stateMachineArn === resumeArn && (JSON.parse(e.input) as { reviewId?: string }).reviewId === id,
    );
    expect(restarts).toHaveLength(0);
    const r = await review(p);
    expect(r).toMatchObject({
      status: 'COMPLETED',
      tier: 'low',
      decision: { outcome: 'approved', by: [{ id: 'policy', kind: 'policy' }] },
    });
    expect(r!.history.map((e) => e.what)).toEqual(['opened', 'auto_approved', 'completed']);
    expect(eventsFor(p.proposalId)).toEqual(['Approval Granted']);
  });

  it('opens a review for a manager for $5,000, emails the approvers and publishes Approval Requested', async () => {
    const p = purchaseOrder(5000);
    const sentBefore = h.app.mail.sent;
    expect((await intake(p)).status).toBe('SUCCEEDED');
    const r = await review(p);
    expect(r).toMatchObject({ status: 'PENDING', tier: 'medium', step: 0 });
    expect(r!.route[0]!.roles).toEqual(['manager']);
    expect(r!.route[0]!.sla.text).toBe('4h');
    expect(Date.parse(r!.deadline!) - Date.parse(r!.createdAt)).toBe(4 * 3600_000);
    expect(h.app.mail.sent - sentBefore).toBe(r!.route[0]!.approvers.length);
    expect(eventsFor(p.proposalId)).toEqual(['Approval Requested']);
  });

  it('sends $50,000 to the CFO as a hard gate', async () => {
    const p = purchaseOrder(50000);
    await intake(p);
    const r = await review(p);
    expect(r).toMatchObject({ status: 'PENDING', tier: 'high', pattern: 'hard_gate' });
    expect(r!.route[0]!.roles).toEqual(['cfo']);
  });

  it('blocks a production schema change as critical with a quorum of two', async () => {
    const p = proposal({
      agentId: 'dba-agent',
      action: {
        type: 'db_schema_change',
        summary: 'Drop column orders.legacy_id',
        target: 'production/orders-db',
        amount: undefined,
      },
    });
    await intake(p);
    const r = await review(p);
    expect(r).toMatchObject({ status: 'PENDING', tier: 'critical', pattern: 'block_until_reviewed', quorum: 2 });
  });

  it('opens one review and sends one set of emails when the same proposal arrives twice at once', async () => {
    const p = purchaseOrder(5000);
    const sentBefore = h.app.mail.sent;
    const [a, b] = await Promise.all([intake(p), intake(p)]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const r = await review(p);
    expect(r!.history.filter((e) => e.what === 'notified')).toHaveLength(1);
    expect(h.app.mail.sent - sentBefore).toBe(r!.route[0]!.approvers.length);
    expect(eventsFor(p.proposalId)).toEqual(['Approval Requested']);
  });

  it('rejects a reused proposalId carrying a different action, and keeps the first review', async () => {
    const first = purchaseOrder(5000);
    await intake(first);
    await intake({ ...first, action: { ...first.action, amount: { value: 9000, currency: 'USD' } } });
    expect(eventsFor(first.proposalId)).toEqual(['Approval Requested', 'Action Rejected As Invalid']);
    expect((await review(first))!.action.amount!.value).toBe(5000);
  });

  it('publishes Action Rejected As Invalid with every problem and the event as received', async () => {
    const bad = {
      proposalId: 'bad-1',
      agentId: 'procurement-agent',
      action: { type: 'purchase_order', summary: '', amount: { value: -5, currency: 'usd' } },
    };
    const execution = await intake(bad);
    expect(execution.status).toBe('SUCCEEDED');
    const rejected = h.app.bus.events
      .filter((e) => e.DetailType === 'Action Rejected As Invalid')
      .map((e) => JSON.parse(e.Detail))
      .find((d) => d.proposalId === 'bad-1');
    expect(rejected.errors).toEqual(
      expect.arrayContaining([
        'requestedBy: Invalid input: expected string, received undefined',
        'action.summary: must not be empty',
        'action.amount.value: must not be negative',
        'action.amount.currency: must be a three-letter ISO 4217 code such as "USD"',
      ]),
    );
    expect(rejected.received.detail).toEqual(bad);
  });
});
