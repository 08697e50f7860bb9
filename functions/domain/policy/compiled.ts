// The compiled form of a policy's rules and steps, and the small helpers compiling and explaining share.
import type { Tier } from '../../../events/index.ts';
import type { Calendar } from '../calendar.ts';
import type { Channel, Directory, OnTimeout, Person, StandingScopeField, TierSettings, ToolMapping } from './model.ts';
import { formatMoney } from '../money.ts';

// ---------------------------------------------------------------------------------------------------------------
// The compiled policy.

export interface Bounds {
  currency: string;
  min?: { cents: number; inclusive: boolean };
  max?: { cents: number; inclusive: boolean };
}

export interface CompiledMatch {
  types?: string[];
  amount?: Bounds;
  hasAmount?: boolean;
  agents?: string[];
  targets?: { glob: string; re: RegExp }[];
  hasTarget?: boolean;
}

export interface CompiledStep {
  roles: string[];
  people: Person[];
  sla: { ms: number; text: string; calendar?: string };
  remindAt: number[];
  channels: Channel[];
  slackChannel?: string;
}

/** A rule's standing approvals, compiled: the roles (and people) who may grant one, its longest duration, its scope. */
export interface CompiledStanding {
  grantedBy: string[];
  people: Person[];
  maxDuration: { ms: number; text: string };
  scope: StandingScopeField[];
}

export interface CompiledRule {
  name: string;
  tier: Tier;
  match: CompiledMatch;
  steps: CompiledStep[];
  onTimeout: OnTimeout;
  quorum: number;
  notify: Person[];
  editable: string[];
  standing?: CompiledStanding;
}

/** A policy compiled and checked, before it is closed over by buildPolicy: what the policy tools analyse. */
export interface CompiledPolicy {
  version: string;
  /** In file order: rules[i] is the file's rules[i]. */
  rules: CompiledRule[];
  fallback: CompiledRule;
  directory: Directory;
  tiers: Record<Tier, TierSettings>;
  calendars: ReadonlyMap<string, Calendar>;
  /** The MCP gate's tool mappings (the policy's `tools:`). */
  tools?: Record<string, ToolMapping>;
}

/** `*` and `?` stay within one path segment, `**` crosses them; case-insensitive so "Production/db" is still production. */
export function globToRegExp(glob: string): RegExp {
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

export function inRange(cents: number, b: Bounds): boolean {
  if (b.min && (b.min.inclusive ? cents < b.min.cents : cents <= b.min.cents)) return false;
  if (b.max && (b.max.inclusive ? cents > b.max.cents : cents >= b.max.cents)) return false;
  return true;
}

export function describeRange(b: Bounds): string {
  const parts: string[] = [];
  if (b.min) parts.push(`${b.min.inclusive ? 'at least' : 'over'} ${formatMoney(b.min.cents, b.currency)}`);
  if (b.max) parts.push(`${b.max.inclusive ? 'at most' : 'under'} ${formatMoney(b.max.cents, b.currency)}`);
  return parts.length > 0 ? parts.join(' and ') : `in ${b.currency}`;
}

export function copyPerson(p: Person): Person {
  return {
    id: p.id,
    name: p.name,
    email: p.email,
    roles: [...p.roles],
    ...(p.timeZone ? { timeZone: p.timeZone } : {}),
    ...(p.slack ? { slack: p.slack } : {}),
    ...(p.away ? { away: { ...p.away } } : {}),
  };
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
