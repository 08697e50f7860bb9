// Action types hitl-gate performs itself once approved, one module each (its schema and how to perform it);
// every other type is performed by the agent, which receives the exact approved action in "Approval Granted".
import type * as z from 'zod';
import type { Action } from '../../events/index.ts';
import type { Mailer } from '../app/ports.ts';
import type { Review } from '../domain/review.ts';
import * as customerEmail from './customer-email.ts';
import type { PerformedType } from './performed.ts';

export { NotPerformed } from './not-performed.ts';
export { performedByHitlGate } from './performed.ts';

export interface Executor {
  /** What an action must carry for hitl-gate to perform it, checked at intake so a bad one never waits for a person. */
  schema: z.ZodType;
  /** Performs the approved action; returns its reference (e.g. the message id). Throws NotPerformed when it certainly did not happen. */
  perform(action: Action, review: Review, ports: { mailer: Mailer }): Promise<string>;
}

/** One executor for each type performed.ts lists, and no other. */
export const EXECUTORS: Record<PerformedType, Executor> & Partial<Record<string, Executor>> = {
  customer_email: customerEmail,
};

/** Problems that would stop hitl-gate performing this action, as `path: problem` lines (none for agent-performed types). */
export function executionProblems(action: Action): string[] {
  const executor = EXECUTORS[action.type];
  if (!executor) return [];
  const parsed = executor.schema.safeParse(action);
  return parsed.success ? [] : parsed.error.issues.map((i) => `action.${i.path.join('.')}: ${i.message}`);
}
