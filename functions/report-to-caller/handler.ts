import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { lambdaDurableFunctions } from '../adapters/durable-functions.ts';
import { reportToCaller as report } from '../app/complete.ts';
import type { Callback } from '../domain/review.ts';

const deps = wire({ workflows: resumeWorkflows, durableFunctions: lambdaDurableFunctions });

/** Answers the caller waiting on a review: a task token's workflow or a durable function's callback. */
export async function reportToCaller(input: { reviewId: string; callback: Callback }) {
  return report(deps(), input);
}

export const handler = middy(reportToCaller).use(observability());
