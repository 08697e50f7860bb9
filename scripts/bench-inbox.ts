// What an approver's inbox costs with a busy table: `npm run bench:inbox` (BENCH_MINE=20 BENCH_OTHERS=200).
// MINE $5,000 purchase orders wait for the managers, OTHERS $50,000 ones for the CFO; a manager's inbox is read
// (items read, read units, time) and then all of MINE are approved in batches of the most one request takes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ReviewsTable } from '../functions/adapters/reviews-table.ts';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';
import { LocalMeter } from '../local/meter.ts';
import { MAX_BATCH } from '../functions/domain/inbox.ts';
import { newNonce, signInboxToken } from '../functions/domain/tokens.ts';

const MINE = Number(process.env.BENCH_MINE ?? 20);
const OTHERS = Number(process.env.BENCH_OTHERS ?? 200);
const APPROVER = 'mira.okafor';
const root = resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'hitl-bench-'));
const meter = new LocalMeter();
const app = await startLocal({ root, port: 0, dataDir, schedules: false, environment: QUIET_FUNCTIONS, meter });
const eventBridge = new EventBridgeClient({
  endpoint: app.url,
  region: app.wiring.region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const proposals = [
  ...Array.from({ length: MINE }, (_, i) => ({ id: `mine-${i}`, value: 5000 })),
  ...Array.from({ length: OTHERS }, (_, i) => ({ id: `other-${i}`, value: 50_000 })),
];
for (let b = 0; b < proposals.length; b += 10) {
  await eventBridge.send(
    new PutEventsCommand({
      Entries: proposals.slice(b, b + 10).map((p) => ({
        EventBusName: app.wiring.buses[0],
        Source: 'agent.bench',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify({
          proposalId: p.id,
          agentId: 'bench-agent',
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary: p.id, amount: { value: p.value, currency: 'USD' } },
        }),
      })),
    }),
  );
}
await app.idle();

const secrets = JSON.parse(await readFile(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
const key = new TextEncoder().encode(secrets['hitl-gate-dev-link-signing-key']!);
const now = new Date(app.clock.now());
const token = await signInboxToken(
  key,
  { approverId: APPROVER, nonce: newNonce(), expiresAt: new Date(now.getTime() + 86_400_000) },
  now,
);

const mark = meter.mark();
let t = performance.now();
const listed = await fetch(`${app.url}/inbox?t=${encodeURIComponent(token)}`, {
  headers: { accept: 'application/json' },
});
const listMs = +(performance.now() - t).toFixed(1);
const rows = ((await listed.json()) as { reviews: { reviewId: string; step: number; actionHash: string }[] }).reviews;
const queries = meter.since(mark).table.filter((x) => x.operation === 'Query');
// The same Query through the adapter, which counts the items it read.
const doc = DynamoDBDocumentClient.from(
  new DynamoDBClient({
    endpoint: app.url,
    region: app.wiring.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  }),
);
const { itemsRead } = await new ReviewsTable(doc, app.wiring.environment.REVIEWS_TABLE!).inbox(APPROVER);

const batches: { reviews: number; ms: number; decided: number }[] = [];
for (let b = 0; b < rows.length; b += MAX_BATCH) {
  const reviews = rows
    .slice(b, b + MAX_BATCH)
    .map(({ reviewId, step, actionHash }) => ({ reviewId, step, actionHash }));
  t = performance.now();
  const res = await fetch(`${app.url}/inbox`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token, decision: 'approve', reviews }),
  });
  const { results } = (await res.json()) as { results: { result: string }[] };
  batches.push({
    reviews: reviews.length,
    ms: +(performance.now() - t).toFixed(1),
    decided: results.filter((r) => r.result === 'decided').length,
  });
}
await app.idle();
const granted = app.bus.events.filter((e) => e.DetailType === 'Approval Granted').length;
process.stdout.write(
  `${JSON.stringify(
    {
      mine: MINE,
      others: OTHERS,
      inbox: {
        rows: rows.length,
        queries: queries.length,
        itemsRead,
        readUnits: queries.reduce((n, q) => n + q.readUnits, 0),
        bytesRead: queries.reduce((n, q) => n + q.itemBytes, 0),
        ms: listMs,
      },
      batches,
      granted,
      node: process.version,
    },
    null,
    2,
  )}\n`,
);
await app.close();
await rm(dataDir, { recursive: true, force: true });
// The target: the inbox reads its own rows and nothing else, and every one of them is approved once.
if (rows.length !== MINE || itemsRead !== MINE || granted !== MINE) {
  process.stderr.write(`bench:inbox missed its target: ${rows.length} rows and ${granted} granted for ${MINE}\n`);
  process.exitCode = 1;
}
