// What an MCP client is told while a review waits, and how a decision that is not an approval reads.
import type { Decided, Status } from '../../../clients/typescript/src/index.ts';
import type { CallToolResult, ServerNotification } from '@modelcontextprotocol/sdk/types.js';

interface RequestExtra {
  _meta?: { progressToken?: string | number } & Record<string, unknown>;
  sendNotification: (notification: ServerNotification) => Promise<void>;
}

/**
 * A listener for the client's status reads that sends MCP progress notifications, when the caller asked
 * for them with a progressToken: the review's status link for the operator, never an approver's link.
 */
export function progressOf(extra: RequestExtra, statusUrl: string): ((status: Status | undefined) => void) | undefined {
  const token = extra._meta?.progressToken;
  if (token === undefined) return undefined;
  let progress = 0;
  return (status) => {
    const review =
      status === undefined
        ? 'hitl-gate is opening the review'
        : `review ${String(status.reviewId)} (${String(status.tier)}) waits for a person`;
    extra
      .sendNotification({
        method: 'notifications/progress',
        params: { progressToken: token, progress: ++progress, message: `${review}; status: ${statusUrl}` },
      })
      .catch(() => undefined); // a client gone away is noticed by the request's own signal
  };
}

/** An MCP tool error: `isError` with the text an agent (and the person reading its log) acts on. */
export function toolError(text: string, meta?: Record<string, unknown>): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }], ...(meta ? { _meta: { 'hitl-gate': meta } } : {}) };
}

/** What a caller learns of a decision that lets nothing run. */
export function denial(decided: Decided): string {
  const who = decided.decidedBy.map((d) => d.id).join(', ') || 'hitl-gate';
  return `hitl-gate: review ${decided.reviewId} was ${decided.outcome} by ${who} at ${decided.decidedAt}: ${decided.decisionReason}`;
}

/** The review facts a tool result carries in `_meta`, for the agent's log. */
export function reviewMeta(decided: Decided): Record<string, unknown> {
  return {
    reviewId: decided.reviewId,
    outcome: decided.outcome,
    outcomeId: decided.outcomeId,
    edited: decided.edited,
    decidedBy: decided.decidedBy,
    actionHash: decided.actionHash,
  };
}

/** Resolves with `work`, or with undefined once `signal` aborts (the work goes on for whoever else waits). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const stop = () => resolve(undefined);
    signal.addEventListener('abort', stop, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', stop));
  });
}
