import {
  ActionRejectedAsInvalid,
  ApprovalGranted,
  ApprovalRejected,
  ApprovalRequested,
  DetailType,
  ReviewEscalated,
  ReviewSlaBreached,
  type DetailTypeName,
} from '../../events/index.ts';
import { deciderOf, outcomeIdOf } from './outcome.ts';
import { currentApprovers, type Review } from './review.ts';

export { deciderOf, outcomeIdOf } from './outcome.ts';

/** An event ready for PutEvents: the workflow publishes it as is (source hitl.gate). */
export interface BusEvent {
  detailType: DetailTypeName;
  detail: Record<string, unknown>;
}

function reviewRef(review: Review) {
  return {
    reviewId: review.id,
    proposalId: review.proposalId,
    agentId: review.agentId,
    requestedBy: review.requestedBy,
    tier: review.tier,
    policyVersion: review.policyVersion,
    actionHash: review.actionHash,
  };
}

export function approvalRequested(review: Review, now: Date): BusEvent {
  const detail = ApprovalRequested.parse({
    ...reviewRef(review),
    action: review.action,
    rule: review.rule,
    reason: review.reason,
    approvers: currentApprovers(review).map((a) => a.id),
    step: review.step,
    ...(review.deadline ? { deadline: review.deadline } : {}),
    requestedAt: now.toISOString(),
  });
  return { detailType: DetailType.ApprovalRequested, detail };
}

/** The outcome event of a decided review; the granted one carries the exact approved action and its hash. */
export function outcomeEvent(review: Review): BusEvent {
  const d = review.decision;
  if (!d) throw new Error(`review ${review.id} has no decision`);
  const decided = {
    outcomeId: outcomeIdOf(review),
    decidedBy: d.by.map(deciderOf),
    decidedAt: d.at,
    reason: d.reason,
  };
  switch (d.outcome) {
    case 'approved':
      return {
        detailType: DetailType.ApprovalGranted,
        detail: ApprovalGranted.parse({
          ...reviewRef(review),
          actionHash: d.actionHash,
          action: d.action,
          ...decided,
          edited: d.edited,
          // An agent's own report (it may come before a re-publication) never changes the event.
          performedBy: review.execution?.by === 'hitl-gate' ? 'hitl-gate' : 'agent',
          ...executionOf(review.execution),
        }),
      };
    case 'rejected':
      return {
        detailType: DetailType.ApprovalRejected,
        detail: ApprovalRejected.parse({ ...reviewRef(review), ...decided }),
      };
    case 'expired':
      return {
        detailType: DetailType.ApprovalExpired,
        detail: ApprovalRejected.parse({ ...reviewRef(review), ...decided }),
      };
    case 'cancelled':
      return {
        detailType: DetailType.ApprovalCancelled,
        detail: ApprovalRejected.parse({ ...reviewRef(review), ...decided }),
      };
  }
}

export function invalidProposal(received: unknown, errors: string[], now: Date): BusEvent {
  const detail = (received as { detail?: { proposalId?: unknown; agentId?: unknown } } | undefined)?.detail;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    detailType: DetailType.ActionRejectedAsInvalid,
    detail: ActionRejectedAsInvalid.parse({
      ...(str(detail?.proposalId) ? { proposalId: str(detail?.proposalId) } : {}),
      ...(str(detail?.agentId) ? { agentId: str(detail?.agentId) } : {}),
      errors,
      received,
      rejectedAt: now.toISOString(),
    }),
  };
}

export function slaBreached(review: Review, now: Date): BusEvent {
  return {
    detailType: DetailType.ReviewSlaBreached,
    detail: ReviewSlaBreached.parse({
      ...reviewRef(review),
      step: review.step,
      approvers: currentApprovers(review).map((a) => a.id),
      deadline: review.deadline,
      breachedAt: now.toISOString(),
    }),
  };
}

export function reviewEscalated(
  before: Review,
  after: Review,
  kind: 'escalated' | 'reminded',
  reason: string,
  now: Date,
): BusEvent {
  return {
    detailType: DetailType.ReviewEscalated,
    detail: ReviewEscalated.parse({
      ...reviewRef(after),
      kind,
      fromStep: before.step,
      toStep: after.step,
      approvers: currentApprovers(after).map((a) => a.id),
      deadline: after.deadline,
      escalatedAt: now.toISOString(),
      reason,
    }),
  };
}

/** What an outcome says of an action hitl-gate performed: its result, and the reference or the error. */
function executionOf(execution: Review['execution']) {
  if (execution?.by !== 'hitl-gate' || execution.result === 'started') return {};
  return execution.result === 'performed'
    ? { executionResult: execution.result, executionRef: execution.ref }
    : { executionResult: execution.result, executionError: execution.error };
}
