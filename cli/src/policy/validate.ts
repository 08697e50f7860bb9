// `hitl-gate policy validate [file]`: every error of a policy and its directory, then the warnings of one that
// loads, each with its file, line, column, rule and path. Exit 1 on errors, 0 otherwise.
import { analysePolicy } from '../../../functions/domain/policy/analysis.ts';
import { formatLocated, PolicyError, type Problem } from '../../../functions/domain/policy.ts';
import { locateProblems } from '../../../functions/domain/policy-yaml.ts';
import { DEFAULT_POLICY, flags, loadPolicy, type Out } from './common.ts';

const USAGE = 'hitl-gate policy validate [policy.yml] [--directory directory.yml] [--json]';

export function validate(args: string[], io: Out): number {
  const { values, positionals } = flags(
    args,
    { directory: { type: 'string' }, json: { type: 'boolean' } },
    { max: 1, usage: USAGE },
  );
  const file = positionals[0] ?? DEFAULT_POLICY;
  let errors: readonly Problem[] = [];
  let warnings: Problem[] = [];
  let summary = '';
  try {
    const loaded = loadPolicy(file, values.directory);
    const { compiled } = loaded;
    warnings = locateProblems(analysePolicy(compiled, file), { [file]: loaded.policy });
    summary = `${file} with ${loaded.directoryFile}: version ${compiled.version}, ${compiled.rules.length} rules and the default, ${compiled.directory.people().length} people`;
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    errors = err.details;
  }
  if (values.json) {
    io.out(JSON.stringify({ file, valid: errors.length === 0, errors, warnings }, null, 2));
    return errors.length ? 1 : 0;
  }
  if (summary) io.out(summary);
  for (const p of errors) io.out(`error: ${formatLocated(p)}`);
  for (const p of warnings) io.out(`warning: ${formatLocated(p)}`);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  io.out(
    errors.length
      ? `${file} does not load: ${count(errors.length, 'error')} (warnings are checked once it loads)`
      : `${file} is valid: ${count(warnings.length, 'warning')}`,
  );
  return errors.length ? 1 : 0;
}
