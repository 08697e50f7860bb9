import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { deps } from '../app/deps.ts';
import { reportToCaller as report } from '../app/restart.ts';
import type { Callback } from '../domain/review.ts';

/** SendTaskSuccess / SendTaskFailure for a proposal that carried a task token. */
export async function reportToCaller(input: { reviewId: string; callback: Callback }) {
  return report(deps(), input);
}

export const handler = middy(reportToCaller).use(observability());
