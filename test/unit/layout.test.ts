// The layout shows the architecture: a handler folder (functions/<verb>/) is one Lambda's thin edge;
// what two of them share lives in domain/, app/, adapters/, executors/ or http/, never in another's folder.
// Import cycles (type-only ones included) are refused by the linter: biome.json's suspicious/noImportCycles.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const FUNCTIONS = resolve(import.meta.dirname, '../../functions');
const handlerFolders = readdirSync(FUNCTIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(FUNCTIONS, d.name, 'handler.ts')))
  .map((d) => d.name);

function importsOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/gm)].map((m) =>
    resolve(dirname(file), m[1]!),
  );
}

/** Every .ts file under a folder, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

it('finds the handler folders', () => {
  expect(handlerFolders).toEqual(expect.arrayContaining(['decide', 'sweep', 'escalate', 'review-page']));
});

it('keeps each handler folder to itself: none imports from another', () => {
  const crossings: string[] = [];
  for (const folder of handlerFolders) {
    for (const name of readdirSync(join(FUNCTIONS, folder)).filter((f) => f.endsWith('.ts'))) {
      const file = join(FUNCTIONS, folder, name);
      for (const target of importsOf(file)) {
        const top = relative(FUNCTIONS, target).split('/')[0]!;
        if (top !== folder && handlerFolders.includes(top))
          crossings.push(`${relative(FUNCTIONS, file)} -> ${relative(FUNCTIONS, target)}`);
      }
    }
  }
  expect(crossings).toEqual([]);
});

it('keeps shared modules from importing handler folders', () => {
  const crossings: string[] = [];
  for (const shared of ['domain', 'app', 'adapters', 'executors', 'http']) {
    for (const file of filesUnder(join(FUNCTIONS, shared))) {
      for (const target of importsOf(file))
        if (handlerFolders.includes(relative(FUNCTIONS, target).split('/')[0]!))
          crossings.push(`${relative(FUNCTIONS, file)} -> ${relative(FUNCTIONS, target)}`);
    }
  }
  expect(crossings).toEqual([]);
});
