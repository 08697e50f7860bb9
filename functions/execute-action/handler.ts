import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { executeAction as execute } from '../app/restart.ts';

/** Performs an approved action that hitl-gate executes itself (executors/), once, and records it on the review. */
export async function executeAction(input: { reviewId: string }): Promise<{ executed: boolean; ref?: string }> {
  return execute(deps(), input);
}

export const handler = middy(executeAction).use(observability());
