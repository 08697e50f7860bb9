import fc from 'fast-check';
import { actionHash } from '../../functions/domain/action-hash.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import {
  attentionAt,
  BREACH_REPUBLISH_MS,
  callbackFor,
  claimNotification,
  completed,
  intakeNext,
  newReview,
  unchanged,
  REDRIVE_AFTER_MS,
} from '../../functions/domain/review.ts';
import { approvalRequested, outcomeEvent } from '../../functions/domain/review-events.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { shippedPolicy } from '../support/policy.ts';

const policy = shippedPolicy;
const NOW = new Date('2026-11-24T09:00:00.000Z');
const open = (p = purchaseOrder(5000)) => newReview(p, policy.classify(p.action, p), NOW);

describe('action hash (RFC 8785 canonical JSON, SHA-256)', () => {
  it('does not depend on key order', () => {
    expect(actionHash({ type: 'refund', summary: 's', amount: { value: 10, currency: 'USD' } })).toBe(
      actionHash({ amount: { currency: 'USD', value: 10 }, summary: 's', type: 'refund' }),
    );
  });

  it('matches the canonical form computed by hand', async () => {
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256')
      .update('{"amount":{"currency":"USD","value":1000},"summary":"é","type":"refund"}')
      .digest('hex');
    expect(actionHash({ type: 'refund', summary: 'é', amount: { value: 1000.0, currency: 'USD' } })).toBe(expected);
  });

  it('changes when any value changes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 10_000_000 }), (a, b) => {
        const h = (v: number) =>
          actionHash({ type: 'purchase_order', summary: 'x', amount: { value: v / 100, currency: 'USD' } });
        expect(h(a) === h(b)).toBe(a === b);
      }),
    );
  });
});

describe('review ids', () => {
  it('derive from agent and proposalId, so a duplicate event finds the same review', () => {
    expect(reviewIdFor('a', 'p1')).toBe(reviewIdFor('a', 'p1'));
    expect(reviewIdFor('a', 'p1')).not.toBe(reviewIdFor('b', 'p1'));
    expect(reviewIdFor('a', 'p1')).toMatch(/^rv-[0-9a-f]{32}$/);
  });
});

describe('opening a review', () => {
  it('records a policy approval at once for the auto pattern', () => {
    const r = open(purchaseOrder(500));
    expect(r).toMatchObject({
      status: 'APPROVED',
      tier: 'low',
      decision: { outcome: 'approved', by: [{ id: 'policy' }], edited: false },
    });
    expect(r.deadline).toBeUndefined();
    expect(r.history.map((h) => h.what)).toEqual(['opened', 'auto_approved']);
  });

  it('waits for the first step with a deadline one SLA away', () => {
    const r = open();
    expect(r).toMatchObject({ status: 'PENDING', step: 0, version: 1, deadline: '2026-11-24T13:00:00.000Z' });
    expect(r.actionHash).toBe(actionHash(r.action));
    expect(r.decision).toBeUndefined();
  });

  it('freezes the reminders of each step into its route, and schedules those of the first step from when it opens', () => {
    const r = open(); // manager 4h remindAt [50, 90], then finance director and CFO with none
    expect(r.route.map((s) => s.remindAt)).toEqual([[50, 90], undefined, undefined]);
    expect(r.reminders).toEqual([
      { percent: 50, at: '2026-11-24T11:00:00.000Z' },
      { percent: 90, at: '2026-11-24T12:36:00.000Z' },
    ]);
    expect(r.remindersSent).toBeUndefined();
    const cfo = open(purchaseOrder(50000));
    expect(cfo.route[0]?.remindAt).toBeUndefined();
    expect(cfo.reminders).toBeUndefined();
    expect(open(purchaseOrder(500)).reminders).toBeUndefined();
  });
});

describe('when the sweeper looks at a review', () => {
  it('is the next reminder of a pending review, then its deadline once the reminders are sent', () => {
    const r = open();
    expect(attentionAt(r)).toBe('2026-11-24T11:00:00.000Z');
    expect(attentionAt({ ...r, remindersSent: [50] })).toBe('2026-11-24T12:36:00.000Z');
    expect(attentionAt({ ...r, remindersSent: [50, 90] })).toBe('2026-11-24T13:00:00.000Z');
    // A reminder missed is not sent after a later one: once 90 is sent, 50 no longer counts.
    expect(attentionAt({ ...r, remindersSent: [90] })).toBe('2026-11-24T13:00:00.000Z');
  });

  it('is the deadline of a pending review whose step asks for no reminders', () => {
    const r = open(purchaseOrder(50000));
    expect(attentionAt(r)).toBe(r.deadline);
    expect(attentionAt(r)).toBe('2026-11-25T09:00:00.000Z');
  });

  it('keeps the breach republish rule once a breach is claimed, whatever reminders are left', () => {
    const r = open();
    const breached = { ...r, breach: { step: 0, at: '2026-11-24T13:00:30.000Z' } };
    expect(attentionAt(breached)).toBe(
      new Date(Date.parse('2026-11-24T13:00:30.000Z') + BREACH_REPUBLISH_MS).toISOString(),
    );
  });

  it('is when the restart of a decided review is overdue, reminders or not', () => {
    const r = open();
    const decidedAt = '2026-11-24T10:00:00.000Z';
    const approved = {
      ...r,
      status: 'APPROVED' as const,
      decision: {
        outcome: 'approved' as const,
        by: [{ id: 'raj.patel', kind: 'person' as const }],
        at: decidedAt,
        reason: '',
        action: r.action,
        actionHash: r.actionHash,
        edited: false,
      },
    };
    expect(attentionAt(approved)).toBe(new Date(Date.parse(decidedAt) + REDRIVE_AFTER_MS).toISOString());
    expect(attentionAt(completed(approved, NOW).next)).toBeUndefined();
  });
});

describe('what intake does with a review it tried to open', () => {
  it('notifies a new pending review, resumes a decided one, and ignores a notified duplicate', () => {
    const pending = open();
    expect(intakeNext(pending, true, pending.actionHash)).toBe('notify');
    const auto = open(purchaseOrder(500));
    expect(intakeNext(auto, true, auto.actionHash)).toBe('resume');
    const claim = claimNotification(pending, 'exec-1', NOW);
    if (claim.kind === 'unchanged') throw new Error('expected a claim');
    const notified = { ...claim.next, history: [...pending.history, ...claim.entries] };
    expect(intakeNext(notified, false, pending.actionHash)).toBe('duplicate');
    expect(intakeNext(completed(auto, NOW).next, false, auto.actionHash)).toBe('duplicate');
  });

  it('calls a reused proposalId with another action a conflict', () => {
    const r = open();
    expect(intakeNext(r, false, 'f'.repeat(64))).toBe('conflict');
  });

  it('lets only the claiming execution send the notification again', () => {
    const r = open();
    const claim = claimNotification(r, 'exec-1', NOW);
    if (claim.kind === 'unchanged') throw new Error('expected a claim');
    const claimed = { ...claim.next, history: [...r.history, ...claim.entries] };
    expect(claimNotification(claimed, 'exec-1', NOW)).toEqual(unchanged('mine'));
    expect(claimNotification(claimed, 'exec-2', NOW)).toEqual(unchanged('taken'));
  });
});

describe('events and callbacks of a review', () => {
  it('describes the request with the current approvers and deadline', () => {
    const r = open();
    const e = approvalRequested(r, NOW);
    expect(e.detailType).toBe('Approval Requested');
    expect(e.detail).toMatchObject({
      reviewId: r.id,
      tier: 'medium',
      approvers: r.route[0]!.approvers.map((a) => a.id),
      deadline: r.deadline,
    });
  });

  it('grants the approved action with its hash, and answers a task-token caller with it', () => {
    const p = { ...purchaseOrder(500), taskToken: 'token-1' };
    const r = open(p);
    const e = outcomeEvent(r);
    expect(e).toMatchObject({
      detailType: 'Approval Granted',
      detail: { action: p.action, actionHash: actionHash(p.action), edited: false },
    });
    expect(callbackFor(r, e.detail)).toEqual({ taskToken: 'token-1', success: true, output: JSON.stringify(e.detail) });
  });

  it('fails a task-token caller with HumanRejected, the reviewer and the reason', () => {
    const r = open({ ...proposal(), taskToken: 'token-2' });
    const rejected = {
      ...r,
      status: 'REJECTED' as const,
      decision: {
        outcome: 'rejected' as const,
        by: [{ id: 'raj.patel', kind: 'person' as const }],
        at: NOW.toISOString(),
        reason: 'over budget',
        action: r.action,
        actionHash: r.actionHash,
        edited: false,
      },
    };
    const cb = callbackFor(rejected, outcomeEvent(rejected).detail);
    expect(cb).toMatchObject({ success: false, error: 'HumanRejected' });
    expect(JSON.parse((cb as { cause: string }).cause)).toMatchObject({
      reviewId: r.id,
      decidedBy: ['raj.patel'],
      reason: 'over budget',
    });
  });

  it('answers nobody when the proposal carried no task token', () => {
    const r = open(purchaseOrder(500));
    expect(callbackFor(r, outcomeEvent(r).detail)).toBeUndefined();
  });

  const DURABLE_ID = Buffer.from('{"executionId":"e-1","operationId":"op-1"}').toString('base64');

  it("keeps a durable function's callback id on the review and answers it with the granted outcome", () => {
    const r = open(purchaseOrder(500, { callback: { durableCallbackId: DURABLE_ID } }));
    expect(r.durableCallbackId).toBe(DURABLE_ID);
    expect(r.taskToken).toBeUndefined();
    const e = outcomeEvent(r);
    expect(callbackFor(r, e.detail)).toEqual({
      durableCallbackId: DURABLE_ID,
      success: true,
      output: JSON.stringify(e.detail),
    });
  });

  it.each([
    ['rejected', 'HumanRejected'],
    ['expired', 'ReviewExpired'],
    ['cancelled', 'ReviewCancelled'],
  ] as const)('fails a durable function a review %s with %s and the same cause as a task token', (outcome, error) => {
    const r = open(proposal({ callback: { durableCallbackId: DURABLE_ID } }));
    const decided = {
      ...r,
      status: outcome.toUpperCase() as 'REJECTED' | 'EXPIRED' | 'CANCELLED',
      decision: {
        outcome,
        by: [{ id: 'raj.patel', kind: 'person' as const }],
        at: NOW.toISOString(),
        reason: 'not now',
        action: r.action,
        actionHash: r.actionHash,
        edited: false,
      },
    };
    const detail = outcomeEvent(decided).detail;
    const cb = callbackFor(decided, detail);
    expect(cb).toMatchObject({ durableCallbackId: DURABLE_ID, success: false, error });
    expect(cb).not.toHaveProperty('taskToken');
    expect(JSON.parse((cb as { cause: string }).cause)).toEqual({
      reviewId: r.id,
      proposalId: r.proposalId,
      outcomeId: detail.outcomeId,
      decidedBy: ['raj.patel'],
      reason: 'not now',
      decidedAt: NOW.toISOString(),
    });
    const asTaskToken = callbackFor({ ...decided, durableCallbackId: undefined, taskToken: 't' }, detail);
    expect((asTaskToken as { cause: string }).cause).toBe((cb as { cause: string }).cause);
  });
});
