// The MCP gate: an MCP server whose tools are the upstream server's, unchanged, and whose every call is
// classified by the policy first. A low call goes through at once; any other waits for a person's decision
// and then runs once, with the arguments the person approved, bound to the approved action's hash.
import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import {
  ApprovalUsed,
  type Decided,
  type HitlGate,
  ProposalInvalid,
  type Status,
} from '../../../clients/typescript/src/index.ts';
import type { Action } from '../../../events/index.ts';
import { actionHash } from '../../../functions/domain/action-hash.ts';
import { type Policy, PolicyError, type ToolMapping } from '../../../functions/domain/policy.ts';
import { actionFor, argumentsFrom, ToolCallRefused } from './action.ts';
import { denial, progressOf, reviewMeta, toolError, untilAborted } from './waiting.ts';

/** Upstream errors after which the tool may or may not have run: the request was sent, its answer was lost. */
const UNSURE = new Set<number>([ErrorCode.RequestTimeout, ErrorCode.ConnectionClosed]);

/** The text a tool gave with its error, for the review's record. */
function textOf(result: CallToolResult): string {
  const text = result.content
    .flatMap((c) => (c.type === 'text' ? [c.text] : []))
    .join(' ')
    .trim();
  return text || 'the tool answered isError without text';
}

export interface GateSettings {
  upstream: Client;
  gate: HitlGate;
  policy: Policy;
  agentId: string;
  requestedBy: string;
  /** One line for the operator (stderr): reviews opened and decided. */
  log: (line: string) => void;
  /** How long one upstream call may take once approved (default 10 minutes). */
  upstreamTimeoutMs?: number;
}

/** One call waiting for its review; concurrent calls of the same tool with the same arguments share it. */
interface Waiting {
  proposalId: string;
  decision: Promise<Decided>;
  listeners: Set<(status: Status | undefined) => void>;
  /** The one upstream call an approval allows, started by the first caller that sees the approval. */
  execution?: Promise<CallToolResult>;
}

export function gateServer(s: GateSettings): { server: Server; close(): Promise<void> } {
  const upstreamInfo = s.upstream.getServerVersion();
  const server = new Server(
    { name: `hitl-gate in front of ${upstreamInfo?.name ?? 'an MCP server'}`, version: '0.1.0' },
    {
      capabilities: { tools: { listChanged: true } },
      ...(s.upstream.getInstructions() ? { instructions: s.upstream.getInstructions() } : {}),
    },
  );
  const stopping = new AbortController();
  const waiting = new Map<string, Waiting>();
  let tools = new Map<string, Tool>();

  async function listAll(): Promise<Map<string, Tool>> {
    const found = new Map<string, Tool>();
    let cursor: string | undefined;
    do {
      const page = await s.upstream.listTools(cursor === undefined ? {} : { cursor });
      for (const t of page.tools) found.set(t.name, t);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    tools = found;
    return found;
  }

  s.upstream.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
    tools = new Map();
    await server.sendToolListChanged();
  });

  server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const page = await s.upstream.listTools(request.params);
    for (const t of page.tools) tools.set(t.name, t);
    return page;
  });

  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const tool = tools.get(name) ?? (await listAll()).get(name);
    if (!tool) return toolError(`hitl-gate: the upstream server has no tool named ${JSON.stringify(name)}`);
    const mapping = s.policy.tools[name];

    let action: Action;
    let tier: string;
    try {
      action = actionFor(tool, args, mapping);
      tier = s.policy.classify(action, { agentId: s.agentId, requestedBy: s.requestedBy }).tier;
    } catch (err) {
      if (err instanceof ToolCallRefused) return toolError(err.message, { problems: err.problems });
      if (err instanceof PolicyError) return toolError(`hitl-gate cannot route this call: ${err.message}`);
      throw err;
    }
    if (tier === 'low') return s.upstream.callTool({ name, arguments: args }, undefined, upstreamOptions());

    const key = `${name}\n${actionHash(action)}`;
    let entry = waiting.get(key);
    if (entry) s.log(`${name}: joins the review of proposal ${entry.proposalId}, still waiting`);
    else {
      entry = propose(name, action);
      waiting.set(key, entry);
    }
    const statusUrl = s.gate.statusUrl(s.agentId, entry.proposalId);
    const listener = progressOf(extra, statusUrl);
    if (listener) entry.listeners.add(listener);
    try {
      const decided = await untilAborted(entry.decision, extra.signal);
      if (decided === undefined)
        return toolError(
          `hitl-gate: the call was cancelled; proposal ${entry.proposalId} still waits, and the same call joins it`,
        );
      if (waiting.get(key) === entry) waiting.delete(key);
      if (decided.outcome !== 'approved') return toolError(denial(decided), reviewMeta(decided));
      entry.execution ??= execute(name, action, mapping, decided);
      return await entry.execution;
    } catch (err) {
      if (waiting.get(key) === entry) waiting.delete(key);
      if (err instanceof ProposalInvalid) return toolError(err.message, { problems: err.errors });
      return toolError(`hitl-gate could not get a decision: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (listener) entry.listeners.delete(listener);
    }
  });

  function propose(name: string, action: Action): Waiting {
    const proposalId = `mcp-${randomUUID()}`;
    const listeners = new Set<(status: Status | undefined) => void>();
    const decision = s.gate.requestApproval(
      {
        proposalId,
        agentId: s.agentId,
        requestedBy: s.requestedBy,
        action,
        context: { via: 'hitl-gate mcp-gate', tool: name, upstream: upstreamInfo?.name ?? 'unknown' },
      },
      {
        signal: stopping.signal,
        onPending: (status) => {
          for (const l of listeners) l(status);
        },
      },
    );
    // Nobody may be waiting when it settles (every caller cancelled): not an unhandled rejection.
    decision.catch(() => undefined);
    s.log(`${name}: proposal ${proposalId} waits for a review; status: ${s.gate.statusUrl(s.agentId, proposalId)}`);
    return { proposalId, decision, listeners };
  }

  /** The one upstream call an approval allows, with the approved arguments, after checking the approval covers this call. */
  async function execute(
    name: string,
    proposed: Action,
    mapping: Readonly<ToolMapping> | undefined,
    decided: Decided,
  ): Promise<CallToolResult> {
    const meta = reviewMeta(decided);
    const approved = decided.action;
    const covers =
      approved.type === proposed.type &&
      actionHash(approved) === decided.actionHash &&
      (decided.edited || decided.actionHash === actionHash(proposed));
    if (!covers)
      return toolError(`hitl-gate: the approval of review ${decided.reviewId} does not cover this call; not run`, meta);
    const args = argumentsFrom(approved, mapping);
    // The claim on the review makes "exactly once" hold across processes: another gate (or this one after a
    // restart) that reaches the same approval is refused here, before it calls anything.
    const on = { outcomeId: decided.outcomeId, claim: randomUUID() };
    try {
      await s.gate.reportExecution(decided.reviewId, { ...on, result: 'started' });
    } catch (err) {
      if (err instanceof ApprovalUsed) return toolError(`hitl-gate: ${err.message}; not run`, meta);
      throw err;
    }
    s.log(`${name}: review ${decided.reviewId} approved${decided.edited ? ' with edits' : ''}; calling it once`);
    let result: CallToolResult;
    try {
      result = (await s.upstream.callTool({ name, arguments: args }, undefined, upstreamOptions())) as CallToolResult;
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      const unsure = err instanceof McpError && UNSURE.has(err.code);
      s.log(`${name}: the upstream call approved by review ${decided.reviewId} failed: ${why}`);
      await record(decided, { ...on, result: unsure ? 'unknown' : 'failed', detail: why });
      return toolError(
        `the upstream tool ${name} ${unsure ? 'may or may not have run' : 'failed'} after review ${decided.reviewId} approved it: ${why}. hitl-gate does not retry it; calling it again asks for a new approval`,
        meta,
      );
    }
    await record(
      decided,
      result.isError ? { ...on, result: 'failed', detail: textOf(result) } : { ...on, result: 'performed' },
    );
    return { ...result, _meta: { ...result._meta, 'hitl-gate': { ...meta, arguments: args } } };
  }

  /** Records on the review what became of the upstream call; the caller gets the tool's answer either way. */
  async function record(decided: Decided, report: Parameters<HitlGate['reportExecution']>[1]): Promise<void> {
    try {
      await s.gate.reportExecution(decided.reviewId, report);
    } catch (err) {
      s.log(
        `review ${decided.reviewId}: could not record that the call ${report.result}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  function upstreamOptions() {
    return { timeout: s.upstreamTimeoutMs ?? 600_000 };
  }

  return {
    server,
    async close() {
      stopping.abort(new Error('hitl-gate mcp-gate is stopping'));
      await server.close();
    },
  };
}
