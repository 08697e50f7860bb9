import type { Review, RouteStep } from '../domain/review.ts';
import { esc } from '../http/html.ts';

export function formatAmount(amount: Review['action']['amount']): string | undefined {
  if (!amount) return undefined;
  return new Intl.NumberFormat('en-US', { style: 'currency', currency: amount.currency }).format(amount.value);
}

/** The notification one approver receives: what the agent wants, why it needs a person, by when, and the link. */
export function reviewEmail(
  review: Review,
  approver: RouteStep['approvers'][number],
  link: string,
  intro = 'An agent asks for your approval',
) {
  const amount = formatAmount(review.action.amount);
  const rows: [string, string][] = [
    ['Action', review.action.type],
    ['Summary', review.action.summary],
    ...(amount ? [['Amount', amount] as [string, string]] : []),
    ...(review.action.target ? [['Target', review.action.target] as [string, string]] : []),
    ['Requested by', `${review.requestedBy} (agent ${review.agentId})`],
    ['Risk tier', `${review.tier}: ${review.reason}`],
    ...(review.deadline ? [['Decide by', review.deadline] as [string, string]] : []),
  ];
  const subject = `[hitl-gate] ${review.tier} review: ${review.action.summary}`.slice(0, 200);
  const text = [
    `Hello ${approver.name},`,
    '',
    `${intro} (review ${review.id}).`,
    '',
    ...rows.map(([k, v]) => `${k}: ${v}`),
    '',
    `Open the review to approve, edit or reject: ${link}`,
    '',
    'Opening the link changes nothing; only your explicit decision on the page does.',
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body>
<p>Hello ${esc(approver.name)},</p>
<p>${esc(intro)} (review <code>${esc(review.id)}</code>).</p>
<table>${rows.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>
<p><a href="${esc(link)}">Open the review</a> to approve, edit or reject.</p>
<p><small>Opening the link changes nothing; only your explicit decision on the page does.</small></p>
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
    '',
    `Action: ${review.action.type}`,
    `Summary: ${review.action.summary}`,
    ...(amount ? [`Amount: ${amount}`] : []),
    ...(review.action.target ? [`Target: ${review.action.target}`] : []),
    `Requested by: ${review.requestedBy} (agent ${review.agentId})`,
    `Risk tier: ${review.tier}: ${review.reason}`,
    `Waiting for: ${review.route[review.step]?.approvers.map((a) => a.name).join(', ') ?? 'nobody'}`,
    '',
    'You are informed by the policy; you do not need to act.',
  ];
  const text = lines.join('\n');
  const html = `<!doctype html><html lang="en"><body>${lines.map((l) => (l ? `<p>${esc(l)}</p>` : '')).join('')}</body></html>`;
  return {
    to: [person.email],
    subject: `[hitl-gate] ${review.tier} review notice: ${review.action.summary}`.slice(0, 200),
    text,
    html,
  };
}
