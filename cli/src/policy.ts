// `hitl-gate policy validate | explain | test | replay`: a policy author's tools, run before a policy ships.
import { type Out, processOut, UsageError } from './policy/common.ts';

type Sub = (args: string[], io: Out) => number | Promise<number>;

const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<Sub> }> = {
  validate: {
    summary: 'validate [policy.yml]          every error and warning, by rule, line and column',
    load: () => import('./policy/validate.ts').then((m) => m.validate),
  },
  explain: {
    summary: 'explain <proposal.json | ->    the tier, the rules, the route, its people and deadlines',
    load: () => import('./policy/explain.ts').then((m) => m.explain),
  },
  test: {
    summary: "test [cases.yml]               run a policy's cases: proposal -> expected tier, rule, approvers",
    load: () => import('./policy/cases.ts').then((m) => m.test),
  },
  replay: {
    summary:
      'replay --archive <events> --policy <new.yml> [--baseline <old.yml>]   what a change does to past proposals',
    load: () => import('./policy/replay.ts').then((m) => m.replay),
  },
};

function usage(): string {
  return [
    'usage: hitl-gate policy <subcommand> [options]',
    '',
    ...Object.values(SUBCOMMANDS).map((s) => `  hitl-gate policy ${s.summary}`),
    '',
    'Exit codes: 0 fine, 1 problems found (errors, failed cases, a proposal that is not valid), 2 bad flags or an unreadable file.',
    'docs/policy.md describes each subcommand.',
  ].join('\n');
}

/** Runs a subcommand with the given streams: the exit code. */
export async function runPolicy(args: string[], io: Out): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const sub = Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (!sub) {
    io.err(`hitl-gate policy: unknown subcommand "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await (await sub.load())(rest, io);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`hitl-gate policy ${name}: ${err.message}`);
    return 2;
  }
}

/** main.ts's Command, by shape: importing the type from main.ts would make an import cycle. */
export const command = {
  summary: 'policy validate | explain | test | replay: see what a risk policy does before it ships',
  run: (args: string[]) => runPolicy(args, processOut),
};
