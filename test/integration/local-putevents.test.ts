// PutEvents refuses what EventBridge refuses: per entry with PutEventsResultEntry's error codes where AWS
// answers per entry, the whole call where AWS fails the whole call (issue 13, item 9).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { clients, startHarness, type Harness } from '../support/local.ts';
import { entrySize, MAX_REQUEST_ENTRY_BYTES } from '../../local/eventbridge/bus.ts';
import { awsJsonCall, errorName } from './local-wire.ts';

let h: Harness;
let eventBridge: EventBridgeClient;
beforeAll(async () => {
  h = await startHarness();
  eventBridge = clients(h.app.url).eventBridge;
});
afterAll(() => h?.close());

const entry = (over: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: 'hitl-dev',
  Source: 'agent.test',
  DetailType: 'Ping',
  Detail: '{"n":1}',
  ...over,
});
const put = (...entries: PutEventsRequestEntry[]) => eventBridge.send(new PutEventsCommand({ Entries: entries }));
const archived = (id: string | undefined) => h.app.bus.events.find((e) => e.id === id);

describe('PutEvents, per entry', () => {
  it("answers each entry with PutEventsResultEntry's error codes, and accepts the rest", async () => {
    const out = await put(
      entry({ Source: undefined }),
      entry({ DetailType: '' }),
      entry({ Detail: undefined }),
      entry({ DetailType: 'x'.repeat(129) }),
      entry({ Source: `agent.${'x'.repeat(251)}` }),
      entry({ Source: 'aws.ec2' }),
      entry({ Detail: '[1, 2]' }),
      entry({ Detail: '{"unterminated": ' }),
      entry({ Resources: ['arn:aws:s3:::ok', `arn:aws:s3:::${'x'.repeat(2040)}`] }),
      entry({ DetailType: 'x'.repeat(128), Resources: ['arn:aws:s3:::bucket'] }),
    );
    expect(out.Entries).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is 129 characters long; at most 128.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is 257 characters long; at most 256.',
      },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: expect.stringContaining('"aws.ec2"') },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed: it must be a JSON object.' },
      {
        ErrorCode: 'MalformedDetail',
        ErrorMessage: expect.stringMatching(/^Detail is malformed: it is not valid JSON/),
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Resources is not valid. Reason: Resources[1] is longer than 2048 characters.',
      },
      { EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) },
    ]);
    expect(out.FailedEntryCount).toBe(9);
    expect(archived(out.Entries![9]!.EventId)).toMatchObject({ Resources: ['arn:aws:s3:::bucket'] });
  });

  it('keeps the time an entry gives, and stamps the others with the time it receives them', async () => {
    const at = new Date('2026-11-24T10:00:00Z');
    const out = await put(entry({ Time: at }), entry());
    expect(archived(out.Entries![0]!.EventId)!.time).toBe('2026-11-24T10:00:00.000Z');
    expect(Math.abs(Date.parse(archived(out.Entries![1]!.EventId)!.time) - h.app.clock.now())).toBeLessThan(5_000);
  });
});

describe('PutEvents, the whole call', () => {
  it('refuses a Source or DetailType that is not a string, or Resources that is not a list (SerializationException)', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ Source: 5 }, /^Entries\[0\]\.Source: expected a string, found a number$/],
      [{ Source: ['agent.test'] }, /^Entries\[0\]\.Source: expected a string, found a list$/],
      [{ DetailType: { a: 1 } }, /^Entries\[0\]\.DetailType: expected a string, found an object$/],
      [{ DetailType: true }, /^Entries\[0\]\.DetailType: expected a string, found a boolean$/],
      [{ Resources: 'arn:aws:s3:::bucket' }, /^Entries\[0\]\.Resources: expected a list, found a string$/],
      [{ Resources: [1] }, /^Entries\[0\]\.Resources\[0\]: expected a string, found a number$/],
      [{ Detail: { n: 1 } }, /^Entries\[0\]\.Detail: expected a string, found an object$/],
    ];
    for (const [over, message] of cases) {
      const a = await awsJsonCall(
        h.app.url,
        'AWSEvents.PutEvents',
        JSON.stringify({ Entries: [{ ...entry(), ...over }] }),
      );
      expect({ over, status: a.status, name: errorName(a) }).toEqual({
        over,
        status: 400,
        name: 'SerializationException',
      });
      expect(a.json.message).toMatch(message);
    }
  });

  it('counts the request size as AWS documents it: under 256 KB accepted, 256 KB refused', async () => {
    const base = entry({ Time: new Date(), Resources: ['arn:aws:s3:::bucket'], Detail: '{"pad":""}' });
    // Time 14 bytes, then the UTF-8 bytes of Source, DetailType, Detail and each resource: "é" is two bytes.
    expect(entrySize(base as never)).toBe(14 + 10 + 4 + 10 + 19);
    const padded = (size: number) => {
      const room = size - entrySize(base as never);
      return { ...base, Detail: `{"pad":"${'é'.repeat(Math.floor(room / 2))}${'a'.repeat(room % 2)}"}` };
    };
    const under = padded(MAX_REQUEST_ENTRY_BYTES - 1);
    expect(entrySize(under as never)).toBe(MAX_REQUEST_ENTRY_BYTES - 1);
    await expect(put(under)).resolves.toMatchObject({ FailedEntryCount: 0 });
    // Two entries of half the limit each: the limit is on the request, not each entry.
    const half = padded(MAX_REQUEST_ENTRY_BYTES / 2);
    expect(entrySize(half as never)).toBe(MAX_REQUEST_ENTRY_BYTES / 2);
    await expect(put(half, half)).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringMatching(/^Total size of the entries in the request is over the limit: 262144 bytes/),
    });
  });

  it('refuses a 5 MB entry as a whole, before anything downstream sees it', async () => {
    const before = h.app.bus.events.length;
    await expect(put(entry({ Detail: JSON.stringify({ blob: 'x'.repeat(5 * 1024 * 1024) }) }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('over the limit'),
    });
    expect(h.app.bus.events.length).toBe(before);
  });

  it("delivers what it accepts within its targets' limits: an envelope over Step Functions' 256 KB input is dead-lettered", async () => {
    const detail = JSON.stringify({ proposalId: 'too-big', pad: 'x'.repeat(MAX_REQUEST_ENTRY_BYTES - 200) });
    const out = await put(entry({ DetailType: 'Action Proposed', Detail: detail }));
    expect(out.FailedEntryCount).toBe(0);
    await h.app.idle();
    const letters = (await readFile(join(h.dataDir, 'dead-letters.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { rule: string; error: string; event: { id: string } });
    expect(letters.find((l) => l.event.id === out.Entries![0]!.EventId)).toMatchObject({
      rule: expect.stringContaining('intake'),
      error: expect.stringMatching(
        /at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144/,
      ),
    });
  });

  it('fails the whole request when none of its entries has Source, DetailType and Detail', async () => {
    await expect(put(entry({ Source: undefined }), entry({ Detail: undefined }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('None of the entries has all of Source, DetailType and Detail'),
    });
  });
});
