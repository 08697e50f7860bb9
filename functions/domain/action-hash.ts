import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { Action } from '../../events/index.ts';

/** SHA-256 (hex) of the action's RFC 8785 canonical JSON: the identity an approval is bound to. */
export function actionHash(action: Action): string {
  const canonical = canonicalize(action);
  if (canonical === undefined) throw new TypeError('action cannot be canonicalized');
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}
