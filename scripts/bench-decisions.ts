// Decision-to-outcome latency in local mode (p50/p99), and what one approved review costs:
// state transitions, Lambda invocations, DynamoDB writes and events. `npm run bench:decisions`
// (BENCH_REVIEWS=300 for more samples).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { QUIET_FUNCTIONS, startLocal } from '../local/app.ts';

const N = Number(process.env.BENCH_REVIEWS ?? 200);
const root = resolve(import.meta.dirname, '..');
const dataDir = await mkdtemp(join(tmpdir(), 'hitl-bench-'));
const app = await startLocal({ root, port: 0, dataDir, schedules: false, environment: QUIET_FUNCTIONS });
const eventBridge = new EventBridgeClient({
  endpoint: app.url,
  region: app.wiring.region,
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'].map(
  (op) => `DynamoDB_20120810.${op}`,
);
function snapshot() {
  const writes = WRITES.reduce((n, op) => n + (app.requests.get(op) ?? 0), 0);
  return {
    transitions: app.stepFunctions.transitions,
    invocations: app.lambdas.invocations,
    writes,
    events: app.bus.events.length,
    emails: app.mail.sent,
  };
}
const diff = (a: ReturnType<typeof snapshot>, b: ReturnType<typeof snapshot>) =>
  Object.fromEntries(Object.entries(b).map(([k, v]) => [k, +((v - a[k as keyof typeof a]) / N).toFixed(2)]));

// Phase 1: intake of N $5,000 purchase orders (manager review).
const run = Date.now();
const s0 = snapshot();
for (let b = 0; b < N; b += 10) {
  await eventBridge.send(
    new PutEventsCommand({
      Entries: Array.from({ length: Math.min(10, N - b) }, (_, k) => ({
        EventBusName: app.wiring.buses[0],
        Source: 'agent.bench',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify({
          proposalId: `d-${run}-${b + k}`,
          agentId: 'bench-agent',
          requestedBy: 'sam.rivera',
          action: { type: 'purchase_order', summary: `bench ${b + k}`, amount: { value: 5000, currency: 'USD' } },
        }),
      })),
    }),
  );
}
await app.idle();
const s1 = snapshot();

// One link per review (the first approver's email), from the outbox.
const links = new Map<string, string>();
for (const m of await app.mail.list()) {
  const url = /Open the review to approve, edit or reject: (\S+)/.exec(m.text)?.[1];
  const id = url && new URL(url).pathname.split('/')[2];
  if (url && id && !links.has(id)) links.set(id, url);
}

// Phase 2: decide each, one at a time, timing from the POST to "Approval Granted" on the bus.
const granted = new Map<string, () => void>();
app.bus.onEvent((e) => {
  if (e.DetailType === 'Approval Granted') granted.get((JSON.parse(e.Detail) as { reviewId: string }).reviewId)?.();
});
const latencies: number[] = [];
for (const [id, link] of links) {
  const url = new URL(link);
  const arrived = new Promise<void>((ok) => granted.set(id, ok));
  const t = performance.now();
  const res = await fetch(`${url.origin}${url.pathname}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: url.searchParams.get('t'), decision: 'approve' }),
  });
  if (res.status !== 200) throw new Error(`decision refused: ${res.status} ${await res.text()}`);
  await arrived;
  latencies.push(performance.now() - t);
}
await app.idle();
const s2 = snapshot();

latencies.sort((a, b) => a - b);
const pct = (p: number) =>
  +latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(1);
process.stdout.write(
  `${JSON.stringify(
    {
      reviews: N,
      decisionToOutcomeMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: +latencies.at(-1)!.toFixed(1) },
      perReview: { intake: diff(s0, s1), decisionAndResume: diff(s1, s2), total: diff(s0, s2) },
      node: process.version,
    },
    null,
    2,
  )}\n`,
);
await app.close();
await rm(dataDir, { recursive: true, force: true });
