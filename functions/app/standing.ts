// Standing approvals as use cases: used at intake, made with an approval (decide.ts), revoked, listed.
import { logger } from '../adapters/logger.ts';
import { count, Metric } from '../adapters/observability.ts';
import { GrantNotFound, GrantNotYours } from '../domain/errors.ts';
import type { Grant, Review } from '../domain/model.ts';
import { approvedByGrant, grantFrom, grantIdFor, grantRefusal } from '../domain/standing.ts';
import type { Deps } from './deps.ts';

/**
 * A proposal just classified, approved by the first active grant that covers it (its use claimed in a conditional
 * write), or as it was. Only a rule that allows standing approvals looks, and only for a proposal seen first now.
 */
export async function applyStandingGrant(
  deps: Pick<Deps, 'store' | 'grants' | 'clock' | 'policy'>,
  draft: Review,
): Promise<Review> {
  if (draft.status !== 'PENDING' || !draft.standing) return draft;
  // A duplicate event finds its review as it was opened; a grant made since does not decide it after the fact.
  if (await deps.store.get(draft.id)) return draft;
  const now = deps.clock.now();
  const grants = await deps.grants.active(draft.action.type, now);
  for (const grant of grants.sort((a, b) => a.grantedAt.localeCompare(b.grantedAt))) {
    const refusal = grantRefusal(grant, draft, deps.policy, now);
    if (refusal) {
      logger.info('standing approval does not apply', { reviewId: draft.id, grantId: grant.id, refusal });
      continue;
    }
    const claimed = await deps.grants.claimUse(grant, draft.id, now);
    if (!claimed) continue;
    count(Metric.StandingApprovalUses);
    logger.info('approved by a standing approval', { reviewId: draft.id, grantId: grant.id, uses: claimed.uses });
    return approvedByGrant(draft, claimed, now);
  }
  return draft;
}

/**
 * The grant a decided review's standing approval made, written conditionally (a retried decision writes the same
 * one: its id and end come from the review and the history entry that recorded it).
 */
export async function recordGrant(
  deps: Pick<Deps, 'grants'>,
  review: Review,
  duration: { ms: number; text: string },
): Promise<Grant> {
  const entry = review.history.findLast((h) => h.what === 'standing_granted');
  const grantor = review.decision?.by[0]?.id;
  if (!entry || !grantor) throw new Error(`review ${review.id} recorded no standing approval`);
  const { grant } = grantFrom(review, grantor, duration, new Date(entry.at));
  const stored = await deps.grants.create(grant);
  count(Metric.StandingApprovalsGranted);
  logger.info('standing approval granted', { reviewId: review.id, grantId: stored.id, endsAt: stored.endsAt });
  return stored;
}

/** The grants made on a review that have not ended (revoked ones included): what its page shows. */
export async function grantsOf(deps: Pick<Deps, 'grants' | 'clock'>, review: Review): Promise<Grant[]> {
  const d = review.decision;
  if (d?.outcome !== 'approved' || !review.history.some((h) => h.what === 'standing_granted')) return [];
  const grant = await deps.grants.find(grantIdFor(review.id, d.action.type), deps.clock.now());
  return grant ? [grant] : [];
}

/**
 * Revokes a grant that has not ended: from now on it approves nothing. `granter`: the person revoking from their
 * inbox, who may revoke only a grant they made (an admin's API call passes none).
 */
export async function revokeGrant(
  deps: Pick<Deps, 'grants' | 'clock'>,
  input: { grantId: string; by: string; reason: string; granter?: string },
): Promise<Grant> {
  const now = deps.clock.now();
  const grant = await deps.grants.find(input.grantId, now);
  if (!grant) throw new GrantNotFound(input.grantId);
  if (input.granter !== undefined && grant.grantedBy !== input.granter) throw new GrantNotYours();
  // Revoked already: answered as it was revoked, with no write (a concurrent second revoke is the store's condition).
  if (grant.revoked) return grant;
  const revoked = await deps.grants.revoke(grant, { by: input.by, at: now.toISOString(), reason: input.reason });
  logger.info('standing approval revoked', { grantId: grant.id, by: revoked.revoked?.by });
  return revoked;
}
