// Local IAM for API routes with `authorizer: { type: aws_iam }`: the request must carry a valid
// Signature Version 4 made with local mode's access key, as API Gateway requires in AWS. The
// identity then reaches the handler in requestContext.authorizer.iam, as API Gateway puts it.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ACCOUNT } from './wiring.ts';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export class SignatureRejected extends Error {
  override readonly name = 'SignatureRejected';
}

/** The SHA-256 (or HMAC-SHA-256, given a secret) a SigV4 signer asks for, from node:crypto (also the tests' signer). */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) => (typeof d === 'string' ? d : ArrayBuffer.isView(d) ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength) : new Uint8Array(d));

export class Sha256 {
  readonly #hash;
  constructor(secret?: Data) {
    this.#hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Data): void {
    this.#hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.#hash.digest());
  }
  reset(): void {
    throw new Error('not supported');
  }
}

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;.-]+), ?Signature=([0-9a-f]{64})$/;

/** Verifies a SigV4-signed API request; returns the caller's identity or throws SignatureRejected with the reason. */
export async function verifySigV4(req: IncomingMessage, url: URL, body: Buffer, credentials: LocalCredentials, region: string) {
  const auth = AUTH.exec(String(req.headers.authorization ?? ''));
  if (!auth) throw new SignatureRejected('Missing Authentication Token: sign the request with SigV4 (service execute-api)');
  const [, accessKeyId, , signedRegion, service, signedHeaders, signature] = auth as unknown as string[];
  if (accessKeyId !== credentials.accessKeyId) throw new SignatureRejected('The security token included in the request is invalid.');
  if (service !== 'execute-api' || signedRegion !== region) throw new SignatureRejected(`Credential should be scoped to a valid region and to service execute-api (${region}).`);
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = /^\d{8}T\d{6}Z$/.test(amzDate) ? new Date(`${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`) : undefined;
  if (!signingDate || Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000) throw new SignatureRejected('Signature expired or X-Amz-Date missing: the request must be signed within 15 minutes.');

  const names = signedHeaders!.split(';');
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) throw new SignatureRejected(`Signed header ${name} is missing from the request.`);
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : [...([] as string[]).concat(query[k]!), v];
  const signer = new SignatureV4({ credentials, region, service: 'execute-api', sha256: Sha256, uriEscapePath: true, applyChecksum: false });
  const expected = await signer.sign(
    { method: req.method ?? 'GET', protocol: url.protocol, hostname: url.hostname, port: Number(url.port) || undefined, path: url.pathname, query, headers, body: body.toString('utf8') },
    { signingDate, signableHeaders: new Set(names), unsignableHeaders: new Set(), signingRegion: region, signingService: 'execute-api' },
  );
  const got = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization ?? expected.headers.Authorization ?? ''))?.[1] ?? '';
  if (got.length !== signature!.length || !timingSafeEqual(Buffer.from(got), Buffer.from(signature!))) {
    throw new SignatureRejected('The request signature we calculated does not match the signature you provided.');
  }
  return {
    accessKey: accessKeyId!,
    accountId: ACCOUNT,
    callerId: `AIDALOCAL${accessKeyId!.toUpperCase()}`,
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: `arn:aws:iam::${ACCOUNT}:user/${accessKeyId}`,
    userId: `AIDALOCAL${accessKeyId!.toUpperCase()}`,
  };
}
