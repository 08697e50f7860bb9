// Serving an MCP server on this process's stdin and stdout until the client closes stdin.
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { UsageError } from './config.ts';

/** Serves until stdin ends (the client went away), then runs `close`. */
export async function serveStdio(server: Server, close: () => Promise<void>): Promise<void> {
  const ended = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.connect(new StdioServerTransport());
  await ended;
  await close();
}

/** A command whose usage errors print their reason and the usage, and exit 2. */
export function command(
  summary: string,
  usage: string,
  run: (args: string[]) => Promise<number>,
): { summary: string; run(args: string[]): Promise<number> } {
  return {
    summary,
    async run(args) {
      try {
        return await run(args);
      } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        process.stderr.write(`hitl-gate: ${err.message}\n\n${usage}\n`);
        return 2;
      }
    },
  };
}
