import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './local.ts';
import { QUIET_FUNCTIONS } from '../../local/app.ts';

export interface LocalProcess {
  url: string;
  dataDir: string;
  child: ChildProcess;
  output: () => string;
  /** Ctrl-C, as a person would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * `npm start`'s command in a child process, on a free port and a fresh data folder, removed when it stops (or
 * fails to start). With `HITL_DATA_DIR` in `env`, on that folder instead, which the caller owns and removes.
 */
export async function startLocalProcess(env: Record<string, string> = {}): Promise<LocalProcess> {
  const own = env.HITL_DATA_DIR === undefined;
  const dataDir = env.HITL_DATA_DIR ?? (await mkdtemp(join(tmpdir(), 'hitl-e2e-')));
  const removeOwn = () => (own ? rm(dataDir, { recursive: true, force: true }) : Promise.resolve());
  const child = spawn(process.execPath, ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HITL_DATA_DIR: dataDir, ...QUIET_FUNCTIONS, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`local mode did not start in 30 s:\n${out}`)), 30_000);
    const check = () => {
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local mode exited with ${code}:\n${out}`));
    });
  }).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await removeOwn();
    throw err;
  });
  return {
    url,
    dataDir,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGINT');
        await exited;
      }
      await removeOwn();
      return child.exitCode;
    },
  };
}
