// `npm run stack [-- --maps <dir>]`: a stack trace (or a log line) from a function's logs on stdin, written back
// with source files and lines. The zips carry no source maps and Lambda runs without --enable-source-maps
// (scripts/serverless-source-maps.cjs); `sls package` keeps the maps in <package folder>/sourcemaps/
// (.serverless/sourcemaps/ unless --package says otherwise). Use the maps of the package that was deployed.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, normalize } from 'node:path';

/** A position in a bundle, as Node prints it: `/var/task/functions/decide/handler.cjs:1:23456`. */
const FRAME = /(?:\/var\/task\/)?((?:[\w.-]+\/)*[\w.-]+\.cjs):(\d+):(\d+)/g;

/** The text with every bundle position that has a map in `mapsDir` replaced by its source file, line and column. */
export function mapStack(text: string, mapsDir: string): string {
  const maps = new Map<string, SourceMap | undefined>();
  const mapOf = (file: string) => {
    if (!maps.has(file)) {
      const path = join(mapsDir, `${file}.map`);
      maps.set(file, existsSync(path) ? new SourceMap(JSON.parse(readFileSync(path, 'utf8'))) : undefined);
    }
    return maps.get(file);
  };
  return text.replace(FRAME, (frame, file: string, line: string, column: string) => {
    const entry = mapOf(file)?.findEntry(Number(line) - 1, Number(column) - 1);
    if (!entry || !('originalSource' in entry)) return frame;
    // The maps' sources are relative to the build folder the bundle was written to (.esbuild/.build/).
    const source = normalize(join('.esbuild/.build', dirname(file), entry.originalSource));
    return `${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}`;
  });
}

if (import.meta.main) {
  const at = process.argv.indexOf('--maps');
  const mapsDir = at > 0 ? process.argv[at + 1]! : '.serverless/sourcemaps';
  if (!existsSync(mapsDir)) {
    process.stderr.write(`no source maps in ${mapsDir}: run \`npm run package\` (or pass --maps <dir>)\n`);
    process.exit(2);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  process.stdout.write(mapStack(Buffer.concat(chunks).toString('utf8'), mapsDir));
}
