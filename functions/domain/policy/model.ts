// The risk policy's model: what a classification says, the tiers and their patterns, the policy's errors.
// The file format is documented at the top of policy/default.yml.
import type { Action, Tier } from '../../../events/index.ts';
import type { Calendar } from '../calendar.ts';

export type ReviewPattern = 'auto' | 'soft_review' | 'hard_gate' | 'block_until_reviewed';
/** What happens when the last step's SLA passes: stay open and re-notify, reject, or (soft review only) approve. */
export type OnTimeout = 'escalate' | 'expire' | 'approve';

export interface Person {
  id: string;
  name: string;
  email: string;
  roles: string[];
  /** Out of office from `from` to `to` (ISO 8601), with the person who reviews on their behalf meanwhile. */
  away?: Away;
  /** IANA zone the person reads times in (pages, emails); absent: the step's calendar's, else UTC. */
  timeZone?: string;
  /** Their Slack member id: Slack messages reach them there, and their clicks in Slack are theirs. */
  slack?: string;
}

/** Where a step's approvers are asked. */
export type Channel = 'email' | 'slack';

export interface ClassifyContext {
  agentId: string;
  requestedBy: string;
  at?: Date;
}

/** The person a delegate reviews for, and until when they are away. */
export interface StandIn {
  id: string;
  name: string;
  until: string;
}

export interface Away {
  from: string;
  to: string;
  /** The person id of the delegate. */
  delegate: string;
}

/** A policy or directory file as read: its value, or undefined when it could not be read. */
export type ReadFile = { value: unknown } | undefined;

/** The people directory: who exists, their emails and roles (compiled by policy/directory.ts). */
export interface Directory {
  /** Everyone, in file order. */
  people(): Person[];
  /** A person by id, or by an id or email that cannot be told apart from theirs (identityKey). */
  person(idOrEmail: string): Person | undefined;
  /** The person with this Slack member id (none: undefined). */
  bySlack(slackUserId: string): Person | undefined;
  /** The people holding a role, in file order (none: undefined). */
  withRole(role: string): readonly Person[] | undefined;
  /** The delegate reviewing for person `id` at `at`, while they are away (not away, or no delegate: undefined). */
  standIn(id: string, at: Date): Person | undefined;
  /** Whether every entry could be read, so a role nobody holds is a problem of the policy. */
  readonly complete: boolean;
}

export interface ReviewStep {
  roles: string[];
  /** Who reviews: the step's people but the requester; a delegate in the place of one who is away. */
  approvers: (Person & { onBehalfOf?: StandIn })[];
  sla: { ms: number; text: string; calendar?: string };
  /** Percentages of the SLA (ascending, 1-99) at which the sweeper reminds the step's approvers; absent: no reminders. */
  remindAt?: number[];
  /** Where the approvers are asked; absent: by email only. */
  channels?: Channel[];
  /** The Slack channel the step's message goes to; absent: a direct message to each approver with a Slack id. */
  slackChannel?: string;
}

/** The fields of an approved action a standing approval holds later proposals to (policy `standing.scope`). */
export type StandingScopeField = 'type' | 'target' | 'agent' | 'amount.lte';
/** A standing approval lasts a short time: a rule's maxDuration may not exceed this. */
export const MAX_STANDING_MS = 24 * 3_600_000;

/** What a rule allows of standing approvals, as a classification carries it to the review. */
export interface StandingAllowed {
  grantedBy: string[];
  /** The person ids holding those roles when the proposal was classified. */
  grantors: string[];
  maxDuration: { ms: number; text: string };
  scope: StandingScopeField[];
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
  /** The winning rule's standing approvals, when it allows them. */
  standing?: StandingAllowed;
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
  /** `at`: when the route is resolved (absences apply then); without it, nobody is away. */
  classify(action: Action, ctx: ClassifyContext): Classification;
  /** The people directory the routes were resolved against (policy/directory.ts). */
  directory: Directory;
  /** A business-hours calendar by name, for deadlineFor (calendar.ts). */
  calendar(name: string): Calendar | undefined;
  /** How the MCP gate turns a call of each named tool into an action (the policy's `tools`); none: the defaults. */
  tools: Readonly<Record<string, Readonly<ToolMapping>>>;
}

/** The policy's mapping of one MCP tool: action type, summary, and the arguments holding the amount and target. */
export interface ToolMapping {
  type?: string;
  summary?: string;
  /** Path into the arguments of the amount's value, in `currency`. */
  amount?: string;
  currency?: string;
  /** Path into the arguments of the action's target. */
  target?: string;
}

/** A path into a policy or directory file's value: `['rules', 1, 'tier']`. */
export type Path = readonly PropertyKey[];

/**
 * One problem of a policy, directory or cases file: where it is (a path into the value, and the line and
 * column in the text once the YAML reader located it) and what is wrong.
 */
export interface Problem {
  file?: string;
  path?: Path;
  /** The name of the rule the path is in (`rules[N]`), so a person finds it by name. */
  rule?: string;
  line?: number;
  column?: number;
  message: string;
}

/** `['rules', 1, 'tier']` -> `rules[1].tier`; a key that is not a plain name is quoted. */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(String(seg))) out += out ? `.${String(seg)}` : String(seg);
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out || '(top level)';
}

/** `rules[1] (rule "po").tier`: the path, with the rule's name after its index. */
export function pathText(p: Problem): string | undefined {
  if (!p.path) return undefined;
  const text = formatPath(p.path);
  if (p.rule === undefined || p.path[0] !== 'rules' || typeof p.path[1] !== 'number') return text;
  const head = formatPath(p.path.slice(0, 2));
  return `${head} (rule ${JSON.stringify(p.rule)})${text.slice(head.length)}`;
}

/** `<file>: <path>: <what is wrong>` (a YAML syntax error: `<file>: line L, column C: <what>`). */
export function formatProblem(p: Problem): string {
  const where = pathText(p) ?? (p.line !== undefined ? `line ${p.line}, column ${p.column ?? 1}` : undefined);
  return [p.file, where, p.message].filter((part) => part !== undefined).join(': ');
}

/** `<file>:<line>:<column>: <path>: <what is wrong>`, as compilers print it (editors open the place); unlocated: formatProblem. */
export function formatLocated(p: Problem): string {
  if (p.line === undefined || p.file === undefined) return formatProblem(p);
  const path = pathText(p);
  return `${p.file}:${p.line}:${p.column ?? 1}: ${path === undefined ? '' : `${path}: `}${p.message}`;
}

/**
 * Every problem of a policy or directory file. `problems` has one line per problem,
 * `<file>: <path>: <what is wrong>`; the message has them with their line and column where known.
 */
export class PolicyError extends Error {
  readonly problems: readonly string[];
  readonly details: readonly Problem[];
  constructor(problems: readonly (string | Problem)[]) {
    const details = problems.map((p) => (typeof p === 'string' ? { message: p } : p));
    super(details.map(formatLocated).join('\n'));
    this.name = 'PolicyError';
    this.details = details;
    this.problems = details.map(formatProblem);
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
export const PATTERN_TEXT: Record<ReviewPattern, string> = {
  auto: 'approved automatically',
  soft_review: 'soft review',
  hard_gate: 'hard gate',
  block_until_reviewed: 'blocked until reviewed',
};
/** Used where the policy's `tiers` section says nothing; critical needs two people by default. */
export const BUILT_IN_TIERS: Record<Exclude<Tier, 'low'>, { onTimeout: OnTimeout; quorum: number }> = {
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
