import * as z from 'zod';

/** ISO 4217 alphabetic code; whether the policy knows it is the policy's business. */
export const CurrencyCode = z.string().regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code such as "USD"');

export const Money = z.strictObject({
  value: z
    .number()
    .finite()
    .nonnegative('must not be negative')
    .max(1e12, 'must be at most 1,000,000,000,000')
    // Exact minor units: 999.99 is fine, 999.999 is ambiguous and refused.
    .refine((v) => /^-?\d+(\.\d{1,2})?$/.test(String(v)), { message: 'must have at most two decimal places' }),
  currency: CurrencyCode,
});
export type Money = z.infer<typeof Money>;

/**
 * Paths of the text in `value` (strings and object keys) that is not well-formed Unicode: a lone UTF-16
 * surrogate cannot be canonicalized (RFC 8785) or hashed, so it is refused as invalid, never an error later.
 */
export function illFormedText(value: unknown, path: (string | number)[] = [], found: (string | number)[][] = []) {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) found.push(path);
  } else if (Array.isArray(value))
    value.forEach((v, i) => {
      illFormedText(v, [...path, i], found);
    });
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (!k.isWellFormed()) found.push([...path, k.toWellFormed()]);
      else illFormedText(v, [...path, k], found);
    }
  return found;
}

function refuseIllFormedText(value: unknown, ctx: z.RefinementCtx) {
  for (const path of illFormedText(value))
    ctx.addIssue({ code: 'custom', path, message: 'must be valid Unicode text (it holds a lone UTF-16 surrogate)' });
}

/**
 * snake_case, or `mcp:` and an MCP tool's name (letters, digits, `_ - .`, up to 128, as MCP names tools):
 * the type the MCP gate gives a tool call the policy maps to no other type.
 */
export const ACTION_TYPE = /^(?:[a-z][a-z0-9_]{0,63}|mcp:[A-Za-z0-9_.-]{1,128})$/;

const Id = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const Action = z
  .strictObject({
    /** e.g. purchase_order, refund, customer_email, ticket_priority, db_schema_change */
    type: z.string().regex(ACTION_TYPE, 'must be snake_case, e.g. "purchase_order", or mcp:<tool name>'),
    summary: z.string().trim().min(1, 'must not be empty').max(2000),
    amount: Money.optional(),
    /** What the action touches, e.g. "production/orders-db" or a customer id. */
    target: z.string().min(1).max(512).optional(),
    payload: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine(refuseIllFormedText);
export type Action = z.infer<typeof Action>;

/**
 * A durable function's callback: the id `context.waitForCallback` hands its submitter, answered with
 * SendDurableExecutionCallbackSuccess/Failure. Its shape is the Lambda API's CallbackId (1 to 1024
 * characters of base64).
 */
export const DurableCallback = z.strictObject({
  durableCallbackId: z
    .string()
    .min(1, 'must not be empty')
    .max(1024, 'must be at most 1024 characters')
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be the callback id context.waitForCallback gave, unchanged (base64)'),
});
export type DurableCallback = z.infer<typeof DurableCallback>;

export const ActionProposed = z
  .strictObject({
    /** The caller's idempotency key: the same proposalId never opens a second review. */
    proposalId: Id,
    agentId: Id,
    /** The human on whose behalf the agent acts; never allowed to approve it. */
    requestedBy: Id,
    action: Action,
    /** A Standard workflow's $$.Task.Token, answered with SendTaskSuccess/SendTaskFailure. */
    taskToken: z.string().min(1).max(8192).optional(),
    /** Who else waits for the outcome: a Lambda durable function paused on context.waitForCallback. */
    callback: DurableCallback.describe(
      'a Lambda durable function waiting on context.waitForCallback; not together with taskToken',
    ).optional(),
    context: z.record(z.string(), z.unknown()).optional(),
  })
  .superRefine((value, ctx) => {
    // The action checks its own text; the rest of the proposal (ids, context) is checked here.
    refuseIllFormedText({ ...value, action: undefined }, ctx);
    if (value.taskToken !== undefined && value.callback !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['callback'],
        message:
          'give either taskToken (a Standard workflow) or callback.durableCallbackId (a durable function), not both: one caller waits for a review',
      });
  });
export type ActionProposed = z.infer<typeof ActionProposed>;

/** One line per problem, with the path into the event: `action.amount.value: must not be negative`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}
