// Raw requests to local mode, signed with SigV4 as an SDK signs them, carrying bodies no SDK would send
// (null, the wrong types, not JSON): what a hostile client puts on the wire.
import { request } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../local/iam/sigv4.ts';
import { serviceOfTarget } from '../../local/iam/requests.ts';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { INPUTS, PUT_EVENTS_MAX_ENTRIES } from '../../local/protocol.ts';
import { clients } from '../support/local.ts';
import type { ActionProposed } from '../../events/index.ts';

export interface WireAnswer {
  status: number;
  headers: Record<string, string>;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface WireRequest {
  method?: string;
  /** Path and query, e.g. `/reviews/x/status?a=1`. */
  path?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The signing service; unsigned when undefined. */
  service?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Sends `r` with node:http, so the request target goes out exactly as given (`//`, `%ZZ`, `..`). */
export async function wire(base: string, r: WireRequest): Promise<WireAnswer> {
  const origin = new URL(base);
  const target = r.path ?? '/';
  const method = r.method ?? 'POST';
  const body = method === 'GET' || method === 'HEAD' ? undefined : (r.body ?? '');
  // Framed by its length whatever the method (Node frames only some methods' bodies by itself).
  let headers: Record<string, string> = {
    ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
    ...r.headers,
  };
  if (r.service) {
    // Signed for the path and query as the server reads them from the target.
    let url: URL;
    try {
      url = new URL(target, origin);
    } catch {
      url = origin;
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await new SignatureV4({
      credentials: r.credentials ?? { accessKeyId: 'local', secretAccessKey: 'local' },
      region: 'eu-west-1',
      service: r.service,
      sha256: Sha256,
    }).sign({
      method,
      protocol: 'http:',
      hostname: origin.hostname,
      port: Number(origin.port),
      path: url.pathname,
      query,
      headers: { host: origin.host, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    headers = signed.headers as Record<string, string>;
  }
  const answer = await new Promise<{ status: number; headers: Record<string, string>; text: string }>((ok, fail) => {
    const req = request(
      { host: origin.hostname, port: origin.port, path: target, method, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          ok({
            status: res.statusCode ?? 0,
            headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
            text: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    json = undefined;
  }
  return { ...answer, json };
}

/** The AWS JSON operations local mode serves, with their signing service and content type. */
export const AWS_JSON_OPERATIONS = Object.keys(INPUTS)
  .filter((target) => serviceOfTarget(target))
  .map((target) => ({
    target,
    service: serviceOfTarget(target)!,
    contentType: target.startsWith('AWSStepFunctions.') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1',
  }));

/** A signed call of an AWS JSON operation (X-Amz-Target) with `body` exactly as given. */
export function awsJsonCall(base: string, target: string, body: string): Promise<WireAnswer> {
  const op = AWS_JSON_OPERATIONS.find((o) => o.target === target);
  const service = op?.service ?? serviceOfTarget(target) ?? 'events';
  return wire(base, {
    service,
    headers: { 'x-amz-target': target, 'content-type': op?.contentType ?? 'application/x-amz-json-1.1' },
    body,
  });
}

/** A signed SES v2 SendEmail (REST-JSON) with `body` exactly as given. */
export function sesSendEmailCall(base: string, body: string): Promise<WireAnswer> {
  return wire(base, {
    service: 'ses',
    path: '/v2/email/outbound-emails',
    headers: { 'content-type': 'application/json' },
    body,
  });
}

/** The error name an SDK reads from an answer: X-Amzn-ErrorType's first part, else the body's __type. */
export function errorName(a: WireAnswer): string | undefined {
  return a.headers['x-amzn-errortype']?.split(':')[0] ?? a.json?.__type;
}

/** "Action Proposed" on the bus with the real EventBridge client, as an agent puts it; the entries' ids, in order. */
export async function putProposals(base: string, proposals: ActionProposed[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < proposals.length; i += PUT_EVENTS_MAX_ENTRIES) {
    const out = await clients(base).eventBridge.send(
      new PutEventsCommand({
        Entries: proposals.slice(i, i + PUT_EVENTS_MAX_ENTRIES).map((p) => ({
          EventBusName: 'hitl-dev',
          Source: 'agent.procurement',
          DetailType: 'Action Proposed',
          Detail: JSON.stringify(p),
        })),
      }),
    );
    if (out.FailedEntryCount) throw new Error(`PutEvents refused proposals: ${JSON.stringify(out.Entries)}`);
    ids.push(...out.Entries!.map((e) => e.EventId!));
  }
  return ids;
}
