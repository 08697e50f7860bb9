// A decision whose restart was lost (the process died between the decision's write and StartExecution)
// is found by the sweeper in the due index and re-driven to exactly one outcome.
import { clients, startHarness, type Harness } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { ReviewsTable } from '../../functions/adapters/reviews-table.ts';
import { decide } from '../../functions/domain/decision.ts';
import { shippedPolicy } from '../support/policy.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { REDRIVE_AFTER_MS } from '../../functions/domain/review.ts';
import type { SweepResult } from '../../functions/sweep/handler.ts';

let h: Harness;
let table: ReviewsTable;
const policy = shippedPolicy;

beforeAll(async () => {
  h = await startHarness();
  table = new ReviewsTable(clients(h.app.url).dynamo, h.app.wiring.environment.REVIEWS_TABLE!);
});
afterAll(() => h.close());

async function openReview(value: number) {
  const p = purchaseOrder(value);
  const intake = h.app.wiring.stateMachines.find((m) => m.key === 'intake')!.arn;
  const envelope = {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Action Proposed',
    source: 'agent.test',
    account: '000000000000',
    time: new Date().toISOString(),
    region: 'eu-west-1',
    resources: [],
    detail: p,
  };
  await h.app.stepFunctions.startExecution({ stateMachineArn: intake, input: JSON.stringify(envelope) }).done;
  await h.app.idle();
  return (await table.get(reviewIdFor(p.agentId, p.proposalId)))!;
}

/** Writes an approval as the decide handler does, but "dies" before starting resume. */
async function decideWithoutRestart(value: number, decidedAgoMs: number) {
  const review = await openReview(value);
  const approver = review.route[0]!.approvers[0]!.id;
  const { next, entries } = decide(
    review,
    { approverId: approver, decision: 'approve' },
    policy,
    new Date(Date.now() - decidedAgoMs),
  );
  return table.save(review, next, entries);
}

const outcomes = (reviewId: string) =>
  h.app.bus.events.filter(
    (e) =>
      e.Source === 'hitl.gate' && e.DetailType === 'Approval Granted' && JSON.parse(e.Detail).reviewId === reviewId,
  );
const resumes = (reviewId: string) =>
  h.app.stepFunctions.executions.filter(
    (e) => e.stateMachineArn.endsWith(':hitl-gate-dev-resume') && e.input.includes(reviewId),
  );

describe('re-drive of a lost restart', () => {
  it('restarts a decided review once its grace period has passed, and ends in exactly one outcome', async () => {
    const decided = await decideWithoutRestart(5000, REDRIVE_AFTER_MS + 60_000);
    expect(decided.status).toBe('APPROVED');
    expect(outcomes(decided.id)).toHaveLength(0);

    // Overlapping sweeps (a slow one and the next minute's) claim the re-drive once.
    const results = (await Promise.all([
      h.app.schedules.fire('sweep'),
      h.app.schedules.fire('sweep'),
    ])) as SweepResult[];
    await h.app.idle();
    expect(results.flatMap((r) => r.redriven).filter((id) => id === decided.id)).toHaveLength(1);
    expect(resumes(decided.id)).toHaveLength(1);
    expect(outcomes(decided.id)).toHaveLength(1);
    const after = (await table.get(decided.id))!;
    expect(after.status).toBe('COMPLETED');
    expect(after.history.map((e) => e.what)).toEqual(['opened', 'notified', 'approved', 'redriven', 'completed']);

    // Completed: it has left the due index, and later sweeps leave it alone.
    const later = (await h.app.schedules.fire('sweep')) as SweepResult;
    await h.app.idle();
    expect(later.redriven).not.toContain(decided.id);
    expect(outcomes(decided.id)).toHaveLength(1);
  });

  it('leaves a fresh decision to its own restart during the grace period', async () => {
    const decided = await decideWithoutRestart(5000, 0);
    const result = (await h.app.schedules.fire('sweep')) as SweepResult;
    expect(result.redriven).not.toContain(decided.id);
    expect(resumes(decided.id)).toHaveLength(0);
  });

  it('runs resume twice for one review with one effect', async () => {
    const decided = await decideWithoutRestart(5000, 0);
    const resume = h.app.wiring.stateMachines.find((m) => m.key === 'resume')!.arn;
    const runs = [1, 2, 3].map(() =>
      h.app.stepFunctions.startExecution({ stateMachineArn: resume, input: JSON.stringify({ reviewId: decided.id }) }),
    );
    await Promise.all(runs.map((r) => r.done));
    await h.app.idle();
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect((await table.get(decided.id))!.status).toBe('COMPLETED');
    expect((await table.get(decided.id))!.history.filter((e) => e.what === 'completed')).toHaveLength(1);
    // Concurrent restarts: one claims the review and publishes; the others end at once.
    expect(outcomes(decided.id)).toHaveLength(1);
  });

  it('publishes the outcome again with the same outcomeId after a crash between publishing and completing', async () => {
    const decided = await decideWithoutRestart(5000, 0);
    const resume = h.app.wiring.stateMachines.find((m) => m.key === 'resume')!.arn;
    await h.app.stepFunctions.startExecution({
      stateMachineArn: resume,
      input: JSON.stringify({ reviewId: decided.id }),
    }).done;
    await h.app.idle();
    // The crash: the outcome is out, the completion never landed (the review as MarkCompleted found it),
    // and the restart's claim is long gone.
    const completed = (await table.get(decided.id))!;
    expect(completed.status).toBe('COMPLETED');
    const long = new Date(Date.now() - 2 * REDRIVE_AFTER_MS).toISOString();
    await table.save(
      completed,
      {
        ...completed,
        status: 'APPROVED',
        version: completed.version + 1,
        restart: { ref: 'crashed', at: long },
        lastRedriveAt: long,
      },
      [],
    );
    const result = (await h.app.schedules.fire('sweep')) as SweepResult;
    await h.app.idle();
    expect(result.redriven).toContain(decided.id);
    const published = outcomes(decided.id).map((e) => JSON.parse(e.Detail).outcomeId as string);
    expect(published).toHaveLength(2);
    expect(published[0]).toMatch(/^out-[0-9a-f]{32}$/);
    expect(new Set(published).size).toBe(1);
    expect((await table.get(decided.id))!.status).toBe('COMPLETED');
  });
});
