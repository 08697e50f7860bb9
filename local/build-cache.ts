// What local mode derives from serverless.yml with the framework (`sls print`, `sls package`) takes
// seconds; it depends only on a few files, so it is kept under node_modules/.cache/hitl-gate/, keyed by
// their contents, and made again only when one of them changes.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push(path);
  }
  return out.sort();
}

/** The files the framework reads to resolve the service: serverless.yml, the state machines, the local plugins, the lock file. */
async function inputsOf(root: string): Promise<string[]> {
  const under = async (dir: string, keep: (f: string) => boolean = () => true) =>
    (await filesUnder(resolve(root, dir))).filter(keep).map((f) => f.slice(root.length + 1));
  return [
    'serverless.yml',
    'package-lock.json',
    ...(await under('statemachines')),
    ...(await under('scripts', (f) => f.endsWith('.cjs'))),
  ];
}

/** `make()`'s text for these inputs, from the cache when it was made before. */
export async function cachedBuild(root: string, name: string, make: () => Promise<string>): Promise<string> {
  const hash = createHash('sha256').update(name);
  for (const file of await inputsOf(root)) hash.update(file).update(await readFile(resolve(root, file)));
  const dir = resolve(root, 'node_modules/.cache/hitl-gate');
  const file = join(dir, `${name}-${hash.digest('hex').slice(0, 16)}.json`);
  try {
    return await readFile(file, 'utf8');
  } catch {
    // Not made yet for these inputs.
  }
  const text = await make();
  await mkdir(dir, { recursive: true });
  // Written whole, then renamed: two processes making it at once never read half a file.
  await writeFile(`${file}.${process.pid}.tmp`, text);
  await rename(`${file}.${process.pid}.tmp`, file);
  return text;
}
