// `hitl-gate policy …` as an author runs it: the workspace's bin, on the project's Node, in the checkout.
// The shipped policy's own cases run here, through `hitl-gate policy test`, instead of being pinned in Jest.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyCli as policy } from './policy-bin.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hitl-policy-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

const DIRECTORY = `people:
  - { id: m1, name: M One, email: m1@example.com, roles: [manager] }
  - { id: m2, name: M Two, email: m2@example.com, roles: [manager] }
  - { id: c1, name: C One, email: c1@example.com, roles: [cfo] }
`;

describe('hitl-gate policy test', () => {
  it('passes every case shipped with the default policy', () => {
    const r = policy(['test']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^policy\/default\.cases\.yml against policy\/default\.yml \(version /);
    expect(r.stdout).toMatch(/\n(\d+) cases: \1 passed, 0 failed\n$/);
    expect(r.stdout).not.toContain('✗');
    expect(r.code).toBe(0);
  });

  it('fails with what differs, names a malformed case with its line, and runs the rest', () => {
    write(
      'p.yml',
      'version: "1"\ncurrencies: [USD]\nrules: []\ndefault: { tier: high, steps: [{ roles: [cfo], sla: 1h }] }\n',
    );
    write('directory.yml', DIRECTORY);
    const cases = write(
      'p.cases.yml',
      [
        'cases:',
        '  - name: right',
        '    proposal: { action: { type: x, summary: s } }',
        '    expect: { tier: high, rule: default, approvers: [[c1]] }',
        '  - name: wrong',
        '    proposal: { action: { type: x, summary: s } }',
        '    expect: { tier: medium, rule: default }',
        '  - name: malformed',
        '    proposal: { action: { type: x, summary: s, amount: { value: -1, currency: USD } } }',
        '    expect: { tier: high, rule: default }',
        '',
      ].join('\n'),
    );
    const r = policy(['test', cases]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `${cases} against ${join(dir, 'p.yml')} (version 1)`,
      '  ✓ right',
      `  ✗ wrong (${cases}:5)`,
      '      tier:      expected medium, got high',
      '      why: No rule covers action type "x", so the default rule applies: tier high, hard gate.',
      `  ✗ malformed (${cases}:8)`,
      `      ${cases}:9:58: cases[2].proposal.action.amount.value: must not be negative (intake would refuse this proposal as invalid)`,
      '3 cases: 1 passed, 2 failed',
      '',
    ]);
  });

  it('asks for --policy when the cases file does not name its policy, with exit code 2', () => {
    const r = policy(['test', write('cases.yml', 'cases: []\n')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name the policy with --policy');
  });
});

describe('hitl-gate policy validate', () => {
  it('accepts the shipped policy, printing its warnings with their lines', () => {
    const r = policy(['validate']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^policy\/default\.yml with policy\/directory\.yml: version \S+, \d+ rules and the default/,
    );
    expect(r.stdout).toMatch(
      /\nwarning: policy\/default\.yml:\d+:\d+: rules\[\d+\] \(rule "purchase-order-cfo"\)\.steps\[0\]: reaches one person only, helen\.cho/,
    );
    expect(r.stdout).toMatch(/\npolicy\/default\.yml is valid: \d+ warnings?\n$/);
  });

  it('lists every error by file, line, column, rule and path, with exit code 1', () => {
    const file = write(
      'broken.yml',
      [
        'version: "1"',
        'currencies: [USD]',
        'rules:',
        '  - name: po',
        '    match: { type: purchase_order }',
        '    tier: medum',
        '  - name: mail',
        '    match: { type: customer_email }',
        '    tier: medium',
        '    steps: [{ roles: [wizard], sla: 1h }]',
        'default: { tier: high, steps: [{ roles: [cfo], sla: 1h }] }',
        '',
      ].join('\n'),
    );
    write('directory.yml', DIRECTORY);
    const r = policy(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      `error: ${file}:6:5: rules[0] (rule "po").tier: unknown tier "medum"; expected low, medium, high or critical`,
      `error: ${file}:10:23: rules[1] (rule "mail").steps[0].roles[0]: role "wizard" resolves to nobody in ${join(dir, 'directory.yml')}`,
      `${file} does not load: 2 errors (warnings are checked once it loads)`,
      '',
    ]);
  });

  it('answers JSON with the errors and warnings, each with its line and column', () => {
    const file = write(
      'warned.yml',
      'version: "1"\ncurrencies: [USD]\nrules: []\ndefault: { tier: high, steps: [{ roles: [cfo], sla: 1h }] }\n',
    );
    write('directory.yml', DIRECTORY);
    const r = policy(['validate', file, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      file,
      valid: true,
      errors: [],
      warnings: [
        expect.objectContaining({
          path: ['default', 'steps', 0],
          line: 4,
          column: 32,
          message: expect.stringMatching(/^reaches one person only, c1/),
        }),
      ],
    });
  });

  it('refuses a file it cannot read and an unknown flag with exit code 2, naming them', () => {
    const missing = policy(['validate', 'policy/nope.yml']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('hitl-gate policy validate: cannot read the policy policy/nope.yml: no such file\n');
    const flag = policy(['validate', '--strict']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/Unknown option '--strict'/);
  });
});

describe('hitl-gate policy explain', () => {
  const proposal = (action: object, requestedBy = 'sam.rivera') =>
    JSON.stringify({ proposalId: 'p-1', agentId: 'agent-1', requestedBy, action: { summary: 's', ...action } });
  const explain = (action: object, requestedBy?: string) => {
    const r = policy(['explain', '-', '--json', '--now', '2026-12-04T15:00:00Z'], proposal(action, requestedBy));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return JSON.parse(r.stdout);
  };

  it.each([
    [{ type: 'ticket_priority' }, 'low', 'ticket-priority'],
    [{ type: 'customer_email' }, 'medium', 'customer-email'],
    [{ type: 'refund', amount: { value: 10000.01, currency: 'USD' } }, 'high', 'refund-over-10k'],
    [{ type: 'db_schema_change', target: 'production/orders' }, 'critical', 'schema-change-production'],
    [{ type: 'purchase_order', amount: { value: 999.99, currency: 'USD' } }, 'low', 'purchase-order-under-1k'],
    [{ type: 'purchase_order', amount: { value: 1000, currency: 'USD' } }, 'medium', 'purchase-order-manager'],
    [{ type: 'purchase_order', amount: { value: 10000, currency: 'USD' } }, 'medium', 'purchase-order-manager'],
    [{ type: 'purchase_order', amount: { value: 10000.01, currency: 'USD' } }, 'high', 'purchase-order-cfo'],
  ])('explains the seed example %j: tier %s by rule %s', (action, tier, rule) => {
    const e = explain(action);
    expect(e).toMatchObject({ tier, rule });
    expect(e.matching.filter((m: { wins: boolean }) => m.wins).map((m: { rule: string }) => m.rule)).toEqual([rule]);
  });

  it('gives the route with its people, who is left out as the requester, deadlines and what a timeout does', () => {
    const e = explain({ type: 'purchase_order', amount: { value: 5000, currency: 'USD' } }, 'mira.okafor');
    expect(e.route.steps.map((s: any) => [s.roles, s.approvers.map((a: any) => a.id), s.leftOut, s.due])).toEqual([
      [['manager'], ['daniel.reyes', 'raj.patel'], ['mira.okafor'], '2026-12-04T19:00:00.000Z'],
      [['finance_director'], ['priya.natarajan'], [], '2026-12-04T23:00:00.000Z'],
      [['cfo'], ['helen.cho'], [], '2026-12-05T23:00:00.000Z'],
    ]);
    expect(e.onTimeout).toMatchObject({ setting: 'expire', at: '2026-12-05T23:00:00.000Z', afterStep: 3 });
  });

  it('says what standing approval an approval may allow, by whom (never the requester), and its scope', () => {
    const e = explain(
      { type: 'purchase_order', target: 'vendor-42', amount: { value: 5000, currency: 'USD' } },
      'mira.okafor',
    );
    expect(e.standing).toEqual({
      grantedBy: ['manager'],
      grantors: ['daniel.reyes', 'raj.patel'],
      maxDuration: '8h',
      scope: { type: 'purchase_order', target: 'vendor-42', amount: { currency: 'USD', lte: 5000 } },
      describe: 'purchase_order, target vendor-42, at most $5,000.00',
    });
    // A rule without standing approvals, or a critical one, offers none.
    expect(explain({ type: 'db_schema_change', target: 'production/orders' }).standing).toBeUndefined();
    const text = policy(
      ['explain', '-', '--now', '2026-12-04T15:00:00Z'],
      proposal(
        { type: 'purchase_order', target: 'vendor-42', amount: { value: 5000, currency: 'USD' } },
        'mira.okafor',
      ),
    ).stdout;
    expect(text).toContain(
      'standing approval: with the approval, daniel.reyes, raj.patel (manager) may allow later proposals for up to 8h: purchase_order, target vendor-42, at most $5,000.00',
    );
  });

  it("counts a calendar step's deadline in the office's working time", () => {
    const e = explain({ type: 'refund', amount: { value: 20000, currency: 'USD' } });
    // Friday 16:00 in Berlin: two working hours left that day, seven more on Monday.
    expect(e.route.steps[0]).toMatchObject({ calendar: 'finance-eu', due: '2026-12-07T15:00:00.000Z' });
  });

  it('prints a readable explanation by default', () => {
    const r = policy(
      ['explain', '-', '--now', '2026-12-04T15:00:00Z'],
      proposal({ type: 'db_schema_change', target: 'production/orders' }, 'sam.adeyemi'),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('tier:  critical (blocked until reviewed)');
    expect(r.stdout).toContain(
      '  1. dba, engineering_lead, 4h: from Fri 2026-12-04 15:00 UTC, due Fri 2026-12-04 19:00 UTC',
    );
    expect(r.stdout).toContain('     left out as the requester: sam.adeyemi');
    expect(r.stdout).toContain(
      "on timeout (escalate): at Fri 2026-12-04 19:00 UTC, step 1's deadline, the review stays open (a critical review is blocked until reviewed)",
    );
    expect(r.stdout).toContain('notify: ines.moreau, ana.silva');
  });

  it('names every problem of a proposal the bus would refuse, with exit code 1', () => {
    const r = policy(
      ['explain', '-'],
      JSON.stringify({
        proposalId: 'p',
        agentId: 'a',
        action: { type: 'Refund', summary: 's', amount: { value: -1, currency: 'USD' } },
      }),
    );
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')).toEqual([
      'standard input is not a valid Action Proposed detail (intake would refuse it as invalid):',
      '  requestedBy: Invalid input: expected string, received undefined',
      '  action.type: must be snake_case, e.g. "purchase_order", or mcp:<tool name>',
      '  action.amount.value: must not be negative',
      '',
    ]);
  });

  it('takes an EventBridge event as a rule target receives it, and refuses one of another type', () => {
    const detail = JSON.parse(proposal({ type: 'ticket_priority' }));
    const event = (type: string) => JSON.stringify({ 'detail-type': type, source: 'agent.x', detail });
    expect(JSON.parse(policy(['explain', '-', '--json'], event('Action Proposed')).stdout)).toMatchObject({
      tier: 'low',
      rule: 'ticket-priority',
    });
    expect(policy(['explain', '-'], event('Approval Granted'))).toMatchObject({
      code: 1,
      stdout: 'standard input is a "Approval Granted" event; explain takes an "Action Proposed" one\n',
    });
  });

  it('refuses a missing proposal file and a --now that is not a time with exit code 2', () => {
    expect(policy(['explain', join(dir, 'none.json')])).toMatchObject({
      code: 2,
      stderr: `hitl-gate policy explain: cannot read the proposal ${join(dir, 'none.json')}: no such file\n`,
    });
    const r = policy(['explain', '-', '--now', 'tomorrow'], '{}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--now must be a time such as 2026-12-01T09:00:00Z, not "tomorrow"');
  });
});
