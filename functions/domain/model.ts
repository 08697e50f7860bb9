// The review's model: its types only, shared by the rules in domain/ (no logic, no imports of rules).
import type { Action, Tier } from '../../events/index.ts';
import type { Channel, Classification, ReviewPattern, StandIn, StandingAllowed } from './policy.ts';

/** PENDING -> APPROVED | REJECTED | EXPIRED | CANCELLED -> COMPLETED (the restart finished). */
export type ReviewStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'EXPIRED' | 'CANCELLED' | 'COMPLETED';
export type Outcome = 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface Actor {
  /** A person's id, `policy`, a system's name, or for a standing approval `grant <id> by <person>`. */
  id: string;
  kind: 'person' | 'policy' | 'system' | 'grant';
  /** For kind `grant`: the standing approval and the person who granted it. */
  grant?: { id: string; grantedBy: string };
}

export interface HistoryEntry {
  at: string;
  what:
    | 'opened'
    | 'auto_approved'
    | 'notified'
    | 'notification_failed'
    | 'approved'
    | 'rejected'
    | 'expired'
    | 'cancelled'
    | 'escalated'
    | 'redriven'
    | 'delegated'
    | 'executed'
    | 'execution_failed'
    | 'execution_unknown'
    | 'completed'
    // SLAs and escalation (escalation.ts)
    | 'sla_breached'
    | 'approved_on_timeout'
    | 'reminded'
    | 'reminder_sent'
    // Standing approvals (standing.ts)
    | 'standing_granted'
    | 'approved_by_grant';
  by: Actor;
  note?: string;
  /** What wrote it (an execution, a redelivered event, a link digest), so a retry of the same thing recognises its own entry. */
  ref?: string;
}

/**
 * An action hitl-gate performs: `started` once claimed (before anything is sent); then `performed` (with the
 * provider's reference), `failed` (the provider refused it: nothing was done), or `unknown` (an attempt
 * stopped after starting it, so it may or may not have happened). Only `started` is ever followed by another.
 */
export type Execution =
  | { by: 'hitl-gate'; result: 'started'; at: string; claim: string }
  | { by: 'hitl-gate'; result: 'performed'; at: string; claim: string; ref: string }
  | { by: 'hitl-gate'; result: 'failed' | 'unknown'; at: string; claim: string; error: string }
  | AgentExecution;

/**
 * An approved action the agent performs, as the agent reports it (POST /reviews/{id}/execution): `started`
 * when it claims the approval (at most one claim wins), then what became of it, with the agent's own words.
 */
export type AgentExecution =
  | { by: 'agent'; result: 'started'; at: string; claim: string }
  | { by: 'agent'; result: 'performed' | 'failed' | 'unknown'; at: string; claim: string; detail?: string };

/** One approver of a step; a delegate carries whom they stand in for while that person is away. */
export interface RouteApprover {
  id: string;
  name: string;
  email: string;
  onBehalfOf?: StandIn;
  /** Their Slack member id, when the step asks in Slack: the direct message's recipient. */
  slack?: string;
}

/** The approver route, frozen on the review when it opens: a later policy change does not move it. */
export interface RouteStep {
  roles: string[];
  approvers: RouteApprover[];
  sla: { ms: number; text: string; calendar?: string };
  /** Percentages of the SLA at which the step's approvers are reminded (policy `remindAt`); absent: none. */
  remindAt?: number[];
  /** Where the approvers are asked (policy `channels`); absent: by email only. */
  channels?: Channel[];
  /** The Slack channel the step's message goes to; absent: a direct message to each approver with a Slack id. */
  slackChannel?: string;
}

export interface Decision {
  outcome: Outcome;
  by: Actor[];
  at: string;
  reason: string;
  /** What was approved (possibly edited) and its hash: the only action a restart may grant. */
  action: Action;
  actionHash: string;
  edited: boolean;
  /** Set when edited: who edited last, and every field that differs from the proposal. */
  editedBy?: string;
  changes?: Change[];
}

/** One field an approver changed: its dotted path and the proposal's value against the edited one. */
export interface Change {
  path: string;
  from: unknown;
  to: unknown;
}

/** A person's approval of one exact action (by hash) at the current step. */
export interface Approval {
  approverId: string;
  at: string;
  actionHash: string;
  reason?: string;
}

/** An approver's edit of the proposal: the action under approval from then on, until the review is decided. */
export interface ProposedEdit {
  action: Action;
  actionHash: string;
  /** The approver who edited last. */
  by: string;
  at: string;
  /** Differences from the original proposal (review.action), not from the previous edit. */
  changes: Change[];
}

export interface Review {
  id: string;
  proposalId: string;
  agentId: string;
  requestedBy: string;
  action: Action;
  actionHash: string;
  /** A Standard workflow's task token, or a Lambda durable function's callback id: the caller waiting for the outcome (at most one). */
  taskToken?: string;
  durableCallbackId?: string;
  context?: Record<string, unknown>;
  tier: Tier;
  pattern: ReviewPattern;
  rule: string;
  reason: string;
  policyVersion: string;
  route: RouteStep[];
  onTimeout: Classification['onTimeout'];
  quorum: number;
  notify: string[];
  editable: string[];
  /** What the rule allowed of standing approvals when the review opened; absent: none. */
  standing?: StandingAllowed;
  status: ReviewStatus;
  /** Index into route while PENDING. */
  step: number;
  deadline?: string;
  decision?: Decision;
  /** Approvals at the current step; only those of the action under approval count towards the quorum. */
  approvals: Approval[];
  /** The edited action under approval, if an approver changed it; `action` stays the original proposal. */
  proposedEdit?: ProposedEdit;
  history: HistoryEntry[];
  /** hitl-gate performing the approved action itself (types with an executor): claimed before it starts, so it starts at most once. */
  execution?: Execution;
  /** The restart finishing this review, and since when: one restart at a time has an effect. */
  restart?: { ref: string; at: string };
  /** Re-drives: restarts by the sweeper after the previous one did not complete, and when the last was. */
  redrives?: number;
  lastRedriveAt?: string;
  /** Nonces of the single-use decision links already used, claimed in the same write as their decision. */
  usedLinks?: string[];
  /** The sweeper's claim on the current step's SLA breach (escalation.ts): the breach event was published then. */
  breach?: { step: number; at: string };
  /** When the current step's SLA clock started (escalation or a reminder cycle); the first step's is createdAt. */
  stepStartedAt?: string;
  /** The current step's reminders and when each falls due, fixed when the step starts (reminders.ts); absent: none. */
  reminders?: Reminder[];
  /** Percentages of the current step's SLA whose reminder was claimed; reset when a step starts. */
  remindersSent?: number[];
  /** The step whose approvers' emails were queued (after the claim): a claim without it may be taken over. */
  notifiedStep?: number;
  /** Who of a step's approvers has been emailed, and when (the sender records it); another step's record is stale. */
  emailed?: { step: number; to: Record<string, string> };
  /** The Slack messages posted about the review (a step's channel message or an approver's direct message), updated when it ends. */
  slackMessages?: SlackPost[];
  /** Optimistic concurrency: every status change is conditional on it. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** One Slack message about a review: where it is (channel and ts, Slack's id of a message), for which step, to whom. */
export interface SlackPost {
  step: number;
  channel: string;
  ts: string;
  at: string;
  /** The approver of a direct message; absent for a step's channel message. */
  approverId?: string;
}

/** One reminder of the current step: at `percent`% of its SLA, which falls at `at`. */
export interface Reminder {
  percent: number;
  at: string;
}

/** When an SLA that starts at `start` ends (wall-clock, or business hours of a named calendar). */
export type DeadlineFor = (start: Date, sla: { ms: number; calendar?: string }) => Date;

/**
 * The one shape of a state change: what happened (`kind`), the next review (its history does not yet hold
 * `entries`) and the history entries the store appends in the same conditional write.
 */
export interface Transition<K extends string = string> {
  kind: K;
  next: Review;
  entries: HistoryEntry[];
}

/** A lifecycle step that changes nothing, and why (e.g. `not-due`, or `mine`: this caller holds the claim already). */
export interface Unchanged<R extends string = string> {
  kind: 'unchanged';
  reason: R;
}

/**
 * A proposal refused as invalid, kept under the review id its agent and proposalId would have had, so the
 * agent's status lookup says `invalid` (with the problems) instead of "not found" for ever.
 */
export interface InvalidProposal {
  reviewId: string;
  agentId: string;
  proposalId: string;
  /** One line per problem: `action.amount.value: must not be negative`. */
  errors: string[];
  rejectedAt: string;
}

/**
 * A standing approval: a person who approved one action lets later proposals in the same scope be approved
 * in their name until `endsAt`, unless revoked first. Every use is counted on it.
 */
export interface Grant {
  id: string;
  /** The review it was granted on, and that review's rule, tier and policy version. */
  reviewId: string;
  rule: string;
  tier: Tier;
  policyVersion: string;
  grantedBy: string;
  grantedAt: string;
  /** When it stops applying. */
  endsAt: string;
  scope: GrantScope;
  uses: number;
  /** The reviews it approved, so a retried use counts once. */
  usedFor: string[];
  lastUsedAt?: string;
  revoked?: { by: string; at: string; reason: string };
}

/** The values of the approved action a later proposal must hold to: each present field is one condition. */
export interface GrantScope {
  type: string;
  /** The approved target (compared without regard to case); null: the proposal must have none. */
  target?: string | null;
  agent?: string;
  /** The approved amount is the ceiling, in its currency; null: the proposal must carry no amount. */
  amount?: { currency: string; lte: number } | null;
}
