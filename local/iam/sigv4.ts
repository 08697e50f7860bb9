// Signature Version 4, verified as AWS verifies it, for every request local mode serves as AWS: the
// AWS JSON services (DynamoDB, EventBridge, Step Functions, SSM), SES v2 and the aws_iam API routes.
// Host and X-Amz-Date must be signed, X-Amz-Content-Sha256 (when sent) must be the body's hash, and
// the signature is computed over the body received, so a changed header or body is refused.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';

export interface LocalCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Why a signature was refused, with the error name AWS answers it with. */
type SignatureErrorCode =
  | 'MissingAuthenticationTokenException'
  | 'UnrecognizedClientException'
  | 'InvalidSignatureException'
  | 'IncompleteSignatureException';
export class SignatureRejected extends Error {
  readonly code: SignatureErrorCode;
  constructor(code: SignatureErrorCode, message: string) {
    super(message);
    this.name = 'SignatureRejected';
    this.code = code;
  }
}

/** The SHA-256 (or HMAC-SHA-256, given a secret) a SigV4 signer asks for, from node:crypto (also the tests' signer). */
type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: Data) =>
  typeof d === 'string'
    ? d
    : ArrayBuffer.isView(d)
      ? new Uint8Array(d.buffer, d.byteOffset, d.byteLength)
      : new Uint8Array(d);

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

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;._-]+), ?Signature=([0-9a-f]{64})$/;

/**
 * Verifies a SigV4-signed request for `service` in `region`; returns the access key that signed it.
 * `secretOf` answers the secret of a known access key, or undefined for a key local mode never issued.
 */
export async function verifySigV4(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  secretOf: (accessKeyId: string) => string | undefined,
  expected: { region: string; service: string },
): Promise<string> {
  const header = String(req.headers.authorization ?? '');
  if (!header)
    throw new SignatureRejected(
      'MissingAuthenticationTokenException',
      `Missing Authentication Token: sign the request with SigV4 (service ${expected.service}).`,
    );
  const auth = AUTH.exec(header);
  if (!auth)
    throw new SignatureRejected(
      'IncompleteSignatureException',
      `Authorization header is not a valid AWS4-HMAC-SHA256 signature: ${header.slice(0, 80)}`,
    );
  const [, accessKeyId, scopeDate, signedRegion, service, signedHeaders, signature] = auth as unknown as string[];
  const secretAccessKey = secretOf(accessKeyId!);
  if (secretAccessKey === undefined)
    throw new SignatureRejected(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  if (service !== expected.service || signedRegion !== expected.region) {
    throw new SignatureRejected(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region and to service ${expected.service} (${expected.region}), not '${signedRegion}/${service}'.`,
    );
  }
  const names = signedHeaders!.split(';');
  if (!names.includes('host'))
    throw new SignatureRejected(
      'InvalidSignatureException',
      "'Host' must be a 'SignedHeader' in the AWS Authorization.",
    );
  if (!names.includes('x-amz-date'))
    throw new SignatureRejected(
      'InvalidSignatureException',
      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    );
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = /^\d{8}T\d{6}Z$/.test(amzDate)
    ? new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      )
    : undefined;
  if (!signingDate || amzDate.slice(0, 8) !== scopeDate)
    throw new SignatureRejected(
      'IncompleteSignatureException',
      'X-Amz-Date is missing or does not match the date of the credential scope.',
    );
  if (Math.abs(Date.now() - signingDate.getTime()) > 15 * 60_000)
    throw new SignatureRejected(
      'InvalidSignatureException',
      'Signature expired: the request must be signed within 15 minutes of its X-Amz-Date.',
    );

  const bodyHash = createHash('sha256').update(body).digest('hex');
  const claimed = req.headers['x-amz-content-sha256'];
  if (claimed !== undefined && claimed !== bodyHash) {
    throw new SignatureRejected(
      'InvalidSignatureException',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  }
  const headers: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined)
      throw new SignatureRejected('InvalidSignatureException', `Signed header ${name} is missing from the request.`);
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // The hash of the body received, never the header's claim of it.
  headers['x-amz-content-sha256'] = bodyHash;
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams)
    query[k] = query[k] === undefined ? v : [...([] as string[]).concat(query[k]!), v];
  const signer = new SignatureV4({
    credentials: { accessKeyId: accessKeyId!, secretAccessKey },
    region: expected.region,
    service: expected.service,
    sha256: Sha256,
    uriEscapePath: expected.service !== 's3',
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port) || undefined,
      path: url.pathname,
      query,
      headers,
      body,
    },
    {
      signingDate,
      signableHeaders: new Set(names),
      unsignableHeaders: new Set(),
      signingRegion: expected.region,
      signingService: expected.service,
    },
  );
  const got =
    /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[1] ??
    '';
  if (got.length !== signature!.length || !timingSafeEqual(Buffer.from(got), Buffer.from(signature!))) {
    throw new SignatureRejected(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  return accessKeyId!;
}
