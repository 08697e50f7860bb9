// An outcome's stable id and who decided it, as the outcome events and the status API both name them; apart
// from the events (review-events.ts) so the status API's view bundles none of the events' schemas.
import { createHash } from 'node:crypto';
import type { Actor, Review } from './review.ts';

/** The outcome's stable id: derived from the review and its decision, which is written once. */
export function outcomeIdOf(review: Review): string {
  const d = review.decision;
  if (!d) throw new Error(`review ${review.id} has no decision`);
  const hash = createHash('sha256').update(`${review.id}\n${d.outcome}\n${d.at}`, 'utf8').digest('hex');
  return `out-${hash.slice(0, 32)}`;
}

/** Who decided, as outcome events and the status API name them: a person, the policy, or a standing approval. */
export function deciderOf(a: Actor): { id: string; kind: 'person' | 'policy' | 'grant'; grant?: Actor['grant'] } {
  if (a.kind === 'grant' && a.grant) return { id: a.id, kind: 'grant', grant: { ...a.grant } };
  return { id: a.id, kind: a.kind === 'person' ? 'person' : 'policy' };
}
