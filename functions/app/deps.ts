// The use cases' ports, built once per container from the function's settings, each when first used
// (a function that never publishes never needs EVENT_BUS_NAME).
import { config } from '../config.ts';
import { now } from '../adapters/clock.ts';
import { lambdaDurableFunctions } from '../adapters/durable-functions.ts';
import { eventBus } from '../adapters/event-bus.ts';
import { sesMailer } from '../adapters/mail.ts';
import { notificationQueue } from '../adapters/notification-queue.ts';
import { policy } from '../adapters/policy-files.ts';
import { documentClient, GrantsTable, ReviewsTable } from '../adapters/reviews-table.ts';
import { stepFunctions } from '../adapters/workflows.ts';
import type { Directory, Policy } from '../domain/policy.ts';
import type {
  Bus,
  Clock,
  DurableFunctions,
  GrantStore,
  Mailer,
  Notifications,
  ReviewStore,
  Workflows,
} from './ports.ts';

export interface Deps {
  readonly store: ReviewStore;
  /** Standing approvals, on the same table. */
  readonly grants: GrantStore;
  readonly bus: Bus;
  readonly mailer: Mailer;
  /** The notifications queue: emails to approvers and watchers wait there for their turn. */
  readonly notifications: Notifications;
  readonly workflows: Workflows;
  readonly durableFunctions: DurableFunctions;
  readonly clock: Clock;
  /** The stage's risk policy. */
  readonly policy: Policy;
  /** The stage's people directory (the one the policy's routes were resolved against). */
  readonly directory: Directory;
  /** Base URL of the HTTP API, for the links in emails. */
  readonly publicUrl: string;
}

function once<T>(build: () => T): () => T {
  let value: T | undefined;
  let built = false;
  return () => {
    if (!built) {
      value = build();
      built = true;
    }
    return value as T;
  };
}

const store = once(
  () => new ReviewsTable(documentClient(), config().REVIEWS_TABLE, { retentionDays: () => config().RETENTION_DAYS }),
);
const grants = once(
  () => new GrantsTable(documentClient(), config().REVIEWS_TABLE, { retentionDays: () => config().RETENTION_DAYS }),
);
const bus = once(() => eventBus(() => config().EVENT_BUS_NAME));
const mailer = once(() => sesMailer(() => config().MAIL_FROM));
const notifications = once(() => notificationQueue(() => config().NOTIFICATION_QUEUE_URL));
const workflows = once(() => stepFunctions(() => config().RESUME_STATE_MACHINE_ARN));
const durableFunctions = once(lambdaDurableFunctions);
const clock: Clock = { now };

let override: Deps | undefined;

/** The ports on AWS (or on local mode's endpoints: the SDK reads AWS_ENDPOINT_URL), built once per container. */
const real: Deps = {
  get store() {
    return store();
  },
  get grants() {
    return grants();
  },
  get bus() {
    return bus();
  },
  get mailer() {
    return mailer();
  },
  get notifications() {
    return notifications();
  },
  get workflows() {
    return workflows();
  },
  get durableFunctions() {
    return durableFunctions();
  },
  clock,
  get policy() {
    return policy();
  },
  get directory() {
    return policy().directory;
  },
  get publicUrl() {
    return config().PUBLIC_URL;
  },
};

export function deps(): Deps {
  return override ?? real;
}

/** For tests of the handlers only: the ports the handlers use instead (undefined: the real ones again). */
export function useDeps(replacement: Deps | undefined): void {
  override = replacement;
}
