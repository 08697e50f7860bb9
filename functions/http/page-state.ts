// What the review page tells the link's holder: why they cannot decide now (looked up, never changed: the
// page is a GET), and the notice after a decision they just made.
import { isRequester } from '../domain/people.ts';
import { approvalsCounted, type Review } from '../domain/review.ts';
import type { DecisionClaims } from '../domain/tokens.ts';
import type { PageState } from './review-page.ts';

export const DONE: Record<string, NonNullable<PageState['notice']>> = {
  approved: { tone: 'ok', message: 'Thank you: the action is approved. The agent has been told.' },
  rejected: { tone: 'ok', message: 'Thank you: the action is rejected. The agent has been told.' },
  recorded: {
    tone: 'ok',
    message: 'Thank you: your approval is recorded. More approvals are needed before the action can run.',
  },
  already: { tone: 'info', message: 'This review was already decided; nothing was changed.' },
  used: { tone: 'info', message: 'You already used this link; nothing was changed.' },
};

/** Why the link's holder cannot decide now, if they cannot; looked up, never changed (this is a GET). */
export function blockedFor(review: Review, claims: DecisionClaims): PageState['blocked'] {
  if (review.status !== 'PENDING') return { tone: 'info', message: 'This review is closed.' };
  const person = review.route.flatMap((s) => s.approvers).find((a) => a.id === claims.approverId) ?? {
    id: claims.approverId,
  };
  if (isRequester(person, review.requestedBy))
    return { tone: 'warn', message: 'You requested this action, so someone else must decide it.' };
  if (review.usedLinks?.includes(claims.nonce)) return { tone: 'info', message: 'You already used this link.' };
  const current = review.route[review.step]?.approvers ?? [];
  if (!current.some((a) => a.id === claims.approverId)) {
    return {
      tone: 'warn',
      message: `This review has moved on to ${current.map((a) => a.name).join(', ') || 'other approvers'}; your link can no longer decide it.`,
    };
  }
  if (claims.step !== review.step) {
    return {
      tone: 'warn',
      message: `This link was sent for step ${claims.step + 1}; the review has moved on to step ${review.step + 1}. Use the link from your most recent email.`,
    };
  }
  if (approvalsCounted(review).some((a) => a.approverId === claims.approverId)) {
    return {
      tone: 'info',
      message: `You approved this; waiting for ${review.quorum - approvalsCounted(review).length} more approval(s).`,
    };
  }
  return undefined;
}
