// Local Slack: the Web API methods hitl-gate calls, answered as Slack answers them (HTTP 200 with
// `{ ok: false, error }`, 429 with Retry-After past chat.postMessage's rate), and a page where a person acts as
// a member of the workspace. A click or a modal's submit reaches hitl-gate's POST /slack/interactions signed as
// Slack signs it (v0, an HMAC-SHA256 with the signing secret over "v0:<timestamp>:<body>"), so the product's code
// and the official client are the same here as with Slack; only the client's slackApiUrl changes.
import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TokenBucket } from './quotas.ts';
import {
  type Block,
  type Conversation,
  type EphemeralMessage,
  type InteractionResult,
  inputValues,
  type OpenView,
  type PostedMessage,
  type SlackUser,
  slackPage,
} from './slack-page.ts';

export type { Block, Conversation, EphemeralMessage, InteractionResult, OpenView, PostedMessage, SlackUser };

export interface LocalSlackOptions {
  /** The bot token the Web API accepts (read when a call comes in: it comes from a local secret). */
  botToken: () => string;
  /** Signs the interactions it sends (Slack's signing secret). */
  signingSecret: () => string;
  /** Where interactions are POSTed: hitl-gate's own POST /slack/interactions on the same port. */
  interactionsUrl: string;
  /** Local mode's clock (simulated time, it may be advanced by hours): signature timestamps and message ts use it. */
  now: () => Date;
  /** The workspace's people, for "acting as" on the page and for user ids the API accepts. */
  users: SlackUser[];
  /**
   * The workspace's channels. Without them, any id Slack could give a channel (C or G, then capitals and digits,
   * as a policy's `slackChannel: C0SUPPORTLEADS`) is one, made by its first message: a policy needs no setup here.
   */
  channels?: { id: string; name: string }[];
  /** Slack's own time, in ms (default the wall clock): trigger ids and response URLs expire on it, whatever local mode's clock says. */
  wallClock?: () => number;
  /** How long Slack waits for hitl-gate's answer to an interaction before it shows it failed (3 seconds, as Slack). */
  answerWithinMs?: number;
  /** Keeps the conversations in this JSON file, so a persisted local mode finds its messages after a restart. */
  file?: string;
  log?: (line: string) => void;
}

/** hitl-gate's answer to an interaction: its HTTP status and body; `problem` says why Slack would show it failed (status 0: no answer, or nothing sent). */
export interface InteractionAnswer {
  status: number;
  body: string;
  problem?: string;
}

/** The workspace and the app, as Slack names them in payloads and answers. */
const TEAM = { id: 'T0LOCAL', domain: 'hitl-gate-local' };
const APP_ID = 'A0HITLGATE';
const BOT_ID = 'B0HITLGATE';
const BOT_USER = 'U0HITLGATEBOT';
/** The deprecated verification token Slack still puts in every payload (apps verify the signature instead). */
const VERIFICATION_TOKEN = 'localverificationtoken0000';

const API_PREFIX = '/_local/slack/api/';
const RESPONSE_PREFIX = '/_local/slack/response/';

/** Slack's limits (docs.slack.dev: chat.postMessage, Block Kit's blocks and views, views.open, response_url). */
const MAX_TEXT_CHARS = 40_000;
const MAX_MESSAGE_BLOCKS = 50;
const MAX_VIEW_BLOCKS = 100;
const TRIGGER_TTL_MS = 3_000;
const RESPONSE_URL_TTL_MS = 30 * 60_000;
const RESPONSE_URL_USES = 5;
/**
 * chat.postMessage: "one message per second per channel", "short bursts >1 allowed" with no number given. A
 * burst of 3 lets a review's message and a reminder or update land together, as they do in Slack, while a loop
 * posting to one channel is refused (429) by its fourth message, as it would soon be in Slack.
 */
const POST_RATE_PER_S = 1;
const POST_BURST = 3;
/** Interactions kept for the page. */
const KEPT_INTERACTIONS = 50;

const CHANNEL_ID = /^[CG][A-Z0-9]{2,}$/;
const METHODS = new Set(['auth.test', 'chat.postMessage', 'chat.update', 'chat.postEphemeral', 'views.open']);

/** A Web API refusal: `{ ok: false, error, ...extra }`, with HTTP 200 as Slack answers them. */
class SlackApiError extends Error {
  readonly extra: Record<string, unknown>;
  constructor(error: string, extra: Record<string, unknown> = {}) {
    super(error);
    this.extra = extra;
  }
}

/** Past chat.postMessage's rate: HTTP 429 with Retry-After (seconds) and `ratelimited`. */
class RateLimited extends Error {
  readonly retryAfter: number;
  constructor(retryAfter: number) {
    super('ratelimited');
    this.retryAfter = retryAfter;
  }
}

/** Slack's answer to malformed arguments: `invalid_arguments`, each problem in response_metadata.messages. */
const invalidArguments = (problems: string[]) =>
  new SlackApiError('invalid_arguments', { response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) } });
const invalidBlocks = (problems: string[]) =>
  new SlackApiError('invalid_blocks', {
    errors: problems,
    response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
  });

type Args = Record<string, unknown>;

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const chars = (s: string) => [...s].length;
/** Slack's generated ids for blocks and actions that have none (short, random, as Slack's). */
const shortId = () => randomBytes(4).toString('base64url').slice(0, 5);

/** A ts as Slack writes them ("1764712345.000100"): seconds, and microseconds, since the epoch. */
function tsOf(ms: number, micros = 0n): string {
  const all = BigInt(ms) * 1000n + micros;
  return `${all / 1_000_000n}.${String(all % 1_000_000n).padStart(6, '0')}`;
}

const notOk = (status: number) => `hitl-gate did not respond: status ${status}`;

/** A string argument (forms carry only strings; JSON may carry numbers). */
function str(args: Args, name: string): string | undefined {
  const v = args[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalidArguments([`must be a string [json-pointer:/${name}]`]);
}

/** A JSON argument: a JSON-encoded string (forms, and the official client, send them so) or, in a JSON body, the value. */
function jsonArg(args: Args, name: string, malformed: () => Error): unknown {
  const v = args[name];
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    throw malformed();
  }
}

/** A text object's problems: plain_text (or mrkdwn, where `mrkdwn` allows it), 1 to `max` characters. */
function checkText(t: unknown, at: string, max: number, mrkdwn: boolean): string[] {
  if (!isObject(t)) return [`must provide an object [json-pointer:${at}]`];
  const types = mrkdwn ? ['plain_text', 'mrkdwn'] : ['plain_text'];
  if (!types.includes(String(t.type))) return [`must be one of: ${types.join(', ')} [json-pointer:${at}/type]`];
  if (typeof t.text !== 'string' || t.text.length === 0)
    return [`must be more than 0 characters [json-pointer:${at}/text]`];
  if (chars(t.text) > max) return [`must be less than ${max + 1} characters [json-pointer:${at}/text]`];
  return [];
}

function checkLength(v: unknown, at: string, max: number): string[] {
  if (v === undefined) return [];
  if (typeof v !== 'string') return [`must be a string [json-pointer:${at}]`];
  return chars(v) > max ? [`must be less than ${max + 1} characters [json-pointer:${at}]`] : [];
}

function checkButton(e: Record<string, unknown>, at: string): string[] {
  return [
    ...checkText(e.text, `${at}/text`, 75, false),
    ...checkLength(e.action_id, `${at}/action_id`, 255),
    ...checkLength(e.value, `${at}/value`, 2000),
    ...checkLength(e.url, `${at}/url`, 3000),
    ...(e.style === undefined || e.style === 'primary' || e.style === 'danger'
      ? []
      : [`must be one of: primary, danger [json-pointer:${at}/style]`]),
  ];
}

function checkElement(e: unknown, at: string): string[] {
  if (!isObject(e)) return [`must provide an object [json-pointer:${at}]`];
  if (typeof e.type !== 'string') return [`missing required field: type [json-pointer:${at}]`];
  return e.type === 'button' ? checkButton(e, at) : [];
}

function checkInput(b: Record<string, unknown>, at: string): string[] {
  const e = b.element;
  const problems = [...checkText(b.label, `${at}/label`, 2000, false)];
  if (b.hint !== undefined) problems.push(...checkText(b.hint, `${at}/hint`, 2000, false));
  if (!isObject(e)) return [...problems, `missing required field: element [json-pointer:${at}]`];
  if (e.type !== 'plain_text_input') return [...problems, ...checkElement(e, `${at}/element`)];
  for (const [name, min, max] of [
    ['min_length', 0, 3000],
    ['max_length', 1, 3000],
  ] as const) {
    const n = e[name];
    if (n !== undefined && !(Number.isInteger(n) && (n as number) >= min && (n as number) <= max))
      problems.push(`must be a whole number from ${min} to ${max} [json-pointer:${at}/element/${name}]`);
  }
  if (e.placeholder !== undefined) problems.push(...checkText(e.placeholder, `${at}/element/placeholder`, 150, false));
  return [...problems, ...checkLength(e.action_id, `${at}/element/action_id`, 255)];
}

const BLOCK_TYPES = new Set([
  'actions',
  'context',
  'context_actions',
  'divider',
  'file',
  'header',
  'image',
  'input',
  'markdown',
  'rich_text',
  'section',
  'table',
  'video',
]);

/** Block Kit's rules for the blocks hitl-gate uses (the rest are taken as they come), as invalid_blocks' messages. */
function checkBlocks(blocks: unknown[], at: string, max: number): string[] {
  if (blocks.length > max) return [`no more than ${max} items allowed [json-pointer:${at}]`];
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [i, block] of blocks.entries()) {
    const p = `${at}/${i}`;
    if (!isObject(block)) {
      problems.push(`must provide an object [json-pointer:${p}]`);
      continue;
    }
    if (typeof block.type !== 'string' || !BLOCK_TYPES.has(block.type)) {
      problems.push(
        typeof block.type !== 'string'
          ? `missing required field: type [json-pointer:${p}]`
          : `unsupported type: ${block.type} [json-pointer:${p}/type]`,
      );
      continue;
    }
    if (block.block_id !== undefined) {
      problems.push(...checkLength(block.block_id, `${p}/block_id`, 255));
      if (ids.has(String(block.block_id))) problems.push(`duplicate block_id [json-pointer:${p}/block_id]`);
      ids.add(String(block.block_id));
    }
    switch (block.type) {
      case 'header':
        problems.push(...checkText(block.text, `${p}/text`, 150, false));
        break;
      case 'section': {
        if (block.text === undefined && block.fields === undefined)
          problems.push(`must provide either text or fields [json-pointer:${p}]`);
        if (block.text !== undefined) problems.push(...checkText(block.text, `${p}/text`, 3000, true));
        if (block.fields !== undefined) {
          const fields = Array.isArray(block.fields) ? block.fields : [];
          if (!Array.isArray(block.fields) || fields.length === 0 || fields.length > 10)
            problems.push(`must provide from 1 to 10 items [json-pointer:${p}/fields]`);
          for (const [j, f] of fields.entries()) problems.push(...checkText(f, `${p}/fields/${j}`, 2000, true));
        }
        if (block.accessory !== undefined) problems.push(...checkElement(block.accessory, `${p}/accessory`));
        break;
      }
      case 'context':
      case 'actions': {
        const most = block.type === 'context' ? 10 : 25;
        const elements = block.elements;
        if (!Array.isArray(elements) || elements.length === 0 || elements.length > most) {
          problems.push(`must provide from 1 to ${most} items [json-pointer:${p}/elements]`);
          break;
        }
        for (const [j, e] of elements.entries())
          problems.push(
            ...(block.type === 'context' && isObject(e) && (e.type === 'mrkdwn' || e.type === 'plain_text')
              ? checkText(e, `${p}/elements/${j}`, 3000, true)
              : checkElement(e, `${p}/elements/${j}`)),
          );
        break;
      }
      case 'input':
        problems.push(...checkInput(block, p));
        break;
    }
  }
  return problems;
}

/** Blocks as Slack keeps them: a block_id for each block, an action_id for each interactive element. */
function withIds(blocks: unknown[]): Block[] {
  const out = structuredClone(blocks) as Block[];
  const ids = new Set(out.map((b) => b.block_id).filter((id) => typeof id === 'string'));
  const element = (e: unknown) => {
    if (
      isObject(e) &&
      e.type !== 'mrkdwn' &&
      e.type !== 'plain_text' &&
      e.type !== 'image' &&
      e.action_id === undefined
    )
      e.action_id = shortId();
  };
  for (const b of out) {
    if (b.block_id === undefined) {
      let id = shortId();
      while (ids.has(id)) id = shortId();
      ids.add(id);
      b.block_id = id;
    }
    if (b.type === 'actions') for (const e of Array.isArray(b.elements) ? b.elements : []) element(e);
    if (b.type === 'section') element(b.accessory);
    if (b.type === 'input') element(b.element);
  }
  return out;
}

/** A view's problems (views.open, and hitl-gate's `update` and `push` answers), as invalid_arguments' messages. */
function checkView(view: unknown): string[] {
  if (!isObject(view)) return ['must provide an object [json-pointer:/view]'];
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('must be one of: modal [json-pointer:/view/type]');
  if (view.title === undefined) problems.push('missing required field: title [json-pointer:/view]');
  else problems.push(...checkText(view.title, '/view/title', 24, false));
  for (const name of ['submit', 'close'] as const)
    if (view[name] !== undefined) problems.push(...checkText(view[name], `/view/${name}`, 24, false));
  problems.push(...checkLength(view.private_metadata, '/view/private_metadata', 3000));
  problems.push(...checkLength(view.callback_id, '/view/callback_id', 255));
  if (!Array.isArray(view.blocks)) return [...problems, 'missing required field: blocks [json-pointer:/view]'];
  problems.push(...checkBlocks(view.blocks, '/view/blocks', MAX_VIEW_BLOCKS));
  if (view.submit === undefined && view.blocks.some((b) => isObject(b) && b.type === 'input'))
    problems.push('must provide a submit property when using input blocks [json-pointer:/view]');
  return problems;
}

/** A member's handle (Slack's `username`): "Mira Okafor" is mira.okafor. */
function handleOf(user: SlackUser): string {
  return (
    user.name
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '.')
      .replace(/^\.+|\.+$/g, '') || user.id.toLowerCase()
  );
}

interface Trigger {
  user: string;
  issued: number;
  used: boolean;
}

interface ResponseUrl {
  user: string;
  channel: string;
  ts: string;
  ephemeral: boolean;
  issued: number;
  uses: number;
}

interface ApiAnswer {
  status?: number;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
}

interface Saved {
  conversations: Conversation[];
  messages: PostedMessage[];
  lastTs: string;
}

function json(res: ServerResponse, value: unknown, status = 200, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

export class LocalSlack {
  readonly #opts: LocalSlackOptions;
  readonly #wall: () => number;
  readonly #answerWithin: number;
  readonly #log: (line: string) => void;
  readonly #conversations = new Map<string, Conversation>();
  readonly #messages: PostedMessage[] = [];
  readonly #ephemerals: EphemeralMessage[] = [];
  readonly #views: OpenView[] = [];
  readonly #interactions: InteractionResult[] = [];
  readonly #triggers = new Map<string, Trigger>();
  readonly #responseUrls = new Map<string, ResponseUrl>();
  readonly #buckets = new Map<string, TokenBucket>();
  /** The last ts given, in microseconds: every ts is later than the one before, even when the clock reads the same. */
  #lastTs = 0n;

  constructor(opts: LocalSlackOptions) {
    this.#opts = opts;
    this.#wall = opts.wallClock ?? Date.now;
    this.#answerWithin = opts.answerWithinMs ?? 3_000;
    this.#log = opts.log ?? (() => undefined);
    for (const c of opts.channels ?? []) this.#conversations.set(c.id, { id: c.id, name: c.name.replace(/^#/, '') });
    if (opts.file) this.#load(opts.file);
  }

  /** Messages posted, in order, with their blocks now (after chat.update). */
  get messages(): readonly PostedMessage[] {
    return this.#messages;
  }
  /** Ephemeral messages, each for its one member. */
  get ephemerals(): readonly EphemeralMessage[] {
    return this.#ephemerals;
  }
  /** Open modals; a member's last is the one on top. */
  get views(): readonly OpenView[] {
    return this.#views;
  }
  /** Interactions sent to hitl-gate (and those Slack kept back), newest first. */
  get interactions(): readonly InteractionResult[] {
    return this.#interactions;
  }
  get conversations(): readonly Conversation[] {
    return [...this.#conversations.values()];
  }

  /** Serves /_local/slack/api/<method>, the page and its state, and the page's POSTs; false when the path is not its own. */
  async handle(req: IncomingMessage, reqUrl: URL, body: Buffer, res: ServerResponse): Promise<boolean> {
    const path = reqUrl.pathname;
    if (path !== '/_local/slack' && path !== '/_local/slack.json' && !path.startsWith('/_local/slack/')) return false;
    if (path.startsWith(API_PREFIX)) {
      const out = this.#api(path.slice(API_PREFIX.length), req, reqUrl, body);
      json(res, out.body, out.status, out.headers);
      return true;
    }
    if (path.startsWith(RESPONSE_PREFIX)) {
      if (req.method !== 'POST') plain(res, 405, 'method_not_allowed', { allow: 'POST' });
      else plain(res, ...this.#respond(path.slice(RESPONSE_PREFIX.length), req, body));
      return true;
    }
    const page = path === '/_local/slack' || path === '/_local/slack/';
    if (page || path === '/_local/slack.json') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        plain(res, 405, 'Method Not Allowed', { allow: 'GET' });
        return true;
      }
      if (page) {
        const html = slackPage(this.#pageState(reqUrl.searchParams.get('as')));
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'content-length': String(Buffer.byteLength(html)),
        });
        res.end(html);
      } else json(res, this.#state());
      return true;
    }
    const action = /^\/_local\/slack\/(click|submit|close)$/.exec(path)?.[1];
    if (action) {
      if (req.method !== 'POST') plain(res, 405, 'Method Not Allowed', { allow: 'POST' });
      else await this.#pageAction(action, body, res);
      return true;
    }
    plain(res, 404, 'Not found');
    return true;
  }

  /** Tests: a member clicks a button of a message (or of an ephemeral message they see), as the page's form does. */
  async click(input: {
    user: string;
    channel: string;
    ts: string;
    actionId: string;
    blockId?: string;
  }): Promise<InteractionAnswer> {
    const user = this.#member(input.user);
    const message = this.#messages.find((m) => m.channel === input.channel && m.ts === input.ts);
    const ephemeral = message
      ? undefined
      : this.#ephemerals.find((m) => m.channel === input.channel && m.ts === input.ts && m.user === user.id);
    const target = message ?? ephemeral;
    if (!target) throw new Error(`${user.name} sees no message ${input.ts} in ${input.channel}`);
    const conversation = this.#conversations.get(target.channel);
    if (conversation?.user && conversation.user !== user.id)
      throw new Error(`${user.name} cannot click in a direct message to ${this.#nameOf(conversation.user)}`);
    const found = findAction(target.blocks, input.actionId, input.blockId);
    if (!found) throw new Error(`message ${input.ts} has no button ${input.actionId}`);
    const { element, blockId } = found;
    const triggerId = this.#issueTrigger(user.id);
    const responseUrl = this.#issueResponseUrl({
      user: user.id,
      channel: target.channel,
      ts: target.ts,
      ephemeral: !!ephemeral,
    });
    const payload = {
      type: 'block_actions',
      user: this.#userRef(user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      container: { type: 'message', message_ts: target.ts, channel_id: target.channel, is_ephemeral: !!ephemeral },
      trigger_id: triggerId,
      team: TEAM,
      enterprise: null,
      is_enterprise_install: false,
      channel: {
        id: target.channel,
        name: conversation?.user ? 'directmessage' : (conversation?.name ?? target.channel),
      },
      // An ephemeral message is not in the channel's history: Slack sends no copy of it.
      ...(message ? { message: this.#messageObject(message) } : {}),
      state: { values: {} },
      response_url: responseUrl,
      actions: [
        {
          type: 'button',
          action_id: element.action_id,
          block_id: blockId,
          text: element.text,
          ...(element.value !== undefined ? { value: element.value } : {}),
          ...(element.style !== undefined ? { style: element.style } : {}),
          ...(element.url !== undefined ? { url: element.url } : {}),
          action_ts: this.#tsAt(this.#opts.now()),
        },
      ],
    };
    const sent = await this.#send(payload);
    // Slack reads nothing from the answer to a click but its status: anything but 200 shows as failed.
    const answer = sent.problem || sent.status === 200 ? sent : { ...sent, problem: notOk(sent.status) };
    this.#record({
      user: user.id,
      type: 'block_actions',
      what: String(element.action_id),
      channel: target.channel,
      ts: target.ts,
      ...answer,
    });
    return answer;
  }

  /**
   * Tests: a member submits their open modal with these values (by block id and action id), as the page's form
   * does. Slack's client checks the inputs first (required, lengths): a modal that fails them is not sent.
   */
  async submitView(input: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, string>>;
  }): Promise<InteractionAnswer> {
    const user = this.#member(input.user);
    const open = this.#topView(user.id);
    if (!open || open.id !== input.viewId) throw new Error(`${user.name} has no modal ${input.viewId} open on top`);
    const values: Record<string, Record<string, { type: string; value: string | null }>> = {};
    const errors: Record<string, string> = {};
    for (const raw of Array.isArray(open.view.blocks) ? open.view.blocks : []) {
      const b = record(raw);
      if (b.type !== 'input') continue;
      const e = record(b.element);
      const blockId = String(b.block_id);
      const actionId = String(e.action_id);
      const typed = input.values[blockId]?.[actionId] ?? '';
      const value = typed === '' ? null : typed;
      values[blockId] = { [actionId]: { type: String(e.type), value } };
      const n = chars(typed);
      if (value === null && b.optional !== true) errors[blockId] = 'Please complete this required field.';
      else if (value !== null && typeof e.min_length === 'number' && n < e.min_length)
        errors[blockId] = `Must have at least ${e.min_length} characters.`;
      else if (typeof e.max_length === 'number' && n > e.max_length)
        errors[blockId] = `Must have no more than ${e.max_length} characters.`;
    }
    open.values = structuredClone(input.values);
    const what = String(open.view.callback_id ?? '');
    if (Object.keys(errors).length) {
      open.errors = errors;
      open.problem = undefined;
      const problem = `Slack kept the modal open and sent nothing: ${Object.values(errors).join(' ')}`;
      this.#record({ user: user.id, type: 'refused', what, status: 0, body: '', problem });
      return { status: 0, body: '', problem };
    }
    const view = { ...open.view, state: { values } };
    const answer = await this.#send({
      type: 'view_submission',
      team: TEAM,
      user: this.#userRef(user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      trigger_id: this.#issueTrigger(user.id),
      view,
      response_urls: [],
      enterprise: null,
      is_enterprise_install: false,
    });
    const problem = answer.problem ?? this.#afterSubmit(open, answer);
    if (problem) {
      // What Slack shows at the top of a modal whose submit failed; the modal stays open as it was.
      open.problem = `We had some trouble connecting. Try again? (${problem})`;
      open.errors = {};
    }
    this.#record({ user: user.id, type: 'view_submission', what, ...answer, ...(problem ? { problem } : {}) });
    return problem ? { ...answer, problem } : answer;
  }

  /** A member closes their top modal (Cancel): nothing is sent unless the view asked for `notify_on_close`. */
  async closeView(input: { user: string; viewId: string }): Promise<InteractionAnswer | undefined> {
    const user = this.#member(input.user);
    const open = this.#topView(user.id);
    if (!open || open.id !== input.viewId) throw new Error(`${user.name} has no modal ${input.viewId} open on top`);
    const all = open.view.clear_on_close === true;
    this.#closeViews(user.id, all);
    if (open.view.notify_on_close !== true) return undefined;
    const answer = await this.#send({
      type: 'view_closed',
      team: TEAM,
      user: this.#userRef(user),
      api_app_id: APP_ID,
      token: VERIFICATION_TOKEN,
      view: open.view,
      is_cleared: all,
      enterprise: null,
      is_enterprise_install: false,
    });
    const problem = answer.problem ?? (answer.status === 200 ? undefined : notOk(answer.status));
    this.#record({
      user: user.id,
      type: 'view_closed',
      what: String(open.view.callback_id ?? ''),
      ...answer,
      ...(problem ? { problem } : {}),
    });
    return answer;
  }

  // --- The Web API ---------------------------------------------------------------------------------------------

  /** A Web API call's answer: Slack's JSON, with HTTP 200 for refusals too (429 only for its rate limits). */
  #api(method: string, req: IncomingMessage, reqUrl: URL, body: Buffer): ApiAnswer {
    if (!METHODS.has(method)) {
      this.#log(`local Slack does not implement ${method}: answered unknown_method`);
      return { body: { ok: false, error: 'unknown_method', req_method: method } };
    }
    try {
      const { args, form } = readArgs(req, reqUrl, body);
      const bearer = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      // A token comes in the Authorization header, or as a form's `token` (never in a JSON body).
      const token = bearer ?? (form ? str(args, 'token') : undefined);
      if (!token) throw new SlackApiError('not_authed');
      if (token !== this.#opts.botToken()) throw new SlackApiError('invalid_auth');
      return { body: { ok: true, ...this.#call(method, args) } };
    } catch (err) {
      if (err instanceof RateLimited)
        return {
          status: 429,
          headers: { 'retry-after': String(err.retryAfter) },
          body: { ok: false, error: 'ratelimited' },
        };
      if (err instanceof SlackApiError) return { body: { ok: false, error: err.message, ...err.extra } };
      this.#log(`local Slack failed on ${method}: ${(err as Error).stack ?? err}`);
      return { body: { ok: false, error: 'internal_error' } };
    }
  }

  #call(method: string, args: Args): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          url: `https://${TEAM.domain}.slack.com/`,
          team: 'hitl-gate local',
          user: 'hitl-gate',
          team_id: TEAM.id,
          user_id: BOT_USER,
          bot_id: BOT_ID,
          is_enterprise_install: false,
        };
      case 'chat.postMessage':
        return this.#postMessage(args);
      case 'chat.update':
        return this.#update(args);
      case 'chat.postEphemeral':
        return this.#postEphemeral(args);
      default:
        return this.#viewsOpen(args);
    }
  }

  #postMessage(args: Args): Record<string, unknown> {
    const conversation = this.#resolve(str(args, 'channel'), { users: true, create: true });
    if (!conversation) throw new SlackApiError('channel_not_found');
    const { text, blocks } = content(args);
    if (text === undefined && blocks === undefined) throw new SlackApiError('no_text');
    let bucket = this.#buckets.get(conversation.id);
    if (!bucket) {
      bucket = new TokenBucket(POST_RATE_PER_S, POST_BURST, () => this.#opts.now().getTime());
      this.#buckets.set(conversation.id, bucket);
    }
    // At one a second, the next message is always less than a second away.
    if (!bucket.take()) throw new RateLimited(Math.ceil(1 / POST_RATE_PER_S));
    this.#conversations.set(conversation.id, conversation);
    const now = this.#opts.now();
    const message: PostedMessage = {
      channel: conversation.id,
      ts: this.#tsAt(now),
      text: text ?? '',
      blocks: blocks ?? [],
      postedAt: now.toISOString(),
    };
    this.#messages.push(message);
    this.#save();
    this.#log(`Slack: posted ${message.ts} to ${conversation.id}`);
    return { channel: message.channel, ts: message.ts, message: this.#messageObject(message) };
  }

  #update(args: Args): Record<string, unknown> {
    // A direct message is updated by its D… id, never by the member's U… id (as chat.update's docs say).
    const conversation = this.#resolve(str(args, 'channel'), { users: false, create: false });
    if (!conversation) throw new SlackApiError('channel_not_found');
    const ts = str(args, 'ts');
    const message = this.#messages.find((m) => m.channel === conversation.id && m.ts === ts);
    if (!message) throw new SlackApiError('message_not_found');
    const { text, blocks } = content(args);
    if (text === undefined && blocks === undefined) throw new SlackApiError('no_text');
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) message.blocks = blocks;
    message.editedAt = this.#opts.now().toISOString();
    this.#save();
    return {
      channel: message.channel,
      ts: message.ts,
      text: message.text,
      message: this.#messageObject(message),
    };
  }

  #postEphemeral(args: Args): Record<string, unknown> {
    const conversation = this.#resolve(str(args, 'channel'), { users: true, create: true });
    if (!conversation) throw new SlackApiError('channel_not_found');
    const user = this.#opts.users.find((u) => u.id === str(args, 'user'));
    // Every member is in every channel here; a direct message has its one member.
    if (!user || (conversation.user && conversation.user !== user.id)) throw new SlackApiError('user_not_in_channel');
    const { text, blocks } = content(args);
    if (text === undefined && blocks === undefined) throw new SlackApiError('no_text');
    this.#conversations.set(conversation.id, conversation);
    const now = this.#opts.now();
    const ts = this.#tsAt(now);
    this.#ephemerals.push({
      channel: conversation.id,
      user: user.id,
      ts,
      text: text ?? '',
      blocks: blocks ?? [],
      postedAt: now.toISOString(),
    });
    return { message_ts: ts };
  }

  #viewsOpen(args: Args): Record<string, unknown> {
    const triggerId = str(args, 'trigger_id');
    const view = jsonArg(args, 'view', () =>
      invalidArguments(['failed to parse the view as JSON [json-pointer:/view]']),
    );
    if (!triggerId && !str(args, 'interactivity_pointer'))
      throw invalidArguments(['missing required field: trigger_id']);
    if (view === undefined) throw invalidArguments(['missing required field: view']);
    const trigger = this.#triggers.get(triggerId ?? '');
    if (!trigger) throw new SlackApiError('invalid_trigger_id');
    if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
    if (this.#wall() - trigger.issued > TRIGGER_TTL_MS) throw new SlackApiError('expired_trigger_id');
    const problems = checkView(view);
    if (problems.length) throw invalidArguments(problems);
    trigger.used = true;
    // A modal opened from a message takes the member's screen: any modal they had open is gone.
    this.#closeViews(trigger.user, true);
    const open = this.#openView(trigger.user, view as Block);
    this.#log(`Slack: opened modal ${open.id} for ${trigger.user}`);
    return { view: open.view };
  }

  // --- Response URLs (what a block_actions payload carries: replace, delete or answer the message) ------------

  /** A response URL's answer, as Slack's: `ok`, or the error as text with a 4xx status. */
  #respond(id: string, req: IncomingMessage, body: Buffer): [number, string] {
    const r = this.#responseUrls.get(id);
    if (!r || r.uses >= RESPONSE_URL_USES || this.#wall() - r.issued > RESPONSE_URL_TTL_MS) return [404, 'expired_url'];
    let args: Args;
    let text: string | undefined;
    let blocks: Block[] | undefined;
    try {
      args = readArgs(req, new URL('http://local/'), body).args;
      if (typeof args.payload === 'string') args = record(JSON.parse(args.payload));
      ({ text, blocks } = content(args));
    } catch (err) {
      return [
        400,
        err instanceof SlackApiError && err.message.startsWith('invalid_blocks') ? 'invalid_blocks' : 'invalid_payload',
      ];
    }
    const list: PostedMessage[] = r.ephemeral ? this.#ephemerals : this.#messages;
    const original = list.findIndex((m) => m.channel === r.channel && m.ts === r.ts);
    const yes = (v: unknown) => v === true || v === 'true';
    if (!yes(args.delete_original) && text === undefined && blocks === undefined) return [400, 'no_text'];
    if ((yes(args.delete_original) || yes(args.replace_original)) && original < 0) return [404, 'message_not_found'];
    r.uses++;
    if (yes(args.delete_original)) list.splice(original, 1);
    else if (yes(args.replace_original)) {
      const m = list[original]!;
      if (text !== undefined) m.text = text;
      m.blocks = blocks ?? [];
      m.editedAt = this.#opts.now().toISOString();
    } else {
      const now = this.#opts.now();
      const m = {
        channel: r.channel,
        ts: this.#tsAt(now),
        text: text ?? '',
        blocks: blocks ?? [],
        postedAt: now.toISOString(),
      };
      if (args.response_type === 'in_channel') this.#messages.push(m);
      else this.#ephemerals.push({ ...m, user: r.user });
    }
    this.#save();
    return [200, 'ok'];
  }

  // --- Interactions ----------------------------------------------------------------------------------------------

  /** POSTs a payload to hitl-gate as Slack does, and waits for its answer as long as Slack waits. */
  async #send(payload: Record<string, unknown>): Promise<InteractionAnswer> {
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = String(Math.floor(this.#opts.now().getTime() / 1000));
    const signature = `v0=${createHmac('sha256', this.#opts.signingSecret()).update(`v0:${timestamp}:${body}`).digest('hex')}`;
    const started = Date.now();
    const request = fetch(this.#opts.interactionsUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': signature,
      },
      body,
      redirect: 'manual',
    }).then(async (r) => ({ status: r.status, body: await r.text() }));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((ok) => {
      timer = setTimeout(() => ok('late'), this.#answerWithin);
    });
    try {
      const first = await Promise.race([request, late]);
      if (first !== 'late') return first;
      // Slack has given up: a later answer is not read, but it is said in the log.
      void request.then(
        (a) =>
          this.#log(
            `hitl-gate answered ${payload.type} with ${a.status} after ${Date.now() - started} ms: too late for Slack`,
          ),
        () => undefined,
      );
      return { status: 0, body: '', problem: `hitl-gate did not respond within ${this.#answerWithin / 1000} seconds` };
    } catch (err) {
      return { status: 0, body: '', problem: `hitl-gate did not respond: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  /** What a view_submission's answer does to the modal (Slack's response_action); a problem if Slack would refuse it. */
  #afterSubmit(open: OpenView, answer: InteractionAnswer): string | undefined {
    if (answer.status !== 200) return notOk(answer.status);
    if (answer.body.trim() === '') {
      this.#closeViews(open.user, false);
      return undefined;
    }
    let out: Record<string, unknown>;
    try {
      out = record(JSON.parse(answer.body));
    } catch {
      return 'hitl-gate answered 200 with a body that is neither empty nor JSON';
    }
    switch (out.response_action) {
      case 'errors': {
        const inputs = new Set(
          (Array.isArray(open.view.blocks) ? open.view.blocks : [])
            .filter((b) => record(b).type === 'input')
            .map((b) => String(record(b).block_id)),
        );
        const errors = record(out.errors);
        const entries = Object.entries(errors);
        const unknown = entries.find(([block, message]) => !inputs.has(block) || typeof message !== 'string');
        if (!entries.length || unknown)
          return `hitl-gate answered errors that are not messages for the modal's inputs${unknown ? ` (${unknown[0]})` : ''}`;
        open.errors = errors as Record<string, string>;
        open.problem = undefined;
        return undefined;
      }
      case 'update':
      case 'push': {
        const problems = checkView(out.view);
        if (problems.length)
          return `hitl-gate answered ${out.response_action} with a view Slack refuses: ${problems.join('; ')}`;
        if (out.response_action === 'push') this.#openView(open.user, out.view as Block, open.id);
        else {
          open.view = { ...this.#viewObject(open.id, out.view as Block, String(open.view.root_view_id ?? open.id)) };
          open.errors = {};
          open.problem = undefined;
        }
        return undefined;
      }
      case 'clear':
        this.#closeViews(open.user, true);
        return undefined;
      default:
        return 'hitl-gate answered JSON without a response_action Slack knows';
    }
  }

  #record(r: Omit<InteractionResult, 'at'>): void {
    const result: InteractionResult = { at: this.#opts.now().toISOString(), ...r, body: r.body.slice(0, 300) };
    this.#interactions.unshift(result);
    this.#interactions.length = Math.min(this.#interactions.length, KEPT_INTERACTIONS);
    this.#log(
      `Slack: ${r.type} ${r.what} by ${r.user}: ${r.status || 'no answer'}${r.problem ? ` (${r.problem})` : ''}`,
    );
  }

  async #pageAction(action: string, body: Buffer, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(body.toString('utf8'));
    const as = form.get('as') ?? '';
    const field = (name: string) => form.get(name) ?? '';
    try {
      if (action === 'click')
        await this.click({
          user: as,
          channel: field('channel'),
          ts: field('ts'),
          actionId: field('action_id'),
          ...(form.get('block_id') ? { blockId: field('block_id') } : {}),
        });
      else if (action === 'submit')
        await this.submitView({ user: as, viewId: field('view_id'), values: inputValues(form) });
      else await this.closeView({ user: as, viewId: field('view_id') });
    } catch (err) {
      // A form from an old page (a message since changed, a modal since closed): said on the page, nothing sent.
      this.#record({ user: as, type: 'refused', what: action, status: 0, body: '', problem: (err as Error).message });
    }
    res.writeHead(303, { location: `/_local/slack?as=${encodeURIComponent(as)}`, 'content-length': '0' });
    res.end();
  }

  // --- State -----------------------------------------------------------------------------------------------------

  #member(id: string): SlackUser {
    const user = this.#opts.users.find((u) => u.id === id);
    if (!user) throw new Error(`no member ${id} in the workspace`);
    return user;
  }

  #nameOf(id: string): string {
    return this.#opts.users.find((u) => u.id === id)?.name ?? id;
  }

  #userRef(user: SlackUser) {
    const handle = handleOf(user);
    return { id: user.id, username: handle, name: handle, team_id: TEAM.id };
  }

  /**
   * The conversation a `channel` argument names: a channel (by id, or by name when the workspace lists them),
   * a direct message by its D… id, or, where `users`, a member's U… id, which is their direct message with the
   * app: D and the rest of their id (U0MIRA's is D0MIRA).
   */
  #resolve(channel: string | undefined, opts: { users: boolean; create: boolean }): Conversation | undefined {
    if (!channel) return undefined;
    const known = this.#conversations.get(channel);
    if (known) return known;
    const dm = (u: SlackUser): Conversation => ({ id: `D${u.id.slice(1)}`, name: 'directmessage', user: u.id });
    const member = this.#opts.users.find((u) => u.id === channel);
    if (member) return opts.users ? (this.#conversations.get(dm(member).id) ?? dm(member)) : undefined;
    const dmOf = this.#opts.users.find((u) => dm(u).id === channel);
    if (dmOf) return dm(dmOf);
    if (this.#opts.channels) {
      const name = channel.replace(/^#/, '');
      return [...this.#conversations.values()].find((c) => !c.user && c.name === name);
    }
    return opts.create && CHANNEL_ID.test(channel) ? { id: channel, name: channel.toLowerCase() } : undefined;
  }

  /** A ts as Slack writes them ("1764712345.000100"): seconds and microseconds on local mode's clock, each later than the last. */
  #tsAt(now: Date): string {
    let micros = BigInt(now.getTime()) * 1000n;
    if (micros <= this.#lastTs) micros = this.#lastTs + 1n;
    this.#lastTs = micros;
    return tsOf(0, micros);
  }

  #messageObject(m: PostedMessage) {
    return {
      user: BOT_USER,
      type: 'message',
      ts: m.ts,
      bot_id: BOT_ID,
      app_id: APP_ID,
      text: m.text,
      team: TEAM.id,
      bot_profile: { id: BOT_ID, app_id: APP_ID, name: 'hitl-gate', deleted: false, team_id: TEAM.id },
      blocks: m.blocks,
      ...(m.editedAt ? { edited: { user: BOT_USER, ts: tsOf(Date.parse(m.editedAt)) } } : {}),
    };
  }

  #issueTrigger(user: string): string {
    // Slack's form: "12345.98765.abcd2358fdea".
    const id = `${Math.floor(this.#opts.now().getTime() / 1000)}.${this.#triggers.size + 1}.${randomBytes(16).toString('hex')}`;
    const wall = this.#wall();
    for (const [key, t] of this.#triggers) if (wall - t.issued > TRIGGER_TTL_MS) this.#triggers.delete(key);
    this.#triggers.set(id, { user, issued: wall, used: false });
    return id;
  }

  #issueResponseUrl(r: Omit<ResponseUrl, 'issued' | 'uses'>): string {
    const id = randomBytes(18).toString('base64url');
    const wall = this.#wall();
    for (const [key, u] of this.#responseUrls)
      if (wall - u.issued > RESPONSE_URL_TTL_MS) this.#responseUrls.delete(key);
    this.#responseUrls.set(id, { ...r, issued: wall, uses: 0 });
    return `${new URL(this.#opts.interactionsUrl).origin}${RESPONSE_PREFIX}${id}`;
  }

  #viewObject(id: string, view: Block, rootId: string, previousId: string | null = null): Block {
    return {
      id,
      team_id: TEAM.id,
      type: 'modal',
      title: view.title,
      ...(view.submit !== undefined ? { submit: view.submit } : {}),
      ...(view.close !== undefined ? { close: view.close } : {}),
      blocks: withIds(view.blocks as unknown[]),
      private_metadata: typeof view.private_metadata === 'string' ? view.private_metadata : '',
      callback_id: typeof view.callback_id === 'string' ? view.callback_id : '',
      state: { values: {} },
      hash: `${Math.floor(this.#opts.now().getTime() / 1000)}.${randomBytes(4).toString('hex')}`,
      clear_on_close: view.clear_on_close === true,
      notify_on_close: view.notify_on_close === true,
      external_id: typeof view.external_id === 'string' ? view.external_id : '',
      previous_view_id: previousId,
      root_view_id: rootId,
      app_id: APP_ID,
      app_installed_team_id: TEAM.id,
      bot_id: BOT_ID,
    };
  }

  #openView(user: string, view: Block, previous?: string): OpenView {
    const id = `V${randomBytes(6).toString('hex').toUpperCase()}`;
    const root = previous ? String(this.#topView(user)?.view.root_view_id ?? previous) : id;
    const open: OpenView = {
      id,
      user,
      view: this.#viewObject(id, view, root, previous ?? null),
      errors: {},
      values: {},
    };
    this.#views.push(open);
    return open;
  }

  #topView(user: string): OpenView | undefined {
    return this.#views.findLast((v) => v.user === user);
  }

  /** Closes a member's top modal, or (`all`) every modal they have open. */
  #closeViews(user: string, all: boolean): void {
    for (let i = this.#views.length - 1; i >= 0; i--) {
      if (this.#views[i]!.user !== user) continue;
      this.#views.splice(i, 1);
      if (!all) return;
    }
  }

  #pageState(as: string | null) {
    const actingAs = this.#opts.users.find((u) => u.id === as) ?? this.#opts.users[0];
    return {
      users: this.#opts.users,
      actingAs,
      conversations: this.conversations,
      messages: this.#messages,
      ephemerals: this.#ephemerals.filter((m) => m.user === actingAs?.id),
      view: actingAs ? this.#topView(actingAs.id) : undefined,
      interactions: this.#interactions,
    };
  }

  #state() {
    return {
      team: TEAM,
      users: this.#opts.users,
      conversations: this.conversations,
      messages: this.#messages,
      ephemerals: this.#ephemerals,
      views: this.#views,
      interactions: this.#interactions,
    };
  }

  #load(file: string): void {
    let saved: Partial<Saved>;
    try {
      saved = JSON.parse(readFileSync(file, 'utf8')) as Partial<Saved>;
    } catch {
      return;
    }
    for (const c of saved.conversations ?? []) this.#conversations.set(c.id, c);
    this.#messages.push(...(saved.messages ?? []));
    if (typeof saved.lastTs === 'string' && /^\d+$/.test(saved.lastTs)) this.#lastTs = BigInt(saved.lastTs);
  }

  /** Ephemeral messages and open modals are not kept: Slack's do not outlive a reload either. */
  #save(): void {
    const file = this.#opts.file;
    if (!file) return;
    const saved: Saved = {
      conversations: this.conversations as Conversation[],
      messages: this.#messages,
      lastTs: String(this.#lastTs),
    };
    writeFileSync(`${file}.tmp`, JSON.stringify(saved));
    renameSync(`${file}.tmp`, file);
  }
}

/** A message's button by action id (and block id, where two blocks have the same action id). */
function findAction(
  blocks: readonly Block[],
  actionId: string,
  blockId?: string,
): { element: Record<string, unknown>; blockId: string } | undefined {
  for (const b of blocks) {
    if (blockId !== undefined && b.block_id !== blockId) continue;
    const elements =
      b.type === 'actions' && Array.isArray(b.elements) ? b.elements : b.type === 'section' ? [b.accessory] : [];
    const element = elements.find((e) => isObject(e) && e.type === 'button' && e.action_id === actionId);
    if (element) return { element: element as Record<string, unknown>, blockId: String(b.block_id) };
  }
  return undefined;
}

/**
 * A call's arguments: a form (as the official client sends them) or a JSON body, over the query string's.
 * `form`: whether a `token` argument counts (Slack takes one in a form, never in JSON).
 */
function readArgs(req: IncomingMessage, reqUrl: URL, body: Buffer): { args: Args; form: boolean } {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  const query = Object.fromEntries(reqUrl.searchParams);
  if (type.startsWith('application/json')) {
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new SlackApiError('invalid_json');
    }
    if (!isObject(value)) throw new SlackApiError('json_not_object');
    return { args: { ...query, ...value }, form: false };
  }
  // Multipart bodies are the client's file uploads, which local Slack does not take.
  if (type.startsWith('multipart/')) throw new SlackApiError('invalid_form_data');
  return { args: { ...query, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) }, form: true };
}

/** A message's text and blocks, checked as chat.postMessage and chat.update check them. */
function content(args: Args): { text: string | undefined; blocks: Block[] | undefined } {
  const text = str(args, 'text');
  if (text !== undefined && chars(text) > MAX_TEXT_CHARS) throw new SlackApiError('msg_too_long');
  const raw = jsonArg(args, 'blocks', () => new SlackApiError('invalid_blocks_format'));
  if (raw === undefined) return { text, blocks: undefined };
  if (!Array.isArray(raw)) throw new SlackApiError('invalid_blocks_format');
  const problems = checkBlocks(raw, '/blocks', MAX_MESSAGE_BLOCKS);
  if (problems.length) throw invalidBlocks(problems);
  return { text, blocks: withIds(raw) };
}
