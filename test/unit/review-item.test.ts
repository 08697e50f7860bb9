// The review's stored form: smaller than the review (no second copy of the action, of its hash or of the reason),
// and read back as the very review that was written, whatever decisions it went through.
import fc from 'fast-check';
import { marshall } from '@aws-sdk/util-dynamodb';
import { restoredReview, storedEntries, storedFields } from '../../functions/adapters/review-item.ts';
import { decide, type DecideCommand } from '../../functions/domain/decision.ts';
import { newReview, type Review } from '../../functions/domain/review.ts';
import { itemSize } from '../../local/meter.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { shippedPolicy as policy } from '../support/policy.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const open = (value = 5000) => {
  const p = purchaseOrder(value);
  return newReview(p, policy.classify(p.action, p), NOW);
};
const MANAGERS = ['mira.okafor', 'daniel.reyes', 'raj.patel'];

/** The item as the adapter writes it: the review with its shortened fields and history. */
const stored = (r: Review): Review =>
  ({ ...r, ...storedFields(r), history: storedEntries(r, r.history) }) as unknown as Review;
/** Through DynamoDB's types and back, as a write and a read take it (undefined values dropped). */
const throughJson = (r: Review): Review => JSON.parse(JSON.stringify(r));
const bytes = (r: Review) => itemSize(marshall(r as never, { removeUndefinedValues: true }) as never);

function apply(r: Review, command: DecideCommand): Review {
  try {
    const step = decide(r, command, policy, new Date(NOW.getTime() + 60_000));
    return { ...step.next, history: [...r.history, ...step.entries] };
  } catch {
    return r; // a refused decision writes nothing
  }
}

describe('a review as its item stores it', () => {
  it('leaves out the opened note that is the reason, the decision action and the approval hash, and reads back whole', () => {
    const decided = apply(open(), { approverId: 'mira.okafor', decision: 'approve', reason: 'fine' });
    expect(decided.decision?.action).toEqual(decided.action);
    const item = stored(decided);
    expect(item.history[0]).not.toHaveProperty('note');
    expect(item.decision).not.toHaveProperty('action');
    expect(item.decision).not.toHaveProperty('actionHash');
    expect(item.approvals[0]).not.toHaveProperty('actionHash');
    expect(restoredReview(throughJson(item))).toEqual(throughJson(decided));
    // What it saves on each write of the decided review, in DynamoDB's bytes.
    expect(bytes(decided) - bytes(item)).toBeGreaterThan(350);
  });

  it('an edited approval keeps its subject beside the edit, once', () => {
    const edited = apply(open(), {
      approverId: 'raj.patel',
      decision: 'approve',
      edits: { 'amount.value': 4000 },
    });
    expect(edited.decision).toMatchObject({ edited: true, action: { amount: { value: 4000 } } });
    const item = stored(edited);
    expect(item.decision).not.toHaveProperty('action');
    expect(item.proposedEdit?.action.amount?.value).toBe(4000);
    expect(restoredReview(throughJson(item))).toEqual(throughJson(edited));
  });

  it('stores whole what it cannot derive, and reads an item written whole as it is', () => {
    const decided = apply(open(), { approverId: 'mira.okafor', decision: 'approve' });
    const odd: Review = {
      ...decided,
      decision: { ...decided.decision!, action: { ...decided.action, summary: 'another' }, actionHash: 'x' },
      approvals: [{ ...decided.approvals[0]!, actionHash: 'y' }],
      history: [{ ...decided.history[0]!, note: 'not the reason' }, ...decided.history.slice(1)],
    };
    const item = stored(odd);
    expect(item.decision).toEqual(odd.decision);
    expect(item.approvals).toEqual(odd.approvals);
    expect(item.history[0]?.note).toBe('not the reason');
    expect(restoredReview(throughJson(item))).toEqual(throughJson(odd));
    // An item written before the stored form was shortened.
    expect(restoredReview(throughJson(decided))).toEqual(throughJson(decided));
  });

  it('reads back every review its decisions make: approvals, edits, rejections, quorums (property)', () => {
    const command = fc.record({
      approverId: fc.constantFrom(...MANAGERS, 'sam.rivera', 'priya.natarajan'),
      decision: fc.constantFrom('approve' as const, 'reject' as const),
      reason: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
      amount: fc.option(fc.integer({ min: 1000, max: 12_000 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 9000 }),
        fc.constantFrom(1, 2),
        fc.array(command, { maxLength: 4 }),
        (value, quorum, commands) => {
          let r: Review = { ...open(value), quorum };
          for (const c of commands)
            r = apply(r, {
              approverId: c.approverId,
              decision: c.decision,
              ...(c.reason !== undefined ? { reason: c.reason } : {}),
              ...(c.amount !== undefined && c.decision === 'approve' ? { edits: { 'amount.value': c.amount } } : {}),
            });
          const item = stored(r);
          expect(restoredReview(throughJson(item))).toEqual(throughJson(r));
          expect(bytes(item)).toBeLessThanOrEqual(bytes(r));
        },
      ),
      { numRuns: 300 },
    );
  });
});
