// What one sweep costs with a large backlog: `npm run bench:sweep` (BENCH_PENDING=10000 BENCH_DUE=20).
// The backlog is pending reviews due tomorrow; the due ones are real $5,000 purchase orders whose
// 4-hour SLA has just passed, so the sweep claims and publishes their breaches and escalation follows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';
import { DUE_SHARDS, keys } from '../functions/adapters/reviews-table.ts';
import type { SweepResult } from '../functions/sweep/handler.ts';

const PENDING = Number(process.env.BENCH_PENDING ?? 10_000);
const DUE = Number(process.env.BENCH_DUE ?? 20);
const root = resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'hitl-bench-'));
const app = await startLocal({ root, port: 0, dataDir, schedules: false, environment: QUIET_FUNCTIONS });
const common = {
  endpoint: app.url,
  region: app.wiring.region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const doc = DynamoDBDocumentClient.from(new DynamoDBClient(common));
const table = app.wiring.environment.REVIEWS_TABLE!;
const HOUR = 3600_000;

// The backlog: pending reviews as the table keeps them, due in a day.
const tomorrow = new Date(app.clock.now() + 24 * HOUR).toISOString();
let next = 0;
await Promise.all(
  Array.from({ length: 20 }, async () => {
    while (next < PENDING - DUE) {
      const id = `backlog-${(next++).toString(16).padStart(8, '0')}`;
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            ...keys.review(id),
            id,
            status: 'PENDING',
            deadline: tomorrow,
            dueShard: keys.dueShard(id),
            dueAt: tomorrow,
            version: 1,
            history: [],
          },
        }),
      );
    }
  }),
);
// The due ones: real reviews through intake.
const eventBridge = new EventBridgeClient(common);
for (let b = 0; b < DUE; b += 10) {
  await eventBridge.send(
    new PutEventsCommand({
      Entries: Array.from({ length: Math.min(10, DUE - b) }, (_, k) => ({
        EventBusName: app.wiring.buses[0],
        Source: 'agent.bench',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify({
          proposalId: `due-${b + k}`,
          agentId: 'bench-agent',
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary: `due ${b + k}`, amount: { value: 5000, currency: 'USD' } },
        }),
      })),
    }),
  );
}
await app.idle();
app.clock.advance(4 * HOUR + 60_000);

const sweeps: { ms: number; itemsRead: number; breached: number }[] = [];
for (let i = 0; i < 3; i++) {
  const t = performance.now();
  const r = (await app.schedules.fire('sweep')) as SweepResult;
  sweeps.push({ ms: +(performance.now() - t).toFixed(1), itemsRead: r.itemsRead, breached: r.breached.length });
  await app.idle();
}
const escalated = app.bus.events.filter((e) => e.DetailType === 'Review Escalated').length;
process.stdout.write(
  `${JSON.stringify({ pending: PENDING, due: DUE, sweeps, escalated, node: process.version }, null, 2)}\n`,
);
await app.close();
await rm(dataDir, { recursive: true, force: true });
// The target: a sweep reads what is due (plus at most one item per shard), whatever the backlog.
const first = sweeps[0];
if (!first || first.itemsRead > DUE + DUE_SHARDS || first.breached !== DUE) {
  process.stderr.write(
    `bench:sweep missed its target: read ${first?.itemsRead} items for ${DUE} due (at most ${DUE + DUE_SHARDS})\n`,
  );
  process.exitCode = 1;
}
