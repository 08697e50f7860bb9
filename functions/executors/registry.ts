// Action types hitl-gate performs itself once approved; every other type is performed by the agent,
// which receives the exact approved action in "Approval Granted". Pure: intake and resume read it.
import * as z from 'zod';
import type { Action } from '../../events/index.ts';

/** What an action must carry for hitl-gate to perform it, checked at intake so a bad one never waits for a person. */
export const EXECUTABLE: Record<string, z.ZodType> = {
  /** An email to a customer, sent exactly as approved (possibly reworded by the approver). */
  customer_email: z.object({
    target: z.email("must be the customer's email address"),
    payload: z.object({
      subject: z.string().trim().min(1, 'must not be empty').max(200),
      body: z.string().trim().min(1, 'must not be empty').max(50_000),
    }),
  }),
};

export function performedByHitlGate(type: string): boolean {
  return Object.hasOwn(EXECUTABLE, type);
}

/** Problems that would stop hitl-gate performing this action, as `path: problem` lines (none for agent-performed types). */
export function executionProblems(action: Action): string[] {
  const schema = EXECUTABLE[action.type];
  if (!schema) return [];
  const parsed = schema.safeParse(action);
  return parsed.success ? [] : parsed.error.issues.map((i) => `action.${i.path.join('.')}: ${i.message}`);
}
