// `hitl-gate mcp-gate` and `hitl-gate mcp` as an MCP host runs them: the official SDK client spawns the
// command over stdio, in front of a small upstream server (test/fixtures/mcp-upstream.ts) that records every
// call it gets, against local mode; a person decides from the emailed link.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { clients as aws, ROOT } from '../support/local.ts';
import { useLocalReviews } from '../support/reviews.ts';

const BIN = resolve(ROOT, 'node_modules/.bin/hitl-gate');
const PATH = `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}`;
const UPSTREAM = 'node test/fixtures/mcp-upstream.ts';
const AGENT = 'mcp-gate-test';

const local = useLocalReviews();
let dir: string;
let calls: string;
const clients: Client[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hitl-mcp-'));
  calls = join(dir, 'calls.jsonl');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await rm(dir, { recursive: true, force: true });
});

/** An MCP client connected to `hitl-gate <args>` (or to the upstream itself), spawned as a host spawns it. */
async function spawnClient(command: string, args: string[]): Promise<Client> {
  const client = new Client({ name: 'test-host', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command,
      args,
      cwd: ROOT,
      env: { ...(process.env as Record<string, string>), PATH, MCP_UPSTREAM_CALLS: calls },
      stderr: 'ignore',
    }),
  );
  clients.push(client);
  return client;
}

let gateClient: Promise<Client> | undefined;
/** One gate for the file: the joining of duplicate calls is per gate process. */
function gate(): Promise<Client> {
  gateClient ??= spawnClient(BIN, ['mcp-gate', '--upstream', UPSTREAM, ...connection(AGENT)]);
  return gateClient;
}

/** Local mode, the agent, the person it acts for, and a short backoff so a test waits little after a click. */
function connection(agentId: string): string[] {
  return [
    ...['--endpoint', local.h.app.url, '--agent-id', agentId, '--requested-by', 'sam.rivera'],
    ...['--poll-first-ms', '50', '--poll-max-ms', '200'],
  ];
}

async function upstreamCalls(tool: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(calls, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { tool: string; arguments: Record<string, unknown> })
    .filter((c) => c.tool === tool)
    .map((c) => c.arguments);
}

/** Calls a tool through the gate with a progress token; resolves the review once the first progress names it. */
async function callGated(name: string, args: Record<string, unknown>) {
  const client = await gate();
  const progress: Progress[] = [];
  let named: (id: string) => void = () => undefined;
  const reviewId = new Promise<string>((r) => {
    named = r;
  });
  const result = client.callTool({ name, arguments: args }, undefined, {
    onprogress: (p) => {
      progress.push(p);
      const proposalId = /\/agents\/[^/]+\/proposals\/([^/]+)\/status/.exec(p.message ?? '')?.[1];
      if (proposalId) named(reviewIdFor(AGENT, decodeURIComponent(proposalId)));
    },
    resetTimeoutOnProgress: true,
  }) as Promise<CallToolResult>;
  return { result, reviewId, progress };
}

/** The emailed links of a review, once intake has opened it and notified its approvers. */
async function linksOf(id: string) {
  for (let i = 0; i < 400; i++) {
    const review = await local.reviews.get(id);
    const links = review ? await local.reviews.linksFor(review) : [];
    if (links.length) return links;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`no review ${id} with links`);
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');

describe('hitl-gate mcp-gate', () => {
  it('lists the upstream server’s tools unchanged', async () => {
    const direct = await spawnClient('node', ['test/fixtures/mcp-upstream.ts']);
    expect((await (await gate()).listTools()).tools).toEqual((await direct.listTools()).tools);
  });

  it('calls a gated tool once after approval and returns the upstream result', async () => {
    const args = { vendor: 'acme', total: 5000, items: '12 laptops' };
    const { result, reviewId, progress } = await callGated('place_order', args);
    const [link] = await linksOf(await reviewId);
    expect(await upstreamCalls('place_order')).toEqual([]);
    await local.reviews.decide(await reviewId, { token: link!.token, decision: 'approve' });
    const answer = await result;
    expect(answer.isError).toBeFalsy();
    expect(text(answer)).toBe('ordered 12 laptops from acme for USD 5000');
    expect(answer._meta?.['hitl-gate']).toMatchObject({ reviewId: await reviewId, outcome: 'approved', edited: false });
    expect(await upstreamCalls('place_order')).toEqual([args]);
    // The operator's status link, never an approver's signed one.
    expect(progress[0]?.message).toContain(`${local.h.app.url}/agents/${AGENT}/proposals/`);
    expect(progress.some((p) => p.message?.includes('?t=') || p.message?.includes(link!.token))).toBe(false);
    const review = await local.reviews.get(await reviewId);
    expect(review).toMatchObject({
      agentId: AGENT,
      requestedBy: 'sam.rivera',
      action: {
        type: 'purchase_order',
        amount: { value: 5000, currency: 'USD' },
        target: 'acme',
        payload: args,
      },
      // The gate claimed the approval before the call and recorded what it did.
      execution: { by: 'agent', result: 'performed' },
    });
  });

  it('calls the upstream with the arguments the approver edited', async () => {
    const args = { vendor: 'globex', total: 6000, items: 'desks' };
    const { result, reviewId } = await callGated('place_order', args);
    const [link] = await linksOf(await reviewId);
    await local.reviews.decide(await reviewId, {
      token: link!.token,
      decision: 'approve',
      edits: { 'amount.value': 4500 },
    });
    const answer = await result;
    expect(text(answer)).toBe('ordered desks from globex for USD 4500');
    expect(answer._meta?.['hitl-gate']).toMatchObject({ edited: true, arguments: { ...args, total: 4500 } });
    expect((await upstreamCalls('place_order')).filter((a) => a.vendor === 'globex')).toEqual([
      { ...args, total: 4500 },
    ]);
  });

  it('answers isError with the reason when the approver rejects, and never calls the upstream', async () => {
    const { result, reviewId } = await callGated('send_email', { to: 'all@example.com', subject: 'Hi', body: 'x' });
    const [link] = await linksOf(await reviewId);
    expect(await local.reviews.get(await reviewId)).toMatchObject({ action: { type: 'mcp:send_email' } });
    await local.reviews.decide(await reviewId, { token: link!.token, decision: 'reject', reason: 'Not to everyone' });
    const answer = await result;
    expect(answer.isError).toBe(true);
    expect(text(answer)).toContain(`review ${await reviewId} was rejected by ${link!.approverId}`);
    expect(text(answer)).toContain('Not to everyone');
    expect(await upstreamCalls('send_email')).toEqual([]);
  });

  it('passes a low-tier tool straight through, opening no review', async () => {
    const reviews = async () =>
      (
        (await aws(local.h.app.url).dynamo.send(new ScanCommand({ TableName: local.reviews.table }))).Items ?? []
      ).filter((r) => r.agentId === AGENT && r.sk === 'META').length;
    const before = await reviews();
    const { result, progress } = await callGated('set_ticket_priority', { ticket: 'T-1', priority: 'high' });
    expect(text(await result)).toBe('ticket T-1 is now high');
    expect(progress).toEqual([]);
    await local.h.app.idle();
    expect(await reviews()).toBe(before);
    expect(await upstreamCalls('set_ticket_priority')).toEqual([{ ticket: 'T-1', priority: 'high' }]);
  });

  it('joins a duplicate call to the pending review and calls the upstream once for both', async () => {
    const args = { vendor: 'initech', total: 2500, items: 'staplers' };
    const first = await callGated('place_order', args);
    const id = await first.reviewId;
    const second = await callGated('place_order', args);
    expect(await second.reviewId).toBe(id);
    const [link] = await linksOf(id);
    await local.reviews.decide(id, { token: link!.token, decision: 'approve' });
    const [a, b] = await Promise.all([first.result, second.result]);
    expect(text(a)).toBe('ordered staplers from initech for USD 2500');
    expect(b).toEqual(a);
    expect((await upstreamCalls('place_order')).filter((c) => c.vendor === 'initech')).toHaveLength(1);
  });

  it('refuses a mapped call whose arguments do not fit the policy, naming the field', async () => {
    const client = await gate();
    const bad = (await client.callTool({
      name: 'place_order',
      arguments: { vendor: 'acme', total: 'lots', items: 'x' },
    })) as CallToolResult;
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('arguments.total: must be an amount in USD');
    const missing = (await client.callTool({
      name: 'place_order',
      arguments: { total: 10, items: 'x' },
    })) as CallToolResult;
    expect(text(missing)).toContain('arguments.vendor: is required (the policy maps it to the target)');
    expect((await upstreamCalls('place_order')).filter((c) => c.vendor === undefined || c.total === 'lots')).toEqual(
      [],
    );
  });

  it('reports an upstream failure after approval as isError and does not call it again', async () => {
    const { result, reviewId } = await callGated('drop_table', { table: 'orders' });
    const [link] = await linksOf(await reviewId);
    await local.reviews.decide(await reviewId, { token: link!.token, decision: 'approve' });
    const answer = await result;
    expect(answer.isError).toBe(true);
    expect(text(answer)).toContain('table orders is locked');
    expect(await upstreamCalls('drop_table')).toEqual([{ table: 'orders' }]);
    const review = await local.reviews.get(await reviewId);
    expect(review?.execution).toMatchObject({ by: 'agent', result: 'failed' });
    expect(review?.execution).toHaveProperty('detail', expect.stringContaining('table orders is locked'));
    expect(review?.history.filter((e) => e.what === 'execution_failed')).toHaveLength(1);
  });
});

describe('hitl-gate mcp', () => {
  it('answers request_approval with the decision, and get_review by review id and by proposal', async () => {
    const client = await spawnClient(BIN, ['mcp', ...connection('mcp-asker')]);
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['get_review', 'request_approval']);
    const proposalId = `ask-${process.pid}`;
    const id = reviewIdFor('mcp-asker', proposalId);
    const asked = client.callTool({
      name: 'request_approval',
      arguments: {
        proposalId,
        action: { type: 'purchase_order', summary: 'Monitors', amount: { value: 3000, currency: 'USD' } },
      },
    }) as Promise<CallToolResult>;
    const [link] = await linksOf(id);
    const pending = (await client.callTool({ name: 'get_review', arguments: { reviewId: id } })) as CallToolResult;
    expect(pending.structuredContent).toMatchObject({ reviewId: id, outcome: 'pending' });
    await local.reviews.decide(id, { token: link!.token, decision: 'approve' });
    const answer = await asked;
    expect(answer.isError).toBeFalsy();
    expect(answer.structuredContent).toMatchObject({
      proposalId,
      reviewId: id,
      outcome: 'approved',
      action: { amount: { value: 3000 } },
      decidedBy: [{ id: link!.approverId, kind: 'person' }],
    });
    const byProposal = (await client.callTool({ name: 'get_review', arguments: { proposalId } })) as CallToolResult;
    expect(byProposal.structuredContent).toMatchObject({ reviewId: id, outcome: 'approved' });
  });

  it('answers an invalid proposal with every problem, and a bad get_review with what is wrong', async () => {
    const client = clients.at(-1) as Client;
    const invalid = (await client.callTool({
      name: 'request_approval',
      arguments: { action: { type: 'purchase_order', summary: 'x', amount: { value: -5, currency: 'USD' } } },
    })) as CallToolResult;
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toContain('action.amount.value');
    const neither = (await client.callTool({ name: 'get_review', arguments: {} })) as CallToolResult;
    expect(text(neither)).toContain('give either reviewId, or proposalId');
    const bad = (await client.callTool({ name: 'get_review', arguments: { reviewId: 'nope' } })) as CallToolResult;
    expect(text(bad)).toContain('"nope" is not a review id');
  });
});

describe('hitl-gate mcp-gate flags', () => {
  function run(...args: string[]) {
    const r = spawnSync(BIN, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, PATH }, input: '' });
    return { code: r.status, stderr: r.stderr };
  }

  it.each([
    [['mcp-gate', '--endpoint', 'http://localhost:3000'], '--upstream is required'],
    [['mcp-gate', '--upstream', 'x', '--endpoint', 'localhost'], '--endpoint: "localhost" is not an http(s) URL'],
    [['mcp-gate', '--upstream', '"node x', '--endpoint', 'http://localhost:3000'], 'the quote " is not closed'],
    [['mcp-gate', '--upstream', 'x', '--colour'], "Unknown option '--colour'"],
    [['mcp-gate', '--upstream', 'x', '--endpoint', 'http://l:1', '--poll-max-ms', 'soon'], '--poll-max-ms: "soon"'],
    [['mcp-gate', '--upstream', 'x', '--endpoint', 'http://l:1', '--policy', 'nope.yml'], '--policy: no file'],
    [['mcp', '--agent-id'], "Option '--agent-id <value>' argument missing"],
  ])('exits 2 and says what is wrong: %j', (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('usage: hitl-gate');
  });

  it('exits 1 naming the command when the upstream does not start', () => {
    const r = run('mcp-gate', '--upstream', 'no-such-mcp-server', '--endpoint', 'http://localhost:3000');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the upstream "no-such-mcp-server" did not start');
  });
});
