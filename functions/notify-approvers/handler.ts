import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { stageNotifications } from '../adapters/notification-queue.ts';
import { directory } from '../adapters/policy-files.ts';
import { notifyStep } from '../app/notify.ts';
import type { BusEvent } from '../domain/review-events.ts';

const deps = wire({ store: reviewsTable, clock: systemClock, notifications: stageNotifications, directory });

export interface NotifyInput {
  reviewId: string;
  /** The workflow execution asking ($$.Execution.Id): its retries may send again, other executions may not. */
  executionRef: string;
}

/** Queues the emails of the current step's approvers once per step, and returns the "Approval Requested" event to publish. */
export async function notifyApprovers(input: NotifyInput): Promise<{ notified: string[]; event?: BusEvent }> {
  return notifyStep(deps(), input);
}

export const handler = middy(notifyApprovers).use(observability());
