import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { notifyStep } from '../app/notify.ts';
import type { BusEvent } from '../domain/review-events.ts';

export interface NotifyInput {
  reviewId: string;
  /** The workflow execution asking ($$.Execution.Id): its retries may send again, other executions may not. */
  executionRef: string;
}

/** Emails the current step's approvers once per step, and returns the "Approval Requested" event to publish. */
export async function notifyApprovers(
  input: NotifyInput,
  context: Context,
): Promise<{ notified: string[]; event?: BusEvent }> {
  return notifyStep(deps(), input, linkKeyFrom(context));
}

export const handler = middy(notifyApprovers).use(observability()).use(linkKeyMiddleware());
