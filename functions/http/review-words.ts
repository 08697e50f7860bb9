// What hitl-gate tells an approver about a review, in plain words, for the page and the email alike: what
// approving will do, why a person is asked, how far the quorum is, how it ended, and the email's subject.
// hitl-gate's own words are text; what the agent wrote is kept apart as data (`{ data }`), shown quoted.
import type { Action } from '../../events/index.ts';
import { formatAmount } from '../domain/money.ts';
import { actionUnderApproval, approvalsCounted, emailedAt, type Review } from '../domain/review.ts';
import { localTime, spanText } from '../domain/when.ts';
import { agentHtml, agentText, esc } from './html.ts';

/**
 * A piece of a sentence: hitl-gate's words, a value hitl-gate formatted (shown strong), or the agent's text
 * (quoted, cut at `max` characters so one line stays one line on a phone; the page's details show all of it).
 */
export type Part = string | { value: string } | { data: unknown; max?: number };

/** The longest agent value inside one of hitl-gate's sentences. */
const IN_A_SENTENCE = 80;

export function partsHtml(parts: readonly Part[]): string {
  return parts
    .map((p) =>
      typeof p === 'string' ? esc(p) : 'value' in p ? `<strong>${esc(p.value)}</strong>` : agentHtml(p.data, p.max),
    )
    .join('');
}

export function partsText(parts: readonly Part[]): string {
  return parts
    .map((p) => (typeof p === 'string' ? p : 'value' in p ? p.value : `"${agentText(p.data, p.max)}"`))
    .join('');
}

/** `purchase_order` as people say it: "purchase order"; `db_schema_change`: "database schema change". */
export function actionWords(type: string): string {
  if (type === 'db_schema_change') return 'database schema change';
  return type.replace(/_/g, ' ').trim();
}

const ACRONYMS = new Set(['cfo', 'ceo', 'cto', 'coo', 'ciso', 'dba', 'it', 'hr', 'ops']);

/** A role as people say it: `finance_director` is "finance director", `cfo` is "CFO". */
export function roleWords(role: string): string {
  return role
    .split('_')
    .map((w) => (ACRONYMS.has(w) ? w.toUpperCase() : w))
    .join(' ');
}

const ONE_OF_A_KIND = new Set(['cfo', 'ceo', 'cto', 'coo', 'ciso']);

/** "a manager", "the CFO", "an engineering lead", "a DBA or engineering lead". */
function someone(roles: readonly string[]): string {
  const [only] = roles;
  const words = roles.map(roleWords).join(' or ');
  if (roles.length === 1 && only && ONE_OF_A_KIND.has(only)) return `the ${words}`;
  return `${/^[aeiou]/.test(words) ? 'an' : 'a'} ${words}`;
}

function slaWords(sla: Review['route'][number]['sla']): string {
  return `${spanText(sla.ms)}${sla.calendar ? ' of working time' : ''}`;
}

/**
 * Why a person is asked, from the review's tier and route (never its opening text, which quotes the proposal's
 * amount as it was before any edit): who must decide, by when, and what happens if nobody does.
 */
export function whyText(review: Review): string {
  const step = review.route[review.step] ?? review.route[0];
  if (!step) return 'The risk policy approved this automatically.';
  const kind = actionWords(actionUnderApproval(review).action.type);
  const who =
    review.quorum > 1
      ? `${review.quorum} different people (${step.roles.map(roleWords).join(' or ')})`
      : someone(step.roles);
  const verb = review.quorum > 1 ? 'approve' : 'approves';
  const first =
    review.pattern === 'block_until_reviewed'
      ? `This ${kind} is critical: it is blocked until ${who} ${verb} it`
      : review.pattern === 'hard_gate'
        ? `Nothing happens until ${who} ${verb} this ${kind}`
        : `The risk policy asks ${who} to check this ${kind} before it goes ahead`;
  const next = review.route[review.step + 1];
  const otherwise = next
    ? `it goes to ${
        next.approvers.length
          ? list(
              next.approvers.map((a) => a.name),
              'or',
            )
          : someone(next.roles)
      } (${next.roles.map(roleWords).join(' or ')})`
    : review.onTimeout === 'expire'
      ? 'it is rejected'
      : review.onTimeout === 'approve'
        ? 'it goes ahead without a decision'
        : 'the approvers are reminded until someone decides';
  // Once decided, what a timeout would have done is no longer news.
  if (review.status !== 'PENDING') return `${first}.`;
  return `${first}, within ${slaWords(step.sla)}. If nobody decides in time, ${otherwise}.`;
}

function payloadText(action: Action, key: string): string | undefined {
  const v = action.payload?.[key];
  return typeof v === 'string' && v.trim() ? v : undefined;
}

/** What approving will do, in one line for this action (the one under approval): hitl-gate's words, the agent's values as data. */
export function approvingWill(action: Action): Part[] {
  const amount = formatAmount(action.amount);
  const target = action.target;
  const money: Part[] = amount ? [{ value: amount }] : [];
  switch (action.type) {
    case 'purchase_order':
      return [
        'The agent places this purchase order',
        ...(amount ? [' for ', ...money] : []),
        ...(target ? [' with ', { data: target, max: IN_A_SENTENCE }] : []),
        '.',
      ];
    case 'refund':
      return [
        'The agent refunds ',
        ...(amount ? money : ['the customer']),
        ...(target ? [' to ', { data: target, max: IN_A_SENTENCE }] : []),
        '.',
      ];
    case 'customer_email': {
      const subject = payloadText(action, 'subject');
      return [
        'hitl-gate sends this email',
        ...(target ? [' to ', { data: target, max: IN_A_SENTENCE }] : []),
        ...(subject ? [' with the subject ', { data: subject, max: IN_A_SENTENCE }] : []),
        ', word for word as shown below.',
      ];
    }
    case 'db_schema_change':
    case 'schema_change':
      return [
        'The agent runs the change below on ',
        target ? { data: target, max: IN_A_SENTENCE } : 'a database it did not name',
        '.',
      ];
    default:
      return [
        `The agent performs this ${actionWords(action.type)}`,
        ...(target ? [' on ', { data: target, max: IN_A_SENTENCE }] : []),
        ...(amount ? [' for ', ...money] : []),
        '.',
      ];
  }
}

/** A person's name from the review's route (an id if they are no longer on it). */
export function nameOf(review: Review, id: string): string {
  return review.route.flatMap((s) => s.approvers).find((a) => a.id === id)?.name ?? id;
}

/** An approver as the page names them: a delegate says for whom they stand in. */
function approverName(a: Review['route'][number]['approvers'][number]): string {
  return a.onBehalfOf ? `${a.name} (for ${a.onBehalfOf.name}, who is away)` : a.name;
}

function list(names: readonly string[], joint: 'or' | 'and'): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} ${joint} ${names.at(-1)}`;
}

const NUMBER_WORDS = ['no', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];

/**
 * Quorum progress in words, for a review that needs more than one approval at its step:
 * "1 of 2 approvals: Sam Adeyemi approved; waiting for one more of Lena Fischer or Raj Patel."
 * Undefined when one approval decides.
 */
export function quorumProgress(review: Review): string | undefined {
  if (review.quorum <= 1 || review.status !== 'PENDING') return undefined;
  const counted = approvalsCounted(review);
  const approved = counted.map((a) => nameOf(review, a.approverId));
  const done = new Set(counted.map((a) => a.approverId));
  const waiting = (review.route[review.step]?.approvers ?? []).filter((a) => !done.has(a.id)).map(approverName);
  const left = Math.max(review.quorum - counted.length, 0);
  const head = `${counted.length} of ${review.quorum} approvals`;
  const who = approved.length ? `${list(approved, 'and')} approved` : 'nobody has approved yet';
  // Everyone left must approve: name them all; otherwise say how many more of whom.
  const rest =
    left >= waiting.length
      ? `waiting for ${list(waiting, 'and')}`
      : `waiting for ${NUMBER_WORDS[left] ?? left} more of ${list(waiting, 'or')}`;
  return `${head}: ${who}; ${rest}.`;
}

/** Whom the current step still waits for, in words: its approvers less those whose approval already counts. */
export function stillWaitingFor(review: Review): string {
  const done = new Set(approvalsCounted(review).map((a) => a.approverId));
  const names = (review.route[review.step]?.approvers ?? []).filter((a) => !done.has(a.id)).map(approverName);
  const left = review.quorum - done.size;
  return left === 1 && names.length > 1 ? `any one of ${list(names, 'or')}` : list(names, 'and');
}

/**
 * Who of the current step's approvers has been emailed (emails wait their turn at SES's sending rate), with
 * when in `zone`; undefined once every approver has been emailed or approved.
 */
export function emailedText(review: Review, zone: string, now: Date): string | undefined {
  const done = new Set(approvalsCounted(review).map((a) => a.approverId));
  const approvers = (review.route[review.step]?.approvers ?? []).filter((a) => !done.has(a.id));
  const waiting = approvers.filter((a) => !emailedAt(review, a.id)).map(approverName);
  if (waiting.length === 0) return undefined;
  const sent = approvers.flatMap((a) => {
    const at = emailedAt(review, a.id);
    return at ? [`${approverName(a)} at ${localTime(at, zone, now)}`] : [];
  });
  return [
    ...(sent.length ? [`emailed ${list(sent, 'and')}`] : []),
    `waiting to be emailed: ${list(waiting, 'and')} (emails go out at the sending rate)`,
  ].join('; ');
}

export type Tone = 'ok' | 'info' | 'warn' | 'bad';

const OUTCOME_TONE: Record<NonNullable<Review['decision']>['outcome'], Tone> = {
  approved: 'ok',
  rejected: 'bad',
  expired: 'bad',
  cancelled: 'info',
};
const OUTCOME_WORD: Record<NonNullable<Review['decision']>['outcome'], string> = {
  approved: 'Approved',
  rejected: 'Rejected',
  expired: 'Expired: nobody decided in time, so it was rejected',
  cancelled: 'Cancelled by the agent',
};

/** How a decided review ended, as one banner: its colour is its meaning (rejection is never green). */
export function outcomeBanner(
  review: Review,
  zone: string,
  now: Date,
): { tone: Tone; title: string; detail: string } | undefined {
  const d = review.decision;
  if (!d) return undefined;
  const people = d.by.filter((b) => b.kind === 'person').map((b) => nameOf(review, b.id));
  const by =
    d.outcome === 'expired' || d.outcome === 'cancelled'
      ? ''
      : people.length
        ? ` by ${people.join(' and ')}`
        : ' by the risk policy';
  const told = review.status === 'COMPLETED' ? ' The agent has been told.' : ' The agent is being told.';
  const reason = d.reason && (people.length || d.outcome === 'cancelled') ? `“${agentText(d.reason)}” ` : '';
  return {
    tone: OUTCOME_TONE[d.outcome],
    title: `${OUTCOME_WORD[d.outcome]}${by}${d.edited ? ', with changes' : ''}`,
    detail: `${reason}${localTime(d.at, zone, now)}.${d.outcome === 'cancelled' ? '' : told}`,
  };
}

/** The approver email's subject: the amount, the summary (the agent's, quoted on one line) and the deadline; no jargon. */
export function emailSubject(review: Review, zone: string, now: Date): string {
  const { action } = actionUnderApproval(review);
  const kind = actionWords(action.type);
  const amount = formatAmount(action.amount);
  const what = `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${amount ? ` ${amount}` : ''}`;
  const critical = review.pattern === 'block_until_reviewed' ? 'Critical: ' : '';
  const by = review.deadline ? ` · decide by ${localTime(review.deadline, zone, now)}` : '';
  return `${critical}${what}: "${agentText(action.summary, 80)}"${by}`;
}
