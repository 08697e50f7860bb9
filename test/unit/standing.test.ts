// Standing approvals, pure: the policy's standing section is validated, a grant takes its scope from the approved
// action, and it approves a later proposal only in scope, within the granter's authority, never their own, never
// critical, and never once it has ended or been revoked.
import { stringify } from 'yaml';
import type { ActionProposed } from '../../events/index.ts';
import { decide } from '../../functions/domain/decision.ts';
import { StandingRefused } from '../../functions/domain/errors.ts';
import type { Review } from '../../functions/domain/model.ts';
import { PolicyError } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { newReview } from '../../functions/domain/review.ts';
import {
  approvedByGrant,
  grantFrom,
  grantRefusal,
  grantTypeOf,
  standingRequest,
} from '../../functions/domain/standing.ts';
import { shippedPolicy as policy } from '../support/policy.ts';

const NOW = new Date('2026-12-07T15:00:00Z');
const HOUR = 3_600_000;
const FILES = { policy: 'policy/stage.yml', directory: 'policy/people.yml' };

type Doc = Record<string, any>;
const standingPolicy = (standing: Doc, rule: Doc = {}): Doc => ({
  version: '1',
  currencies: ['USD'],
  rules: [
    {
      name: 'po',
      match: { type: 'purchase_order' },
      tier: 'medium',
      steps: [{ roles: ['manager'], sla: '4h' }],
      standing,
      ...rule,
    },
  ],
  default: { tier: 'high', steps: [{ roles: ['ops_admin'], sla: '4h' }] },
});
const directory: Doc = {
  people: [
    { id: 'm1', name: 'Mia One', email: 'm1@example.com', roles: ['manager'] },
    { id: 'm2', name: 'Max Two', email: 'm2@example.com', roles: ['manager'] },
    { id: 'o1', name: 'Olu Ops', email: 'o1@example.com', roles: ['ops_admin'] },
  ],
};
function problemsOf(doc: Doc): readonly string[] {
  try {
    parsePolicy(stringify(doc), stringify(directory), FILES);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems.map((p) => p.replace(/ \(rule "po"\)/, ''));
    throw e;
  }
  throw new Error('the policy loaded, but it should have been refused');
}
const valid = { grantedBy: 'manager', maxDuration: '8h', scope: ['type', 'target', 'amount.lte'] };

describe('the policy standing section', () => {
  it('loads a valid one, and the classification carries it with the people who may grant', () => {
    const p = parsePolicy(stringify(standingPolicy(valid)), stringify(directory), FILES);
    const c = p.classify(
      { type: 'purchase_order', summary: 'x', amount: { value: 10, currency: 'USD' } },
      { agentId: 'a', requestedBy: 'r' },
    );
    expect(c.standing).toEqual({
      grantedBy: ['manager'],
      grantors: ['m1', 'm2'],
      maxDuration: { ms: 8 * HOUR, text: '8h' },
      scope: ['type', 'target', 'amount.lte'],
    });
  });

  it('refuses an unknown scope field, naming the ones it may hold', () => {
    expect(problemsOf(standingPolicy({ ...valid, scope: ['type', 'amount'] }))).toEqual([
      'policy/stage.yml: rules[0].standing.scope[1]: unknown scope field "amount"; a standing approval\'s scope may hold type, target, agent, amount.lte',
    ]);
  });

  it('refuses a scope without type, a duration over 24h, and a grantor role that approves none of the steps', () => {
    expect(
      problemsOf(standingPolicy({ grantedBy: ['manager', 'ops_admin'], maxDuration: '2d', scope: ['target'] })),
    ).toEqual([
      'policy/stage.yml: rules[0].standing.maxDuration: 2d is too long for a standing approval; at most 1d',
      'policy/stage.yml: rules[0].standing.scope: must include type: a standing approval covers one type of action',
      'policy/stage.yml: rules[0].standing.grantedBy[1]: role "ops_admin" approves none of this rule\'s steps; only someone who could approve its proposals may grant a standing approval',
    ]);
  });

  it('never on a critical rule, a low one, or one that needs two approvals', () => {
    expect(problemsOf(standingPolicy(valid, { tier: 'critical', onTimeout: 'escalate', quorum: 2 }))).toEqual([
      'policy/stage.yml: rules[0].standing: a critical action is never approved by a standing approval: each one waits for its own reviewers',
    ]);
    expect(problemsOf(standingPolicy(valid, { tier: 'low', steps: undefined }))).toEqual([
      'policy/stage.yml: rules[0].standing: a low rule is approved automatically, so it takes no standing approvals',
    ]);
    expect(problemsOf(standingPolicy(valid, { quorum: 2 }))).toEqual([
      "policy/stage.yml: rules[0].standing: a standing approval is one person's, but this rule needs 2 approvals; give it quorum 1",
    ]);
  });
});

let n = 0;
const order = (value: number, extra: Partial<ActionProposed> = {}, target: string | null = 'acme'): ActionProposed => ({
  proposalId: `p-${++n}`,
  agentId: 'procurement-agent',
  requestedBy: 'sam.rivera',
  ...extra,
  action: {
    type: 'purchase_order',
    summary: 'Paper',
    amount: { value, currency: 'USD' },
    ...(target !== null ? { target } : {}),
  },
});
const draftOf = (p: ActionProposed, at = NOW): Review =>
  newReview(p, policy.classify(p.action, { agentId: p.agentId, requestedBy: p.requestedBy, at }), at);

/** A $5,000 order to acme approved by daniel.reyes, with a 4h standing approval. */
function granted() {
  const review = draftOf(order(5000));
  const duration = standingRequest(review, 'daniel.reyes', '4h', policy);
  const decided = decide(review, { approverId: 'daniel.reyes', decision: 'approve' }, policy, NOW);
  return grantFrom(decided.next, 'daniel.reyes', duration, NOW).grant;
}

describe('a standing approval', () => {
  it('takes its scope and ceiling from the approved action, and its id names the action type', () => {
    const grant = granted();
    expect(grant).toMatchObject({
      rule: 'purchase-order-manager',
      tier: 'medium',
      grantedBy: 'daniel.reyes',
      endsAt: '2026-12-07T19:00:00.000Z',
      scope: { type: 'purchase_order', target: 'acme', amount: { currency: 'USD', lte: 5000 } },
      uses: 0,
    });
    expect(grantTypeOf(grant.id)).toBe('purchase_order');
  });

  it('is refused beyond the rule: too long, not a duration, or by someone who may not grant', () => {
    const review = draftOf(order(5000));
    expect(() => standingRequest(review, 'daniel.reyes', '9h', policy)).toThrow(/at most 8h/);
    expect(() => standingRequest(review, 'daniel.reyes', 'soon', policy)).toThrow(StandingRefused);
    expect(() => standingRequest(review, 'helen.cho', '1h', policy)).toThrow(/holds none of the roles/);
    const email = draftOf({
      ...order(1),
      action: { type: 'customer_email', summary: 'Hi', target: 'a@b.example', payload: { subject: 's', body: 'b' } },
    });
    expect(() => standingRequest(email, 'grace.kim', '1h', policy)).toThrow(/allows no standing approvals/);
  });

  it('approves a later order in scope: at or under the ceiling, the same target whatever its case', () => {
    const grant = granted();
    for (const p of [order(5000), order(1000, {}, 'ACME')]) {
      const draft = draftOf(p);
      expect(grantRefusal(grant, draft, policy, new Date(NOW.getTime() + HOUR))).toBeUndefined();
      const approved = approvedByGrant(draft, { ...grant, uses: 1 }, NOW);
      expect(approved).toMatchObject({
        status: 'APPROVED',
        decision: { outcome: 'approved', by: [{ id: `grant ${grant.id} by daniel.reyes`, kind: 'grant' }] },
      });
      expect(approved.deadline).toBeUndefined();
      expect(approved.history.at(-1)).toMatchObject({ what: 'approved_by_grant', note: `use 1 of ${grant.id}` });
    }
  });

  it('leaves out of scope a higher amount, another target, no target, another currency', () => {
    const grant = granted();
    const eur = order(1000);
    eur.action.amount = { value: 1000, currency: 'EUR' };
    expect(grantRefusal(grant, draftOf(order(5000.01)), policy, NOW)).toBe('its amount is over $5,000.00');
    expect(grantRefusal(grant, draftOf(order(1000, {}, 'globex')), policy, NOW)).toBe('its target is globex, not acme');
    expect(grantRefusal(grant, draftOf(order(1000, {}, null)), policy, NOW)).toBe('its target is (none), not acme');
    // EUR falls to the default rule, high: above the tier the grant was made at.
    expect(grantRefusal(grant, draftOf(eur), policy, NOW)).toBe('the proposal is high-tier, above medium');
  });

  it("never approves the granter's own proposal, by id or by email in any case", () => {
    const grant = granted();
    for (const requestedBy of ['daniel.reyes', ' Daniel.Reyes@Example.com ']) {
      expect(grantRefusal(grant, draftOf(order(1000, { requestedBy })), policy, NOW)).toBe(
        "the proposal is daniel.reyes's own",
      );
    }
  });

  it('never crosses into a tier or rule the granter could not approve', () => {
    const grant = granted();
    // $20,000 is the CFO's (high): neither the tier nor the rule of the grant.
    expect(grantRefusal(grant, draftOf(order(20000)), policy, NOW)).toBe('the proposal is high-tier, above medium');
    const critical = draftOf({
      ...order(1),
      agentId: 'dba-agent',
      action: { type: 'db_schema_change', summary: 'Drop', target: 'production/orders' },
    });
    expect(grantRefusal({ ...grant, tier: 'critical' }, critical, policy, NOW)).toBe(
      'a critical proposal is never approved by a standing approval',
    );
  });

  it('applies to nothing once it has ended or been revoked', () => {
    const grant = granted();
    const draft = draftOf(order(1000));
    expect(grantRefusal(grant, draft, policy, new Date(NOW.getTime() + 4 * HOUR))).toBe('it has expired');
    expect(grantRefusal(grant, draft, policy, new Date(NOW.getTime() + 4 * HOUR - 1))).toBeUndefined();
    const revoked = { ...grant, revoked: { by: 'admin', at: NOW.toISOString(), reason: 'audit' } };
    expect(grantRefusal(revoked, draft, policy, NOW)).toBe('it was revoked');
  });
});
