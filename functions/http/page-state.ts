// What the review page tells the link's holder: why they cannot decide now (looked up, never changed: the
// page is a GET), and what they just did, by the `done` of the decision's redirect.
import { isRequester } from '../domain/people.ts';
import { approvalsCounted, type Review } from '../domain/review.ts';
import type { DecisionClaims } from '../domain/tokens.ts';
import type { Done, Notice } from './review-page.ts';
import { quorumProgress } from './review-words.ts';

const DONE: ReadonlySet<string> = new Set<Done>(['approved', 'rejected', 'recorded', 'already', 'used']);

/** The `done` of a redirect after a decision, if it is one the page knows (anything else is ignored). */
export function doneOf(value: string | undefined): Done | undefined {
  return value !== undefined && DONE.has(value) ? (value as Done) : undefined;
}

/** Why the link's holder cannot decide now, if they cannot; looked up, never changed (this is a GET). */
export function blockedFor(review: Review, claims: DecisionClaims): Notice | undefined {
  if (review.status !== 'PENDING') return { tone: 'info', message: 'This review is closed.' };
  const person = review.route.flatMap((s) => s.approvers).find((a) => a.id === claims.approverId) ?? {
    id: claims.approverId,
  };
  if (isRequester(person, review.requestedBy))
    return { tone: 'warn', message: 'You requested this action, so someone else must decide it.' };
  // A quorum's first approval: said as progress, not as a misused link.
  if (approvalsCounted(review).some((a) => a.approverId === claims.approverId))
    return { tone: 'ok', message: `You approved this. ${quorumProgress(review) ?? ''}`.trim() };
  if (review.usedLinks?.includes(claims.nonce))
    return {
      tone: 'info',
      message: 'You already used this link, and the action has changed since: a newer email brings a new link.',
    };
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
  return undefined;
}
