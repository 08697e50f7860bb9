import middy from '@middy/core';
import { observability } from '../adapters/observability.ts';
import { wire } from '../app/deps.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { systemClock } from '../adapters/clock.ts';
import { stageBus } from '../adapters/event-bus.ts';
import { resumeWorkflows } from '../adapters/workflows.ts';
import { stageNotifications } from '../adapters/notification-queue.ts';
import { directory } from '../adapters/policy-files.ts';
import { type SweepResult, sweep as sweepDue } from '../app/sweep.ts';

const deps = wire({
  store: reviewsTable,
  clock: systemClock,
  bus: stageBus,
  workflows: resumeWorkflows,
  notifications: stageNotifications,
  directory,
});

export type { SweepResult } from '../app/sweep.ts';

/** Scheduled: breaches, reminders and re-drives of what is due (app/sweep.ts). */
export async function sweep(): Promise<SweepResult> {
  return sweepDue(deps());
}

export const handler = middy(sweep).use(observability());
