// Policies are written in YAML; this reads them, with the position of any syntax error. Only the edges
// load it (sls package, local mode's start, tests): they compile each file to JSON for the functions,
// which so carry no YAML parser (compilePolicy in policy.ts does the rest).
import { LineCounter, parseDocument } from 'yaml';
import { compilePolicy, type Policy, type ReadFile } from './policy.ts';

/** The document's value, or undefined (with its problems recorded) when the text is not YAML. */
export function readYaml(text: string, file: string, problems: string[]): { value: unknown } | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      problems.push(`${file}: line ${line}, column ${col}: ${e.message}`);
    }
    return undefined;
  }
  try {
    return { value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    problems.push(`${file}: (top level): ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}
/** Every problem of a YAML policy and directory at once (PolicyError), or the policy. */
export function parsePolicy(
  policyText: string,
  directoryText: string,
  files?: { policy: string; directory: string },
): Policy {
  const problems: string[] = [];
  const policy: ReadFile = readYaml(policyText, files?.policy ?? 'policy.yml', problems);
  const directory: ReadFile = readYaml(directoryText, files?.directory ?? 'directory.yml', problems);
  return compilePolicy(policy, directory, files, problems);
}

/** A YAML policy or directory file's value as JSON, for the functions (throws when it is not YAML). */
export function yamlToJson(text: string, file: string): string {
  const problems: string[] = [];
  const read = readYaml(text, file, problems);
  if (!read) throw new Error(problems.join('\n'));
  return JSON.stringify(read.value);
}
