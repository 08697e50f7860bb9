import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { type SweepResult, sweep as sweepDue } from '../app/sweep.ts';

export type { SweepResult } from '../app/sweep.ts';

/** Scheduled: breaches, reminders and re-drives of what is due (app/sweep.ts). */
export async function sweep(): Promise<SweepResult> {
  return sweepDue(deps());
}

export const handler = middy(sweep).use(observability());
