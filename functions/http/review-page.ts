// The decision page, phone first: what the agent wants, by when, what approving will do and the two buttons fit
// the first screen; why, the code, the policy and the history follow. Opening it changes nothing (mail
// scanners open every link); only a person's POST decides.
import type { Grant, Review } from '../domain/review.ts';
import { describeScope, scopeOf } from '../domain/standing.ts';
import { formatAmount } from '../domain/money.ts';
import { actionUnderApproval, valueAt } from '../domain/review.ts';
import { localTime, relativeTime, zoneName } from '../domain/when.ts';
import { agentHtml, agentText, esc, page } from './html.ts';
import {
  actionWords,
  approvingWill,
  nameOf,
  outcomeBanner,
  partsHtml,
  quorumProgress,
  emailedText,
  stillWaitingFor,
  type Tone,
  whyText,
} from './review-words.ts';

/** A banner's message: one at most on a page. */
export interface Notice {
  tone: Tone;
  message: string;
}

/** What the link's holder just did (Post/Redirect/Get), by the `done` the decision's redirect names. */
export type Done = 'approved' | 'rejected' | 'recorded' | 'already' | 'used';

export interface PageState {
  review: Review;
  /** The link's token, posted back with a decision; absent for a read-only view. */
  token?: string;
  /** The person the link was sent to. */
  viewer?: { id: string; name: string };
  /** Why this viewer cannot decide now, if so (decided, moved on, already approved). */
  blocked?: Notice;
  /** What the viewer just did, after a decision or a refused one. */
  done?: Done;
  /** The standing approvals made on this review that have not ended. */
  grants?: Grant[];
  /** The IANA zone the viewer reads times in, and the time now (for "in 3 h 12 min"). */
  zone: string;
  now: Date;
}

/** The longest summary in the first screen; the details hold all of it. */
const HEADLINE_SUMMARY = 160;
/** The longest agent's reference in the first screen (a proposalId may have 256 characters; the details show all). */
const REFERENCE_MAX = 64;
/** The longest code block shown; the page's JSON view has all of it. */
const CODE_MAX = 20_000;
/** Payload fields that hold SQL, shown as SQL rather than JSON. */
const SQL_FIELD = /^(sql|ddl|statements?|migration|query|up|down|rollback)$/i;

const STATUS_TEXT: Record<Review['status'], string> = {
  PENDING: 'Waiting for a decision',
  APPROVED: 'Approved; the agent is being told',
  REJECTED: 'Rejected; the agent is being told',
  EXPIRED: 'Expired; the agent is being told',
  CANCELLED: 'Cancelled',
  COMPLETED: 'Decided; the agent has been told',
};

/**
 * Code an agent wrote, made safe to read: escaped (never markup), line breaks kept, invisible and bidi-override
 * characters dropped so the text reads as it runs (no "Trojan Source"), other controls shown as spaces.
 */
export function codeText(s: string): string {
  const clean = s
    .replace(/\r\n?/g, '\n')
    .replace(/\p{Cf}/gu, '')
    .replace(/[^\S\n]/gu, (c) => (c === '\t' ? '  ' : ' '))
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]/gu, (c) => (c === '\n' ? c : ' '));
  return clean.length > CODE_MAX
    ? `${clean.slice(0, CODE_MAX)}\n… (${clean.length - CODE_MAX} more characters; the JSON view has all of it)`
    : clean;
}

function codeBlock(label: string, text: string, kind: 'sql' | 'json' | 'text'): string {
  const id = `code-${label.toLowerCase().replace(/\W+/g, '-')}`;
  return `<figure class="code ${kind}" aria-labelledby="${id}"><figcaption id="${id}">${esc(label)} <span class="hint">written by the agent</span></figcaption><pre><code>${esc(codeText(text))}</code></pre></figure>`;
}

/** The action's payload as readable code: SQL fields as SQL, an email's body as text, the rest as pretty JSON. */
function payloadBlocks(action: Review['action']): string {
  const payload = action.payload;
  if (!payload || typeof payload !== 'object') return '';
  const rest: Record<string, unknown> = {};
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string' && SQL_FIELD.test(key))
      blocks.push(codeBlock(key === 'sql' ? 'SQL' : `SQL (${key})`, value, 'sql'));
    else if (typeof value === 'string' && key === 'body' && action.type === 'customer_email')
      blocks.push(codeBlock('Email body', value, 'text'));
    else rest[key] = value;
  }
  if (Object.keys(rest).length)
    blocks.push(codeBlock(blocks.length ? 'Other details' : 'Details', JSON.stringify(rest, null, 2), 'json'));
  return blocks.join('');
}

/** A field's name for people: `amount.value` is "Amount (USD)", `payload.due_date` is "Payload due date". */
function fieldLabel(action: Review['action'], path: string): string {
  if (path === 'amount.value' && action.amount) return `Amount (${action.amount.currency})`;
  const words = path.replace(/[._]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function editField(action: Review['action'], path: string): string {
  const value = valueAt(action, path);
  const id = `edit-${path.replace(/\W/g, '-')}`;
  const label = `<label for="${id}">${esc(fieldLabel(action, path))}</label>`;
  if (typeof value === 'number')
    return `${label}<input type="number" id="${id}" name="edit.${esc(path)}" value="${esc(value)}" step="0.01" min="0" inputmode="decimal">`;
  if (typeof value === 'string' && value.length <= 120 && !value.includes('\n'))
    return `${label}<input type="text" id="${id}" name="edit.${esc(path)}" value="${esc(value)}">`;
  const text = typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value, null, 2);
  const hint = typeof value === 'string' || value === undefined ? '' : `<p class="hint" id="${id}-hint">JSON</p>`;
  return `${label}<textarea id="${id}" name="edit.${esc(path)}"${hint ? ` aria-describedby="${id}-hint" data-json="1"` : ''}>${esc(text)}</textarea>${hint}`;
}

const DONE_TEXT: Record<'already' | 'used', string> = {
  already: 'This review was already decided; nothing was changed.',
  used: 'You already used this link; nothing was changed.',
};

/** The one banner a page shows: how it ended, else what the viewer just did, else why they cannot decide. */
function banner(state: PageState): string {
  const { review: r, done, blocked, zone, now } = state;
  const outcome = outcomeBanner(r, zone, now);
  let tone: Tone;
  let title: string;
  let detail: string;
  if (outcome) {
    tone = outcome.tone;
    title = outcome.title;
    detail = `${done === 'already' || done === 'used' ? `${DONE_TEXT[done]} ` : ''}${outcome.detail}`;
  } else if (done === 'recorded') {
    tone = 'ok';
    title = 'Thank you: your approval is recorded.';
    detail = quorumProgress(r) ?? 'More approvals are needed before the action can run.';
  } else if (blocked) {
    tone = blocked.tone;
    title = blocked.message;
    detail = done === 'used' || done === 'already' ? 'Nothing was changed.' : '';
  } else if (done === 'used' || done === 'already') {
    tone = 'info';
    title = DONE_TEXT[done];
    detail = '';
  } else return '';
  const icon = { ok: '✓', bad: '✕', warn: '!', info: 'i' }[tone];
  return `<div class="banner ${tone}" role="status"><span class="icon" aria-hidden="true">${icon}</span><div><strong>${esc(title)}</strong>${detail ? ` <span>${esc(detail)}</span>` : ''}</div></div>`;
}

function decisionForms(state: PageState, target: string): string {
  const { review: r, token } = state;
  const hidden = `<input type="hidden" name="token" value="${esc(token)}">`;
  const action = actionUnderApproval(r).action;
  const amount = formatAmount(action.amount);
  const editLink = r.editable.length
    ? `<p class="edit-link"><a href="#edit-h">Change ${esc(
        r.editable
          .map((p) =>
            fieldLabel(action, p)
              .replace(/ \(.*\)$/, '')
              .toLowerCase(),
          )
          .join(' or '),
      )}, then approve</a></p>`
    : '';
  return `<section class="decide" aria-label="Your decision">${state.viewer ? `<p class="hint as">You decide as ${esc(state.viewer.name)}.</p>` : ''}
<form method="post" action="${target}" id="approve-form" aria-labelledby="approve-h"><h2 id="approve-h" class="visually-hidden">Approve</h2>${hidden}
<label for="approve-reason">Note (optional)</label><div class="row"><input type="text" id="approve-reason" name="reason" maxlength="2000">
<button type="submit" name="decision" value="approve" class="approve" aria-describedby="approve-what">Approve</button></div>
<span id="approve-what" class="visually-hidden">${esc(`${actionWords(action.type)}${amount ? ` of ${amount}` : ''}`)}</span></form>
<form method="post" action="${target}" aria-labelledby="reject-h"><h2 id="reject-h" class="visually-hidden">Reject</h2>${hidden}
<label for="reject-reason">Reason for rejecting (required)</label><div class="row"><textarea id="reject-reason" name="reason" required maxlength="2000" rows="2"></textarea>
<button type="submit" name="decision" value="reject" class="reject">Reject</button></div></form>
${standingField(state)}${editLink}</section>`;
}

/**
 * Where the rule allows it and the viewer may grant one: approve this one and the same scope for a while. Below both
 * buttons (they stay in a phone's first screen), its fields belong to the approve form; the edit form has its own,
 * whose scope is the action as edited.
 */
function standingField(state: PageState, form: 'approve' | 'edit' = 'approve'): string {
  const { review: r, viewer } = state;
  if (!r.standing || !viewer || !r.standing.grantors.includes(viewer.id) || Math.max(1, r.quorum) > 1) return '';
  const { action } = actionUnderApproval(r);
  const scope = scopeOf(action, r.agentId, r.standing.scope);
  const max = r.standing.maxDuration.text;
  const id = form === 'approve' ? 'standing' : 'edit-standing';
  // The approve form's fields sit outside it (form="approve-form"); the edit form's are inside their form.
  const owner = form === 'approve' ? ' form="approve-form"' : '';
  const like =
    form === 'approve'
      ? `like this one (${esc(agentText(describeScope(scope), 160))})`
      : `like the edited one (${esc(agentText(describeScope(scope, yoursToSet(r)), 200))})`;
  return `<div class="standing"><input type="checkbox" id="${id}" name="standing" value="on"${owner}>
<label for="${id}">Also approve later proposals ${like} for</label>
<label for="${id}-duration" class="visually-hidden">How long later proposals like this one are approved</label><input type="text" id="${id}-duration"${owner} name="standingDuration" value="${esc(max)}" size="6" maxlength="20" aria-describedby="${id}-hint">
<span id="${id}-hint" class="hint">at most ${esc(max)}; each one is recorded, never your own proposals</span></div>
`;
}

/** The scope's fields the approver may still change in the edit form, in words. */
function yoursToSet(r: Review): { target?: string; amount?: string } {
  return {
    ...(r.editable.includes('target') ? { target: 'the target you set' } : {}),
    ...(r.editable.includes('amount.value') ? { amount: 'at most the amount you set' } : {}),
  };
}

/** The standing approvals made on this review, while they last. */
function grantsList(state: PageState): string {
  const { grants, zone } = state;
  if (!grants?.length) return '';
  const item = (g: Grant) =>
    `<li><code>${esc(g.id)}</code> by ${esc(nameOf(state.review, g.grantedBy))}: ${esc(describeScope(g.scope))}, until ${esc(localTime(g.endsAt, zone, state.now))}; used ${esc(g.uses)} ${g.uses === 1 ? 'time' : 'times'}${g.revoked ? `; <strong>revoked</strong> (${esc(g.revoked.reason)})` : ''}</li>`;
  return `<section class="grants" aria-labelledby="grants-h"><h2 id="grants-h">Standing approvals from this review</h2><ul>${grants.map(item).join('')}</ul></section>
`;
}

function editForm(state: PageState, target: string): string {
  const { review: r, token } = state;
  if (!r.editable.length) return '';
  const action = actionUnderApproval(r).action;
  return `<form method="post" action="${target}" aria-labelledby="edit-h" class="edit"><h2 id="edit-h">Edit and approve</h2><input type="hidden" name="token" value="${esc(token)}">
<p class="hint">Change what you may change; the edited action is checked against the policy again and must stay within your authority.</p>
${r.editable.map((p) => editField(action, p)).join('\n')}
<label for="edit-reason">Note (optional)</label><input type="text" id="edit-reason" name="reason" maxlength="2000">
${standingField(state, 'edit')}<input type="hidden" name="decision" value="approve"><button type="submit" class="approve">Approve with these changes</button></form>`;
}

function historyTable(state: PageState): string {
  const { review: r, zone, now } = state;
  const who = (h: Review['history'][number]) =>
    h.by.kind === 'person'
      ? esc(nameOf(r, h.by.id))
      : h.by.kind === 'policy'
        ? 'risk policy'
        : h.by.id === r.agentId
          ? agentHtml(h.by.id)
          : esc(h.by.id);
  return `<h2>History <span class="hint">(${esc(zoneName(zone))})</span></h2><table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Note</th></tr></thead><tbody>
${r.history.map((h) => `<tr><td><time datetime="${esc(h.at)}">${esc(localTime(h.at, zone, now, { weekday: false }).replace(` ${zoneName(zone)}`, ''))}</time></td><td>${esc(h.what.replace(/_/g, ' '))}</td><td>${who(h)}</td><td>${esc(h.note ?? '')}</td></tr>`).join('\n')}
</tbody></table>`;
}

export function reviewPage(state: PageState): string {
  const { review: r, token, blocked, zone, now } = state;
  const { action, actionHash } = actionUnderApproval(r);
  const decided = r.decision;
  const shown = decided?.action ?? action;
  const amount = formatAmount(shown.amount);
  const kind = actionWords(shown.type);
  const critical = r.pattern === 'block_until_reviewed';
  const target = `/reviews/${encodeURIComponent(r.id)}/decision`;
  const canDecide = Boolean(token) && !blocked && r.status === 'PENDING';
  const summary = agentText(shown.summary);
  const longSummary = summary.length > HEADLINE_SUMMARY;
  const quorum = quorumProgress(r);

  const key: [string, string][] = [
    ['Reference', agentHtml(r.proposalId, REFERENCE_MAX)],
    ...(r.status === 'PENDING' && r.deadline
      ? [
          [
            'Decide by',
            `<time datetime="${esc(r.deadline)}">${esc(localTime(r.deadline, zone, now))}</time> <span class="left">(${esc(Date.parse(r.deadline) < now.getTime() ? `overdue: due ${relativeTime(r.deadline, now)}` : relativeTime(r.deadline, now))})</span>`,
          ] as [string, string],
        ]
      : []),
    ...(!decided
      ? [['If you approve', partsHtml(approvingWill(shown))] as [string, string]]
      : decided.outcome === 'approved'
        ? [['Approved to run', partsHtml(approvingWill(shown))] as [string, string]]
        : []),
    ...(quorum ? [['Approvals', esc(quorum)] as [string, string]] : []),
  ];
  const waiting = stillWaitingFor(r);
  const emailed = r.status === 'PENDING' ? emailedText(r, zone, now) : undefined;
  const details: [string, string][] = [
    ['Why a person decides', esc(whyText(r))],
    ...(longSummary ? [['Full summary', agentHtml(shown.summary)] as [string, string]] : []),
    ...(r.proposalId.length > REFERENCE_MAX ? [['Full reference', agentHtml(r.proposalId)] as [string, string]] : []),
    ...(shown.target ? [['Target', agentHtml(shown.target)] as [string, string]] : []),
    ['Requested by', `${agentHtml(r.requestedBy)} through the agent ${agentHtml(r.agentId)}`],
    ['Status', esc(STATUS_TEXT[r.status])],
    ...(r.status === 'PENDING' && waiting ? [['Waiting for', esc(waiting)] as [string, string]] : []),
    ...(emailed ? [['Emails', esc(emailed)] as [string, string]] : []),
    ['Risk', `${esc(r.tier)} risk, ${esc(r.pattern.replace(/_/g, ' '))}`],
    ['Policy', `rule <code>${esc(r.rule)}</code>, version ${esc(r.policyVersion)}`],
    [
      'Action hash',
      `<code title="${esc(decided?.actionHash ?? actionHash)}">${esc((decided?.actionHash ?? actionHash).slice(0, 16))}…</code>`,
    ],
  ];
  const dl = (rows: [string, string][], cls: string) =>
    `<dl class="${cls}">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;

  return page(
    `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${amount ? ` ${amount}` : ''}: ${agentText(shown.summary, 120)}`,
    `${banner(state)}<section class="ask${critical ? ' critical' : ''}" aria-labelledby="ask-h">
${critical ? `<p class="critical-label"><strong>Critical</strong> · blocked until ${esc(r.quorum)} people approve</p>` : ''}<h1 id="ask-h"><span class="kind">${esc(kind.charAt(0).toUpperCase() + kind.slice(1))}</span>${amount ? ` <span class="amount">${esc(amount)}</span>` : ''}</h1>
<p class="summary">${agentHtml(longSummary ? `${summary.slice(0, HEADLINE_SUMMARY - 1)}…` : shown.summary)}</p>
${dl(key, 'key')}</section>
${canDecide ? decisionForms(state, target) : ''}
${grantsList(state)}${payloadBlocks(shown)}
<h2>Details</h2>
<p class="hint agent-note">Quoted text is the agent's own words, shown as data: hitl-gate did not write it, and its links are disabled.</p>
${dl(details, 'facts')}
${canDecide ? editForm(state, target) : ''}
${historyTable(state)}`,
  );
}

export function messagePage(
  title: string,
  message: string,
  tone: 'info' | 'warn' | 'bad' = 'bad',
  link?: { href: string; text: string },
): string {
  const next = link ? `<p><a href="${esc(link.href)}">${esc(link.text)}</a></p>` : '';
  return page(title, `<h1>${esc(title)}</h1><div class="banner ${tone}" role="alert">${esc(message)}</div>${next}`);
}
