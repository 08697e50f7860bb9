// The flags `hitl-gate mcp-gate` and `hitl-gate mcp` share: where hitl-gate is and who the agent is.
import { userInfo } from 'node:os';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { HitlGate } from '../../../clients/typescript/src/index.ts';

/** A usage error: the command prints it with its usage and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const CONNECTION_FLAGS = {
  endpoint: { type: 'string' },
  bus: { type: 'string' },
  'api-url': { type: 'string' },
  region: { type: 'string' },
  'agent-id': { type: 'string' },
  'requested-by': { type: 'string' },
  'poll-first-ms': { type: 'string' },
  'poll-max-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsOptionsConfig;

export const CONNECTION_USAGE = `where hitl-gate is:
  --endpoint <url>       local mode (npm start), e.g. http://localhost:3000, with its agent key
  --bus <name>           the stage's bus (default HITL_BUS_NAME, or hitl-dev with --endpoint)
  --api-url <url>        the stage's HTTP API (default HITL_API_URL, or the endpoint)
  --region <region>      default AWS_REGION, or eu-west-1 with --endpoint; AWS credentials from the SDK's chain
who asks:
  --agent-id <id>        the agent the proposals come from (default mcp-gate)
  --requested-by <id>    the person the agent acts for, who may not approve it (default: your user name)
while it waits (the client's backoff):
  --poll-first-ms <ms>   first wait between status reads (default 1000), doubling up to
  --poll-max-ms <ms>     the longest wait (default 60000: 60 reads an hour)`;

/** Flags parsed strictly: an unknown flag, a missing value or a stray argument is a UsageError naming it. */
export function parseFlags<O extends ParseArgsOptionsConfig>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

function url(flag: string, value: string): string {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
    return value;
  } catch {
    throw new UsageError(`--${flag}: ${JSON.stringify(value)} is not an http(s) URL`);
  }
}

function milliseconds(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!/^\d+$/.test(value) || ms < 10 || ms > 3_600_000)
    throw new UsageError(`--${flag}: ${JSON.stringify(value)} is not a number of milliseconds from 10 to 3600000`);
  return ms;
}

function id(flag: string, value: string): string {
  if (value.trim() === '' || value.length > 256) throw new UsageError(`--${flag}: must be 1 to 256 characters`);
  return value;
}

export interface Connection {
  gate: HitlGate;
  agentId: string;
  requestedBy: string;
}

/** The client and identities the flags (or the environment) describe. */
export function connect(
  values: { [K in keyof typeof CONNECTION_FLAGS]?: string | boolean | undefined },
  env = process.env,
): Connection {
  const text = (k: keyof typeof CONNECTION_FLAGS) => (typeof values[k] === 'string' ? values[k] : undefined);
  const endpoint = text('endpoint') === undefined ? undefined : url('endpoint', text('endpoint') as string);
  const apiUrl = text('api-url') ?? env.HITL_API_URL ?? endpoint;
  const busName = text('bus') ?? env.HITL_BUS_NAME ?? (endpoint ? 'hitl-dev' : undefined);
  const region = text('region') ?? env.AWS_REGION ?? (endpoint ? 'eu-west-1' : undefined);
  if (!apiUrl) throw new UsageError('say where hitl-gate is: --endpoint <local mode URL>, or --api-url (HITL_API_URL)');
  if (!busName) throw new UsageError('--bus (or HITL_BUS_NAME) is required without --endpoint');
  if (!region) throw new UsageError('--region (or AWS_REGION) is required without --endpoint');
  const firstMs = milliseconds('poll-first-ms', text('poll-first-ms'));
  const maxMs = milliseconds('poll-max-ms', text('poll-max-ms'));
  if (firstMs !== undefined && maxMs !== undefined && firstMs > maxMs)
    throw new UsageError('--poll-first-ms must not be more than --poll-max-ms');
  const gate = new HitlGate({
    apiUrl: url('api-url', apiUrl),
    busName,
    region,
    poll: { ...(firstMs !== undefined ? { firstMs } : {}), ...(maxMs !== undefined ? { maxMs } : {}) },
    // Local mode's agent key carries the stack's AgentPolicy; on AWS the SDK's own credential chain.
    ...(endpoint ? { endpoint, credentials: { accessKeyId: 'agent', secretAccessKey: 'agent' } } : {}),
  });
  return {
    gate,
    agentId: id('agent-id', text('agent-id') ?? 'mcp-gate'),
    requestedBy: id('requested-by', text('requested-by') ?? env.HITL_REQUESTED_BY ?? userInfo().username),
  };
}

/** Splits a command line as a POSIX shell would split words: spaces, '…', "…" and backslashes. */
export function splitCommand(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (c === '\\' && i + 1 < line.length && (quote === undefined || '"\\$`'.includes(line.charAt(i + 1)))) {
      word = (word ?? '') + line.charAt(++i);
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (quote) throw new UsageError(`--upstream: the quote ${quote} is not closed`);
  if (word !== undefined) words.push(word);
  if (words.length === 0) throw new UsageError('--upstream: give the command that starts the MCP server');
  return words;
}
