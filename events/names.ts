// The one place that names what travels on the bus.

/** Source of every event hitl-gate publishes; agents use their own source. */
export const HITL_SOURCE = 'hitl.gate';

export const DetailType = {
  ActionProposed: 'Action Proposed',
  ApprovalRequested: 'Approval Requested',
  ApprovalGranted: 'Approval Granted',
  ApprovalRejected: 'Approval Rejected',
  ApprovalExpired: 'Approval Expired',
  ApprovalCancelled: 'Approval Cancelled',
  ReviewEscalated: 'Review Escalated',
  ReviewSlaBreached: 'Review SLA Breached',
  ActionRejectedAsInvalid: 'Action Rejected As Invalid',
  IntakeFailed: 'Intake Failed',
} as const;

export type DetailTypeName = (typeof DetailType)[keyof typeof DetailType];
