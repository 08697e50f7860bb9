// The policy tools' analysis on small inline policies: warnings with their lines, explanations, cases.
import type { ActionProposed } from '../../events/index.ts';
import { analysePolicy } from '../../functions/domain/policy/analysis.ts';
import { runCases } from '../../functions/domain/policy/cases.ts';
import { explainProposal } from '../../functions/domain/policy/explain.ts';
import { formatLocated } from '../../functions/domain/policy.ts';
import { locateProblems, readPolicyFiles } from '../../functions/domain/policy-yaml.ts';

const FILES = { policy: 'p.yml', directory: 'd.yml' };

const DIRECTORY = `people:
  - { id: m1, name: M One, email: m1@example.com, roles: [manager] }
  - { id: m2, name: M Two, email: m2@example.com, roles: [manager, dba] }
  - { id: c1, name: C One, email: c1@example.com, roles: [cfo] }
  - { id: o1, name: O One, email: o1@example.com, roles: [ops_admin] }
  - { id: o2, name: O Two, email: o2@example.com, roles: [ops_admin] }
`;

/** A policy of the given rules (YAML text of the list items, indented by two) with a two-person default. */
const policyText = (rules: string, extra = '') => `version: "t"
currencies: [USD]
${extra}rules:
${rules}
default:
  tier: high
  steps:
    - { roles: [ops_admin], sla: 4h }
`;

function warningsOf(rules: string, extra = ''): string[] {
  const text = policyText(rules, extra);
  const read = readPolicyFiles(text, DIRECTORY, FILES);
  return locateProblems(analysePolicy(read.compiled, 'p.yml'), { 'p.yml': read.policy }).map(formatLocated);
}

const po = (name: string, amount: string, tier = 'medium', steps = '[{ roles: [manager], sla: 4h }]') =>
  `  - { name: ${name}, match: { type: purchase_order, amount: { currency: USD, ${amount} } }, tier: ${tier}${tier === 'low' ? '' : `, steps: ${steps}`} }`;

describe('policy warnings', () => {
  it('finds nothing to say about ranges that tile every amount of a type', () => {
    expect(
      warningsOf(
        [po('small', 'lt: 1000', 'low'), po('mid', 'gte: 1000, lte: 10000'), po('big', 'gt: 10000')].join('\n'),
      ),
    ).toEqual([]);
  });

  it('warns of a rule no amount in whole cents can match, at its match', () => {
    expect(warningsOf([po('none', 'gt: 999.99, lt: 1000'), po('rest', 'gte: 0')].join('\n'))).toEqual([
      'p.yml:4:19: rules[0] (rule "none").match: can never match: no amount a proposal can carry (whole cents, at most $1,000,000,000,000.00) is over $999.99 and under $1,000.00',
    ]);
  });

  it('warns of a rule that a stricter rule covers, so it never decides', () => {
    const rules = [
      '  - { name: any-po, match: { type: purchase_order }, tier: high, steps: [{ roles: [manager], sla: 4h }] }',
      po('mid', 'gte: 1000, lte: 10000'),
    ].join('\n');
    expect(warningsOf(rules)).toEqual([
      'p.yml:5:5: rules[1] (rule "mid"): is shadowed and never decides: rule "any-po" (high) matches every action it matches and outranks it',
    ]);
  });

  it('warns of a rule an earlier rule of the same tier covers, and not of one it only overlaps', () => {
    const rules = [
      '  - { name: agent-7, match: { agent: agent-7 }, tier: medium, steps: [{ roles: [manager], sla: 4h }] }',
      '  - { name: agent-7-po, match: { agent: [agent-7], type: purchase_order }, tier: medium, steps: [{ roles: [cfo, manager], sla: 4h }] }',
      '  - { name: po-prod, match: { type: purchase_order, target: "prod/**" }, tier: medium, steps: [{ roles: [manager], sla: 4h }] }',
      '  - { name: po-prod-db, match: { type: purchase_order, target: prod/db }, tier: medium, steps: [{ roles: [manager], sla: 4h }] }',
      '  - { name: po-staging-star, match: { type: purchase_order, target: "staging/*" }, tier: medium, steps: [{ roles: [manager], sla: 4h }] }',
    ].join('\n');
    expect(warningsOf(rules)).toEqual([
      'p.yml:5:5: rules[1] (rule "agent-7-po"): is shadowed and never decides: rule "agent-7" (also medium, earlier in the file) matches every action it matches and wins the tie',
      'p.yml:7:5: rules[3] (rule "po-prod-db"): is shadowed and never decides: rule "po-prod" (also medium, earlier in the file) matches every action it matches and wins the tie',
    ]);
  });

  it('does not call a broader rule shadowed by a narrower stricter one', () => {
    const rules = [
      '  - { name: schema, match: { type: db_schema_change }, tier: high, steps: [{ roles: [manager], sla: 4h }] }',
      '  - { name: schema-prod, match: { type: db_schema_change, target: "production/**" }, tier: critical, quorum: 2, steps: [{ roles: [manager], sla: 4h }] }',
    ].join('\n');
    expect(warningsOf(rules)).toEqual([
      'p.yml:5:121: rules[1] (rule "schema-prod").steps[0]: reaches exactly the quorum of 2, m1, m2 (role manager): every one of them must approve, so one absence stops the step',
    ]);
  });

  it('warns of amounts no rule of the type covers, below, between and above the ranges', () => {
    expect(warningsOf([po('mid', 'gte: 100, lt: 1000'), po('big', 'gt: 2000, lte: 5000')].join('\n'))).toEqual([
      'p.yml:4:49: rules[0] (rule "mid").match.amount: purchase_order amounts in USD from $0.00 to $99.99 match no purchase_order rule: the default rule takes them',
      'p.yml:4:49: rules[0] (rule "mid").match.amount: purchase_order amounts in USD from $1,000.00 to $2,000.00 match no purchase_order rule: the default rule takes them',
      'p.yml:4:49: rules[0] (rule "mid").match.amount: purchase_order amounts in USD from $5,000.01 up match no purchase_order rule: the default rule takes them',
    ]);
  });

  it('counts no gap where a rule of the type takes every amount', () => {
    const rules = [
      po('mid', 'gte: 100, lt: 1000'),
      '  - { name: po-any, match: { type: purchase_order, hasAmount: true }, tier: low }',
    ].join('\n');
    expect(warningsOf(rules)).toEqual([]);
  });

  it('warns of two ranges of one type that overlap, naming the rule that decides the overlap', () => {
    expect(warningsOf([po('small', 'lte: 1000', 'low'), po('mid', 'gte: 500')].join('\n'))).toEqual([
      'p.yml:5:49: rules[1] (rule "mid").match.amount: overlaps rule "small" for purchase_order amounts from $500.00 to $1,000.00; rule "mid" (medium) decides them',
    ]);
  });

  it('warns of a step that reaches one person only, on a rule and on the default route', () => {
    const rules = po('all', 'gte: 0', 'high', '[{ roles: [manager], sla: 4h }, { roles: [cfo], sla: 1d }]');
    const defaultWithOne = policyText(rules).replace('roles: [ops_admin]', 'roles: [cfo]');
    const read = readPolicyFiles(defaultWithOne, DIRECTORY, FILES);
    expect(locateProblems(analysePolicy(read.compiled, 'p.yml'), { 'p.yml': read.policy }).map(formatLocated)).toEqual([
      'p.yml:4:137: rules[0] (rule "all").steps[1]: reaches one person only, c1 (role cfo): a single point of failure; when they are away the step can only time out, and when they are the requester it is skipped',
      'p.yml:8:7: default.steps[0]: reaches one person only, c1 (role cfo): a single point of failure; when they are away the step can only time out, and when they are the requester it is skipped',
    ]);
  });
});

describe('explaining a proposal', () => {
  const calendars = `calendars:
  office: { timeZone: Europe/Berlin, workingHours: { mon: 09:00-18:00, tue: 09:00-18:00, wed: 09:00-18:00, thu: 09:00-18:00, fri: 09:00-18:00 } }
`;
  const rules = [
    po('small', 'lt: 1000', 'low'),
    po(
      'mid',
      'gte: 1000',
      'medium',
      '[{ roles: [manager], sla: 4h, remindAt: [50] }, { roles: [cfo], sla: 9h, calendar: office }]',
    ),
    '  - { name: any-po, match: { type: purchase_order, hasAmount: false }, tier: medium, steps: [{ roles: [ops_admin], sla: 1h }], onTimeout: approve }',
    '  - { name: agent-a, match: { type: purchase_order, agent: a }, tier: low }',
  ].join('\n');
  const compiled = readPolicyFiles(policyText(rules, calendars), DIRECTORY, FILES).compiled;
  const proposal = (value: number, requestedBy = 'r'): ActionProposed => ({
    proposalId: 'p-1',
    agentId: 'a',
    requestedBy,
    action: { type: 'purchase_order', summary: 's', amount: { value, currency: 'USD' } },
  });
  const FRIDAY_4PM_BERLIN = new Date('2026-12-04T15:00:00Z');

  it('names the winning rule and every rule that matches', () => {
    const e = explainProposal(compiled, proposal(5000), FRIDAY_4PM_BERLIN);
    expect(e).toMatchObject({ tier: 'medium', rule: 'mid', pattern: 'soft_review' });
    expect(e.matching).toEqual([
      {
        rule: 'mid',
        tier: 'medium',
        wins: true,
        because: ['type is purchase_order', 'amount $5,000.00 is at least $1,000.00'],
      },
      { rule: 'agent-a', tier: 'low', wins: false, because: ['type is purchase_order', 'agent is a'] },
    ]);
  });

  it('gives each step its deadline from the time asked, one step after another, calendars applied', () => {
    const e = explainProposal(compiled, proposal(5000), FRIDAY_4PM_BERLIN);
    expect(e.route.steps.map((s) => [s.roles, s.starts, s.due, s.reminders])).toEqual([
      [
        ['manager'],
        '2026-12-04T15:00:00.000Z',
        '2026-12-04T19:00:00.000Z',
        [{ percent: 50, at: '2026-12-04T17:00:00.000Z' }],
      ],
      // 9h of office time from Friday 20:00 Berlin: all of Monday, 09:00-18:00 Berlin.
      [['cfo'], '2026-12-04T19:00:00.000Z', '2026-12-07T17:00:00.000Z', undefined],
    ]);
    expect(e.onTimeout).toEqual({
      setting: 'expire',
      at: '2026-12-07T17:00:00.000Z',
      afterStep: 2,
      what: 'the review expires: the action is rejected (fail closed)',
    });
  });

  it('shows who is left out as the requester, by id or email, and a step skipped without them', () => {
    const e = explainProposal(compiled, proposal(5000, 'C1@Example.com'), FRIDAY_4PM_BERLIN);
    expect(e.route.steps.map((s) => [s.approvers.map((a) => a.id), s.leftOut, s.skipped])).toEqual([
      [['m1', 'm2'], [], false],
      [[], ['c1'], true],
    ]);
    expect(e.route.steps[1]).not.toHaveProperty('due');
    expect(e.onTimeout.at).toBe('2026-12-04T19:00:00.000Z');
  });

  it('shows a delegate standing in, at the time asked, for a person away then', () => {
    const away = DIRECTORY.replace(
      'roles: [manager] }',
      'roles: [manager], away: { from: "2026-12-01T00:00:00Z", to: "2026-12-31T00:00:00Z", delegate: c1 } }',
    );
    const withAway = readPolicyFiles(policyText(rules, calendars), away, FILES).compiled;
    const approvers = (at: Date) => explainProposal(withAway, proposal(5000), at).route.steps[0]?.approvers;
    expect(approvers(FRIDAY_4PM_BERLIN)).toEqual([
      {
        id: 'c1',
        name: 'C One',
        email: 'c1@example.com',
        onBehalfOf: { id: 'm1', name: 'M One', until: '2026-12-31T00:00:00Z' },
      },
      { id: 'm2', name: 'M Two', email: 'm2@example.com' },
    ]);
    expect(approvers(new Date('2027-01-04T09:00:00Z'))?.map((a) => a.id)).toEqual(['m1', 'm2']);
  });

  it('says a low proposal waits for nobody', () => {
    const e = explainProposal(compiled, proposal(999.99), FRIDAY_4PM_BERLIN);
    expect(e).toMatchObject({ tier: 'low', rule: 'small', route: { steps: [] } });
    expect(e.onTimeout.what).toBe('nothing waits: the policy approves the action at once');
  });

  it('says what a soft review that may approve on timeout does', () => {
    const e = explainProposal(
      compiled,
      { ...proposal(1), action: { type: 'purchase_order', summary: 's' } },
      FRIDAY_4PM_BERLIN,
    );
    expect(e).toMatchObject({ rule: 'any-po', onTimeout: { setting: 'approve', at: '2026-12-04T16:00:00.000Z' } });
    expect(e.onTimeout.what).toBe('the action is approved on timeout (soft review)');
  });
});

describe('policy cases', () => {
  const compiled = readPolicyFiles(policyText(po('small', 'lt: 1000', 'low')), DIRECTORY, FILES).compiled;
  const action = (value: number) => ({ type: 'purchase_order', summary: 's', amount: { value, currency: 'USD' } });

  it('passes a case whose tier, rule and approvers are as expected, and fails one that differs with what differs', () => {
    const results = runCases(
      compiled,
      {
        cases: [
          { name: 'small', proposal: { action: action(5) }, expect: { tier: 'low', rule: 'small', approvers: [] } },
          { proposal: { action: action(5000) }, expect: { tier: 'medium', rule: 'small', approvers: [['o1']] } },
        ],
      },
      'c.yml',
    );
    expect(results).toEqual([
      expect.objectContaining({ name: 'small', passed: true, diffs: [] }),
      expect.objectContaining({
        name: 'cases[1]: purchase_order USD 5000',
        passed: false,
        diffs: [
          'tier:      expected medium, got high',
          'rule:      expected small, got default',
          'approvers: expected [o1], got [o1, o2]',
        ],
      }),
    ]);
  });

  it('names every problem of a malformed case by its path, and still runs the others', () => {
    const results = runCases(
      compiled,
      {
        cases: [
          { name: 'negative', proposal: { action: action(-1) }, expect: { tier: 'lowest', rule: 'nope' } },
          { name: 'fine', proposal: { action: action(1) }, expect: { tier: 'low', rule: 'small' } },
          { name: 'typo', proposal: { action: action(1) }, expct: {} },
        ],
      },
      'c.yml',
    );
    if (!Array.isArray(results)) throw new Error('expected results');
    expect(results.map((r) => [r.name, r.passed, r.problems.map((p) => `${p.path?.join('.')}: ${p.message}`)])).toEqual(
      [
        ['negative', false, ['cases.0.expect.tier: unknown tier "lowest"; expected low, medium, high or critical']],
        ['fine', true, []],
        [
          'typo',
          false,
          ['cases.2.expect: is required', 'cases.2.expct: unknown key; expected one of name, proposal, expect'],
        ],
      ],
    );
    const proposalProblem = runCases(
      compiled,
      { cases: [{ proposal: { action: action(-1) }, expect: { tier: 'low', rule: 'nope' } }] },
      'c.yml',
    );
    expect(Array.isArray(proposalProblem) && proposalProblem[0]?.problems.map((p) => [p.path, p.message])).toEqual([
      [
        ['cases', 0, 'proposal', 'action', 'amount', 'value'],
        'must not be negative (intake would refuse this proposal as invalid)',
      ],
      [['cases', 0, 'expect', 'rule'], 'unknown rule "nope"; the policy has small, default'],
    ]);
  });

  it('refuses a file without a list of cases', () => {
    expect(runCases(compiled, { case: [] }, 'c.yml')).toEqual({
      file: 'c.yml',
      path: ['cases'],
      message: 'must list the cases: cases: [{ name, proposal, expect }, ...]',
    });
  });
});
