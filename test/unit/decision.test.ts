import fc from 'fast-check';
import type { ActionProposed } from '../../events/index.ts';
import { actionHash } from '../../functions/domain/action-hash.ts';
import { actionUnderApproval, assertApprovedActionIntact, decide } from '../../functions/domain/decision.ts';
import type { DecideCommand } from '../../functions/domain/decision.ts';
import {
  AlreadyDecided,
  BeyondAuthority,
  DomainError,
  DuplicateApproval,
  FieldNotEditable,
  InvalidEdit,
  NotCurrentApprover,
  ReasonRequired,
  SelfApproval,
} from '../../functions/domain/errors.ts';
import { newReview } from '../../functions/domain/review.ts';
import type { Review } from '../../functions/domain/review.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { shippedPolicy } from '../support/policy.ts';
import { statusOf } from '../support/errors.ts';

const policy = shippedPolicy;
const NOW = new Date('2026-11-24T09:00:00.000Z');
const LATER = new Date('2026-11-24T09:05:00.000Z');
const open = (p: ActionProposed = purchaseOrder(5000)) => newReview(p, policy.classify(p.action, p), NOW);
/** A production schema change: critical, two of the DBAs and engineering leads must approve. */
const schemaChange = (requestedBy = 'sam.rivera') =>
  open(
    proposal({
      requestedBy,
      agentId: 'migration-agent',
      action: {
        type: 'db_schema_change',
        summary: 'Add index on orders.customer_id',
        target: 'production/orders-db',
        amount: undefined,
      },
    }),
  );
/** A $5,000 purchase order that, unlike the shipped rule, needs two of the three managers. */
const twoManagerPo = () => ({ ...open(), quorum: 2 });

const approve = (approverId: string, more: Partial<DecideCommand> = {}): DecideCommand => ({
  approverId,
  decision: 'approve',
  ...more,
});
const reject = (approverId: string, reason?: string): DecideCommand => ({
  approverId,
  decision: 'reject',
  ...(reason === undefined ? {} : { reason }),
});
/** Decide and apply the history entries, as the store does in the same update. */
function step(review: Review, command: DecideCommand, at = LATER) {
  const result = decide(review, command, policy, at);
  return { ...result, review: { ...result.next, history: [...review.history, ...result.entries] } };
}
function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a refusal');
}

describe('the shipped policy and directory, as these tests use them', () => {
  it('routes a $5,000 purchase order to the three managers and a production schema change to two of three reviewers', () => {
    expect(open().route[0]?.approvers.map((a) => a.id)).toEqual(['mira.okafor', 'daniel.reyes', 'raj.patel']);
    expect(open()).toMatchObject({ tier: 'medium', quorum: 1, editable: ['amount.value', 'summary'] });
    const s = schemaChange();
    expect(s).toMatchObject({ tier: 'critical', quorum: 2, editable: [] });
    expect(s.route[0]?.approvers.map((a) => a.id)).toEqual(['raj.patel', 'sam.adeyemi', 'lena.fischer']);
  });
});

describe('who may decide', () => {
  it('refuses deciding a review that is already decided, and says how it was decided', () => {
    const auto = open(purchaseOrder(500));
    const err = refusal(() => decide(auto, approve('mira.okafor'), policy, LATER));
    expect(err).toBeInstanceOf(AlreadyDecided);
    expect(err).toMatchObject({ code: 'AlreadyDecided', outcome: 'approved', decision: auto.decision });
    expect(statusOf(err)).toBe(409);

    const { review: rejected } = step(open(), reject('daniel.reyes', 'Not in budget'));
    expect(refusal(() => decide(rejected, approve('mira.okafor'), policy, LATER))).toMatchObject({
      outcome: 'rejected',
    });
    expect(
      refusal(() => decide({ ...rejected, status: 'COMPLETED' }, reject('mira.okafor', 'no'), policy, LATER)),
    ).toBeInstanceOf(AlreadyDecided);
  });

  it('refuses the requester approving their own proposal', () => {
    const r = open(purchaseOrder(5000, { requestedBy: 'raj.patel' }));
    // The policy already left raj out of the route; the refusal still names the real reason.
    expect(r.route[0]?.approvers.map((a) => a.id)).not.toContain('raj.patel');
    const err = refusal(() => decide(r, approve('raj.patel'), policy, LATER));
    expect(err).toBeInstanceOf(SelfApproval);
    expect(err).toMatchObject({ code: 'SelfApproval' });
    expect(statusOf(err)).toBe(403);
  });

  it('refuses the requester when the proposal names them by email', () => {
    const r = { ...open(), requestedBy: 'Mira.Okafor@example.com' };
    expect(refusal(() => decide(r, approve('mira.okafor'), policy, LATER))).toBeInstanceOf(SelfApproval);
    expect(refusal(() => decide(r, reject('mira.okafor', 'I changed my mind'), policy, LATER))).toBeInstanceOf(
      SelfApproval,
    );
  });

  it('refuses the requester before asking whether they are a current approver', () => {
    const r = { ...open(purchaseOrder(5000, { requestedBy: 'helen.cho' })) };
    expect(refusal(() => decide(r, approve('helen.cho'), policy, LATER))).toBeInstanceOf(SelfApproval);
  });

  it('refuses someone who is not among the current step approvers', () => {
    const r = open();
    for (const who of ['priya.natarajan', 'helen.cho', 'nobody.known', '']) {
      const err = refusal(() => decide(r, approve(who), policy, LATER));
      expect(err).toBeInstanceOf(NotCurrentApprover);
      expect(statusOf(err)).toBe(403);
    }
    // After escalation the finance director decides and the managers no longer do.
    const escalated = { ...r, step: 1 };
    expect(refusal(() => decide(escalated, approve('mira.okafor'), policy, LATER))).toBeInstanceOf(NotCurrentApprover);
    expect(decide(escalated, approve('priya.natarajan'), policy, LATER).kind).toBe('decided');
  });
});

describe('approving', () => {
  it('approves a $5,000 purchase order with one manager approval', () => {
    const r = open();
    const { next, entries, kind } = decide(r, approve('mira.okafor', { reason: '  Budgeted in Q4  ' }), policy, LATER);
    expect(kind).toBe('decided');
    expect(next).toMatchObject({
      status: 'APPROVED',
      version: r.version + 1,
      updatedAt: LATER.toISOString(),
      action: r.action,
      actionHash: r.actionHash,
    });
    expect(next.decision).toEqual({
      outcome: 'approved',
      by: [{ id: 'mira.okafor', kind: 'person' }],
      at: LATER.toISOString(),
      reason: 'Budgeted in Q4',
      action: r.action,
      actionHash: r.actionHash,
      edited: false,
    });
    expect(next.approvals).toEqual([
      { approverId: 'mira.okafor', at: LATER.toISOString(), actionHash: r.actionHash, reason: 'Budgeted in Q4' },
    ]);
    expect(entries).toEqual([
      {
        at: LATER.toISOString(),
        what: 'approved',
        by: { id: 'mira.okafor', kind: 'person' },
        note: 'note: Budgeted in Q4',
      },
    ]);
    // The store appends the entries; `next` leaves history as it was.
    expect(next.history).toEqual(r.history);
    expect(() => assertApprovedActionIntact(next)).not.toThrow();
  });

  it('does not change the review it is given', () => {
    const r = open();
    const before = structuredClone(r);
    decide(r, approve('mira.okafor', { edits: { 'amount.value': 800 } }), policy, LATER);
    expect(r).toEqual(before);
  });

  it('refuses an approval note longer than 2,000 characters', () => {
    expect(
      refusal(() => decide(open(), approve('mira.okafor', { reason: 'x'.repeat(2001) }), policy, LATER)),
    ).toBeInstanceOf(ReasonRequired);
  });
});

describe('rejecting', () => {
  it('ends the review with one rejection and its reason', () => {
    const r = open();
    const { next, entries, kind } = decide(r, reject('daniel.reyes', '  Duplicate of PO-1182 \n'), policy, LATER);
    expect(kind).toBe('decided');
    expect(next).toMatchObject({ status: 'REJECTED', version: r.version + 1, updatedAt: LATER.toISOString() });
    expect(next.decision).toEqual({
      outcome: 'rejected',
      by: [{ id: 'daniel.reyes', kind: 'person' }],
      at: LATER.toISOString(),
      reason: 'Duplicate of PO-1182',
      action: r.action,
      actionHash: r.actionHash,
      edited: false,
    });
    expect(entries).toEqual([
      {
        at: LATER.toISOString(),
        what: 'rejected',
        by: { id: 'daniel.reyes', kind: 'person' },
        note: 'Duplicate of PO-1182',
      },
    ]);
  });

  it('refuses a rejection without a reason', () => {
    for (const reason of [undefined, '', '   \n\t ', 'x'.repeat(2001)]) {
      const err = refusal(() => decide(open(), reject('daniel.reyes', reason), policy, LATER));
      expect(err).toBeInstanceOf(ReasonRequired);
      expect(statusOf(err)).toBe(400);
    }
    expect(decide(open(), reject('daniel.reyes', 'x'.repeat(2000)), policy, LATER).kind).toBe('decided');
  });

  it('ends a quorum review with one rejection, even after an approval', () => {
    const { review: once } = step(schemaChange(), approve('raj.patel'));
    const { next, kind } = decide(once, reject('lena.fischer', 'Needs a concurrent index build'), policy, LATER);
    expect(kind).toBe('decided');
    expect(next.decision).toMatchObject({ outcome: 'rejected', by: [{ id: 'lena.fischer' }] });
  });

  it('refuses edits on a rejection', () => {
    expect(
      refusal(() => decide(open(), { ...reject('mira.okafor', 'no'), edits: { summary: 'x' } }, policy, LATER)),
    ).toBeInstanceOf(InvalidEdit);
  });
});

describe('a quorum of two', () => {
  it('stays pending after one approval and decides with the second distinct approver', () => {
    const r = schemaChange();
    const first = step(r, approve('raj.patel'));
    expect(first.kind).toBe('recorded');
    expect(first.review).toMatchObject({ status: 'PENDING', version: r.version + 1 });
    expect(first.review.decision).toBeUndefined();
    expect(first.entries).toEqual([
      { at: LATER.toISOString(), what: 'approved', by: { id: 'raj.patel', kind: 'person' }, note: '1 of 2 approvals' },
    ]);

    const second = step(first.review, approve('sam.adeyemi', { reason: 'Index is online-safe' }));
    expect(second.kind).toBe('decided');
    expect(second.review).toMatchObject({ status: 'APPROVED', version: r.version + 2 });
    expect(second.review.decision).toMatchObject({
      outcome: 'approved',
      by: [
        { id: 'raj.patel', kind: 'person' },
        { id: 'sam.adeyemi', kind: 'person' },
      ],
      reason: 'sam.adeyemi: Index is online-safe',
      actionHash: r.actionHash,
      edited: false,
    });
    expect(second.entries[0]?.note).toBe('2 of 2 approvals; note: Index is online-safe');
    expect(second.review.history.map((h) => h.what)).toEqual(['opened', 'approved', 'approved']);
  });

  it('refuses the same approver approving twice', () => {
    const { review: once } = step(schemaChange(), approve('raj.patel'));
    const err = refusal(() => decide(once, approve('raj.patel'), policy, LATER));
    expect(err).toBeInstanceOf(DuplicateApproval);
    expect(statusOf(err)).toBe(409);
  });

  it('counts only approvals by the current step approvers', () => {
    const r = {
      ...schemaChange(),
      approvals: [{ approverId: 'felix.brandt', at: NOW.toISOString(), actionHash: schemaChange().actionHash }],
    };
    expect(decide(r, approve('raj.patel'), policy, LATER).kind).toBe('recorded');
  });
});

describe('approving with edits', () => {
  it('lets the manager lower a purchase order from 5,000 to 800 and approves the edited action', () => {
    const r = open();
    const { next, entries, kind } = decide(
      r,
      approve('mira.okafor', { edits: { 'amount.value': 800 } }),
      policy,
      LATER,
    );
    const edited = { ...r.action, amount: { value: 800, currency: 'USD' } };
    expect(kind).toBe('decided');
    expect(next.status).toBe('APPROVED');
    expect(next.action).toEqual(r.action); // the proposal stays as it was
    expect(next.actionHash).toBe(r.actionHash);
    expect(next.decision).toEqual({
      outcome: 'approved',
      by: [{ id: 'mira.okafor', kind: 'person' }],
      at: LATER.toISOString(),
      reason: '',
      action: edited,
      actionHash: actionHash(edited),
      edited: true,
      editedBy: 'mira.okafor',
      changes: [{ path: 'amount.value', from: 5000, to: 800 }],
    });
    expect(next.decision?.actionHash).not.toBe(r.actionHash);
    expect(next.proposedEdit).toMatchObject({ action: edited, actionHash: actionHash(edited), by: 'mira.okafor' });
    expect(entries[0]?.note).toBe('changed amount.value from 5000 to 800');
    expect(() => assertApprovedActionIntact(next)).not.toThrow();
  });

  it('refuses raising the amount from 5,000 to 20,000 as beyond the manager authority', () => {
    const err = refusal(() =>
      decide(open(), approve('raj.patel', { edits: { 'amount.value': 20000 } }), policy, LATER),
    );
    expect(err).toBeInstanceOf(BeyondAuthority);
    expect(err).toMatchObject({ tier: 'high', rule: 'purchase-order-cfo' });
    expect(statusOf(err)).toBe(422);
    expect((err as Error).message).toContain(
      'Raising the amount to $20,000.00 makes this a high-tier purchase order for the cfo',
    );
    expect((err as Error).message).toContain('raj.patel cannot approve it');
  });

  it('lets an escalated approver edit within the route she is on, but not into a higher tier', () => {
    // The finance director, reached by escalation, may lower the amount: she is on the new classification's route.
    const escalated = { ...open(), step: 1 };
    expect(
      decide(escalated, approve('priya.natarajan', { edits: { 'amount.value': 3000 } }), policy, LATER).kind ===
        'decided',
    ).toBe(true);
    const err = refusal(() =>
      decide(escalated, approve('priya.natarajan', { edits: { 'amount.value': 10000.01 } }), policy, LATER),
    );
    expect(err).toBeInstanceOf(BeyondAuthority);
    expect((err as Error).message).toContain('this review is medium-tier');
  });

  it('refuses an edit that lands on a route the approver is not on, even within the review tier', () => {
    // As if the review had opened high-tier: the edit is no stricter, but only the CFO approves what it becomes.
    const high = { ...open(), step: 1, tier: 'high' as const };
    const err = refusal(() =>
      decide(high, approve('priya.natarajan', { edits: { 'amount.value': 10000.01 } }), policy, LATER),
    );
    expect(err).toBeInstanceOf(BeyondAuthority);
    expect((err as Error).message).toBe(
      'Raising the amount to $10,000.01 makes this a high-tier purchase order for the cfo (rule purchase-order-cfo); priya.natarajan cannot approve it (priya.natarajan is not among its approvers).',
    );
  });

  it('refuses editing a field the policy does not make editable', () => {
    for (const [path, value] of [
      ['type', 'refund'],
      ['target', 'production/orders-db'],
      ['amount.currency', 'EUR'],
      ['amount', { value: 1, currency: 'USD' }],
      ['payload.note', 'x'],
    ] as const) {
      const err = refusal(() => decide(open(), approve('mira.okafor', { edits: { [path]: value } }), policy, LATER));
      expect(err).toBeInstanceOf(FieldNotEditable);
      expect(err).toMatchObject({ path });
      expect(statusOf(err)).toBe(422);
      expect((err as Error).message).toContain(path);
    }
    expect(
      refusal(() => decide(schemaChange(), approve('raj.patel', { edits: { summary: 'x' } }), policy, LATER)),
    ).toBeInstanceOf(FieldNotEditable);
  });

  it('refuses edit paths that reach an object prototype', () => {
    const r = open(
      proposal({
        action: {
          type: 'customer_email',
          summary: 'Apology',
          amount: undefined,
          payload: { subject: 'Sorry', body: 'Hello' },
        },
      }),
    );
    for (const path of ['payload.body.__proto__', 'payload.subject.constructor', 'payload..body', 'payload.body.']) {
      expect(refusal(() => decide(r, approve('grace.kim', { edits: { [path]: 'x' } }), policy, LATER))).toBeInstanceOf(
        FieldNotEditable,
      );
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses an edit the Action schema refuses, listing the problems', () => {
    const err = refusal(() =>
      decide(open(), approve('mira.okafor', { edits: { 'amount.value': -5, summary: ' ' } }), policy, LATER),
    );
    expect(err).toBeInstanceOf(InvalidEdit);
    expect((err as InvalidEdit).problems).toEqual(
      expect.arrayContaining(['amount.value: must not be negative', 'summary: must not be empty']),
    );
    expect((err as Error).message).toContain('amount.value: must not be negative');
    expect(
      refusal(() => decide(open(), approve('mira.okafor', { edits: { 'amount.value': '800' } }), policy, LATER)),
    ).toBeInstanceOf(InvalidEdit);
    expect(
      refusal(() => decide(open(), approve('mira.okafor', { edits: { 'amount.value': 12.345 } }), policy, LATER)),
    ).toBeInstanceOf(InvalidEdit);
  });

  it('counts an edit that changes nothing as a plain approval', () => {
    const r = open();
    const { next } = decide(
      r,
      approve('mira.okafor', { edits: { 'amount.value': 5000, summary: r.action.summary } }),
      policy,
      LATER,
    );
    expect(next.decision).toMatchObject({ edited: false, actionHash: r.actionHash, action: r.action });
    expect(next.decision?.changes).toBeUndefined();
    expect(next.proposedEdit).toBeUndefined();
  });

  it('edits the payload of a customer email field by field', () => {
    const r = open(
      proposal({
        action: {
          type: 'customer_email',
          summary: 'Apology',
          amount: undefined,
          payload: { subject: 'Sorry', body: 'Hello' },
        },
      }),
    );
    const { next } = decide(
      r,
      approve('jonas.berg', { edits: { 'payload.body': 'Hello, and sorry for the delay.' } }),
      policy,
      LATER,
    );
    expect(next.decision).toMatchObject({
      edited: true,
      action: { payload: { subject: 'Sorry', body: 'Hello, and sorry for the delay.' } },
      changes: [{ path: 'payload.body', from: 'Hello', to: 'Hello, and sorry for the delay.' }],
    });
  });

  it('asks the other approvers of a quorum step to approve the edited action', () => {
    const r = twoManagerPo();
    // daniel approves the proposal; mira then edits it, so daniel's approval no longer covers what would run.
    const a = step(r, approve('daniel.reyes'));
    const b = step(a.review, approve('mira.okafor', { edits: { 'amount.value': 4200 } }));
    expect(b.kind).toBe('recorded');
    expect(b.entries[0]?.note).toBe(
      '1 of 2 approvals; changed amount.value from 5000 to 4200; earlier approvals covered the unedited action and no longer count',
    );
    const edited = { ...r.action, amount: { value: 4200, currency: 'USD' } };
    expect(b.review.proposedEdit).toMatchObject({
      action: edited,
      actionHash: actionHash(edited),
      by: 'mira.okafor',
      changes: [{ path: 'amount.value', from: 5000, to: 4200 }],
    });
    expect(b.review.approvals).toEqual([
      { approverId: 'mira.okafor', at: LATER.toISOString(), actionHash: actionHash(edited) },
    ]);
    expect(actionUnderApproval(b.review).actionHash).toBe(actionHash(edited));

    // mira cannot approve twice, but daniel may approve again, this time the edited action.
    expect(refusal(() => decide(b.review, approve('mira.okafor'), policy, LATER))).toBeInstanceOf(DuplicateApproval);
    const c = step(b.review, approve('daniel.reyes'));
    expect(c.kind).toBe('decided');
    expect(c.review.decision).toEqual({
      outcome: 'approved',
      by: [
        { id: 'mira.okafor', kind: 'person' },
        { id: 'daniel.reyes', kind: 'person' },
      ],
      at: LATER.toISOString(),
      reason: '',
      action: edited,
      actionHash: actionHash(edited),
      edited: true,
      editedBy: 'mira.okafor',
      changes: [{ path: 'amount.value', from: 5000, to: 4200 }],
    });
    expect(c.review.action).toEqual(r.action);
    expect(() => assertApprovedActionIntact(c.review)).not.toThrow();
  });

  it('records changes against the proposal when a second approver edits the edited action', () => {
    const r = twoManagerPo();
    const a = step(r, approve('mira.okafor', { edits: { 'amount.value': 4200 } }));
    const b = step(a.review, approve('daniel.reyes', { edits: { summary: 'Laptops (4 instead of 5)' } }));
    expect(b.kind).toBe('recorded');
    expect(b.review.approvals.map((x) => x.approverId)).toEqual(['daniel.reyes']);
    const c = step(b.review, approve('raj.patel'));
    expect(c.review.decision).toMatchObject({
      edited: true,
      editedBy: 'daniel.reyes',
      action: { summary: 'Laptops (4 instead of 5)', amount: { value: 4200 } },
      changes: [
        { path: 'amount.value', from: 5000, to: 4200 },
        { path: 'summary', from: r.action.summary, to: 'Laptops (4 instead of 5)' },
      ],
    });
  });

  it('drops the edit when a later edit restores the proposal', () => {
    const r = twoManagerPo();
    const a = step(r, approve('mira.okafor', { edits: { 'amount.value': 4200 } }));
    const b = step(a.review, approve('daniel.reyes', { edits: { 'amount.value': 5000 } }));
    expect(b.review.proposedEdit).toBeUndefined();
    const c = step(b.review, approve('raj.patel'));
    expect(c.review.decision).toMatchObject({ edited: false, action: r.action, actionHash: r.actionHash });
  });

  it('rejects the edited action when a rejection follows an edit', () => {
    const a = step(twoManagerPo(), approve('mira.okafor', { edits: { 'amount.value': 4200 } }));
    const { next } = decide(a.review, reject('daniel.reyes', 'We agreed on 4,000'), policy, LATER);
    expect(next.decision).toMatchObject({
      outcome: 'rejected',
      edited: true,
      action: { amount: { value: 4200 } },
      editedBy: 'mira.okafor',
    });
  });
});

describe('the approved action before anything is granted', () => {
  it('passes an intact approval and catches a tampered one', () => {
    const { next } = decide(open(), approve('mira.okafor', { edits: { 'amount.value': 800 } }), policy, LATER);
    expect(() => assertApprovedActionIntact(next)).not.toThrow();
    const decision = next.decision as NonNullable<Review['decision']>;
    const tampered = {
      ...next,
      decision: { ...decision, action: { ...decision.action, amount: { value: 80000, currency: 'USD' } } },
    };
    const err = refusal(() => assertApprovedActionIntact(tampered));
    expect(err).toMatchObject({ name: 'ActionHashMismatch', code: 'ActionHashMismatch' });
    expect(err).toBeInstanceOf(DomainError);
  });

  it('catches an unedited approval whose action and hash were both swapped', () => {
    const { next } = decide(open(), approve('mira.okafor'), policy, LATER);
    const other = { ...next.action, summary: 'Something else' };
    const swapped = {
      ...next,
      decision: { ...(next.decision as NonNullable<Review['decision']>), action: other, actionHash: actionHash(other) },
    };
    expect(refusal(() => assertApprovedActionIntact(swapped))).toMatchObject({ name: 'ActionHashMismatch' });
  });

  it('passes a policy approval and refuses to vouch for a review that is not approved', () => {
    expect(() => assertApprovedActionIntact(open(purchaseOrder(500)))).not.toThrow();
    expect(() => assertApprovedActionIntact(open())).toThrow(/no approved decision/);
  });
});

describe('any sequence of decisions', () => {
  it('ends in at most one decision, after which every command is refused as already decided', () => {
    const reviews = { schema: schemaChange, po: open, twoManagers: twoManagerPo };
    const command = fc.record({
      who: fc.nat({ max: 10 }),
      decision: fc.constantFrom('approve' as const, 'reject' as const),
      reason: fc.option(fc.constantFrom('', '  ', 'fine', 'Not now'), { nil: undefined }),
      edit: fc.option(fc.constantFrom(800, 4200, 5000, 9999.99, 20000, -1), { nil: undefined }),
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(reviews) as (keyof typeof reviews)[])),
        fc.array(command, { maxLength: 12 }),
        (kind, commands) => {
          let review = reviews[kind]();
          let decisions = 0;
          for (const c of commands) {
            const approvers = review.route[review.step]?.approvers ?? [];
            const approverId = approvers[c.who % approvers.length]?.id ?? 'nobody';
            const cmd: DecideCommand = {
              approverId,
              decision: c.decision,
              ...(c.reason === undefined ? {} : { reason: c.reason }),
              ...(c.edit === undefined || c.decision === 'reject' || review.editable.length === 0
                ? {}
                : { edits: { 'amount.value': c.edit } }),
            };
            const wasDecided = review.status !== 'PENDING';
            try {
              const result = step(review, cmd);
              expect(wasDecided).toBe(false);
              expect(result.review.version).toBe(review.version + 1);
              expect(result.kind === 'decided').toBe(result.review.status !== 'PENDING');
              expect(result.review.decision === undefined).toBe(result.kind !== 'decided');
              if (result.kind === 'decided') decisions++;
              review = result.review;
            } catch (err) {
              if (wasDecided) expect(err).toBeInstanceOf(AlreadyDecided);
              else
                expect(
                  [DuplicateApproval, ReasonRequired, InvalidEdit, BeyondAuthority].some((E) => err instanceof E),
                ).toBe(true);
            }
          }
          expect(decisions).toBeLessThanOrEqual(1);
          if (review.decision?.outcome === 'approved') {
            expect(review.decision.by.length).toBeGreaterThanOrEqual(review.quorum);
            expect(new Set(review.decision.by.map((b) => b.id)).size).toBe(review.decision.by.length);
            assertApprovedActionIntact(review);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
