// Standing approvals: an approver approves one action and lets later proposals of the same scope be approved in
// their name for a short time. Pure: the grant's checks and the reviews it decides; the store writes them.
import type { Action } from '../../events/index.ts';
import { decidesOwnProposal } from './decision.ts';
import { StandingRefused } from './errors.ts';
import { describeScope, grantIdFor } from './grant.ts';
import type { Actor, Grant, GrantScope, HistoryEntry, Review } from './model.ts';
import { names } from './people.ts';
import { formatDuration, parseDuration } from './duration.ts';
import { formatMoney, tierRank, toMinorUnits, type Policy } from './policy.ts';

export { describeScope, grantIdFor, grantTypeOf } from './grant.ts';

/**
 * Checks a request for a standing approval before the approval it comes with is written, so a refusal leaves the
 * review as it was. Answers the grant's duration.
 */
export function standingRequest(
  review: Review,
  approverId: string,
  duration: string,
  policy: Policy,
): { ms: number; text: string } {
  const allowed = review.standing;
  if (!allowed || review.tier === 'critical')
    throw new StandingRefused(`rule "${review.rule}" allows no standing approvals.`);
  const person = policy.directory.person(approverId);
  if (!allowed.grantors.some((id) => names(person ?? { id: approverId }, id)))
    throw new StandingRefused(
      `${approverId} holds none of the roles that may grant one for rule "${review.rule}" (${allowed.grantedBy.join(', ')}).`,
    );
  if (Math.max(1, review.quorum) > 1)
    throw new StandingRefused(`this review needs ${review.quorum} approvals; a standing approval is one person's.`);
  const ms = parseDuration(duration);
  if (ms === undefined)
    throw new StandingRefused(`${JSON.stringify(duration)} is not a duration; write e.g. 30m, 4h or 1h30m.`);
  if (ms > allowed.maxDuration.ms)
    throw new StandingRefused(
      `${duration.trim()} is longer than rule "${review.rule}" allows (at most ${allowed.maxDuration.text}).`,
    );
  return { ms, text: formatDuration(ms) };
}

/** The scope the approved action fixes: the fields the rule names, with the approved values. */
export function scopeOf(action: Action, agentId: string, fields: readonly string[]): GrantScope {
  const scope: GrantScope = { type: action.type };
  if (fields.includes('target')) scope.target = action.target ?? null;
  if (fields.includes('agent')) scope.agent = agentId;
  if (fields.includes('amount.lte'))
    scope.amount = action.amount ? { currency: action.amount.currency, lte: action.amount.value } : null;
  return scope;
}

/** The grant an approval makes, from the action it approved (edited or not), and its history entry. */
export function grantFrom(
  review: Review,
  approverId: string,
  duration: { ms: number; text: string },
  now: Date,
): { grant: Grant; entry: HistoryEntry } {
  const d = review.decision;
  if (d?.outcome !== 'approved' || !review.standing)
    throw new StandingRefused('the review must be approved by this decision for a standing approval.');
  const at = now.toISOString();
  const grant: Grant = {
    id: grantIdFor(review.id, d.action.type),
    reviewId: review.id,
    rule: review.rule,
    tier: review.tier,
    policyVersion: review.policyVersion,
    grantedBy: approverId,
    grantedAt: at,
    endsAt: new Date(now.getTime() + duration.ms).toISOString(),
    scope: scopeOf(d.action, review.agentId, review.standing.scope),
    uses: 0,
    usedFor: [],
  };
  const entry: HistoryEntry = {
    at,
    what: 'standing_granted',
    by: { id: approverId, kind: 'person' },
    note: `standing approval ${grant.id} for ${duration.text}: ${describeScope(grant.scope)}, until ${grant.endsAt}`,
  };
  return { grant, entry };
}

export function isActive(grant: Grant, now: Date): boolean {
  return !grant.revoked && Date.parse(grant.endsAt) > now.getTime();
}

/** Why an action falls outside a grant's scope (undefined: inside it). */
function outOfScope(scope: GrantScope, action: Action, agentId: string): string | undefined {
  if (action.type !== scope.type) return `its type is ${action.type}, not ${scope.type}`;
  if (scope.target !== undefined) {
    const target = action.target ?? null;
    const same =
      target === null || scope.target === null
        ? target === scope.target
        : target.toLowerCase() === scope.target.toLowerCase();
    if (!same) return `its target is ${target ?? '(none)'}, not ${scope.target ?? '(none)'}`;
  }
  if (scope.agent !== undefined && agentId !== scope.agent) return `its agent is ${agentId}, not ${scope.agent}`;
  if (scope.amount !== undefined) {
    const { amount } = action;
    if (scope.amount === null) return amount ? 'it carries an amount' : undefined;
    if (!amount || amount.currency !== scope.amount.currency) return `its amount is not in ${scope.amount.currency}`;
    const cents = toMinorUnits(amount.value);
    const ceiling = toMinorUnits(scope.amount.lte);
    if (cents === undefined || ceiling === undefined || cents > ceiling)
      return `its amount is over ${formatMoney(ceiling ?? 0, scope.amount.currency)}`;
  }
  return undefined;
}

/**
 * Why a grant cannot approve a proposal just classified (undefined: it can). The granter's authority is checked as
 * a decision checks it, against the policy as it is now: the proposal's rule must still let them grant, they must
 * be on its route, it is not their own, never critical, and never a higher tier than the one they approved.
 */
export function grantRefusal(grant: Grant, draft: Review, policy: Policy, now: Date): string | undefined {
  if (grant.revoked) return 'it was revoked';
  if (!isActive(grant, now)) return 'it has expired';
  if (draft.status !== 'PENDING') return 'the proposal needs no review';
  if (draft.tier === 'critical') return 'a critical proposal is never approved by a standing approval';
  if (tierRank(draft.tier) > tierRank(grant.tier)) return `the proposal is ${draft.tier}-tier, above ${grant.tier}`;
  if (draft.rule !== grant.rule) return `the proposal falls under rule ${draft.rule}, not ${grant.rule}`;
  if (!draft.standing?.grantors.includes(grant.grantedBy))
    return `${grant.grantedBy} may no longer grant standing approvals for rule ${draft.rule}`;
  if (decidesOwnProposal(draft, grant.grantedBy, policy)) return `the proposal is ${grant.grantedBy}'s own`;
  if (!draft.route.some((s) => s.approvers.some((a) => a.id === grant.grantedBy && !a.onBehalfOf)))
    return `${grant.grantedBy} is not among its approvers`;
  return outOfScope(grant.scope, draft.action, draft.agentId);
}

/** The actor of a decision made by a grant: `grant <id> by <person>`. */
export function grantActor(grant: Grant): Actor {
  return {
    id: `grant ${grant.id} by ${grant.grantedBy}`,
    kind: 'grant',
    grant: { id: grant.id, grantedBy: grant.grantedBy },
  };
}

/** The proposal approved by a grant whose use was claimed (`grant.uses` counts this one). */
export function approvedByGrant(draft: Review, grant: Grant, now: Date): Review {
  const at = now.toISOString();
  const by = grantActor(grant);
  const reason = `Approved by the standing approval ${grant.id} that ${grant.grantedBy} granted on review ${grant.reviewId} (${describeScope(grant.scope)}, until ${grant.endsAt}).`;
  const { deadline: _deadline, reminders: _reminders, ...rest } = draft;
  return {
    ...rest,
    status: 'APPROVED',
    decision: {
      outcome: 'approved',
      by: [by],
      at,
      reason,
      action: draft.action,
      actionHash: draft.actionHash,
      edited: false,
    },
    history: [...draft.history, { at, what: 'approved_by_grant', by, note: `use ${grant.uses} of ${grant.id}` }],
  };
}
