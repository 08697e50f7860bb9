// Each person may read times in their own zone: the directory's `timeZone`, checked as an IANA name at load,
// and the zone a page or email uses: the person's, else the step's calendar's, else UTC.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { approverZone } from '../../functions/app/emails.ts';
import { PolicyError } from '../../functions/domain/policy.ts';
import { parsePolicy } from '../../functions/domain/policy-yaml.ts';
import { newReview } from '../../functions/domain/review.ts';
import { proposal } from '../support/proposals.ts';

const dir = join(import.meta.dirname, '../../policy');
const policyText = readFileSync(join(dir, 'default.yml'), 'utf8');
const directoryText = readFileSync(join(dir, 'directory.yml'), 'utf8');
const files = { policy: 'policy/default.yml', directory: 'policy/directory.yml' };

function problems(directory: string): readonly string[] {
  try {
    parsePolicy(policyText, directory, files);
  } catch (e) {
    if (e instanceof PolicyError) return e.problems;
    throw e;
  }
  return [];
}

describe("a person's time zone in the directory", () => {
  it('is read from the shipped directory', () => {
    const policy = parsePolicy(policyText, directoryText, files);
    expect(policy.directory.person('mira.okafor')?.timeZone).toBe('America/New_York');
    expect(policy.directory.person('jonas.berg')?.timeZone).toBeUndefined();
  });

  it('refuses a zone that is not an IANA name, naming the file, the person and what to write', () => {
    const bad = directoryText
      .replace('timeZone: America/New_York }', 'timeZone: Eastern }')
      .replace('timeZone: Europe/London }', 'timeZone: 3 }');
    expect(problems(bad)).toEqual([
      'policy/directory.yml: people[0].timeZone: unknown time zone "Eastern"; use an IANA name such as Europe/Berlin or America/New_York',
      'policy/directory.yml: people[6].timeZone: must be an IANA time zone such as America/New_York',
    ]);
  });

  it("is the zone of the person's page and email; without one, the step's calendar's; without that, UTC", () => {
    // Priya without a zone of her own: her refund step counts working time on finance-eu (Europe/Berlin).
    const policy = parsePolicy(
      policyText,
      directoryText.replace(', timeZone: Europe/Berlin }', ' }').replace(', timeZone: America/New_York }', ' }'),
      files,
    );
    const deps = { directory: policy.directory, policy };
    const refund = proposal({
      action: { type: 'refund', summary: 'Refund', amount: { value: 20_000, currency: 'USD' } },
    });
    const r = newReview(refund, policy.classify(refund.action, refund), new Date('2026-12-02T10:00:00Z'));
    expect(r.route[0]?.sla.calendar).toBe('finance-eu');
    expect(approverZone(deps, r, 'priya.natarajan')).toBe('Europe/Berlin');
    const po = proposal({
      action: { type: 'purchase_order', summary: 'Desks', amount: { value: 5000, currency: 'USD' } },
    });
    const p = newReview(po, policy.classify(po.action, po), new Date('2026-12-02T10:00:00Z'));
    expect(approverZone(deps, p, 'mira.okafor')).toBe('UTC');
    expect(approverZone(deps, p, 'daniel.reyes')).toBe('America/Chicago');
  });
});
