import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { escalateReview } from '../app/escalate.ts';
import type { EscalationKind } from '../domain/escalation.ts';

type Breach = EventBridgeEvent<'Review SLA Breached', { reviewId: string; step: number }>;

/**
 * On "Review SLA Breached" (an EventBridge rule): the next approver step with a new deadline and new
 * links, or at the end of the chain the tier's onTimeout (expire, approve a soft review, or remind a
 * review that is blocked until reviewed).
 */
export async function escalate(event: Breach, context: Context): Promise<{ result: EscalationKind | 'stale' }> {
  const { reviewId, step } = event.detail;
  return escalateReview(deps(), { eventId: event.id, reviewId, step }, linkKeyFrom(context));
}

export const handler = middy(escalate).use(observability()).use(linkKeyMiddleware());
