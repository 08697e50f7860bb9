// `hitl-gate mcp-gate --upstream "<command>"`: an MCP server in front of another, whose tool calls a person
// approves first where the policy says so (cli/src/mcp/gate.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { PolicyError } from '../../functions/domain/policy.ts';
import { CONNECTION_FLAGS, CONNECTION_USAGE, connect, parseFlags, splitCommand, UsageError } from './mcp/config.ts';
import { gateServer } from './mcp/gate.ts';
import { command as defineCommand, serveStdio } from './mcp/stdio.ts';

const USAGE = `usage: hitl-gate mcp-gate --upstream "<command that starts an MCP server>" [options]

An MCP server (stdio) with the upstream server's tools. Each call is classified by the policy: a low one
runs at once; any other waits for a person's approval, then runs once with the approved arguments.

  --upstream <command>   the upstream MCP server, started over stdio, e.g. "node shop-server.ts"
  --policy <file>        the risk policy and its tools mapping (default policy/default.yml)
  --directory <file>     its people directory (default: directory.yml next to the policy)
${CONNECTION_USAGE}`;

export const command = defineCommand('an MCP server in front of another: tool calls wait for approval', USAGE, run);

async function run(args: string[]): Promise<number> {
  const flags = parseFlags(args, {
    ...CONNECTION_FLAGS,
    upstream: { type: 'string' },
    policy: { type: 'string' },
    directory: { type: 'string' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (flags.upstream === undefined) throw new UsageError('--upstream is required');
  const [upstreamCommand, ...upstreamArgs] = splitCommand(flags.upstream);
  const { gate, agentId, requestedBy } = connect(flags);
  const policyFile = resolve(flags.policy ?? 'policy/default.yml');
  const directoryFile = resolve(flags.directory ?? join(dirname(policyFile), 'directory.yml'));
  for (const [flag, file] of [
    ['policy', policyFile],
    ['directory', directoryFile],
  ] as const)
    if (!existsSync(file)) throw new UsageError(`--${flag}: no file ${file}`);

  let policy: ReturnType<typeof parsePolicy>;
  try {
    policy = parsePolicy(readFileSync(policyFile, 'utf8'), readFileSync(directoryFile, 'utf8'), {
      policy: flags.policy ?? 'policy/default.yml',
      directory: flags.directory ?? join(dirname(flags.policy ?? 'policy/default.yml'), 'directory.yml'),
    });
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    process.stderr.write(`hitl-gate mcp-gate: the policy does not load:\n${err.message}\n`);
    return 1;
  }

  const upstream = new Client({ name: 'hitl-gate mcp-gate', version: '0.1.0' });
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    await upstream.connect(
      new StdioClientTransport({ command: upstreamCommand as string, args: upstreamArgs, env, stderr: 'inherit' }),
    );
  } catch (err) {
    process.stderr.write(
      `hitl-gate mcp-gate: the upstream ${JSON.stringify(flags.upstream)} did not start as an MCP server: ${err instanceof Error ? err.message : String(err)}\n`,
    );
    await upstream.close().catch(() => undefined);
    return 1;
  }
  const log = (line: string) => process.stderr.write(`hitl-gate mcp-gate: ${line}\n`);
  const { server, close } = gateServer({ upstream, gate, policy, agentId, requestedBy, log });
  log(`in front of ${upstream.getServerVersion()?.name ?? flags.upstream} as agent ${agentId} for ${requestedBy}`);
  await serveStdio(server, async () => {
    await close();
    await upstream.close();
  });
  return 0;
}
