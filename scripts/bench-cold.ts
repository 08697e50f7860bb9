// `npm run bench:cold`: each function's bundle as `sls package` zips it (size zipped, and its source map, which
// the package keeps beside the zip or, if a change put it back, in it), and its module load time on this Node
// (24, Lambda's runtime): the init a cold start pays before the handler runs, as deployed (no
// --enable-source-maps) and with the map linked and --enable-source-maps on, median of BENCH_COLD_RUNS fresh
// processes (default 10). `--json` for the figures alone.
import { execFile } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { printServerlessConfig, wiringFrom } from '../local/wiring.ts';

const root = resolve(import.meta.dirname, '..');
const runs = Number(process.env.BENCH_COLD_RUNS ?? 10);
const json = process.argv.includes('--json');
if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
  process.stderr.write(`BENCH_COLD_RUNS must be a whole number from 1 to 100, got "${process.env.BENCH_COLD_RUNS}"\n`);
  process.exit(2);
}
const run = promisify(execFile);
const say = (line: string) => {
  if (!json) process.stderr.write(`${line}\n`);
};

interface ZipEntry {
  name: string;
  method: number;
  compressedBytes: number;
  bytes: number;
  /** The entry's share of the zip: its local header, name and data, and its central directory record. */
  zippedBytes: number;
  data: () => Buffer;
}

/** A zip's entries, read from its central directory (the zips `sls package` writes: stored or deflated). */
function zipEntries(zip: Buffer): ZipEntry[] {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip file: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory record at ${at}`);
    const method = zip.readUInt16LE(at + 10);
    const compressedBytes = zip.readUInt32LE(at + 20);
    const bytes = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const offset = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const local = 30 + zip.readUInt16LE(offset + 26) + zip.readUInt16LE(offset + 28);
    const start = offset + local;
    entries.push({
      name,
      method,
      compressedBytes,
      bytes,
      zippedBytes: local + compressedBytes + 46 + nameLength + extra,
      data: () => {
        const raw = zip.subarray(start, start + compressedBytes);
        return method === 8 ? inflateRawSync(raw) : Buffer.from(raw);
      },
    });
    at += 46 + nameLength + extra;
  }
  return entries;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

// The child loads the bundle as Lambda's runtime does (require of the handler file) and reports the wall time
// and the CPU time it took: on a machine shared with other work the CPU time is the steadier figure.
const PROBE = [
  'const c=process.cpuUsage(),t=performance.now();for(const m of process.env.BENCH_REQUIRE.split(",").filter(Boolean))require(m);',
  'const w=performance.now()-t,u=process.cpuUsage(c);',
  'process.stdout.write(JSON.stringify({wall:w,cpu:(u.user+u.system)/1000}))',
].join('');

const out = await mkdtemp(join(tmpdir(), 'hitl-bench-cold-'));
try {
  say('packaging (sls package)...');
  await run(process.execPath, [resolve(root, 'node_modules/.bin/sls'), 'package', '--package', join(out, 'zips')], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const wiring = wiringFrom(await printServerlessConfig(root, 'dev'));
  const functions = [];
  for (const f of wiring.functions) {
    const zip = await readFile(join(out, 'zips', `${f.key}.zip`));
    const entries = zipEntries(zip);
    const code = entries.find((e) => e.name.endsWith('.cjs'));
    if (!code) throw new Error(`${f.key}.zip has no .cjs handler`);
    const mapInZip = entries.find((e) => e.name === `${code.name}.map`);
    const map = mapInZip
      ? mapInZip.data()
      : await readFile(join(out, 'zips', 'sourcemaps', `${code.name}.map`)).catch(() => undefined);
    const dir = join(out, 'fn', f.key);
    for (const e of entries) {
      await mkdir(dirname(join(dir, e.name)), { recursive: true });
      await writeFile(join(dir, e.name), e.data());
    }
    // Lambda's settings for the function, without the source-map option: each mode sets its own.
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      ...f.environment,
      NODE_OPTIONS: '',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: f.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
      LAMBDA_TASK_ROOT: dir,
      // The AWS SDK is left out of the bundles (Lambda's runtime provides it): resolved here from the project.
      NODE_PATH: resolve(root, 'node_modules'),
    };
    // The AWS SDK packages the bundle requires: loading them alone is the SDK's share of the init.
    const sdk = [
      ...new Set(
        [
          ...code
            .data()
            .toString()
            .matchAll(/require\("(@aws-sdk\/[^"]+)"\)/g),
        ].map((m) => m[1]!),
      ),
    ];
    const timing = async (flags: string[], modules = [join(dir, code.name)]) => {
      const wall: number[] = [];
      const cpu: number[] = [];
      for (let i = 0; i < runs; i++) {
        const { stdout } = await run(process.execPath, [...flags, '-e', PROBE], {
          cwd: dir,
          env: { ...env, BENCH_REQUIRE: modules.join(',') },
        });
        const sample = JSON.parse(stdout) as { wall: number; cpu: number };
        wall.push(sample.wall);
        cpu.push(sample.cpu);
      }
      return { wallMs: +median(wall).toFixed(1), cpuMs: +median(cpu).toFixed(1) };
    };
    say(`${f.key}: loading ${runs} times each way...`);
    const withoutSourceMaps = await timing([]);
    // The map next to the bundle and linked from it, as Node needs it to map stack traces.
    if (map && !mapInZip) {
      await writeFile(join(dir, `${code.name}.map`), map);
      await appendFile(join(dir, code.name), `\n//# sourceMappingURL=${code.name.split('/').at(-1)}.map\n`);
    }
    functions.push({
      function: f.key,
      zipBytes: zip.length,
      zipBytesWithoutSourceMap: zip.length - (mapInZip?.zippedBytes ?? 0),
      sourceMapInZip: mapInZip !== undefined,
      codeBytes: code.bytes,
      sourceMapBytes: map?.length ?? 0,
      sdkPackages: sdk,
      load: {
        withoutSourceMaps,
        withSourceMaps: map ? await timing(['--enable-source-maps']) : undefined,
        sdkAlone: await timing([], sdk),
      },
    });
  }
  const [load] = await run('cat', ['/proc/loadavg']).then(
    (r) => r.stdout.split(' '),
    () => ['unknown'],
  );
  const report = { node: process.version, runs, loadAverage: load, functions };
  if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    const kb = (b: number) => `${(b / 1024).toFixed(0)} KB`;
    const lines = [
      `Bundles as sls package zips them, and module load (init) on Node ${process.version}: median of ${runs} fresh processes (load average ${load})`,
      '  (map: the source map, in the zip when marked *, else kept beside it; the zip is what Lambda loads)',
      `  ${''.padEnd(54)}${'load, no maps'.padStart(18)}${'load, --enable-source-maps'.padStart(28)}${'AWS SDK alone'.padStart(20)}`,
      `  ${'function'.padEnd(18)}${'zipped'.padStart(9)}${'w/o map'.padStart(9)}${'code'.padStart(9)}${'map'.padStart(9)}${'CPU ms'.padStart(10)}${'wall ms'.padStart(9)}${'CPU ms'.padStart(14)}${'wall ms'.padStart(9)}${'CPU ms'.padStart(11)}${'clients'.padStart(9)}`,
      ...functions.map(
        (f) =>
          `  ${f.function.padEnd(18)}${kb(f.zipBytes).padStart(9)}${kb(f.zipBytesWithoutSourceMap).padStart(9)}${kb(f.codeBytes).padStart(9)}${`${kb(f.sourceMapBytes)}${f.sourceMapInZip ? '*' : ' '}`.padStart(10)}${String(f.load.withoutSourceMaps.cpuMs).padStart(8)}${String(f.load.withoutSourceMaps.wallMs).padStart(9)}${String(f.load.withSourceMaps?.cpuMs ?? '-').padStart(14)}${String(f.load.withSourceMaps?.wallMs ?? '-').padStart(9)}${String(f.load.sdkAlone.cpuMs).padStart(11)}${String(f.sdkPackages.filter((p) => p.startsWith('@aws-sdk/client-')).length).padStart(9)}`,
      ),
      '',
    ];
    process.stdout.write(lines.join('\n'));
  }
} finally {
  await rm(out, { recursive: true, force: true });
}
