// What an agent writes reaches approvers as quoted data: one line per field, links defanged, and nothing
// that can pass for hitl-gate's own words or link (issue: an agent may be prompt-injected).
import fc from 'fast-check';
import { noticeEmail, reviewEmail } from '../../functions/app/emails.ts';
import { newReview } from '../../functions/domain/review.ts';
import { agentText } from '../../functions/http/html.ts';
import { shippedPolicy } from '../support/policy.ts';
import { proposal } from '../support/proposals.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const LINK = 'https://hitl.example.com/reviews/rv-0123456789abcdef0123456789abcdef?t=real.token.value';
const APPROVER = { id: 'mira.okafor', name: 'Mira Okafor', email: 'mira.okafor@example.com' };
const INJECTION =
  'Laptops\n\nOpen the review to approve, edit or reject: http://evil.example.com/approve\n<a href="https://evil.example.com">Open the review</a>';

/** Text an attacker would try: line breaks of every kind, bidi overrides, URLs, markup, hitl-gate's own phrases. */
const hostile = fc
  .array(
    fc.oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom(
        '\n',
        '\r\n',
        '\u2028',
        '\u0085',
        '\u202e',
        '\u200b',
        '\t',
        'https://evil.example.com/x',
        'http://a.io',
        'www.evil.net',
        '<a href="https://evil.example.com">',
        'Open the review to approve, edit or reject: ',
        'hitl-gate',
      ),
    ),
    { maxLength: 12 },
  )
  .map((parts) => `x${parts.join('')}`);

function emailsFor(summary: string, target?: string, requestedBy = 'sam.rivera') {
  const p = proposal({ requestedBy, action: { summary, ...(target ? { target } : {}) } });
  const review = newReview(p, shippedPolicy.classify(p.action, p), NOW);
  return [
    reviewEmail(review, APPROVER, LINK, { zone: 'America/New_York', now: NOW }),
    noticeEmail(review, APPROVER, 'A review is waiting'),
  ];
}

describe("the agent's words in an approver's email", () => {
  it('keeps an injected line and link inside the quoted summary, defanged, below the real link', () => {
    const [email] = emailsFor(INJECTION);
    if (!email) throw new Error('no email');
    const lines = email.text.split('\n');
    expect(lines.filter((l) => l.startsWith('Open the review to approve, edit or reject: '))).toEqual([
      `Open the review to approve, edit or reject: ${LINK}`,
    ]);
    const summary = lines.find((l) => l.startsWith('  Summary: '));
    expect(summary).toBe(
      '  Summary: "Laptops Open the review to approve, edit or reject: hxxp[:]//evil.example[.]com/approve <a href="hxxps[:]//evil.example[.]com">Open the review</a>"',
    );
    expect(email.html.match(/<a /g)).toHaveLength(1);
    expect(email.html).toContain(`<a href="${LINK.replace(/&/g, '&amp;')}">Open the review</a>`);
  });

  it('carries the inbox link as a second link, after the review link, each exactly once', () => {
    const p = proposal({ action: { summary: 'Laptops' } });
    const review = newReview(p, shippedPolicy.classify(p.action, p), NOW);
    const inbox = 'https://hitl.example.com/inbox?t=inbox.token.sig';
    const email = reviewEmail(review, APPROVER, LINK, { zone: 'America/New_York', now: NOW, inboxLink: inbox });
    const lines = email.text.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(lines.filter((l) => l.includes(inbox))).toEqual([`Everything waiting for you: ${inbox}`]);
    expect(at('Everything waiting for you: ')).toBeGreaterThan(at('Open the review to approve, edit or reject: '));
    expect(email.html.match(/<a /g)).toHaveLength(2);
    expect(email.html).toContain(`<a href="${inbox}">Everything waiting for you</a>`);
  });

  it('never lets agent text add a line, a live link or markup, whatever it holds', () => {
    fc.assert(
      fc.property(hostile, fc.option(hostile, { nil: undefined }), hostile, (summary, target, requestedBy) => {
        for (const email of emailsFor(summary, target, requestedBy.slice(0, 256))) {
          const lines = email.text.split('\n');
          const from = lines.indexOf("What the agent wrote (its words, not hitl-gate's; links disabled):");
          expect(from).toBeGreaterThan(0);
          const agentLines = lines.slice(from + 1);
          // One line per field, each quoted; nothing after them.
          expect(agentLines).toHaveLength(target ? 5 : 4);
          for (const line of agentLines)
            expect(line).toMatch(/^ {2}(Summary|Target|Reference|Requested by|Agent): ".*"$/);
          expect(agentLines.join('\n')).not.toMatch(/https?:\/\/|[\u202a-\u202e\u2066-\u2069\u200b\u2028\u2029\r\t]/);
          // hitl-gate's own link is the one link, and comes before anything the agent wrote.
          const own = lines.filter((l) => l.startsWith('Open the review to approve, edit or reject: '));
          if (email.text.includes(LINK)) expect(own).toEqual([`Open the review to approve, edit or reject: ${LINK}`]);
          expect(email.html.match(/<a /g)?.length ?? 0).toBe(email.text.includes(LINK) ? 1 : 0);
          expect(email.subject).not.toMatch(/[\r\n]/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('shows ordinary text as it is', () => {
    expect(agentText('Laptops for the Lisbon team (12 × MacBook Air)')).toBe(
      'Laptops for the Lisbon team (12 × MacBook Air)',
    );
    expect(agentText('sam.rivera')).toBe('sam.rivera');
    expect(agentText('x'.repeat(600))).toHaveLength(500);
  });
});
