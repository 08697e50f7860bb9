// The policy and directory files' shapes (zod) and the wording of their problems: structure is checked
// here; cross-references (roles, currencies, quorum) in compile.ts, after both files parse.
import * as z from 'zod';
import { isLocalDate, isTimeZone, parseWorkingInterval } from '../calendar.ts';
import { parseDuration } from '../duration.ts';
import { toMinorUnits } from '../money.ts';
import { ACTION_TYPE } from '../../../events/index.ts';
import type { Problem, StandingScopeField as ScopeField } from './model.ts';

// ---------------------------------------------------------------------------------------------------------------
// File shapes (zod). Structure is checked here; cross-references (roles, currencies, quorum) after both files parse.

export function strict<S extends z.ZodRawShape>(shape: S, unknownKey?: string) {
  const expected = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === 'unrecognized_keys' ? (unknownKey ?? `unknown key; expected one of ${expected}`) : undefined,
  });
}

/** A list, or a single value standing for a list of one. */
export function list<T extends z.ZodType>(item: T, what: string) {
  return z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(item).min(1, `must list at least one ${what}`));
}

export const TierName = z.enum(['low', 'medium', 'high', 'critical'], {
  error: (iss) => `unknown tier ${JSON.stringify(iss.input)}; expected low, medium, high or critical`,
});
export const OnTimeoutName = z.enum(['escalate', 'expire', 'approve'], {
  error: (iss) => `unknown onTimeout ${JSON.stringify(iss.input)}; expected escalate, expire or approve`,
});
export const Quorum = z
  .number({ error: 'must be a whole number of approvals, at least 1' })
  .int({ error: 'must be a whole number of approvals, at least 1' })
  .min(1, 'must be a whole number of approvals, at least 1');
export const RoleName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a role name; use snake_case such as finance_director`,
});
export const Currency = z.string().regex(/^[A-Z]{3}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a currency; use an ISO 4217 code such as USD`,
});
export const ActionType = z.string().regex(ACTION_TYPE, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not an action type; use snake_case such as purchase_order, or mcp:<tool name>`,
});
export const Bound = z
  .union([z.number(), z.string()], { error: 'must be an amount such as 1000 or 999.99' })
  .transform((v, ctx) => {
    const cents = toMinorUnits(v);
    if (cents !== undefined) return cents;
    ctx.addIssue({
      code: 'custom',
      message: `${JSON.stringify(v)} is not an amount; write it like 1000 or 999.99 (not negative, at most two decimals)`,
    });
    return z.NEVER;
  });
export const Sla = z
  .string({ error: 'must be a duration such as 30m, 4h, 2d or 1h30m' })
  .refine((s) => parseDuration(s) !== undefined, {
    error: (iss) =>
      `${JSON.stringify(iss.input)} is not a duration; write e.g. 30m, 4h, 2d or 1h30m (more than zero, at most 365d)`,
  });
export const EditablePath = z
  .string()
  .regex(/^(summary|target|amount\.value|amount\.currency|payload(\.[A-Za-z0-9_-]+)*)$/, {
    error: (iss) =>
      iss.input === 'type' || iss.input === 'amount'
        ? `"${String(iss.input)}" cannot be editable: an edit must stay the same kind of action (amount.value and amount.currency can be)`
        : `${JSON.stringify(iss.input)} is not an editable field; use summary, target, amount.value, amount.currency, payload or payload.<field>`,
  });

export const WorkingIntervalText = z
  .string({ error: 'must be a working interval such as 09:00-18:00' })
  .transform((text, ctx) => {
    const interval = parseWorkingInterval(text);
    if (typeof interval !== 'string') return interval;
    ctx.addIssue({ code: 'custom', message: interval });
    return z.NEVER;
  });
/** One interval or a list of them; an empty list (like a day not listed) is closed. */
export const DayHours = z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(WorkingIntervalText));
export const Holiday = z.string({ error: 'must be a date such as 2026-12-24' }).refine(isLocalDate, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a date; write it as YYYY-MM-DD, e.g. 2026-12-24`,
});
export const CalendarDef = strict({
  timeZone: z.string({ error: 'must be an IANA time zone such as Europe/Berlin' }).refine(isTimeZone, {
    error: (iss) =>
      `unknown time zone ${JSON.stringify(iss.input)}; use an IANA name such as Europe/Berlin or America/New_York`,
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
export type CalendarDef = z.infer<typeof CalendarDef>;
export const CALENDAR_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const AmountMatch = strict({
  currency: Currency,
  gte: Bound.optional(),
  gt: Bound.optional(),
  lte: Bound.optional(),
  lt: Bound.optional(),
});
export const Match = strict({
  type: list(ActionType, 'action type').optional(),
  amount: AmountMatch.optional(),
  hasAmount: z.boolean({ error: 'must be true or false' }).optional(),
  agent: list(z.string().min(1, 'must not be empty'), 'agent id').optional(),
  target: list(z.string().min(1, 'must not be empty'), 'target pattern').optional(),
  hasTarget: z.boolean({ error: 'must be true or false' }).optional(),
});
export const PERCENT = 'must be a whole percentage of the SLA from 1 to 99, such as 50';
/** Reminders before the deadline, as percentages of the SLA: `[50, 90]`, or one number standing for a list of one. */
export const RemindAt = z
  .preprocess(
    (v) => (typeof v === 'number' ? [v] : v),
    z.array(z.number({ error: PERCENT }).int({ error: PERCENT }).min(1, PERCENT).max(99, PERCENT), {
      error: 'must be a list of percentages of the SLA, such as [50, 90]',
    }),
  )
  .superRefine((percentages, ctx) => {
    percentages.forEach((p, i) => {
      const before = percentages[i - 1];
      if (before === undefined || p > before) return;
      const what =
        p === before
          ? `${p} is listed twice`
          : `${p} comes after ${before}; list the percentages in ascending order, e.g. [50, 90]`;
      ctx.addIssue({ code: 'custom', path: [i], message: what });
    });
  });
/** Where a step's approvers are asked: by email (with its decision link), in Slack (with its buttons), or both. */
export const CHANNELS = ['email', 'slack'] as const;
export const ChannelName = z.enum(CHANNELS, {
  error: (iss) => `unknown channel ${JSON.stringify(iss.input)}; expected email or slack`,
});
/** A Slack conversation id: a public (C…) or private (G…) channel. */
export const SlackChannelId = z.string().regex(/^[CG][A-Z0-9]{2,31}$/, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a Slack channel id; use the id Slack shows in the channel's details, such as C0123ABCDEF`,
});
/** A Slack member id (U… or W… on Enterprise Grid). */
export const SlackUserId = z.string().regex(/^[UW][A-Z0-9]{2,31}$/, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a Slack member id; use the id in the person's Slack profile, such as U0123ABCDEF`,
});
export const Step = strict({
  roles: list(RoleName, 'role'),
  sla: Sla,
  calendar: z.string({ error: 'must be the name of a calendar' }).min(1, 'must be the name of a calendar').optional(),
  remindAt: RemindAt.optional(),
  channels: list(ChannelName, 'channel').optional(),
  slackChannel: SlackChannelId.optional(),
});
export const route = {
  steps: z.array(Step).optional(),
  onTimeout: OnTimeoutName.optional(),
  quorum: Quorum.optional(),
  notify: list(RoleName, 'role').optional(),
  editable: list(EditablePath, 'field').optional(),
};
/** The fields of an approved action a standing approval holds later proposals to. */
export const STANDING_SCOPE_FIELDS = ['type', 'target', 'agent', 'amount.lte'] as const satisfies readonly ScopeField[];
export const ScopeFieldName = z.enum(STANDING_SCOPE_FIELDS, {
  error: (iss) =>
    `unknown scope field ${JSON.stringify(iss.input)}; a standing approval's scope may hold ${STANDING_SCOPE_FIELDS.join(', ')}`,
});
/** A rule's standing approvals: who may grant one when they approve, for how long at most, and what it covers. */
export const Standing = strict({
  grantedBy: list(RoleName, 'role'),
  maxDuration: Sla,
  scope: list(ScopeFieldName, 'scope field'),
});
export const RuleName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, {
  error: (iss) => `${JSON.stringify(iss.input)} is not a rule name; use letters, digits, - _ . (up to 64)`,
});
export const Rule = strict({ name: RuleName, match: Match, tier: TierName, ...route, standing: Standing.optional() });
export const DefaultRule = strict({ tier: TierName, ...route });
/** A path into an MCP tool call's arguments: `total`, `order.vendor`. */
export const ArgumentPath = z.string().regex(/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/, {
  error: (iss) =>
    `${JSON.stringify(iss.input)} is not a path into the tool's arguments; write a name or dotted names such as order.total`,
});
/** How the MCP gate turns a call of one tool into an action; every key is optional. */
export const ToolMapping = strict({
  type: ActionType.optional(),
  summary: z.string({ error: 'must be text' }).trim().min(1, 'must not be empty').max(2000).optional(),
  amount: ArgumentPath.optional(),
  currency: Currency.optional(),
  target: ArgumentPath.optional(),
});
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
export const TierDefaults = strict({ onTimeout: OnTimeoutName.optional(), quorum: Quorum.optional() });
export const PolicyFile = strict({
  version: z
    .string({ error: 'must be text; quote it, e.g. version: "2026-11-24.1"' })
    .trim()
    .min(1, 'must not be empty'),
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
  tools: z.record(z.string(), ToolMapping).optional(),
});
export type PolicyFile = z.infer<typeof PolicyFile>;
export type RawRule = z.infer<typeof DefaultRule> & {
  name?: string;
  match?: z.infer<typeof Match>;
  standing?: z.infer<typeof Standing>;
};

export const EMAIL = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;
export const PersonEntry = strict({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a person id; use letters, digits and . _ @ + -`,
  }),
  name: z.string().trim().min(1, 'must not be empty'),
  email: z.string().regex(EMAIL, { error: (iss) => `${JSON.stringify(iss.input)} is not an email address` }),
  roles: z.array(RoleName),
  away: strict({
    from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time, e.g. 2026-12-14T00:00:00Z' }),
    to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date and time, e.g. 2026-12-18T23:59:59Z' }),
    delegate: z.string().min(1, 'must name the person id who reviews meanwhile'),
  }).optional(),
  slack: SlackUserId.optional(),
  timeZone: z
    .string({ error: 'must be an IANA time zone such as America/New_York' })
    .refine(isTimeZone, {
      error: (iss) =>
        `unknown time zone ${JSON.stringify(iss.input)}; use an IANA name such as Europe/Berlin or America/New_York`,
    })
    .optional(),
});
export const DirectoryFile = strict({ people: z.array(PersonEntry).min(1, 'must list at least one person') });

// ---------------------------------------------------------------------------------------------------------------
// Reading the files and reporting problems.

export type { Path } from './model.ts';
export { formatPath } from './model.ts';

/** Each problem in `file` under `rules[N]` gets that rule's name, so a person finds the rule by name. */
export function withRuleNames(problems: readonly Problem[], file: string, policyValue: unknown): Problem[] {
  const rules = isMapping(policyValue) && Array.isArray(policyValue.rules) ? policyValue.rules : [];
  return problems.map((p) => {
    const index = p.file === file && p.path?.[0] === 'rules' ? p.path[1] : undefined;
    const rule: unknown = typeof index === 'number' ? rules[index] : undefined;
    return isMapping(rule) && typeof rule.name === 'string' ? { ...p, rule: rule.name } : p;
  });
}

export function describeValue(v: unknown): string {
  if (v === null) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return JSON.stringify(v);
}

export const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
};

export function zodProblems(file: string, error: z.ZodError): Problem[] {
  const out: Problem[] = [];
  for (const iss of error.issues) {
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) out.push({ file, path: [...iss.path, key], message: iss.message });
      continue;
    }
    let what = iss.message;
    if (iss.code === 'invalid_type' && iss.input === undefined) what = 'is required';
    else if (iss.code === 'invalid_type' && what.startsWith('Invalid input')) {
      what = `must be ${EXPECTED[iss.expected] ?? iss.expected}, not ${describeValue(iss.input)}`;
    }
    out.push({ file, path: iss.path, message: what });
  }
  return out;
}

export function checkShape<T extends z.ZodType>(
  schema: T,
  value: unknown,
  file: string,
  problems: Problem[],
): z.infer<T> | undefined {
  const parsed = schema.safeParse(value, { reportInput: true });
  if (parsed.success) return parsed.data;
  problems.push(...zodProblems(file, parsed.error));
  return undefined;
}

export function piece<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> | undefined {
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

export function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parts of a file that passed their own shape checks, so cross-checks still run on them when another part is broken. */
export interface PolicyParts {
  version?: string;
  currencies?: string[];
  /** Every calendar the file defines, by name, where its definition could be read; undefined when `calendars` is not a mapping. */
  calendars?: Record<string, CalendarDef | undefined>;
  tiers?: PolicyFile['tiers'];
  rules: (z.infer<typeof Rule> | undefined)[];
  default?: z.infer<typeof DefaultRule>;
  tools?: Record<string, z.infer<typeof ToolMapping> | undefined>;
}

export function salvagePolicy(raw: Record<string, unknown>): PolicyParts {
  const { shape } = PolicyFile;
  return {
    version: piece(shape.version, raw.version),
    currencies: piece(shape.currencies, raw.currencies),
    calendars:
      raw.calendars === undefined
        ? {}
        : isMapping(raw.calendars)
          ? Object.fromEntries(Object.entries(raw.calendars).map(([name, c]) => [name, piece(CalendarDef, c)]))
          : undefined,
    tiers: piece(shape.tiers, raw.tiers),
    rules: Array.isArray(raw.rules) ? raw.rules.map((r) => piece(Rule, r)) : [],
    default: piece(DefaultRule, raw.default),
    tools: isMapping(raw.tools)
      ? Object.fromEntries(Object.entries(raw.tools).map(([name, t]) => [name, piece(ToolMapping, t)]))
      : undefined,
  };
}
