// A policy's own test cases: a proposal and what the policy must do with it (tier, rule, and optionally the
// approvers of each step). Pure: given the cases file's value, it runs each case against a compiled policy.
// A malformed case is named by its path and counted as failed; the others still run (`hitl-gate policy test`).
import * as z from 'zod';
import { ActionProposed } from '../../../events/index.ts';
import { buildPolicy } from './classify.ts';
import type { CompiledPolicy } from './compiled.ts';
import { formatPath, PolicyError } from './model.ts';
import type { Classification, Path, Problem } from './model.ts';
import { isMapping, strict, TierName, zodProblems } from './schema.ts';

const Case = strict({
  name: z.string().trim().min(1, 'must not be empty').optional(),
  proposal: z.record(z.string(), z.unknown(), { error: 'must be a mapping: an Action Proposed detail' }),
  expect: strict({
    tier: TierName,
    rule: z.string({ error: 'must be the name of the rule that decides (or default)' }).min(1),
    approvers: z
      .array(z.array(z.string(), { error: 'must list the person ids of one step' }), {
        error: "must list each step's approvers, e.g. [[mira.okafor, raj.patel], [helen.cho]]",
      })
      .optional(),
  }),
});

/** What a case may leave out of its proposal: the policy looks at them only where a rule names an agent or a requester is left out. */
export const PROPOSAL_DEFAULTS = { agentId: 'policy-test', requestedBy: 'policy-test' };

export interface CaseResult {
  name: string;
  path: Path;
  passed: boolean;
  /** What differs, `what: expected X, got Y`. */
  diffs: string[];
  /** Why the case could not run (its file, path and what is wrong), or why the policy could not route it. */
  problems: Problem[];
  /** The classification's reason, for a case that ran. */
  reason?: string;
}

/** The cases of a cases file's value against the policy; a file with no `cases` list answers a problem instead. */
export function runCases(c: CompiledPolicy, value: unknown, file: string): CaseResult[] | Problem {
  const list = isMapping(value) ? value.cases : undefined;
  if (!Array.isArray(list) || list.length === 0)
    return { file, path: ['cases'], message: 'must list the cases: cases: [{ name, proposal, expect }, ...]' };
  const policy = buildPolicy(c);
  const ruleNames = [...c.rules.map((r) => r.name), c.fallback.name];
  return list.map((raw, i) => runCase(raw, ['cases', i], file, policy, ruleNames));
}

function runCase(
  raw: unknown,
  path: Path,
  file: string,
  policy: ReturnType<typeof buildPolicy>,
  ruleNames: string[],
): CaseResult {
  const given = isMapping(raw) && typeof raw.name === 'string' && raw.name.trim() ? raw.name.trim() : undefined;
  const refused = (problems: Problem[], name = given ?? formatPath(path)): CaseResult => ({
    name,
    path,
    passed: false,
    diffs: [],
    problems,
  });

  const shape = Case.safeParse(raw, { reportInput: true });
  if (!shape.success)
    return refused(zodProblems(file, shape.error).map((p) => ({ ...p, path: [...path, ...(p.path ?? [])] })));
  const { expect } = shape.data;
  const index = typeof path[1] === 'number' ? path[1] : 0;
  const parsed = ActionProposed.safeParse({
    proposalId: `case-${index + 1}`,
    ...PROPOSAL_DEFAULTS,
    ...shape.data.proposal,
  });
  const problems: Problem[] = [];
  if (!parsed.success)
    for (const iss of parsed.error.issues)
      problems.push({
        file,
        path: [...path, 'proposal', ...iss.path],
        message: `${iss.message} (intake would refuse this proposal as invalid)`,
      });
  if (!ruleNames.includes(expect.rule))
    problems.push({
      file,
      path: [...path, 'expect', 'rule'],
      message: `unknown rule "${expect.rule}"; the policy has ${ruleNames.join(', ')}`,
    });
  if (!parsed.success || problems.length) return refused(problems);

  const proposal = parsed.data;
  const name = given ?? `${formatPath(path)}: ${describeAction(proposal.action)}`;
  let got: Classification;
  try {
    got = policy.classify(proposal.action, proposal);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return refused([{ file, path, message: `the policy cannot route it: ${err.message}` }], name);
  }
  const diffs: string[] = [];
  if (got.tier !== expect.tier) diffs.push(`tier:      expected ${expect.tier}, got ${got.tier}`);
  if (got.rule !== expect.rule) diffs.push(`rule:      expected ${expect.rule}, got ${got.rule}`);
  if (expect.approvers) {
    const actual = got.steps.map((s) => s.approvers.map((a) => a.id));
    if (JSON.stringify(actual) !== JSON.stringify(expect.approvers))
      diffs.push(`approvers: expected ${stepsText(expect.approvers)}, got ${stepsText(actual)}`);
  }
  return { name, path, passed: diffs.length === 0, diffs, problems: [], reason: got.reason };
}

function stepsText(steps: string[][]): string {
  return steps.length ? steps.map((s) => `[${s.join(', ')}]`).join(' then ') : 'no approvers';
}

function describeAction(a: { type: string; amount?: { value: number; currency: string }; target?: string }): string {
  return [a.type, a.amount ? `${a.amount.currency} ${a.amount.value}` : '', a.target ? `on ${a.target}` : '']
    .filter(Boolean)
    .join(' ');
}
