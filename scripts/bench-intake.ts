// Intake throughput in local mode, next to the embedded store's own conditional-write rate,
// measured in the same run: `npm run bench` (BENCH_PROPOSALS=2000 for a longer run).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';

const N = Number(process.env.BENCH_PROPOSALS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const root = resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'hitl-bench-'));

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

const t0 = performance.now();
const app = await startLocal({
  root,
  port: 0,
  dataDir,
  environment: QUIET_FUNCTIONS,
  persist: process.env.HITL_PERSIST === '1',
});
const startMs = performance.now() - t0;
const common = {
  endpoint: app.url,
  region: app.wiring.region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
};
const table = app.wiring.environment.REVIEWS_TABLE!;

// 1. The store alone: conditional puts (attribute_not_exists) then version-conditional updates with list_append.
const doc = DynamoDBDocumentClient.from(new DynamoDBClient(common));
const ids = Array.from({ length: N }, (_, i) => `bench-${i}`);
let t = performance.now();
await pool(ids, CONCURRENCY, (id) =>
  doc.send(
    new PutCommand({
      TableName: table,
      Item: { pk: `BENCH#${id}`, sk: 'META', version: 1, history: [] },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  ),
);
const putsPerSec = N / ((performance.now() - t) / 1000);
t = performance.now();
await pool(ids, CONCURRENCY, (id) =>
  doc.send(
    new UpdateCommand({
      TableName: table,
      Key: { pk: `BENCH#${id}`, sk: 'META' },
      UpdateExpression: 'SET version = :next, history = list_append(history, :e)',
      ConditionExpression: 'version = :v',
      ExpressionAttributeValues: { ':v': 1, ':next': 2, ':e': [{ at: new Date().toISOString(), what: 'bench' }] },
    }),
  ),
);
const updatesPerSec = N / ((performance.now() - t) / 1000);

// 2. Intake end to end: PutEvents with the real client -> rule -> intake Express workflow -> outcome event.
const mix = (i: number) => (i % 5 < 2 ? 500 : i % 5 < 4 ? 5000 : 50000); // 40% auto, 40% manager, 20% CFO
const eventBridge = new EventBridgeClient(common);
const run = `${Date.now()}`;
const batches = Array.from({ length: Math.ceil(N / 10) }, (_, b) =>
  Array.from({ length: Math.min(10, N - b * 10) }, (_, k) => b * 10 + k),
);
const outcomes = new Set(['Approval Granted', 'Approval Requested', 'Action Rejected As Invalid']);
let done = 0;
const finished = new Promise<void>((ok) => {
  app.bus.onEvent((e) => {
    if (
      e.Source === 'hitl.gate' &&
      outcomes.has(e.DetailType) &&
      (JSON.parse(e.Detail) as { proposalId?: string }).proposalId?.startsWith(`bench-${run}-`) &&
      ++done === N
    )
      ok();
  });
});
const transitionsBefore = app.stepFunctions.transitions;
const tasksBefore = app.stepFunctions.tasks;
const invocationsBefore = app.lambdas.invocations;
t = performance.now();
await pool(batches, Math.max(1, Math.floor(CONCURRENCY / 2)), (batch) =>
  eventBridge.send(
    new PutEventsCommand({
      Entries: batch.map((i) => ({
        EventBusName: app.wiring.buses[0],
        Source: 'agent.bench',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify({
          proposalId: `bench-${run}-${i}`,
          agentId: 'bench-agent',
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary: `bench ${i}`, amount: { value: mix(i), currency: 'USD' } },
        }),
      })),
    }),
  ),
);
const acceptedMs = performance.now() - t;
await finished;
const intakeMs = performance.now() - t;
await app.idle();

const round = (x: number) => Math.round(x);
const result = {
  proposals: N,
  concurrency: CONCURRENCY,
  localModeStartMs: round(startMs),
  store: { conditionalPutsPerSec: round(putsPerSec), conditionalUpdatesPerSec: round(updatesPerSec) },
  intake: {
    proposalsPerSec: round(N / (intakeMs / 1000)),
    putEventsAcceptedPerSec: round(N / (acceptedMs / 1000)),
    totalMs: round(intakeMs),
    lambdaInvocationsPerProposal: +((app.lambdas.invocations - invocationsBefore) / N).toFixed(2),
    taskStatesPerProposal: +((app.stepFunctions.tasks - tasksBefore) / N).toFixed(2),
    stateTransitionsPerProposal: +((app.stepFunctions.transitions - transitionsBefore) / N).toFixed(2),
    emailsSent: app.mail.sent,
  },
  node: process.version,
};
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
await app.close();
await rm(dataDir, { recursive: true, force: true });
