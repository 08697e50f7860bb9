import fc from 'fast-check';
import type { ActionProposed } from '../../events/index.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';
import { decide } from '../../functions/domain/decision.ts';
import type { DecideCommand } from '../../functions/domain/decision.ts';
import { AlreadyDecided, DomainError, ReasonRequired } from '../../functions/domain/errors.ts';
import {
  BREACH_REPUBLISH_MS,
  cancel,
  escalate,
  markBreached,
  markReminded,
  nextReminderAt,
  reminderDue,
} from '../../functions/domain/escalation.ts';
import type { DeadlineFor, EscalateResult, Transition, Unchanged } from '../../functions/domain/escalation.ts';
import { deadlineFor as calendarDeadline } from '../../functions/domain/calendar.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import type { Policy } from '../../functions/domain/policy.ts';
import { attentionAt, isDecided, newReview, REDRIVE_AFTER_MS, unchanged } from '../../functions/domain/review.ts';
import type { Review } from '../../functions/domain/review.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { shippedPolicy } from '../support/policy.ts';
import { statusOf } from '../support/errors.ts';

const policy = shippedPolicy;
const NOW = new Date('2026-11-24T09:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const later = (ms: number, from = NOW) => new Date(from.getTime() + ms);
const deadlineFor: DeadlineFor = (start, sla) => new Date(start.getTime() + sla.ms);
const open = (p: ActionProposed = purchaseOrder(5000), pol: Policy = policy) =>
  newReview(p, pol.classify(p.action, p), NOW);
const schemaChange = () =>
  open(
    proposal({
      requestedBy: 'sam.rivera',
      agentId: 'migration-agent',
      action: { type: 'db_schema_change', summary: 'Add index', target: 'production/orders-db', amount: undefined },
    }),
  );

/** A small policy with what the shipped one does not have: a soft review approved on timeout, a two-step critical route. */
const inline = parsePolicy(
  `
version: "t"
currencies: [USD]
rules:
  - name: soft-email
    match: { type: customer_email }
    tier: medium
    steps: [{ roles: [support_lead], sla: 2h }]
    onTimeout: approve
    editable: [payload.body]
  - name: critical-change
    match: { type: db_schema_change }
    tier: critical
    steps:
      - { roles: [dba], sla: 1h, remindAt: [50] }
      - { roles: [cto], sla: 2h, remindAt: [25, 75] }
    quorum: 2
    onTimeout: escalate
    notify: [security]
default:
  tier: high
  steps: [{ roles: [ops_admin], sla: 4h }]
`,
  `
people:
  - { id: g1, name: Grace One, email: g1@example.com, roles: [support_lead] }
  - { id: d1, name: Dana One, email: d1@example.com, roles: [dba] }
  - { id: d2, name: Dana Two, email: d2@example.com, roles: [dba] }
  - { id: c1, name: Chris One, email: c1@example.com, roles: [cto] }
  - { id: c2, name: Chris Two, email: c2@example.com, roles: [cto] }
  - { id: s1, name: Sec One, email: s1@example.com, roles: [security] }
  - { id: o1, name: Ops One, email: o1@example.com, roles: [ops_admin] }
`,
);
const softEmail = () =>
  open(
    proposal({
      agentId: 'mail-agent',
      requestedBy: 'customer-portal',
      action: { type: 'customer_email', summary: 'Apology', amount: undefined, payload: { body: 'Sorry' } },
    }),
    inline,
  );
const twoStepCritical = () =>
  open(
    proposal({
      agentId: 'migration-agent',
      requestedBy: 'customer-portal',
      action: { type: 'db_schema_change', summary: 'Drop column', amount: undefined },
    }),
    inline,
  );

/** Applies a change as the store does: `next` with the entries appended to the history in the same write. */
function apply(review: Review, t: Transition): Review {
  expect(t.next.history).toEqual(review.history);
  expect(t.next).toMatchObject({ version: review.version + 1 });
  return { ...t.next, history: [...review.history, ...t.entries] };
}
function transition<T extends Transition | Unchanged>(result: T): Exclude<T, Unchanged> {
  if (!('next' in result)) throw new Error(`expected a change, got ${result.reason}`);
  return result as Exclude<T, Unchanged>;
}
/** The sweeper's claim at `now`, then the escalate function handling the event it published. */
function breach(review: Review, now: Date): { review: Review; result: Exclude<EscalateResult, Unchanged> } {
  const claimed = apply(review, transition(markBreached(review, now)));
  const result = transition(escalate(claimed, claimed.breach?.step ?? -1, deadlineFor, now));
  expect(result.next.updatedAt).toBe(now.toISOString());
  return { review: apply(claimed, result), result };
}
const approve = (approverId: string, more: Partial<DecideCommand> = {}): DecideCommand => ({
  approverId,
  decision: 'approve',
  ...more,
});
function decided(review: Review, command: DecideCommand, at: Date): Review {
  const { next, entries } = decide(review, command, policy, at);
  return { ...next, history: [...review.history, ...entries] };
}
function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}
const approverIds = (r: Review) => r.route[r.step]?.approvers.map((a) => a.id);

describe('the procurement chain: a $5,000 purchase order', () => {
  it('escalates from the managers to the finance director to the CFO, then expires, each with its own deadline', () => {
    const r0 = open();
    expect(r0).toMatchObject({ status: 'PENDING', step: 0, deadline: '2026-11-24T13:00:00.000Z' });
    expect(approverIds(r0)).toEqual(['mira.okafor', 'daniel.reyes', 'raj.patel']);

    const t1 = later(4 * HOUR);
    const first = breach(r0, t1);
    expect(first.result.kind).toBe('escalated');
    expect(first.review).toMatchObject({
      status: 'PENDING',
      step: 1,
      deadline: '2026-11-24T17:00:00.000Z',
      stepStartedAt: t1.toISOString(),
      approvals: [],
    });
    expect(first.review.breach).toBeUndefined();
    expect(approverIds(first.review)).toEqual(['priya.natarajan']);
    expect(first.result.entries).toEqual([
      {
        at: t1.toISOString(),
        what: 'escalated',
        by: { id: 'policy', kind: 'policy' },
        note: 'step 1 (manager: Mira Okafor, Daniel Reyes, Raj Patel) did not decide within 4h; now step 2 (finance_director: Priya Natarajan), by 2026-11-24T17:00:00.000Z',
      },
    ]);

    const t2 = later(8 * HOUR);
    const second = breach(first.review, t2);
    expect(second.result.kind).toBe('escalated');
    expect(second.review).toMatchObject({
      status: 'PENDING',
      step: 2,
      deadline: '2026-11-25T17:00:00.000Z',
      approvals: [],
    });
    expect(approverIds(second.review)).toEqual(['helen.cho']);
    expect(second.result.entries[0]?.note).toContain('now step 3 (cfo: Helen Cho)');

    const t3 = later(32 * HOUR);
    const third = breach(second.review, t3);
    expect(third.result.kind).toBe('expired');
    expect(third.review.status).toBe('EXPIRED');
    expect(third.review.decision).toEqual({
      outcome: 'expired',
      by: [{ id: 'policy', kind: 'policy' }],
      at: t3.toISOString(),
      reason:
        'No decision within the SLA of any step (step 1 manager 4h, step 2 finance_director 4h, step 3 cfo 1d); the policy expires it (rule purchase-order-manager).',
      action: r0.action,
      actionHash: r0.actionHash,
      edited: false,
    });
    expect(third.review.history.map((h) => h.what)).toEqual([
      'opened',
      'sla_breached',
      'escalated',
      'sla_breached',
      'escalated',
      'sla_breached',
      'expired',
    ]);
    expect(third.review.version).toBe(r0.version + 6);
  });

  it('drops the approvals given at a step when it escalates, but keeps the edit under approval', () => {
    // Two managers needed: one approves with a lower amount, nobody else does.
    const r = decided(
      { ...open(), quorum: 2 },
      approve('mira.okafor', { edits: { 'amount.value': 4000 } }),
      later(HOUR),
    );
    expect(r.approvals).toHaveLength(1);
    const { review: escalated, result } = breach(r, later(4 * HOUR));
    expect(escalated).toMatchObject({ step: 1, approvals: [], proposedEdit: r.proposedEdit });
    expect(result.entries[0]?.note).toMatch(/; approvals at step 1 do not carry over$/);

    // The review expires on what was on the table: the edited action.
    const end = breach(breach(escalated, later(8 * HOUR)).review, later(32 * HOUR)).review;
    const edited = { ...r.action, amount: { value: 4000, currency: 'USD' } };
    expect(end.decision).toMatchObject({
      outcome: 'expired',
      action: edited,
      actionHash: actionHash(edited),
      edited: true,
      editedBy: 'mira.okafor',
    });
  });

  it('computes each deadline with the deadline function it is given, from the SLA of the step it starts', () => {
    const seen: { start: string; sla: { ms: number; calendar?: string } }[] = [];
    const calendarAware: DeadlineFor = (start, sla) => {
      seen.push({ start: start.toISOString(), sla });
      return new Date(start.getTime() + sla.ms + 14 * HOUR);
    };
    const r = open();
    const claimed = apply(r, transition(markBreached(r, later(4 * HOUR))));
    const { next } = transition(escalate(claimed, 0, calendarAware, later(4 * HOUR)));
    expect(seen).toEqual([{ start: '2026-11-24T13:00:00.000Z', sla: expect.objectContaining({ ms: 4 * HOUR }) }]);
    expect(next.deadline).toBe('2026-11-25T07:00:00.000Z');
    expect(() => escalate(claimed, 0, () => later(4 * HOUR), later(4 * HOUR))).toThrow(RangeError);
  });
});

describe('the end of the route', () => {
  it('expires a $50,000 purchase order the CFO did not decide, decided by the policy', () => {
    const r = open(purchaseOrder(50000));
    expect(r).toMatchObject({ tier: 'high', rule: 'purchase-order-cfo', deadline: '2026-11-25T09:00:00.000Z' });
    expect(approverIds(r)).toEqual(['helen.cho']);
    const { review, result } = breach(r, later(24 * HOUR));
    expect(result.kind).toBe('expired');
    expect(review).toMatchObject({
      status: 'EXPIRED',
      decision: {
        outcome: 'expired',
        by: [{ id: 'policy', kind: 'policy' }],
        at: '2026-11-25T09:00:00.000Z',
        actionHash: r.actionHash,
        edited: false,
      },
    });
    expect(review.decision?.reason).toBe(
      'No decision within the SLA of any step (step 1 cfo 1d); the policy expires it (rule purchase-order-cfo).',
    );
    expect(review.history.at(-1)).toMatchObject({
      what: 'expired',
      by: { id: 'policy' },
      note: review.decision?.reason,
    });
    // Decided: the sweeper now watches its restart, not its deadline.
    expect(attentionAt(review)).toBe(new Date(Date.parse('2026-11-25T09:00:00.000Z') + REDRIVE_AFTER_MS).toISOString());
  });

  it('approves a soft review on timeout where the policy allows it, and the history shows it', () => {
    const r = softEmail();
    expect(r).toMatchObject({
      tier: 'medium',
      pattern: 'soft_review',
      onTimeout: 'approve',
      deadline: '2026-11-24T11:00:00.000Z',
    });
    const { review, result } = breach(r, later(2 * HOUR));
    expect(result.kind).toBe('approved');
    expect(review.status).toBe('APPROVED');
    expect(review.decision).toMatchObject({
      outcome: 'approved',
      by: [{ id: 'policy', kind: 'policy' }],
      action: r.action,
      actionHash: r.actionHash,
      edited: false,
    });
    expect(review.decision?.reason).toBe(
      'Approved on timeout: soft review, as the policy allows (rule soft-email); no decision within the SLA of any step (step 1 support_lead 2h).',
    );
    expect(review.history.map((h) => h.what)).toEqual(['opened', 'sla_breached', 'approved_on_timeout']);
  });

  it('fails closed: onTimeout approve on anything but a soft review expires it', () => {
    const r = { ...softEmail(), tier: 'high' as const, pattern: 'hard_gate' as const };
    const { review, result } = breach(r, later(2 * HOUR));
    expect(result.kind).toBe('expired');
    expect(review.decision?.reason).toContain(
      'onTimeout approve does not apply to a hard gate review, so it expires (fail closed)',
    );
    const unknown = breach({ ...open(purchaseOrder(50000)), onTimeout: 'ignore' as never }, later(24 * HOUR));
    expect(unknown.result.kind).toBe('expired');
  });

  it('keeps a high review with onTimeout escalate open, reminding the last step', () => {
    const { review, result } = breach({ ...open(purchaseOrder(50000)), onTimeout: 'escalate' }, later(24 * HOUR));
    expect(result.kind).toBe('reminded');
    expect(review).toMatchObject({ status: 'PENDING', step: 0, deadline: '2026-11-26T09:00:00.000Z' });
    expect(result.entries[0]?.note).toContain('the policy keeps it open (onTimeout escalate)');
  });
});

describe('a critical review (block until reviewed)', () => {
  it('never expires: breach after breach it escalates, then keeps reminding, and stays pending', () => {
    let r = twoStepCritical();
    expect(r).toMatchObject({
      tier: 'critical',
      pattern: 'block_until_reviewed',
      quorum: 2,
      deadline: '2026-11-24T10:00:00.000Z',
    });
    let t = later(HOUR);
    const first = breach(r, t);
    expect(first.result.kind).toBe('escalated');
    expect(approverIds(first.review)).toEqual(['c1', 'c2']);
    r = first.review;
    for (let i = 0; i < 5; i++) {
      t = new Date(Date.parse(r.deadline as string));
      const next = breach(r, t);
      expect(next.result.kind).toBe('reminded');
      expect(next.review).toMatchObject({
        status: 'PENDING',
        step: 1,
        deadline: later(2 * HOUR, t).toISOString(),
        stepStartedAt: t.toISOString(),
      });
      expect(next.review.decision).toBeUndefined();
      r = next.review;
    }
    expect(r.history.filter((h) => h.what === 'reminded')).toHaveLength(5);
    expect(r.history.at(-1)?.note).toContain(
      'a critical review is blocked until reviewed: reminding step 2 and the notify list (s1)',
    );
  });

  it('never expires or approves on timeout, whatever its onTimeout says', () => {
    for (const onTimeout of ['expire', 'approve'] as const) {
      const { review, result } = breach({ ...schemaChange(), onTimeout }, later(4 * HOUR));
      expect(result.kind).toBe('reminded');
      expect(review.status).toBe('PENDING');
    }
  });

  it('keeps the approvals of the last step through a reminder cycle', () => {
    const s = schemaChange();
    const once = decided(s, approve('raj.patel'), later(HOUR));
    const { review, result } = breach(once, later(4 * HOUR));
    expect(result.kind).toBe('reminded');
    expect(review.approvals.map((a) => a.approverId)).toEqual(['raj.patel']);
    expect(result.entries[0]?.note).toMatch(/; 1 of 2 approvals so far$/);
    expect(decide(review, approve('sam.adeyemi'), policy, later(5 * HOUR)).kind).toBe('decided');
  });
});

describe('stale breaches', () => {
  it('do nothing to a decided review', () => {
    const r = open();
    const claimed = apply(r, transition(markBreached(r, later(4 * HOUR))));
    const rejected = decided(
      claimed,
      { approverId: 'daniel.reyes', decision: 'reject', reason: 'Not in budget' },
      later(4 * HOUR + MINUTE),
    );
    expect(escalate(rejected, 0, deadlineFor, later(4 * HOUR + 2 * MINUTE))).toEqual(unchanged('stale'));
    expect(escalate({ ...rejected, status: 'COMPLETED' }, 0, deadlineFor, later(5 * HOUR))).toEqual(unchanged('stale'));
  });

  it('do nothing when the breach was of an earlier step', () => {
    const { review } = breach(open(), later(4 * HOUR));
    expect(escalate(review, 0, deadlineFor, later(9 * HOUR))).toEqual(unchanged('stale'));
  });

  it('do nothing when the same breach event is delivered twice, even in a reminder cycle', () => {
    const { review } = breach(open(), later(4 * HOUR));
    expect(escalate(review, 0, deadlineFor, later(4 * HOUR))).toEqual(unchanged('stale'));
    const critical = breach(schemaChange(), later(4 * HOUR)).review;
    expect(escalate(critical, 0, deadlineFor, later(4 * HOUR))).toEqual(unchanged('stale'));
  });

  it('do nothing before the deadline', () => {
    expect(escalate(open(), 0, deadlineFor, later(4 * HOUR - 1))).toEqual(unchanged('stale'));
  });
});

describe('marking a breach', () => {
  it('is not due before the deadline, nor for a decided review', () => {
    expect(markBreached(open(), later(4 * HOUR - 1))).toEqual(unchanged('not-due'));
    expect(markBreached(open(purchaseOrder(500)), later(48 * HOUR))).toEqual(unchanged('not-due'));
  });

  it('claims a breach once per step, and again only after 5 minutes without an escalation', () => {
    expect(BREACH_REPUBLISH_MS).toBe(5 * MINUTE);
    const r = open();
    const t = later(4 * HOUR + 30_000);
    const claim = transition(markBreached(r, t));
    expect(claim.next).toMatchObject({
      breach: { step: 0, at: t.toISOString() },
      version: r.version + 1,
      updatedAt: t.toISOString(),
    });
    expect(claim.entries).toEqual([
      {
        at: t.toISOString(),
        what: 'sla_breached',
        by: { id: 'hitl-gate', kind: 'system' },
        note: 'step 1 (manager: Mira Okafor, Daniel Reyes, Raj Patel) passed its deadline 2026-11-24T13:00:00.000Z',
      },
    ]);
    const claimed = apply(r, claim);
    expect(markBreached(claimed, later(BREACH_REPUBLISH_MS - 1, t))).toEqual(unchanged('already-marked'));

    const again = transition(markBreached(claimed, later(BREACH_REPUBLISH_MS, t)));
    expect(again.next.breach).toEqual({ step: 0, at: later(BREACH_REPUBLISH_MS, t).toISOString() });
    expect(again.entries[0]?.note).toContain(
      `published again: no escalation followed the breach marked at ${t.toISOString()}`,
    );
  });

  it('moves the sweeper’s next look to the republish time, and back to the deadline once escalated', () => {
    const r = { ...open(), remindersSent: [50, 90] }; // its reminders are sent: the deadline is next
    expect(attentionAt(r)).toBe('2026-11-24T13:00:00.000Z');
    const claimed = apply(r, transition(markBreached(r, later(4 * HOUR + MINUTE))));
    expect(attentionAt(claimed)).toBe('2026-11-24T13:06:00.000Z');
    // A breach left over from another step does not count.
    expect(attentionAt({ ...claimed, step: 1 })).toBe('2026-11-24T13:00:00.000Z');
    const escalated = apply(claimed, transition(escalate(claimed, 0, deadlineFor, later(4 * HOUR + MINUTE))));
    expect(attentionAt(escalated)).toBe('2026-11-24T17:01:00.000Z');
    expect(markBreached(escalated, later(8 * HOUR))).toEqual(unchanged('not-due'));
    expect(markBreached(escalated, later(8 * HOUR + MINUTE))).not.toEqual(unchanged('already-marked'));
  });
});

describe('cancelling', () => {
  it('ends a pending review with the canceller and the reason', () => {
    const opened = open();
    const r = apply(opened, transition(markBreached(opened, later(4 * HOUR))));
    const t = later(5 * HOUR);
    const { next, entries } = cancel(
      r,
      { id: 'procurement-agent', kind: 'system' },
      '  Vendor withdrew the quote \n',
      t,
    );
    expect(next).toMatchObject({ status: 'CANCELLED', version: r.version + 1, updatedAt: t.toISOString() });
    expect(next.breach).toBeUndefined();
    expect(next.decision).toEqual({
      outcome: 'cancelled',
      by: [{ id: 'procurement-agent', kind: 'system' }],
      at: t.toISOString(),
      reason: 'Vendor withdrew the quote',
      action: r.action,
      actionHash: r.actionHash,
      edited: false,
    });
    expect(entries).toEqual([
      {
        at: t.toISOString(),
        what: 'cancelled',
        by: { id: 'procurement-agent', kind: 'system' },
        note: 'Vendor withdrew the quote',
      },
    ]);
    expect(next.history).toEqual(r.history);
  });

  it('refuses cancelling a decided review, and says how it was decided', () => {
    const auto = open(purchaseOrder(500));
    const err = refusal(() => cancel(auto, { id: 'sam.rivera', kind: 'person' }, 'changed my mind', NOW));
    expect(err).toBeInstanceOf(AlreadyDecided);
    expect(err).toMatchObject({ outcome: 'approved' });
    expect(statusOf(err)).toBe(409);
    const expired = breach(open(purchaseOrder(50000)), later(24 * HOUR)).review;
    expect(
      refusal(() => cancel(expired, { id: 'sam.rivera', kind: 'person' }, 'too late', later(25 * HOUR))),
    ).toMatchObject({ outcome: 'expired' });
  });

  it('refuses a cancellation without a reason', () => {
    for (const reason of ['', '  \n\t', 'x'.repeat(2001), undefined as unknown as string]) {
      const err = refusal(() => cancel(open(), { id: 'sam.rivera', kind: 'person' }, reason, NOW));
      expect(err).toBeInstanceOf(ReasonRequired);
      expect(statusOf(err)).toBe(400);
    }
    expect(cancel(open(), { id: 'sam.rivera', kind: 'person' }, 'x'.repeat(2000), NOW).next.status).toBe('CANCELLED');
  });
});

describe('reminders before the deadline', () => {
  it('reminds at 50% and 90% of the step SLA, once each, and not after the deadline', () => {
    const r = open(); // 09:00 -> 13:00, manager step with remindAt [50, 90]
    expect(reminderDue(r, later(2 * HOUR - 1))).toBeUndefined();
    expect(nextReminderAt(r)).toBe('2026-11-24T11:00:00.000Z');
    expect(reminderDue(r, later(2 * HOUR))).toBe(50);
    const claim = transition(markReminded(r, 50, later(2 * HOUR)));
    expect(claim.next).toMatchObject({
      remindersSent: [50],
      version: r.version + 1,
      updatedAt: '2026-11-24T11:00:00.000Z',
    });
    expect(claim.entries).toEqual([
      {
        at: '2026-11-24T11:00:00.000Z',
        what: 'reminder_sent',
        by: { id: 'hitl-gate', kind: 'system' },
        note: 'step 1 (manager: Mira Okafor, Daniel Reyes, Raj Patel): 50% of 4h passed; deadline 2026-11-24T13:00:00.000Z',
      },
    ]);
    const reminded = apply(r, claim);
    expect(markReminded(reminded, 50, later(2 * HOUR))).toEqual(unchanged('not-due'));
    expect(reminderDue(reminded, later(3 * HOUR))).toBeUndefined();
    expect(nextReminderAt(reminded)).toBe('2026-11-24T12:36:00.000Z');
    expect(reminderDue(reminded, later(3.6 * HOUR - 1))).toBeUndefined();
    expect(reminderDue(reminded, later(3.6 * HOUR))).toBe(90);
    expect(reminderDue(reminded, later(4 * HOUR))).toBeUndefined();
    expect(markReminded(reminded, 90, later(4 * HOUR))).toEqual(unchanged('not-due'));
  });

  it('sends only the latest reminder due, not every one it missed', () => {
    const r = open();
    expect(reminderDue(r, later(3.7 * HOUR))).toBe(90);
    const reminded = apply(r, transition(markReminded(r, 90, later(3.7 * HOUR))));
    expect(markReminded(reminded, 50, later(3.8 * HOUR))).toEqual(unchanged('not-due'));
    expect(nextReminderAt(reminded)).toBeUndefined();
  });

  it('sends none for a step whose policy asks for none, nor a percentage the step does not name', () => {
    const cfo = open(purchaseOrder(50000)); // purchase-order-cfo: no remindAt
    expect(cfo.route[0]?.remindAt).toBeUndefined();
    expect(cfo.reminders).toBeUndefined();
    expect(nextReminderAt(cfo)).toBeUndefined();
    for (const h of [1, 12, 23]) expect(reminderDue(cfo, later(h * HOUR))).toBeUndefined();
    expect(markReminded(cfo, 50, later(12 * HOUR))).toEqual(unchanged('not-due'));
    expect(markReminded(open(), 75, later(3.5 * HOUR))).toEqual(unchanged('not-due'));
    // Escalated to the finance director, whose step asks for none either.
    const { review } = breach(open(), later(4 * HOUR));
    expect(review).toMatchObject({ step: 1, remindersSent: [] });
    expect(review.reminders).toBeUndefined();
    expect(reminderDue(review, later(7 * HOUR))).toBeUndefined();
  });

  it('sends none to a decided review', () => {
    const r = open();
    const rejected = decided(
      r,
      { approverId: 'daniel.reyes', decision: 'reject', reason: 'Not in budget' },
      later(HOUR),
    );
    expect(reminderDue(rejected, later(2 * HOUR))).toBeUndefined();
    expect(nextReminderAt(rejected)).toBeUndefined();
    expect(markReminded(rejected, 50, later(2 * HOUR))).toEqual(unchanged('not-due'));
  });

  it('starts the reminders again for each step an escalation starts, and for each reminder cycle', () => {
    const r = twoStepCritical(); // step 1 dba 1h [50], step 2 cto 2h [25, 75]
    expect(r.reminders).toEqual([{ percent: 50, at: '2026-11-24T09:30:00.000Z' }]);
    const sent = apply(r, transition(markReminded(r, 50, later(30 * MINUTE))));
    const escalated = breach(sent, later(HOUR)).review; // 10:00 -> 12:00
    expect(escalated).toMatchObject({ step: 1, remindersSent: [] });
    expect(escalated.reminders).toEqual([
      { percent: 25, at: '2026-11-24T10:30:00.000Z' },
      { percent: 75, at: '2026-11-24T11:30:00.000Z' },
    ]);
    expect(reminderDue(escalated, later(HOUR + 30 * MINUTE))).toBe(25);
    const late = apply(escalated, transition(markReminded(escalated, 75, later(HOUR + 90 * MINUTE))));
    expect(nextReminderAt(late)).toBeUndefined();
    // The end of the route: the same step again with a new deadline, and its reminders again.
    const cycle = breach(late, later(3 * HOUR)); // 12:00 -> 14:00
    expect(cycle.result.kind).toBe('reminded');
    expect(cycle.review).toMatchObject({ step: 1, remindersSent: [], deadline: '2026-11-24T14:00:00.000Z' });
    expect(nextReminderAt(cycle.review)).toBe('2026-11-24T12:30:00.000Z');
  });

  it('counts the percentages of a business-hours SLA in working time, as its deadline is', () => {
    const office = parsePolicy(
      `
version: "t"
currencies: [USD]
calendars:
  berlin: { timeZone: Europe/Berlin, workingHours: { mon: 09:00-18:00, tue: 09:00-18:00, wed: 09:00-18:00, thu: 09:00-18:00, fri: 09:00-18:00 } }
rules: []
default:
  tier: high
  steps:
    - { roles: [ops_admin], sla: 9h, calendar: berlin, remindAt: [50, 90] }
    - { roles: [cfo], sla: 2h, calendar: berlin, remindAt: [50] }
`,
      `
people:
  - { id: o1, name: Ops One, email: o1@example.com, roles: [ops_admin] }
  - { id: c1, name: Chris One, email: c1@example.com, roles: [cfo] }
`,
    );
    // Friday 17:00 in Berlin: one working hour that day, then Monday from 09:00.
    const friday = new Date('2026-11-27T16:00:00.000Z');
    const p = proposal({ action: { type: 'launch', summary: 'Launch', amount: undefined } });
    const r = newReview(p, office.classify(p.action, p), friday);
    expect(r.deadline).toBe('2026-11-30T16:00:00.000Z'); // Monday 17:00 Berlin
    // 4.5h and 8.1h of working time, not 50% and 90% of the 72 hours on the wall.
    expect(r.reminders).toEqual([
      { percent: 50, at: '2026-11-30T11:30:00.000Z' },
      { percent: 90, at: '2026-11-30T15:06:00.000Z' },
    ]);
    expect(attentionAt(r)).toBe('2026-11-30T11:30:00.000Z');
    expect(reminderDue(r, new Date('2026-11-29T16:00:00.000Z'))).toBeUndefined();
    expect(reminderDue(r, new Date('2026-11-30T11:30:00.000Z'))).toBe(50);

    // Escalation computes the next step's reminders with the deadline function it is given.
    const byCalendar: DeadlineFor = (start, sla) => calendarDeadline(start, sla, office);
    const claimed = apply(r, transition(markBreached(r, new Date('2026-11-30T16:00:00.000Z'))));
    const { next } = transition(escalate(claimed, 0, byCalendar, new Date('2026-11-30T16:00:00.000Z'))); // Monday 17:00 Berlin
    expect(next.deadline).toBe('2026-12-01T09:00:00.000Z'); // 1h on Monday, 1h on Tuesday
    expect(next.reminders).toEqual([{ percent: 50, at: '2026-11-30T17:00:00.000Z' }]); // Monday 18:00 Berlin
  });

  it('schedules each reminder after the step starts and before its deadline, in ascending order', () => {
    const percentages = fc
      .uniqueArray(fc.integer({ min: 1, max: 99 }), { minLength: 1, maxLength: 6 })
      .map((ps) => ps.sort((a, b) => a - b));
    fc.assert(
      fc.property(percentages, fc.integer({ min: 1, max: 365 * 24 * 60 }), (remindAt, minutes) => {
        const p = purchaseOrder(5000);
        const c = policy.classify(p.action, p);
        const r = newReview(
          p,
          { ...c, steps: [{ ...c.steps[0]!, sla: { ms: minutes * MINUTE, text: `${minutes}m` }, remindAt }] },
          NOW,
        );
        const times = (r.reminders ?? []).map((x) => Date.parse(x.at));
        expect(r.reminders?.map((x) => x.percent)).toEqual(remindAt);
        expect(times).toEqual([...times].sort((a, b) => a - b));
        for (const t of times) expect(t > NOW.getTime() && t < Date.parse(r.deadline!)).toBe(true);
        expect(attentionAt(r)).toBe(r.reminders![0]!.at);
      }),
    );
  });
});

describe('whatever the order of breach events, decisions and cancellations', () => {
  type Op =
    | { kind: 'tick'; ms: number }
    | { kind: 'sweep'; deliver: boolean; twice: boolean }
    | { kind: 'event'; step: number }
    | { kind: 'remind' }
    | { kind: 'decide'; who: number; reject: boolean }
    | { kind: 'cancel' };
  // Time and breaches weigh more than people, so many runs reach the end of the route before anyone decides.
  const op: fc.Arbitrary<Op> = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30 * HOUR }) }),
    },
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('sweep' as const), deliver: fc.boolean(), twice: fc.boolean() }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('event' as const), step: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('remind' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('decide' as const), who: fc.nat(5), reject: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const) }) },
  );
  const scenarios: Record<string, () => { review: Review; policy: Policy }> = {
    'purchase order': () => ({ review: open(), policy }),
    'CFO purchase order': () => ({ review: open(purchaseOrder(50000)), policy }),
    'critical schema change': () => ({ review: schemaChange(), policy }),
    'soft review approved on timeout': () => ({ review: softEmail(), policy: inline }),
    'two-step critical': () => ({ review: twoStepCritical(), policy: inline }),
  };

  it('ends with at most one decision, and the status only moves from PENDING to decided', () => {
    fc.assert(
      fc.property(fc.constantFrom(...Object.keys(scenarios)), fc.array(op, { maxLength: 40 }), (name, ops) => {
        const start = scenarios[name]!();
        let review = start.review;
        let now = NOW;
        let decisions = 0;
        const attempt = (change: () => Transition | Unchanged) => {
          let result: Transition | Unchanged;
          try {
            result = change();
          } catch (err) {
            if (err instanceof DomainError) return; // a refusal changes nothing
            throw err;
          }
          if (!('next' in result)) return;
          const before = review;
          review = { ...result.next, history: [...before.history, ...result.entries] };
          // Once decided, nothing changes the review any more.
          expect(before.status).toBe('PENDING');
          if (isDecided(review.status)) decisions++;
          else expect(review.status).toBe('PENDING');
        };
        for (const o of ops) {
          if (o.kind === 'tick') now = later(o.ms, now);
          else if (o.kind === 'sweep') {
            attempt(() => markBreached(review, now));
            const step = review.breach?.step ?? review.step;
            if (o.deliver) attempt(() => escalate(review, step, deadlineFor, now));
            if (o.deliver && o.twice) attempt(() => escalate(review, step, deadlineFor, now));
          } else if (o.kind === 'event') attempt(() => escalate(review, o.step, deadlineFor, now));
          else if (o.kind === 'remind') {
            // As the sweeper does, twice: the second finds it claimed.
            attempt(() => markReminded(review, reminderDue(review, now) ?? 0, now));
            attempt(() => markReminded(review, reminderDue(review, now) ?? 0, now));
            const sent = review.remindersSent ?? [];
            expect(sent).toEqual([...new Set(sent)].sort((a, b) => a - b));
          } else if (o.kind === 'decide') {
            const approvers = review.route[review.step]?.approvers ?? [];
            const who = approvers[o.who % Math.max(1, approvers.length)]?.id ?? 'nobody';
            const command: DecideCommand = o.reject
              ? { approverId: who, decision: 'reject', reason: 'no' }
              : { approverId: who, decision: 'approve' };
            attempt(() => ({ ...decide(review, command, start.policy, now) }));
          } else attempt(() => cancel(review, { id: 'sam.rivera', kind: 'person' }, 'withdrawn', now));
        }
        expect(decisions).toBeLessThanOrEqual(1);
        expect(isDecided(review.status)).toBe(review.decision !== undefined);
        // A critical review ends only by a person's decision (or a cancellation), never by the policy.
        if (review.pattern === 'block_until_reviewed')
          expect(review.decision?.by.some((a) => a.kind === 'policy') ?? false).toBe(false);
        if (review.decision?.by.some((a) => a.kind === 'policy')) {
          expect(review.history.filter((h) => h.what === 'expired' || h.what === 'approved_on_timeout')).toHaveLength(
            1,
          );
        }
      }),
      { numRuns: 300 },
    );
  });
});
