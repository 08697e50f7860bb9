import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { notifyStep } from '../app/notify.ts';
import type { BusEvent } from '../domain/review-events.ts';

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
