// The emails of a review: an approver's (the link, what the agent wants, by when in their own time zone) and a
// watcher's notice (no link). What the agent wrote is quoted data, on one line each, its links defanged.
import type { Review, RouteStep } from '../domain/review.ts';
import { formatAmount } from '../domain/money.ts';
import { actionUnderApproval } from '../domain/review.ts';
import { deadlineText, zoneFor } from '../domain/when.ts';
import { agentText, esc } from '../http/html.ts';
import {
  actionWords,
  approvingWill,
  emailSubject,
  partsHtml,
  partsText,
  quorumProgress,
  whyText,
} from '../http/review-words.ts';
import type { Deps } from './deps.ts';

/** The zone a person reads this review's times in: theirs (the directory), else the step's calendar's, else UTC. */
export function approverZone(deps: Pick<Deps, 'directory' | 'policy'>, review: Review, personId: string): string {
  return personZone(deps, personId, review.route[review.step]?.sla.calendar);
}

/** The zone a person reads a step's times in: theirs (the directory), else the named calendar's, else UTC. */
export function personZone(deps: Pick<Deps, 'directory' | 'policy'>, personId: string, calendar?: string): string {
  return zoneFor(
    deps.directory.person(personId)?.timeZone,
    calendar ? deps.policy.calendar(calendar)?.timeZone : undefined,
  );
}

/** The fields an agent controls, each made safe to show as data (agentText). */
function agentFields(review: Review): [string, string][] {
  const { action } = actionUnderApproval(review);
  return [
    ['Summary', agentText(action.summary)],
    ...(action.target ? [['Target', agentText(action.target)] as [string, string]] : []),
    ['Reference', agentText(review.proposalId)],
    ['Requested by', agentText(review.requestedBy)],
    ['Agent', agentText(review.agentId)],
  ];
}

export interface ReviewEmailOptions {
  /** The zone the approver reads times in (approverZone) and the time now, for "in 3 h 12 min". */
  zone: string;
  now: Date;
  /** The first line's reason for the email: a new review, a reminder, an escalation. */
  intro?: string;
  /** The approver's own inbox link: everything waiting for them, on one page. */
  inboxLink?: string;
}

/** The notification one approver receives: what the agent wants, by when, what approving does, and the link. */
export function reviewEmail(
  review: Review,
  approver: RouteStep['approvers'][number],
  link: string,
  { zone, now, intro = 'An agent asks for your approval', inboxLink }: ReviewEmailOptions,
) {
  const { action } = actionUnderApproval(review);
  const amount = formatAmount(action.amount);
  const kind = actionWords(action.type);
  const will = approvingWill(action);
  const quorum = quorumProgress(review);
  // hitl-gate's own facts; then what the agent wrote: quoted, on one line each, its links defanged.
  const facts: [string, string][] = [
    ...(review.pattern === 'block_until_reviewed'
      ? [['Critical', `blocked until ${review.quorum} people approve`] as [string, string]]
      : []),
    ['What', `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${amount ? ` of ${amount}` : ''}`],
    ...(review.deadline ? [['Decide by', deadlineText(review.deadline, zone, now)] as [string, string]] : []),
    ['If you approve', partsText(will)],
    ...(quorum ? [['Approvals', quorum] as [string, string]] : []),
    ['Why you', whyText(review)],
  ];
  const agentSays = agentFields(review);
  const text = [
    `Hello ${approver.name},`,
    '',
    `${intro} (review ${review.id}).`,
    '',
    `Open the review to approve, edit or reject: ${link}`,
    'Opening the link changes nothing; only your explicit decision on the page does.',
    ...(inboxLink ? [`Everything waiting for you: ${inboxLink}`] : []),
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    `What the agent wrote (its words, not hitl-gate's; links disabled):`,
    ...agentSays.map(([k, v]) => `  ${k}: "${v}"`),
  ].join('\n');
  // The deadline keeps its exact instant for programs (and tests) in <time datetime>.
  const htmlOf = (k: string, v: string) =>
    k === 'If you approve'
      ? partsHtml(will)
      : k === 'Decide by' && review.deadline
        ? `<time datetime="${esc(review.deadline)}">${esc(v)}</time>`
        : esc(v);
  const factHtml = (k: string, v: string) => `<tr><th align="left" valign="top">${esc(k)}</th><td>${v}</td></tr>`;
  const html = `<!doctype html><html lang="en"><body>
<p>Hello ${esc(approver.name)},</p>
<p>${esc(intro)} (review <code>${esc(review.id)}</code>).</p>
<p><a href="${esc(link)}">Open the review</a> to approve, edit or reject.</p>
<p><small>Opening the link changes nothing; only your explicit decision on the page does.</small></p>
${inboxLink ? `<p><a href="${esc(inboxLink)}">Everything waiting for you</a> (your inbox)</p>\n` : ''}<table>${facts.map(([k, v]) => factHtml(k, htmlOf(k, v))).join('')}</table>
<p>What the agent wrote (its words, not hitl-gate's; links disabled):</p>
<table>${agentSays.map(([k, v]) => `<tr><th align="left">${esc(k)}</th><td><q>${esc(v)}</q></td></tr>`).join('')}</table>
</body></html>`;
  return { to: [approver.email], subject: emailSubject(review, zone, now), text, html };
}

/** For the people a policy says to inform: what is waiting and why they hear of it; no decision link. */
export function noticeEmail(review: Review, person: { name: string; email: string }, why: string) {
  const { action } = actionUnderApproval(review);
  const amount = formatAmount(action.amount);
  const kind = actionWords(action.type);
  const what = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${amount ? ` of ${amount}` : ''}`;
  const lines = [
    `Hello ${person.name},`,
    '',
    `${why} (review ${review.id}).`,
    'You are informed by the policy; you do not need to act.',
    '',
    `What: ${what}`,
    `Why: ${whyText(review)}`,
    `Waiting for: ${review.route[review.step]?.approvers.map((a) => a.name).join(', ') ?? 'nobody'}`,
    '',
    `What the agent wrote (its words, not hitl-gate's; links disabled):`,
    ...agentFields(review).map(([k, v]) => `  ${k}: "${v}"`),
  ];
  const text = lines.join('\n');
  const html = `<!doctype html><html lang="en"><body>${lines.map((l) => (l ? `<p>${esc(l)}</p>` : '')).join('')}</body></html>`;
  return {
    to: [person.email],
    subject: `For your information: ${what}: "${agentText(action.summary, 80)}"`,
    text,
    html,
  };
}
