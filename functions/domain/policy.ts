// The declarative risk policy: which tier an action falls in and who must review it, by when.
// Pure: it parses the text it is given (a caller reads the files) and never touches the network or the disk.
// The file format is documented at the top of policy/default.yml.
import * as z from 'zod';
import type { Action, Tier } from '../../events/index.ts';
import { formatWorkingInterval, isLocalDate, isTimeZone, makeCalendar, overlappingIntervals, parseWorkingInterval, WEEKDAYS, weeklyWorkingMinutes } from './calendar.ts';
import type { Calendar, Weekday, WorkingInterval } from './calendar.ts';
import { parseDuration } from './duration.ts';
import { isRequester } from './people.ts';
import { formatMoney, toMinorUnits } from './money.ts';

export { formatMoney, toMinorUnits };

export type { Calendar, Tier };
export type ReviewPattern = 'auto' | 'soft_review' | 'hard_gate' | 'block_until_reviewed';
/** What happens when the last step's SLA passes: stay open and re-notify, reject, or (soft review only) approve. */
export type OnTimeout = 'escalate' | 'expire' | 'approve';

export interface Person {
  id: string;
  name: string;
  email: string;
  roles: string[];
}

export interface ReviewStep {
  roles: string[];
  approvers: Person[];
  sla: { ms: number; text: string; calendar?: string };
  /** Percentages of the SLA (ascending, 1-99) at which the sweeper reminds the step's approvers; absent: no reminders. */
  remindAt?: number[];
}

export interface Classification {
  tier: Tier;
  pattern: ReviewPattern;
  rule: string;
  /** One human sentence: why this tier. */
  reason: string;
  policyVersion: string;
  /** The approver chain: an SLA breach moves the review to the next step; empty for auto. */
  steps: ReviewStep[];
  /** Applied when the last step's SLA passes. */
  onTimeout: OnTimeout;
  /** Distinct approvals needed at a step; 0 for auto. */
  quorum: number;
  notify: Person[];
  /** Dotted paths into the action an approver may change, e.g. "amount.value", "payload.body". */
  editable: string[];
  /** The business-hours calendars its steps name, by name (none when every SLA is wall-clock): for deadlineFor. */
  calendars: Readonly<Record<string, Calendar>>;
}

export interface TierSettings {
  pattern: ReviewPattern;
  onTimeout: OnTimeout;
  quorum: number;
}

export interface Policy {
  version: string;
  /** Rule names in file order, then "default". */
  rules: readonly string[];
  tiers: Readonly<Record<Tier, Readonly<TierSettings>>>;
  classify(action: Action, ctx: { agentId: string; requestedBy: string }): Classification;
  /** Everyone in the directory, in file order. */
  people(): Person[];
  /** A person by id or (case-insensitive) email. */
  person(idOrEmail: string): Person | undefined;
  /** A business-hours calendar by name, for deadlineFor (calendar.ts). */
  calendar(name: string): Calendar | undefined;
}

/** Every problem of a policy or directory file, one per line: `<file>: <path>: <what is wrong>`. */
export class PolicyError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'PolicyError';
    this.problems = problems;
  }
}

/** Ordered from least to most strict; a rule's rank is its index. */
export const TIERS: readonly Tier[] = ['low', 'medium', 'high', 'critical'];
export const PATTERN: Readonly<Record<Tier, ReviewPattern>> = {
  low: 'auto',
  medium: 'soft_review',
  high: 'hard_gate',
  critical: 'block_until_reviewed',
};
const PATTERN_TEXT: Record<ReviewPattern, string> = {
  auto: 'approved automatically',
  soft_review: 'soft review',
  hard_gate: 'hard gate',
  block_until_reviewed: 'blocked until reviewed',
};
/** Used where the policy's `tiers` section says nothing; critical needs two people by default. */
const BUILT_IN_TIERS: Record<Exclude<Tier, 'low'>, { onTimeout: OnTimeout; quorum: number }> = {
  medium: { onTimeout: 'expire', quorum: 1 },
  high: { onTimeout: 'expire', quorum: 1 },
  critical: { onTimeout: 'escalate', quorum: 2 },
};

export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

/** Whether an approver may change `path` given a classification's editable list ("payload" covers "payload.body"). */
export function isEditable(editable: readonly string[], path: string): boolean {
  return editable.some((e) => path === e || path.startsWith(`${e}.`));
}

// ---------------------------------------------------------------------------------------------------------------
// File shapes (zod). Structure is checked here; cross-references (roles, currencies, quorum) after both files parse.

function strict<S extends z.ZodRawShape>(shape: S, unknownKey?: string) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'unrecognized_keys' ? (unknownKey ?? `unknown key; expected one of ${expected}`) : undefined),
  });
}

/** A list, or a single value standing for a list of one. */
function list<T extends z.ZodType>(item: T, what: string) {
  return z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item).min(1, `must list at least one ${what}`));
}

const TierName = z.enum(['low', 'medium', 'high', 'critical'], {
  error: (iss) => `unknown tier ${JSON.stringify(iss.input)}; expected low, medium, high or critical`,
});
const OnTimeoutName = z.enum(['escalate', 'expire', 'approve'], {
  error: (iss) => `unknown onTimeout ${JSON.stringify(iss.input)}; expected escalate, expire or approve`,
});
const Quorum = z
  .number({ error: 'must be a whole number of approvals, at least 1' })
  .int({ error: 'must be a whole number of approvals, at least 1' })
  .min(1, 'must be a whole number of approvals, at least 1');
const RoleName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a role name; use snake_case such as finance_director`,
});
const Currency = z.string().regex(/^[A-Z]{3}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a currency; use an ISO 4217 code such as USD`,
});
const ActionType = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not an action type; use snake_case such as purchase_order`,
});
const Bound = z
  .union([z.number(), z.string()], { error: 'must be an amount such as 1000 or 999.99' })
  .transform((v, ctx) => {
    const cents = toMinorUnits(v);
    if (cents !== undefined) return cents;
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(v)} is not an amount; write it like 1000 or 999.99 (not negative, at most two decimals)` });
    return z.NEVER;
  });
const Sla = z.string({ error: 'must be a duration such as 30m, 4h, 2d or 1h30m' }).refine((s) => parseDuration(s) !== undefined, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a duration; write e.g. 30m, 4h, 2d or 1h30m (more than zero, at most 365d)`,
});
const EditablePath = z
  .string()
  .regex(/^(summary|target|amount\.value|amount\.currency|payload(\.[A-Za-z0-9_-]+)*)$/, {
    error: (iss) =>
      iss.input === 'type' || iss.input === 'amount'
        ? `"${String(iss.input)}" cannot be editable: an edit must stay the same kind of action (amount.value and amount.currency can be)`
        : `${JSON.stringify(iss.input)} is not an editable field; use summary, target, amount.value, amount.currency, payload or payload.<field>`,
  });

const WorkingIntervalText = z.string({ error: 'must be a working interval such as 09:00-18:00' }).transform((text, ctx) => {
  const interval = parseWorkingInterval(text);
  if (typeof interval !== 'string') return interval;
  ctx.addIssue({ code: 'custom', message: interval });
  return z.NEVER;
});
/** One interval or a list of them; an empty list (like a day not listed) is closed. */
const DayHours = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(WorkingIntervalText));
const Holiday = z.string({ error: 'must be a date such as 2026-12-24' }).refine(isLocalDate, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24`,
});
const CalendarDef = strict({
  timeZone: z.string({ error: 'must be an IANA time zone such as Europe/Berlin' }).refine(isTimeZone, {
    error: (iss) => `unknown time zone ${JSON.stringify(iss.input)}; use an IANA name such as Europe/Berlin or America/New_York`,
  }),
  workingHours: strict({
    mon: DayHours.optional(),
    tue: DayHours.optional(),
    wed: DayHours.optional(),
    thu: DayHours.optional(),
    fri: DayHours.optional(),
    sat: DayHours.optional(),
    sun: DayHours.optional(),
  }),
  holidays: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(Holiday)).optional(),
});
type CalendarDef = z.infer<typeof CalendarDef>;
const CALENDAR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const AmountMatch = strict({ currency: Currency, gte: Bound.optional(), gt: Bound.optional(), lte: Bound.optional(), lt: Bound.optional() });
const Match = strict({
  type: list(ActionType, 'action type').optional(),
  amount: AmountMatch.optional(),
  hasAmount: z.boolean({ error: 'must be true or false' }).optional(),
  agent: list(z.string().min(1, 'must not be empty'), 'agent id').optional(),
  target: list(z.string().min(1, 'must not be empty'), 'target pattern').optional(),
  hasTarget: z.boolean({ error: 'must be true or false' }).optional(),
});
const PERCENT = 'must be a whole percentage of the SLA from 1 to 99, such as 50';
/** Reminders before the deadline, as percentages of the SLA: `[50, 90]`, or one number standing for a list of one. */
const RemindAt = z
  .preprocess(
    (v) => (typeof v === 'number' ? [v] : v),
    z.array(z.number({ error: PERCENT }).int({ error: PERCENT }).min(1, PERCENT).max(99, PERCENT), { error: 'must be a list of percentages of the SLA, such as [50, 90]' }),
  )
  .superRefine((percentages, ctx) => {
    percentages.forEach((p, i) => {
      const before = percentages[i - 1];
      if (before === undefined || p > before) return;
      const what = p === before ? `${p} is listed twice` : `${p} comes after ${before}; list the percentages in ascending order, e.g. [50, 90]`;
      ctx.addIssue({ code: 'custom', path: [i], message: what });
    });
  });
const Step = strict({
  roles: list(RoleName, 'role'),
  sla: Sla,
  calendar: z.string({ error: 'must be the name of a calendar' }).min(1, 'must be the name of a calendar').optional(),
  remindAt: RemindAt.optional(),
});
const route = {
  steps: z.array(Step).optional(),
  onTimeout: OnTimeoutName.optional(),
  quorum: Quorum.optional(),
  notify: list(RoleName, 'role').optional(),
  editable: list(EditablePath, 'field').optional(),
};
const RuleName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a rule name; use letters, digits, - _ . (up to 64)`,
});
const Rule = strict({ name: RuleName, match: Match, tier: TierName, ...route });
const DefaultRule = strict({ tier: TierName, ...route });
const TierDefaults = strict({ onTimeout: OnTimeoutName.optional(), quorum: Quorum.optional() });
const PolicyFile = strict({
  version: z.string({ error: 'must be text; quote it, e.g. version: "2026-11-24.1"' }).trim().min(1, 'must not be empty'),
  currencies: z.array(Currency).min(1, 'must list at least one currency'),
  calendars: z.record(z.string(), CalendarDef).optional(),
  tiers: strict({
    low: strict({}, 'the low tier is approved automatically; it has no settings').optional(),
    medium: TierDefaults.optional(),
    high: TierDefaults.optional(),
    critical: TierDefaults.optional(),
  }).optional(),
  rules: z.array(Rule),
  default: DefaultRule,
});
type PolicyFile = z.infer<typeof PolicyFile>;
type RawRule = z.infer<typeof DefaultRule> & { name?: string; match?: z.infer<typeof Match> };

const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
const PersonEntry = strict({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a person id; use letters, digits and . _ @ + -`,
  }),
  name: z.string().trim().min(1, 'must not be empty'),
  email: z.string().regex(EMAIL, { error: (iss) => `${JSON.stringify(iss.input)} is not an email address` }),
  roles: z.array(RoleName),
});
const DirectoryFile = strict({ people: z.array(PersonEntry).min(1, 'must list at least one person') });

// ---------------------------------------------------------------------------------------------------------------
// Reading the files and reporting problems.

type Path = readonly PropertyKey[];

function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(seg))) out += out ? `.${String(seg)}` : String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(top level)';
}

/** `policy.yml: rules[1].tier: ...` -> `policy.yml: rules[1] (rule "refunds").tier: ...`: a person finds a rule by its name. */
function withRuleName(line: string, file: string, policyValue: unknown): string {
  const prefix = `${file}: rules[`;
  if (!line.startsWith(prefix) || !isMapping(policyValue) || !Array.isArray(policyValue.rules)) return line;
  const m = /^(\d+)\]/.exec(line.slice(prefix.length));
  const rule: unknown = m ? policyValue.rules[Number(m[1])] : undefined;
  const name = isMapping(rule) && typeof rule.name === 'string' ? rule.name : undefined;
  if (!m || name === undefined) return line;
  const end = prefix.length + m[0].length;
  return `${line.slice(0, end)} (rule ${JSON.stringify(name)})${line.slice(end)}`;
}

function describeValue(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

const EXPECTED: Record<string, string> = { object: 'a mapping', record: 'a mapping', array: 'a list', string: 'text', number: 'a number', boolean: 'true or false' };

function zodProblems(file: string, error: z.ZodError): string[] {
  const out: string[] = [];
  for (const iss of error.issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push(`${file}: ${formatPath([...iss.path, key])}: ${iss.message}`);
      continue;
    }
    let what = iss.message;
    if (iss.code === 'invalid_type' && iss.input === undefined) what = 'is required';
    else if (iss.code === 'invalid_type' && what.startsWith('Invalid input')) {
      what = `must be ${EXPECTED[iss.expected] ?? iss.expected}, not ${describeValue(iss.input)}`;
    }
    out.push(`${file}: ${formatPath(iss.path)}: ${what}`);
  }
  return out;
}

function checkShape<T extends z.ZodType>(schema: T, value: unknown, file: string, problems: string[]): z.infer<T> | undefined {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  problems.push(...zodProblems(file, parsed.error));
  return undefined;
}

function piece<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parts of a file that passed their own shape checks, so cross-checks still run on them when another part is broken. */
interface PolicyParts {
  version?: string;
  currencies?: string[];
  /** Every calendar the file defines, by name, where its definition could be read; undefined when `calendars` is not a mapping. */
  calendars?: Record<string, CalendarDef | undefined>;
  tiers?: PolicyFile['tiers'];
  rules: (z.infer<typeof Rule> | undefined)[];
  default?: z.infer<typeof DefaultRule>;
}

function salvagePolicy(raw: Record<string, unknown>): PolicyParts {
  const { shape } = PolicyFile;
  return {
    version: piece(shape.version, raw.version),
    currencies: piece(shape.currencies, raw.currencies),
    calendars:
      raw.calendars === undefined ? {} : isMapping(raw.calendars) ? Object.fromEntries(Object.entries(raw.calendars).map(([name, c]) => [name, piece(CalendarDef, c)])) : undefined,
    tiers: piece(shape.tiers, raw.tiers),
    rules: Array.isArray(raw.rules) ? raw.rules.map((r) => piece(Rule, r)) : [],
    default: piece(DefaultRule, raw.default),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The compiled policy.

interface Bounds {
  currency: string;
  min?: { cents: number; inclusive: boolean };
  max?: { cents: number; inclusive: boolean };
}

interface CompiledMatch {
  types?: string[];
  amount?: Bounds;
  hasAmount?: boolean;
  agents?: string[];
  targets?: { glob: string; re: RegExp }[];
  hasTarget?: boolean;
}

interface CompiledStep {
  roles: string[];
  people: Person[];
  sla: { ms: number; text: string; calendar?: string };
  remindAt: number[];
}

interface CompiledRule {
  name: string;
  tier: Tier;
  match: CompiledMatch;
  steps: CompiledStep[];
  onTimeout: OnTimeout;
  quorum: number;
  notify: Person[];
  editable: string[];
}

/** `*` and `?` stay within one path segment, `**` crosses them; case-insensitive so "Production/db" is still production. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob.charAt(i);
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 'i');
}

function inRange(cents: number, b: Bounds): boolean {
  if (b.min && (b.min.inclusive ? cents < b.min.cents : cents <= b.min.cents)) return false;
  if (b.max && (b.max.inclusive ? cents > b.max.cents : cents >= b.max.cents)) return false;
  return true;
}

function describeRange(b: Bounds): string {
  const parts: string[] = [];
  if (b.min) parts.push(`${b.min.inclusive ? 'at least' : 'over'} ${formatMoney(b.min.cents, b.currency)}`);
  if (b.max) parts.push(`${b.max.inclusive ? 'at most' : 'under'} ${formatMoney(b.max.cents, b.currency)}`);
  return parts.length > 0 ? parts.join(' and ') : `in ${b.currency}`;
}

function copyPerson(p: Person): Person {
  return { id: p.id, name: p.name, email: p.email, roles: [...p.roles] };
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A policy or directory file as read: its value, or undefined when it could not be read (its problems recorded). */
export type ReadFile = { value: unknown } | undefined;

/**
 * The policy from its files' values (read from YAML by policy-yaml.ts at the edges, or from the JSON
 * they compile to): validated, with every problem of both files in one PolicyError. The functions load
 * compiled JSON, so no YAML parser is bundled with them.
 */
export function compilePolicy(policyYaml: ReadFile, directoryYaml: ReadFile, files?: { policy: string; directory: string }, problems: string[] = []): Policy {
  const policyFile = files?.policy ?? 'policy.yml';
  const directoryFile = files?.directory ?? 'directory.yml';
  const full = policyYaml && checkShape(PolicyFile, policyYaml.value, policyFile, problems);
  const dir = directoryYaml && checkShape(DirectoryFile, directoryYaml.value, directoryFile, problems);
  // A shape problem does not hide the cross-reference problems of the parts that are fine.
  const raw: PolicyParts | undefined = full
    ? { ...full, calendars: full.calendars ?? {} }
    : policyYaml && isMapping(policyYaml.value)
      ? salvagePolicy(policyYaml.value)
      : undefined;
  const entries: unknown[] = directoryYaml && isMapping(directoryYaml.value) && Array.isArray(directoryYaml.value.people) ? directoryYaml.value.people : [];
  const personEntries = dir ? dir.people : entries.map((e) => piece(PersonEntry, e));
  /** Roles are checked against the directory only when every person in it could be read. */
  const rolesKnown = dir !== undefined;

  const at = (path: Path, what: string) => problems.push(`${policyFile}: ${formatPath(path)}: ${what}`);

  // The directory: unique ids and emails, people by role.
  const people: Person[] = [];
  const byRole = new Map<string, Person[]>();
  const seenIds = new Map<string, number>();
  const seenEmails = new Map<string, number>();
  personEntries.forEach((entry, i) => {
    if (!entry) return;
    const here = (key: string, what: string) => problems.push(`${directoryFile}: ${formatPath(['people', i, key])}: ${what}`);
    const firstId = seenIds.get(entry.id);
    if (firstId !== undefined) here('id', `duplicate person id "${entry.id}" (also people[${firstId}])`);
    else seenIds.set(entry.id, i);
    const email = entry.email.toLowerCase();
    const firstEmail = seenEmails.get(email);
    if (firstEmail !== undefined) here('email', `duplicate email "${entry.email}" (also people[${firstEmail}])`);
    else seenEmails.set(email, i);
    const person: Person = Object.freeze({ id: entry.id, name: entry.name, email: entry.email, roles: Object.freeze([...new Set(entry.roles)]) as string[] });
    people.push(person);
    for (const role of person.roles) byRole.set(role, [...(byRole.get(role) ?? []), person]);
  });
  if (!raw) throw new PolicyError(problems.map((line) => withRuleName(line, policyFile, policyYaml?.value)));

  const currencies = new Set<string>();
  const currenciesKnown = raw.currencies !== undefined;
  raw.currencies?.forEach((c, i) => {
    if (currencies.has(c)) at(['currencies', i], `"${c}" is listed twice`);
    currencies.add(c);
  });

  // Calendars: intervals that do not overlap, some working time in the week, each holiday once.
  const calendars = new Map<string, Calendar>();
  const calendarDefs = raw.calendars;
  for (const [name, def] of Object.entries(calendarDefs ?? {})) {
    const path = ['calendars', name];
    if (!CALENDAR_NAME.test(name)) at(path, `${JSON.stringify(name)} is not a calendar name; use letters, digits, - _ . (up to 64)`);
    if (!def) continue;
    const workingHours: Partial<Record<Weekday, WorkingInterval[]>> = {};
    for (const day of WEEKDAYS) {
      const listed = def.workingHours[day] ?? [];
      for (const o of overlappingIntervals(listed)) {
        at([...path, 'workingHours', day, o.index], `${formatWorkingInterval(o.interval)} overlaps ${formatWorkingInterval(o.overlaps)}`);
      }
      workingHours[day] = listed;
    }
    if (weeklyWorkingMinutes(WEEKDAYS.map((d) => workingHours[d] ?? [])) === 0) {
      at([...path, 'workingHours'], 'has no working time in the week; give at least one weekday its hours, e.g. mon: [09:00-18:00]');
    }
    const seen = new Set<string>();
    def.holidays?.forEach((date, i) => {
      if (seen.has(date)) at([...path, 'holidays', i], `"${date}" is listed twice`);
      seen.add(date);
    });
    calendars.set(name, makeCalendar(name, { timeZone: def.timeZone, workingHours, holidays: def.holidays ?? [] }));
  }

  function checkCalendar(name: string, sla: { ms: number; text: string }, stepPath: Path): void {
    const calendar = calendars.get(name);
    if (!calendar) {
      // Not when `calendars` could not be read, nor when only this calendar's definition is broken (reported already).
      if (!calendarDefs || Object.hasOwn(calendarDefs, name)) return;
      const defined = calendars.size > 0 ? `the policy defines ${[...calendars.keys()].join(', ')}` : 'the policy defines none';
      at([...stepPath, 'calendar'], `unknown calendar "${name}"; ${defined} (add it to calendars)`);
      return;
    }
    const weekly = weeklyWorkingMinutes(calendar.week);
    if (weekly > 0 && sla.ms > 52 * weekly * 60_000) {
      at(
        [...stepPath, 'sla'],
        `${sla.text} of working time on calendar "${name}" (${Math.round((weekly / 60) * 100) / 100}h a week) takes more than a year; with a calendar the SLA counts working time only`,
      );
    }
  }

  // Tier defaults: pattern is fixed by the tier; onTimeout and quorum may be set.
  const tiers = {
    low: { pattern: PATTERN.low, onTimeout: 'expire', quorum: 0 },
  } as Record<Tier, TierSettings>;
  for (const tier of ['medium', 'high', 'critical'] as const) {
    const set = raw.tiers?.[tier];
    if (set?.onTimeout) checkOnTimeout(tier, set.onTimeout, ['tiers', tier, 'onTimeout']);
    tiers[tier] = { pattern: PATTERN[tier], onTimeout: set?.onTimeout ?? BUILT_IN_TIERS[tier].onTimeout, quorum: set?.quorum ?? BUILT_IN_TIERS[tier].quorum };
  }

  function checkOnTimeout(tier: Tier, onTimeout: OnTimeout, path: Path): void {
    if (tier === 'critical' && onTimeout !== 'escalate') {
      at(path, `a critical review blocks until reviewed, so onTimeout must be escalate (it stays open and notifies again), not ${onTimeout}`);
    } else if (onTimeout === 'approve' && tier !== 'medium') {
      at(path, `approve is allowed only for medium (soft review); a ${tier} action must not go ahead because nobody answered`);
    }
  }

  function resolveRoles(roles: readonly string[], path: Path): Person[] {
    const found = new Set<Person>();
    roles.forEach((role, k) => {
      const holders = byRole.get(role);
      if (!holders && rolesKnown) at([...path, k], `role "${role}" resolves to nobody in ${directoryFile}`);
      for (const p of holders ?? []) found.add(p);
    });
    return people.filter((p) => found.has(p));
  }

  function compileMatch(m: z.infer<typeof Match>, path: Path): CompiledMatch {
    const out: CompiledMatch = {};
    if (m.type) out.types = [...new Set(m.type)];
    if (m.agent) out.agents = [...new Set(m.agent)];
    if (m.target) out.targets = m.target.map((glob) => ({ glob, re: globToRegExp(glob) }));
    if (m.hasTarget !== undefined) out.hasTarget = m.hasTarget;
    if (m.hasAmount !== undefined) out.hasAmount = m.hasAmount;
    if (m.hasTarget === false && m.target) at([...path, 'hasTarget'], 'hasTarget: false contradicts the target condition; the rule could never match');
    if (m.hasAmount === false && m.amount) at([...path, 'hasAmount'], 'hasAmount: false contradicts the amount condition; the rule could never match');
    const a = m.amount;
    if (a) {
      const ap = [...path, 'amount'];
      if (currenciesKnown && !currencies.has(a.currency)) {
        at([...ap, 'currency'], `unknown currency "${a.currency}"; the policy knows ${[...currencies].join(', ')} (add it to currencies)`);
      }
      if (a.gte !== undefined && a.gt !== undefined) at(ap, 'give one lower bound, gte or gt, not both');
      if (a.lte !== undefined && a.lt !== undefined) at(ap, 'give one upper bound, lte or lt, not both');
      const bounds: Bounds = { currency: a.currency };
      const min = a.gte ?? a.gt;
      const max = a.lte ?? a.lt;
      if (min !== undefined) bounds.min = { cents: min, inclusive: a.gte !== undefined };
      if (max !== undefined) bounds.max = { cents: max, inclusive: a.lte !== undefined };
      if (bounds.min && bounds.max) {
        const empty = bounds.min.cents > bounds.max.cents || (bounds.min.cents === bounds.max.cents && !(bounds.min.inclusive && bounds.max.inclusive));
        if (empty) {
          const lo = `${a.gte !== undefined ? 'gte' : 'gt'} ${formatMoney(bounds.min.cents, a.currency)}`;
          const hi = `${a.lte !== undefined ? 'lte' : 'lt'} ${formatMoney(bounds.max.cents, a.currency)}`;
          at(ap, `matches no amount: ${lo} and ${hi} leave nothing between them`);
        }
      }
      out.amount = bounds;
    }
    return out;
  }

  function compileRule(r: RawRule, path: Path, name: string, isDefault: boolean): CompiledRule {
    const { tier } = r;
    const match = r.match ? compileMatch(r.match, [...path, 'match']) : {};
    if (tier === 'low') {
      for (const key of ['steps', 'onTimeout', 'quorum', 'editable'] as const) {
        if (r[key] !== undefined) at([...path, key], `a low rule is approved automatically, so it takes no ${key}`);
      }
      if (isDefault) at([...path, 'tier'], 'the default rule must not be low: an action no rule knows would be approved automatically');
      else if (!match.types) {
        at([...path, 'match'], 'a low rule must name the action types it approves (match.type), so an unknown action type is never approved automatically');
      }
    } else if (!r.steps || r.steps.length === 0) {
      at(r.steps ? [...path, 'steps'] : path, `a ${tier} rule needs at least one approver step (steps)`);
    }
    if (r.onTimeout) checkOnTimeout(tier, r.onTimeout, [...path, 'onTimeout']);
    const onTimeout = r.onTimeout ?? tiers[tier].onTimeout;
    const quorum = tier === 'low' ? 0 : (r.quorum ?? tiers[tier].quorum);
    const steps = (tier === 'low' ? [] : (r.steps ?? [])).map((s, j): CompiledStep => {
      const stepPath = [...path, 'steps', j];
      const reached = resolveRoles(s.roles, [...stepPath, 'roles']);
      if (rolesKnown && reached.length > 0 && reached.length < quorum) {
        at(stepPath, `reaches ${plural(reached.length, 'person', 'distinct people')} (${reached.map((p) => p.id).join(', ')}) but the quorum is ${quorum}`);
      }
      const sla = { ms: parseDuration(s.sla) ?? 0, text: s.sla.trim(), ...(s.calendar ? { calendar: s.calendar } : {}) };
      if (s.calendar) checkCalendar(s.calendar, sla, stepPath);
      return { roles: [...new Set(s.roles)], people: reached, sla, remindAt: s.remindAt ?? [] };
    });
    const notify = r.notify ? resolveRoles(r.notify, [...path, 'notify']) : [];
    return { name, tier, match, steps, onTimeout, quorum, notify, editable: [...new Set(r.editable ?? [])] };
  }

  const ruleIndex = new Map<string, number>();
  const rules: CompiledRule[] = [];
  raw.rules.forEach((r, i) => {
    if (!r) return;
    if (r.name === 'default') at(['rules', i, 'name'], '"default" is the name of the default rule; choose another');
    const first = ruleIndex.get(r.name);
    if (first !== undefined) at(['rules', i, 'name'], `duplicate rule name "${r.name}" (also rules[${first}])`);
    else ruleIndex.set(r.name, i);
    rules.push(compileRule(r, ['rules', i], r.name, false));
  });
  const fallback = raw.default && compileRule(raw.default, ['default'], 'default', true);

  if (problems.length > 0 || !full || !fallback) throw new PolicyError(problems.map((line) => withRuleName(line, policyFile, policyYaml?.value)));
  return buildPolicy(full.version, rules, fallback, people, tiers, calendars);
}

interface Facts {
  type: unknown;
  agentId: string;
  target: string | undefined;
  amountPresent: boolean;
  /** Present only when the amount is exact, non-negative money. */
  amount?: { cents: number; currency: string };
}

function factsOf(action: Action, agentId: string): Facts {
  const raw = action.amount as { value?: unknown; currency?: unknown } | undefined;
  const cents = raw ? toMinorUnits(raw.value) : undefined;
  const currency = raw?.currency;
  return {
    type: action.type,
    agentId,
    target: typeof action.target === 'string' ? action.target : undefined,
    amountPresent: raw !== undefined && raw !== null,
    ...(cents !== undefined && typeof currency === 'string' ? { amount: { cents, currency } } : {}),
  };
}

/** The conditions a rule met, in words, or undefined when it does not match. */
function explainMatch(m: CompiledMatch, f: Facts): string[] | undefined {
  const why: string[] = [];
  if (m.types) {
    if (typeof f.type !== 'string' || !m.types.includes(f.type)) return undefined;
    why.push(`type is ${f.type}`);
  }
  if (m.hasAmount !== undefined) {
    if (f.amountPresent !== m.hasAmount) return undefined;
    why.push(m.hasAmount ? 'it has an amount' : 'it has no amount');
  }
  if (m.amount) {
    const a = f.amount;
    if (!a || a.currency !== m.amount.currency || !inRange(a.cents, m.amount)) return undefined;
    why.push(`amount ${formatMoney(a.cents, a.currency)} is ${describeRange(m.amount)}`);
  }
  if (m.agents) {
    if (!m.agents.includes(f.agentId)) return undefined;
    why.push(`agent is ${f.agentId}`);
  }
  if (m.hasTarget !== undefined) {
    if ((f.target !== undefined) !== m.hasTarget) return undefined;
    why.push(m.hasTarget ? 'it has a target' : 'it has no target');
  }
  if (m.targets) {
    const t = f.target;
    const hit = t === undefined ? undefined : m.targets.find((g) => g.re.test(t));
    if (!hit || t === undefined) return undefined;
    why.push(`target ${t} matches ${hit.glob}`);
  }
  return why;
}

/** Why no rule matched, for the default rule's reason. */
function explainMiss(rules: readonly CompiledRule[], f: Facts): string {
  const type = typeof f.type === 'string' ? f.type : String(f.type);
  const sameType = rules.filter((r) => r.match.types?.includes(type));
  if (sameType.length === 0) return `No rule covers action type "${type}"`;
  if (sameType.every((r) => r.match.amount)) {
    if (!f.amountPresent) return `No ${type} rule matches an action without an amount`;
    if (!f.amount) return `No ${type} rule matches an amount that is not exact money`;
    const currency = f.amount.currency;
    if (!sameType.some((r) => r.match.amount?.currency === currency)) return `No ${type} rule covers amounts in ${currency}`;
  }
  return `No ${type} rule matches this action`;
}

function buildPolicy(
  version: string,
  rules: CompiledRule[],
  fallback: CompiledRule,
  people: Person[],
  tiers: Record<Tier, TierSettings>,
  calendars: ReadonlyMap<string, Calendar>,
): Policy {
  /** The approver chain without the requester; a step left unable to reach the quorum is skipped. */
  function stepsFor(rule: CompiledRule, quorum: number, requestedBy: string): ReviewStep[] {
    return rule.steps
      .map((s) => ({
        roles: [...s.roles],
        approvers: s.people.filter((p) => !isRequester(p, requestedBy)).map(copyPerson),
        sla: { ...s.sla },
        ...(s.remindAt.length > 0 ? { remindAt: [...s.remindAt] } : {}),
      }))
      .filter((s) => s.approvers.length >= quorum);
  }

  function classify(action: Action, ctx: { agentId: string; requestedBy: string }): Classification {
    const facts = factsOf(action, ctx.agentId);
    let winner: { rule: CompiledRule; why: string[] } | undefined;
    let matched = 0;
    for (const rule of rules) {
      const why = explainMatch(rule.match, facts);
      if (!why) continue;
      matched++;
      // Highest tier wins; on a tie the first in the file keeps it.
      if (!winner || tierRank(rule.tier) > tierRank(winner.rule.tier)) winner = { rule, why };
    }

    let rule: CompiledRule;
    let reason: string;
    const tierText = (r: CompiledRule) => `tier ${r.tier}, ${PATTERN_TEXT[PATTERN[r.tier]]}`;
    if (winner && !(winner.rule.tier === 'low' && facts.amountPresent && !facts.amount)) {
      rule = winner.rule;
      const conditions = winner.why.length > 0 ? ` (${winner.why.join(', ')})` : ' to every action';
      const strictest = matched > 1 ? `, the strictest of ${matched} matching rules` : '';
      reason = `Rule "${rule.name}" applies${conditions}${strictest}: ${tierText(rule)}`;
    } else {
      rule = fallback;
      // Defensive: an amount that is not exact, non-negative money (the event schema refuses it) never rides a low rule.
      const why = winner ? `The amount of this action is not exact money, so rule "${winner.rule.name}" cannot approve it automatically` : explainMiss(rules, facts);
      reason = `${why}, so the default rule applies: ${tierText(rule)}`;
    }

    let steps = stepsFor(rule, rule.quorum, ctx.requestedBy);
    if (rule.steps.length > 0 && steps.length === 0) {
      // Every step needs the requester, who may not approve their own proposal: the default route reviews it.
      steps = stepsFor(fallback, rule.quorum, ctx.requestedBy);
      reason += '; its approvers cannot review their own request, so the default route does';
      if (steps.length === 0) {
        throw new PolicyError([`rule "${rule.name}": nobody but the requester ${ctx.requestedBy} can approve this action, not even on the default route`]);
      }
    }

    return {
      tier: rule.tier,
      pattern: PATTERN[rule.tier],
      rule: rule.name,
      reason: `${reason}.`,
      policyVersion: version,
      steps,
      onTimeout: rule.onTimeout,
      quorum: rule.quorum,
      notify: rule.notify.map(copyPerson),
      editable: [...rule.editable],
      calendars: calendarsOf(steps),
    };
  }

  function calendarsOf(steps: readonly ReviewStep[]): Readonly<Record<string, Calendar>> {
    const named = steps.flatMap((s) => (s.sla.calendar ? [s.sla.calendar] : []));
    return Object.freeze(Object.fromEntries(named.flatMap((name) => calendars.get(name) ?? []).map((c) => [c.name, c])));
  }

  const frozenTiers = Object.freeze(Object.fromEntries(TIERS.map((t) => [t, Object.freeze({ ...tiers[t] })]))) as Policy['tiers'];
  return {
    version,
    rules: Object.freeze([...rules.map((r) => r.name), fallback.name]),
    tiers: frozenTiers,
    classify,
    people: () => people.map(copyPerson),
    person: (idOrEmail) => {
      const p = people.find((q) => q.id === idOrEmail) ?? people.find((q) => q.email.toLowerCase() === idOrEmail.toLowerCase());
      return p ? copyPerson(p) : undefined;
    },
    calendar: (name) => calendars.get(name),
  };
}
