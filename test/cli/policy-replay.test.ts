// `hitl-gate policy replay`: past proposals re-classified by a changed policy, from local mode's archive.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { ActionProposed } from '../../events/index.ts';
import type { ArchivedEvent, BusEnvelope } from '../../local/eventbridge/bus.ts';
import { runPolicy } from '../../cli/src/policy.ts';
import { splitObjects } from '../../cli/src/policy/archive.ts';
import { clients, startHarness } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { policyCli, ROOT } from './policy-bin.ts';

const replay = (...args: string[]) => policyCli(['replay', ...args]);

let dir: string;
let raised: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hitl-replay-'));
  // The shipped policy with the automatic threshold of purchase orders raised from $1,000 to $2,000.
  const shipped = readFileSync(join(ROOT, 'policy/default.yml'), 'utf8');
  const text = shipped
    .replace('amount: { currency: USD, lt: 1000 }', 'amount: { currency: USD, lt: 2000 }')
    .replace('amount: { currency: USD, gte: 1000, lte: 10000 }', 'amount: { currency: USD, gte: 2000, lte: 10000 }');
  expect(text).not.toBe(shipped);
  raised = join(dir, 'raised.yml');
  writeFileSync(raised, text);
  copyFileSync(join(ROOT, 'policy/directory.yml'), join(dir, 'directory.yml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** An archived PutEvents entry as local mode writes it to events.jsonl. */
const archived = (i: number, detailType: string, detail: object, time: string): ArchivedEvent => ({
  id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
  time,
  EventBusName: 'hitl-dev',
  Source: detailType === 'Action Proposed' ? 'agent.procurement' : 'hitl.gate',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});

describe('replaying a generated local archive of 1,000 proposals against a raised threshold', () => {
  const START = Date.parse('2026-11-01T00:00:00Z');
  const amounts: number[] = [];
  let archive: string;
  let badLines: number[];

  beforeAll(() => {
    const lines: string[] = [];
    badLines = [];
    for (let i = 0; i < 1000; i++) {
      // Cents spread over $0 to $12,000, the boundaries among them.
      const value = [999.99, 1000, 1999.99, 2000, 10000, 10000.01][i % 50] ?? ((i * 7919) % 1_200_000) / 100;
      amounts.push(value);
      const time = new Date(START + i * 2_592_000).toISOString(); // one every 43.2 minutes: 1,000 in 30 days
      const p: ActionProposed = {
        proposalId: `po-${i}`,
        agentId: 'procurement-agent',
        requestedBy: 'sam.rivera',
        action: { type: 'purchase_order', summary: `order ${i}`, amount: { value, currency: 'USD' } },
      };
      lines.push(JSON.stringify(archived(i, 'Action Proposed', p, time)));
      if (i % 100 === 0)
        lines.push(JSON.stringify(archived(i, 'Approval Granted', { proposalId: p.proposalId }, time)));
      if (i === 500) lines.push(JSON.stringify(archived(i, 'Action Proposed', p, time))); // a redelivery
    }
    const insert = (at: number, line: string) => {
      lines.splice(at, 0, line);
      badLines.push(at + 1);
    };
    insert(10, '{"DetailType": "Action Proposed", "Detail": "{not json"}');
    insert(20, 'garbage');
    insert(
      30,
      JSON.stringify(
        archived(
          9999,
          'Action Proposed',
          { proposalId: 'bad', agentId: 'a', action: { type: 'x' } },
          '2026-11-02T00:00:00Z',
        ),
      ),
    );
    archive = join(dir, 'events.jsonl');
    writeFileSync(archive, `${lines.join('\n')}\n`);
  });

  it('reports the tier moves, the changed routes, each bad line by number, and a month of approvals', () => {
    const r = replay('--archive', archive, '--policy', raised, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);

    const cents = amounts.map((v) => Math.round(v * 100));
    const count = (f: (c: number) => boolean) => cents.filter(f).length;
    const moved = count((c) => c >= 100_000 && c < 200_000);
    expect(moved).toBeGreaterThan(50);
    expect(report).toMatchObject({ replayed: 1000, duplicates: 1, otherEvents: 10, moved, routeChanged: moved });
    expect(report.matrix).toEqual({
      low: { low: count((c) => c < 100_000), medium: 0, high: 0, critical: 0 },
      medium: { low: moved, medium: count((c) => c >= 200_000 && c <= 1_000_000), high: 0, critical: 0 },
      high: { low: 0, medium: 0, high: count((c) => c > 1_000_000), critical: 0 },
      critical: { low: 0, medium: 0, high: 0, critical: 0 },
    });
    expect(report.bad.map((b: { where: string }) => b.where)).toEqual(badLines.map((n) => `line ${n}`));
    expect(report.bad.map((b: { reason: string }) => b.reason)).toEqual([
      'its Detail is not JSON',
      expect.stringMatching(/^not JSON: /),
      expect.stringMatching(/^an Action Proposed that intake refused as invalid: requestedBy: .*; action.summary: /),
    ]);
    expect(report.changes[0]).toMatchObject({
      proposalId: 'po-1',
      from: { tier: 'medium', rule: 'purchase-order-manager' },
      to: { tier: 'low', rule: 'purchase-order-under-1k', route: 'none' },
    });
    // 30 days of proposals: a month is the archive; each medium review is one approval of 5 minutes.
    expect(report.period.days).toBeCloseTo((30 * 999) / 1000, 5);
    const month = 30 / report.period.days;
    expect(report.month.baseline.approvals).toBeCloseTo((1000 - count((c) => c < 100_000)) * month, 5);
    expect(report.month.baseline.approvals - report.month.policy.approvals).toBeCloseTo(moved * month, 5);
    expect(report.month.baseline.approverHours - report.month.policy.approverHours).toBeCloseTo(
      (moved * 5 * month) / 60,
      5,
    );
  });

  it('prints the matrix and the assumptions, and takes them from flags', () => {
    const r = replay(
      '--archive',
      archive,
      '--policy',
      raised,
      '--minutes-medium',
      '12',
      '--approver-rate',
      '90',
      '--days',
      '60',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^replayed 1000 proposals of \S+ with policy\/default\.yml/);
    expect(r.stdout).toContain(`  line ${badLines[1]}: not JSON: `);
    expect(r.stdout).toMatch(/\n {2}medium {8} +\d+ +\d+ +0 +0\n/);
    expect(r.stdout).toContain(
      'per 30-day month, from an archive of 60 days (--days; proposals from 2026-11-01T00:00:00.000Z to ',
    );
    expect(r.stdout).toContain('an approval takes 12 min (medium), 15 min (high), 30 min (critical)');
    expect(r.stdout).toContain("an approver's hour costs $90.00");
  });

  it('refuses a flag that is not a number and a missing archive with exit code 2', () => {
    expect(replay('--archive', archive, '--policy', raised, '--minutes-high', 'lots')).toMatchObject({
      code: 2,
      stderr: 'hitl-gate policy replay: --minutes-high must be a number, at least 0, not "lots"\n',
    });
    expect(replay('--policy', raised).stderr).toContain('--archive is required');
    expect(replay('--archive', join(dir, 'none.jsonl'), '--policy', raised)).toMatchObject({
      code: 2,
      stderr: `hitl-gate policy replay: cannot read the archive ${join(dir, 'none.jsonl')}: no such file\n`,
    });
  });
});

describe('replaying what local mode archived', () => {
  it("reads local mode's GET /_local/events.json, its events.jsonl, and EventBridge events as a rule's target gets them, in lines or as Firehose writes them", async () => {
    const local = await startHarness();
    try {
      const { eventBridge } = clients(local.app.url);
      const sent = [purchaseOrder(500), purchaseOrder(1500), purchaseOrder(50000)];
      await eventBridge.send(
        new PutEventsCommand({
          Entries: sent.map((p) => ({
            EventBusName: 'hitl-dev',
            Source: 'agent.procurement',
            DetailType: 'Action Proposed',
            Detail: JSON.stringify(p),
          })),
        }),
      );
      await local.app.idle();
      const listed = (await (await fetch(`${local.app.url}/_local/events.json`)).json()) as ArchivedEvent[];
      const json = join(dir, 'events.json');
      writeFileSync(json, JSON.stringify(listed));
      const envelopes = join(dir, 'envelopes.jsonl');
      const asTargetGetsThem = listed.map(
        (e): BusEnvelope => ({
          version: '0',
          id: e.id,
          'detail-type': e.DetailType,
          source: e.Source,
          account: '000000000000',
          time: e.time,
          region: 'eu-west-1',
          resources: [],
          detail: JSON.parse(e.Detail),
        }),
      );
      writeFileSync(envelopes, asTargetGetsThem.map((e) => JSON.stringify(e)).join('\n'));
      // As Firehose delivers them to S3: one after another, no newline between.
      const firehose = join(dir, 'firehose-delivery');
      writeFileSync(firehose, asTargetGetsThem.map((e) => JSON.stringify(e)).join(''));

      for (const file of [json, join(local.dataDir, 'events.jsonl'), envelopes, firehose]) {
        // In this process: the bin is spawned above; here the formats are what is tested, on a loaded machine too.
        let stdout = '';
        const code = await runPolicy(['replay', '--archive', file, '--policy', raised, '--json'], {
          out: (text) => {
            stdout += text;
          },
          err: (text) => {
            throw new Error(text);
          },
        });
        expect(code).toBe(0);
        const report = JSON.parse(stdout);
        expect(report).toMatchObject({ replayed: 3, bad: [], moved: 1 });
        expect(report.otherEvents).toBeGreaterThan(0);
        expect(report.changes.map((c: { proposalId: string }) => c.proposalId)).toEqual([sent[1]?.proposalId]);
      }
    } finally {
      await local.close();
    }
  }, 120_000);

  it('splits events written one after another, braces and quotes inside their text included', () => {
    const a = { 'detail-type': 'Action Proposed', detail: { summary: 'a "}{" in {text}\\' } };
    const b = { 'detail-type': 'Approval Granted', detail: {} };
    expect(splitObjects(`${JSON.stringify(a)}${JSON.stringify(b)}`).map((t) => JSON.parse(t))).toEqual([a, b]);
    expect(splitObjects('{"a":1} trailing')).toEqual([]);
    expect(splitObjects('{"a":1}{"b":')).toEqual([]);
  });
});
