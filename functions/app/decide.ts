// An approver's decision, however it arrives (the email link's page or JSON, the inbox's batch; Slack next).
import { createHash } from 'node:crypto';
import { logger } from '../adapters/logger.ts';
import { count, Metric, measure } from '../adapters/observability.ts';
import { type DecideCommand, type DecideResult, decide } from '../domain/decision.ts';
import {
  ActionChanged,
  AlreadyDecided,
  ReviewNotFound,
  StandingRefused,
  TokenUsed,
  TokenWrongStep,
} from '../domain/errors.ts';
import { formatDuration, parseDuration } from '../domain/duration.ts';
import type { Grant } from '../domain/model.ts';
import { grantFrom, standingRequest } from '../domain/standing.ts';
import { names } from '../domain/people.ts';
import { actionUnderApproval, currentApprovers, type Review, unchanged } from '../domain/review.ts';
import type { Deps } from './deps.ts';
import { mutate } from './mutate.ts';
import { restartDecided } from './restart.ts';
import { recordGrant } from './standing.ts';

export interface DecisionInput {
  reviewId: string;
  /** Who decides, already authenticated (a verified link's approver). */
  approverId: string;
  /** The single-use link's nonce: claimed in the same write as the decision, so a link decides once. */
  nonce: string;
  /** The route step the link was sent for: it decides only while the review is at that step. */
  step: number;
  decision: DecideCommand['decision'];
  reason?: string;
  /** The hash of the action the approver saw (the inbox row's): refused with ActionChanged if it is another now. */
  actionHash?: string;
  /** The edits as the approver gave them, read against the review as it is when the decision is made. */
  edits?: (review: Review) => Record<string, unknown> | undefined;
  /** A standing approval asked for with the approval: the same scope, approved in the approver's name for this long. */
  standing?: { duration: string };
}

const VERB = { approve: 'approved', reject: 'rejected' } as const;

/** What the history records of the link that made a decision: a digest, as the nonce itself is never shown. */
const linkRef = (nonce: string) => `link:${createHash('sha256').update(nonce).digest('base64url').slice(0, 22)}`;

/** The decision's history entry names the link that made it, so a retry of the same request is recognised. */
function signedByLink(step: DecideResult, nonce: string): DecideResult {
  return { ...step, entries: step.entries.map((e, i) => (i === 0 ? { ...e, ref: linkRef(nonce) } : e)) };
}

/**
 * Records the decision in one conditional write (a lost race decides again on the review as it is now)
 * and, when it ends the review, restarts it. Refusals are domain errors carrying the review as it is.
 */
export async function decideReview(
  deps: Pick<Deps, 'store' | 'grants' | 'clock' | 'policy' | 'workflows'>,
  input: DecisionInput,
): Promise<{ review: Review; decided: boolean; grant?: Grant }> {
  const now = deps.clock.now();
  let duration: { ms: number; text: string } | undefined;
  const { step, review } = await mutate(
    deps.store,
    input.reviewId,
    (current) => {
      if (!current) throw new ReviewNotFound(input.reviewId);
      if (current.usedLinks?.includes(input.nonce)) {
        // A retry of a request whose answer was lost (a timeout, a dropped connection) gets the same answer.
        if (current.history.some((h) => h.ref === linkRef(input.nonce) && h.what === VERB[input.decision]))
          return unchanged('repeated');
        if (current.status !== 'PENDING') throw new AlreadyDecided(current.id, current.decision).about(current);
        throw new TokenUsed().about(current);
      }
      // Someone who is no approver now is told so by decide(); one who is, holding an earlier step's link or
      // having seen another action than the one under approval now, is told this.
      const approverNow =
        current.status === 'PENDING' && currentApprovers(current).some((a) => names(a, input.approverId));
      if (approverNow && current.step !== input.step) throw new TokenWrongStep(input.step, current.step).about(current);
      if (approverNow && input.actionHash !== undefined && actionUnderApproval(current).actionHash !== input.actionHash)
        throw new ActionChanged(current.id).about(current);
      try {
        if (input.standing && input.decision !== 'approve')
          throw new StandingRefused('a standing approval comes only with an approval.');
        // Checked before anything is written: a refused standing approval leaves the review as it was.
        duration = input.standing
          ? standingRequest(current, input.approverId, input.standing.duration, deps.policy)
          : undefined;
        const edits = input.edits?.(current);
        const decided = signedByLink(
          decide(
            current,
            {
              approverId: input.approverId,
              decision: input.decision,
              ...(input.reason !== undefined ? { reason: input.reason } : {}),
              ...(edits ? { edits } : {}),
            },
            deps.policy,
            now,
          ),
          input.nonce,
        );
        return duration ? withGrant(decided, duration, now) : decided;
      } catch (err) {
        if (err instanceof AlreadyDecided) throw err.about(current);
        throw err;
      }
    },
    { consumeLink: input.nonce },
  );
  if (!review) throw new ReviewNotFound(input.reviewId);
  if (step.kind === 'unchanged') {
    logger.info('decision repeated; answered as recorded', { reviewId: review.id, approver: input.approverId });
    // The first answer may have been lost before its grant was written: the same grant, written again.
    const repeated = input.standing ? repeatedStanding(review, input.standing.duration) : undefined;
    if (repeated) return { review, decided: false, grant: await recordGrant(deps, review, repeated) };
    return { review, decided: false };
  }
  const decided = step.kind === 'decided';
  count(Metric.Decisions, { decision: input.decision });
  if (decided) measure(Metric.DecisionLatency, now.getTime() - Date.parse(review.createdAt));
  logger.info('decision recorded', {
    reviewId: review.id,
    approver: input.approverId,
    decision: input.decision,
    decided,
    status: review.status,
  });
  const grant = duration ? await recordGrant(deps, review, duration) : undefined;
  if (decided) await restartDecided(deps, review.id);
  return { review, decided, ...(grant ? { grant } : {}) };
}

/** The approval that ends the review, with the standing approval's entry beside it in the same write. */
function withGrant(step: DecideResult, duration: { ms: number; text: string }, now: Date): DecideResult {
  if (step.kind !== 'decided' || step.next.decision?.outcome !== 'approved')
    throw new StandingRefused('this approval does not end the review, so it cannot grant a standing approval.');
  const grantor = step.next.decision.by[0]?.id ?? '';
  const { entry } = grantFrom(step.next, grantor, duration, now);
  return { ...step, entries: [...step.entries, entry] };
}

/** The duration of a standing approval a repeated request already recorded (undefined: it recorded none). */
function repeatedStanding(review: Review, duration: string): { ms: number; text: string } | undefined {
  const ms = parseDuration(duration);
  if (ms === undefined || !review.history.some((h) => h.what === 'standing_granted')) return undefined;
  return { ms, text: formatDuration(ms) };
}
