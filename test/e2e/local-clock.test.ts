// Local mode's clock, persisted with its data (HITL_PERSIST=1): after a restart, simulated time goes on from where
// it was (a jump by POST /_local/clock included, and the time it was down), never back, so deadlines stay honest.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalClock, readReading } from '../../local/clock.ts';
import { startLocalProcess } from '../support/process.ts';

const HOUR = 3600_000;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hitl-clock-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

async function clockOf(url: string, advanceMs?: number): Promise<number> {
  const res =
    advanceMs === undefined
      ? await fetch(`${url}/_local/clock`)
      : await fetch(`${url}/_local/clock`, { method: 'POST', body: JSON.stringify({ advanceMs }) });
  expect(res.status).toBe(200);
  return Date.parse(((await res.json()) as { now: string }).now);
}

/** Local mode on `dir`, moved on by four hours, killed as a crash would, and started again on the same data. */
async function jumpAndRestart(persist: boolean): Promise<{ jumped: number; after: number }> {
  const env = { HITL_DATA_DIR: dir, ...(persist ? { HITL_PERSIST: '1' } : {}) };
  const first = await startLocalProcess(env);
  const jumped = await clockOf(first.url, 4 * HOUR);
  const exited = new Promise((r) => first.child.once('exit', r));
  first.child.kill('SIGKILL');
  await exited;
  const second = await startLocalProcess(env);
  try {
    return { jumped, after: await clockOf(second.url) };
  } finally {
    await second.stop();
  }
}

it('goes on from a jump of four hours after local mode is killed and started again on the same data', async () => {
  const { jumped, after } = await jumpAndRestart(true);
  expect(after).toBeGreaterThanOrEqual(jumped);
  expect(after - jumped).toBeLessThan(HOUR);
}, 90_000);

it('starts from the wall clock without persistence, as a fresh local mode does', async () => {
  const { after } = await jumpAndRestart(false);
  expect(Math.abs(after - Date.now())).toBeLessThan(HOUR);
}, 90_000);

it('counts the time it was down, and starts afresh from a damaged reading', async () => {
  const clock = new LocalClock(1, { now: Date.now() + 10 * HOUR, at: Date.now() - HOUR });
  expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(11 * HOUR - 1000);
  const file = join(dir, 'clock.json');
  await writeFile(file, '{"now": "soon"');
  expect(readReading(file)).toBeUndefined();
});
