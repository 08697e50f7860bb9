// A standing approval's id and the words for its scope, apart from its rules (standing.ts): the table's key
// design and the status API's view bundle none of those rules (nor the policy and events they read).
import { createHash } from 'node:crypto';
import type { GrantScope } from './model.ts';
import { formatMoney, toMinorUnits } from './money.ts';

/** A grant's id: its action type (so its item is found by type), then a digest of the review it was granted on. */
export function grantIdFor(reviewId: string, type: string): string {
  return `${type}.${createHash('sha256').update(reviewId, 'utf8').digest('hex').slice(0, 20)}`;
}

/** The action type a grant id names (undefined: not a grant id). */
export function grantTypeOf(grantId: string): string | undefined {
  const dot = grantId.lastIndexOf('.');
  if (dot < 1 || !/^[0-9a-f]{20}$/.test(grantId.slice(dot + 1))) return undefined;
  return grantId.slice(0, dot);
}

/**
 * "purchase_order, target acme, agent procurement-agent, at most USD 5,000.00". `instead` words a field otherwise,
 * as the page does for a field the approver is still editing ("at most the amount you set").
 */
export function describeScope(scope: GrantScope, instead: { target?: string; amount?: string } = {}): string {
  const parts = [scope.type];
  if (scope.target !== undefined)
    parts.push(instead.target ?? (scope.target === null ? 'no target' : `target ${scope.target}`));
  if (scope.agent !== undefined) parts.push(`agent ${scope.agent}`);
  if (scope.amount !== undefined)
    parts.push(
      instead.amount ??
        (scope.amount === null
          ? 'no amount'
          : `at most ${formatMoney(toMinorUnits(scope.amount.lte) ?? 0, scope.amount.currency)}`),
    );
  return parts.join(', ');
}
