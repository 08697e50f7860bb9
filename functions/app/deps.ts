// The use cases' ports, and how a function wires the ones it uses. Each handler names its ports with their
// builders (each adapter exports its port built from the function's settings), so its bundle imports only
// the adapters it calls: a function that never sends mail loads no SES client at init. Nothing here imports
// an adapter. Each port is built when first used (a function that never publishes never reads
// EVENT_BUS_NAME), once per container.
import type { Directory, Policy } from '../domain/policy.ts';
import type {
  Bus,
  Clock,
  DurableFunctions,
  GrantStore,
  Mailer,
  Notifications,
  ReviewStore,
  Slack,
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
  /** Slack's Web API, with the stage's bot token: the steps that ask in Slack post there. */
  readonly slack: Slack;
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

/** How a function builds each port it uses. */
export type PortBuilders<K extends keyof Deps> = { readonly [P in K]: () => Deps[P] };

/**
 * A function's ports: exactly those it names (the use cases it calls say which they need, and the type
 * checker holds the handler to it), each built on first use and kept for the container's life.
 */
export function wire<K extends keyof Deps>(builders: PortBuilders<K>): () => Pick<Deps, K> {
  const built = new Map<string, unknown>();
  const ports = Object.defineProperties(
    {},
    Object.fromEntries(
      Object.entries<() => unknown>(builders).map(([name, build]) => [
        name,
        {
          enumerable: true,
          get: () => {
            if (!built.has(name)) built.set(name, build());
            return built.get(name);
          },
        },
      ]),
    ),
  ) as Pick<Deps, K>;
  return () => ports;
}
