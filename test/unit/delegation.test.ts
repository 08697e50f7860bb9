// Delegation and out-of-office: a person away (from, to) with a delegate has their reviews routed to the delegate
// for that time, shown as "on behalf of", never to the requester, and never past the delegate's own authority.
import { decide } from '../../functions/domain/decision.ts';
import { stillWaitingFor } from '../../functions/http/review-words.ts';
import { PolicyError } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { newReview } from '../../functions/domain/review.ts';
import { proposal } from '../support/proposals.ts';

const POLICY = `
version: "t"
currencies: [USD]
rules:
  - name: small-po
    match: { type: purchase_order, amount: { currency: USD, lt: 10000 } }
    tier: medium
    steps: [{ roles: [manager], sla: 4h }]
  - name: large-po
    match: { type: purchase_order, amount: { currency: USD, gte: 10000 } }
    tier: high
    steps: [{ roles: [cfo], sla: 8h }]
  - name: finance-refunds
    match: { type: refund }
    tier: high
    steps: [{ roles: [finance_director], sla: 8h }]
default:
  tier: high
  steps: [{ roles: [ops_admin], sla: 4h }]
`;

const directory = (extra = '') => `
people:
  - { id: helen, name: Helen Cho, email: helen@example.com, roles: [cfo], away: { from: "2026-12-14T00:00:00Z", to: "2026-12-19T00:00:00Z", delegate: priya } }
  - { id: priya, name: Priya Natarajan, email: priya@example.com, roles: [finance_director, cfo_deputy] }
  - { id: mira, name: Mira Okafor, email: mira@example.com, roles: [manager], away: { from: "2026-12-14T00:00:00Z", to: "2026-12-19T00:00:00Z", delegate: daniel } }
  - { id: daniel, name: Daniel Reyes, email: daniel@example.com, roles: [manager, cfo] }
  - { id: sam, name: Sam Rivera, email: sam@example.com, roles: [] }
  - { id: olga, name: Olga Admin, email: olga@example.com, roles: [ops_admin] }
${extra}`;

const FILES = { policy: 'policy/t.yml', directory: 'policy/people.yml' };
const policy = parsePolicy(POLICY, directory(), FILES);
const AWAY = new Date('2026-12-15T09:00:00Z');
const BACK = new Date('2026-12-20T09:00:00Z');
const po = (value: number, requestedBy = 'sam') =>
  proposal({ requestedBy, action: { type: 'purchase_order', amount: { value, currency: 'USD' } } });
const route = (p: ReturnType<typeof po>, at: Date) =>
  policy.classify(p.action, { ...p, at }).steps.map((s) => s.approvers.map((a) => [a.id, a.onBehalfOf?.id]));

it('routes a manager-tier review to the delegate while the manager is away, on their behalf', () => {
  // Mira is away; Daniel stands in for her, but he is a manager in his own right too: he appears once, as himself.
  expect(route(po(5000), AWAY)).toEqual([[['daniel', undefined]]]);
  expect(route(po(5000), BACK)).toEqual([
    [
      ['mira', undefined],
      ['daniel', undefined],
    ],
  ]);
});

it("sends the CFO's reviews to her delegate only within the delegate's own authority", () => {
  // Priya is no CFO and sits on no rule for purchase orders: Helen keeps her place, however long she is away.
  expect(route(po(50_000), AWAY)).toEqual([
    [
      ['helen', undefined],
      ['daniel', undefined],
    ],
  ]);
  const withDeputy = parsePolicy(
    POLICY.replace('roles: [cfo], sla: 8h', 'roles: [cfo], sla: 8h }, { roles: [cfo_deputy], sla: 8h'),
    directory(),
    FILES,
  );
  const p = po(50_000);
  const steps = withDeputy.classify(p.action, { ...p, at: AWAY }).steps;
  expect(steps[0]!.approvers).toEqual([
    expect.objectContaining({
      id: 'priya',
      onBehalfOf: { id: 'helen', name: 'Helen Cho', until: '2026-12-19T00:00:00Z' },
    }),
    expect.objectContaining({ id: 'daniel' }),
  ]);
});

it('never routes to a delegate who is the requester: the person away keeps their place', () => {
  const p = po(5000, 'daniel');
  expect(policy.classify(p.action, { ...p, at: AWAY }).steps[0]!.approvers.map((a) => a.id)).toEqual(['mira']);
});

it('resolves nobody as away without a time, as before', () => {
  expect(route(po(5000), undefined as unknown as Date)).toEqual([
    [
      ['mira', undefined],
      ['daniel', undefined],
    ],
  ]);
});

it('records the delegation in the history, and the delegate decides "on behalf of" the person away', () => {
  // Priya approves large orders in her own right at a second step: so she may stand in for Helen at the first.
  const withDeputy = parsePolicy(
    POLICY.replace('roles: [cfo], sla: 8h', 'roles: [cfo], sla: 8h }, { roles: [cfo_deputy], sla: 8h'),
    directory().replace('roles: [manager, cfo]', 'roles: [manager]'),
    FILES,
  );
  const p = po(50_000);
  const review = newReview(p, withDeputy.classify(p.action, { ...p, at: AWAY }), AWAY);
  expect(review.route[0]!.approvers).toEqual([
    {
      id: 'priya',
      name: 'Priya Natarajan',
      email: 'priya@example.com',
      onBehalfOf: expect.objectContaining({ id: 'helen' }),
    },
  ]);
  expect(review.history.map((h) => h.what)).toEqual(['opened', 'delegated']);
  expect(stillWaitingFor(review)).toBe('Priya Natarajan (for Helen Cho, who is away)');
  expect(review.history[1]!.note).toBe(
    'step 1: Priya Natarajan reviews on behalf of Helen Cho, away until 2026-12-19T00:00:00Z',
  );
  const decided = decide(review, { approverId: 'priya', decision: 'approve' }, withDeputy, AWAY);
  expect(decided.kind).toBe('decided');
  expect(decided.entries[0]).toMatchObject({
    what: 'approved',
    by: { id: 'priya' },
    note: 'on behalf of Helen Cho (away until 2026-12-19T00:00:00Z)',
  });
});

it('refuses an absence that names nobody, the person themselves, or ends before it starts, by path', () => {
  const bad = directory(
    [
      '  - { id: x1, name: X One, email: x1@example.com, roles: [manager], away: { from: "2026-12-14T00:00:00Z", to: "2026-12-19T00:00:00Z", delegate: nobody } }',
      '  - { id: x2, name: X Two, email: x2@example.com, roles: [manager], away: { from: "2026-12-14T00:00:00Z", to: "2026-12-19T00:00:00Z", delegate: x2 } }',
      '  - { id: x3, name: X Three, email: x3@example.com, roles: [manager], away: { from: "2026-12-19T00:00:00Z", to: "2026-12-14T00:00:00Z", delegate: mira } }',
      '  - { id: x4, name: X Four, email: x4@example.com, roles: [manager], away: { from: "next monday", to: "2026-12-14T00:00:00Z", delegate: mira } }',
    ].join('\n'),
  );
  let problems: string[] = [];
  try {
    parsePolicy(POLICY, bad, FILES);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    problems = [...err.problems];
  }
  expect(problems).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^policy\/people\.yml: people\[6\]\.away\.delegate: "nobody" is nobody in policy\/people\.yml/,
      ),
      expect.stringMatching(/^policy\/people\.yml: people\[7\]\.away\.delegate: x2 cannot delegate to themselves/),
      expect.stringMatching(/^policy\/people\.yml: people\[8\]\.away: "from" must be before "to"/),
      expect.stringMatching(/^policy\/people\.yml: people\[9\]\.away\.from: must be an ISO 8601 date and time/),
    ]),
  );
});
