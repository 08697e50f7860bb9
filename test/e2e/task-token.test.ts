// A caller's own Standard workflow paused with events:putEvents.waitForTaskToken is released by
// hitl-gate's SendTaskSuccess / SendTaskFailure, all through local mode's wire protocols.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { clients, eventually } from '../support/local.ts';
import { startLocalProcess, type LocalProcess } from '../support/process.ts';

let local: LocalProcess;
let aws: ReturnType<typeof clients>;
beforeAll(async () => {
  local = await startLocalProcess();
  aws = clients(local.url);
}, 60_000);
afterAll(() => local?.stop());

const CALLER = 'arn:aws:states:eu-west-1:000000000000:stateMachine:hitl-gate-dev-example-procurement-caller';

async function startCaller(value: number) {
  const name = `po-${Date.now()}-${value}`;
  const { executionArn } = await aws.sfn.send(
    new StartExecutionCommand({
      stateMachineArn: CALLER,
      name,
      input: JSON.stringify({
        requestedBy: 'sam.rivera',
        action: { type: 'purchase_order', summary: `Standing desks (${name})`, amount: { value, currency: 'USD' } },
      }),
    }),
  );
  return { executionArn: executionArn!, name };
}

/** The decision link emailed for a proposal, found in the outbox by its summary. */
async function linkFor(name: string): Promise<string> {
  return eventually(async () => {
    const dir = join(local.dataDir, 'outbox');
    for (const f of await readdir(dir)) {
      // Quoted-printable folds long lines with "=\n"; unfold before searching.
      const text = (await readFile(join(dir, f), 'utf8')).replace(/=\r?\n/g, '').replace(/=3D/g, '=');
      if (text.includes(name)) return /(http:\/\/[^\s"<>]+\/reviews\/rv-[0-9a-f]+\?t=[\w.-]+)/.exec(text)?.[1];
    }
    return undefined;
  }, `the approval email for ${name}`);
}

async function post(link: string, body: object) {
  const url = new URL(link);
  const res = await fetch(`${url.origin}${url.pathname}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: url.searchParams.get('t'), ...body }),
  });
  expect(res.status).toBe(200);
}

const finished = (executionArn: string) =>
  eventually<DescribeExecutionCommandOutput>(async () => {
    const out = await aws.sfn.send(new DescribeExecutionCommand({ executionArn }));
    return out.status === 'RUNNING' ? undefined : out;
  }, 'the caller to finish');

describe('a caller paused on .waitForTaskToken', () => {
  it('waits for the human, then resumes with exactly the approved (edited) action', async () => {
    const { executionArn, name } = await startCaller(5000);
    const link = await linkFor(name);
    expect((await aws.sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await post(link, { decision: 'approve', edits: { 'amount.value': 4200 } });
    const out = await finished(executionArn);
    expect(out.status).toBe('SUCCEEDED');
    const result = JSON.parse(out.output!);
    expect(result.placed.amount).toEqual({ value: 4200, currency: 'USD' });
    expect(result.actionHash).toMatch(/^[0-9a-f]{64}$/);
    expect(result.approvedBy).toEqual([expect.objectContaining({ kind: 'person' })]);
  });

  it('fails with HumanRejected, the reviewer and the reason when the human rejects', async () => {
    const { executionArn, name } = await startCaller(6000);
    await post(await linkFor(name), { decision: 'reject', reason: 'Use the existing desks first' });
    const out = await finished(executionArn);
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('HumanRejected');
    expect(JSON.parse(out.cause!)).toMatchObject({
      reason: 'Use the existing desks first',
      decidedBy: [expect.any(String)],
    });
  });

  it('fails with ReviewExpired when nobody decides within the SLA (local clock moved on a day)', async () => {
    const { executionArn, name } = await startCaller(50000);
    await linkFor(name);
    const moved = await fetch(`${local.url}/_local/clock`, {
      method: 'POST',
      body: JSON.stringify({ advanceMs: 25 * 3600_000 }),
    });
    expect(moved.status).toBe(200);
    const out = await finished(executionArn);
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('ReviewExpired');
    expect(JSON.parse(out.cause!)).toMatchObject({ decidedBy: ['policy'] });
  });

  it('is released at once when the policy approves by itself', async () => {
    const { executionArn } = await startCaller(300);
    const out = await finished(executionArn);
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!).approvedBy).toEqual([{ id: 'policy', kind: 'policy' }]);
  });
});
