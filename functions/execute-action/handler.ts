import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { executeAction as execute } from '../app/restart.ts';

/** Performs an approved action that hitl-gate executes itself (executors/), at most once, and records what became of it. */
export async function executeAction(input: { reviewId: string; executionRef: string }) {
  return execute(deps(), input);
}

export const handler = middy(executeAction).use(observability());
