// The bus's journal: an accepted event is on disk before PutEvents answers, each rule's delivery is recorded once
// done, and a bus started on the same journal delivers what is still owed, at least once, within the rule's
// maximum event age (issue 13, item 7). The process-level proof, with a SIGKILL, is test/e2e/local-crash.test.ts.
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalBus, type BusEnvelope } from '../../local/eventbridge/bus.ts';
import { EventJournal } from '../../local/eventbridge/journal.ts';
import type { RuleWiring } from '../../local/wiring.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hitl-journal-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const rule = (name: string, detailType: string, maxEventAgeSeconds = 3600): RuleWiring => ({
  name,
  busName: 'hitl-dev',
  pattern: { 'detail-type': [detailType] },
  target: {
    kind: 'stateMachine',
    arn: `arn:aws:states:eu-west-1:000000000000:stateMachine:${name}`,
    maxRetries: 3,
    maxEventAgeSeconds,
  },
});
const RULES = [rule('intake', 'Action Proposed'), rule('audit', 'Action Proposed', 60), rule('escalate', 'Breached')];

/** A bus on the journal of `dir`, with state machine targets that record what they get and end when told to. */
async function busOn(now: { ms: number }) {
  const bus = new LocalBus({
    buses: ['hitl-dev'],
    rules: RULES,
    archiveFile: join(dir, 'events.jsonl'),
    deadLetterFile: join(dir, 'dead-letters.jsonl'),
    region: 'eu-west-1',
    now: () => now.ms,
    journalFile: join(dir, 'bus-journal.jsonl'),
  });
  await bus.open();
  const got: { rule: string; id: string; end: () => void }[] = [];
  bus.connect({
    startExecution: (_arn, input, r) => {
      const { promise, resolve } = Promise.withResolvers<void>();
      got.push({ rule: r.name, id: (JSON.parse(input) as BusEnvelope).id, end: resolve });
      return { done: promise };
    },
    invokeFunction: async () => undefined,
  });
  return { bus, got };
}
/** Ends every execution the bus started and stops it; a bus started after it then owes nothing. */
async function finishAll(b: Awaited<ReturnType<typeof busOn>>, now: { ms: number }) {
  for (const g of b.got) g.end();
  await new Promise((r) => setTimeout(r, 20));
  await b.bus.close();
  const next = await busOn(now);
  expect(next.bus.resume()).toBe(0);
  await next.bus.close();
}
const entry = (detailType: string, n: number) => ({
  EventBusName: 'hitl-dev',
  Source: 'agent.test',
  DetailType: detailType,
  Detail: JSON.stringify({ n }),
});
const deadLetters = async () =>
  (await readFile(join(dir, 'dead-letters.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { rule: string; error: string; event: BusEnvelope });

describe('the bus journal', () => {
  it('has an accepted event on disk, with the rules it matched, before PutEvents answers', async () => {
    const { bus } = await busOn({ ms: Date.now() });
    const out = await bus.putEvents([entry('Action Proposed', 1), entry('Nothing matches', 2)]);
    const lines = (await readFile(join(dir, 'bus-journal.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.accepted.id, l.rules])).toEqual([
      [out.Entries[0]!.EventId, ['intake', 'audit']],
      [out.Entries[1]!.EventId, []],
    ]);
    await bus.close();
  });

  it('delivers again, after a restart, to each rule whose target had not finished with the event', async () => {
    const now = { ms: Date.now() };
    const first = await busOn(now);
    const out = await first.bus.putEvents([
      entry('Action Proposed', 1),
      entry('Action Proposed', 2),
      entry('Breached', 3),
    ]);
    const [one, two, three] = out.Entries.map((e) => e.EventId!);
    await first.bus.idle();
    expect(first.got.map((g) => `${g.rule} ${g.id}`).sort()).toEqual(
      [`intake ${one}`, `audit ${one}`, `intake ${two}`, `audit ${two}`, `escalate ${three}`].sort(),
    );
    // Event one is done everywhere, event two only for intake; event three nowhere. Then the process stops.
    for (const g of first.got) if (g.id === one || (g.id === two && g.rule === 'intake')) g.end();
    await new Promise((r) => setTimeout(r, 20));
    await first.bus.close();

    const second = await busOn(now);
    expect(second.bus.resume()).toBe(2);
    await second.bus.idle();
    expect(second.got.map((g) => `${g.rule} ${g.id}`).sort()).toEqual([`audit ${two}`, `escalate ${three}`].sort());
    // The journal kept only what was owed; delivered now, nothing is owed at the next start.
    expect((await readFile(join(dir, 'bus-journal.jsonl'), 'utf8')).trim().split('\n')).toHaveLength(2);
    await finishAll(second, now);
  });

  it('owes nothing, after a restart, for an event no rule matched', async () => {
    const now = { ms: Date.now() };
    const first = await busOn(now);
    await first.bus.putEvents([entry('Nothing Listens', 1)]);
    await first.bus.idle();
    expect(first.got).toEqual([]);
    await first.bus.close();
    for (let start = 0; start < 2; start++) {
      const again = await busOn(now);
      expect(again.bus.resume()).toBe(0);
      await again.bus.close();
    }
  });

  it("dead-letters what is owed past a rule's maximum event age, and delivers the rest", async () => {
    const now = { ms: Date.now() };
    const first = await busOn(now);
    const [id] = (await first.bus.putEvents([entry('Action Proposed', 1)])).Entries.map((e) => e.EventId!);
    await first.bus.idle();
    await first.bus.close();
    now.ms += 61_000; // past audit's 60 s, within intake's hour
    const second = await busOn(now);
    expect(second.bus.resume()).toBe(1);
    await second.bus.idle();
    expect(second.got.map((g) => `${g.rule} ${g.id}`)).toEqual([`intake ${id}`]);
    expect(await deadLetters()).toEqual([
      expect.objectContaining({
        rule: 'audit',
        error: "older than the rule's maximum event age (60 s)",
        event: expect.objectContaining({ id }),
      }),
    ]);
    await finishAll(second, now);
  });

  it('skips a line a crash cut short, and keeps every one of many writes made at once', async () => {
    const journal = new EventJournal<{ id: string }>(join(dir, 'bus-journal.jsonl'));
    await writeFile(join(dir, 'bus-journal.jsonl'), '');
    expect(await journal.open()).toEqual([]);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => journal.accepted([{ event: { id: `e${i}` }, rules: ['r'], receivedAt: i }])),
    );
    await journal.delivered('e0', 'r');
    await journal.close();
    await appendFile(join(dir, 'bus-journal.jsonl'), '{"accepted":{"id":"torn"},"rul');
    const again = new EventJournal<{ id: string }>(join(dir, 'bus-journal.jsonl'));
    const owed = await again.open();
    expect(owed.map((o) => o.event.id)).toEqual(Array.from({ length: 49 }, (_, i) => `e${i + 1}`));
    await again.close();
  });
});
