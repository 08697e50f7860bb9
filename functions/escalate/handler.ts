import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { directory, policy } from '../adapters/policy-files.ts';
import { stageBus } from '../adapters/event-bus.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { stageNotifications } from '../adapters/notification-queue.ts';
import { escalateReview } from '../app/escalate.ts';
import type { EscalationKind } from '../domain/escalation.ts';

const deps = wire({
  store: reviewsTable,
  clock: systemClock,
  policy,
  bus: stageBus,
  workflows: resumeWorkflows,
  notifications: stageNotifications,
  directory,
});

type Breach = EventBridgeEvent<'Review SLA Breached', { reviewId: string; step: number }>;

/**
 * On "Review SLA Breached" (an EventBridge rule): the next approver step with a new deadline and new
 * links, or at the end of the chain the tier's onTimeout (expire, approve a soft review, or remind a
 * review that is blocked until reviewed). The new approvers' emails are queued.
 */
export async function escalate(event: Breach): Promise<{ result: EscalationKind | 'stale' }> {
  const { reviewId, step } = event.detail;
  return escalateReview(deps(), { eventId: event.id, reviewId, step });
}

export const handler = middy(escalate).use(observability());
