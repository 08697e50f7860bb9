// Classifying an action by the compiled rules, and explaining why a rule matched or none did.
import type { Action } from '../../../events/index.ts';
import type { Calendar } from '../calendar.ts';
import { isRequester } from '../people.ts';
import { formatMoney, toMinorUnits } from '../money.ts';
import { PATTERN, PATTERN_TEXT, PolicyError, TIERS, tierRank } from './model.ts';
import type { Classification, ClassifyContext, Person, Policy, ReviewStep } from './model.ts';
import { copyPerson, describeRange, inRange } from './compiled.ts';
import type { CompiledMatch, CompiledPolicy, CompiledRule, CompiledStep } from './compiled.ts';

export interface Facts {
  type: unknown;
  agentId: string;
  target: string | undefined;
  amountPresent: boolean;
  /** Present only when the amount is exact, non-negative money. */
  amount?: { cents: number; currency: string };
}

export function factsOf(action: Action, agentId: string): Facts {
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
export function explainMatch(m: CompiledMatch, f: Facts): string[] | undefined {
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
export function explainMiss(rules: readonly CompiledRule[], f: Facts): string {
  const type = typeof f.type === 'string' ? f.type : String(f.type);
  const sameType = rules.filter((r) => r.match.types?.includes(type));
  if (sameType.length === 0) return `No rule covers action type "${type}"`;
  if (sameType.every((r) => r.match.amount)) {
    if (!f.amountPresent) return `No ${type} rule matches an action without an amount`;
    if (!f.amount) return `No ${type} rule matches an amount that is not exact money`;
    const currency = f.amount.currency;
    if (!sameType.some((r) => r.match.amount?.currency === currency))
      return `No ${type} rule covers amounts in ${currency}`;
  }
  return `No ${type} rule matches this action`;
}

/** One step of a route for a requester: who it reaches, who of them is left out as the requester, and whether it is skipped. */
export interface StepFor {
  step: CompiledStep;
  approvers: Person[];
  leftOut: Person[];
  /** Without the requester it can no longer reach the quorum, so the review passes it by. */
  skipped: boolean;
}

/**
 * The route a rule gives a requester's proposal, before absences: its own steps without the requester (a step left
 * unable to reach the quorum is skipped), or the default route's when every step needs the requester. For the
 * policy tools (explain.ts), which show who is left out; classify resolves the approvers, delegates included.
 */
export function routeFor(
  rule: CompiledRule,
  fallback: CompiledRule,
  requestedBy: string,
): { byDefaultRoute: boolean; steps: StepFor[] } {
  const stepsOf = (r: CompiledRule) =>
    r.steps.map((step): StepFor => {
      const approvers = step.people.filter((p) => !isRequester(p, requestedBy));
      const leftOut = step.people.filter((p) => isRequester(p, requestedBy));
      return { step, approvers, leftOut, skipped: approvers.length < rule.quorum };
    });
  const own = stepsOf(rule);
  if (own.length === 0 || own.some((s) => !s.skipped)) return { byDefaultRoute: false, steps: own };
  return { byDefaultRoute: true, steps: stepsOf(fallback) };
}

export function buildPolicy({
  version,
  rules,
  fallback,
  directory,
  tiers,
  calendars,
  tools = {},
}: CompiledPolicy): Policy {
  /**
   * The approver chain without the requester, each person away at `at` replaced by their delegate where the
   * delegate may stand in (standsIn); a step left unable to reach the quorum is skipped.
   */
  function stepsFor(rule: CompiledRule, quorum: number, ctx: ClassifyContext, type: string): ReviewStep[] {
    return rule.steps
      .map((s) => ({
        roles: [...s.roles],
        approvers: uniqueById(
          s.people
            .filter((p) => !isRequester(p, ctx.requestedBy))
            .map((p) => {
              const delegate = ctx.at ? directory.standIn(p.id, ctx.at) : undefined;
              if (!delegate || !p.away || isRequester(delegate, ctx.requestedBy) || !standsIn(delegate, rule, type))
                return copyPerson(p);
              const { away: _away, ...person } = delegate;
              return { ...person, onBehalfOf: { id: p.id, name: p.name, until: p.away.to } };
            }),
        ),
        sla: { ...s.sla },
        ...(s.remindAt.length > 0 ? { remindAt: [...s.remindAt] } : {}),
        // Email only is the default, left unsaid on the review.
        ...(s.channels.includes('slack') ? { channels: [...s.channels] } : {}),
        ...(s.slackChannel ? { slackChannel: s.slackChannel } : {}),
      }))
      .filter((s) => s.approvers.length >= quorum);
  }

  /**
   * A delegate stands in only within their own authority: they sit, in their own right, on a step of some rule
   * for this type of action at this tier or above. Otherwise the person away keeps their place.
   */
  function standsIn(delegate: Person, rule: CompiledRule, type: string): boolean {
    return [...rules, fallback].some(
      (r) =>
        tierRank(r.tier) >= tierRank(rule.tier) &&
        (!r.match.types || r.match.types.includes(type)) &&
        r.steps.some((s) => s.people.some((p) => p.id === delegate.id)),
    );
  }

  function classify(action: Action, ctx: ClassifyContext): Classification {
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
      const why = winner
        ? `The amount of this action is not exact money, so rule "${winner.rule.name}" cannot approve it automatically`
        : explainMiss(rules, facts);
      reason = `${why}, so the default rule applies: ${tierText(rule)}`;
    }

    let steps = stepsFor(rule, rule.quorum, ctx, action.type);
    if (rule.steps.length > 0 && steps.length === 0) {
      // Every step needs the requester, who may not approve their own proposal: the default route reviews it.
      steps = stepsFor(fallback, rule.quorum, ctx, action.type);
      reason += '; its approvers cannot review their own request, so the default route does';
      if (steps.length === 0) {
        throw new PolicyError([
          `rule "${rule.name}": nobody but the requester ${ctx.requestedBy} can approve this action, not even on the default route`,
        ]);
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
      ...(rule.standing
        ? {
            standing: {
              grantedBy: [...rule.standing.grantedBy],
              grantors: rule.standing.people.map((p) => p.id),
              maxDuration: { ...rule.standing.maxDuration },
              scope: [...rule.standing.scope],
            },
          }
        : {}),
      calendars: calendarsOf(steps),
    };
  }

  function calendarsOf(steps: readonly ReviewStep[]): Readonly<Record<string, Calendar>> {
    const named = steps.flatMap((s) => (s.sla.calendar ? [s.sla.calendar] : []));
    return Object.freeze(
      Object.fromEntries(named.flatMap((name) => calendars.get(name) ?? []).map((c) => [c.name, c])),
    );
  }

  const frozenTiers = Object.freeze(
    Object.fromEntries(TIERS.map((t) => [t, Object.freeze({ ...tiers[t] })])),
  ) as Policy['tiers'];
  return {
    version,
    rules: Object.freeze([...rules.map((r) => r.name), fallback.name]),
    tiers: frozenTiers,
    classify,
    directory,
    calendar: (name) => calendars.get(name),
    tools: Object.freeze(Object.fromEntries(Object.entries(tools).map(([name, t]) => [name, Object.freeze({ ...t })]))),
  };
}

/** Each person once: a delegate who is also on the step in their own right keeps their own place. */
function uniqueById<P extends { id: string; onBehalfOf?: unknown }>(people: P[]): P[] {
  const own = new Set(people.filter((p) => !p.onBehalfOf).map((p) => p.id));
  const seen = new Set<string>();
  return people.filter((p) => {
    if ((p.onBehalfOf && own.has(p.id)) || seen.has(p.id)) return false;
    seen.add(p.id);
    return true;
  });
}
