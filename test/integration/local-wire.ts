// Raw requests to local mode, signed with SigV4 as an SDK signs them, carrying bodies no SDK would send
// (null, the wrong types, not JSON): what a hostile client puts on the wire.
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '../../local/iam/sigv4.ts';
import { serviceOfTarget } from '../../local/iam/requests.ts';
import { INPUTS } from '../../local/protocol.ts';

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
  body?: string;
  /** The signing service; unsigned when undefined. */
  service?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export async function wire(base: string, r: WireRequest): Promise<WireAnswer> {
  const url = new URL(r.path ?? '/', base);
  const method = r.method ?? 'POST';
  const body = method === 'GET' || method === 'HEAD' ? undefined : (r.body ?? '');
  let headers: Record<string, string> = { ...r.headers };
  if (r.service) {
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
      hostname: url.hostname,
      port: Number(url.port),
      // As sent: the signer escapes the path as the server will read it.
      path: url.pathname,
      query,
      headers: { host: url.host, ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    headers = signed.headers as Record<string, string>;
  }
  const res = await fetch(url, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), text, json };
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
