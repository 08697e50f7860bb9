import { stringify } from 'yaml';
import { PolicyError } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';

const FILES = { policy: 'policy/stage.yml', directory: 'policy/people.yml' };

type Doc = Record<string, any>;

const basePolicy = (): Doc => ({
  version: '1',
  currencies: ['USD', 'EUR'],
  tiers: { medium: { onTimeout: 'expire', quorum: 1 } },
  rules: [
    { name: 'tickets', match: { type: 'ticket_priority' }, tier: 'low' },
    {
      name: 'po',
      match: { type: 'purchase_order', amount: { currency: 'USD', gte: 1000, lte: 10000 } },
      tier: 'medium',
      steps: [{ roles: ['manager'], sla: '4h' }],
      editable: ['amount.value'],
    },
  ],
  default: { tier: 'high', steps: [{ roles: ['ops_admin'], sla: '4h' }] },
});

const baseDirectory = (): Doc => ({
  people: [
    { id: 'm1', name: 'Mia One', email: 'm1@example.com', roles: ['manager'] },
    { id: 'm2', name: 'Max Two', email: 'm2@example.com', roles: ['manager', 'dba'] },
    { id: 'o1', name: 'Olu Ops', email: 'o1@example.com', roles: ['ops_admin'] },
  ],
});

/** The problems a policy/directory pair is refused with, as the file says them (fails the test if it loads). */
function namedProblemsOf(policy: Doc | string, directory: Doc | string = baseDirectory()): readonly string[] {
  const text = (d: Doc | string) => (typeof d === 'string' ? d : stringify(d));
  try {
    parsePolicy(text(policy), text(directory), FILES);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems;
    throw e;
  }
  throw new Error('the policy loaded, but it should have been refused');
}

/** The same, without the rule names after `rules[N]` (their own test is below), so each test reads by path. */
function problemsOf(policy: Doc | string, directory: Doc | string = baseDirectory()): readonly string[] {
  return namedProblemsOf(policy, directory).map((p) => p.replace(/^(\S+: rules\[\d+\]) \(rule "[^"]*"\)/, '$1'));
}

function withPolicy(change: (p: Doc) => void): Doc {
  const p = basePolicy();
  change(p);
  return p;
}

function withDirectory(change: (d: Doc) => void): Doc {
  const d = baseDirectory();
  change(d);
  return d;
}

describe('policy validation', () => {
  it('names the rule of a problem next to its index, so an author finds it by name', () => {
    expect(namedProblemsOf(withPolicy((p) => (p.rules[1].tier = 'medum')))).toEqual([
      'policy/stage.yml: rules[1] (rule "po").tier: unknown tier "medum"; expected low, medium, high or critical',
    ]);
  });

  it('loads the valid fixture', () => {
    expect(parsePolicy(stringify(basePolicy()), stringify(baseDirectory()), FILES).version).toBe('1');
  });

  it('names the default files policy.yml and directory.yml when the caller gives none', () => {
    expect(() => parsePolicy('version: [', stringify(baseDirectory()))).toThrow(/^policy\.yml:1:\d+: /);
  });

  it('reports a YAML syntax error with its line and column', () => {
    expect(problemsOf('version: "1"\nrules: [\n')).toEqual([
      expect.stringMatching(/^policy\/stage\.yml: line 3, column 1: /),
    ]);
  });

  it('refuses a duplicate key', () => {
    expect(problemsOf('version: "1"\nversion: "2"\n')).toEqual([
      expect.stringMatching(/^policy\/stage\.yml: line 2, column 1: Map keys must be unique/),
    ]);
  });

  it('refuses an empty file', () => {
    expect(problemsOf('')).toEqual(['policy/stage.yml: (top level): must be a mapping, not empty']);
  });

  it('refuses unknown keys, naming the keys it expected', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.owner = 'me';
        p.rules[1].match.typ = 'refund';
        p.rules[1].steps[0].approver = 'm1';
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].match.typ: unknown key; expected one of type, amount, hasAmount, agent, target, hasTarget',
      'policy/stage.yml: rules[1].steps[0].approver: unknown key; expected one of roles, sla, calendar, remindAt, channels, slackChannel',
      'policy/stage.yml: owner: unknown key; expected one of version, currencies, calendars, tiers, rules, default, tools',
    ]);
  });

  it('refuses an unknown tier in a rule and in the tiers section', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[1].tier = 'urgent';
        p.tiers.severe = { quorum: 2 };
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: tiers.severe: unknown key; expected one of low, medium, high, critical',
      'policy/stage.yml: rules[1].tier: unknown tier "urgent"; expected low, medium, high or critical',
    ]);
  });

  it('refuses settings on the low tier', () => {
    expect(problemsOf(withPolicy((p) => (p.tiers.low = { quorum: 1 })))).toEqual([
      'policy/stage.yml: tiers.low.quorum: the low tier is approved automatically; it has no settings',
    ]);
  });

  it('requires version, currencies, rules and default', () => {
    expect(problemsOf({})).toEqual([
      'policy/stage.yml: version: is required',
      'policy/stage.yml: currencies: is required',
      'policy/stage.yml: rules: is required',
      'policy/stage.yml: default: is required',
    ]);
  });

  it('asks for a quoted version when it is a number', () => {
    expect(problemsOf(withPolicy((p) => (p.version = 3)))).toEqual([
      'policy/stage.yml: version: must be text; quote it, e.g. version: "2026-11-24.1"',
    ]);
  });

  it.each([
    ['4 hours', '"4 hours" is not a duration; write e.g. 30m, 4h, 2d or 1h30m (more than zero, at most 365d)'],
    ['0m', '"0m" is not a duration; write e.g. 30m, 4h, 2d or 1h30m (more than zero, at most 365d)'],
    [4, 'must be a duration such as 30m, 4h, 2d or 1h30m'],
  ])('refuses the SLA %j', (sla, what) => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].steps[0].sla = sla)))).toEqual([
      `policy/stage.yml: rules[1].steps[0].sla: ${what}`,
    ]);
  });

  it('carries the reminders of a step (remindAt, percentages of its SLA) into the classification', () => {
    const load = (remindAt: unknown) =>
      parsePolicy(
        stringify(withPolicy((p) => (p.rules[1].steps[0].remindAt = remindAt))),
        stringify(baseDirectory()),
        FILES,
      );
    const po = { type: 'purchase_order', summary: 's', amount: { value: 5000, currency: 'USD' } };
    const ctx = { agentId: 'a', requestedBy: 'r' };
    expect(load([50, 90]).classify(po, ctx).steps[0]?.remindAt).toEqual([50, 90]);
    expect(load([1, 99]).classify(po, ctx).steps[0]?.remindAt).toEqual([1, 99]);
    expect(load(75).classify(po, ctx).steps[0]?.remindAt).toEqual([75]);
    // An empty list, like none, asks for no reminders.
    expect(load([]).classify(po, ctx).steps[0]).not.toHaveProperty('remindAt');
    expect(
      parsePolicy(stringify(basePolicy()), stringify(baseDirectory()), FILES).classify(po, ctx).steps[0],
    ).not.toHaveProperty('remindAt');
  });

  it.each([
    [[0, 50], ['rules[1].steps[0].remindAt[0]: must be a whole percentage of the SLA from 1 to 99, such as 50']],
    [[50, 100], ['rules[1].steps[0].remindAt[1]: must be a whole percentage of the SLA from 1 to 99, such as 50']],
    [[-10], ['rules[1].steps[0].remindAt[0]: must be a whole percentage of the SLA from 1 to 99, such as 50']],
    [[50.5], ['rules[1].steps[0].remindAt[0]: must be a whole percentage of the SLA from 1 to 99, such as 50']],
    [['50%'], ['rules[1].steps[0].remindAt[0]: must be a whole percentage of the SLA from 1 to 99, such as 50']],
    [
      [90, 50],
      ['rules[1].steps[0].remindAt[1]: 50 comes after 90; list the percentages in ascending order, e.g. [50, 90]'],
    ],
    [[50, 50, 90], ['rules[1].steps[0].remindAt[1]: 50 is listed twice']],
    [
      [25, 90, 50, 50],
      [
        'rules[1].steps[0].remindAt[2]: 50 comes after 90; list the percentages in ascending order, e.g. [50, 90]',
        'rules[1].steps[0].remindAt[3]: 50 is listed twice',
      ],
    ],
    ['often', ['rules[1].steps[0].remindAt: must be a list of percentages of the SLA, such as [50, 90]']],
    [{ at: 50 }, ['rules[1].steps[0].remindAt: must be a list of percentages of the SLA, such as [50, 90]']],
  ])('refuses the reminders %j', (remindAt, what) => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].steps[0].remindAt = remindAt)))).toEqual(
      what.map((w) => `policy/stage.yml: ${w}`),
    );
  });

  it('refuses bad reminders on the default route too, with the other problems of the file', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.default.steps[0].remindAt = [99, 1];
        p.rules[1].steps[0].sla = '4 hours';
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].steps[0].sla: "4 hours" is not a duration; write e.g. 30m, 4h, 2d or 1h30m (more than zero, at most 365d)',
      'policy/stage.yml: default.steps[0].remindAt[1]: 1 comes after 99; list the percentages in ascending order, e.g. [50, 90]',
    ]);
  });

  it('accepts a step calendar the policy defines, and refuses one it does not or that is not text', () => {
    const withOffice = (calendar: unknown) =>
      withPolicy((p) => {
        p.calendars = { 'berlin-office': { timeZone: 'Europe/Berlin', workingHours: { mon: ['09:00-18:00'] } } };
        p.rules[1].steps[0].calendar = calendar;
      });
    const policy = parsePolicy(stringify(withOffice('berlin-office')), stringify(baseDirectory()));
    const c = policy.classify(
      { type: 'purchase_order', summary: 's', amount: { value: 5000, currency: 'USD' } },
      { agentId: 'a', requestedBy: 'r' },
    );
    expect(c.steps[0]?.sla).toEqual({ ms: 4 * 3_600_000, text: '4h', calendar: 'berlin-office' });
    expect(c.calendars['berlin-office']).toBe(policy.calendar('berlin-office'));
    expect(problemsOf(withOffice('berlin'))).toEqual([
      'policy/stage.yml: rules[1].steps[0].calendar: unknown calendar "berlin"; the policy defines berlin-office (add it to calendars)',
    ]);
    expect(problemsOf(withPolicy((p) => (p.rules[1].steps[0].calendar = 'berlin-office')))).toEqual([
      'policy/stage.yml: rules[1].steps[0].calendar: unknown calendar "berlin-office"; the policy defines none (add it to calendars)',
    ]);
    expect(problemsOf(withOffice(9))).toEqual([
      'policy/stage.yml: rules[1].steps[0].calendar: must be the name of a calendar',
    ]);
  });

  it('refuses an amount range that matches nothing', () => {
    expect(
      problemsOf(withPolicy((p) => (p.rules[1].match.amount = { currency: 'USD', gte: 10000, lte: 1000 }))),
    ).toEqual([
      'policy/stage.yml: rules[1].match.amount: matches no amount: gte $10,000.00 and lte $1,000.00 leave nothing between them',
    ]);
    expect(
      problemsOf(withPolicy((p) => (p.rules[1].match.amount = { currency: 'USD', gt: 1000, lt: '1000.00' }))),
    ).toEqual([
      'policy/stage.yml: rules[1].match.amount: matches no amount: gt $1,000.00 and lt $1,000.00 leave nothing between them',
    ]);
  });

  it('accepts a range of exactly one amount', () => {
    expect(() =>
      parsePolicy(
        stringify(withPolicy((p) => (p.rules[1].match.amount = { currency: 'USD', gte: 5, lte: 5 }))),
        stringify(baseDirectory()),
      ),
    ).not.toThrow();
  });

  it('refuses two bounds on the same side', () => {
    expect(
      problemsOf(withPolicy((p) => (p.rules[1].match.amount = { currency: 'USD', gte: 1, gt: 2, lte: 5, lt: 6 }))),
    ).toEqual([
      'policy/stage.yml: rules[1].match.amount: give one lower bound, gte or gt, not both',
      'policy/stage.yml: rules[1].match.amount: give one upper bound, lte or lt, not both',
    ]);
  });

  it.each([
    [-5, '-5 is not an amount; write it like 1000 or 999.99 (not negative, at most two decimals)'],
    [1.234, '1.234 is not an amount; write it like 1000 or 999.99 (not negative, at most two decimals)'],
    ['1,000', '"1,000" is not an amount; write it like 1000 or 999.99 (not negative, at most two decimals)'],
    [[1000], 'must be an amount such as 1000 or 999.99'],
  ])('refuses the amount bound %j', (gte, what) => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].match.amount.gte = gte)))).toEqual([
      `policy/stage.yml: rules[1].match.amount.gte: ${what}`,
    ]);
  });

  it('refuses a currency the policy does not list', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].match.amount.currency = 'GBP')))).toEqual([
      'policy/stage.yml: rules[1].match.amount.currency: unknown currency "GBP"; the policy knows USD, EUR (add it to currencies)',
    ]);
  });

  it('refuses a currency code that is not ISO 4217 shaped, and one listed twice', () => {
    expect(problemsOf(withPolicy((p) => (p.currencies = ['USD', 'usd', 'EUR', 'EUR'])))).toEqual([
      'policy/stage.yml: currencies[1]: "usd" is not a currency; use an ISO 4217 code such as USD',
    ]);
    expect(problemsOf(withPolicy((p) => (p.currencies = ['USD', 'EUR', 'USD'])))).toEqual([
      'policy/stage.yml: currencies[2]: "USD" is listed twice',
    ]);
  });

  it('refuses a role that resolves to nobody in the directory', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[1].steps[0].roles = ['manager', 'wizard'];
        p.rules[1].notify = 'auditor';
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].steps[0].roles[1]: role "wizard" resolves to nobody in policy/people.yml',
      'policy/stage.yml: rules[1].notify[0]: role "auditor" resolves to nobody in policy/people.yml',
    ]);
  });

  it('refuses a quorum larger than the distinct people a step reaches', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[1].quorum = 3;
        p.rules[1].steps = [
          { roles: ['manager', 'dba'], sla: '1h' },
          { roles: ['ops_admin'], sla: '1h' },
        ];
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].steps[0]: reaches 2 distinct people (m1, m2) but the quorum is 3',
      'policy/stage.yml: rules[1].steps[1]: reaches 1 person (o1) but the quorum is 3',
    ]);
  });

  it('applies the quorum of the tiers section to rules that set none', () => {
    expect(problemsOf(withPolicy((p) => (p.tiers.high = { quorum: 2 })))).toEqual([
      'policy/stage.yml: default.steps[0]: reaches 1 person (o1) but the quorum is 2',
    ]);
  });

  it('refuses a quorum that is not a whole number of at least 1', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].quorum = 0)))).toEqual([
      'policy/stage.yml: rules[1].quorum: must be a whole number of approvals, at least 1',
    ]);
    expect(problemsOf(withPolicy((p) => (p.rules[1].quorum = 1.5)))).toEqual([
      'policy/stage.yml: rules[1].quorum: must be a whole number of approvals, at least 1',
    ]);
  });

  it('allows onTimeout approve on a medium (soft review) rule', () => {
    expect(() =>
      parsePolicy(stringify(withPolicy((p) => (p.rules[1].onTimeout = 'approve'))), stringify(baseDirectory())),
    ).not.toThrow();
  });

  it('refuses onTimeout approve on a high rule and in the high tier defaults', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.default.onTimeout = 'approve';
        p.tiers.high = { onTimeout: 'approve' };
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: tiers.high.onTimeout: approve is allowed only for medium (soft review); a high action must not go ahead because nobody answered',
      'policy/stage.yml: default.onTimeout: approve is allowed only for medium (soft review); a high action must not go ahead because nobody answered',
    ]);
  });

  it.each(['approve', 'expire'])('refuses onTimeout %s on a critical rule: it blocks until reviewed', (onTimeout) => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[1].tier = 'critical';
        p.rules[1].quorum = 2;
        p.rules[1].onTimeout = onTimeout;
      }),
    );
    expect(problems).toEqual([
      `policy/stage.yml: rules[1].onTimeout: a critical review blocks until reviewed, so onTimeout must be escalate (it stays open and notifies again), not ${onTimeout}`,
    ]);
  });

  it('refuses an unknown onTimeout', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].onTimeout = 'ignore')))).toEqual([
      'policy/stage.yml: rules[1].onTimeout: unknown onTimeout "ignore"; expected escalate, expire or approve',
    ]);
  });

  it('refuses a low default rule', () => {
    expect(problemsOf(withPolicy((p) => (p.default = { tier: 'low' })))).toEqual([
      'policy/stage.yml: default.tier: the default rule must not be low: an action no rule knows would be approved automatically',
    ]);
  });

  it('refuses a low rule that does not name its action types', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[0].match = { agent: 'trusted-bot' })))).toEqual([
      'policy/stage.yml: rules[0].match: a low rule must name the action types it approves (match.type), so an unknown action type is never approved automatically',
    ]);
  });

  it('refuses a review route on a low rule', () => {
    expect(
      problemsOf(
        withPolicy((p) => Object.assign(p.rules[0], { steps: [{ roles: ['manager'], sla: '1h' }], quorum: 1 })),
      ),
    ).toEqual([
      'policy/stage.yml: rules[0].steps: a low rule is approved automatically, so it takes no steps',
      'policy/stage.yml: rules[0].quorum: a low rule is approved automatically, so it takes no quorum',
    ]);
  });

  it('refuses a reviewed rule without approver steps', () => {
    expect(problemsOf(withPolicy((p) => delete p.rules[1].steps))).toEqual([
      'policy/stage.yml: rules[1]: a medium rule needs at least one approver step (steps)',
    ]);
    expect(problemsOf(withPolicy((p) => (p.rules[1].steps = [])))).toEqual([
      'policy/stage.yml: rules[1].steps: a medium rule needs at least one approver step (steps)',
    ]);
  });

  it('refuses duplicate rule names and a rule named default', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[0].name = 'po';
        p.rules.push({ ...p.rules[1], name: 'default' });
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].name: duplicate rule name "po" (also rules[0])',
      'policy/stage.yml: rules[2].name: "default" is the name of the default rule; choose another',
    ]);
  });

  it('refuses contradictory hasTarget and hasAmount conditions', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[1].match.hasAmount = false;
        p.rules[1].match.target = 'production/*';
        p.rules[1].match.hasTarget = false;
      }),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[1].match.hasTarget: hasTarget: false contradicts the target condition; the rule could never match',
      'policy/stage.yml: rules[1].match.hasAmount: hasAmount: false contradicts the amount condition; the rule could never match',
    ]);
  });

  it('refuses an action type that is not snake_case', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].match.type = ['purchase_order', 'Refund'])))).toEqual([
      'policy/stage.yml: rules[1].match.type[1]: "Refund" is not an action type; use snake_case such as purchase_order, or mcp:<tool name>',
    ]);
  });

  it('refuses editable fields outside the action, and the action type', () => {
    expect(problemsOf(withPolicy((p) => (p.rules[1].editable = ['type', 'amount.value', 'price'])))).toEqual([
      'policy/stage.yml: rules[1].editable[0]: "type" cannot be editable: an edit must stay the same kind of action (amount.value and amount.currency can be)',
      'policy/stage.yml: rules[1].editable[2]: "price" is not an editable field; use summary, target, amount.value, amount.currency, payload or payload.<field>',
    ]);
  });

  it('lists every problem of both files, one per line, with its line and column in the message', () => {
    let error: unknown;
    try {
      parsePolicy(
        stringify(withPolicy((p) => (p.rules[1].tier = 'urgent'))),
        stringify(withDirectory((d) => (d.people[0].email = 'not-an-email'))),
        FILES,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toBe(
      [
        'policy/stage.yml:21:5: rules[1] (rule "po").tier: unknown tier "urgent"; expected low, medium, high or critical',
        'policy/people.yml:4:5: people[0].email: "not-an-email" is not an email address',
      ].join('\n'),
    );
    expect((error as PolicyError).problems).toEqual([
      'policy/stage.yml: rules[1] (rule "po").tier: unknown tier "urgent"; expected low, medium, high or critical',
      'policy/people.yml: people[0].email: "not-an-email" is not an email address',
    ]);
  });

  it('still checks the sound rules when another rule is malformed', () => {
    const problems = problemsOf(
      withPolicy((p) => {
        p.rules[0].tier = 'urgent';
        p.rules[1].steps[0].roles = ['wizard'];
      }),
      withDirectory((d) => (d.people[1].id = 'm1')),
    );
    expect(problems).toEqual([
      'policy/stage.yml: rules[0].tier: unknown tier "urgent"; expected low, medium, high or critical',
      'policy/people.yml: people[1].id: duplicate person id "m1" (also people[0])',
      'policy/stage.yml: rules[1].steps[0].roles[0]: role "wizard" resolves to nobody in policy/people.yml',
    ]);
  });

  it('does not blame a role on a directory it could not read in full', () => {
    const problems = problemsOf(
      basePolicy(),
      withDirectory((d) => (d.people[0].email = 'nope')),
    );
    expect(problems).toEqual(['policy/people.yml: people[0].email: "nope" is not an email address']);
  });
});

describe('calendar validation', () => {
  const office = () => ({
    timeZone: 'Europe/Berlin',
    workingHours: { mon: ['09:00-12:30', '13:30-18:00'], fri: '09:00-15:00' },
    holidays: ['2026-12-24'],
  });
  const withCalendar = (change: (c: Doc) => void = () => {}) =>
    withPolicy((p) => {
      const c = office();
      change(c);
      p.calendars = { office: c };
      p.rules[1].steps[0].calendar = 'office';
    });

  it('compiles a calendar: its time zone, intervals per weekday in minutes, and holidays', () => {
    const policy = parsePolicy(stringify(withCalendar()), stringify(baseDirectory()), FILES);
    const office = policy.calendar('office');
    expect(office).toMatchObject({ name: 'office', timeZone: 'Europe/Berlin', holidays: new Set(['2026-12-24']) });
    expect(office?.week).toEqual([
      [
        { start: 540, end: 750 },
        { start: 810, end: 1080 },
      ],
      [],
      [],
      [],
      [{ start: 540, end: 900 }],
      [],
      [],
    ]);
  });

  it('accepts 24:00 as the end of a day, touching intervals, an empty day and a single holiday', () => {
    const ok = withCalendar((c) => {
      c.workingHours = { sat: ['18:00-24:00', '00:00-06:00', '06:00-09:00'], sun: [] };
      c.holidays = '2026-12-25';
    });
    expect(parsePolicy(stringify(ok), stringify(baseDirectory()), FILES).calendar('office')?.week[5]).toEqual([
      { start: 0, end: 360 },
      { start: 360, end: 540 },
      { start: 1080, end: 1440 },
    ]);
  });

  it('refuses an unknown time zone and a bare UTC offset', () => {
    const what = 'use an IANA name such as Europe/Berlin or America/New_York';
    expect(problemsOf(withCalendar((c) => (c.timeZone = 'Europe/Berln')))).toEqual([
      `policy/stage.yml: calendars.office.timeZone: unknown time zone "Europe/Berln"; ${what}`,
    ]);
    expect(problemsOf(withCalendar((c) => (c.timeZone = '+01:00')))).toEqual([
      `policy/stage.yml: calendars.office.timeZone: unknown time zone "+01:00"; ${what}`,
    ]);
    expect(problemsOf(withCalendar((c) => delete c.timeZone))).toEqual([
      'policy/stage.yml: calendars.office.timeZone: is required',
    ]);
  });

  it.each([
    ['9-18', '"9-18" is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)'],
    [
      '09:00 - 18:00',
      '"09:00 - 18:00" is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)',
    ],
    [
      '09:60-18:00',
      '"09:60-18:00" is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)',
    ],
    [
      '22:00-24:30',
      '"22:00-24:30" is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)',
    ],
    [
      '24:00-24:00',
      '"24:00-24:00" is not a working interval; write HH:MM-HH:MM such as 09:00-12:30 (24:00 only as an end)',
    ],
    [
      '18:00-09:00',
      '"18:00-09:00" does not end after it starts; an interval cannot pass midnight (end it at 24:00 and start the next day at 00:00)',
    ],
    [
      '09:00-09:00',
      '"09:00-09:00" does not end after it starts; an interval cannot pass midnight (end it at 24:00 and start the next day at 00:00)',
    ],
    [900, 'must be a working interval such as 09:00-18:00'],
  ])('refuses the working interval %j', (interval, what) => {
    expect(problemsOf(withCalendar((c) => (c.workingHours.mon = ['08:00-08:30', interval])))).toEqual([
      `policy/stage.yml: calendars.office.workingHours.mon[1]: ${what}`,
    ]);
  });

  it('refuses overlapping intervals, naming the one each overlaps', () => {
    expect(
      problemsOf(
        withCalendar(
          (c) => (c.workingHours.tue = ['09:00-18:00', '10:00-11:00', '12:00-13:00', '17:30-19:00', '07:00-08:00']),
        ),
      ),
    ).toEqual([
      'policy/stage.yml: calendars.office.workingHours.tue[1]: 10:00-11:00 overlaps 09:00-18:00',
      'policy/stage.yml: calendars.office.workingHours.tue[2]: 12:00-13:00 overlaps 09:00-18:00',
      'policy/stage.yml: calendars.office.workingHours.tue[3]: 17:30-19:00 overlaps 09:00-18:00',
    ]);
  });

  it('refuses a calendar with no working time in the week', () => {
    const what = 'has no working time in the week; give at least one weekday its hours, e.g. mon: [09:00-18:00]';
    expect(problemsOf(withCalendar((c) => (c.workingHours = {})))).toEqual([
      `policy/stage.yml: calendars.office.workingHours: ${what}`,
    ]);
    expect(problemsOf(withCalendar((c) => (c.workingHours = { mon: [], sat: [] })))).toEqual([
      `policy/stage.yml: calendars.office.workingHours: ${what}`,
    ]);
    expect(problemsOf(withCalendar((c) => delete c.workingHours))).toEqual([
      'policy/stage.yml: calendars.office.workingHours: is required',
    ]);
  });

  it('refuses holidays that are not dates, and one listed twice', () => {
    expect(
      problemsOf(
        withCalendar((c) => (c.holidays = ['2026-02-30', '24.12.2026', 20261224, '2026-12-24', '2026-12-24'])),
      ),
    ).toEqual([
      'policy/stage.yml: calendars.office.holidays[0]: "2026-02-30" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24',
      'policy/stage.yml: calendars.office.holidays[1]: "24.12.2026" is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24',
      'policy/stage.yml: calendars.office.holidays[2]: must be a date such as 2026-12-24',
    ]);
    expect(problemsOf(withCalendar((c) => (c.holidays = ['2026-12-24', '2026-12-25', '2026-12-24'])))).toEqual([
      'policy/stage.yml: calendars.office.holidays[2]: "2026-12-24" is listed twice',
    ]);
  });

  it('refuses unknown keys in a calendar and an unknown weekday', () => {
    expect(
      problemsOf(
        withCalendar((c) => {
          c.timezone = 'Europe/Berlin';
          c.workingHours.monday = ['09:00-18:00'];
        }),
      ),
    ).toEqual([
      'policy/stage.yml: calendars.office.workingHours.monday: unknown key; expected one of mon, tue, wed, thu, fri, sat, sun',
      'policy/stage.yml: calendars.office.timezone: unknown key; expected one of timeZone, workingHours, holidays',
    ]);
  });

  it('refuses calendars that are not a mapping and a calendar name that is not one', () => {
    expect(problemsOf(withPolicy((p) => (p.calendars = ['office'])))).toEqual([
      'policy/stage.yml: calendars: must be a mapping, not a list',
    ]);
    expect(problemsOf(withPolicy((p) => (p.calendars = { 'my office': office() })))).toEqual([
      'policy/stage.yml: calendars["my office"]: "my office" is not a calendar name; use letters, digits, - _ . (up to 64)',
    ]);
  });

  it('does not call a calendar unknown when only its definition is broken', () => {
    expect(problemsOf(withCalendar((c) => (c.timeZone = 'Mars/Olympus')))).toEqual([
      'policy/stage.yml: calendars.office.timeZone: unknown time zone "Mars/Olympus"; use an IANA name such as Europe/Berlin or America/New_York',
    ]);
  });

  it('refuses a business-hours SLA that would take more than a year of its calendar', () => {
    const hourOnMondays = withCalendar((c) => (c.workingHours = { mon: '09:00-10:00' }));
    hourOnMondays.rules[1].steps[0].sla = '3d';
    expect(problemsOf(hourOnMondays)).toEqual([
      'policy/stage.yml: rules[1].steps[0].sla: 3d of working time on calendar "office" (1h a week) takes more than a year; with a calendar the SLA counts working time only',
    ]);
    hourOnMondays.rules[1].steps[0].sla = '52h';
    expect(parsePolicy(stringify(hourOnMondays), stringify(baseDirectory()), FILES).calendar('office')).toBeDefined();
  });
});

describe('directory validation', () => {
  it('refuses duplicate person ids and duplicate emails', () => {
    const problems = problemsOf(
      basePolicy(),
      withDirectory((d) => d.people.push({ id: 'm1', name: 'Mia Again', email: 'M2@example.com', roles: ['manager'] })),
    );
    expect(problems).toEqual([
      'policy/people.yml: people[3].id: duplicate person id "m1" (also people[0])',
      'policy/people.yml: people[3].email: duplicate email "M2@example.com" (also people[1])',
    ]);
  });

  it.each(['not-an-email', 'a@b', 'two words@example.com', 'a@@example.com'])('refuses the email %s', (email) => {
    expect(
      problemsOf(
        basePolicy(),
        withDirectory((d) => (d.people[2].email = email)),
      ),
    ).toEqual([`policy/people.yml: people[2].email: "${email}" is not an email address`]);
  });

  it('refuses unknown keys and missing names', () => {
    const problems = problemsOf(
      basePolicy(),
      withDirectory((d) => {
        d.people[0].phone = '555';
        delete d.people[1].name;
      }),
    );
    expect(problems).toEqual([
      'policy/people.yml: people[0].phone: unknown key; expected one of id, name, email, roles, away, slack, timeZone',
      'policy/people.yml: people[1].name: is required',
    ]);
  });

  it('refuses a role name that is not snake_case', () => {
    expect(
      problemsOf(
        basePolicy(),
        withDirectory((d) => (d.people[0].roles = ['Manager'])),
      ),
    ).toEqual([
      'policy/people.yml: people[0].roles[0]: "Manager" is not a role name; use snake_case such as finance_director',
    ]);
  });

  it('refuses a directory that is a list instead of a mapping', () => {
    expect(problemsOf(basePolicy(), '- m1\n')).toEqual([
      'policy/people.yml: (top level): must be a mapping, not a list',
    ]);
  });
});
