// Policies are written in YAML; this reads them, with the line and column of every problem. Only the edges
// load it (sls package, local mode's start, the hitl-gate CLI, tests): they compile each file to JSON for the
// functions, which so carry no YAML parser (compilePolicy in policy.ts does the rest).
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { compilePolicyParts } from './policy/compile.ts';
import { buildPolicy } from './policy/classify.ts';
import type { CompiledPolicy } from './policy/compiled.ts';
import { type Path, type Policy, PolicyError, type Problem } from './policy.ts';

/** A YAML file as read: its value, and where a path into that value is written in the text. */
export interface YamlFile {
  value: unknown;
  /** The line and column (1-based) of the entry at `path`, or of the nearest enclosing entry written in the file. */
  locate(path: Path): { line: number; column: number } | undefined;
}

/** The document's value, or undefined (with its problems recorded) when the text is not YAML. */
export function readYaml(text: string, file: string, problems: Problem[]): YamlFile | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      problems.push({ file, line, column: col, message: e.message });
    }
    return undefined;
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    problems.push({ file, path: [], message: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  return {
    value,
    locate(path) {
      // A map entry is found at its key (where the author reads `tier: medum`), a list item at the item.
      let node: unknown = doc.contents;
      let found = isNode(node) ? node.range?.[0] : undefined;
      for (const seg of path) {
        if (isAlias(node)) node = node.resolve(doc);
        if (isMap(node)) {
          const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
          if (!pair) break;
          found = (isNode(pair.key) ? pair.key.range?.[0] : undefined) ?? found;
          node = pair.value;
        } else if (isSeq(node) && typeof seg === 'number') {
          const item: unknown = node.items[seg];
          if (!isNode(item)) break;
          found = item.range?.[0] ?? found;
          node = item;
        } else break;
      }
      return found === undefined ? undefined : at(found);
    },
  };
}

function isNode(v: unknown): v is Node {
  return isScalar(v) || isMap(v) || isSeq(v) || isAlias(v);
}

/** The problems with the line and column of their path in the file they name, where that file was read. */
export function locateProblems(problems: readonly Problem[], files: Readonly<Record<string, YamlFile | undefined>>) {
  return problems.map((p): Problem => {
    const file = p.file === undefined || !Object.hasOwn(files, p.file) ? undefined : files[p.file];
    const where = p.line === undefined && p.path && file ? file.locate(p.path) : undefined;
    return where ? { ...p, ...where } : p;
  });
}

/** A YAML policy and directory compiled (every problem at once, located, in a PolicyError), with the files as read. */
export function readPolicyFiles(
  policyText: string,
  directoryText: string,
  files?: { policy: string; directory: string },
): { compiled: CompiledPolicy; policy: YamlFile; directory: YamlFile } {
  const names = { policy: files?.policy ?? 'policy.yml', directory: files?.directory ?? 'directory.yml' };
  const problems: Problem[] = [];
  const policy = readYaml(policyText, names.policy, problems);
  const directory = readYaml(directoryText, names.directory, problems);
  try {
    const compiled = compilePolicyParts(policy, directory, names, problems);
    // compilePolicyParts throws when any problem was found, so both files were read here.
    if (!policy || !directory) throw new PolicyError(problems);
    return { compiled, policy, directory };
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const read = { [names.directory]: directory, [names.policy]: policy };
    throw new PolicyError(locateProblems(err.details, read));
  }
}

/** Every problem of a YAML policy and directory at once (PolicyError, with lines and columns), or the policy. */
export function parsePolicy(
  policyText: string,
  directoryText: string,
  files?: { policy: string; directory: string },
): Policy {
  return buildPolicy(readPolicyFiles(policyText, directoryText, files).compiled);
}

/** A YAML policy or directory file's value as JSON, for the functions (throws when it is not YAML). */
export function yamlToJson(text: string, file: string): string {
  const problems: Problem[] = [];
  const read = readYaml(text, file, problems);
  if (!read) throw new PolicyError(problems);
  return JSON.stringify(read.value);
}
