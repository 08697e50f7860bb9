// `npm start`: local mode. PORT (default 3000), HITL_DATA_DIR (default .hitl/), HITL_PERSIST=1 keeps DynamoDB on disk.
import { resolve } from 'node:path';
import { startLocal } from './app.ts';
import { type SendingQuota, sesQuotaFrom } from './ses.ts';
import { type Quotas, quotasFrom } from './quotas.ts';

const root = resolve(import.meta.dirname, '..');
const started = performance.now();
const log = (line: string) => process.stderr.write(`${line}\n`);

process.on('unhandledRejection', (err) =>
  log(`unhandled rejection (local mode keeps running): ${(err as Error)?.stack ?? err}`),
);

// Handlers first: a Ctrl-C at any moment, even during start-up, stops cleanly.
let app: Awaited<ReturnType<typeof startLocal>> | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    log('stopping local mode...');
    setTimeout(() => process.exit(0), 5000).unref();
    if (!app) process.exit(0);
    void app
      .idle()
      .then(() => app!.close())
      .then(() => process.exit(0));
  });
}

let sesQuota: SendingQuota;
let quotas: Quotas;
try {
  sesQuota = sesQuotaFrom(process.env);
  quotas = quotasFrom(process.env);
} catch (err) {
  log(`local mode failed to start: ${(err as Error).message}`);
  process.exit(2);
}

app = await startLocal({
  root,
  port: Number(process.env.PORT ?? 3000),
  host: process.env.HOST ?? '127.0.0.1',
  dataDir: resolve(root, process.env.HITL_DATA_DIR ?? '.hitl'),
  persist: process.env.HITL_PERSIST === '1',
  stage: process.env.STAGE ?? 'dev',
  timeScale: Number(process.env.HITL_TIME_SCALE ?? 1),
  sesQuota,
  quotas,
  // Try another policy or directory without editing serverless.yml: POLICY_FILE=policy/next.yml npm start
  environment: Object.fromEntries(
    (['POLICY_FILE', 'DIRECTORY_FILE', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED'] as const).flatMap((k) =>
      process.env[k] ? [[k, process.env[k]]] : [],
    ),
  ),
  // Crash tests only (local/crash.ts): read here, from this process's own environment, and nowhere else.
  ...(process.env.HITL_CRASH_AT ? { crashAt: process.env.HITL_CRASH_AT } : {}),
  log,
}).catch((err: Error) => {
  log(`local mode failed to start: ${err.message}`);
  process.exit(1);
});

const dataDir = resolve(root, process.env.HITL_DATA_DIR ?? '.hitl');
const bus = app.wiring.buses[0];
process.stdout.write(
  [
    `hitl-gate local mode listening on ${app!.url} (started in ${Math.round(performance.now() - started)} ms)`,
    `  AWS endpoint (EventBridge, Step Functions, DynamoDB, SES v2): ${app.url}`,
    `  event bus:   ${bus}    e.g. new EventBridgeClient({ endpoint: '${app.url}' })`,
    `  outbox:      ${app.url}/_local/outbox   (${dataDir}/outbox/*.eml)`,
    `  events:      ${app.url}/_local/events   (${dataDir}/events.jsonl)`,
    `  clock:       ${app.url}/_local/clock   (time scale ${app.clock.scale}${app.clock.scale === 1 ? '; HITL_TIME_SCALE=3600 makes an hour pass in a second' : ''})`,
    `  store:       DynamoDB ${process.env.HITL_PERSIST === '1' ? `on disk in ${dataDir}/dynamodb` : 'in memory (HITL_PERSIST=1 keeps it on disk)'}`,
    'Ctrl-C stops.',
    '',
  ].join('\n'),
);
