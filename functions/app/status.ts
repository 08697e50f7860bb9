// What the status API reads: a review, or, for a proposal intake refused, the record of its refusal.
import { logger } from '../adapters/logger.ts';
import { reviewIdOfProposal } from '../domain/ids.ts';
import type { InvalidProposal, Review } from '../domain/model.ts';
import type { Deps } from './deps.ts';

/** The review, else the proposal's refusal (never opened because it was invalid), else undefined. */
export async function findStatus(
  deps: Pick<Deps, 'store'>,
  reviewId: string,
): Promise<{ review: Review } | { invalid: InvalidProposal } | undefined> {
  const review = await deps.store.get(reviewId);
  if (review) return { review };
  const invalid = await deps.store.getInvalid(reviewId);
  return invalid ? { invalid } : undefined;
}

/** What intake's refusal of a proposal says (the "Action Rejected As Invalid" detail). */
export interface Refusal {
  agentId?: string;
  proposalId?: string;
  errors: string[];
  rejectedAt: string;
}

/**
 * Keeps intake's refusal where the review would have been, so the status lookup answers `invalid` with the
 * problems; a proposal without a usable agentId and proposalId cannot be looked up, and is not kept.
 */
export async function recordRefusal(deps: Pick<Deps, 'store'>, refusal: Refusal): Promise<{ recorded: boolean }> {
  const { agentId, proposalId, errors, rejectedAt } = refusal;
  const reviewId = reviewIdOfProposal(agentId, proposalId);
  if (!reviewId || !agentId || !proposalId) return { recorded: false };
  await deps.store.recordInvalid({ reviewId, agentId, proposalId, errors, rejectedAt });
  logger.info('invalid proposal recorded', { reviewId, problems: errors.length });
  return { recorded: true };
}
