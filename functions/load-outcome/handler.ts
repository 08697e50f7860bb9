import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { type LoadOutcomeResult, loadOutcome as load } from '../app/restart.ts';

const deps = wire({ store: reviewsTable, clock: systemClock });

export { ReviewNotDecided, type LoadOutcomeResult } from '../app/restart.ts';

/** The first step of every restart: claim the decided review and say what must be done with it. */
export async function loadOutcome(input: { reviewId: string; executionRef: string }): Promise<LoadOutcomeResult> {
  return load(deps(), input);
}

export const handler = middy(loadOutcome).use(observability());
