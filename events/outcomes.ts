import * as z from 'zod';
import { Action } from './action-proposed.ts';

export const Tier = z.enum(['low', 'medium', 'high', 'critical']);
export type Tier = z.infer<typeof Tier>;

/** Fields every event about a review carries, so an agent can correlate without a lookup. */
const ReviewRef = {
  reviewId: z.string(),
  proposalId: z.string(),
  agentId: z.string(),
  requestedBy: z.string(),
  tier: Tier,
  policyVersion: z.string(),
  /** SHA-256 of the RFC 8785 canonical JSON of the action. */
  actionHash: z.string().regex(/^[0-9a-f]{64}$/),
};

/**
 * The outcome's own id: the same on every publication of this outcome (a restart after a crash publishes it
 * again; EventBridge delivers at least once). Consumers keep the ids they have acted on and skip repeats.
 */
const OutcomeId = z.string().regex(/^out-[0-9a-f]{32}$/);

const Decider = z.strictObject({
  /** A person's id, "policy" for an automatic decision, or "grant <id> by <person>" for a standing approval's. */
  id: z.string(),
  kind: z.enum(['person', 'policy', 'grant']),
  /** For kind grant: the standing approval that decided, and who granted it. */
  grant: z.strictObject({ id: z.string(), grantedBy: z.string() }).optional(),
});

export const ApprovalRequested = z.strictObject({
  ...ReviewRef,
  action: Action,
  rule: z.string(),
  reason: z.string(),
  approvers: z.array(z.string()).min(1),
  step: z.number().int().nonnegative(),
  deadline: z.iso.datetime().optional(),
  requestedAt: z.iso.datetime(),
});

export const ApprovalGranted = z.strictObject({
  ...ReviewRef,
  outcomeId: OutcomeId,
  /** The exact action approved; its hash is actionHash. Perform this, not the original proposal. */
  action: Action,
  decidedBy: z.array(Decider).min(1),
  decidedAt: z.iso.datetime(),
  reason: z.string(),
  edited: z.boolean(),
  /** Who performs the action: the agent (the default), or hitl-gate itself for the types it executes. */
  performedBy: z.enum(['agent', 'hitl-gate']),
  /** For actions hitl-gate performed: its reference (e.g. the SES message id). */
  executionRef: z.string().optional(),
  /**
   * For actions hitl-gate performs: `performed`; `failed` (the provider refused it, nothing happened, and it is
   * not retried without a new approval); `unknown` (an attempt stopped after starting it; it is not run again).
   */
  executionResult: z.enum(['performed', 'failed', 'unknown']).optional(),
  /** Why it failed, or why its result is unknown. */
  executionError: z.string().optional(),
});

export const ApprovalRejected = z.strictObject({
  ...ReviewRef,
  outcomeId: OutcomeId,
  decidedBy: z.array(Decider).min(1),
  decidedAt: z.iso.datetime(),
  reason: z.string(),
});

export const ActionRejectedAsInvalid = z.strictObject({
  /** Present when the event carried one, so the agent can correlate. */
  proposalId: z.string().optional(),
  agentId: z.string().optional(),
  /** One line per problem: `action.amount.value: must not be negative`. */
  errors: z.array(z.string()).min(1),
  /** The event as received, so nothing is lost. */
  received: z.unknown(),
  rejectedAt: z.iso.datetime(),
});

export const IntakeFailed = z.strictObject({
  proposalId: z.string().optional(),
  error: z.string(),
  cause: z.string(),
  failedAt: z.iso.datetime(),
  input: z.unknown(),
});

export const ReviewSlaBreached = z.strictObject({
  ...ReviewRef,
  /** The step whose SLA passed (0 = first approvers). */
  step: z.number().int().nonnegative(),
  approvers: z.array(z.string()),
  deadline: z.iso.datetime(),
  breachedAt: z.iso.datetime(),
});

export const ReviewEscalated = z.strictObject({
  ...ReviewRef,
  /** What happened: moved to the next step, or (block until reviewed) reminded the last one again. */
  kind: z.enum(['escalated', 'reminded']),
  fromStep: z.number().int().nonnegative(),
  toStep: z.number().int().nonnegative(),
  approvers: z.array(z.string()).min(1),
  deadline: z.iso.datetime(),
  escalatedAt: z.iso.datetime(),
  reason: z.string(),
});

/** Expiry and cancellation carry the same fields as a rejection: who or what ended it, when, why. */
export const ApprovalExpired = ApprovalRejected;
export const ApprovalCancelled = ApprovalRejected;
