// What the use cases need from the world, as interfaces: the adapters implement them on AWS (DynamoDB,
// EventBridge, SES v2, Step Functions, Lambda), and tests give in-memory ones. Types only, plus the store's two
// conflict errors, which are part of its contract.
import type { InboxRow } from '../domain/inbox.ts';
import type { Grant, HistoryEntry, InvalidProposal, Review } from '../domain/model.ts';
import type { BusEvent } from '../domain/review-events.ts';
import type { DurableFunctionCallback, TaskTokenCallback } from '../domain/review.ts';

/** A conditional write lost a race; carries the review as it is now, when the store returned it. */
export class StaleReview extends Error {
  override readonly name: string = 'StaleReview';
  readonly current: Review | undefined;
  constructor(message: string, current?: Review) {
    super(message);
    this.current = current;
  }
}

/** The single-use link's nonce was claimed already (by this write's race or an earlier one). */
export class LinkAlreadyUsed extends StaleReview {
  override readonly name = 'LinkAlreadyUsed';
}

export interface SaveOptions {
  /** A single-use link's nonce, claimed in the same conditional write as the decision it carries. */
  consumeLink?: string;
}

/** Where reviews live. Every change is `save`: conditional on the version read, so concurrent writers get one winner. */
export interface ReviewStore {
  get(id: string): Promise<Review | undefined>;
  /** Creates the review unless one with its id exists; a duplicate gets the existing one. */
  open(review: Review): Promise<{ review: Review; created: boolean }>;
  /** Ids of reviews whose attention time has come (never a scan), and how many items that read. */
  due(now: Date, limitPerShard?: number): Promise<{ ids: string[]; itemsRead: number }>;
  /**
   * The reviews waiting for one approver (the approver index, never a scan), oldest deadline first, at most
   * `limit`; `more` when there are others beyond them. `itemsRead` is what the query read.
   */
  inbox(approverId: string, limit?: number): Promise<{ rows: InboxRow[]; more: boolean; itemsRead: number }>;
  /**
   * Writes `next` over `prev` with `entries` appended to its history, if nobody wrote in between; throws
   * StaleReview (LinkAlreadyUsed for a claimed nonce) carrying the current review otherwise.
   */
  save(prev: Review, next: Review, entries: HistoryEntry[], options?: SaveOptions): Promise<Review>;
  /** Keeps the latest refusal of a proposal as invalid, under the review id it would have had. */
  recordInvalid(record: InvalidProposal): Promise<void>;
  getInvalid(reviewId: string): Promise<InvalidProposal | undefined>;
}

/** Where standing approvals live, by action type, so intake finds the active ones of a type with one Query. */
export interface GrantStore {
  /** Creates the grant unless it exists (a retried decision makes the same one); answers the stored grant. */
  create(grant: Grant): Promise<Grant>;
  /** The active grants (not expired, not revoked) of an action type. */
  active(type: string, now: Date): Promise<Grant[]>;
  /** A grant by id while it has not expired (revoked ones included); undefined otherwise. */
  find(id: string, now: Date): Promise<Grant | undefined>;
  /**
   * Counts one use of the grant for a review, conditionally: still active, under MAX_GRANT_USES, not counted for
   * that review yet. Answers the grant with the use counted (a retry finds it counted), or undefined.
   */
  claimUse(grant: Grant, reviewId: string, now: Date): Promise<Grant | undefined>;
  /** Revokes it once; a second revocation answers the grant as it was revoked the first time. */
  revoke(grant: Grant, revoked: NonNullable<Grant['revoked']>): Promise<Grant>;
  /** The grants one person made that have not ended (revoked ones included), soonest end first: their inbox lists them. */
  byGrantor(personId: string, now: Date): Promise<Grant[]>;
}

/** A grant approves at most this many proposals: its item (with the reviews it approved) stays small. */
export const MAX_GRANT_USES = 1000;

/** hitl-gate's own events on the bus; a partial failure throws. Returns the bus's event ids. */
export interface Bus {
  publish(events: BusEvent[]): Promise<string[]>;
}

export interface Email {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Sends one email (SES v2); returns its message id. */
/**
 * Sends an email; returns the provider's message id. It throws MailNotSent or MailRefused when the message
 * certainly did not go out; any other error leaves it unknown (it may have been sent).
 */
export interface Mailer {
  send(email: Email): Promise<string>;
}

/** The mail service is throttling, pausing sends or denying this sender for now: the message did not go out, and may be sent later. */
export class MailNotSent extends Error {
  override readonly name = 'MailNotSent';
}

/** The mail service refused this message (an address, a size, an unverified sender): it did not go out, and would be refused again. */
export class MailRefused extends Error {
  override readonly name = 'MailRefused';
}

/**
 * One email waiting its turn in the notifications queue: an approver's decision link for one step (with an
 * intro line for an escalation or a reminder), or a watcher's notice. The sender builds the email when its
 * turn comes, from the review as it is then, so a review decided or moved on meanwhile sends nothing stale.
 */
export type Notification =
  | { kind: 'approver'; reviewId: string; step: number; approverId: string; intro?: string; queuedAt: string }
  | { kind: 'watcher'; reviewId: string; step: number; watcherId: string; why: string; queuedAt: string }
  /** A Slack message with the step's buttons: to the step's channel, or (`approverId`) to that approver directly. */
  | {
      kind: 'slack';
      reviewId: string;
      step: number;
      channel: string;
      approverId?: string;
      intro?: string;
      queuedAt: string;
    }
  /** The review's Slack messages, updated to show how it stands (a quorum's progress) or how it ended. */
  | { kind: 'slack-update'; reviewId: string; step: number; queuedAt: string };

/** A Slack message: its text (the notification's and a screen reader's) and its Block Kit blocks. */
export interface SlackMessage {
  channel: string;
  text: string;
  blocks: readonly Record<string, unknown>[];
}

/** Slack's Web API, as hitl-gate uses it; the adapter throws SlackNotSent or SlackRefused when nothing was done. */
export interface Slack {
  /** Posts a message (chat.postMessage); answers where it is: the conversation id and the message's ts. */
  post(message: SlackMessage): Promise<{ channel: string; ts: string }>;
  /** Replaces a message's text and blocks (chat.update). */
  update(message: SlackMessage & { ts: string }): Promise<void>;
  /** A message only `user` sees, in a conversation (chat.postEphemeral). */
  tell(input: { channel: string; user: string; text: string }): Promise<void>;
  /** Opens a modal for the user who clicked (views.open, within 3 seconds of the click). */
  openModal(triggerId: string, view: Record<string, unknown>): Promise<void>;
}

/** Slack is rate limiting or cannot be reached: nothing was done, and it may be tried again later. */
export class SlackNotSent extends Error {
  override readonly name = 'SlackNotSent';
}

/** Slack refused the call (a channel it does not know, a token it does not accept): it would refuse it again. */
export class SlackRefused extends Error {
  override readonly name = 'SlackRefused';
}

/** What became of one queued notification: sent now, sent before (a redelivery), or stale (nothing to send any more). */
export type SendResult = 'sent' | 'sent-before' | 'stale';

/** The notifications queue (SQS): what is put there is sent at the account's sending rate, retried, never dropped. */
export interface Notifications {
  /** Queues every notification or throws (a partial failure is retried, then thrown). */
  enqueue(notifications: Notification[]): Promise<void>;
}

/** Whether a waiting caller got its answer: one no longer waiting is `delivered: false` (and why), not an error. */
export interface Delivery {
  delivered: boolean;
  reason?: string;
}

export interface Workflows {
  /** Starts a restart (an execution of the resume workflow) for a decided review; returns its execution ARN. */
  restart(reviewId: string): Promise<string>;
  /** Answers a caller paused on .waitForTaskToken (SendTaskSuccess / SendTaskFailure). */
  answerCaller(callback: TaskTokenCallback): Promise<Delivery>;
}

/** Agents written as Lambda durable functions. */
export interface DurableFunctions {
  /** Answers one paused on context.waitForCallback (SendDurableExecutionCallbackSuccess / Failure). */
  answerCallback(callback: DurableFunctionCallback): Promise<Delivery>;
}

export interface Clock {
  now(): Date;
}
