import { readFileSync } from 'node:fs';
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

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const policyText = read('policy/default.yml');
const directoryText = read('policy/directory.yml');
const policy = parsePolicy(policyText, directoryText, {
  policy: 'policy/default.yml',
  directory: 'policy/directory.yml',
});

const ctx = { agentId: 'agent-7', requestedBy: 'customer-portal' };
const classify = (action: Partial<Action> & { type: string }, requestedBy = ctx.requestedBy) =>
  policy.classify({ summary: 'do the thing', ...action }, { agentId: ctx.agentId, requestedBy });
const usd = (value: number) => ({ value, currency: 'USD' });
const po = (value: number, currency = 'USD') => classify({ type: 'purchase_order', amount: { value, currency } });
const approverIds = (c: Classification) => c.steps.map((s) => s.approvers.map((p) => p.id));
const NOT_LOW = ['medium', 'high', 'critical'];

describe('the shipped policy files', () => {
  it('parse and validate', () => {
    expect(policy.version).toBe('2026-11-24.3');
    expect(policy.rules).toContain('default');
    expect(policy.directory.people().length).toBeGreaterThanOrEqual(10);
  });

  it('fix the review pattern by tier', () => {
    expect(policy.tiers).toMatchObject({
      low: { pattern: 'auto' },
      medium: { pattern: 'soft_review' },
      high: { pattern: 'hard_gate' },
      critical: { pattern: 'block_until_reviewed', onTimeout: 'escalate', quorum: 2 },
    });
  });

  it('finds a person by id or by email', () => {
    expect(policy.directory.person('helen.cho')?.roles).toContain('cfo');
    expect(policy.directory.person('HELEN.CHO@example.com')?.id).toBe('helen.cho');
    expect(policy.directory.person('nobody')).toBeUndefined();
  });
});

describe('seed table', () => {
  it('approves a ticket priority change automatically', () => {
    const c = classify({ type: 'ticket_priority' });
    expect(c).toMatchObject({
      tier: 'low',
      pattern: 'auto',
      rule: 'ticket-priority',
      steps: [],
      quorum: 0,
      policyVersion: '2026-11-24.3',
    });
  });

  it('sends a customer email draft to a support lead for a 2h soft review, body and subject editable', () => {
    const c = classify({ type: 'customer_email', payload: { subject: 'Hi', body: 'Sorry' } });
    expect(c).toMatchObject({
      tier: 'medium',
      pattern: 'soft_review',
      rule: 'customer-email',
      quorum: 1,
      onTimeout: 'expire',
    });
    expect(c.steps).toHaveLength(1);
    expect(c.steps[0]?.roles).toEqual(['support_lead']);
    expect(c.steps[0]?.sla).toEqual({ ms: 2 * 3_600_000, text: '2h' });
    expect(approverIds(c)).toEqual([['grace.kim', 'jonas.berg']]);
    expect(c.editable).toEqual(['summary', 'payload.subject', 'payload.body']);
  });

  it('puts a refund over $10,000 behind a hard gate for the finance director, then the CFO', () => {
    const c = classify({ type: 'refund', amount: usd(10000.01) });
    expect(c).toMatchObject({ tier: 'high', pattern: 'hard_gate', rule: 'refund-over-10k' });
    expect(approverIds(c)).toEqual([['priya.natarajan'], ['helen.cho']]);
  });

  it.each([0.01, 250, 9999.99, 10000])('sends a $%d refund to a support lead, then finance (medium)', (value) => {
    const c = classify({ type: 'refund', amount: usd(value) });
    expect(c).toMatchObject({ tier: 'medium', rule: 'refund-up-to-10k' });
    expect(c.steps.map((s) => s.roles)).toEqual([['support_lead'], ['finance']]);
    expect(approverIds(c)[1]).toEqual(['priya.natarajan', 'tomas.lindqvist', 'helen.cho']);
  });

  it('blocks a production schema change until two distinct DBAs or engineering leads review it, telling security', () => {
    const c = classify({ type: 'db_schema_change', target: 'production/orders-db' });
    expect(c).toMatchObject({
      tier: 'critical',
      pattern: 'block_until_reviewed',
      rule: 'schema-change-production',
      quorum: 2,
      onTimeout: 'escalate',
    });
    expect(c.steps[0]?.roles).toEqual(['dba', 'engineering_lead']);
    expect(c.steps[0]?.remindAt).toEqual([50, 90]);
    expect(approverIds(c)[0]).toEqual(['raj.patel', 'sam.adeyemi', 'lena.fischer']);
    expect(c.notify.map((p) => p.id)).toEqual(['ines.moreau', 'ana.silva']);
  });

  it('treats a schema change with no target as production (critical)', () => {
    expect(classify({ type: 'db_schema_change' })).toMatchObject({
      tier: 'critical',
      rule: 'schema-change-without-target',
      quorum: 2,
    });
  });

  it.each(['production', 'production/eu/orders-db', 'Production/Orders-DB'])(
    'treats target %s as production',
    (target) => {
      expect(classify({ type: 'db_schema_change', target }).tier).toBe('critical');
    },
  );

  it.each(['staging/orders-db', 'productionish/orders-db', 'staging/production/orders-db'])(
    'gives a schema change on %s a hard gate (high)',
    (target) => {
      const c = classify({ type: 'db_schema_change', target });
      expect(c).toMatchObject({
        tier: 'high',
        pattern: 'hard_gate',
        rule: 'schema-change',
        quorum: 1,
        onTimeout: 'expire',
      });
      expect(c.notify).toEqual([]);
    },
  );

  it('sends an unknown action type to an ops admin behind a hard gate, never low', () => {
    const c = classify({ type: 'launch_rocket' });
    expect(c).toMatchObject({ tier: 'high', pattern: 'hard_gate', rule: 'default' });
    expect(approverIds(c)).toEqual([['felix.brandt', 'ana.silva']]);
    expect(c.reason).toBe(
      'No rule covers action type "launch_rocket", so the default rule applies: tier high, hard gate.',
    );
  });

  it('never approves an unknown action type automatically, whatever it carries', () => {
    const known = new Set(['ticket_priority', 'customer_email', 'refund', 'purchase_order', 'db_schema_change']);
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

describe('procurement', () => {
  it('approves a $999.99 purchase order automatically', () => {
    expect(po(999.99)).toMatchObject({ tier: 'low', pattern: 'auto', rule: 'purchase-order-under-1k', steps: [] });
  });

  it('sends a $1,000 purchase order to a manager', () => {
    expect(po(1000)).toMatchObject({ tier: 'medium', rule: 'purchase-order-manager' });
  });

  it('sends a $1,000.00 purchase order to a manager within 4h, then the finance director, then the CFO, then expires', () => {
    const value = (JSON.parse('{"value": 1000.00}') as { value: number }).value;
    const c = po(value);
    expect(c).toMatchObject({ tier: 'medium', pattern: 'soft_review', onTimeout: 'expire', quorum: 1 });
    expect(c.steps.map((s) => [s.roles, s.sla.text])).toEqual([
      [['manager'], '4h'],
      [['finance_director'], '4h'],
      [['cfo'], '1d'],
    ]);
    expect(c.steps[0]?.sla.ms).toBe(4 * 3_600_000);
    // The manager is reminded at 2h and 3h36m; the later steps are not.
    expect(c.steps.map((s) => s.remindAt)).toEqual([[50, 90], undefined, undefined]);
    expect(approverIds(c)).toEqual([['mira.okafor', 'daniel.reyes', 'raj.patel'], ['priya.natarajan'], ['helen.cho']]);
    expect(c.editable).toEqual(['amount.value', 'summary']);
    expect(c.reason).toBe(
      'Rule "purchase-order-manager" applies (type is purchase_order, amount $1,000.00 is at least $1,000.00 and at most $10,000.00): tier medium, soft review.',
    );
  });

  it('sends a $10,000 purchase order to a manager (the upper bound is inclusive)', () => {
    expect(po(10000).rule).toBe('purchase-order-manager');
  });

  it('sends a $10,000.01 purchase order to the CFO behind a hard gate', () => {
    const c = po(10000.01);
    expect(c).toMatchObject({ tier: 'high', pattern: 'hard_gate', rule: 'purchase-order-cfo', onTimeout: 'expire' });
    expect(approverIds(c)).toEqual([['helen.cho']]);
    expect(c.editable).toEqual(['amount.value', 'summary']);
  });

  it.each([
    [0, 'low'],
    [0.01, 'low'],
    [0.1, 'low'],
    [999.99, 'low'],
    [1000, 'medium'],
    [1000.01, 'medium'],
    [9999.99, 'medium'],
    [10000, 'medium'],
    [10000.01, 'high'],
    [10000.1, 'high'],
    [1e9, 'high'],
  ] as const)('puts a $%d purchase order in tier %s', (value, tier) => {
    expect(po(value).tier).toBe(tier);
  });

  it('sends a purchase order without an amount to the default rule (high), not to low', () => {
    const c = classify({ type: 'purchase_order' });
    expect(c).toMatchObject({ tier: 'high', rule: 'default' });
    expect(c.reason).toBe(
      'No purchase_order rule matches an action without an amount, so the default rule applies: tier high, hard gate.',
    );
  });

  it('sends a purchase order in a currency the policy does not know to the default rule', () => {
    expect(po(5, 'GBP')).toMatchObject({ tier: 'high', rule: 'default' });
  });

  it('sends a EUR purchase order (known currency, no EUR rule) to the default rule', () => {
    const c = po(5, 'EUR');
    expect(c).toMatchObject({ tier: 'high', rule: 'default' });
    expect(c.reason).toBe(
      'No purchase_order rule covers amounts in EUR, so the default rule applies: tier high, hard gate.',
    );
  });

  it.each([-5, -0.01, 1.005, Number.NaN, Number.POSITIVE_INFINITY])(
    'never approves a purchase order of %d automatically (refused by the schema, defended here)',
    (value) => {
      expect(NOT_LOW).toContain(po(value).tier);
    },
  );

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
});

describe('the requester', () => {
  it('is never among the approvers of their own proposal', () => {
    const c = classify({ type: 'purchase_order', amount: usd(2500) }, 'mira.okafor');
    expect(approverIds(c)[0]).toEqual(['daniel.reyes', 'raj.patel']);
  });

  it('is recognised by email too', () => {
    const c = classify({ type: 'customer_email' }, 'Grace.Kim@example.com');
    expect(approverIds(c)).toEqual([['jonas.berg']]);
  });

  it('leaves a critical step that still reaches the quorum without them', () => {
    const c = classify({ type: 'db_schema_change', target: 'production/db' }, 'sam.adeyemi');
    expect(approverIds(c)).toEqual([['raj.patel', 'lena.fischer']]);
    expect(c.quorum).toBe(2);
  });

  it('moves the review past a step only the requester could take', () => {
    const c = classify({ type: 'purchase_order', amount: usd(2500) }, 'priya.natarajan');
    expect(c.steps.map((s) => s.roles)).toEqual([['manager'], ['cfo']]);
  });

  it('hands the review to the default route when every step needs the requester', () => {
    const c = classify({ type: 'purchase_order', amount: usd(20000) }, 'helen.cho');
    expect(c).toMatchObject({ tier: 'high', rule: 'purchase-order-cfo' });
    expect(approverIds(c)).toEqual([['felix.brandt', 'ana.silva']]);
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
    const base = parsePolicy(policyText, directoryText);
    fc.assert(
      fc.property(extraRule, ({ type, tier }) => {
        const extra = `  - name: extra\n    match: { type: ${type} }\n    tier: ${tier}\n${tier === 'low' ? '' : '    steps: [{ roles: [dba, engineering_lead], sla: 1h }]\n'}`;
        const tightened = parsePolicy(policyText.replace('\ndefault:\n', `\n${extra}\ndefault:\n`), directoryText);
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
    expect(approverIds(again)).toEqual([['grace.kim', 'jonas.berg']]);
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
