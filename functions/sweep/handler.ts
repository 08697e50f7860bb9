import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { type SweepResult, sweep as sweepDue } from '../app/sweep.ts';

export type { SweepResult } from '../app/sweep.ts';

/** Scheduled: breaches, reminders and re-drives of what is due (app/sweep.ts). */
export async function sweep(_event: unknown, context: Context): Promise<SweepResult> {
  return sweepDue(deps(), linkKeyFrom(context));
}

export const handler = middy(sweep).use(observability()).use(linkKeyMiddleware());
