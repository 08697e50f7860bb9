// Local Slack through the official client (@slack/web-api): what the Web API answers and refuses, with Slack's
// error codes and rate limit, and the interactions it sends to hitl-gate's endpoint (played here by the test's
// own server), signed as Slack signs them, with the payloads Slack sends.
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, type Logger, LogLevel, WebClient } from '@slack/web-api';
import { LocalSlack } from '../../local/slack.ts';

const TOKEN = 'xoxb-local-test-token';
const SECRET = 'local-test-signing-secret';
const USERS = [
  { id: 'U0MIRA', name: 'Mira Okafor' },
  { id: 'U0GRACE', name: 'Grace Kim' },
];
const HOUR = 3_600_000;

/** Local mode's clock, hours ahead of the wall clock; tests move it on (a second is a new token for the channel). */
let skew = 7 * HOUR;
const now = () => new Date(Date.now() + skew);
const tick = (ms = 1_000) => {
  skew += ms;
};
/** Slack's own time (trigger ids expire on it). */
let wallSkew = 0;

interface Hit {
  headers: IncomingHttpHeaders;
  body: Buffer;
  payload: Record<string, any>;
}
/** What hitl-gate's interactions endpoint received, and how it answers (a test sets it). */
let hits: Hit[] = [];
type Answer = { status: number; body?: string; json?: unknown };
let respond: (payload: Record<string, any>) => Promise<Answer> | Answer = () => ({ status: 200 });

let server: Server;
let url: string;
let slack: LocalSlack;
/** The local Slack the server routes to (a test may start another, with other options). */
let serving: LocalSlack;

async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  const reqUrl = new URL(req.url ?? '/', url);
  if (await serving.handle(req, reqUrl, body, res)) return;
  if (req.method === 'POST' && reqUrl.pathname === '/slack/interactions') {
    const payload = JSON.parse(new URLSearchParams(body.toString('utf8')).get('payload') ?? '{}');
    hits.push({ headers: req.headers, body, payload });
    const out = await respond(payload);
    const text = out.json === undefined ? (out.body ?? '') : JSON.stringify(out.json);
    res.writeHead(out.status, { 'content-type': out.json === undefined ? 'text/plain' : 'application/json' });
    res.end(text);
    return;
  }
  res.writeHead(404).end();
}

beforeAll(async () => {
  server = createServer((req, res) => {
    route(req, res).catch((err: Error) => {
      res.writeHead(500).end(String(err.stack));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  slack = new LocalSlack({
    botToken: () => TOKEN,
    signingSecret: () => SECRET,
    interactionsUrl: `${url}/slack/interactions`,
    now,
    users: USERS,
    wallClock: () => Date.now() + wallSkew,
  });
  serving = slack;
});

/** Another local Slack on the same port, for the length of `run`. */
async function withSlack(
  options: Partial<ConstructorParameters<typeof LocalSlack>[0]>,
  run: (s: LocalSlack) => Promise<void>,
) {
  const other = new LocalSlack({
    botToken: () => TOKEN,
    signingSecret: () => SECRET,
    interactionsUrl: `${url}/slack/interactions`,
    now,
    users: USERS,
    ...options,
  });
  serving = other;
  try {
    await run(other);
  } finally {
    serving = slack;
  }
}

afterAll(async () => {
  await new Promise<void>((ok) => {
    server.close(() => ok());
    server.closeAllConnections();
  });
});

beforeEach(() => {
  hits = [];
  respond = () => ({ status: 200 });
  tick();
});

/** The client logs the `[ERROR] …` messages of an invalid_blocks answer; the tests read them from the error instead. */
const quiet: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

/** The official client on local Slack; `null`: without a token. */
const web = (token: string | null = TOKEN, options: Record<string, unknown> = {}) =>
  new WebClient(token ?? undefined, {
    slackApiUrl: `${url}/_local/slack/api/`,
    retryConfig: { retries: 0 },
    logger: quiet,
    ...options,
  });

/** The error a call fails with: the client's code and Slack's error code. */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: { code?: string; data?: { error?: string; errors?: string[] }; retryAfter?: number }) => ({
      code: e.code,
      error: e.data?.error,
      errors: e.data?.errors,
      retryAfter: e.retryAfter,
    }),
  );

const DECISION = JSON.stringify({ reviewId: 'r-1', step: 0, actionHash: 'abc' });

/** A review's message, as hitl-gate posts one. */
function reviewBlocks(summary = 'Pay invoice 42') {
  return [
    { type: 'header', text: { type: 'plain_text', text: 'Purchase order of $5,000.00' } },
    { type: 'section', text: { type: 'mrkdwn', text: `*Summary* “${summary}”\n*Decide by* tomorrow` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: "The agent's words, not hitl-gate's" }] },
    { type: 'divider' },
    {
      type: 'actions',
      block_id: 'hitl_decide',
      elements: [
        {
          type: 'button',
          action_id: 'hitl_approve',
          style: 'primary',
          text: { type: 'plain_text', text: 'Approve' },
          value: DECISION,
        },
        {
          type: 'button',
          action_id: 'hitl_reject',
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: DECISION,
        },
        {
          type: 'button',
          action_id: 'hitl_open',
          text: { type: 'plain_text', text: 'Open' },
          url: 'https://hitl.example/r/1',
        },
      ],
    },
  ];
}

const REJECT_VIEW = {
  type: 'modal',
  callback_id: 'hitl_reject_reason',
  private_metadata: DECISION,
  title: { type: 'plain_text', text: 'Reject' },
  submit: { type: 'plain_text', text: 'Reject' },
  close: { type: 'plain_text', text: 'Cancel' },
  blocks: [
    {
      type: 'input',
      block_id: 'reason',
      label: { type: 'plain_text', text: 'Why do you reject it?' },
      element: { type: 'plain_text_input', action_id: 'reason', multiline: true, min_length: 1, max_length: 2000 },
    },
  ],
};

async function postReview(channel = 'C0APPROVALS', summary?: string) {
  tick();
  const out = await web().chat.postMessage({ channel, text: 'A review', blocks: reviewBlocks(summary) as never });
  return { channel: out.channel!, ts: out.ts! };
}

const page = async (as: string) => (await fetch(`${url}/_local/slack?as=${as}`)).text();
/** The page's list item of one message. */
const itemOf = (html: string, ts: string) =>
  /<li class="message[^"]*" data-ts="([^"]*)"[\s\S]*?<\/li>/g.exec(
    html.slice(html.indexOf(`data-ts="${ts}"`) - 40),
  )?.[0] ?? '';

/** Opens the reject modal as hitl-gate does: views.open with the click's trigger, while answering the click. */
async function openRejectModal(user = 'U0GRACE') {
  const message = await postReview();
  respond = async (p) => {
    if (p.type === 'block_actions') await web().views.open({ trigger_id: p.trigger_id, view: REJECT_VIEW as never });
    return { status: 200 };
  };
  await slack.click({ user, ...message, actionId: 'hitl_reject' });
  const view = slack.views.findLast((v) => v.user === user)!;
  respond = () => ({ status: 200 });
  hits = [];
  return { message, view };
}

describe('local Slack: the Web API', () => {
  it('posts a message with the real WebClient: its channel, a unique ts from local mode clock, and the message with its blocks', async () => {
    const client = web();
    tick();
    const first = await client.chat.postMessage({
      channel: 'C0APPROVALS',
      text: 'A review',
      blocks: reviewBlocks() as never,
    });
    const second = await client.chat.postMessage({ channel: 'C0APPROVALS', text: 'Another' });
    expect(first).toMatchObject({ ok: true, channel: 'C0APPROVALS', message: { text: 'A review', type: 'message' } });
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    // The ts is on local mode's clock, hours from the wall clock's.
    expect(Math.abs(Number(first.ts) - now().getTime() / 1000)).toBeLessThan(5);
    expect(Number(first.ts) - Date.now() / 1000).toBeGreaterThan(6 * 3600);
    // Slack keeps a block_id for every block, generated where the caller gave none.
    const blocks = first.message!.blocks as { block_id?: string; type: string }[];
    expect(blocks.map((b) => b.type)).toEqual(['header', 'section', 'context', 'divider', 'actions']);
    expect(blocks.every((b) => typeof b.block_id === 'string' && b.block_id.length > 0)).toBe(true);
    expect(blocks[4]!.block_id).toBe('hitl_decide');
    expect(slack.messages.find((m) => m.ts === first.ts)).toMatchObject({ channel: 'C0APPROVALS', text: 'A review' });
  });

  it('answers every call as JSON with charset utf-8, from a form with the token in the Authorization header', async () => {
    tick();
    const res = await fetch(`${url}/_local/slack/api/chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel: 'C0APPROVALS', text: 'by hand' }).toString(),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C0APPROVALS' });
    const refused = await fetch(`${url}/_local/slack/api/chat.postMessage`, { method: 'POST' });
    expect(refused.status).toBe(200);
    expect(refused.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await refused.json()).toEqual({ ok: false, error: 'not_authed' });
  });

  it("answers a direct message to a member's user id with their D channel, which chat.update takes and their U id does not", async () => {
    tick();
    const dm = await web().chat.postMessage({ channel: 'U0MIRA', text: 'For you' });
    expect(dm.channel).toBe('D0MIRA');
    const updated = await web().chat.update({ channel: 'D0MIRA', ts: dm.ts!, text: 'For you, updated' });
    expect(updated).toMatchObject({ ok: true, channel: 'D0MIRA', ts: dm.ts, text: 'For you, updated' });
    expect(await refusal(web().chat.update({ channel: 'U0MIRA', ts: dm.ts!, text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await refusal(web().chat.postMessage({ channel: 'U0NOBODY', text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
  });

  it('chat.update replaces the blocks the page shows for a message', async () => {
    const message = await postReview();
    const before = itemOf(await page('U0MIRA'), message.ts);
    expect(before).toContain('data-action-id="hitl_approve"');
    await web().chat.update({
      ...message,
      text: 'Approved',
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: *Approved* by Mira Okafor' } },
      ] as never,
    });
    const after = itemOf(await page('U0MIRA'), message.ts);
    expect(after).toContain('<strong>Approved</strong> by Mira Okafor');
    expect(after).toContain('(edited)');
    expect(after).not.toContain('hitl_approve');
    expect(slack.messages.find((m) => m.ts === message.ts)?.blocks).toHaveLength(1);
  });

  it('refuses a call without a token (not_authed) and one made with another bot token (invalid_auth)', async () => {
    expect(await refusal(web(null).chat.postMessage({ channel: 'C0APPROVALS', text: 'x' }))).toEqual({
      code: ErrorCode.PlatformError,
      error: 'not_authed',
      errors: undefined,
      retryAfter: undefined,
    });
    expect(
      await refusal(web('xoxb-another-app').chat.postMessage({ channel: 'C0APPROVALS', text: 'x' })),
    ).toMatchObject({
      code: ErrorCode.PlatformError,
      error: 'invalid_auth',
    });
    expect(
      await refusal(web('xoxb-another-app').views.open({ trigger_id: '1.1.a', view: REJECT_VIEW as never })),
    ).toMatchObject({
      error: 'invalid_auth',
    });
  });

  it('refuses what Slack refuses, with its error codes, as the client platform errors', async () => {
    const client = web();
    const message = await postReview();
    const post = (args: Record<string, unknown>) =>
      refusal(client.chat.postMessage({ channel: 'C0APPROVALS', ...args } as never));
    expect(await refusal(client.chat.postMessage({ channel: 'general', text: 'x' }))).toMatchObject({
      code: ErrorCode.PlatformError,
      error: 'channel_not_found',
    });
    expect(await refusal(client.chat.update({ channel: 'C0NEVERPOSTED', ts: message.ts, text: 'x' }))).toMatchObject({
      error: 'channel_not_found',
    });
    expect(await refusal(client.chat.update({ channel: message.channel, ts: '1.000001', text: 'x' }))).toMatchObject({
      error: 'message_not_found',
    });
    const many = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(await post({ text: 'x', blocks: many })).toMatchObject({
      error: 'invalid_blocks',
      errors: ['no more than 50 items allowed [json-pointer:/blocks]'],
    });
    expect(await post({ text: 'x', blocks: [{ type: 'banner' }] })).toMatchObject({
      error: 'invalid_blocks',
      errors: ['unsupported type: banner [json-pointer:/blocks/0/type]'],
    });
    const purple = [
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Go' }, style: 'purple' }] },
    ];
    expect(await post({ text: 'x', blocks: purple })).toMatchObject({
      error: 'invalid_blocks',
      errors: ['must be one of: primary, danger [json-pointer:/blocks/0/elements/0/style]'],
    });
    expect(await post({ text: 'x', blocks: 'not json' })).toMatchObject({ error: 'invalid_blocks_format' });
    expect(await post({ text: 'x', blocks: '{"type":"divider"}' })).toMatchObject({ error: 'invalid_blocks_format' });
    expect(await post({ text: 'x'.repeat(40_001) })).toMatchObject({ error: 'msg_too_long' });
    expect(await post({})).toMatchObject({ error: 'no_text' });
    expect(await refusal(client.apiCall('chat.frobnicate', { channel: 'C0APPROVALS' }))).toMatchObject({
      code: ErrorCode.PlatformError,
      error: 'unknown_method',
    });
    // None of the refused calls posted anything.
    expect(slack.messages.filter((m) => m.text === 'x')).toEqual([]);
  });

  it('limits chat.postMessage to a burst of 3 a channel, then answers 429 with Retry-After as Slack does, until a second passes', async () => {
    const client = web(TOKEN, { rejectRateLimitedCalls: true });
    for (let i = 0; i < 3; i++) await client.chat.postMessage({ channel: 'C0BURST', text: `burst ${i}` });
    const res = await fetch(`${url}/_local/slack/api/chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: TOKEN, channel: 'C0BURST', text: 'one too many' }).toString(),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
    expect(await refusal(client.chat.postMessage({ channel: 'C0BURST', text: 'again' }))).toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 1,
    });
    // Another channel has its own bucket.
    expect((await client.chat.postMessage({ channel: 'C0OTHER', text: 'fine' })).ok).toBe(true);
    tick(1_000);
    expect((await client.chat.postMessage({ channel: 'C0BURST', text: 'a second later' })).ok).toBe(true);
    expect(slack.messages.filter((m) => m.channel === 'C0BURST').map((m) => m.text)).toEqual([
      'burst 0',
      'burst 1',
      'burst 2',
      'a second later',
    ]);
  });
});

describe('local Slack: interactions', () => {
  it("sends a click to hitl-gate signed as Slack signs it, stamped with local mode's clock", async () => {
    const message = await postReview();
    const before = Math.floor(now().getTime() / 1000);
    const answer = await slack.click({ user: 'U0MIRA', ...message, actionId: 'hitl_approve' });
    const after = Math.floor(now().getTime() / 1000);
    expect(answer).toEqual({ status: 200, body: '' });
    expect(hits).toHaveLength(1);
    const { headers, body } = hits[0]!;
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(body.toString()).toMatch(/^payload=/);
    const timestamp = String(headers['x-slack-request-timestamp']);
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(timestamp)).toBeLessThanOrEqual(after);
    expect(Number(timestamp) - Date.now() / 1000).toBeGreaterThan(6 * 3600);
    const sign = (secret: string) =>
      `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
    expect(headers['x-slack-signature']).toBe(sign(SECRET));
    expect(headers['x-slack-signature']).not.toBe(sign('another-secret'));
  });

  it("sends a block_actions payload as Slack does: the member, the message as posted, the button's action_id and value, a fresh trigger_id", async () => {
    const message = await postReview('C0APPROVALS', 'Refund order 7');
    await slack.click({ user: 'U0MIRA', ...message, actionId: 'hitl_reject' });
    await slack.click({ user: 'U0MIRA', ...message, actionId: 'hitl_reject' });
    const [first, second] = hits.map((h) => h.payload);
    expect(first).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0MIRA', username: 'mira.okafor', name: 'mira.okafor', team_id: 'T0LOCAL' },
      team: { id: 'T0LOCAL', domain: 'hitl-gate-local' },
      api_app_id: expect.any(String),
      token: expect.any(String),
      container: { type: 'message', message_ts: message.ts, channel_id: 'C0APPROVALS', is_ephemeral: false },
      channel: { id: 'C0APPROVALS', name: expect.any(String) },
      message: {
        ts: message.ts,
        text: 'A review',
        blocks: expect.arrayContaining([expect.objectContaining({ type: 'header' })]),
      },
      response_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_local\/slack\/response\//),
      actions: [
        {
          type: 'button',
          action_id: 'hitl_reject',
          block_id: 'hitl_decide',
          value: DECISION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
        },
      ],
    });
    expect(JSON.stringify(first!.message)).toContain('Refund order 7');
    expect(first!.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(second!.trigger_id).not.toBe(first!.trigger_id);
  });

  it('opens a modal with a click trigger for the member who clicked, and refuses a used, an expired or an unknown trigger', async () => {
    const message = await postReview();
    let opened: unknown;
    respond = async (p) => {
      opened = await web().views.open({ trigger_id: p.trigger_id, view: REJECT_VIEW as never });
      return { status: 200 };
    };
    await slack.click({ user: 'U0GRACE', ...message, actionId: 'hitl_reject' });
    expect(opened).toMatchObject({
      ok: true,
      view: {
        id: expect.stringMatching(/^V/),
        type: 'modal',
        callback_id: 'hitl_reject_reason',
        private_metadata: DECISION,
      },
    });
    const view = slack.views.findLast((v) => v.user === 'U0GRACE')!;
    expect(view.id).toBe((opened as { view: { id: string } }).view.id);
    const grace = await page('U0GRACE');
    expect(grace).toContain(`data-view-id="${view.id}"`);
    expect(grace).toMatch(/<textarea [^>]*required minlength="1" maxlength="2000"/);
    expect(await page('U0MIRA')).not.toContain('data-view-id');

    const trigger = hits[0]!.payload.trigger_id as string;
    expect(await refusal(web().views.open({ trigger_id: trigger, view: REJECT_VIEW as never }))).toMatchObject({
      error: 'exchanged_trigger_id',
    });
    respond = () => ({ status: 200 });
    await slack.click({ user: 'U0GRACE', ...message, actionId: 'hitl_reject' });
    wallSkew += 3_001;
    expect(
      await refusal(web().views.open({ trigger_id: hits[1]!.payload.trigger_id, view: REJECT_VIEW as never })),
    ).toMatchObject({
      error: 'expired_trigger_id',
    });
    expect(await refusal(web().views.open({ trigger_id: '123.456.abcdef', view: REJECT_VIEW as never }))).toMatchObject(
      {
        error: 'invalid_trigger_id',
      },
    );
  });

  it('refuses a modal Slack would refuse, with invalid_arguments', async () => {
    const message = await postReview();
    let refused: unknown;
    respond = async (p) => {
      refused = await refusal(
        web().views.open({
          trigger_id: p.trigger_id,
          view: {
            ...REJECT_VIEW,
            title: { type: 'plain_text', text: 'A title much longer than Slack takes' },
          } as never,
        }),
      );
      return { status: 200 };
    };
    await slack.click({ user: 'U0GRACE', ...message, actionId: 'hitl_reject' });
    expect(refused).toMatchObject({ error: 'invalid_arguments' });
  });

  it("sends a modal's submit as view_submission with the typed values and private_metadata; an errors answer keeps it open beside its input, an empty 200 closes it", async () => {
    const { view } = await openRejectModal();
    respond = () => ({
      status: 200,
      json: { response_action: 'errors', errors: { reason: 'Say why in a few more words' } },
    });
    const first = await slack.submitView({ user: 'U0GRACE', viewId: view.id, values: { reason: { reason: 'no' } } });
    expect(first.status).toBe(200);
    expect(hits[0]!.payload).toMatchObject({
      type: 'view_submission',
      user: { id: 'U0GRACE' },
      trigger_id: expect.any(String),
      view: {
        id: view.id,
        callback_id: 'hitl_reject_reason',
        private_metadata: DECISION,
        state: { values: { reason: { reason: { type: 'plain_text_input', value: 'no' } } } },
      },
    });
    expect(slack.views.find((v) => v.id === view.id)?.errors).toEqual({ reason: 'Say why in a few more words' });
    const open = await page('U0GRACE');
    const input = open.slice(open.indexOf('data-block-id="reason"'));
    expect(input).toMatch(
      /^data-block-id="reason">[\s\S]*>no<\/textarea><p class="error"[^>]*>Say why in a few more words<\/p>/,
    );

    respond = () => ({ status: 200, body: '' });
    const second = await slack.submitView({
      user: 'U0GRACE',
      viewId: view.id,
      values: { reason: { reason: 'Over budget' } },
    });
    expect(second).toEqual({ status: 200, body: '' });
    expect(hits[1]!.payload.view.state.values.reason.reason.value).toBe('Over budget');
    expect(slack.views.find((v) => v.id === view.id)).toBeUndefined();
    expect(await page('U0GRACE')).not.toContain('data-view-id');
  });

  it('keeps back a submit with a required input empty, as Slack client does, and takes an update answer as the new view', async () => {
    const { view } = await openRejectModal();
    const empty = await slack.submitView({ user: 'U0GRACE', viewId: view.id, values: { reason: { reason: '' } } });
    expect(empty.status).toBe(0);
    expect(hits).toEqual([]);
    expect(slack.views.find((v) => v.id === view.id)?.errors).toEqual({
      reason: 'Please complete this required field.',
    });
    const updated = {
      ...REJECT_VIEW,
      title: { type: 'plain_text', text: 'Rejected' },
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'Thanks' } }],
    };
    respond = () => ({ status: 200, json: { response_action: 'update', view: updated } });
    await slack.submitView({ user: 'U0GRACE', viewId: view.id, values: { reason: { reason: 'Too much' } } });
    const current = slack.views.find((v) => v.id === view.id)!;
    expect(current.view).toMatchObject({ id: view.id, title: { text: 'Rejected' } });
    expect(current.errors).toEqual({});
  });

  it('shows on the page that hitl-gate failed when it answers other than 200, next to the message and for a modal', async () => {
    const message = await postReview();
    respond = () => ({ status: 500, body: 'Internal Server Error' });
    const answer = await slack.click({ user: 'U0MIRA', ...message, actionId: 'hitl_approve' });
    expect(answer).toEqual({
      status: 500,
      body: 'Internal Server Error',
      problem: 'hitl-gate did not respond: status 500',
    });
    const mira = await page('U0MIRA');
    expect(itemOf(mira, message.ts)).toContain('hitl-gate did not respond: status 500');
    expect(mira.slice(mira.indexOf('Recent interactions'))).toMatch(/500[\s\S]*Internal Server Error/);
    // Only the member who clicked sees it failed.
    expect(itemOf(await page('U0GRACE'), message.ts)).not.toContain('did not respond');

    const { view } = await openRejectModal();
    respond = () => ({ status: 502, body: 'Bad Gateway' });
    const submitted = await slack.submitView({
      user: 'U0GRACE',
      viewId: view.id,
      values: { reason: { reason: 'Nope' } },
    });
    expect(submitted.problem).toBe('hitl-gate did not respond: status 502');
    expect(slack.views.find((v) => v.id === view.id)?.problem).toContain('We had some trouble connecting');
    expect(await page('U0GRACE')).toContain('We had some trouble connecting');
  });

  it("shows an agent's <script> in a message as text on the page", async () => {
    tick();
    await web().chat.postMessage({
      channel: 'C0AGENTS',
      text: 'fallback <script>alert(0)</script>',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '<script>alert(1)</script>' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: '*Summary* “&lt;script&gt;alert(2)&lt;/script&gt;” <img src=x onerror=alert(3)>',
          },
        },
      ] as never,
    });
    tick();
    await web().chat.postMessage({ channel: 'C0AGENTS', text: '<script>alert(4)</script> & "quotes"' });
    const html = await page('U0MIRA');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<img/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<strong>Summary</strong> “&lt;script&gt;alert(2)&lt;/script&gt;”');
  });

  it('shows an ephemeral message only to its member, marked Only visible to you', async () => {
    const out = await web().chat.postEphemeral({
      channel: 'C0APPROVALS',
      user: 'U0GRACE',
      text: 'Mira already approved this one',
    });
    expect(out.message_ts).toMatch(/^\d{10}\.\d{6}$/);
    const grace = itemOf(await page('U0GRACE'), out.message_ts!);
    expect(grace).toContain('Mira already approved this one');
    expect(grace).toContain('Only visible to you');
    expect(await page('U0MIRA')).not.toContain('Mira already approved this one');
    expect(
      await refusal(web().chat.postEphemeral({ channel: 'C0APPROVALS', user: 'U0NOBODY', text: 'x' })),
    ).toMatchObject({
      error: 'user_not_in_channel',
    });
  });

  it("refuses a click in someone else's direct message, and shows its buttons disabled", async () => {
    const dm = await postReview('U0MIRA');
    await expect(slack.click({ user: 'U0GRACE', ...dm, actionId: 'hitl_approve' })).rejects.toThrow(
      /direct message to Mira Okafor/,
    );
    expect(hits).toEqual([]);
    expect(itemOf(await page('U0GRACE'), dm.ts)).toMatch(/data-action-id="hitl_approve"[^>]* disabled/);
    expect(itemOf(await page('U0MIRA'), dm.ts)).not.toMatch(/ disabled/);
  });

  it("clicks and submits from the page's forms as the acting member, answering 303 back to the page; a GET changes nothing", async () => {
    const message = await postReview();
    const html = await page('U0GRACE');
    const item = itemOf(html, message.ts);
    expect(item).toMatch(
      /<button type="submit" class="primary" data-action-id="hitl_approve" data-block-id="hitl_decide">Approve<\/button>/,
    );
    expect(item).toMatch(
      /<a class="button default" href="https:\/\/hitl.example\/r\/1"[^>]*data-action-id="hitl_open">Open<\/a>/,
    );

    const form = new URLSearchParams({
      as: 'U0GRACE',
      channel: message.channel,
      ts: message.ts,
      block_id: 'hitl_decide',
      action_id: 'hitl_approve',
    });
    const got = await fetch(`${url}/_local/slack/click?${form}`, { redirect: 'manual' });
    expect(got.status).toBe(405);
    expect(hits).toEqual([]);
    const posted = await fetch(`${url}/_local/slack/click`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get('location')).toBe('/_local/slack?as=U0GRACE');
    expect(hits.map((h) => [h.payload.user.id, h.payload.actions[0].action_id])).toEqual([['U0GRACE', 'hitl_approve']]);

    const { view } = await openRejectModal();
    const submitted = await fetch(`${url}/_local/slack/submit`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        as: 'U0GRACE',
        view_id: view.id,
        'input:reason:reason': 'Not this quarter',
      }).toString(),
      redirect: 'manual',
    });
    expect(submitted.status).toBe(303);
    expect(hits[0]!.payload.view.state.values.reason.reason.value).toBe('Not this quarter');
    const state = (await (await fetch(`${url}/_local/slack.json`)).json()) as {
      views: { id: string }[];
      messages: { ts: string }[];
    };
    expect(state.views.map((v) => v.id)).not.toContain(view.id);
    expect(state.messages.map((m) => m.ts)).toContain(message.ts);
  });

  it("replaces the original message through a click's response_url", async () => {
    const message = await postReview();
    await slack.click({ user: 'U0MIRA', ...message, actionId: 'hitl_approve' });
    const res = await fetch(hits[0]!.payload.response_url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        replace_original: true,
        text: 'Approved',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Approved*' } }],
      }),
    });
    expect([res.status, await res.text()]).toEqual([200, 'ok']);
    expect(slack.messages.find((m) => m.ts === message.ts)).toMatchObject({
      text: 'Approved',
      blocks: [{ type: 'section' }],
    });
  });

  it('shows a click failed when hitl-gate answers later than Slack waits', async () => {
    await withSlack({ answerWithinMs: 200 }, async (late) => {
      const message = await postReview();
      respond = () => new Promise((ok) => setTimeout(() => ok({ status: 200 }), 600));
      const answer = await late.click({ user: 'U0MIRA', ...message, actionId: 'hitl_approve' });
      expect(answer).toEqual({ status: 0, body: '', problem: 'hitl-gate did not respond within 0.2 seconds' });
      expect(late.interactions[0]).toMatchObject({ type: 'block_actions', status: 0, problem: answer.problem });
      expect(itemOf(await page('U0MIRA'), message.ts)).toContain('hitl-gate did not respond within 0.2 seconds');
      await new Promise((ok) => setTimeout(ok, 500));
    });
  });
});

describe('local Slack: persisted', () => {
  it('finds its messages again after a restart with the same file, and gives later ts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'local-slack-'));
    const file = join(dir, 'slack.json');
    try {
      let first = { channel: '', ts: '' };
      await withSlack({ file }, async () => {
        first = await postReview('C0KEPT');
      });
      await withSlack({ file }, async (again) => {
        expect(again.messages.map((m) => m.ts)).toEqual([first.ts]);
        const updated = await web().chat.update({ ...first, text: 'Approved' });
        expect(updated.ok).toBe(true);
        skew -= 60_000;
        const later = await web().chat.postMessage({ channel: 'C0KEPT', text: 'after a restart' });
        expect(Number(later.ts)).toBeGreaterThan(Number(first.ts));
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
