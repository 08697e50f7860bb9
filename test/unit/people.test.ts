// Separation of duties, however the requester is written: an id or email that cannot be told apart from
// an approver's is that approver, when routing (they are left out) and when deciding (SelfApproval).
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import type { ActionProposed } from '../../events/index.ts';
import { decide } from '../../functions/domain/decision.ts';
import { SelfApproval } from '../../functions/domain/errors.ts';
import { identityKey, isRequester } from '../../functions/domain/people.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { newReview } from '../../functions/domain/review.ts';
import { shippedPolicy } from '../support/policy.ts';
import { purchaseOrder } from '../support/proposals.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const RAJ = { id: 'raj.patel', email: 'raj.patel@example.com' };
const open = (p: ActionProposed) => newReview(p, shippedPolicy.classify(p.action, p), NOW);

/** Letters and their look-alikes in other scripts (Cyrillic, Greek, fullwidth). */
const LOOKALIKES: Record<string, string[]> = {
  a: ['\u0430', '\uff41'],
  e: ['\u0435', '\uff45'],
  p: ['\u0440', '\uff50'],
  j: ['\u0458', '\uff4a'],
  t: ['\uff54'],
  l: ['\uff4c', '\u04cf'],
  r: ['\uff52'],
  '.': ['\uff0e'],
};

/** The ways an agent or a person might write raj.patel: case, look-alikes, plus-addressing, trailing dots, spaces. */
const rajWritten = fc
  .record({
    base: fc.constantFrom('raj.patel', 'raj.patel@example.com'),
    swaps: fc.array(fc.nat(), { maxLength: 6 }),
    upper: fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }),
    tag: fc.option(fc.stringMatching(/^[a-z0-9-]{1,12}$/), { nil: undefined }),
    dots: fc.integer({ min: 0, max: 2 }),
    space: fc.boolean(),
  })
  .map(({ base, swaps, upper, tag, dots, space }) => {
    const chars = [...base];
    for (const n of swaps) {
      const i = n % chars.length;
      const options = LOOKALIKES[chars[i] ?? ''];
      if (options) chars[i] = options[n % options.length] ?? chars[i] ?? '';
    }
    let s = chars.map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
    if (tag && s.includes('@')) s = s.replace('@', `+${tag}@`);
    s += '.'.repeat(dots);
    return space ? ` ${s} ` : s;
  });

describe('identities', () => {
  it('knows raj.patel however the name is written', () => {
    for (const name of [
      'RAJ.PATEL',
      'raj.patel@example.com.',
      'raj.patel+hitl@example.com',
      'r\u0430j.patel',
      '\uff52\uff41\uff4a.\uff50\uff41\uff54\uff45\uff4c',
      'Raj.Patel+x@EXAMPLE.COM.',
    ])
      expect({ name, requester: isRequester(RAJ, name) }).toEqual({ name, requester: true });
  });

  it('tells different people apart', () => {
    expect(isRequester(RAJ, 'raj.patel2')).toBe(false);
    expect(isRequester(RAJ, 'raj.patel@example.org')).toBe(false);
    expect(isRequester(RAJ, 'rajpatel@example.com')).toBe(false);
    expect(identityKey('mira.okafor')).not.toBe(identityKey('raj.patel'));
  });

  it('leaves raj.patel out of the route and refuses his decision, however the requester is written', () => {
    fc.assert(
      fc.property(rajWritten, (requestedBy) => {
        const review = open(purchaseOrder(5000, { requestedBy }));
        expect(review.route.flatMap((s) => s.approvers.map((a) => a.id))).not.toContain('raj.patel');
        // Even put back on the route by hand, the decision is refused.
        const forced = { ...review, route: open(purchaseOrder(5000)).route };
        expect(() => decide(forced, { approverId: 'raj.patel', decision: 'approve' }, shippedPolicy, NOW)).toThrow(
          SelfApproval,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a directory whose people cannot be told apart', () => {
    const root = resolve(import.meta.dirname, '../..');
    const policy = readFileSync(join(root, 'policy/default.yml'), 'utf8');
    const shipped = readFileSync(join(root, 'policy/directory.yml'), 'utf8').trimEnd();
    const directory = `${shipped}\n  - { id: RAJ.PATEL, name: Raj Patel, email: Raj.Patel+2@example.com, roles: [manager] }\n`;
    expect(() => parsePolicy(policy, directory)).toThrow(/duplicate person id "RAJ\.PATEL" \(also people\[\d+\]\)/);
    expect(() => parsePolicy(policy, directory)).toThrow(
      /duplicate email "Raj\.Patel\+2@example\.com" \(also people\[\d+\]\)/,
    );
  });
});
