// One local Lambda "container": a worker thread with the function's own environment (its settings and
// its own access key, as Lambda gives each function its role's credentials), hosting one handler.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

interface Data {
  module: string;
  exportName: string;
  clockModule: string;
  /** [origin, scale, offset] of local mode's clock, shared with the main thread. */
  clock: SharedArrayBuffer;
  timeoutMs: number;
}
interface Invocation {
  id: number;
  event: string;
  context: Omit<Context, 'getRemainingTimeInMillis' | 'done' | 'fail' | 'succeed'>;
}

const data = workerData as Data;
const clock = new Float64Array(data.clock);
const { useTimeSource } = (await import(pathToFileURL(data.clockModule).href)) as {
  useTimeSource: (fn: () => number) => void;
};
useTimeSource(() => Math.round(clock[0]! + (Date.now() - clock[0]!) * clock[1]! + clock[2]!));

const mod = (await import(pathToFileURL(data.module).href)) as Record<string, unknown>;
const handler = mod[data.exportName];
if (typeof handler !== 'function') throw new Error(`${data.module} has no exported function "${data.exportName}"`);

parentPort!.on('message', (msg: Invocation) => {
  const started = Date.now();
  // The handler's own time, as Lambda bills it (local mode's meter reads it; nothing else does).
  const since = performance.now();
  const context: Context = {
    ...msg.context,
    getRemainingTimeInMillis: () => Math.max(0, data.timeoutMs - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  Promise.resolve()
    .then(() => (handler as (e: unknown, c: Context) => Promise<unknown>)(JSON.parse(msg.event), context))
    .then(
      (result) =>
        parentPort!.postMessage({
          id: msg.id,
          ok: true,
          result: result === undefined ? 'null' : JSON.stringify(result),
          durationMs: performance.now() - since,
        }),
      (err: Error) =>
        parentPort!.postMessage({
          id: msg.id,
          ok: false,
          error: { name: err?.name ?? 'Error', message: String(err?.message ?? err), stack: err?.stack },
          durationMs: performance.now() - since,
        }),
    );
});
parentPort!.postMessage({ ready: true });
