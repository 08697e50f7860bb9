import ssm from '@middy/ssm';
import { config } from '../config.ts';

/**
 * The decision links' HMAC key, fetched from Parameter Store (a Secrets Manager reference in AWS, the
 * local store in local mode) once per container by @middy/ssm and put on the Lambda context.
 */
export function linkKeyMiddleware() {
  return ssm({ fetchData: { linkKey: config().LINK_KEY_PARAMETER }, setToContext: true, cacheExpiry: 15 * 60_000 });
}

export function linkKeyFrom(context: unknown): Uint8Array {
  const key = (context as { linkKey?: unknown }).linkKey;
  if (typeof key !== 'string' || key.length < 32)
    throw new Error('the link-signing key is missing or shorter than 32 characters');
  return new TextEncoder().encode(key);
}
