// From the files' values to a Policy: every problem of both files at once, or the compiled policy.
// Pure: it is given the values (policy-yaml.ts reads YAML at the edges) and never touches the disk.
import type * as z from 'zod';
import type { Tier } from '../../../events/index.ts';
import {
  WEEKDAYS,
  formatWorkingInterval,
  makeCalendar,
  overlappingIntervals,
  weeklyWorkingMinutes,
} from '../calendar.ts';
import type { Calendar, Weekday, WorkingInterval } from '../calendar.ts';
import { formatDuration, parseDuration } from '../duration.ts';
import { BUILT_IN_TIERS, MAX_STANDING_MS, PATTERN, PolicyError } from './model.ts';
import type { Channel, OnTimeout, Person, Policy, Problem, ReadFile, TierSettings, ToolMapping } from './model.ts';
import {
  CALENDAR_NAME,
  type Match,
  PolicyFile,
  TOOL_NAME,
  checkShape,
  isMapping,
  salvagePolicy,
  withRuleNames,
} from './schema.ts';
import type { Path, PolicyParts, RawRule } from './schema.ts';
import { globToRegExp, plural } from './compiled.ts';
import type {
  Bounds,
  CompiledMatch,
  CompiledPolicy,
  CompiledRule,
  CompiledStanding,
  CompiledStep,
} from './compiled.ts';
import { buildPolicy } from './classify.ts';
import { formatMoney } from '../money.ts';
import { compileDirectory } from './directory.ts';

export type { ReadFile } from './model.ts';

/**
 * The policy from its files' values (read from YAML by policy-yaml.ts at the edges, or from the JSON
 * they compile to): validated, with every problem of both files in one PolicyError. The functions load
 * compiled JSON, so no YAML parser is bundled with them.
 */
export function compilePolicy(
  policyYaml: ReadFile,
  directoryYaml: ReadFile,
  files?: { policy: string; directory: string },
  problems: Problem[] = [],
): Policy {
  return buildPolicy(compilePolicyParts(policyYaml, directoryYaml, files, problems));
}

/** The same checks, answering the compiled rules themselves: for the policy tools' analysis (analysis.ts, explain.ts). */
export function compilePolicyParts(
  policyYaml: ReadFile,
  directoryYaml: ReadFile,
  files?: { policy: string; directory: string },
  problems: Problem[] = [],
): CompiledPolicy {
  const policyFile = files?.policy ?? 'policy.yml';
  const directoryFile = files?.directory ?? 'directory.yml';
  const full = policyYaml && checkShape(PolicyFile, policyYaml.value, policyFile, problems);
  // A shape problem does not hide the cross-reference problems of the parts that are fine.
  const raw: PolicyParts | undefined = full
    ? { ...full, calendars: full.calendars ?? {} }
    : policyYaml && isMapping(policyYaml.value)
      ? salvagePolicy(policyYaml.value)
      : undefined;
  const directory = compileDirectory(directoryYaml, directoryFile, problems);
  /** Roles are checked against the directory only when every person in it could be read. */
  const rolesKnown = directory.complete;

  const at = (path: Path, what: string) => problems.push({ file: policyFile, path, message: what });
  const refuse = () => new PolicyError(withRuleNames(problems, policyFile, policyYaml?.value));

  if (!raw) throw refuse();

  const currencies = new Set<string>();
  const currenciesKnown = raw.currencies !== undefined;
  raw.currencies?.forEach((c, i) => {
    if (currencies.has(c)) at(['currencies', i], `"${c}" is listed twice`);
    currencies.add(c);
  });

  // MCP tool mappings: a name MCP allows, an amount with its currency, a currency the policy knows.
  const tools: Record<string, ToolMapping> = {};
  for (const [name, tool] of Object.entries(raw.tools ?? {})) {
    const path = ['tools', name];
    if (!TOOL_NAME.test(name))
      at(path, `${JSON.stringify(name)} is not an MCP tool name; use letters, digits, _ - . (up to 128)`);
    if (!tool) continue;
    if (tool.amount !== undefined && tool.currency === undefined)
      at([...path, 'currency'], 'is required with amount: say the currency of the amount, e.g. currency: USD');
    if (tool.currency !== undefined && tool.amount === undefined)
      at([...path, 'amount'], 'is required with currency: name the argument that holds the amount, e.g. amount: total');
    if (tool.currency !== undefined && currenciesKnown && !currencies.has(tool.currency))
      at(
        [...path, 'currency'],
        `unknown currency "${tool.currency}"; the policy knows ${[...currencies].join(', ')} (add it to currencies)`,
      );
    tools[name] = { ...tool };
  }

  // Calendars: intervals that do not overlap, some working time in the week, each holiday once.
  const calendars = new Map<string, Calendar>();
  const calendarDefs = raw.calendars;
  for (const [name, def] of Object.entries(calendarDefs ?? {})) {
    const path = ['calendars', name];
    if (!CALENDAR_NAME.test(name))
      at(path, `${JSON.stringify(name)} is not a calendar name; use letters, digits, - _ . (up to 64)`);
    if (!def) continue;
    const workingHours: Partial<Record<Weekday, WorkingInterval[]>> = {};
    for (const day of WEEKDAYS) {
      const listed = def.workingHours[day] ?? [];
      for (const o of overlappingIntervals(listed)) {
        at(
          [...path, 'workingHours', day, o.index],
          `${formatWorkingInterval(o.interval)} overlaps ${formatWorkingInterval(o.overlaps)}`,
        );
      }
      workingHours[day] = listed;
    }
    if (weeklyWorkingMinutes(WEEKDAYS.map((d) => workingHours[d] ?? [])) === 0) {
      at(
        [...path, 'workingHours'],
        'has no working time in the week; give at least one weekday its hours, e.g. mon: [09:00-18:00]',
      );
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
      const defined =
        calendars.size > 0 ? `the policy defines ${[...calendars.keys()].join(', ')}` : 'the policy defines none';
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
    tiers[tier] = {
      pattern: PATTERN[tier],
      onTimeout: set?.onTimeout ?? BUILT_IN_TIERS[tier].onTimeout,
      quorum: set?.quorum ?? BUILT_IN_TIERS[tier].quorum,
    };
  }

  function checkOnTimeout(tier: Tier, onTimeout: OnTimeout, path: Path): void {
    if (tier === 'critical' && onTimeout !== 'escalate') {
      at(
        path,
        `a critical review blocks until reviewed, so onTimeout must be escalate (it stays open and notifies again), not ${onTimeout}`,
      );
    } else if (onTimeout === 'approve' && tier !== 'medium') {
      at(
        path,
        `approve is allowed only for medium (soft review); a ${tier} action must not go ahead because nobody answered`,
      );
    }
  }

  function resolveRoles(roles: readonly string[], path: Path): Person[] {
    const found = new Set<Person>();
    roles.forEach((role, k) => {
      const holders = directory.withRole(role);
      if (!holders && rolesKnown) at([...path, k], `role "${role}" resolves to nobody in ${directoryFile}`);
      for (const p of holders ?? []) found.add(p);
    });
    return directory.people().filter((p) => [...found].some((f) => f.id === p.id));
  }

  function compileMatch(m: z.infer<typeof Match>, path: Path): CompiledMatch {
    const out: CompiledMatch = {};
    if (m.type) out.types = [...new Set(m.type)];
    if (m.agent) out.agents = [...new Set(m.agent)];
    if (m.target) out.targets = m.target.map((glob) => ({ glob, re: globToRegExp(glob) }));
    if (m.hasTarget !== undefined) out.hasTarget = m.hasTarget;
    if (m.hasAmount !== undefined) out.hasAmount = m.hasAmount;
    if (m.hasTarget === false && m.target)
      at([...path, 'hasTarget'], 'hasTarget: false contradicts the target condition; the rule could never match');
    if (m.hasAmount === false && m.amount)
      at([...path, 'hasAmount'], 'hasAmount: false contradicts the amount condition; the rule could never match');
    const a = m.amount;
    if (a) {
      const ap = [...path, 'amount'];
      if (currenciesKnown && !currencies.has(a.currency)) {
        at(
          [...ap, 'currency'],
          `unknown currency "${a.currency}"; the policy knows ${[...currencies].join(', ')} (add it to currencies)`,
        );
      }
      if (a.gte !== undefined && a.gt !== undefined) at(ap, 'give one lower bound, gte or gt, not both');
      if (a.lte !== undefined && a.lt !== undefined) at(ap, 'give one upper bound, lte or lt, not both');
      const bounds: Bounds = { currency: a.currency };
      const min = a.gte ?? a.gt;
      const max = a.lte ?? a.lt;
      if (min !== undefined) bounds.min = { cents: min, inclusive: a.gte !== undefined };
      if (max !== undefined) bounds.max = { cents: max, inclusive: a.lte !== undefined };
      if (bounds.min && bounds.max) {
        const empty =
          bounds.min.cents > bounds.max.cents ||
          (bounds.min.cents === bounds.max.cents && !(bounds.min.inclusive && bounds.max.inclusive));
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
      if (isDefault)
        at(
          [...path, 'tier'],
          'the default rule must not be low: an action no rule knows would be approved automatically',
        );
      else if (!match.types) {
        at(
          [...path, 'match'],
          'a low rule must name the action types it approves (match.type), so an unknown action type is never approved automatically',
        );
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
        at(
          stepPath,
          `reaches ${plural(reached.length, 'person', 'distinct people')} (${reached.map((p) => p.id).join(', ')}) but the quorum is ${quorum}`,
        );
      }
      const sla = {
        ms: parseDuration(s.sla) ?? 0,
        text: s.sla.trim(),
        ...(s.calendar ? { calendar: s.calendar } : {}),
      };
      if (s.calendar) checkCalendar(s.calendar, sla, stepPath);
      const channels = [...new Set<Channel>(s.channels ?? ['email'])];
      if (s.slackChannel && !channels.includes('slack'))
        at([...stepPath, 'slackChannel'], "names a Slack channel, but the step's channels do not include slack");
      return {
        roles: [...new Set(s.roles)],
        people: reached,
        sla,
        remindAt: s.remindAt ?? [],
        channels,
        ...(s.slackChannel ? { slackChannel: s.slackChannel } : {}),
      };
    });
    const notify = r.notify ? resolveRoles(r.notify, [...path, 'notify']) : [];
    const standing = r.standing ? compileStanding(r.standing, [...path, 'standing'], tier, quorum, steps) : undefined;
    return {
      name,
      tier,
      match,
      steps,
      onTimeout,
      quorum,
      notify,
      editable: [...new Set(r.editable ?? [])],
      ...(standing ? { standing } : {}),
    };
  }

  /** A standing approval is one person's, for a short time, within their authority, never for critical. */
  function compileStanding(
    s: NonNullable<RawRule['standing']>,
    path: Path,
    tier: Tier,
    quorum: number,
    steps: readonly CompiledStep[],
  ): CompiledStanding | undefined {
    if (tier === 'critical') {
      at(path, 'a critical action is never approved by a standing approval: each one waits for its own reviewers');
      return undefined;
    }
    if (tier === 'low') {
      at(path, 'a low rule is approved automatically, so it takes no standing approvals');
      return undefined;
    }
    if (quorum > 1)
      at(path, `a standing approval is one person's, but this rule needs ${quorum} approvals; give it quorum 1`);
    const maxMs = parseDuration(s.maxDuration) ?? 0;
    if (maxMs > MAX_STANDING_MS)
      at(
        [...path, 'maxDuration'],
        `${s.maxDuration.trim()} is too long for a standing approval; at most ${formatDuration(MAX_STANDING_MS)}`,
      );
    if (!s.scope.includes('type'))
      at([...path, 'scope'], 'must include type: a standing approval covers one type of action');
    const scope = [...new Set(s.scope)];
    const people = resolveRoles(s.grantedBy, [...path, 'grantedBy']);
    const onSteps = new Set(steps.flatMap((st) => st.people.map((p) => p.id)));
    s.grantedBy.forEach((role, k) => {
      const holders = directory.withRole(role) ?? [];
      if (holders.length > 0 && !holders.some((p) => onSteps.has(p.id)))
        at(
          [...path, 'grantedBy', k],
          `role "${role}" approves none of this rule's steps; only someone who could approve its proposals may grant a standing approval`,
        );
    });
    return {
      grantedBy: [...new Set(s.grantedBy)],
      people,
      maxDuration: { ms: maxMs, text: s.maxDuration.trim() },
      scope,
    };
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

  if (problems.length > 0 || !full || !fallback) throw refuse();
  return { version: full.version, rules, fallback, directory, tiers, calendars, tools };
}
