import { deciderOf, outcomeIdOf } from '../domain/outcome.ts';
import type { Grant, InvalidProposal } from '../domain/model.ts';
import { describeScope } from '../domain/grant.ts';
import { actionUnderApproval, approvalsCounted, emailedAt, type Review } from '../domain/review.ts';

/** What an agent relies on: `pending` until a decision, then how it ended (stays so once the review completes). */
export type ReviewOutcome = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled' | 'invalid';

/**
 * A review as the status API shows it: everything a caller may see, never the task token or used links.
 * `outcome`, `action` and `actionHash` are what an agent acts on: once approved, `action` is the approved
 * one (edited or not, `edited` says which), bound to `actionHash`; the proposal as sent is `proposed`.
 */
export function reviewView(r: Review) {
  const underApproval = actionUnderApproval(r);
  const d = r.decision;
  const current = d
    ? { action: d.action, actionHash: d.actionHash, edited: d.edited }
    : { ...underApproval, edited: false };
  return {
    reviewId: r.id,
    proposalId: r.proposalId,
    agentId: r.agentId,
    requestedBy: r.requestedBy,
    outcome: (d ? d.outcome : 'pending') satisfies ReviewOutcome,
    action: current.action,
    actionHash: current.actionHash,
    edited: current.edited,
    ...(d
      ? {
          outcomeId: outcomeIdOf(r),
          decidedBy: d.by.map(deciderOf),
          decidedAt: d.at,
          decisionReason: d.reason,
        }
      : {}),
    proposed: { action: r.action, actionHash: r.actionHash },
    status: r.status,
    tier: r.tier,
    pattern: r.pattern,
    rule: r.rule,
    reason: r.reason,
    policyVersion: r.policyVersion,
    ...(r.proposedEdit
      ? {
          proposedEdit: {
            action: underApproval.action,
            actionHash: underApproval.actionHash,
            by: r.proposedEdit.by,
            changes: r.proposedEdit.changes,
          },
        }
      : {}),
    step: r.step,
    approvers: (r.route[r.step]?.approvers ?? []).map((a) => a.id),
    quorum: r.quorum,
    approvals: r.status === 'PENDING' ? approvalsCounted(r).map((a) => a.approverId) : [],
    // Emails wait their turn at SES's sending rate: who of the current approvers has been emailed, and when.
    ...(r.status === 'PENDING'
      ? {
          notifications: (r.route[r.step]?.approvers ?? []).map((a) => {
            const at = emailedAt(r, a.id);
            return at ? { approverId: a.id, emailedAt: at } : { approverId: a.id, waiting: true };
          }),
        }
      : {}),
    ...(r.deadline ? { deadline: r.deadline } : {}),
    ...(r.decision ? { decision: r.decision } : {}),
    ...(r.execution ? { execution: executionView(r.execution) } : {}),
    history: r.history,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/**
 * What became of the approved action, `by` hitl-gate (an action it performs: `performed` with its reference,
 * `failed` or `unknown` with why) or the agent (as it reported it, with its `detail`); first `started`.
 */
function executionView({ claim: _claim, ...execution }: NonNullable<Review['execution']>) {
  return execution;
}

/** A proposal refused as invalid, as the status API shows it: never a review, so no action to run. */
export function invalidView(r: InvalidProposal) {
  return {
    reviewId: r.reviewId,
    proposalId: r.proposalId,
    agentId: r.agentId,
    outcome: 'invalid' satisfies ReviewOutcome,
    errors: r.errors,
    rejectedAt: r.rejectedAt,
  };
}

/** A standing approval as the API shows it. */
export function grantView(g: Grant) {
  return {
    grantId: g.id,
    reviewId: g.reviewId,
    rule: g.rule,
    tier: g.tier,
    grantedBy: g.grantedBy,
    grantedAt: g.grantedAt,
    endsAt: g.endsAt,
    scope: g.scope,
    scopeText: describeScope(g.scope),
    uses: g.uses,
    ...(g.lastUsedAt ? { lastUsedAt: g.lastUsedAt } : {}),
    status: g.revoked ? 'revoked' : 'active',
    ...(g.revoked ? { revoked: g.revoked } : {}),
  };
}
