// The other ports, in memory, for the use-case tests: what was published, emailed and restarted is kept
// to be asserted on; any port can be told to fail the next calls.
import type { Deps } from '../../functions/app/deps.ts';
import { sendNotification } from '../../functions/app/notify.ts';
import type {
  Bus,
  Clock,
  Delivery,
  DurableFunctions,
  Email,
  Mailer,
  Notification,
  Notifications,
  Slack,
  SlackMessage,
  Workflows,
} from '../../functions/app/ports.ts';
import type { BusEvent } from '../../functions/domain/review-events.ts';
import type { DurableFunctionCallback, TaskTokenCallback } from '../../functions/domain/review.ts';
import type { Policy } from '../../functions/domain/policy.ts';
import { MemoryGrantStore, MemoryReviewStore } from './memory-store.ts';

export class RecordingBus implements Bus {
  readonly published: BusEvent[] = [];
  failures = 0;
  async publish(events: BusEvent[]): Promise<string[]> {
    if (this.failures > 0 && this.failures--) throw new Error('PutEvents failed (injected)');
    this.published.push(...structuredClone(events));
    return events.map((_, i) => `event-${this.published.length - events.length + i}`);
  }
}

export class RecordingMailer implements Mailer {
  readonly sent: Email[] = [];
  /** Set to make the next sends fail as a provider would: before sending (nothing recorded) or after. */
  fail?: { error: Error; after?: boolean };
  async send(email: Email): Promise<string> {
    if (this.fail && !this.fail.after) throw this.fail.error;
    this.sent.push(email);
    if (this.fail?.after) throw this.fail.error;
    return `message-${this.sent.length}`;
  }
}

/** The link-signing key the in-memory sender signs with. */
export const TEST_LINK_KEY = new TextEncoder().encode('a-test-link-signing-key-of-32-characters');

/**
 * The notifications queue with no wait: each notification queued is sent at once, through the sender's own
 * use case (sendNotification), so a use-case test sees the emails its step queued. Local mode's tests run
 * the real queue (SQS) and its sender.
 */
export class ImmediateNotifications implements Notifications {
  readonly queued: Notification[] = [];
  deps?: Deps;
  async enqueue(notifications: Notification[]): Promise<void> {
    this.queued.push(...structuredClone(notifications));
    if (!this.deps) throw new Error('ImmediateNotifications has no deps to send with');
    for (const n of notifications) await sendNotification(this.deps, n, TEST_LINK_KEY);
  }
}

/** Slack, in memory: what was posted (with its current blocks after an update), told and opened, for assertions. */
export class RecordingSlack implements Slack {
  readonly posted: (SlackMessage & { ts: string })[] = [];
  readonly told: { channel: string; user: string; text: string }[] = [];
  readonly modals: { triggerId: string; view: Record<string, unknown> }[] = [];
  /** Set to make the next calls fail as Slack would. */
  fail?: Error;
  async post(message: SlackMessage): Promise<{ channel: string; ts: string }> {
    if (this.fail) throw this.fail;
    const ts = `1764700000.${String(this.posted.length + 1).padStart(6, '0')}`;
    this.posted.push({ ...structuredClone(message), ts });
    return { channel: message.channel, ts };
  }
  async update(message: SlackMessage & { ts: string }): Promise<void> {
    if (this.fail) throw this.fail;
    const i = this.posted.findIndex((m) => m.channel === message.channel && m.ts === message.ts);
    if (i < 0) throw new Error(`message_not_found: ${message.channel} ${message.ts}`);
    this.posted[i] = structuredClone(message);
  }
  async tell(input: { channel: string; user: string; text: string }): Promise<void> {
    this.told.push({ ...input });
  }
  async openModal(triggerId: string, view: Record<string, unknown>): Promise<void> {
    this.modals.push({ triggerId, view: structuredClone(view) });
  }
}

export class RecordingWorkflows implements Workflows {
  readonly restarted: string[] = [];
  readonly answered: TaskTokenCallback[] = [];
  failures = 0;
  async restart(reviewId: string): Promise<string> {
    if (this.failures > 0 && this.failures--) throw new Error('StartExecution failed (injected)');
    this.restarted.push(reviewId);
    return `arn:aws:states:eu-west-1:000000000000:express:hitl-gate-dev-resume:${this.restarted.length}`;
  }
  async answerCaller(callback: TaskTokenCallback): Promise<Delivery> {
    this.answered.push(callback);
    return { delivered: true };
  }
}

/** Durable functions' callbacks, answered once each, as Lambda does: a second answer finds the callback closed. */
export class RecordingDurableFunctions implements DurableFunctions {
  readonly answered: DurableFunctionCallback[] = [];
  async answerCallback(callback: DurableFunctionCallback): Promise<Delivery> {
    if (this.answered.some((a) => a.durableCallbackId === callback.durableCallbackId))
      return { delivered: false, reason: 'CallbackTimeoutException' };
    this.answered.push(callback);
    return { delivered: true };
  }
}

export class TestClock implements Clock {
  #at: number;
  constructor(at: Date) {
    this.#at = at.getTime();
  }
  now(): Date {
    return new Date(this.#at);
  }
  advance(ms: number): Date {
    this.#at += ms;
    return this.now();
  }
}

export type TestDeps = Deps & {
  store: MemoryReviewStore;
  grants: MemoryGrantStore;
  bus: RecordingBus;
  mailer: RecordingMailer;
  slack: RecordingSlack;
  notifications: ImmediateNotifications;
  workflows: RecordingWorkflows;
  durableFunctions: RecordingDurableFunctions;
  clock: TestClock;
};

export function testDeps(policy: Policy, now: Date): TestDeps {
  const notifications = new ImmediateNotifications();
  const deps: TestDeps = {
    store: new MemoryReviewStore(),
    grants: new MemoryGrantStore(),
    bus: new RecordingBus(),
    mailer: new RecordingMailer(),
    slack: new RecordingSlack(),
    notifications,
    workflows: new RecordingWorkflows(),
    durableFunctions: new RecordingDurableFunctions(),
    clock: new TestClock(now),
    policy,
    directory: policy.directory,
    publicUrl: 'https://hitl.example.com/',
  };
  notifications.deps = deps;
  return deps;
}
