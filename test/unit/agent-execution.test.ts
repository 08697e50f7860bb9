// An agent's report on the approved action it performs: one claim holds, one result is recorded, and
// nothing about an approval that is not one (pending, another outcome, an action hitl-gate performs).
import { type ExecutionReport, MAX_DETAIL_LENGTH, reportExecution } from '../../functions/domain/agent-execution.ts';
import { newReview, type Review } from '../../functions/domain/review.ts';
import { outcomeIdOf } from '../../functions/domain/review-events.ts';
import { shippedPolicy } from '../support/policy.ts';
import { purchaseOrder } from '../support/proposals.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const LATER = new Date('2026-11-24T09:00:05.000Z');
const AGENT = 'arn:aws:iam::123456789012:user/procurement-agent';

/** A $500 purchase order: the policy approves it at intake, and the agent performs it. */
const approved = (): Review => {
  const p = purchaseOrder(500);
  return newReview(p, shippedPolicy.classify(p.action, p), NOW);
};

function report(review: Review | undefined, r: Partial<ExecutionReport> & Pick<ExecutionReport, 'result'>) {
  const full = {
    outcomeId: review?.decision ? outcomeIdOf(review) : 'out-x',
    claim: 'claim-one',
    ...r,
  } as ExecutionReport;
  return reportExecution(review, review?.id ?? 'rv-missing', full, AGENT, false, LATER);
}

/** Applies a report and answers the next review. */
function applied(review: Review, r: Parameters<typeof report>[1]): Review {
  const step = report(review, r);
  if (step.kind === 'unchanged') throw new Error(`unchanged: ${step.reason}`);
  return step.next;
}

describe('an agent reporting the approved action it performs', () => {
  it('claims the approval, then records the result once, with a history entry', () => {
    const review = approved();
    const started = applied(review, { result: 'started' });
    expect(started.execution).toEqual({ by: 'agent', result: 'started', at: LATER.toISOString(), claim: 'claim-one' });
    expect(started.version).toBe(review.version + 1);

    const step = report(started, { result: 'performed', detail: 'PO-4471 placed' });
    expect(step.kind).toBe('execution-reported');
    if (step.kind === 'unchanged') throw new Error('unchanged');
    expect(step.next.execution).toMatchObject({ by: 'agent', result: 'performed', detail: 'PO-4471 placed' });
    expect(step.entries).toEqual([
      {
        at: LATER.toISOString(),
        what: 'executed',
        by: { id: AGENT, kind: 'system' },
        note: 'purchase_order performed by the agent: PO-4471 placed',
      },
    ]);
  });

  it('refuses a second claim, so another run never performs the same approval', () => {
    const started = applied(approved(), { result: 'started' });
    expect(() => report(started, { result: 'started', claim: 'claim-two' })).toThrow(
      expect.objectContaining({ code: 'AlreadyExecuted' }),
    );
    expect(() => report(started, { result: 'performed', claim: 'claim-two' })).toThrow(
      expect.objectContaining({ code: 'AlreadyExecuted' }),
    );
  });

  it('changes nothing on a repeated report, and refuses a different result after one is recorded', () => {
    const started = applied(approved(), { result: 'started' });
    expect(report(started, { result: 'started' })).toEqual({ kind: 'unchanged', reason: 'repeated' });
    const failed = applied(started, { result: 'failed', detail: 'vendor API answered 503' });
    expect(report(failed, { result: 'failed' })).toEqual({ kind: 'unchanged', reason: 'repeated' });
    expect(() => report(failed, { result: 'performed' })).toThrow(expect.objectContaining({ code: 'AlreadyExecuted' }));
    expect(() => report(failed, { result: 'started' })).toThrow(expect.objectContaining({ code: 'AlreadyExecuted' }));
  });

  it('records failed and unknown with words that say it is not run again', () => {
    const started = applied(approved(), { result: 'started' });
    const failed = report(started, { result: 'failed', detail: 'card declined' });
    const unknown = report(started, { result: 'unknown' });
    if (failed.kind === 'unchanged' || unknown.kind === 'unchanged') throw new Error('unchanged');
    expect(failed.entries[0]).toMatchObject({
      what: 'execution_failed',
      note: 'purchase_order failed in the agent: card declined; not retried without a new approval',
    });
    expect(unknown.entries[0]).toMatchObject({
      what: 'execution_unknown',
      note: 'purchase_order may or may not have happened in the agent; not run again',
    });
  });

  it('may report a result without claiming first (the claim is the result)', () => {
    const performed = applied(approved(), { result: 'performed' });
    expect(performed.execution).toMatchObject({ by: 'agent', result: 'performed', claim: 'claim-one' });
  });

  it('cuts a long detail instead of refusing it', () => {
    const performed = applied(approved(), { result: 'performed', detail: 'x'.repeat(MAX_DETAIL_LENGTH + 50) });
    expect(performed.execution).toMatchObject({ detail: 'x'.repeat(MAX_DETAIL_LENGTH) });
  });

  it('refuses what is not an approval, or not this one, or performed by hitl-gate', () => {
    const p = purchaseOrder(5000);
    const pending = newReview(p, shippedPolicy.classify(p.action, p), NOW);
    expect(() => report(pending, { result: 'started' })).toThrow(expect.objectContaining({ code: 'NotApproved' }));
    expect(() => report(approved(), { result: 'started', outcomeId: 'out-0123' })).toThrow(
      expect.objectContaining({ code: 'OutcomeMismatch' }),
    );
    const review = approved();
    const full: ExecutionReport = { outcomeId: outcomeIdOf(review), claim: 'claim-one', result: 'started' };
    expect(() => reportExecution(review, review.id, full, AGENT, true, LATER)).toThrow(
      expect.objectContaining({ code: 'AlreadyExecuted' }),
    );
    expect(() => report(undefined, { result: 'started' })).toThrow(expect.objectContaining({ code: 'ReviewNotFound' }));
  });
});
