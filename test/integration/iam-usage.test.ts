// Least privilege, measured: the product's flows run through local mode, which records every grant
// that allowed a call. A grant no flow used is a finding: remove it, or justify it here.
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { clients, eventually, signedFetch } from '../support/local.ts';
import { customerEmail, proposal, purchaseOrder, refund } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';
import type { SweepResult } from '../../functions/sweep/handler.ts';

const local = useLocalReviews();
const HOUR = 3_600_000;

const signed = (method: 'GET' | 'POST', path: string, body?: object) =>
  signedFetch(local.h.app.url, method, path, body);

/** Grants no flow below uses, each with the reason it stays. */
const JUSTIFIED: Record<string, string> = {
  'inbox dynamodb:GetItem (InboxIamRoleLambdaExecution.Policies[0].Statement[4])':
    "reading the standing approvals the inbox's person made, found by one Query of their partition (test/integration/standing.test.ts)",
  'inboxDecide dynamodb:Query (InboxDecideIamRoleLambdaExecution.Policies[0].Statement[7])':
    'a granter revoking their standing approval from the inbox (test/integration/standing.test.ts)',
  'sweep states:StartExecution (SweepIamRoleLambdaExecution.Policies[0].Statement[6])':
    'the re-drive of a lost restart (test/integration/redrive.test.ts loses one on purpose)',
  'sweep sqs:SendMessage (SweepIamRoleLambdaExecution.Policies[0].Statement[7])':
    'reminders before a deadline, where a step asks for them (test/integration/reminders.test.ts)',
  'sendNotifications sqs:ChangeMessageVisibility (SendNotificationsIamRoleLambdaExecution.Policies[0].Statement[8])':
    'the backoff of an email SES throttled (test/integration/notifications.test.ts sends at 2 a second)',
};

it('uses every grant of every role across the product flows, or says why not', async () => {
  const { reviews, h } = local;
  // Auto-approved (intake publishes it), and auto-approved with a durable function waiting (intake starts resume);
  // then a manager approves through the emailed link (the page first, as a person does).
  await reviews.open(purchaseOrder(500));
  await reviews.open(
    purchaseOrder(400, {
      callback: { durableCallbackId: Buffer.from(`durable-agent-auto-${Date.now()}`).toString('base64') },
    }),
  );
  const po = await reviews.open(purchaseOrder(5000));
  await reviews.open(po.proposal); // a duplicate event finds the review it opened
  await fetch(po.links[0]!.url, { headers: { accept: 'text/html' } });
  expect(
    (await reviews.decide(po.id, { token: po.links[0]!.token, decision: 'approve', reason: 'Budgeted' })).status,
  ).toBe(200);
  // The agent claims the approval, places the order itself, and says so.
  await h.app.idle();
  const { outcomeId } = (await (await signed('GET', `/reviews/${po.id}/status`)).json()) as { outcomeId: string };
  for (const result of ['started', 'performed'])
    expect(
      (await signed('POST', `/reviews/${po.id}/execution`, { outcomeId, claim: 'order-run-1', result })).status,
    ).toBe(200);
  // An approver's inbox: listed from the approver index (its link comes in every approver email), and a review
  // approved from it.
  const fromInbox = await reviews.open(purchaseOrder(5500));
  const inbox = await reviews.inboxLinkOf(fromInbox.links[0]!.email);
  expect((await fetch(inbox.url)).status).toBe(200);
  const batch = await reviews.decideInbox({
    token: inbox.token,
    decision: 'approve',
    reviews: [{ reviewId: fromInbox.id, step: 0, actionHash: fromInbox.review.actionHash }],
  });
  expect(batch.body.results.map((r: { result: string }) => r.result)).toEqual(['decided']);
  // A standing approval granted with an approval, shown on the page, used by intake, and revoked by an admin.
  const supplier = (value: number) =>
    proposal({
      action: {
        type: 'purchase_order',
        summary: 'Paper',
        amount: { value, currency: 'USD' },
        target: 'iam-usage-supplier',
      },
    });
  const granting = await reviews.open(supplier(3000));
  const granted = await reviews.decide(granting.id, {
    token: granting.links[0]!.token,
    decision: 'approve',
    standing: { duration: '1h' },
  });
  expect(granted.status).toBe(200);
  expect((await fetch(granting.links[0]!.url, { headers: { accept: 'text/html' } })).status).toBe(200);
  expect((await reviews.open(supplier(2000))).review.decision?.by[0]?.kind).toBe('grant');
  expect((await signed('POST', `/grants/${granted.body.grant.grantId}/revoke`, { reason: 'Done' })).status).toBe(200);
  // A customer email hitl-gate sends itself once approved.
  const email = await reviews.open(customerEmail());
  expect(
    (await reviews.decide(email.id, { token: email.links[0]!.token, decision: 'approve', reason: 'Fine' })).status,
  ).toBe(200);
  // An agent reads a status and cancels a review (IAM routes).
  const cancelled = await reviews.open(purchaseOrder(6000));
  expect((await signed('GET', `/reviews/${cancelled.id}/status`)).status).toBe(200);
  expect((await signed('POST', `/reviews/${cancelled.id}/cancel`, { reason: 'Cheaper elsewhere' })).status).toBe(200);
  // Callers' Standard workflows paused on task tokens: one approved, one expired after the CFO's SLA.
  const caller = (summary: string, value: number) =>
    clients(h.app.url).sfn.send(
      new StartExecutionCommand({
        stateMachineArn: 'arn:aws:states:eu-west-1:000000000000:stateMachine:hitl-gate-dev-example-procurement-caller',
        input: JSON.stringify({
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary, amount: { value, currency: 'USD' } },
        }),
      }),
    );
  await caller('Desks', 5000);
  await caller('Racks', 50_000);
  await h.app.idle();
  const desks = await eventually(async () => {
    for (const e of h.app.bus.events.filter((x) => x.DetailType === 'Approval Requested')) {
      const d = JSON.parse(e.Detail) as { reviewId: string; action?: { summary?: string } };
      if (d.action?.summary === 'Desks') return reviews.get(d.reviewId);
    }
    return undefined;
  }, "the caller's review");
  const [link] = await reviews.linksFor(desks);
  expect((await reviews.decide(desks.id, { token: link!.token, decision: 'approve', reason: 'Yes' })).status).toBe(200);
  await h.app.idle();
  // Agents written as durable functions, waiting on callbacks: one approved, one rejected.
  for (const [decision, n] of [
    ['approve', 1],
    ['reject', 2],
  ] as const) {
    const durableCallbackId = Buffer.from(`durable-agent-callback-${n}-${Date.now()}`).toString('base64');
    const durable = await reviews.open(purchaseOrder(5000, { callback: { durableCallbackId } }));
    expect(
      (await reviews.decide(durable.id, { token: durable.links[0]!.token, decision, reason: 'Decided' })).status,
    ).toBe(200);
  }
  await h.app.idle();
  // A manager's review escalates to the next step after its 4 h SLA, then the CFO's expires.
  await reviews.open(purchaseOrder(7000));
  h.app.clock.advance(4 * HOUR + 60_000);
  await h.app.schedules.fire('sweep');
  await h.app.idle();
  h.app.clock.advance(30 * HOUR);
  const sweep = (await h.app.schedules.fire('sweep')) as SweepResult;
  expect(sweep).toBeDefined();
  await h.app.idle();
  await eventually(() => h.app.bus.events.some((e) => e.DetailType === 'Approval Expired') || undefined, 'the expiry');
  // Reminders and re-drives: a review due again later.
  h.app.clock.advance(30 * HOUR);
  await h.app.schedules.fire('sweep');
  await h.app.idle();

  // A support lead approves a refund from its Slack channel message (the sender posted it; its end updates it).
  const inSlack = await reviews.open(refund(40));
  const post = inSlack.review.slackMessages?.[0];
  expect(post).toBeDefined();
  const click = { user: 'U0GRACEKIM', channel: post!.channel, ts: post!.ts, actionId: 'hitl_approve' };
  expect((await h.app.slack.click(click)).status).toBe(200);
  await h.app.idle();
  expect((await reviews.get(inSlack.id))?.status).toBe('COMPLETED');

  const unused = h.app.iam.unusedGrants().map((u) => `${u.principal} ${u.action} (${u.grant})`);
  expect(unused.filter((u) => !(u in JUSTIFIED))).toEqual([]);
}, 60_000);
