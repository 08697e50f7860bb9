import fc from 'fast-check';
import { stringify } from 'yaml';
import type { Action } from '../../events/index.ts';
import { formatDuration, parseDuration } from '../../functions/domain/duration.ts';
import {
  isEditable,
  PolicyError,
  tierRank,
  toMinorUnits,
  type Classification,
  type Tier,
} from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';

// The engine's behaviour on a small inline policy shaped like the shipped one. What the shipped policy itself
// decides is in policy/default.cases.yml, run by `hitl-gate policy test` (test/cli/policy.test.ts).
const person = (id: string, roles: string[]) => ({ id, name: id.toUpperCase(), email: `${id}@example.com`, roles });
const directoryText = stringify({
  people: [
    person('s1', ['support_lead']),
    person('s2', ['support_lead']),
    person('m1', ['manager']),
    person('m2', ['manager']),
    person('m3', ['manager', 'dba']),
    person('f1', ['finance_director']),
    person('c1', ['cfo']),
    person('d1', ['dba']),
    person('d2', ['dba']),
    person('x1', ['security']),
    person('o1', ['ops_admin']),
    person('o2', ['ops_admin']),
  ],
});
const policyText = `version: "t-1"
currencies: [USD, EUR]
tiers:
  critical: { onTimeout: escalate, quorum: 2 }
rules:
  - { name: tickets, match: { type: ticket_priority }, tier: low }
  - name: emails
    match: { type: customer_email }
    tier: medium
    steps: [{ roles: [support_lead], sla: 2h, remindAt: [50, 90] }]
    editable: [summary, payload.body]
  - { name: po-small, match: { type: purchase_order, amount: { currency: USD, lt: 1000 } }, tier: low }
  - name: po-mid
    match: { type: purchase_order, amount: { currency: USD, gte: 1000, lte: 10000 } }
    tier: medium
    steps: [{ roles: [manager], sla: 4h }, { roles: [finance_director], sla: 4h }, { roles: [cfo], sla: 1d }]
  - { name: po-big, match: { type: purchase_order, amount: { currency: USD, gt: 10000 } }, tier: high, steps: [{ roles: [cfo], sla: 1d }] }
  - { name: schema, match: { type: db_schema_change }, tier: high, steps: [{ roles: [dba], sla: 1d }] }
  - name: schema-prod
    match: { type: db_schema_change, target: [production, production/**] }
    tier: critical
    steps: [{ roles: [dba], sla: 4h }]
    notify: [security]
default: { tier: high, steps: [{ roles: [ops_admin], sla: 4h }] }
`;
const policy = parsePolicy(policyText, directoryText);

const ctx = { agentId: 'agent-7', requestedBy: 'customer-portal' };
const classify = (action: Partial<Action> & { type: string }, requestedBy = ctx.requestedBy) =>
  policy.classify({ summary: 'do the thing', ...action }, { agentId: ctx.agentId, requestedBy });
const usd = (value: number) => ({ value, currency: 'USD' });
const po = (value: number, currency = 'USD') => classify({ type: 'purchase_order', amount: { value, currency } });
const approverIds = (c: Classification) => c.steps.map((s) => s.approvers.map((p) => p.id));
const NOT_LOW = ['medium', 'high', 'critical'];

describe('a compiled policy', () => {
  it('fixes the review pattern by tier', () => {
    expect(policy.tiers).toMatchObject({
      low: { pattern: 'auto' },
      medium: { pattern: 'soft_review' },
      high: { pattern: 'hard_gate' },
      critical: { pattern: 'block_until_reviewed', onTimeout: 'escalate', quorum: 2 },
    });
    expect(policy.rules).toEqual([
      'tickets',
      'emails',
      'po-small',
      'po-mid',
      'po-big',
      'schema',
      'schema-prod',
      'default',
    ]);
  });

  it('finds a person by id or by email', () => {
    expect(policy.directory.person('c1')?.roles).toEqual(['cfo']);
    expect(policy.directory.person('C1@Example.com')?.id).toBe('c1');
    expect(policy.directory.person('nobody')).toBeUndefined();
  });
});

describe('classifying', () => {
  it('approves a low action automatically, with no steps and no quorum', () => {
    expect(classify({ type: 'ticket_priority' })).toMatchObject({
      tier: 'low',
      pattern: 'auto',
      rule: 'tickets',
      steps: [],
      quorum: 0,
      policyVersion: 't-1',
    });
  });

  it("carries the rule's steps (roles, SLA, reminders, people), quorum, onTimeout and editable fields", () => {
    const c = classify({ type: 'customer_email', payload: { body: 'Sorry' } });
    expect(c).toMatchObject({ tier: 'medium', pattern: 'soft_review', rule: 'emails', quorum: 1, onTimeout: 'expire' });
    expect(c.steps).toEqual([
      {
        roles: ['support_lead'],
        approvers: [expect.objectContaining({ id: 's1' }), expect.objectContaining({ id: 's2' })],
        sla: { ms: 2 * 3_600_000, text: '2h' },
        remindAt: [50, 90],
      },
    ]);
    expect(c.editable).toEqual(['summary', 'payload.body']);
    expect(c.notify).toEqual([]);
  });

  it('gives a critical review the quorum of its tier and tells the notify list', () => {
    const c = classify({ type: 'db_schema_change', target: 'production/orders-db' });
    expect(c).toMatchObject({ tier: 'critical', pattern: 'block_until_reviewed', quorum: 2, onTimeout: 'escalate' });
    expect(approverIds(c)).toEqual([['m3', 'd1', 'd2']]);
    expect(c.notify.map((p) => p.id)).toEqual(['x1']);
  });

  it('says which rule applies and the conditions it met', () => {
    expect(po(1000).reason).toBe(
      'Rule "po-mid" applies (type is purchase_order, amount $1,000.00 is at least $1,000.00 and at most $10,000.00): tier medium, soft review.',
    );
    expect(classify({ type: 'db_schema_change', target: 'production/db' }).reason).toBe(
      'Rule "schema-prod" applies (type is db_schema_change, target production/db matches production/**), the strictest of 2 matching rules: tier critical, blocked until reviewed.',
    );
  });

  it.each([
    ['production', 'critical'],
    ['production/eu/orders-db', 'critical'],
    ['Production/Orders-DB', 'critical'],
    ['productionish/orders-db', 'high'],
    ['staging/production/orders-db', 'high'],
  ])('matches target %s by glob, case-insensitively, ** across segments: %s', (target, tier) => {
    expect(classify({ type: 'db_schema_change', target }).tier).toBe(tier);
  });

  it('sends an unknown action type to the default rule, saying no rule covers it', () => {
    const c = classify({ type: 'launch_rocket' });
    expect(c).toMatchObject({ tier: 'high', pattern: 'hard_gate', rule: 'default' });
    expect(approverIds(c)).toEqual([['o1', 'o2']]);
    expect(c.reason).toBe(
      'No rule covers action type "launch_rocket", so the default rule applies: tier high, hard gate.',
    );
  });

  it('never approves an unknown action type automatically, whatever it carries', () => {
    const known = new Set(['ticket_priority', 'customer_email', 'purchase_order', 'db_schema_change']);
    const type = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/).filter((t) => !known.has(t));
    const amount = fc.option(
      fc.record({
        value: fc.integer({ min: 0, max: 1e9 }).map((c) => c / 100),
        currency: fc.constantFrom('USD', 'EUR', 'GBP'),
      }),
      { nil: undefined },
    );
    const target = fc.option(fc.constantFrom('production/db', 'staging/db', 'x'), { nil: undefined });
    fc.assert(
      fc.property(type, amount, target, (t, a, tg) => {
        const action: Action = { type: t, summary: 's', ...(a ? { amount: a } : {}), ...(tg ? { target: tg } : {}) };
        expect(NOT_LOW).toContain(policy.classify(action, ctx).tier);
      }),
    );
  });
});

describe('amounts', () => {
  it('compares exact cents: 1000.00 read from JSON is 1,000', () => {
    const value = (JSON.parse('{"value": 1000.00}') as { value: number }).value;
    expect(po(value).rule).toBe('po-mid');
  });

  it('maps any amount in cents to the tier its thresholds say', () => {
    const expected = (cents: number): Tier => (cents < 100_000 ? 'low' : cents <= 1_000_000 ? 'medium' : 'high');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000_000 }), (cents) => {
        expect(po(cents / 100).tier).toBe(expected(cents));
      }),
      { examples: [[99_999], [100_000], [1_000_000], [1_000_001]] },
    );
  });

  it('never lowers the tier when the amount grows', () => {
    const cents = fc.integer({ min: 0, max: 5_000_000 });
    fc.assert(
      fc.property(cents, cents, (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(tierRank(po(lo / 100).tier)).toBeLessThanOrEqual(tierRank(po(hi / 100).tier));
      }),
    );
  });

  it('sends an action without the amount its rules need to the default rule, saying so', () => {
    const c = classify({ type: 'purchase_order' });
    expect(c).toMatchObject({ tier: 'high', rule: 'default' });
    expect(c.reason).toBe(
      'No purchase_order rule matches an action without an amount, so the default rule applies: tier high, hard gate.',
    );
  });

  it('sends an amount in a currency no rule covers to the default rule, known to the policy or not', () => {
    expect(po(5, 'GBP')).toMatchObject({ tier: 'high', rule: 'default' });
    expect(po(5, 'EUR').reason).toBe(
      'No purchase_order rule covers amounts in EUR, so the default rule applies: tier high, hard gate.',
    );
  });

  it.each([-5, -0.01, 1.005, Number.NaN, Number.POSITIVE_INFINITY])(
    'never approves an amount of %d automatically (refused by the schema, defended here)',
    (value) => {
      expect(NOT_LOW).toContain(po(value).tier);
    },
  );
});

describe('the requester', () => {
  it('is never among the approvers of their own proposal', () => {
    const c = classify({ type: 'purchase_order', amount: usd(2500) }, 'm1');
    expect(approverIds(c)[0]).toEqual(['m2', 'm3']);
  });

  it('is recognised by email too', () => {
    expect(approverIds(classify({ type: 'customer_email' }, 'S1@Example.com'))).toEqual([['s2']]);
  });

  it('leaves a critical step that still reaches the quorum without them', () => {
    const c = classify({ type: 'db_schema_change', target: 'production/db' }, 'd1');
    expect(approverIds(c)).toEqual([['m3', 'd2']]);
    expect(c.quorum).toBe(2);
  });

  it('moves the review past a step only the requester could take', () => {
    const c = classify({ type: 'purchase_order', amount: usd(2500) }, 'f1');
    expect(c.steps.map((s) => s.roles)).toEqual([['manager'], ['cfo']]);
  });

  it('hands the review to the default route when every step needs the requester', () => {
    const c = classify({ type: 'purchase_order', amount: usd(20000) }, 'c1');
    expect(c).toMatchObject({ tier: 'high', rule: 'po-big' });
    expect(approverIds(c)).toEqual([['o1', 'o2']]);
    expect(c.reason).toMatch(/its approvers cannot review their own request, so the default route does\.$/);
  });
});

describe('rule semantics', () => {
  const directory = stringify({
    people: [
      { id: 'm1', name: 'M One', email: 'm1@example.com', roles: ['manager', 'ops_admin'] },
      { id: 'm2', name: 'M Two', email: 'm2@example.com', roles: ['manager', 'cfo'] },
    ],
  });
  const step = (role: string) => [{ roles: [role], sla: '1h' }];
  const load = (rules: unknown[]) =>
    parsePolicy(
      stringify({ version: 't', currencies: ['USD'], rules, default: { tier: 'high', steps: step('ops_admin') } }),
      directory,
    );
  const action: Action = { type: 'purchase_order', summary: 's', amount: usd(50), target: 'vendors/acme' };

  it('lets the highest tier win among matching rules, wherever it stands in the file', () => {
    const p = load([
      { name: 'any-po', match: { type: 'purchase_order' }, tier: 'low' },
      { name: 'acme', match: { target: 'vendors/acme' }, tier: 'high', steps: step('cfo') },
      { name: 'small', match: { amount: { currency: 'USD', lt: 100 } }, tier: 'medium', steps: step('manager') },
    ]);
    const c = p.classify(action, ctx);
    expect(c).toMatchObject({ tier: 'high', rule: 'acme' });
    expect(c.reason).toBe(
      'Rule "acme" applies (target vendors/acme matches vendors/acme), the strictest of 3 matching rules: tier high, hard gate.',
    );
  });

  it('keeps the first rule in the file on a tie', () => {
    const p = load([
      { name: 'first', match: { type: 'purchase_order' }, tier: 'medium', steps: step('manager') },
      { name: 'second', match: { agent: 'agent-7' }, tier: 'medium', steps: step('cfo') },
    ]);
    expect(p.classify(action, ctx).rule).toBe('first');
  });

  it('matches agents by id', () => {
    const p = load([{ name: 'rogue', match: { agent: ['agent-7', 'agent-9'] }, tier: 'high', steps: step('cfo') }]);
    expect(p.classify(action, ctx).rule).toBe('rogue');
    expect(p.classify(action, { ...ctx, agentId: 'agent-8' }).rule).toBe('default');
  });

  it('matches hasAmount and hasTarget', () => {
    const p = load([
      { name: 'no-amount', match: { hasAmount: false }, tier: 'medium', steps: step('manager') },
      { name: 'targeted', match: { hasTarget: true, type: 'refund' }, tier: 'medium', steps: step('manager') },
    ]);
    expect(p.classify({ type: 'x', summary: 's' }, ctx).rule).toBe('no-amount');
    expect(p.classify({ type: 'refund', summary: 's', amount: usd(1), target: 't' }, ctx).rule).toBe('targeted');
    expect(p.classify({ type: 'refund', summary: 's', amount: usd(1) }, ctx).rule).toBe('default');
  });

  it('can only tighten: adding a rule never lowers the tier of an action a rule already matched', () => {
    const actions: Action[] = [
      { type: 'ticket_priority', summary: 's' },
      { type: 'purchase_order', summary: 's', amount: usd(10) },
      { type: 'purchase_order', summary: 's', amount: usd(5000) },
      { type: 'db_schema_change', summary: 's', target: 'staging/db' },
      { type: 'db_schema_change', summary: 's', target: 'production/db' },
    ];
    const extraRule = fc.record({
      type: fc.constantFrom('ticket_priority', 'purchase_order', 'db_schema_change', 'launch_rocket'),
      tier: fc.constantFrom<Tier>('low', 'medium', 'high', 'critical'),
    });
    const base = policy;
    fc.assert(
      fc.property(extraRule, ({ type, tier }) => {
        const extra = `  - name: extra\n    match: { type: ${type} }\n    tier: ${tier}\n${tier === 'low' ? '' : '    steps: [{ roles: [dba, manager], sla: 1h }]\n'}`;
        const tightened = parsePolicy(policyText.replace('\ndefault: ', `\n${extra}default: `), directoryText);
        expect(tightened.rules).toContain('extra');
        for (const a of actions) {
          expect(base.classify(a, ctx).rule).not.toBe('default');
          expect(tierRank(tightened.classify(a, ctx).tier)).toBeGreaterThanOrEqual(
            tierRank(base.classify(a, ctx).tier),
          );
        }
      }),
      { numRuns: 30 },
    );
  });

  it('hands out copies: changing a classification does not change the policy', () => {
    const first = classify({ type: 'customer_email' });
    first.steps[0]?.approvers.pop();
    first.editable.push('target');
    const again = classify({ type: 'customer_email' });
    expect(approverIds(again)).toEqual([['s1', 's2']]);
    expect(again.editable).not.toContain('target');
  });

  it('refuses to route a review when only the requester could approve it, even on the default route', () => {
    const p = parsePolicy(
      stringify({ version: 't', currencies: ['USD'], rules: [], default: { tier: 'high', steps: step('cfo') } }),
      directory,
    );
    expect(() => p.classify(action, { ...ctx, requestedBy: 'm2' })).toThrow(PolicyError);
    expect(p.classify(action, { ...ctx, requestedBy: 'm1' }).steps[0]?.approvers.map((x) => x.id)).toEqual(['m2']);
  });
});

describe('helpers', () => {
  it('reads amounts as exact cents', () => {
    expect(toMinorUnits(999.99)).toBe(99_999);
    expect(toMinorUnits(1000)).toBe(100_000);
    expect(toMinorUnits('1000.00')).toBe(100_000);
    expect(toMinorUnits(10000.01)).toBe(1_000_001);
    expect(toMinorUnits(0.1 + 0.2)).toBeUndefined();
    expect(toMinorUnits(-1)).toBeUndefined();
    expect(toMinorUnits('1,000')).toBeUndefined();
  });

  it('reads SLA durations', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('2d')).toBe(172_800_000);
    for (const bad of ['', '0m', '4 hours', '4H', '1m1h', '366d', 'h']) expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });

  it('lets "payload" cover its fields when deciding what is editable', () => {
    expect(isEditable(['payload', 'summary'], 'payload.body')).toBe(true);
    expect(isEditable(['payload.body'], 'payload.bodyguard')).toBe(false);
    expect(isEditable(['amount.value'], 'amount.currency')).toBe(false);
  });
});
