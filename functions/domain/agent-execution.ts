// What became of an approved action the agent performs, as the agent reports it. The first claim of an
// approval wins, so a second process (a retry, a restarted agent, another MCP gate) never runs it again
// without a new approval; the result is recorded once, on the review, for the people who look at it.
import { AlreadyExecuted, NotApproved, OutcomeMismatch, ReviewNotFound } from './errors.ts';
import type { AgentExecution, HistoryEntry, Review, Transition, Unchanged } from './model.ts';
import { outcomeIdOf } from './outcome.ts';
import { advance, unchanged } from './review.ts';

/** The longest `detail` an agent may give with a result; more is cut, not refused (it is the agent's own text). */
export const MAX_DETAIL_LENGTH = 2000;

export type ExecutionReport =
  | { outcomeId: string; claim: string; result: 'started' }
  | { outcomeId: string; claim: string; result: 'performed' | 'failed' | 'unknown'; detail?: string };

/**
 * Records an agent's report on the approval it acts on (`outcomeId` names it): `started` claims it, and only
 * one claim ever holds; a result follows under the same claim, once. Repeating the same report changes
 * nothing (`repeated`), so an agent may retry a report whose answer it lost.
 */
export function reportExecution(
  review: Review | undefined,
  reviewId: string,
  report: ExecutionReport,
  agentId: string,
  performedByHitlGate: boolean,
  now: Date,
): Transition<'execution-reported'> | Unchanged<'repeated'> {
  if (!review) throw new ReviewNotFound(reviewId);
  const decision = review.decision;
  if (decision?.outcome !== 'approved') throw new NotApproved(review.id, decision?.outcome);
  if (outcomeIdOf(review) !== report.outcomeId) throw new OutcomeMismatch(review.id, report.outcomeId);
  if (performedByHitlGate)
    throw new AlreadyExecuted(
      review.id,
      `hitl-gate performs ${decision.action.type} actions itself; an agent does not.`,
    );
  const held = review.execution;
  if (held && (held.by !== 'agent' || held.claim !== report.claim))
    throw new AlreadyExecuted(
      review.id,
      `Approval ${report.outcomeId} was claimed at ${held.at} by another run (${held.result}); running the action again needs a new approval.`,
    );
  if (held?.result === report.result) return unchanged('repeated');
  if (held && held.result !== 'started')
    throw new AlreadyExecuted(review.id, `Approval ${report.outcomeId} already reported ${held.result} at ${held.at}.`);

  const at = now.toISOString();
  const by = { id: agentId, kind: 'system' } as const;
  if (report.result === 'started') {
    const execution: AgentExecution = { by: 'agent', result: 'started', at, claim: report.claim };
    return { kind: 'execution-reported', next: advance(review, { execution }, at), entries: [] };
  }
  const detail = report.detail?.slice(0, MAX_DETAIL_LENGTH);
  const execution: AgentExecution = {
    by: 'agent',
    result: report.result,
    at,
    claim: report.claim,
    ...(detail ? { detail } : {}),
  };
  const type = decision.action.type;
  const said = detail ? `: ${detail}` : '';
  const entry: HistoryEntry =
    report.result === 'performed'
      ? { at, what: 'executed', by, note: `${type} performed by the agent${said}` }
      : report.result === 'failed'
        ? {
            at,
            what: 'execution_failed',
            by,
            note: `${type} failed in the agent${said}; not retried without a new approval`,
          }
        : {
            at,
            what: 'execution_unknown',
            by,
            note: `${type} may or may not have happened in the agent${said}; not run again`,
          };
  return { kind: 'execution-reported', next: advance(review, { execution }, at), entries: [entry] };
}
