// The approver's inbox: what waits for them (the approver index), and several reviews decided in one request, each
// through decideReview as its own conditional decision, bound to the step and action hash its row showed.
import { logger } from '../adapters/logger.ts';
import { isDomainError } from '../domain/errors.ts';
import type { InboxSelection } from '../domain/inbox.ts';
import type { Review } from '../domain/review.ts';
import { type InboxClaims, inboxDecisionNonce } from '../domain/tokens.ts';
import { nameOf, quorumProgress } from '../http/review-words.ts';
import { decideReview } from './decide.ts';
import type { Deps } from './deps.ts';

/**
 * What became of one review of a batch. `decided`: this decision ended it; `recorded`: an approval towards a quorum;
 * `already-decided`, `not-yours`, `beyond-authority`, `changed` (since the inbox was loaded), `busy` (try again):
 * refused, nothing changed; `failed`: our fault, nothing is known to have changed.
 */
export type InboxResultKind =
  | 'decided'
  | 'recorded'
  | 'already-decided'
  | 'not-yours'
  | 'beyond-authority'
  | 'changed'
  | 'busy'
  | 'refused'
  | 'failed';

export interface InboxResult {
  reviewId: string;
  result: InboxResultKind;
  /** For the person, in a line. */
  message: string;
  /** The review as it is after this line, when it is known (its summary, status and outcome). */
  review?: Review;
}

const REFUSALS: Partial<Record<string, InboxResultKind>> = {
  AlreadyDecided: 'already-decided',
  TokenUsed: 'already-decided',
  DuplicateApproval: 'already-decided',
  NotCurrentApprover: 'not-yours',
  SelfApproval: 'not-yours',
  ReviewNotFound: 'not-yours',
  BeyondAuthority: 'beyond-authority',
  ActionChanged: 'changed',
  TokenWrongStep: 'changed',
  ReviewBusy: 'busy',
};

/** Decides each selected review in turn, as the inbox link's approver; one result per review, the others decided whatever one does. */
export async function decideFromInbox(
  deps: Pick<Deps, 'store' | 'grants' | 'clock' | 'policy' | 'workflows'>,
  input: {
    claims: InboxClaims;
    decision: 'approve' | 'reject';
    reason?: string;
    selections: readonly InboxSelection[];
  },
): Promise<InboxResult[]> {
  const results: InboxResult[] = [];
  for (const { reviewId, step, actionHash } of input.selections) {
    try {
      const { review } = await decideReview(deps, {
        reviewId,
        approverId: input.claims.approverId,
        nonce: inboxDecisionNonce(input.claims.nonce, reviewId, step, actionHash),
        step,
        actionHash,
        decision: input.decision,
        ...(input.reason !== undefined ? { reason: input.reason } : {}),
      });
      results.push(
        review.status === 'PENDING'
          ? {
              reviewId,
              result: 'recorded',
              message: `Your approval is recorded. ${quorumProgress(review) ?? ''}`.trim(),
              review,
            }
          : { reviewId, result: 'decided', message: decidedWords(review), review },
      );
    } catch (err) {
      if (!isDomainError(err)) {
        logger.error('inbox decision failed', { reviewId, approver: input.claims.approverId, error: err as Error });
        results.push({
          reviewId,
          result: 'failed',
          message: 'Something went wrong on our side with this review; try it again.',
        });
        continue;
      }
      results.push({
        reviewId,
        result: REFUSALS[err.code] ?? 'refused',
        message: err.message,
        ...(err.current ? { review: err.current } : {}),
      });
    }
  }
  logger.info('inbox batch decided', {
    approver: input.claims.approverId,
    decision: input.decision,
    results: results.map((r) => r.result),
  });
  return results;
}

function decidedWords(review: Review): string {
  const by = review.decision?.by.map((a) => nameOf(review, a.id)).join(' and ');
  return `${review.decision?.outcome === 'approved' ? 'Approved' : 'Rejected'}${by ? ` by ${by}` : ''}; the agent is being told.`;
}
