// An approver's inbox: one row per (approver, pending review) the review waits for, derived from the review alone,
// so the store can keep the approver index beside the review it mirrors. Pure: no I/O.
import type { Action, Tier } from '../../events/index.ts';
import type { ReviewPattern } from './policy.ts';
import { isRequester } from './people.ts';
import { actionUnderApproval, approvalsCounted, type Review } from './review.ts';

/** What the inbox shows of one review, and what a decision from it is bound to (step and action hash). */
export interface InboxRow {
  reviewId: string;
  approverId: string;
  /** The route step the row was written for: a decision from the inbox decides only at that step. */
  step: number;
  /** The action under approval when the row was written: a decision from the inbox is bound to it. */
  actionHash: string;
  type: string;
  summary: string;
  amount?: Action['amount'];
  proposalId: string;
  tier: Tier;
  pattern: ReviewPattern;
  deadline?: string;
  /** The step's calendar, for the zone its deadline is shown in when the approver has none of their own. */
  calendar?: string;
  /** How many approvals the review needs, and how many of the action under approval it has. */
  quorum: number;
  approvals: number;
}

/** One review picked on the inbox: its id and what its row showed (the step and the action's hash). */
export interface InboxSelection {
  reviewId: string;
  step: number;
  actionHash: string;
}

/** Most reviews one request decides: each is its own decision (reads, a conditional write, a restart). */
export const MAX_BATCH = 25;

/**
 * The rows of a review: while it is pending, one per approver of the current step who has not approved the action
 * under approval yet and did not request it; none once it is decided.
 */
export function inboxRows(review: Review): InboxRow[] {
  if (review.status !== 'PENDING') return [];
  const step = review.route[review.step];
  if (!step) return [];
  const counted = approvalsCounted(review);
  const approved = new Set(counted.map((a) => a.approverId));
  const { action, actionHash } = actionUnderApproval(review);
  return step.approvers
    .filter((a) => !approved.has(a.id) && !isRequester(a, review.requestedBy))
    .map((a) => ({
      reviewId: review.id,
      approverId: a.id,
      step: review.step,
      actionHash,
      type: action.type,
      summary: action.summary,
      ...(action.amount ? { amount: action.amount } : {}),
      proposalId: review.proposalId,
      tier: review.tier,
      pattern: review.pattern,
      ...(review.deadline ? { deadline: review.deadline } : {}),
      ...(step.sla.calendar ? { calendar: step.sla.calendar } : {}),
      quorum: review.quorum,
      approvals: counted.length,
    }));
}

/**
 * Oldest deadline first (the most urgent on top); a row without one last; ties by review id, so the order is stable
 * (the approver index sorts the same: its sort key is the deadline and the review id).
 */
export function oldestDeadlineFirst(rows: readonly InboxRow[]): InboxRow[] {
  const key = (r: InboxRow) => r.deadline ?? '\uffff';
  return [...rows].sort((a, b) => key(a).localeCompare(key(b)) || a.reviewId.localeCompare(b.reviewId));
}
