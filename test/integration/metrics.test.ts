// The product's metrics as CloudWatch would receive them: the EMF lines the functions print, read from
// local mode's function containers (worker threads print to this process's stdout) with metrics turned on.
import { clients, signedFetch, startHarness, type Harness } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { reviewsOf } from '../support/reviews.ts';
import { ReviewsTable } from '../../functions/adapters/reviews-table.ts';
import { decide } from '../../functions/domain/decision.ts';
import { REDRIVE_AFTER_MS } from '../../functions/domain/review.ts';
import { shippedPolicy } from '../support/policy.ts';

interface Emitted {
  namespace: string;
  name: string;
  unit: string;
  value: number;
  dimensions: Record<string, string>;
}

/** The metrics of one EMF line, or none for any other line. */
function metricsIn(line: string): Emitted[] {
  if (!line.startsWith('{')) return [];
  const blob = JSON.parse(line) as {
    _aws?: {
      CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[];
    };
  } & Record<string, unknown>;
  return (blob._aws?.CloudWatchMetrics ?? []).flatMap((d) =>
    d.Metrics.flatMap((m) =>
      [blob[m.Name]].flat().map((value) => ({
        namespace: d.Namespace,
        name: m.Name,
        unit: m.Unit,
        value: value as number,
        dimensions: Object.fromEntries(d.Dimensions.flat().map((k) => [k, String(blob[k])])),
      })),
    ),
  );
}

const output: string[] = [];
const emitted: Emitted[] = [];
let partial = '';
const write = process.stdout.write;
let h: Harness;
let reviews: ReturnType<typeof reviewsOf>;

beforeAll(async () => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      output.push(line);
      emitted.push(...metricsIn(line));
    }
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
  h = await startHarness({ POWERTOOLS_METRICS_DISABLED: 'false' });
  reviews = reviewsOf(h);
});
afterAll(async () => {
  await h?.close();
  process.stdout.write = write;
});

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** What was counted so far, by name: unit, value and the dimensions besides service and stage. */
const counted = (name: string) =>
  emitted
    .filter((m) => m.name === name)
    .map(({ unit, value, dimensions: { service: _s, stage: _t, ...own } }) => ({ unit, value, ...own }));
const one = { unit: 'Count', value: 1 };
async function sweep() {
  await h.app.schedules.fire('sweep');
  await h.app.idle();
}

it('emits each product metric once, where its event happens, in namespace hitl-gate with the service and stage', async () => {
  // A decided review whose restart was lost (written as decide does, without starting resume): the sweeper re-drives it.
  const lost = await reviews.open(purchaseOrder(4000));
  const { next, entries } = decide(
    lost.review,
    { approverId: lost.links[0]!.approverId, decision: 'approve' },
    shippedPolicy,
    new Date(Date.now() - REDRIVE_AFTER_MS - MINUTE),
  );
  await new ReviewsTable(clients(h.app.url).dynamo, reviews.table).save(lost.review, next, entries);
  await sweep();
  expect(counted('RestartFailures')).toEqual([one]);

  // Opened once, whatever the duplicates; a small purchase order is approved by the policy and opens nothing.
  const manager = await reviews.open(purchaseOrder(5000));
  await reviews.open(manager.proposal);
  await reviews.open(purchaseOrder(500));
  expect(counted('ReviewsOpened')).toEqual([
    { ...one, tier: 'medium' },
    { ...one, tier: 'medium' },
  ]);
  expect(counted('AutoApproved')).toEqual([one]);

  // Decided 90 minutes after it opened; another rejected; a third withdrawn by its agent.
  h.app.clock.advance(90 * MINUTE);
  expect(
    (await reviews.decide(manager.id, { token: manager.links[0]!.token, decision: 'approve', reason: 'Budgeted' }))
      .status,
  ).toBe(200);
  const rejected = await reviews.open(purchaseOrder(6000));
  expect(
    (await reviews.decide(rejected.id, { token: rejected.links[0]!.token, decision: 'reject', reason: 'Not now' }))
      .status,
  ).toBe(200);
  const withdrawn = await reviews.open(purchaseOrder(3000));
  expect(
    (await signedFetch(h.app.url, 'POST', `/reviews/${withdrawn.id}/cancel`, { reason: 'Cheaper elsewhere' })).status,
  ).toBe(200);
  await h.app.idle();
  expect(counted('Decisions')).toEqual([
    { ...one, decision: 'approve' },
    { ...one, decision: 'reject' },
  ]);
  const latency = counted('DecisionLatency');
  expect(latency).toEqual([
    { unit: 'Milliseconds', value: expect.any(Number) },
    { unit: 'Milliseconds', value: expect.any(Number) },
  ]);
  expect(latency[0]!.value).toBeGreaterThanOrEqual(90 * MINUTE);
  expect(latency[0]!.value).toBeLessThan(95 * MINUTE);
  expect(counted('Cancellations')).toEqual([one]);

  // A manager's 4 h SLA passes: breached and escalated. A day later the finance director's has passed
  // (escalated to the CFO), and so has the CFO's on a $50,000 order, which expires.
  await reviews.open(purchaseOrder(7000));
  const cfo = await reviews.open(purchaseOrder(50_000));
  h.app.clock.advance(4 * HOUR + MINUTE);
  await sweep();
  expect(counted('SlaBreaches')).toEqual([one]);
  expect(counted('Escalations')).toEqual([one]);
  h.app.clock.advance(24 * HOUR);
  await sweep();
  expect((await reviews.get(cfo.id))!.decision?.outcome).toBe('expired');
  expect(counted('SlaBreaches')).toEqual([one, one, one]);
  expect(counted('Escalations')).toEqual([one, one]);
  expect(counted('Expiries')).toEqual([one]);
  expect(counted('ApprovedOnTimeout')).toEqual([]);

  expect(
    new Set(
      emitted.map((m) =>
        JSON.stringify({ namespace: m.namespace, service: m.dimensions.service, stage: m.dimensions.stage }),
      ),
    ),
  ).toEqual(new Set([JSON.stringify({ namespace: 'hitl-gate', service: 'hitl-gate', stage: 'dev' })]));
  // Outside Lambda the tracer is off by itself: nothing about X-Ray, segments or a daemon.
  expect(output.filter((line) => /x-?ray|segment|daemon/i.test(line))).toEqual([]);
}, 60_000);
