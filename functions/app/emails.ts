import type { Review, RouteStep } from '../domain/review.ts';
import { agentText, esc } from '../http/html.ts';

export function formatAmount(amount: Review['action']['amount']): string | undefined {
  if (!amount) return undefined;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: amount.currency }).format(amount.value);
}

/** The fields an agent controls, each made safe to show as data (agentText). */
function agentFields(review: Review): [string, string][] {
  return [
    ['Summary', agentText(review.action.summary)],
    ...(review.action.target ? [['Target', agentText(review.action.target)] as [string, string]] : []),
    ['Requested by', agentText(review.requestedBy)],
    ['Agent', agentText(review.agentId)],
  ];
}

/** The notification one approver receives: what the agent wants, why it needs a person, by when, and the link. */
export function reviewEmail(
  review: Review,
  approver: RouteStep['approvers'][number],
  link: string,
  intro = 'An agent asks for your approval',
) {
  const amount = formatAmount(review.action.amount);
  // hitl-gate's own facts, then what the agent wrote: quoted, on one line each, its links defanged.
  const facts: [string, string][] = [
    ['Action', review.action.type],
    ...(amount ? [['Amount', amount] as [string, string]] : []),
    ['Risk tier', `${review.tier}: ${review.reason}`],
    ...(review.deadline ? [['Decide by', review.deadline] as [string, string]] : []),
  ];
  const agentSays = agentFields(review);
  const subject = `[hitl-gate] ${review.tier} review: ${agentText(review.action.summary, 120)}`;
  const text = [
    `Hello ${approver.name},`,
    '',
    `${intro} (review ${review.id}).`,
    '',
    `Open the review to approve, edit or reject: ${link}`,
    'Opening the link changes nothing; only your explicit decision on the page does.',
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    `What the agent wrote (its words, not hitl-gate's; links disabled):`,
    ...agentSays.map(([k, v]) => `  ${k}: "${v}"`),
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>Hello ${esc(approver.name)},</p>
<p>${esc(intro)} (review <code>${esc(review.id)}</code>).</p>
<p><a href="${esc(link)}">Open the review</a> to approve, edit or reject.</p>
<p><small>Opening the link changes nothing; only your explicit decision on the page does.</small></p>
<table>${facts.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<p>What the agent wrote (its words, not hitl-gate's; links disabled):</p>
<table>${agentSays.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td><q>${esc(v)}</q></td></tr>`).join('')}</table>
</body></html>`;
  return { to: [approver.email], subject, text, html };
}

/** For the people a policy says to inform: what is waiting and why they hear of it; no decision link. */
export function noticeEmail(review: Review, person: { name: string; email: string }, why: string) {
  const amount = formatAmount(review.action.amount);
  const lines = [
    `Hello ${person.name},`,
    '',
    `${why} (review ${review.id}).`,
    'You are informed by the policy; you do not need to act.',
    '',
    `Action: ${review.action.type}`,
    ...(amount ? [`Amount: ${amount}`] : []),
    `Risk tier: ${review.tier}: ${review.reason}`,
    `Waiting for: ${review.route[review.step]?.approvers.map((a) => a.name).join(', ') ?? 'nobody'}`,
    '',
    `What the agent wrote (its words, not hitl-gate's; links disabled):`,
    ...agentFields(review).map(([k, v]) => `  ${k}: "${v}"`),
  ];
  const text = lines.join('\n');
  const html = `<!doctype html><html lang="en"><body>${lines.map((l) => (l ? `<p>${esc(l)}</p>` : '')).join('')}</body></html>`;
  return {
    to: [person.email],
    subject: `[hitl-gate] ${review.tier} review notice: ${agentText(review.action.summary, 120)}`,
    text,
    html,
  };
}
