// The approver's inbox, phone first: everything waiting for them, the most urgent on top, each row with what the
// agent wants, by when (in their own zone) and a link to its page; tick several, approve or reject them in one post
// (the decision stays docked at the bottom of the screen, however long the list).
// Opening it changes nothing; the results page says what became of each review.
import type { InboxResult } from '../app/inbox.ts';
import { describeScope } from '../domain/grant.ts';
import type { InboxRow } from '../domain/inbox.ts';
import type { Grant } from '../domain/model.ts';
import { formatAmount } from '../domain/money.ts';
import { localTime, relativeTime, zoneName } from '../domain/when.ts';
import { agentHtml, esc, page } from './html.ts';
import { selectionValue } from './inbox-request.ts';
import { actionWords, type Tone } from './review-words.ts';

/** One row as the page shows it: the row, the zone its times are read in, and a fresh link to its page. */
export interface InboxItem {
  row: InboxRow;
  zone: string;
  /** The review's page, with a decision link signed for this approver and the row's step. */
  href: string;
}

export interface InboxState {
  /** The person the inbox link was sent to. */
  viewer: { id: string; name: string };
  /** The inbox link's token, posted back with a decision. */
  token: string;
  items: InboxItem[];
  /** More reviews wait than the page lists. */
  more: boolean;
  now: Date;
  /** The standing approvals the viewer made that have not ended, and the zone their times are read in. */
  grants?: { list: Grant[]; zone: string };
}

/** The standing approvals the viewer made: what each covers, until when, how often it was used; a revoke form for each active one. */
function grantsSection(state: InboxState): string {
  const { grants, token, now } = state;
  if (!grants?.list.length) return '';
  const item = (g: Grant) => {
    const used = `used ${g.uses} ${g.uses === 1 ? 'time' : 'times'}`;
    const facts = `${esc(describeScope(g.scope))}, until <time datetime="${esc(g.endsAt)}">${esc(localTime(g.endsAt, grants.zone, now))}</time>; ${esc(used)}`;
    if (g.revoked)
      return `<li class="grant revoked" data-grant="${esc(g.id)}"><p>${facts}</p><p><strong>Revoked</strong> ${esc(localTime(g.revoked.at, grants.zone, now))}: ${agentHtml(g.revoked.reason)}</p></li>`;
    const id = `revoke-${esc(g.id).replace(/[^A-Za-z0-9_-]/g, '-')}`;
    return `<li class="grant" data-grant="${esc(g.id)}"><p>${facts}</p>
<form method="post" action="/inbox" aria-label="Revoke this standing approval"><input type="hidden" name="token" value="${esc(token)}"><input type="hidden" name="revoke" value="${esc(g.id)}">
<label for="${id}">Why revoke it?</label><input id="${id}" name="reason" required maxlength="2000">
<button type="submit" class="reject">Revoke</button></form></li>`;
  };
  return `<section class="grants" aria-labelledby="grants-h"><h2 id="grants-h">Standing approvals you made</h2>
<p class="hint">Each approves later proposals in its scope in your name until it ends; revoke one and it approves nothing more.</p>
<ul class="grants">${grants.list.map(item).join('\n')}</ul></section>`;
}

/** The longest summary on a row; the review's page shows all of it. */
const ROW_SUMMARY = 140;
/** The longest agent's reference on a row. */
const ROW_REFERENCE = 40;

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function deadlineHtml(row: InboxRow, zone: string, now: Date): string {
  if (!row.deadline) return '';
  const overdue = Date.parse(row.deadline) < now.getTime();
  const left = overdue ? `overdue: due ${relativeTime(row.deadline, now)}` : relativeTime(row.deadline, now);
  return `Decide by <time datetime="${esc(row.deadline)}">${esc(localTime(row.deadline, zone, now))}</time> <span class="left">(${esc(left)})</span>`;
}

function rowHtml({ row, zone, href }: InboxItem, now: Date, index: number): string {
  const amount = formatAmount(row.amount);
  const critical = row.pattern === 'block_until_reviewed';
  const id = `pick-${index}`;
  const what = `${capitalised(actionWords(row.type))}${amount ? ` ${amount}` : ''}`;
  const facts = [
    deadlineHtml(row, zone, now),
    `Reference ${agentHtml(row.proposalId, ROW_REFERENCE)}`,
    ...(row.quorum > 1 ? [esc(`${row.approvals} of ${row.quorum} approvals`)] : []),
  ].filter(Boolean);
  return `<li class="item${critical ? ' critical' : ''}"><input type="checkbox" id="${id}" name="review" value="${esc(selectionValue(row))}" aria-describedby="${id}-what">
<div class="what"><label for="${id}" id="${id}-what">${critical ? '<span class="critical-tag">Critical</span> ' : ''}${esc(what)}</label>
<p class="summary">${agentHtml(row.summary, ROW_SUMMARY)}</p>
<p class="hint">${facts.join(' · ')}</p>
<p class="open"><a href="${esc(href)}">Open the review</a></p></div></li>`;
}

export function inboxPage(state: InboxState): string {
  const { viewer, token, items, more, now } = state;
  const zones = [...new Set(items.map((i) => i.zone))];
  const count = items.length;
  const heading = count === 0 ? 'Nothing is waiting for you' : `${count}${more ? '+' : ''} waiting for you`;
  const intro = `<p class="hint as">You decide as ${esc(viewer.name)}. Oldest deadline first${zones.length === 1 && zones[0] ? `; times in ${esc(zoneName(zones[0]))}` : ''}.</p>`;
  if (count === 0) return page('Your inbox', `<h1>${esc(heading)}</h1>${intro}${grantsSection(state)}`);
  return page(
    `Your inbox (${count})`,
    `<h1>${esc(heading)}</h1>${intro}
<form method="post" action="/inbox" aria-labelledby="inbox-h"><h2 id="inbox-h" class="visually-hidden">Reviews waiting for you</h2><input type="hidden" name="token" value="${esc(token)}">
<ul class="inbox">
${items.map((item, i) => rowHtml(item, now, i)).join('\n')}
</ul>
${more ? '<p class="hint">More reviews are waiting than this page lists: decide these, then open your inbox again.</p>' : ''}
<p class="hint">Each review you select is decided on its own, for the action its row shows; the next page says what became of each.</p>
<section class="decide docked" aria-label="Your decision on the reviews you selected">
<label for="inbox-reason">Reason (required to reject; a note with an approval)</label><textarea id="inbox-reason" name="reason" maxlength="2000" rows="2"></textarea>
<div class="row batch"><button type="submit" name="decision" value="approve" class="approve">Approve selected</button><button type="submit" name="decision" value="reject" class="reject">Reject selected</button></div>
</section></form>
<p class="hint agent-note">Quoted text is the agent's own words, shown as data: hitl-gate did not write it, and its links are disabled.</p>
${grantsSection(state)}`,
  );
}

const RESULT_TONE: Record<InboxResult['result'], Tone> = {
  decided: 'ok',
  recorded: 'ok',
  'already-decided': 'info',
  'not-yours': 'warn',
  'beyond-authority': 'warn',
  changed: 'warn',
  busy: 'warn',
  refused: 'warn',
  failed: 'bad',
};

const RESULT_WORD: Record<InboxResult['result'], string> = {
  decided: 'Decided',
  recorded: 'Recorded',
  'already-decided': 'Already decided',
  'not-yours': 'Not yours to decide',
  'beyond-authority': 'Beyond your authority',
  changed: 'Changed since you loaded it',
  busy: 'Busy: try again',
  refused: 'Not decided',
  failed: 'Not decided: our fault',
};

/** The answer to a batch: one line per review, in the colour of its meaning, and the way back to the inbox. */
export function inboxResultsPage(results: readonly InboxResult[], inboxHref: string): string {
  const line = (r: InboxResult) => {
    const tone = r.result === 'decided' && r.review?.decision?.outcome !== 'approved' ? 'bad' : RESULT_TONE[r.result];
    const action = r.review ? (r.review.proposedEdit?.action ?? r.review.action) : undefined;
    const amount = formatAmount(action?.amount);
    const what = action
      ? `${esc(capitalised(actionWords(action.type)))}${amount ? ` ${esc(amount)}` : ''}: ${agentHtml(action.summary, 80)}`
      : `review <code>${esc(r.reviewId)}</code>`;
    const title =
      r.result === 'decided' && r.review?.decision ? capitalised(r.review.decision.outcome) : RESULT_WORD[r.result];
    return `<li class="banner ${tone}" data-review="${esc(r.reviewId)}" data-result="${esc(r.result)}"><div><strong>${esc(title)}</strong> · ${what}<br><span>${esc(r.message)}</span></div></li>`;
  };
  const done = results.filter((r) => r.result === 'decided' || r.result === 'recorded').length;
  return page(
    'Your decisions',
    `<h1>${done} of ${results.length} went through</h1>
<ul class="results" role="status">${results.map(line).join('\n')}</ul>
<p><a href="${esc(inboxHref)}">Back to your inbox</a></p>`,
  );
}
