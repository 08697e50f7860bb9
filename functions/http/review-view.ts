import { actionUnderApproval, approvalsCounted, type Review } from '../domain/review.ts';

/** A review as the status API shows it: everything a caller may see, never the task token or used links. */
export function reviewView(r: Review) {
  const underApproval = actionUnderApproval(r);
  return {
    reviewId: r.id,
    proposalId: r.proposalId,
    agentId: r.agentId,
    requestedBy: r.requestedBy,
    status: r.status,
    tier: r.tier,
    pattern: r.pattern,
    rule: r.rule,
    reason: r.reason,
    policyVersion: r.policyVersion,
    action: r.action,
    actionHash: r.actionHash,
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
    ...(r.deadline ? { deadline: r.deadline } : {}),
    ...(r.decision ? { decision: r.decision } : {}),
    history: r.history,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}
