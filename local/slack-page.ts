// Local Slack's page: the workspace as one of its people sees it (local/slack.ts serves it). Messages are drawn
// from their Block Kit blocks; every text in them is data (an agent wrote part of it), escaped before any
// markup is made of Slack's own mrkdwn. Buttons and the modal are plain forms, so it needs no script.
import { esc } from '../functions/http/html.ts';

/** A member of the workspace, e.g. `{ id: 'U0MIRA', name: 'Mira Okafor' }`. */
export interface SlackUser {
  id: string;
  name: string;
}

/** A Block Kit block or element, as the Web API took it. */
export type Block = Record<string, unknown>;

/** A channel, or a direct message with one member (`user`). */
export interface Conversation {
  id: string;
  name: string;
  user?: string;
}

export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  /** Its blocks now: chat.update and response URLs replace them. */
  blocks: Block[];
  /** Local mode's clock when it was posted, and last changed. */
  postedAt: string;
  editedAt?: string;
}

export interface EphemeralMessage extends PostedMessage {
  /** The one member who sees it. */
  user: string;
}

/** A modal open for a member: the view as Slack holds it (id, hash, blocks with their ids), and what the page shows with it. */
export interface OpenView {
  id: string;
  user: string;
  view: Block;
  /** Errors next to inputs, by block id: hitl-gate's `response_action: errors`, or Slack's own checks. */
  errors: Record<string, string>;
  /** What was typed, by block id and action id, kept while the modal stays open. */
  values: Record<string, Record<string, string>>;
  /** Why the last submit failed (hitl-gate's answer), shown as Slack shows it at the top of the modal. */
  problem?: string;
}

/** One interaction sent to hitl-gate (or kept back), and how it went. */
export interface InteractionResult {
  /** Local mode's clock when it was sent. */
  at: string;
  user: string;
  type: 'block_actions' | 'view_submission' | 'view_closed' | 'refused';
  /** The button's action id, or the modal's callback id. */
  what: string;
  channel?: string;
  ts?: string;
  /** hitl-gate's HTTP status; 0 when it did not answer, or nothing was sent. */
  status: number;
  /** The start of hitl-gate's answer. */
  body: string;
  /** Why Slack shows it failed, if it did. */
  problem?: string;
}

export interface SlackPageState {
  users: readonly SlackUser[];
  actingAs: SlackUser | undefined;
  conversations: readonly Conversation[];
  messages: readonly PostedMessage[];
  /** The acting member's only. */
  ephemerals: readonly EphemeralMessage[];
  /** The acting member's top modal, if one is open. */
  view: OpenView | undefined;
  interactions: readonly InteractionResult[];
}

/** The field a modal's input is posted in: its block id and action id, each URI-encoded, so neither can hold the separator. */
export function inputField(blockId: string, actionId: string): string {
  return `input:${encodeURIComponent(blockId)}:${encodeURIComponent(actionId)}`;
}

/** The inputs a modal's form posted, by block id and action id (inputField's inverse). */
export function inputValues(form: URLSearchParams): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const [name, value] of form) {
    const m = /^input:([^:]*):([^:]*)$/.exec(name);
    if (!m) continue;
    const block = decodeURIComponent(m[1]!);
    out[block] = { ...out[block], [decodeURIComponent(m[2]!)]: value };
  }
  return out;
}

const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/** The few emoji hitl-gate's messages use, and some common ones; any other shortcode shows as written. */
const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  heavy_check_mark: '✔️',
  x: '❌',
  information_source: 'ℹ️',
  rotating_light: '🚨',
  warning: '⚠️',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  lock: '🔒',
  bell: '🔔',
  eyes: '👀',
  no_entry: '⛔',
  tada: '🎉',
};
const emoji = (html: string) => html.replace(/:([a-z0-9_+-]+):/g, (m, name: string) => EMOJI[name] ?? m);

/** Slack's three escapes (`&amp;` `&lt;` `&gt;`) read back into the characters they stand for. */
const unescapeSlack = (s: string) =>
  s.replace(/&(amp|lt|gt);/g, (_m, e: string) => ({ amp: '&', lt: '<', gt: '>' })[e]!);

const SAFE_URL = /^(https?:\/\/|mailto:)/i;

/** A `<…>` token of mrkdwn: a date with its fallback, a mention, a channel, a link with its label. */
function tokenHtml(inner: string, nameOf: (id: string) => string | undefined): string {
  const bar = inner.indexOf('|');
  const target = bar < 0 ? inner : inner.slice(0, bar);
  const label = bar < 0 ? undefined : unescapeSlack(inner.slice(bar + 1));
  if (target.startsWith('!date^')) return `<time>${esc(label ?? target)}</time>`;
  if (target.startsWith('@'))
    return `<span class="mention">@${esc(nameOf(target.slice(1)) ?? label ?? target.slice(1))}</span>`;
  if (target.startsWith('#')) return `<span class="mention">#${esc(label ?? target.slice(1))}</span>`;
  if (target.startsWith('!subteam^')) return `<span class="mention">${esc(label ?? 'a user group')}</span>`;
  if (/^!(here|channel|everyone)$/.test(target)) return `<span class="mention">@${esc(target.slice(1))}</span>`;
  const url = unescapeSlack(target);
  if (SAFE_URL.test(url))
    return `<a href="${esc(url)}" rel="noopener noreferrer" target="_blank">${esc(label ?? url)}</a>`;
  return esc(label ?? url);
}

// Private-use characters stand for the tokens and for the tags formatting makes, so escaping the text cannot
// touch them; any already in the text are dropped first.
const TOKEN_OPEN = '\uE000';
const TOKEN_CLOSE = '\uE001';
const TAG_OPEN = '\uE002';
const TAG_CLOSE = '\uE003';
const TAGS: Record<string, string> = { b: 'strong', i: 'em', s: 'del', c: 'code' };

/** Slack's mrkdwn as HTML: tokens, `*bold*`, `_italic_`, `~strike~`, `` `code` `` and line breaks; the rest is text. */
export function mrkdwnHtml(source: string, nameOf: (id: string) => string | undefined = () => undefined): string {
  const tokens: string[] = [];
  let s = source.replace(/[\uE000-\uE003]/g, '').replace(/<([^<>\n]*)>/g, (_m, inner: string) => {
    tokens.push(tokenHtml(inner, nameOf));
    return `${TOKEN_OPEN}${tokens.length - 1}${TOKEN_CLOSE}`;
  });
  s = unescapeSlack(s);
  const mark = (re: RegExp, tag: string) => {
    s = s.replace(re, (_m, before: string, inner: string) => `${before}${TAG_OPEN}${tag}${inner}${TAG_CLOSE}${tag}`);
  };
  mark(/(^|[^\p{L}\p{N}`])`([^`\n]+)`(?![\p{L}\p{N}])/gu, 'c');
  mark(/(^|[^\p{L}\p{N}*])\*(?=\S)([^*\n]*?\S)\*(?![\p{L}\p{N}*])/gu, 'b');
  mark(/(^|[^\p{L}\p{N}_])_(?=\S)([^_\n]*?\S)_(?![\p{L}\p{N}_])/gu, 'i');
  mark(/(^|[^\p{L}\p{N}~])~(?=\S)([^~\n]*?\S)~(?![\p{L}\p{N}~])/gu, 's');
  return emoji(esc(s))
    .replace(/\uE002([bisc])/g, (_m, t: string) => `<${TAGS[t]}>`)
    .replace(/\uE003([bisc])/g, (_m, t: string) => `</${TAGS[t]}>`)
    .replace(/\uE000(\d+)\uE001/g, (_m, i: string) => tokens[Number(i)] ?? '')
    .replace(/\r?\n/g, '<br>');
}

/** A text object (plain_text or mrkdwn) as HTML. */
function textHtml(t: unknown, nameOf: (id: string) => string | undefined): string {
  const o = record(t);
  if (o.type === 'mrkdwn') return mrkdwnHtml(text(o.text), nameOf);
  const plain = esc(text(o.text)).replace(/\r?\n/g, '<br>');
  return o.emoji === false ? plain : emoji(plain);
}

/** Where a message's buttons post to, and whether the acting member may press them. */
interface Place {
  as: string;
  channel: string;
  ts: string;
  /** Why the buttons are disabled (a direct message to someone else), if they are. */
  disabled?: string;
}

function buttonHtml(element: Block, blockId: string, place: Place): string {
  const label = textHtml(element.text, () => undefined);
  const actionId = text(element.action_id);
  const style = element.style === 'primary' || element.style === 'danger' ? element.style : 'default';
  const url = text(element.url);
  if (url) {
    if (!SAFE_URL.test(url))
      return `<span class="button ${style}" data-action-id="${esc(actionId)}">${label} (link not shown: not http or https)</span>`;
    return `<a class="button ${style}" href="${esc(url)}" rel="noopener noreferrer" target="_blank" data-action-id="${esc(actionId)}">${label}</a>`;
  }
  const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${esc(value)}">`;
  return `<form method="post" action="/_local/slack/click" class="button">${hidden('as', place.as)}${hidden('channel', place.channel)}${hidden('ts', place.ts)}${hidden('block_id', blockId)}${hidden('action_id', actionId)}<button type="submit" class="${style}" data-action-id="${esc(actionId)}" data-block-id="${esc(blockId)}"${place.disabled ? ` disabled title="${esc(place.disabled)}"` : ''}>${label}</button></form>`;
}

function elementHtml(element: unknown, blockId: string, place: Place, nameOf: (id: string) => string | undefined) {
  const e = record(element);
  if (e.type === 'button') return buttonHtml(e, blockId, place);
  if (e.type === 'mrkdwn' || e.type === 'plain_text') return `<span>${textHtml(e, nameOf)}</span>`;
  if (e.type === 'image') return `<span class="image">[image: ${esc(text(e.alt_text))}]</span>`;
  return `<span class="unsupported">(a ${esc(text(e.type))} element, not shown locally)</span>`;
}

/** rich_text's sections, lists and quotes, as their text with line breaks (styles are not drawn). */
function richText(elements: unknown): string {
  return list(elements)
    .map((e) => {
      const o = record(e);
      if (o.type === 'text') return esc(text(o.text)).replace(/\n/g, '<br>');
      if (o.type === 'link') return esc(text(o.text) || text(o.url));
      if (o.type === 'emoji') return emoji(`:${esc(text(o.name))}:`);
      if (o.type === 'user') return `<span class="mention">@${esc(text(o.user_id))}</span>`;
      if ('elements' in o) return `${richText(o.elements)}<br>`;
      return '';
    })
    .join('');
}

export function blockHtml(block: Block, place: Place, nameOf: (id: string) => string | undefined): string {
  const blockId = text(block.block_id);
  const attrs = `data-block-id="${esc(blockId)}"`;
  switch (block.type) {
    case 'header':
      return `<h3 class="header" ${attrs}>${textHtml(block.text, nameOf)}</h3>`;
    case 'section': {
      const fields = list(block.fields);
      const accessory = block.accessory ? elementHtml(block.accessory, blockId, place, nameOf) : '';
      return `<div class="section" ${attrs}>${block.text ? `<p>${textHtml(block.text, nameOf)}</p>` : ''}${
        fields.length ? `<div class="fields">${fields.map((f) => `<p>${textHtml(f, nameOf)}</p>`).join('')}</div>` : ''
      }${accessory ? `<div class="accessory">${accessory}</div>` : ''}</div>`;
    }
    case 'context':
      return `<p class="context" ${attrs}>${list(block.elements)
        .map((e) => elementHtml(e, blockId, place, nameOf))
        .join(' ')}</p>`;
    case 'divider':
      return `<hr ${attrs}>`;
    case 'actions':
      return `<div class="actions" ${attrs}>${list(block.elements)
        .map((e) => elementHtml(e, blockId, place, nameOf))
        .join('')}</div>`;
    case 'image':
      return `<p class="image" ${attrs}>[image: ${esc(text(block.alt_text))}]</p>`;
    case 'markdown':
      return `<div class="section" ${attrs}><p>${esc(text(block.text)).replace(/\n/g, '<br>')}</p></div>`;
    case 'rich_text':
      return `<div class="section" ${attrs}><p>${richText(block.elements)}</p></div>`;
    default:
      return `<p class="unsupported" ${attrs}>(a ${esc(text(block.type))} block, not shown locally)</p>`;
  }
}

/** A message's time: its ts is seconds since the epoch on local mode's clock. */
function tsTime(ts: string): string {
  const ms = Number(ts.split('.')[0]) * 1000;
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('.000Z', 'Z') : ts;
}

function messageHtml(
  m: PostedMessage | EphemeralMessage,
  place: Place,
  failed: InteractionResult | undefined,
  nameOf: (id: string) => string | undefined,
): string {
  const ephemeral = 'user' in m;
  const body = m.blocks.length
    ? m.blocks.map((b) => blockHtml(b, place, nameOf)).join('\n')
    : `<p>${mrkdwnHtml(m.text, nameOf)}</p>`;
  return `<li class="message${ephemeral ? ' ephemeral' : ''}" data-ts="${esc(m.ts)}" data-channel="${esc(m.channel)}">
<p class="meta"><strong>hitl-gate</strong> <span class="app">APP</span> <time datetime="${esc(tsTime(m.ts))}">${esc(tsTime(m.ts))}</time>${
    m.editedAt ? ' <span class="edited">(edited)</span>' : ''
  }${ephemeral ? ' <span class="only-you">Only visible to you</span>' : ''}</p>
${body}${failed ? `\n<p class="failed" role="status">⚠️ ${esc(failed.problem)}</p>` : ''}</li>`;
}

function modalHtml(open: OpenView, as: string, nameOf: (id: string) => string | undefined): string {
  const v = open.view;
  let n = 0;
  const blocks = list(v.blocks)
    .map((raw) => {
      const b = record(raw);
      if (b.type !== 'input')
        return blockHtml(b, { as, channel: '', ts: '', disabled: 'Not in a modal, locally' }, nameOf);
      const blockId = text(b.block_id);
      const e = record(b.element);
      const actionId = text(e.action_id);
      const id = `input-${n++}`;
      const error = open.errors[blockId];
      const hint = b.hint ? `<p class="hint" id="${id}-hint">${textHtml(b.hint, nameOf)}</p>` : '';
      const described = [b.hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
      if (e.type !== 'plain_text_input')
        return `<div class="input" data-block-id="${esc(blockId)}"><p class="label">${textHtml(b.label, nameOf)}</p><p class="unsupported">(a ${esc(text(e.type))} input, not shown locally)</p></div>`;
      const value = open.values[blockId]?.[actionId] ?? text(e.initial_value);
      const attrs = [
        `id="${id}"`,
        `name="${esc(inputField(blockId, actionId))}"`,
        b.optional === true ? '' : 'required',
        typeof e.min_length === 'number' ? `minlength="${e.min_length}"` : '',
        typeof e.max_length === 'number' ? `maxlength="${e.max_length}"` : '',
        e.placeholder ? `placeholder="${esc(text(record(e.placeholder).text))}"` : '',
        described ? `aria-describedby="${described}"` : '',
        error ? 'aria-invalid="true"' : '',
        `data-action-id="${esc(actionId)}"`,
      ]
        .filter(Boolean)
        .join(' ');
      const field =
        e.multiline === true
          ? `<textarea ${attrs}>${esc(value)}</textarea>`
          : `<input type="text" ${attrs} value="${esc(value)}">`;
      return `<div class="input" data-block-id="${esc(blockId)}"><label for="${id}">${textHtml(b.label, nameOf)}${
        b.optional === true ? ' <span class="hint">(optional)</span>' : ''
      }</label>${hint}${field}${error ? `<p class="error" id="${id}-error">${esc(error)}</p>` : ''}</div>`;
    })
    .join('\n');
  const submit = v.submit ? textHtml(v.submit, nameOf) : '';
  const close = v.close ? textHtml(v.close, nameOf) : 'Cancel';
  return `<section class="modal" role="dialog" aria-labelledby="modal-title" data-view-id="${esc(open.id)}">
<h2 id="modal-title">${textHtml(v.title, nameOf)}</h2>${open.problem ? `\n<p class="failed" role="alert">⚠️ ${esc(open.problem)}</p>` : ''}
<form method="post" action="/_local/slack/submit"><input type="hidden" name="as" value="${esc(as)}"><input type="hidden" name="view_id" value="${esc(open.id)}">
${blocks}
<p class="modal-buttons">${submit ? `<button type="submit" class="primary" data-submit>${submit}</button> ` : ''}<button type="submit" formaction="/_local/slack/close" formnovalidate data-close>${close}</button></p>
</form></section>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1d1c1d;background:#f6f7f9}
header{background:#1b1f24;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:baseline}
header a{color:#cde}main{padding:1rem 1.2rem;max-width:60rem}
table{border-collapse:collapse;width:100%;background:#fff}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e3e6ea;vertical-align:top}
th{background:#eef0f3}pre{white-space:pre-wrap;word-break:break-word;margin:0;font:13px ui-monospace,monospace}
.empty{color:#667;padding:1rem;background:#fff}
form.as{display:flex;gap:.5rem;align-items:center;margin:0 0 1rem}
section.conversation{background:#fff;border:1px solid #dde0e4;border-radius:8px;margin:0 0 1rem;padding:.2rem 1rem .6rem}
section.conversation h2{font-size:1.05rem;margin:.6rem 0}
ol.messages{list-style:none;margin:0;padding:0}
li.message{border-top:1px solid #eee;padding:.6rem 0}
li.ephemeral{background:#f4f9ff;border-left:3px solid #1264a3;padding-left:.6rem}
.meta{margin:0 0 .3rem;color:#616061;font-size:.85rem}.app{background:#e8e8e8;border-radius:3px;padding:0 .25rem;font-size:.7rem}
.only-you{color:#1264a3;font-weight:600}.edited{color:#868686}
h3.header{font-size:1.1rem;margin:.2rem 0 .4rem}.section p{margin:.2rem 0}
.fields{display:grid;grid-template-columns:1fr 1fr;gap:.2rem 1rem}
.context{color:#616061;font-size:.85rem;margin:.3rem 0}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}form.button{margin:0;display:inline}
button,a.button{font:inherit;font-weight:700;padding:.35rem .9rem;border-radius:4px;border:1px solid #bbb;background:#fff;color:#1d1c1d;cursor:pointer;text-decoration:none;display:inline-block}
button.primary,a.button.primary{background:#007a5a;border-color:#007a5a;color:#fff}
button.danger,a.button.danger{background:#e01e5a;border-color:#e01e5a;color:#fff}
button:disabled{opacity:.5;cursor:not-allowed}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 .15rem}
code{font:13px ui-monospace,monospace;background:#f1f1f1;border:1px solid #ddd;border-radius:3px;padding:0 .2rem}
.failed{color:#8f1d00;background:#fdeceb;border-radius:4px;padding:.3rem .5rem}
.unsupported,.hint{color:#616061;font-size:.85rem}
section.modal{background:#fff;border:2px solid #1d1c1d;border-radius:8px;padding:.4rem 1rem .8rem;margin:0 0 1.2rem;box-shadow:0 4px 14px rgba(0,0,0,.15)}
.input{margin:.6rem 0}.input label{display:block;font-weight:700}
.input input,.input textarea{width:100%;box-sizing:border-box;font:inherit;padding:.4rem;border:1px solid #888;border-radius:4px}
.input textarea{min-height:5rem}.error{color:#b42318;margin:.2rem 0;font-weight:600}
:focus-visible{outline:3px solid #2563eb;outline-offset:2px}
`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · hitl-gate local</title>
<style>${STYLE}</style></head>
<body><header><strong>hitl-gate · local</strong><nav><a href="/_local/outbox">Outbox</a> · <a href="/_local/slack">Slack</a> · <a href="/_local/events">Events</a> · <a href="/_local/durable-callbacks">Durable callbacks</a></nav></header>
<main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

export function slackPage(state: SlackPageState): string {
  const names = new Map(state.users.map((u) => [u.id, u.name]));
  const nameOf = (id: string) => names.get(id);
  const as = state.actingAs?.id ?? '';
  const picker = state.users.length
    ? `<form class="as" method="get" action="/_local/slack"><label for="as">Acting as</label><select id="as" name="as">${state.users
        .map(
          (u) => `<option value="${esc(u.id)}"${u.id === as ? ' selected' : ''}>${esc(u.name)} (${esc(u.id)})</option>`,
        )
        .join('')}</select><button type="submit">Switch</button></form>`
    : '<p class="empty">The workspace has no people: local mode gives it the directory\'s Slack ids.</p>';
  // The latest interaction of the acting member with each message: if it failed, Slack shows it next to the message.
  const latest = new Map<string, InteractionResult>();
  for (const r of state.interactions)
    if (r.user === as && r.ts && r.channel && !latest.has(`${r.channel} ${r.ts}`))
      latest.set(`${r.channel} ${r.ts}`, r);
  const conversations = state.conversations
    .map((c) => {
      const items = [
        ...state.messages.filter((m) => m.channel === c.id),
        ...state.ephemerals.filter((m) => m.channel === c.id),
      ];
      if (!items.length) return '';
      items.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
      const someoneElses = c.user && c.user !== as;
      const disabled = someoneElses
        ? `Only ${nameOf(c.user!) ?? c.user} sees this conversation in Slack: act as them to use it`
        : undefined;
      const title = c.user ? `Direct message to ${nameOf(c.user) ?? c.user}` : `#${c.name}`;
      return `<section class="conversation" data-channel="${esc(c.id)}"><h2>${esc(title)} <span class="hint">${esc(c.id)}</span></h2>${
        disabled ? `<p class="hint">${esc(disabled)}.</p>` : ''
      }<ol class="messages">${items
        .map((m) => {
          const last = latest.get(`${m.channel} ${m.ts}`);
          return messageHtml(
            m,
            { as, channel: m.channel, ts: m.ts, ...(disabled ? { disabled } : {}) },
            last?.problem ? last : undefined,
            nameOf,
          );
        })
        .join('\n')}</ol></section>`;
    })
    .filter(Boolean)
    .join('\n');
  const results = state.interactions.length
    ? `<table><thead><tr><th scope="col">Time</th><th scope="col">Who</th><th scope="col">Interaction</th><th scope="col">hitl-gate answered</th><th scope="col">Body</th></tr></thead><tbody>${state.interactions
        .map(
          (r) =>
            `<tr><td>${esc(r.at)}</td><td>${esc(nameOf(r.user) ?? r.user)}</td><td>${esc(r.type)} <code>${esc(r.what)}</code></td><td>${
              r.status ? esc(r.status) : '—'
            }${r.problem ? `<br><span class="error">${esc(r.problem)}</span>` : ''}</td><td><pre>${esc(r.body)}</pre></td></tr>`,
        )
        .join('\n')}</tbody></table>`
    : '<p class="empty">No interaction yet.</p>';
  return layout(
    'Slack',
    `${picker}${state.view ? modalHtml(state.view, as, nameOf) : ''}
${conversations || '<p class="empty">Nothing posted yet.</p>'}
<h2>Recent interactions</h2><p class="hint">What each click and submit sent to hitl-gate, newest first.</p>${results}`,
  );
}
