// The procurement story in local mode, on its test clock, printed as a timeline of the events on the bus
// with their simulated times: `npm run story`.
//   1. A $5,000 purchase order waits for a manager; nobody answers in 4 h; it escalates to the finance
//      director, who approves it.
//   2. A $50,000 purchase order, proposed by the example caller (a Standard workflow paused on
//      .waitForTaskToken), waits for the CFO; nobody answers in a day; it expires, and the caller fails.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';

const root = resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'hitl-story-'));
const app = await startLocal({ root, port: 0, dataDir, environment: QUIET_FUNCTIONS });
const eventBridge = new EventBridgeClient({
  endpoint: app.url,
  region: app.wiring.region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});
const t0 = app.clock.now();
const MIN = 60_000;
const HOUR = 60 * MIN;
const since = (iso: string) => {
  const ms = Date.parse(iso) - t0;
  return `+${String(Math.floor(ms / HOUR)).padStart(2, ' ')}h${String(Math.floor((ms % HOUR) / MIN)).padStart(2, '0')}m`;
};
const lines: string[] = [];
const note = (text: string) => lines.push(`${since(new Date(app.clock.now()).toISOString())}  -- ${text}`);
app.bus.onEvent((e) => {
  const d = JSON.parse(e.Detail) as Record<string, unknown>;
  const what =
    e.DetailType === 'Approval Requested'
      ? `approvers ${(d.approvers as string[]).join(', ')}, deadline ${since(String(d.deadline))}`
      : e.DetailType === 'Review SLA Breached'
        ? `step ${Number(d.step) + 1} missed its deadline`
        : e.DetailType === 'Review Escalated'
          ? `now step ${Number(d.toStep) + 1}: ${(d.approvers as string[]).join(', ')}, deadline ${since(String(d.deadline))}`
          : e.DetailType.startsWith('Approval ')
            ? `by ${(d.decidedBy as { id: string }[]).map((x) => x.id).join(', ')}${d.reason ? `: ${String(d.reason).slice(0, 90)}` : ''}`
            : (d.proposalId ?? '');
  lines.push(`${since(e.time)}  ${e.DetailType.padEnd(20)} ${String(d.proposalId ?? '').padEnd(10)} ${what}`);
});
async function advance(ms: number) {
  app.clock.advance(ms);
  await app.schedules.tick();
  await app.idle();
}
async function decideFirstLink(reviewId: string, body: object) {
  const mail = (await app.mail.list()).find(
    (m) => m.text.includes(`(review ${reviewId})`) && m.text.includes('escalated to you'),
  );
  const link = new URL(/Open the review to approve, edit or reject: (\S+)/.exec(mail!.text)![1]!);
  await fetch(`${app.url}${link.pathname}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: link.searchParams.get('t'), ...body }),
  });
  await app.idle();
}

note('a procurement agent proposes PO-5000 ($5,000)');
await eventBridge.send(
  new PutEventsCommand({
    Entries: [
      {
        EventBusName: app.wiring.buses[0],
        Source: 'agent.procurement',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify({
          proposalId: 'PO-5000',
          agentId: 'procurement-agent',
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary: 'Docking stations', amount: { value: 5000, currency: 'USD' } },
        }),
      },
    ],
  }),
);
await app.idle();
const midId = (
  JSON.parse(app.bus.events.find((e) => e.DetailType === 'Approval Requested')!.Detail) as { reviewId: string }
).reviewId;
await advance(4 * HOUR + MIN);
await advance(25 * MIN);
note('the finance director opens the link and approves');
await decideFirstLink(midId, { decision: 'approve', reason: 'Budgeted in Q4' });

note('the example caller (Standard workflow) proposes PO-50000 ($50,000) and pauses on .waitForTaskToken');
const caller = app.wiring.stateMachines.find((m) => m.key === 'procurementCaller')!;
const execution = app.stepFunctions.startExecution({
  stateMachineArn: caller.arn,
  name: 'PO-50000',
  input: JSON.stringify({
    requestedBy: 'sam.rivera',
    action: { type: 'purchase_order', summary: 'Server rack', amount: { value: 50000, currency: 'USD' } },
  }),
});
await app.idle();
await advance(24 * HOUR + MIN);
await execution.done;
note(
  `the caller's execution ended ${execution.status}: ${execution.error} ${execution.cause ? JSON.parse(execution.cause).reason : ''}`,
);

process.stdout.write(['simulated time (from the first proposal), event, proposal, what', ...lines, ''].join('\n'));
await app.close();
await rm(dataDir, { recursive: true, force: true });
