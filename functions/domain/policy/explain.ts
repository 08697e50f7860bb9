// What the policy does with one proposal, in full: the tier, the rule that wins and every rule that matches,
// the route with its people (and who is left out as the requester), each step's deadline from a given time,
// and what happens when the last one passes. For `hitl-gate policy explain`; the review itself is opened by
// review.ts from the same classification.
import type { ActionProposed, Tier } from '../../../events/index.ts';
import { deadlineFor } from '../calendar.ts';
import { reminderSchedule } from '../reminders.ts';
import { buildPolicy, explainMatch, factsOf, routeFor } from './classify.ts';
import type { CompiledPolicy } from './compiled.ts';
import type { GrantScope } from '../model.ts';
import { names } from '../people.ts';
import { describeScope, scopeOf } from '../standing.ts';
import type { Classification, OnTimeout, Person, ReviewPattern, ReviewStep, StandIn } from './model.ts';

export interface MatchingRule {
  rule: string;
  tier: Tier;
  /** The conditions it met, in words; empty for a rule that matches every action. */
  because: string[];
  wins: boolean;
}

export interface ExplainedStep {
  /** 1-based, as the review's history counts them. */
  step: number;
  roles: string[];
  sla: string;
  calendar?: string;
  /** Who reviews the step; a delegate says whom they stand in for, away until when. */
  approvers: (Pick<Person, 'id' | 'name' | 'email'> & { onBehalfOf?: StandIn })[];
  /** People the step reaches who are the requester, so never asked. */
  leftOut: string[];
  /** Without the requester the step cannot reach the quorum, so the review passes it by. */
  skipped: boolean;
  /** When the step starts and falls due, if the review is not decided before (ISO 8601); absent for a skipped step. */
  starts?: string;
  due?: string;
  reminders?: { percent: number; at: string }[];
}

export interface Explanation {
  proposal: { proposalId: string; agentId: string; requestedBy: string; type: string; summary: string };
  policyVersion: string;
  tier: Tier;
  pattern: ReviewPattern;
  rule: string;
  reason: string;
  matching: MatchingRule[];
  route: { from: string; byDefaultRoute: boolean; quorum: number; steps: ExplainedStep[] };
  /** What happens when the last step's deadline (`at`, of step `afterStep`) passes with no decision. */
  onTimeout: { setting: OnTimeout; at?: string; afterStep?: number; what: string };
  notify: string[];
  editable: string[];
  /**
   * What an approval of this proposal may also allow (the winning rule's `standing`): who may grant it (the
   * requester left out), for how long at most, and the scope it would hold later proposals to.
   */
  standing?: { grantedBy: string[]; grantors: string[]; maxDuration: string; scope: GrantScope; describe: string };
  now: string;
}

/** The explanation of `proposal` under the compiled policy, its deadlines counted from `now`. */
export function explainProposal(c: CompiledPolicy, proposal: ActionProposed, now: Date): Explanation {
  const policy = buildPolicy(c);
  // Absences apply at `now`: a delegate stands in for a person away then, as when the review opens.
  const classification = policy.classify(proposal.action, { ...proposal, at: now });
  const facts = factsOf(proposal.action, proposal.agentId);
  const matching = c.rules.flatMap((r): MatchingRule[] => {
    const because = explainMatch(r.match, facts);
    return because ? [{ rule: r.name, tier: r.tier, because, wins: r.name === classification.rule }] : [];
  });
  const winner = c.rules.find((r) => r.name === classification.rule) ?? c.fallback;
  const route = routeFor(winner, c.fallback, proposal.requestedBy);

  let start = now;
  // The steps classify kept are the route's steps that are not skipped, in order, with their delegates.
  const kept = [...classification.steps];
  const steps = route.steps.map((s, i): ExplainedStep => {
    const resolved = s.skipped ? undefined : kept.shift();
    const people: ReviewStep['approvers'] = resolved?.approvers ?? s.approvers;
    const base: ExplainedStep = {
      step: i + 1,
      roles: [...s.step.roles],
      sla: s.step.sla.text,
      ...(s.step.sla.calendar ? { calendar: s.step.sla.calendar } : {}),
      approvers: people.map(({ id, name, email, onBehalfOf }) => ({
        id,
        name,
        email,
        ...(onBehalfOf ? { onBehalfOf: { ...onBehalfOf } } : {}),
      })),
      leftOut: s.leftOut.map((p) => p.id),
      skipped: s.skipped,
    };
    if (s.skipped || classification.pattern === 'auto') return base;
    const clock = (from: Date, sla: { ms: number; calendar?: string }) => deadlineFor(from, sla, policy);
    const due = clock(start, s.step.sla);
    const reminders = reminderSchedule(
      { roles: s.step.roles, approvers: [], sla: s.step.sla, remindAt: s.step.remindAt },
      start,
      clock,
    );
    const explained = {
      ...base,
      starts: start.toISOString(),
      due: due.toISOString(),
      ...(reminders.length ? { reminders } : {}),
    };
    start = due;
    return explained;
  });

  // As the decision page offers it: never on critical, never with a quorum, never by the requester.
  const allowed = classification.standing;
  const standing =
    allowed && classification.tier !== 'critical' && classification.quorum <= 1
      ? (() => {
          const scope = scopeOf(proposal.action, proposal.agentId, allowed.scope);
          return {
            grantedBy: [...allowed.grantedBy],
            grantors: allowed.grantors.filter(
              (id) => !names(policy.directory.person(id) ?? { id }, proposal.requestedBy),
            ),
            maxDuration: allowed.maxDuration.text,
            scope,
            describe: describeScope(scope),
          };
        })()
      : undefined;

  return {
    proposal: {
      proposalId: proposal.proposalId,
      agentId: proposal.agentId,
      requestedBy: proposal.requestedBy,
      type: proposal.action.type,
      summary: proposal.action.summary,
    },
    policyVersion: classification.policyVersion,
    tier: classification.tier,
    pattern: classification.pattern,
    rule: classification.rule,
    reason: classification.reason,
    matching,
    route: {
      from: route.byDefaultRoute ? c.fallback.name : winner.name,
      byDefaultRoute: route.byDefaultRoute,
      quorum: classification.quorum,
      steps,
    },
    onTimeout: onTimeoutOf(classification, steps),
    notify: classification.notify.map((p) => p.id),
    editable: [...classification.editable],
    ...(standing ? { standing } : {}),
    now: now.toISOString(),
  };
}

/** What the tier's onTimeout does once the last step's deadline passes, as escalate.ts applies it. */
function onTimeoutOf(c: Classification, steps: readonly ExplainedStep[]): Explanation['onTimeout'] {
  const setting = c.onTimeout;
  if (c.pattern === 'auto') return { setting, what: 'nothing waits: the policy approves the action at once' };
  const last = steps.filter((s) => !s.skipped).at(-1);
  const when = last?.due ? { at: last.due, afterStep: last.step } : {};
  if (c.pattern === 'block_until_reviewed' || setting === 'escalate') {
    const notify = c.notify.length ? ' and the notify list' : '';
    const why = c.pattern === 'block_until_reviewed' ? 'a critical review is blocked until reviewed' : 'escalate';
    return {
      setting,
      ...when,
      what: `the review stays open (${why}): step ${last?.step ?? 1}${notify} are reminded again every ${last?.sla ?? 'SLA'}, until a person decides`,
    };
  }
  if (setting === 'approve' && c.pattern === 'soft_review')
    return { setting, ...when, what: 'the action is approved on timeout (soft review)' };
  return { setting, ...when, what: 'the review expires: the action is rejected (fail closed)' };
}
