// `hitl-gate mcp`: an MCP server (stdio) for agents that ask for approval explicitly: `request_approval`
// (a proposal in, its decision out, waiting as @hitl-gate/client waits) and `get_review` (a review's status).
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { ApprovalTimeout, type HitlGate, ProposalInvalid } from '../../clients/typescript/src/index.ts';
import { Action } from '../../events/index.ts';
import { isReviewId } from '../../functions/domain/ids.ts';
import { CONNECTION_FLAGS, CONNECTION_USAGE, connect, parseFlags } from './mcp/config.ts';
import { command as defineCommand, serveStdio } from './mcp/stdio.ts';
import { progressOf, toolError, untilAborted } from './mcp/waiting.ts';

const USAGE = `usage: hitl-gate mcp [options]

An MCP server (stdio) with two tools: request_approval (a proposal in, its decision out; it waits for a
person) and get_review (a review's status, by reviewId or by agentId and proposalId).

${CONNECTION_USAGE}`;

export const command = defineCommand('an MCP server with request_approval and get_review', USAGE, run);

const Key = z.string().trim().min(1).max(256);

async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args, CONNECTION_FLAGS);
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const connection = connect(flags);
  const server = approvalServer(connection);
  await serveStdio(server.server, () => server.close());
  return 0;
}

function answer(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value };
}

export function approvalServer({
  gate,
  agentId,
  requestedBy,
}: {
  gate: HitlGate;
  agentId: string;
  requestedBy: string;
}) {
  const server = new McpServer({ name: 'hitl-gate', version: '0.1.0' });

  server.registerTool(
    'request_approval',
    {
      description:
        'Ask a person to approve an action before you take it, and wait for their decision. Answers the outcome (approved, rejected, expired or cancelled), the action that may run (the approved one, which a person may have edited: run that one), who decided and why. The same proposalId never opens a second review: call again with it to go on waiting.',
      inputSchema: {
        action: Action.describe('what you want to do: type, summary, and amount, target, payload where they apply'),
        proposalId: Key.optional().describe('your idempotency key for this action (default: a new one)'),
        requestedBy: Key.optional().describe(`the person you act for (default ${requestedBy}); they cannot approve it`),
        context: z.record(z.string(), z.unknown()).optional().describe('what the approver should know'),
        timeoutSeconds: z.number().int().positive().max(86_400).optional().describe('stop waiting after this long'),
      },
    },
    async (input, extra) => {
      const proposalId = input.proposalId ?? `mcp-${randomUUID()}`;
      const waitFor = new AbortController();
      const stop = () => waitFor.abort(new Error('the client cancelled the request'));
      extra.signal.addEventListener('abort', stop, { once: true });
      const onPending = progressOf(extra, gate.statusUrl(agentId, proposalId));
      try {
        const decided = await untilAborted(
          gate.requestApproval(
            {
              proposalId,
              agentId,
              requestedBy: input.requestedBy ?? requestedBy,
              action: input.action,
              ...(input.context ? { context: input.context } : {}),
            },
            {
              signal: waitFor.signal,
              ...(input.timeoutSeconds ? { timeoutMs: input.timeoutSeconds * 1000 } : {}),
              ...(onPending ? { onPending } : {}),
            },
          ),
          extra.signal,
        );
        if (!decided) return toolError(`cancelled; proposal ${proposalId} still waits for its review`);
        return answer({ proposalId, ...decided });
      } catch (err) {
        if (err instanceof ProposalInvalid) return toolError(err.message, { proposalId, problems: err.errors });
        if (err instanceof ApprovalTimeout)
          return toolError(`${err.message}; call request_approval again with proposalId ${proposalId}`, { proposalId });
        return toolError(`hitl-gate could not get a decision: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        extra.signal.removeEventListener('abort', stop);
      }
    },
  );

  server.registerTool(
    'get_review',
    {
      description:
        'The status of a review: by reviewId, or by the agentId and proposalId of the proposal. Its outcome is pending until a person decides; then approved, rejected, expired or cancelled; invalid (with errors) when hitl-gate refused the proposal.',
      inputSchema: {
        reviewId: z.string().optional().describe('rv-… as a request_approval answer or a progress message gave it'),
        agentId: Key.optional().describe(`with proposalId (default ${agentId})`),
        proposalId: Key.optional(),
      },
    },
    async (input) => {
      if ((input.reviewId === undefined) === (input.proposalId === undefined))
        return toolError('give either reviewId, or proposalId (with agentId where it is not this server’s)');
      if (input.reviewId !== undefined && !isReviewId(input.reviewId))
        return toolError(`reviewId: ${JSON.stringify(input.reviewId)} is not a review id (rv- and 32 hex digits)`);
      try {
        const status =
          input.reviewId !== undefined
            ? await gate.reviewStatus(input.reviewId)
            : await gate.status(input.agentId ?? agentId, input.proposalId as string);
        if (!status)
          return toolError(
            input.reviewId !== undefined
              ? `no review ${input.reviewId}`
              : `no review of proposal ${input.proposalId} from agent ${input.agentId ?? agentId} (yet)`,
          );
        return answer(status);
      } catch (err) {
        return toolError(`hitl-gate could not read the review: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
  );

  return { server: server.server, close: () => server.close() };
}
