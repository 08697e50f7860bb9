// A review in Slack (Block Kit): what the agent wants, by when, and the Approve / Reject buttons while it waits;
// how it stands or ended once someone decides. hitl-gate's words are Slack markup; what the agent wrote is
// escaped (no mention, link or channel ping can come from it), defanged and quoted, as in the email.
import { formatAmount } from '../domain/money.ts';
import { actionUnderApproval, MAX_REASON_LENGTH, type Review } from '../domain/review.ts';
import { localTime, timeLeft } from '../domain/when.ts';
import { agentText } from '../http/html.ts';
import { actionWords, approvingWill, outcomeBanner, quorumProgress, whyText, type Part } from '../http/review-words.ts';
import type { SlackMessage } from './ports.ts';

/** The buttons' action ids: the interactions endpoint knows a click by them. */
export const SLACK_ACTION = { approve: 'hitl_approve', reject: 'hitl_reject', open: 'hitl_open' } as const;
/** The reject modal's callback id, and its reason input's block and action ids. */
export const REJECT_VIEW = 'hitl_reject_reason';
export const REASON_INPUT = 'reason';

/** What a button carries: the review, the step it was posted for and the action's hash, so a click decides that action only. */
export interface SlackDecisionRef {
  reviewId: string;
  step: number;
  actionHash: string;
}

/** Slack's markup escapes only these three: with them escaped, no text can mention, link or ping. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The agent's text as data: one line, links defanged, escaped, quoted. */
function quoted(value: unknown, max?: number): string {
  return `“${slackEscape(agentText(value, max))}”`;
}

function partsMrkdwn(parts: readonly Part[]): string {
  return parts
    .map((p) =>
      typeof p === 'string' ? slackEscape(p) : 'value' in p ? `*${slackEscape(p.value)}*` : quoted(p.data, p.max),
    )
    .join('');
}

/**
 * A deadline Slack shows in each reader's own time zone (its date formatting), with `zone`'s text for clients
 * that cannot, and how long is left.
 */
function deadlineMrkdwn(iso: string, zone: string, now: Date): string {
  const fallback = slackEscape(localTime(iso, zone, now));
  const unix = Math.floor(Date.parse(iso) / 1000);
  return `<!date^${unix}^{date_short_pretty} at {time}|${fallback}> (${slackEscape(timeLeft(iso, now))})`;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn', text, verbatim: true });
const plain = (text: string) => ({ type: 'plain_text', text: text.length > 150 ? `${text.slice(0, 149)}…` : text });

/** "Purchase order of $5,000.00", in hitl-gate's words. */
function whatText(review: Review): string {
  const { action } = actionUnderApproval(review);
  const kind = actionWords(action.type);
  const amount = formatAmount(action.amount);
  return `${kind.charAt(0).toUpperCase()}${kind.slice(1)}${amount ? ` of ${amount}` : ''}`;
}

export interface SlackMessageOptions {
  channel: string;
  /** The zone its reader reads times in (the approver's for a direct message; the step's calendar's for a channel). */
  zone: string;
  now: Date;
  /** Why the message: a new review, a reminder, an escalation. */
  intro?: string;
  /** A direct message's decision page link (signed for its approver); a channel message has none. */
  link?: string;
}

/** The review's message: while it waits, what approving does and the buttons; once decided, how it ended. */
export function reviewMessage(review: Review, opts: SlackMessageOptions): SlackMessage {
  const { action, actionHash } = actionUnderApproval(review);
  const what = whatText(review);
  const critical = review.pattern === 'block_until_reviewed';
  const ended = outcomeBanner(review, opts.zone, opts.now);
  const head = `${critical ? 'Critical: ' : ''}${what}`;
  const agentSays = [
    `*Summary* ${quoted(action.summary, 300)}`,
    ...(action.target ? [`*Target* ${quoted(action.target, 200)}`] : []),
    `*Reference* ${quoted(review.proposalId, 120)}  ·  *Requested by* ${quoted(review.requestedBy, 120)}`,
  ];
  const blocks: Record<string, unknown>[] = [{ type: 'header', text: plain(head) }];
  if (ended) {
    const mark = ended.tone === 'ok' ? ':white_check_mark:' : ended.tone === 'bad' ? ':x:' : ':information_source:';
    blocks.push({
      type: 'section',
      text: mrkdwn(`${mark} *${slackEscape(ended.title)}*\n${slackEscape(ended.detail)}`),
    });
  } else {
    const lines = [
      ...(opts.intro ? [`${slackEscape(opts.intro)}.`] : []),
      ...(critical ? [`:rotating_light: *Critical:* blocked until ${review.quorum} people approve.`] : []),
      ...(review.deadline ? [`*Decide by* ${deadlineMrkdwn(review.deadline, opts.zone, opts.now)}`] : []),
      `*If you approve* ${partsMrkdwn(approvingWill(action))}`,
    ];
    blocks.push({ type: 'section', text: mrkdwn(lines.join('\n')) });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`The agent's words, not hitl-gate's:\n${agentSays.join('\n')}`)],
  });
  const progress = quorumProgress(review);
  if (!ended) {
    blocks.push({
      type: 'context',
      elements: [mrkdwn(slackEscape([progress, whyText(review)].filter(Boolean).join(' ')))],
    });
    const value = JSON.stringify({ reviewId: review.id, step: review.step, actionHash } satisfies SlackDecisionRef);
    blocks.push({
      type: 'actions',
      block_id: 'hitl_decide',
      elements: [
        { type: 'button', action_id: SLACK_ACTION.approve, style: 'primary', text: plain('Approve'), value },
        { type: 'button', action_id: SLACK_ACTION.reject, style: 'danger', text: plain('Reject'), value },
        ...(opts.link ? [{ type: 'button', action_id: SLACK_ACTION.open, text: plain('Open'), url: opts.link }] : []),
      ],
    });
  }
  const text = ended
    ? `${head}: ${ended.title}`
    : `${head}: "${agentText(action.summary, 80)}"${review.deadline ? `, decide by ${localTime(review.deadline, opts.zone, opts.now)}` : ''}`;
  return { channel: opts.channel, text, blocks };
}

/** The modal a Reject click opens: the reason, required (the agent is told it), for that review, step and action. */
export function rejectModal(review: Review | undefined, ref: SlackDecisionRef): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: REJECT_VIEW,
    private_metadata: JSON.stringify(ref),
    title: plain('Reject'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      ...(review
        ? [
            {
              type: 'section',
              text: mrkdwn(
                `*${slackEscape(whatText(review))}*\n${quoted(actionUnderApproval(review).action.summary, 300)}`,
              ),
            },
          ]
        : []),
      {
        type: 'input',
        block_id: REASON_INPUT,
        label: plain('Why do you reject it?'),
        hint: plain('The agent and the requester are told your reason.'),
        element: {
          type: 'plain_text_input',
          action_id: REASON_INPUT,
          multiline: true,
          min_length: 1,
          max_length: MAX_REASON_LENGTH,
        },
      },
    ],
  };
}
