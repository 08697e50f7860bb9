// End to end: `npm start`'s process, driven only over HTTP with the real AWS SDK clients,
// as an agent written for AWS would drive it with nothing but the endpoint changed.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PutEventsCommand, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { clients, eventually } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import type { ActionProposed } from '../../events/index.ts';
import type { ArchivedEvent } from '../../local/eventbridge/bus.ts';

let local: LocalProcess;
let aws: ReturnType<typeof clients>;
beforeAll(async () => {
  local = await startLocalProcess();
  aws = clients(local.url);
}, 60_000);
afterAll(() => local?.stop());

const BUS = 'hitl-dev';

async function propose(...details: ActionProposed[] | object[]) {
  return aws.eventBridge.send(
    new PutEventsCommand({
      Entries: details.map((d) => ({
        EventBusName: BUS,
        Source: 'agent.procurement',
        DetailType: 'Action Proposed',
        Detail: JSON.stringify(d),
      })),
    }),
  );
}

async function archive(): Promise<ArchivedEvent[]> {
  const text = await readFile(join(local.dataDir, 'events.jsonl'), 'utf8').catch(() => '');
  // The archive is being appended to: a last line without its newline is still being written.
  return text
    .split('\n')
    .slice(0, -1)
    .map((l) => JSON.parse(l) as ArchivedEvent);
}
async function outcomesFor(proposalId: string): Promise<string[]> {
  return (await archive())
    .filter((e) => e.Source === 'hitl.gate' && JSON.parse(e.Detail).proposalId === proposalId)
    .map((e) => e.DetailType);
}
const waitForOutcome = (proposalId: string, detailType: string) =>
  eventually(
    async () => ((await outcomesFor(proposalId)).includes(detailType) ? true : undefined),
    `${detailType} for ${proposalId}`,
  );

async function reviewOf(p: ActionProposed) {
  const { Item } = await aws.dynamo.send(
    new GetCommand({
      TableName: 'hitl-gate-dev-reviews',
      Key: { pk: `REVIEW#${reviewIdFor(p.agentId, p.proposalId)}`, sk: 'META' },
    }),
  );
  return Item;
}

describe('local mode over HTTP', () => {
  it('auto-approves a $500 purchase order put with the real EventBridge client', async () => {
    const p = purchaseOrder(500);
    const out = await propose(p);
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries![0]!.EventId).toMatch(/^[0-9a-f-]{36}$/);
    await waitForOutcome(p.proposalId, 'Approval Granted');
    await eventually(async () => ((await reviewOf(p))?.status === 'COMPLETED' ? true : undefined), 'review completed');
  });

  it('opens a manager review for $5,000 with an email in the outbox, and a CFO review for $50,000', async () => {
    const mid = purchaseOrder(5000);
    const big = purchaseOrder(50000);
    await propose(mid, big);
    await waitForOutcome(mid.proposalId, 'Approval Requested');
    await waitForOutcome(big.proposalId, 'Approval Requested');
    const midReview = await reviewOf(mid);
    const bigReview = await reviewOf(big);
    expect(midReview).toMatchObject({ status: 'PENDING', tier: 'medium' });
    expect(midReview!.route[0].roles).toEqual(['manager']);
    expect(bigReview).toMatchObject({ status: 'PENDING', tier: 'high' });
    expect(bigReview!.route[0].roles).toEqual(['cfo']);

    // "Approval Requested" is out at once; the emails follow from the notifications queue, each its turn.
    const outbox = async () => {
      const files = (await readdir(join(local.dataDir, 'outbox'))).filter((f) => f.endsWith('.eml'));
      return Promise.all(files.map((f) => readFile(join(local.dataDir, 'outbox', f), 'utf8')));
    };
    const emailed = (mails: string[]) =>
      midReview!.route[0].approvers.every((a: { email: string }) => mails.some((m) => m.includes(`To: ${a.email}`)));
    const mails = await eventually(async () => {
      const found = await outbox();
      return emailed(found) ? found : undefined;
    }, "every manager's email in the outbox");
    expect(mails[0]).toMatch(/^MIME-Version: 1.0$/m);
  });

  it('treats a production schema change as critical', async () => {
    const p = proposal({
      agentId: 'migration-agent',
      action: {
        type: 'db_schema_change',
        summary: 'ALTER TABLE orders DROP COLUMN legacy_id',
        target: 'production/orders-db',
        amount: undefined,
      },
    });
    await propose(p);
    await waitForOutcome(p.proposalId, 'Approval Requested');
    expect(await reviewOf(p)).toMatchObject({ tier: 'critical', quorum: 2, status: 'PENDING' });
  });

  it('opens one review when the same proposalId is sent twice', async () => {
    const p = purchaseOrder(7500);
    await propose(p, p);
    await waitForOutcome(p.proposalId, 'Approval Requested');
    await new Promise((r) => setTimeout(r, 300));
    expect(await outcomesFor(p.proposalId)).toEqual(['Approval Requested']);
    expect((await reviewOf(p))!.history.filter((h: { what: string }) => h.what === 'notified')).toHaveLength(1);
  });

  it('answers an invalid proposal with Action Rejected As Invalid saying what is wrong', async () => {
    await propose({
      proposalId: 'e2e-invalid',
      agentId: 'procurement-agent',
      requestedBy: 'sam.rivera',
      action: { type: 'purchase_order', summary: 'x', amount: { value: 12.345, currency: 'USD' } },
    });
    await waitForOutcome('e2e-invalid', 'Action Rejected As Invalid');
    const rejected = (await archive()).find(
      (e) => e.DetailType === 'Action Rejected As Invalid' && JSON.parse(e.Detail).proposalId === 'e2e-invalid',
    )!;
    expect(JSON.parse(rejected.Detail).errors).toEqual(['action.amount.value: must have at most two decimal places']);
  });

  it('refuses malformed entries per entry, as PutEvents does, and archives the rest', async () => {
    const out = await aws.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: BUS, Source: 'agent.x', DetailType: 'Ping', Detail: 'not json' },
          { EventBusName: BUS, Source: 'agent.x', DetailType: 'Ping', Detail: '{"ok":true}' },
          { EventBusName: 'no-such-bus', Source: 'agent.x', DetailType: 'Ping', Detail: '{}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries![0]).toMatchObject({ ErrorCode: 'MalformedDetail' });
    expect(out.Entries![1]!.EventId).toBeDefined();
    expect(out.Entries![2]!.ErrorCode).toBeDefined();
    expect((await archive()).some((e) => e.id === out.Entries![1]!.EventId)).toBe(true);
  });

  it('answers TestEventPattern as AWS does, InvalidEventPatternException included', async () => {
    const event = JSON.stringify({
      id: '1',
      account: '123456789012',
      source: 'agent.procurement',
      time: '2026-11-24T10:00:00Z',
      region: 'eu-west-1',
      resources: [],
      'detail-type': 'Action Proposed',
      detail: { action: { amount: { value: 5000 } } },
    });
    const test = (pattern: object | string) =>
      aws.eventBridge.send(
        new TestEventPatternCommand({
          EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern),
          Event: event,
        }),
      );
    expect(
      (
        await test({
          source: [{ prefix: 'agent.' }],
          detail: { action: { amount: { value: [{ numeric: ['>=', 1000, '<=', 10000] }] } } },
        })
      ).Result,
    ).toBe(true);
    expect((await test({ source: [{ 'anything-but': { prefix: 'agent.' } }] })).Result).toBe(false);
    await expect(test({ source: 'agent.procurement' })).rejects.toMatchObject({ name: 'InvalidEventPatternException' });
    await expect(test({ source: [{ numeric: ['>', 'x'] }] })).rejects.toMatchObject({
      name: 'InvalidEventPatternException',
    });
  });

  it('accepts SES v2 SendEmail from the real client and refuses a bad one with BadRequestException', async () => {
    const ses = new SESv2Client({
      endpoint: local.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const ok = await ses.send(
      new SendEmailCommand({
        FromEmailAddress: 'a@example.com',
        Destination: { ToAddresses: ['b@example.com'] },
        Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'Hello' } } } },
      }),
    );
    expect(ok.MessageId).toBeTruthy();
    expect(await readdir(join(local.dataDir, 'outbox'))).toContain(`${ok.MessageId}.eml`);
    await expect(
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'a@example.com',
          Destination: { ToAddresses: [] },
          Content: { Simple: { Subject: { Data: 'Hi' }, Body: { Text: { Data: 'x' } } } },
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadRequestException' });
  });

  it('serves the generated link-signing secret through Parameter Store, and keeps it across restarts', async () => {
    const name = '/aws/reference/secretsmanager/hitl-gate-dev-link-signing-key';
    const ssm = (url: string) =>
      new SSMClient({
        endpoint: url,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
    const out = await ssm(local.url).send(new GetParametersCommand({ Names: [name, '/nope'], WithDecryption: true }));
    expect(out.Parameters).toEqual([
      expect.objectContaining({ Name: name, Type: 'SecureString', Value: expect.stringMatching(/^[A-Za-z0-9]{64}$/) }),
    ]);
    expect(out.InvalidParameters).toEqual(['/nope']);
    const again = await startLocalProcess({ HITL_DATA_DIR: local.dataDir });
    try {
      const second = await ssm(again.url).send(new GetParametersCommand({ Names: [name], WithDecryption: true }));
      expect(second.Parameters![0]!.Value).toBe(out.Parameters![0]!.Value);
    } finally {
      again.child.kill('SIGINT');
      await new Promise((r) => again.child.once('exit', r));
    }
  }, 60_000);

  it('serves the outbox and events pages', async () => {
    const outbox = await fetch(`${local.url}/_local/outbox`);
    expect(outbox.status).toBe(200);
    expect(await outbox.text()).toContain('decide by');
    const events = await (await fetch(`${local.url}/_local/events`)).text();
    expect(events).toContain('Approval Granted');
  });

  it('stops cleanly on Ctrl-C', async () => {
    const other = await startLocalProcess();
    expect(await other.stop()).toBe(0);
  }, 60_000);
});
