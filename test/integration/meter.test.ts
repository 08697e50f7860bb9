// Local mode's meter against the real ASL, the real handlers and the embedded store: what a known sequence of
// calls counts, as AWS would bill it.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { QUIET_FUNCTIONS, startLocal, type LocalApp } from '../../local/app.ts';
import { entrySize } from '../../local/eventbridge/bus.ts';
import { itemSize, LocalMeter, readUnitsFor, writeUnitsFor } from '../../local/meter.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { clients, ROOT } from '../support/local.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import type { ActionProposed } from '../../events/index.ts';

let app: LocalApp;
let meter: LocalMeter;
let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'hitl-meter-'));
  meter = new LocalMeter();
  app = await startLocal({ root: ROOT, port: 0, dataDir, schedules: false, environment: QUIET_FUNCTIONS, meter });
});
afterAll(async () => {
  await app.idle();
  await app.close();
  await rm(dataDir, { recursive: true, force: true });
});

async function propose(detail: ActionProposed) {
  const mark = meter.mark();
  await clients(app.url).eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'hitl-dev',
          Source: 'agent.test',
          DetailType: 'Action Proposed',
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  await app.idle();
  // The last state's entry is logged a turn after its execution ends.
  await new Promise((r) => setTimeout(r, 20));
  return meter.since(mark);
}

/** The review item as the store holds it, in DynamoDB's own attribute values. */
async function storedReview(id: string) {
  const client = new DynamoDBClient({
    endpoint: app.url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const { Item } = await client.send(
    new GetItemCommand({
      TableName: app.wiring.environment.REVIEWS_TABLE!,
      Key: { pk: { S: `REVIEW#${id}` }, sk: { S: 'META' } },
      ConsistentRead: true,
    }),
  );
  client.destroy();
  return Item as never;
}

const lowTier = () => proposal({ action: { type: 'ticket_priority', summary: 'Raise to P2', target: 'ticket/42' } });

test('a low-tier proposal runs one Express execution, three Lambda invocations and two writes, priced by item size', async () => {
  const p = lowTier();
  const usage = await propose(p);
  expect(usage.executions.map((e) => [e.machine, e.type, e.status, e.states])).toEqual([
    [
      'intake',
      'EXPRESS',
      'SUCCEEDED',
      ['Classify', 'IsValid', 'OpenReview', 'WhatNext', 'PublishAutoApproval', 'CompleteAutoApproval', 'AutoApproved'],
    ],
  ]);
  expect(usage.invocations.map((i) => i.function)).toEqual(['classify', 'openReview', 'completeReview']);
  expect(usage.invocations.every((i) => i.durationMs > 0 && i.resultBytes > 0)).toBe(true);

  const writes = usage.table.filter((t) => t.writeUnits > 0);
  expect(writes.map((w) => [w.operation, w.conditionFailed])).toEqual([
    ['PutItem', false],
    ['UpdateItem', false],
  ]);
  // The review enters the due index when it opens (the sweeper's re-drive, should intake stop) and leaves it when it completes.
  const [opened, completed] = writes;
  expect(writes.map((w) => w.indexUnits)).toEqual([1, 1]);
  expect(opened!.writeUnits).toBe(writeUnitsFor(opened!.itemBytes) + 1);
  const stored = await storedReview(reviewIdFor(p.agentId, p.proposalId));
  expect(completed!.itemBytes).toBe(itemSize(stored));
  expect(completed!.writeUnits).toBe(writeUnitsFor(itemSize(stored)) + 1);
  // The completion reads the review first, strongly consistent.
  expect(usage.table.filter((t) => t.readUnits > 0).map((t) => [t.operation, t.readUnits])).toEqual([
    ['GetItem', readUnitsFor(opened!.itemBytes, true)],
  ]);

  const archived = app.bus.events.slice(-2);
  expect(usage.events.map((e) => [e.detailType, e.entryBytes])).toEqual(
    archived.map((e) => [e.DetailType, entrySize({ Source: e.Source, DetailType: e.DetailType, Detail: e.Detail })]),
  );
  expect(usage.events.map((e) => e.detailType)).toEqual(['Action Proposed', 'Approval Granted']);
  expect(usage.emails).toEqual([]);
  expect(usage.api).toEqual([]);
  expect(usage.unmetered).toEqual([]);
});

test('the same proposal again is a conditional put that fails, billed at the size of the review it finds', async () => {
  const p = lowTier();
  await propose(p);
  const again = await propose(p);
  const stored = await storedReview(reviewIdFor(p.agentId, p.proposalId));
  expect(again.table.filter((t) => t.writeUnits > 0)).toEqual([
    {
      operation: 'PutItem',
      table: app.wiring.environment.REVIEWS_TABLE,
      writeUnits: writeUnitsFor(itemSize(stored)),
      indexUnits: 0,
      readUnits: 0,
      conditionFailed: true,
      itemBytes: itemSize(stored),
    },
  ]);
  expect(again.executions.map((e) => e.states.at(-1))).toEqual(['Duplicate']);
});

test('a reviewed proposal counts its emails per recipient and the approver page and decision as API requests', async () => {
  const p = purchaseOrder(5000);
  const opened = await propose(p);
  const id = reviewIdFor(p.agentId, p.proposalId);
  const outbox = await Promise.all((await readdir(join(dataDir, 'outbox'))).map((f) => app.mail.read(f)));
  const about = outbox.filter((m) => m.text.includes(`(review ${id})`));
  expect(opened.emails.reduce((n, e) => n + e.recipients, 0)).toBe(about.reduce((n, m) => n + m.to.length, 0));
  expect(about.length).toBeGreaterThan(0);

  const link = new URL(/Open the review to approve, edit or reject: (\S+)/.exec(about[0]!.text)![1]!);
  const mark = meter.mark();
  const page = await fetch(link, { headers: { accept: 'text/html' } });
  const html = await page.text();
  const decided = await fetch(`${link.origin}${link.pathname}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: link.searchParams.get('t'), decision: 'approve' }),
  });
  const answer = await decided.text();
  await app.idle();
  const usage = meter.since(mark);
  expect(usage.api).toEqual([
    { route: 'GET /reviews/{id}', status: 200, requestBytes: 0, responseBytes: Buffer.byteLength(html) },
    {
      route: 'POST /reviews/{id}/decision',
      status: 200,
      requestBytes: expect.any(Number),
      responseBytes: Buffer.byteLength(answer),
    },
  ]);
  expect(usage.executions.map((e) => e.machine)).toEqual(['resume']);
  expect(usage.invocations.map((i) => i.function)).toEqual(['reviewPage', 'decide', 'loadOutcome', 'completeReview']);
});
