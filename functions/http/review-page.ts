// The decision page: what the agent wants to do, why it needs a person, and the three decisions.
// It changes nothing by being opened (mail scanners open every link); only a person's POST decides.
import type { Review } from '../domain/review.ts';
import { formatMoney, toMinorUnits } from '../domain/money.ts';
import { agentHtml, agentText, esc, page } from './html.ts';
import { valueAt } from '../domain/review.ts';

export interface PageState {
  review: Review;
  /** The link's token, posted back with a decision; absent for a read-only view. */
  token?: string;
  /** The person the link was sent to. */
  viewer?: { id: string; name: string };
  /** Why this viewer cannot decide now, if so (decided, moved on, already approved). */
  blocked?: { tone: 'ok' | 'info' | 'warn' | 'bad'; message: string };
  /** A message after a decision or a refused one (Post/Redirect/Get). */
  notice?: { tone: 'ok' | 'info' | 'warn' | 'bad'; message: string };
}

function money(amount: Review['action']['amount']): string | undefined {
  if (!amount) return undefined;
  const cents = toMinorUnits(amount.value);
  return cents === undefined ? `${amount.currency} ${amount.value}` : formatMoney(cents, amount.currency);
}

const STATUS_TEXT: Record<Review['status'], string> = {
  PENDING: 'Waiting for a decision',
  APPROVED: 'Approved',
  REJECTED: 'Rejected',
  EXPIRED: 'Expired',
  CANCELLED: 'Cancelled',
  COMPLETED: 'Completed',
};

/** A time as people read it (UTC, to the second); the exact instant stays in <time datetime>. */
function when(iso: string): string {
  const t = new Date(iso);
  return Number.isNaN(t.getTime()) ? iso : `${t.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
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

export function reviewPage(state: PageState): string {
  const { review: r, token, viewer, blocked, notice } = state;
  const action = r.proposedEdit?.action ?? r.action;
  const amount = money(action.amount);
  const step = r.route[r.step];
  const decided = r.decision;
  const facts: [string, string][] = [
    ['Action', `<code>${esc(action.type)}</code>`],
    ['Summary', agentHtml(action.summary)],
    ...(amount ? [['Amount', esc(amount)] as [string, string]] : []),
    ...(action.target ? [['Target', agentHtml(action.target)] as [string, string]] : []),
    ...(action.payload
      ? [['Details', `<pre>${esc(JSON.stringify(action.payload, null, 2))}</pre>`] as [string, string]]
      : []),
    ['Requested by', `${agentHtml(r.requestedBy)} (agent ${agentHtml(r.agentId)})`],
    ['Risk tier', `<strong>${esc(r.tier)}</strong> (${esc(r.pattern.replace(/_/g, ' '))})`],
    ['Why', esc(r.reason)],
    [
      'Status',
      esc(
        r.status === 'COMPLETED' && decided
          ? `${STATUS_TEXT[statusOf(decided.outcome)]}; the agent has been told`
          : STATUS_TEXT[r.status],
      ),
    ],
    ...(r.status === 'PENDING' && r.deadline
      ? [
          ['Decide by', `<time datetime="${esc(r.deadline)}">${esc(new Date(r.deadline).toUTCString())}</time>`] as [
            string,
            string,
          ],
        ]
      : []),
    ...(r.status === 'PENDING' && step
      ? [
          [
            'Waiting for',
            esc(step.approvers.map((a) => a.name).join(', ')) + (r.quorum > 1 ? ` (${r.quorum} approvals needed)` : ''),
          ] as [string, string],
        ]
      : []),
    ['Policy', `rule <code>${esc(r.rule)}</code>, version ${esc(r.policyVersion)}`],
    ['Action hash', `<code>${esc((r.proposedEdit?.actionHash ?? r.actionHash).slice(0, 16))}…</code>`],
  ];

  const banners = [notice, blocked]
    .filter((b): b is NonNullable<PageState['notice']> => Boolean(b))
    .map((b) => `<div class="banner ${b.tone}" role="status">${esc(b.message)}</div>`)
    .join('');
  const outcome = decided
    ? `<div class="banner ${decided.outcome === 'approved' ? 'ok' : 'bad'}" role="status"><strong>${esc(STATUS_TEXT[r.status === 'COMPLETED' ? statusOf(decided.outcome) : r.status])}</strong> by ${esc(decided.by.map((b) => b.id).join(', '))} at <time datetime="${esc(decided.at)}">${esc(when(decided.at))}</time>${decided.reason ? `: ${esc(decided.reason)}` : ''}${decided.edited ? ' (with edits)' : ''}</div>`
    : '';

  const hidden = token ? `<input type="hidden" name="token" value="${esc(token)}">` : '';
  const target = `/reviews/${encodeURIComponent(r.id)}/decision`;
  const forms =
    token && !blocked && r.status === 'PENDING'
      ? `<h2>Your decision${viewer ? `, ${esc(viewer.name)}` : ''}</h2>
<form method="post" action="${target}" aria-labelledby="approve-h"><h3 id="approve-h">Approve</h3>${hidden}
<label for="approve-reason">Note (optional)</label><input type="text" id="approve-reason" name="reason" maxlength="2000">
<button type="submit" name="decision" value="approve" class="approve">Approve</button></form>
${
  r.editable.length
    ? `<form method="post" action="${target}" aria-labelledby="edit-h"><h3 id="edit-h">Edit and approve</h3>${hidden}
<p class="hint">Change what you may change; the edited action is checked against the policy again and must stay within your authority.</p>
${r.editable.map((p) => editField(action, p)).join('\n')}
<label for="edit-reason">Note (optional)</label><input type="text" id="edit-reason" name="reason" maxlength="2000">
<input type="hidden" name="decision" value="approve"><button type="submit" class="approve">Approve with these changes</button></form>`
    : ''
}
<form method="post" action="${target}" aria-labelledby="reject-h"><h3 id="reject-h">Reject</h3>${hidden}
<label for="reject-reason">Reason (required)</label><textarea id="reject-reason" name="reason" required maxlength="2000"></textarea>
<button type="submit" name="decision" value="reject" class="reject">Reject</button></form>`
      : '';

  const history = `<h2>History</h2><table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Who</th><th scope="col">Note</th></tr></thead><tbody>
${r.history.map((h) => `<tr><td><time datetime="${esc(h.at)}">${esc(when(h.at))}</time></td><td>${esc(h.what.replace(/_/g, ' '))}</td><td>${esc(h.by.id)}</td><td>${esc(h.note ?? '')}</td></tr>`).join('\n')}
</tbody></table>`;

  return page(
    `Review: ${agentText(action.summary, 120)}`,
    `${banners}${outcome}<h1>Review of a proposed ${esc(action.type.replace(/_/g, ' '))}</h1>
<p class="agent-note">Quoted text is the agent's own words, shown as data: hitl-gate did not write it, and its links are disabled.</p>
<dl>${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>${forms}${history}`,
  );
}

function statusOf(outcome: NonNullable<Review['decision']>['outcome']): Review['status'] {
  return ({ approved: 'APPROVED', rejected: 'REJECTED', expired: 'EXPIRED', cancelled: 'CANCELLED' } as const)[outcome];
}

export function messagePage(title: string, message: string, tone: 'info' | 'warn' | 'bad' = 'bad'): string {
  return page(title, `<h1>${esc(title)}</h1><div class="banner ${tone}" role="alert">${esc(message)}</div>`);
}
