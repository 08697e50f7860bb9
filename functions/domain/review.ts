import type { Action, ActionProposed } from '../../events/index.ts';
import type { Classification } from './policy.ts';
import { reviewIdFor } from './ids.ts';
import { actionHash } from './action-hash.ts';
import { deadlineFor } from './calendar.ts';
import { nextReminderAt, reminderSchedule } from './reminders.ts';
import type {
  Actor,
  Approval,
  Decision,
  HistoryEntry,
  ProposedEdit,
  Review,
  ReviewStatus,
  RouteStep,
  SlackPost,
  Transition,
  Unchanged,
} from './model.ts';

// The model's types, for callers of the review's rules.
export type * from './model.ts';

/** A lifecycle step that changes nothing, and why. */
export function unchanged<R extends string>(reason: R): Unchanged<R> {
  return { kind: 'unchanged', reason };
}

/**
 * The fields a state change may rewrite, next to the model; every other field is written once, when the
 * review opens (history is only appended and used links only added, in the same conditional write).
 * A field added to Review must be listed in one of the two, or this file does not compile.
 */
export const MUTABLE_FIELDS = [
  'status',
  'step',
  'deadline',
  'decision',
  'approvals',
  'proposedEdit',
  'execution',
  'breach',
  'stepStartedAt',
  'reminders',
  'remindersSent',
  'notifiedStep',
  'emailed',
  'slackMessages',
  'restart',
  'redrives',
  'lastRedriveAt',
  'updatedAt',
  'version',
] as const satisfies readonly (keyof Review)[];
export const WRITTEN_ONCE_FIELDS = [
  'id',
  'proposalId',
  'agentId',
  'requestedBy',
  'action',
  'actionHash',
  'taskToken',
  'durableCallbackId',
  'context',
  'tier',
  'pattern',
  'rule',
  'reason',
  'policyVersion',
  'route',
  'onTimeout',
  'quorum',
  'notify',
  'editable',
  'standing',
  'history',
  'usedLinks',
  'createdAt',
] as const satisfies readonly (keyof Review)[];
type Unlisted = Exclude<keyof Review, (typeof MUTABLE_FIELDS)[number] | (typeof WRITTEN_ONCE_FIELDS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : { unlisted: Unlisted } = true;
void everyFieldListed;

export const POLICY: Actor = { id: 'policy', kind: 'policy' };

/** A state change's next review: the one place that bumps `version` (the store's condition) and stamps `updatedAt`. */
export function advance<T extends { version: number }>(
  review: T,
  changes: Partial<T>,
  at: string,
): T & { updatedAt: string } {
  return { ...review, ...changes, version: review.version + 1, updatedAt: at };
}

export function isDecided(status: ReviewStatus): boolean {
  return status === 'APPROVED' || status === 'REJECTED' || status === 'EXPIRED' || status === 'CANCELLED';
}

/** A history entry for each delegate standing in for someone away when the route was resolved. */
function delegations(route: readonly RouteStep[], at: string): HistoryEntry[] {
  return route.flatMap((step, i) =>
    step.approvers.flatMap((a) =>
      a.onBehalfOf
        ? [
            {
              at,
              what: 'delegated' as const,
              by: { id: 'hitl-gate', kind: 'system' as const },
              note: `step ${i + 1}: ${a.name} reviews on behalf of ${a.onBehalfOf.name}, away until ${a.onBehalfOf.until}`,
            },
          ]
        : [],
    ),
  );
}

/** The review a classified proposal opens: decided at once by the policy for the auto pattern, PENDING otherwise. */
export function newReview(proposal: ActionProposed, classification: Classification, now: Date): Review {
  const at = now.toISOString();
  const hash = actionHash(proposal.action);
  const route: RouteStep[] = classification.steps.map((s) => {
    const inSlack = s.channels?.includes('slack') ?? false;
    return {
      roles: s.roles,
      approvers: s.approvers.map(({ id, name, email, onBehalfOf, slack }) => ({
        id,
        name,
        email,
        ...(onBehalfOf ? { onBehalfOf: { ...onBehalfOf } } : {}),
        ...(inSlack && slack ? { slack } : {}),
      })),
      sla: s.sla,
      ...(s.remindAt?.length ? { remindAt: [...s.remindAt] } : {}),
      ...(inSlack ? { channels: [...(s.channels ?? [])] } : {}),
      ...(s.slackChannel ? { slackChannel: s.slackChannel } : {}),
    };
  });
  const base: Review = {
    id: reviewIdFor(proposal.agentId, proposal.proposalId),
    proposalId: proposal.proposalId,
    agentId: proposal.agentId,
    requestedBy: proposal.requestedBy,
    action: proposal.action,
    actionHash: hash,
    ...(proposal.taskToken ? { taskToken: proposal.taskToken } : {}),
    ...(proposal.callback ? { durableCallbackId: proposal.callback.durableCallbackId } : {}),
    ...(proposal.context ? { context: proposal.context } : {}),
    tier: classification.tier,
    pattern: classification.pattern,
    rule: classification.rule,
    reason: classification.reason,
    policyVersion: classification.policyVersion,
    route,
    onTimeout: classification.onTimeout,
    quorum: classification.quorum,
    notify: classification.notify.map((p) => p.id),
    editable: classification.editable,
    ...(classification.standing ? { standing: classification.standing } : {}),
    status: 'PENDING',
    step: 0,
    approvals: [],
    history: [
      { at, what: 'opened', by: { id: proposal.agentId, kind: 'system' }, note: classification.reason },
      ...delegations(route, at),
    ],
    version: 1,
    createdAt: at,
    updatedAt: at,
  };
  if (classification.pattern === 'auto') {
    return {
      ...base,
      status: 'APPROVED',
      decision: {
        outcome: 'approved',
        by: [POLICY],
        at,
        reason: classification.reason,
        action: proposal.action,
        actionHash: hash,
        edited: false,
      },
      history: [...base.history, { at, what: 'auto_approved', by: POLICY, note: `rule ${classification.rule}` }],
    };
  }
  const first = route[0];
  if (!first) throw new Error(`rule ${classification.rule} asks for review but has no approver step`);
  const clock = (start: Date, sla: { ms: number; calendar?: string }) =>
    deadlineFor(start, sla, classification.calendars);
  const reminders = reminderSchedule(first, now, clock);
  return { ...base, deadline: clock(now, first.sla).toISOString(), ...(reminders.length ? { reminders } : {}) };
}

/** Current approvers, the people a notification goes to. */
export function currentApprovers(review: Review): RouteStep['approvers'] {
  return review.route[review.step]?.approvers ?? [];
}

/**
 * What intake does next with a review it tried to open (a duplicate event may find it half-way). `publish`: the
 * policy approved it and nothing waits on it, so intake itself publishes the outcome and completes the review
 * (one Express run); `resume`: a decided review with a caller to answer (or an action to perform) restarts.
 */
export type IntakeNext = 'notify' | 'resume' | 'publish' | 'duplicate' | 'conflict';

export function intakeNext(review: Review, created: boolean, proposedHash: string): IntakeNext {
  if (!created && review.actionHash !== proposedHash) return 'conflict';
  if (isDecided(review.status)) return 'resume';
  if (review.status === 'PENDING' && !notificationOf(review)) return 'notify';
  return 'duplicate';
}

/** The entry that claimed the current step's notification, if any. */
export function notificationOf(review: Review): HistoryEntry | undefined {
  return review.history.findLast((h) => h.what === 'notified' && h.note?.startsWith(`step ${review.step + 1}:`));
}

/**
 * Claims the current step's notification for one execution. Claiming before sending, conditionally,
 * means two copies of one proposal racing through intake send one set of emails; the claiming
 * execution's own retries still send (they carry the same ref).
 */
export function claimNotification(
  review: Review,
  executionRef: string,
  now: Date,
): Transition<'notification-claimed'> | Unchanged<'mine' | 'taken'> {
  const existing = notificationOf(review);
  if (existing?.ref === executionRef) return unchanged('mine');
  // Another execution claimed it: it sends, unless it died before its emails went out (then, after the lease, take it over).
  const sent = review.notifiedStep === review.step;
  if (existing && (sent || Date.parse(existing.at) + NOTIFY_LEASE_MS > now.getTime())) return unchanged('taken');
  const at = now.toISOString();
  const ids = currentApprovers(review).map((a) => a.id);
  const entry: HistoryEntry = {
    at,
    what: 'notified',
    by: { id: 'hitl-gate', kind: 'system' },
    note: `step ${review.step + 1}: ${ids.join(', ')}`,
    ref: executionRef,
  };
  return { kind: 'notification-claimed', next: advance(review, {}, at), entries: [entry] };
}

/** How long a notification claim waits for its emails before the sweeper takes it over and sends them. */
export const NOTIFY_LEASE_MS = 2 * 60_000;

/** The claim on notifying a step whose emails went out; unsent after NOTIFY_LEASE_MS, the sweeper sends them. */
export function unsentNotification(review: Review): HistoryEntry | undefined {
  if (review.status !== 'PENDING' || review.notifiedStep === review.step) return undefined;
  return notificationOf(review);
}

/** The current step's approvers were emailed: the claim is done. */
export function notificationSent(
  review: Review,
  now: Date,
): Transition<'notification-sent'> | Unchanged<'sent-before'> {
  if (review.notifiedStep === review.step) return unchanged('sent-before');
  const at = now.toISOString();
  return { kind: 'notification-sent', next: advance(review, { notifiedStep: review.step }, at), entries: [] };
}

/** When the current step's email went out to this approver; undefined while it waits its turn (or never will). */
export function emailedAt(review: Review, approverId: string): string | undefined {
  return review.emailed?.step === review.step ? review.emailed.to[approverId] : undefined;
}

/** The sender emailed an approver of `step` now: recorded while the review is still at that step. */
export function recordEmailed(
  review: Review,
  step: number,
  approverId: string,
  now: Date,
): Transition<'emailed'> | Unchanged<'moved-on'> {
  if (review.status !== 'PENDING' || review.step !== step) return unchanged('moved-on');
  // The latest send counts: a message queued before it (delivered again) is not sent again; a reminder queued later is.
  const at = now.toISOString();
  const to = review.emailed?.step === step ? review.emailed.to : {};
  return {
    kind: 'emailed',
    next: advance(review, { emailed: { step, to: { ...to, [approverId]: at } } }, at),
    entries: [],
  };
}

/** A review keeps at most this many Slack messages (a step's, its reminders'): the item stays small. */
export const MAX_SLACK_MESSAGES = 20;

/** When the latest Slack message of the current step went to `to` (a channel or an approver's id); undefined: none yet. */
export function slackPostedAt(review: Review, to: { channel?: string; approverId?: string }): string | undefined {
  return review.slackMessages
    ?.filter(
      (m) =>
        m.step === review.step &&
        (to.approverId === undefined
          ? m.approverId === undefined && m.channel === to.channel
          : m.approverId === to.approverId),
    )
    .map((m) => m.at)
    .sort()
    .at(-1);
}

/** The sender posted a Slack message about the review: kept (the oldest dropped past MAX_SLACK_MESSAGES) so its end can update it. */
export function recordSlackPosted(
  review: Review,
  post: Omit<SlackPost, 'at'>,
  now: Date,
): Transition<'slack-posted'> | Unchanged<'moved-on'> {
  if (review.status !== 'PENDING' || review.step !== post.step) return unchanged('moved-on');
  const at = now.toISOString();
  const slackMessages = [...(review.slackMessages ?? []), { ...post, at }].slice(-MAX_SLACK_MESSAGES);
  return { kind: 'slack-posted', next: advance(review, { slackMessages }, at), entries: [] };
}

/**
 * An email that could not go out after every retry (it goes to the notifications' dead-letter queue): said in
 * the history, once per person and step, so the page and the status show who was never told.
 */
export function recordNotDelivered(
  review: Review,
  step: number,
  personId: string,
  why: string,
  now: Date,
  message = 'email',
): Transition<'not-delivered'> | Unchanged<'moved-on' | 'recorded-before'> {
  // A Slack update is of a review that ended: said in its history all the same.
  if (message !== 'Slack update' && (review.status !== 'PENDING' || review.step !== step)) return unchanged('moved-on');
  const ref = `undelivered:${step}:${message === 'email' ? '' : `${message}:`}${personId}`;
  if (review.history.some((h) => h.ref === ref)) return unchanged('recorded-before');
  const at = now.toISOString();
  const entry: HistoryEntry = {
    at,
    what: 'notification_failed',
    by: { id: 'hitl-gate', kind: 'system' },
    note: `step ${step + 1}: the ${message} to ${personId} could not be sent (${why}); it is in the notifications' dead-letter queue`,
    ref,
  };
  return { kind: 'not-delivered', next: advance(review, {}, at), entries: [entry] };
}

/** The restart finished: the outcome was published and the caller answered. */
export function completed(review: Review, now: Date): Transition<'completed'> {
  if (!isDecided(review.status)) throw new Error(`review ${review.id} is ${review.status}, not decided`);
  const at = now.toISOString();
  const entry: HistoryEntry = {
    at,
    what: 'completed',
    by: { id: 'hitl-gate', kind: 'system' },
    note: `outcome ${review.decision?.outcome}`,
  };
  return { kind: 'completed', next: advance(review, { status: 'COMPLETED' }, at), entries: [entry] };
}

/** The named failure a waiting caller receives when the review did not end in an approval. */
export type CallerFailure = 'HumanRejected' | 'ReviewExpired' | 'ReviewCancelled';

/** What the waiting caller receives: success with the outcome event's detail as JSON, or a named failure with a JSON cause. */
export type Answer = { success: true; output: string } | { success: false; error: CallerFailure; cause: string };

/** The answer to a Standard workflow paused on .waitForTaskToken. */
export type TaskTokenCallback = { taskToken: string } & Answer;
/** The answer to a Lambda durable function paused on context.waitForCallback. */
export type DurableFunctionCallback = { durableCallbackId: string } & Answer;
export type Callback = TaskTokenCallback | DurableFunctionCallback;

type Caller = { taskToken: string } | { durableCallbackId: string };

function callerOf(review: Review): Caller | undefined {
  if (review.taskToken) return { taskToken: review.taskToken };
  if (review.durableCallbackId) return { durableCallbackId: review.durableCallbackId };
  return undefined;
}

/** Whether a caller waits for this review's outcome (a task token or a durable function's callback). */
export function hasCaller(review: Review): boolean {
  return callerOf(review) !== undefined;
}

export function callbackFor(review: Review, outcomeDetail: Record<string, unknown>): Callback | undefined {
  const d = review.decision;
  const caller = callerOf(review);
  if (!caller || !d) return undefined;
  if (d.outcome === 'approved') return { ...caller, success: true, output: JSON.stringify(outcomeDetail) };
  const error = ({ rejected: 'HumanRejected', expired: 'ReviewExpired', cancelled: 'ReviewCancelled' } as const)[
    d.outcome
  ];
  const cause = JSON.stringify({
    reviewId: review.id,
    proposalId: review.proposalId,
    outcomeId: outcomeDetail.outcomeId,
    decidedBy: d.by.map((a) => a.id),
    reason: d.reason,
    decidedAt: d.at,
  });
  return { ...caller, success: false, error, cause };
}

/** How long a claimed SLA breach waits for its escalation before the sweeper publishes the breach again. */
export const BREACH_REPUBLISH_MS = 5 * 60_000;

/** How long a decided review may take to complete before the sweeper restarts it, doubling per re-drive up to an hour. */
export const REDRIVE_AFTER_MS = 2 * 60_000;
const REDRIVE_MAX_MS = 60 * 60_000;

/**
 * When the sweeper must next look at a review: while it waits, its next reminder or else its deadline; once
 * decided, when its restart is overdue. A completed review needs no attention and leaves the due index.
 */
export function attentionAt(review: Review): string | undefined {
  if (review.status === 'PENDING') {
    const claim = unsentNotification(review);
    const unsent = claim ? new Date(Date.parse(claim.at) + NOTIFY_LEASE_MS).toISOString() : undefined;
    const usual = pendingAttention(review);
    return unsent && (!usual || unsent < usual) ? unsent : usual;
  }
  if (!isDecided(review.status) || !review.decision) return undefined;
  const since = Date.parse(review.lastRedriveAt ?? review.decision.at);
  const wait = Math.min(REDRIVE_AFTER_MS * 2 ** (review.redrives ?? 0), REDRIVE_MAX_MS);
  return new Date(since + wait).toISOString();
}

/** A pending review's attention time: its next reminder, its deadline, or after a claimed breach the republish time. */
function pendingAttention(review: Review): string | undefined {
  const breach = review.breach;
  // The next reminder always falls before the deadline.
  if (!breach || breach.step !== review.step || !review.deadline) return nextReminderAt(review) ?? review.deadline;
  // Breach claimed: look again only once the escalation should have happened, to publish it again if it did not.
  const republish = new Date(Date.parse(breach.at) + BREACH_REPUBLISH_MS).toISOString();
  // biome-ignore lint/complexity/useMathMinMax: ISO timestamps compare as strings; Math.max would make numbers of them.
  return republish > review.deadline ? republish : review.deadline;
}

/** The sweeper's claim on restarting a decided review whose restart did not complete (conditional, like every change). */
export function redriven(review: Review, now: Date): Transition<'redriven'> {
  if (!isDecided(review.status)) throw new Error(`review ${review.id} is ${review.status}, not decided`);
  const at = now.toISOString();
  const redrives = (review.redrives ?? 0) + 1;
  const entry: HistoryEntry = {
    at,
    what: 'redriven',
    by: { id: 'hitl-gate', kind: 'system' },
    note: `restart ${redrives}: the previous one did not complete`,
  };
  return { kind: 'redriven', next: advance(review, { redrives, lastRedriveAt: at }, at), entries: [entry] };
}

/** How long a restart holds its claim: longer than a restart takes, well under the sweeper's re-drive wait. */
export const RESTART_LEASE_MS = 60_000;

/**
 * A restart's claim on finishing a decided review. Concurrent restarts (a decision's own, a
 * re-drive, a duplicate) would each publish the outcome; only the holder of the claim goes on. A claim
 * older than the lease belongs to a restart that died, and is taken over.
 */
export function claimRestart(
  review: Review,
  executionRef: string,
  now: Date,
): Transition<'restart-claimed'> | Unchanged<'mine' | 'busy'> {
  const held = review.restart;
  if (held?.ref === executionRef) return unchanged('mine');
  if (held && Date.parse(held.at) + RESTART_LEASE_MS > now.getTime()) return unchanged('busy');
  const at = now.toISOString();
  return { kind: 'restart-claimed', next: advance(review, { restart: { ref: executionRef, at } }, at), entries: [] };
}

/**
 * Claims the approved action for one execution, before anything is sent: it starts at most once. A claim found
 * without a result means an earlier attempt stopped after starting it (`claimed-before`): it is never started again.
 */
export function claimExecution(
  review: Review,
  claim: string,
  now: Date,
): Transition<'execution-claimed'> | Unchanged<'done-before' | 'claimed-before' | 'in-progress'> {
  const held = review.execution;
  if (held && held.result !== 'started') return unchanged('done-before');
  // Another restart started it moments ago and may still be at it (its lease has not run out): wait for its result.
  if (held && held.claim !== claim && Date.parse(held.at) + RESTART_LEASE_MS > now.getTime())
    return unchanged('in-progress');
  if (held) return unchanged('claimed-before');
  if (review.status !== 'APPROVED' || !review.decision)
    throw new Error(`review ${review.id} is ${review.status}, not approved`);
  const at = now.toISOString();
  return {
    kind: 'execution-claimed',
    next: advance(review, { execution: { by: 'hitl-gate', result: 'started', at, claim } }, at),
    entries: [],
  };
}

/** Gives back a claim whose action certainly did not start (the provider said "not now"), so a retry may start it. */
export function releaseExecution(
  review: Review,
  claim: string,
  now: Date,
): Transition<'execution-released'> | Unchanged<'not-mine'> {
  if (review.execution?.result !== 'started' || review.execution.claim !== claim) return unchanged('not-mine');
  const at = now.toISOString();
  return { kind: 'execution-released', next: advance(review, { execution: undefined }, at), entries: [] };
}

/** What became of an action hitl-gate started. */
export type ExecutionResult = { result: 'performed'; ref: string } | { result: 'failed' | 'unknown'; error: string };

/** Records what became of the action started under its claim; once (a recorded result is never replaced). */
export function executed(
  review: Review,
  outcome: ExecutionResult,
  now: Date,
): Transition<'executed'> | Unchanged<'done-before'> {
  const started = review.execution;
  if (started && started.result !== 'started') return unchanged('done-before');
  const type = review.decision?.action.type;
  if (!started || review.status !== 'APPROVED' || !type) throw new Error(`review ${review.id} has no action started`);
  const at = now.toISOString();
  const by = { id: 'hitl-gate', kind: 'system' } as const;
  const execution = { by: 'hitl-gate', at, claim: started.claim, ...outcome } as const;
  const entry: HistoryEntry =
    outcome.result === 'performed'
      ? { at, what: 'executed', by, note: `${type}: ${outcome.ref}` }
      : outcome.result === 'failed'
        ? {
            at,
            what: 'execution_failed',
            by,
            note: `${type} refused: ${outcome.error}; not retried without a new approval`,
          }
        : {
            at,
            what: 'execution_unknown',
            by,
            note: `${type} may or may not have happened: ${outcome.error}; not run again`,
          };
  return { kind: 'executed', next: advance(review, { execution }, at), entries: [entry] };
}

/** The longest reason or note a person may give with a decision or a cancellation. */
export const MAX_REASON_LENGTH = 2000;

/** The action approvers are deciding on now: the latest accepted edit, or else the original proposal. */
export function actionUnderApproval(review: Review): { action: Action; actionHash: string; edit?: ProposedEdit } {
  return review.proposedEdit
    ? { action: review.proposedEdit.action, actionHash: review.proposedEdit.actionHash, edit: review.proposedEdit }
    : { action: review.action, actionHash: review.actionHash };
}

/** The current step's approvers who have approved the action under approval, in the order they did. */
export function approvalsCounted(review: Review): Approval[] {
  const { actionHash: hash } = actionUnderApproval(review);
  const current = new Set((review.route[review.step]?.approvers ?? []).map((a) => a.id));
  const counted = new Map<string, Approval>();
  // `?? []`: a review stored before approvals were recorded has none.
  for (const a of review.approvals ?? []) {
    if (a.actionHash === hash && current.has(a.approverId) && !counted.has(a.approverId)) counted.set(a.approverId, a);
  }
  return [...counted.values()];
}

/** What a decision covers: the action under approval, its hash, and the edit that made it, if any. */
export function decisionSubject(
  review: Review,
): Pick<Decision, 'action' | 'actionHash' | 'edited' | 'editedBy' | 'changes'> {
  const { action, actionHash, edit } = actionUnderApproval(review);
  return {
    action,
    actionHash,
    edited: edit !== undefined,
    ...(edit ? { editedBy: edit.by, changes: edit.changes } : {}),
  };
}

/** The value at a dotted path of an action (`amount.value`), own properties only. */
export function valueAt(root: unknown, path: string): unknown {
  let at: unknown = root;
  for (const segment of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, segment)) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}
