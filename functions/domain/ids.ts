import { createHash } from 'node:crypto';

/**
 * A review's id is derived from the agent and its proposalId, so a duplicate "Action Proposed"
 * lands on the same item and one conditional put makes intake idempotent (no guard item, no transaction).
 */
export function reviewIdFor(agentId: string, proposalId: string): string {
  return `rv-${createHash('sha256').update(`${agentId}\n${proposalId}`, 'utf8').digest('hex').slice(0, 32)}`;
}

const REVIEW_ID = /^rv-[0-9a-f]{32}$/;

/** Whether `id` has the shape reviewIdFor gives: anything else names no review, and is refused before any lookup. */
export function isReviewId(id: unknown): id is string {
  return typeof id === 'string' && REVIEW_ID.test(id);
}

/** Whether `s` can be an agentId or proposalId of the proposal contract: 1 to 256 characters, not only whitespace. */
function isProposalKey(s: unknown): s is string {
  return typeof s === 'string' && s.length <= 256 && s.trim() !== '';
}

/** The review id of an agent's proposal, when both can be ids of the proposal contract (else undefined). */
export function reviewIdOfProposal(agentId: unknown, proposalId: unknown): string | undefined {
  return isProposalKey(agentId) && isProposalKey(proposalId) ? reviewIdFor(agentId, proposalId) : undefined;
}
