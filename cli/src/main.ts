// The dispatcher: one module per command, loaded only when asked for, so `hitl-gate policy …`
// never loads the MCP SDK and the other way round.
export interface Command {
  /** One line for `hitl-gate help`. */
  summary: string;
  /** Runs the command; answers the process exit code (0 ok, 1 the command found problems, 2 a usage error). */
  run(args: string[]): Promise<number>;
}

const COMMANDS: Record<string, () => Promise<Command>> = {
  'mcp-gate': () => import('./mcp-gate.ts').then((m) => m.command),
  mcp: () => import('./mcp.ts').then((m) => m.command),
  policy: () => import('./policy.ts').then((m) => m.command),
};

function usage(): string {
  const lines = Object.keys(COMMANDS).map((name) => `  hitl-gate ${name}`);
  return ['usage: hitl-gate <command> [options]', '', 'commands:', ...lines, '  hitl-gate help'].join('\n');
}

export async function main(args: string[]): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!load) {
    process.stderr.write(`hitl-gate: unknown command "${name}"\n${usage()}\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}
