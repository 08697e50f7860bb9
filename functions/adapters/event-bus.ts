import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { HITL_SOURCE } from '../../events/index.ts';
import type { BusEvent } from '../domain/review-events.ts';
import type { Bus } from '../app/ports.ts';
import { config } from '../config.ts';
import { tracer } from './observability.ts';

/** The Bus on EventBridge: publishes hitl-gate's own events; a partial failure throws so the caller's retry covers it. */
export function eventBus(busName: () => string): Bus {
  const client = tracer.captureAWSv3Client(new EventBridgeClient({}));
  return { publish: (events) => publish(client, busName(), events) };
}

/** The Bus port on the function's bus (EVENT_BUS_NAME). */
export const stageBus = (): Bus => eventBus(() => config().EVENT_BUS_NAME);

async function publish(client: EventBridgeClient, busName: string, events: BusEvent[]): Promise<string[]> {
  if (events.length === 0) return [];
  const out = await client.send(
    new PutEventsCommand({
      Entries: events.map((e) => ({
        EventBusName: busName,
        Source: HITL_SOURCE,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
      })),
    }),
  );
  if (out.FailedEntryCount) {
    const failed = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
    throw new Error(`PutEvents failed for ${out.FailedEntryCount} of ${events.length} events: ${failed.join('; ')}`);
  }
  return (out.Entries ?? []).map((e) => e.EventId ?? '');
}
