import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../local/iam/sigv4.ts';
import { QUIET_FUNCTIONS, startLocal, type LocalApp, type LocalOptions } from '../../local/app.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Harness {
  app: LocalApp;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * Local mode in this process on a free port, with a fresh data folder and quiet functions (`environment`
 * overrides more; `options` changes local mode itself, e.g. SES's quota).
 */
export async function startHarness(
  environment: Record<string, string> = {},
  options: Pick<LocalOptions, 'sesQuota' | 'quotas'> = {},
): Promise<Harness> {
  const dataDir = await mkdtemp(join(tmpdir(), 'hitl-test-'));
  const app = await startLocal({
    root: ROOT,
    port: 0,
    dataDir,
    schedules: false,
    environment: { ...QUIET_FUNCTIONS, ...environment },
    ...options,
  });
  return {
    app,
    dataDir,
    async close() {
      await app.idle();
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Real AWS SDK clients pointed at local mode: only the endpoint differs from AWS. */
export function clients(url: string) {
  const common = {
    endpoint: url,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  return {
    eventBridge: new EventBridgeClient(common),
    sfn: new SFNClient(common),
    dynamo: DynamoDBDocumentClient.from(new DynamoDBClient(common)),
  };
}

/**
 * A request signed with SigV4 for execute-api, as an agent's HTTP client makes it for the IAM routes (or for
 * another service's REST API); a string body is sent as it is, an object as JSON.
 */
export async function signedFetch(
  base: string,
  method: 'GET' | 'POST',
  path: string,
  body?: object | string,
  secretAccessKey = 'local',
  service = 'execute-api',
  accessKeyId = 'local',
): Promise<Response> {
  const url = new URL(`${base}${path}`);
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region: 'eu-west-1',
    service,
    sha256: Sha256,
  });
  const text = body === undefined || typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {
    host: url.host,
    ...(text !== undefined ? { 'content-type': 'application/json' } : {}),
  };
  const request = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: {},
    headers,
    ...(text !== undefined ? { body: text } : {}),
  });
  return fetch(url, {
    method,
    headers: request.headers as Record<string, string>,
    ...(text !== undefined ? { body: text } : {}),
  });
}

export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
