// From an MCP tool call to the action a person reviews, and from the approved action back to the call's
// arguments, as the policy's `tools` mapping says. Pure: no I/O.
import { type Action, Action as ActionSchema, describeIssues } from '../../../events/index.ts';
import { type ToolMapping, toMinorUnits } from '../../../functions/domain/policy.ts';

export type Arguments = Record<string, unknown>;

/** The call refused before anyone is asked: every problem names the argument (or the action field) at fault. */
export class ToolCallRefused extends Error {
  readonly problems: readonly string[];
  constructor(tool: string, problems: readonly string[]) {
    super(`hitl-gate refused the call of ${tool}: ${problems.join('; ')}`);
    this.name = 'ToolCallRefused';
    this.problems = problems;
  }
}

function get(args: Arguments, path: string): unknown {
  let at: unknown = args;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || Array.isArray(at) || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

function set(args: Arguments, path: string, value: unknown): void {
  const keys = path.split('.');
  let at: Record<string, unknown> = args;
  for (const key of keys.slice(0, -1)) {
    const next = at[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) at[key] = {};
    at = at[key] as Record<string, unknown>;
  }
  at[keys.at(-1) as string] = value;
}

/**
 * The action for a call of `tool` with `args`: its type from the mapping (default `mcp:<tool>`), the
 * arguments as payload, amount and target read from the mapped argument paths. Throws ToolCallRefused.
 */
export function actionFor(
  tool: { name: string; description?: string | undefined },
  args: Arguments,
  mapping: Readonly<ToolMapping> | undefined,
): Action {
  const problems: string[] = [];
  const action: Action = {
    type: mapping?.type ?? `mcp:${tool.name}`,
    summary: (mapping?.summary ?? summaryOf(tool)).slice(0, 2000),
    payload: structuredClone(args),
  };
  if (mapping?.amount !== undefined && mapping.currency !== undefined) {
    const value = get(args, mapping.amount);
    if (value === undefined)
      problems.push(`arguments.${mapping.amount}: is required (the policy maps it to the amount)`);
    else if (typeof value !== 'number' || toMinorUnits(value) === undefined)
      problems.push(
        `arguments.${mapping.amount}: must be an amount in ${mapping.currency}, a number not negative with at most two decimals, not ${JSON.stringify(value)}`,
      );
    else action.amount = { value, currency: mapping.currency };
  }
  if (mapping?.target !== undefined) {
    const value = get(args, mapping.target);
    if (value === undefined)
      problems.push(`arguments.${mapping.target}: is required (the policy maps it to the target)`);
    else if (typeof value !== 'string' || value.length === 0)
      problems.push(`arguments.${mapping.target}: must be text that is not empty (the policy maps it to the target)`);
    else action.target = value;
  }
  if (problems.length === 0) {
    const parsed = ActionSchema.safeParse(action);
    if (!parsed.success) problems.push(...describeIssues(parsed.error).map((p) => inArguments(p, mapping)));
  }
  if (problems.length > 0) throw new ToolCallRefused(tool.name, problems);
  return action;
}

/** An action field's problem, said of the argument it came from where there is one. */
function inArguments(problem: string, mapping: Readonly<ToolMapping> | undefined): string {
  const [path = '', what = ''] = problem.split(/: (.*)/s);
  if (path.startsWith('payload.')) return `arguments.${path.slice('payload.'.length)}: ${what}`;
  if (path === 'amount.value' && mapping?.amount) return `arguments.${mapping.amount}: ${what}`;
  if (path === 'target' && mapping?.target) return `arguments.${mapping.target}: ${what}`;
  return `action.${path}: ${what}`;
}

function summaryOf(tool: { name: string; description?: string | undefined }): string {
  const about = tool.description?.trim().split('\n')[0];
  return about ? `MCP tool ${tool.name}: ${about}` : `MCP tool ${tool.name}`;
}

/** The arguments to call the tool with once `approved` (edited or not): its payload, with the mapped fields written back. */
export function argumentsFrom(approved: Action, mapping: Readonly<ToolMapping> | undefined): Arguments {
  const args = structuredClone(approved.payload ?? {});
  if (mapping?.amount !== undefined && approved.amount) set(args, mapping.amount, approved.amount.value);
  if (mapping?.target !== undefined && approved.target !== undefined) set(args, mapping.target, approved.target);
  return args;
}
