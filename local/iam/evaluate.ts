// IAM policy evaluation as AWS does it for one account: an explicit Deny wins, then any Allow, else the
// implicit deny. Actions and resources match with * and ? wildcards (actions case-insensitively), and
// the condition operators the templates use are evaluated against the request's context keys.

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** A statement with where it came from, so a grant can be named in reports (`SweepIamRoleLambdaExecution[2]`). */
export interface Grant {
  id: string;
  statement: Statement;
}

export interface Request {
  action: string;
  resource: string;
  /** Condition keys of the request, e.g. `ses:FromAddress`, `events:source`, `aws:SourceArn`. Multi-valued keys are lists. */
  context?: Record<string, string | string[]>;
}

export type Decision =
  | { allowed: true; by: Grant }
  | { allowed: false; reason: 'explicit-deny' | 'no-allow'; by?: Grant };

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcard match: `*` any run of characters (also across `:` and `/`), `?` one character. */
export function wildcard(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'is' : 's',
  );
  return re.test(value);
}

const matchesAny = (patterns: string[], value: string, ignoreCase = false) =>
  patterns.some((p) => wildcard(p, value, ignoreCase));

function actionMatches(s: Statement, action: string): boolean {
  if (s.Action !== undefined) return matchesAny(list(s.Action), action, true);
  if (s.NotAction !== undefined) return !matchesAny(list(s.NotAction), action, true);
  return false;
}

function resourceMatches(s: Statement, resource: string): boolean {
  if (s.Resource !== undefined) return matchesAny(list(s.Resource), resource);
  if (s.NotResource !== undefined) return !matchesAny(list(s.NotResource), resource);
  return false;
}

type Compare = (expected: string, actual: string) => boolean;
const OPERATORS: Record<string, Compare> = {
  StringEquals: (e, a) => e === a,
  StringNotEquals: (e, a) => e !== a,
  StringEqualsIgnoreCase: (e, a) => e.toLowerCase() === a.toLowerCase(),
  StringNotEqualsIgnoreCase: (e, a) => e.toLowerCase() !== a.toLowerCase(),
  StringLike: (e, a) => wildcard(e, a),
  StringNotLike: (e, a) => !wildcard(e, a),
  ArnEquals: (e, a) => e === a,
  ArnNotEquals: (e, a) => e !== a,
  ArnLike: (e, a) => wildcard(e, a),
  ArnNotLike: (e, a) => !wildcard(e, a),
  Bool: (e, a) => e.toLowerCase() === a.toLowerCase(),
};
const NEGATED = new Set([
  'StringNotEquals',
  'StringNotEqualsIgnoreCase',
  'StringNotLike',
  'ArnNotEquals',
  'ArnNotLike',
]);

/** Thrown for an operator this evaluator does not know: a silent pass would allow what AWS may refuse. */
export class UnsupportedCondition extends Error {
  override readonly name = 'UnsupportedCondition';
}

function conditionHolds(
  operatorName: string,
  key: string,
  expectedRaw: string | string[] | boolean,
  context: Record<string, string | string[]>,
): boolean {
  let op = operatorName;
  let qualifier: 'ForAnyValue' | 'ForAllValues' | undefined;
  const q = /^(ForAnyValue|ForAllValues):(.+)$/.exec(op);
  if (q) [qualifier, op] = [q[1] as 'ForAnyValue' | 'ForAllValues', q[2]!];
  const ifExists = op.endsWith('IfExists');
  if (ifExists) op = op.slice(0, -'IfExists'.length);
  if (op === 'Null') {
    const absent = context[key] === undefined || context[key]!.length === 0;
    return String(expectedRaw).toLowerCase() === 'true' ? absent : !absent;
  }
  const compare = OPERATORS[op];
  if (!compare)
    throw new UnsupportedCondition(`condition operator ${operatorName} is not supported by local mode's IAM`);
  const expected = list(expectedRaw as string | string[]).map(String);
  const actualRaw = context[key];
  if (actualRaw === undefined) return ifExists || qualifier === 'ForAllValues';
  const actual = list(actualRaw);
  // One value of the key matches any expected value; a negated operator must hold against all of them.
  const one = (a: string) =>
    NEGATED.has(op) ? expected.every((e) => compare(e, a)) : expected.some((e) => compare(e, a));
  if (qualifier === 'ForAllValues') return actual.every(one);
  return actual.some(one);
}

function conditionsHold(s: Statement, context: Record<string, string | string[]>): boolean {
  for (const [operator, keys] of Object.entries(s.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      if (!conditionHolds(operator, key, expected, context)) return false;
    }
  }
  return true;
}

export function applies(s: Statement, req: Request): boolean {
  return actionMatches(s, req.action) && resourceMatches(s, req.resource) && conditionsHold(s, req.context ?? {});
}

/** The decision for one request against every grant that applies to the principal (identity and resource policies). */
export function evaluate(grants: readonly Grant[], req: Request): Decision {
  const deny = grants.find((g) => g.statement.Effect === 'Deny' && applies(g.statement, req));
  if (deny) return { allowed: false, reason: 'explicit-deny', by: deny };
  const allow = grants.find((g) => g.statement.Effect === 'Allow' && applies(g.statement, req));
  return allow ? { allowed: true, by: allow } : { allowed: false, reason: 'no-allow' };
}
