import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { stageMailer } from '../adapters/mail.ts';
import { executeAction as execute } from '../app/execute.ts';

const deps = wire({ store: reviewsTable, clock: systemClock, mailer: stageMailer });

/** Performs an approved action that hitl-gate executes itself (executors/), at most once, and records what became of it. */
export async function executeAction(input: { reviewId: string; executionRef: string }) {
  return execute(deps(), input);
}

export const handler = middy(executeAction).use(observability());
