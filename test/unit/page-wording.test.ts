// What the decision page and the approver's email say, as pure functions: money, deadlines in the approver's
// zone, quorum progress, what approving will do per action type, why a person decides, the subject, the banner.
import fc from 'fast-check';
import type { Action } from '../../events/index.ts';
import { reviewEmail } from '../../functions/app/emails.ts';
import { decide } from '../../functions/domain/decision.ts';
import { formatAmount, formatMoney } from '../../functions/domain/money.ts';
import { newReview, type Review } from '../../functions/domain/review.ts';
import { deadlineText, localTime, relativeTime, spanText, zoneFor, zoneName } from '../../functions/domain/when.ts';
import { wantsHtml, wantsJson } from '../../functions/http/responses.ts';
import { codeText, reviewPage } from '../../functions/http/review-page.ts';
import {
  approvingWill,
  emailSubject,
  outcomeBanner,
  partsHtml,
  partsText,
  quorumProgress,
  whyText,
} from '../../functions/http/review-words.ts';
import { shippedPolicy } from '../support/policy.ts';
import { proposal } from '../support/proposals.ts';

const OPENED = new Date('2026-12-02T14:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function review(action: Partial<Action>, requestedBy = 'sam.rivera'): Review {
  const p = proposal({ proposalId: 'PO-2026-0042', requestedBy, action });
  return newReview(p, shippedPolicy.classify(p.action, p), OPENED);
}
const purchaseOrder = (value = 5000) =>
  review({ type: 'purchase_order', summary: '12 laptops', amount: { value, currency: 'USD' } });
const schemaChange = () =>
  review({
    type: 'db_schema_change',
    summary: 'Add an index',
    target: 'production/orders',
    amount: undefined,
    payload: { sql: 'CREATE INDEX i ON orders (customer_id);' },
  });
const approve = (r: Review, approverId: string, edits?: Record<string, unknown>) =>
  decide(
    r,
    { approverId, decision: 'approve', ...(edits ? { edits } : {}) },
    shippedPolicy,
    new Date(OPENED.getTime() + MINUTE),
  ).next;

describe('money, one format everywhere', () => {
  it('formats cents with the currency symbol and always two decimals', () => {
    expect(formatMoney(500_000, 'USD')).toBe('$5,000.00');
    expect(formatMoney(120_000, 'EUR')).toBe('€1,200.00');
    expect(formatMoney(8_000, 'CAD')).toBe('CA$80.00');
    expect(formatMoney(123_456_789_012_345, 'USD')).toBe('$1,234,567,890,123.45');
    expect(formatAmount({ value: 4999.5, currency: 'GBP' })).toBe('£4,999.50');
    expect(formatAmount(undefined)).toBeUndefined();
  });

  it('shows a value the policy cannot read as money as it came, after its currency', () => {
    expect(formatAmount({ value: 'lots', currency: 'USD' })).toBe('USD lots');
    expect(formatAmount({ value: 1.005, currency: 'USD' })).toBe('USD 1.005');
  });

  it('keeps every cent of any amount up to a trillion, with no float rounding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000_000_000 }), (cents) => {
        const text = formatMoney(cents, 'USD');
        expect(text).toMatch(/^\$\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(BigInt(text.replace(/[$,.]/g, ''))).toBe(BigInt(cents));
      }),
    );
  });

  it('is what the policy says in its reasons, the page and the email alike', () => {
    const r = purchaseOrder();
    expect(r.reason).toContain('amount $5,000.00 is at least $1,000.00 and at most $10,000.00');
    expect(r.reason).not.toContain('USD');
    expect(emailSubject(r, 'UTC', OPENED)).toContain('$5,000.00');
    expect(reviewPage({ review: r, zone: 'UTC', now: OPENED })).toContain('<span class="amount">$5,000.00</span>');
  });
});

describe('times in the approver\u2019s zone', () => {
  it('takes the person\u2019s zone, else the calendar\u2019s, else UTC, and ignores one that is not a zone', () => {
    expect(zoneFor('America/New_York', 'Europe/Berlin')).toBe('America/New_York');
    expect(zoneFor(undefined, 'Europe/Berlin')).toBe('Europe/Berlin');
    expect(zoneFor('Mars/Olympus_Mons', undefined)).toBe('UTC');
    expect(zoneName('America/Los_Angeles')).toBe('Los Angeles time');
    expect(zoneName('UTC')).toBe('UTC');
  });

  it('says a deadline on the approver\u2019s wall clock, with how long is left', () => {
    const due = new Date(OPENED.getTime() + 3 * HOUR + 12 * MINUTE + 30_000).toISOString();
    expect(deadlineText(due, 'America/New_York', OPENED)).toBe('Wed, Dec 2, 12:12 PM New York time (in 3 h 12 min)');
    expect(deadlineText(due, 'Europe/Berlin', OPENED)).toBe('Wed, Dec 2, 6:12 PM Berlin time (in 3 h 12 min)');
    expect(deadlineText(due, 'UTC', OPENED)).toBe('Wed, Dec 2, 5:12 PM UTC (in 3 h 12 min)');
    // Across the New Year in Tokyo the year is said.
    expect(localTime('2026-12-31T16:00:00Z', 'Asia/Tokyo', OPENED)).toBe('Fri, Jan 1, 2027, 1:00 AM Tokyo time');
    expect(localTime(due, 'UTC', OPENED, { weekday: false })).toBe('Dec 2, 5:12 PM UTC');
  });

  it('counts down in at most two units, and says when a deadline has passed', () => {
    const at = (ms: number) => new Date(OPENED.getTime() + ms).toISOString();
    expect(relativeTime(at(30_000), OPENED)).toBe('in less than a minute');
    expect(relativeTime(at(45 * MINUTE), OPENED)).toBe('in 45 min');
    expect(relativeTime(at(4 * HOUR), OPENED)).toBe('in 4 h');
    expect(relativeTime(at(50 * HOUR + 59 * MINUTE), OPENED)).toBe('in 2 days 2 h');
    expect(relativeTime(at(-5 * MINUTE), OPENED)).toBe('5 min ago');
    expect(spanText(24 * HOUR)).toBe('1 day');
    expect(deadlineText(at(-90 * MINUTE), 'UTC', OPENED)).toBe('Wed, Dec 2, 12:30 PM UTC (overdue by 1 h 30 min)');
  });
});

describe('quorum progress in words', () => {
  it('names who approved and who is still awaited, never the approver who just approved', () => {
    const open = schemaChange();
    expect(quorumProgress(open)).toBe(
      '0 of 2 approvals: nobody has approved yet; waiting for two more of Raj Patel, Sam Adeyemi or Lena Fischer.',
    );
    const one = approve(open, 'sam.adeyemi');
    expect(one.status).toBe('PENDING');
    expect(quorumProgress(one)).toBe(
      '1 of 2 approvals: Sam Adeyemi approved; waiting for one more of Raj Patel or Lena Fischer.',
    );
  });

  it('names everyone left when all of them must approve, and says nothing where one approval decides', () => {
    const open = schemaChange();
    const twoApprovers = { ...open, route: [{ ...open.route[0]!, approvers: open.route[0]!.approvers.slice(1) }] };
    expect(quorumProgress(twoApprovers)).toBe(
      '0 of 2 approvals: nobody has approved yet; waiting for Sam Adeyemi and Lena Fischer.',
    );
    expect(quorumProgress(purchaseOrder())).toBeUndefined();
  });

  it('on the page after the first approval: progress, the others under "Waiting for", no "already used"', () => {
    const one = approve(schemaChange(), 'sam.adeyemi');
    const html = reviewPage({
      review: one,
      token: 't',
      done: 'recorded',
      blocked: { tone: 'ok', message: 'You approved this.' },
      zone: 'Europe/London',
      now: OPENED,
    });
    expect(html.match(/class="banner /g)).toHaveLength(1);
    expect(html).toContain('waiting for one more of Raj Patel or Lena Fischer.');
    expect(html).toContain('<dt>Waiting for</dt><dd>any one of Raj Patel or Lena Fischer</dd>');
    expect(html).not.toMatch(/already used/i);
  });
});

describe('what approving will do, one line per action type', () => {
  const line = (action: Partial<Action> & { type: string }) =>
    partsText(approvingWill({ summary: 'x', ...action } as Action));

  it('says each type in hitl-gate\u2019s words, with the agent\u2019s values quoted', () => {
    expect(line({ type: 'purchase_order', amount: { value: 5000, currency: 'USD' } })).toBe(
      'The agent places this purchase order for $5,000.00.',
    );
    expect(line({ type: 'refund', amount: { value: 120, currency: 'EUR' }, target: 'order-981' })).toBe(
      'The agent refunds €120.00 to "order-981".',
    );
    expect(
      line({ type: 'customer_email', target: 'ana@example.org', payload: { subject: 'Sorry', body: 'Hello' } }),
    ).toBe('hitl-gate sends this email to "ana@example[.]org" with the subject "Sorry", word for word as shown below.');
    expect(line({ type: 'db_schema_change', target: 'production/orders' })).toBe(
      'The agent runs the change below on "production/orders".',
    );
    expect(line({ type: 'schema_change' })).toBe('The agent runs the change below on a database it did not name.');
    expect(line({ type: 'ticket_priority', target: 'T-1' })).toBe('The agent performs this ticket priority on "T-1".');
  });

  it('never lets the agent\u2019s values become markup or a second line', () => {
    const html = partsHtml(
      approvingWill({
        type: 'refund',
        summary: 'x',
        target: '<img src=x onerror=alert(1)>\nApprove now: https://evil.example.com',
      } as Action),
    );
    expect(html).not.toMatch(/<img|https:\/\/|\n/);
    expect(html).toContain('<q class="agent"');
  });
});

describe('why a person decides', () => {
  it('says it in plain words: who, within how long, and what happens otherwise', () => {
    expect(whyText(purchaseOrder())).toBe(
      'The risk policy asks a manager to check this purchase order before it goes ahead, within 4 h. If nobody decides in time, it goes to Priya Natarajan (finance director).',
    );
    expect(whyText(purchaseOrder(50_000))).toBe(
      'Nothing happens until the CFO approves this purchase order, within 1 day. If nobody decides in time, it is rejected.',
    );
    expect(whyText(schemaChange())).toBe(
      'This database schema change is critical: it is blocked until 2 different people (DBA or engineering lead) approve it, within 4 h. If nobody decides in time, the approvers are reminded until someone decides.',
    );
  });

  it('does not quote the old amount once an approver has changed it', () => {
    const open = schemaChange();
    const po = purchaseOrder(5000);
    // A quorum review edited and approved by one, still waiting: the page speaks of the edited action only.
    const quorumPo: Review = { ...po, quorum: 2 };
    const edited = approve(quorumPo, 'mira.okafor', { 'amount.value': 4200 });
    expect(edited.status).toBe('PENDING');
    const html = reviewPage({ review: edited, zone: 'UTC', now: OPENED });
    const why = /<dt>Why a person decides<\/dt><dd>([^<]*)<\/dd>/.exec(html)?.[1];
    expect(why).toBeDefined();
    expect(why).not.toMatch(/5,000/);
    expect(html).toContain('<span class="amount">$4,200.00</span>');
    expect(whyText(open)).not.toMatch(/\$/);
  });
});

describe('the approver email', () => {
  it('has a subject with the amount, the summary on one line and the deadline in the approver\u2019s zone, no tier', () => {
    const r = purchaseOrder();
    expect(emailSubject(r, 'America/New_York', OPENED)).toBe(
      'Purchase order $5,000.00: "12 laptops" · decide by Wed, Dec 2, 1:00 PM New York time',
    );
    const critical = schemaChange();
    expect(emailSubject(critical, 'Europe/London', OPENED)).toBe(
      'Critical: Database schema change: "Add an index" · decide by Wed, Dec 2, 6:00 PM London time',
    );
    const hostile = review({ summary: 'Laptops\r\nBcc: x@evil.example.com\u202e [hitl-gate] medium review' });
    const subject = emailSubject(hostile, 'UTC', OPENED);
    expect(subject).not.toMatch(/[\r\n\u202e]/);
    expect(subject).toBe(
      'Purchase order $5,000.00: "Laptops Bcc: x@evil.example[.]com [hitl-gate] medium review" · decide by Wed, Dec 2, 6:00 PM UTC',
    );
  });

  it('shows the agent\u2019s reference and the deadline in the approver\u2019s zone, and no tier jargon', () => {
    const email = reviewEmail(
      purchaseOrder(),
      { id: 'mira.okafor', name: 'Mira Okafor', email: 'mira.okafor@example.com' },
      'https://hitl.example.com/reviews/rv-1?t=x',
      { zone: 'America/New_York', now: OPENED },
    );
    expect(email.text).toContain('  Reference: "PO-2026-0042"');
    expect(email.text).toContain('Decide by: Wed, Dec 2, 1:00 PM New York time (in 4 h)');
    expect(email.text).toContain('What: Purchase order of $5,000.00');
    expect(email.text).toContain('If you approve: The agent places this purchase order for $5,000.00.');
    expect(email.text).not.toMatch(/tier|USD|2026-12-02T/);
    expect(email.html).toContain('PO-2026-0042');
  });
});

describe('the banner after a decision', () => {
  it('is green for an approval and red for a rejection or an expiry, naming the people', () => {
    const approved = approve(purchaseOrder(), 'mira.okafor');
    expect(outcomeBanner(approved, 'UTC', OPENED)).toMatchObject({ tone: 'ok', title: 'Approved by Mira Okafor' });
    const rejected = decide(
      purchaseOrder(),
      { approverId: 'daniel.reyes', decision: 'reject', reason: 'Not this quarter' },
      shippedPolicy,
      OPENED,
    ).next;
    expect(outcomeBanner(rejected, 'UTC', OPENED)).toEqual({
      tone: 'bad',
      title: 'Rejected by Daniel Reyes',
      detail: '“Not this quarter” Wed, Dec 2, 2:00 PM UTC. The agent is being told.',
    });
    const page = reviewPage({ review: rejected, token: 't', done: 'rejected', zone: 'UTC', now: OPENED });
    expect(page.match(/class="banner /g)).toEqual(['class="banner ']);
    expect(page).toContain('class="banner bad"');
    expect(page).not.toContain('<form');
    expect(outcomeBanner(purchaseOrder(), 'UTC', OPENED)).toBeUndefined();
  });
});

describe('code and payloads on the page', () => {
  it('shows SQL as escaped text with its line breaks, without invisible or bidi characters', () => {
    expect(codeText('SELECT 1;\r\n-- \u202eevil\u202c\u200b\tx')).toBe('SELECT 1;\n-- evil  x');
    const html = reviewPage({
      review: review({
        type: 'db_schema_change',
        summary: 'x',
        target: 'staging/db',
        amount: undefined,
        payload: { sql: 'DROP TABLE t; -- </code></pre><script>alert(1)</script>', owner: { team: 'data' } },
      }),
      zone: 'UTC',
      now: OPENED,
    });
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain(
      `<pre><code>{\n  &quot;owner&quot;: {\n    &quot;team&quot;: &quot;data&quot;\n  }\n}</code></pre>`,
    );
  });
});

describe('what a GET of the link answers', () => {
  const event = (headers: Record<string, string>) => ({ headers });
  it('is HTML unless JSON is asked for by name, above HTML; other routes stay JSON', () => {
    expect(wantsJson(event({}))).toBe(false);
    expect(wantsJson(event({ accept: '*/*' }))).toBe(false);
    expect(wantsJson(event({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }))).toBe(false);
    expect(wantsJson(event({ accept: 'text/html, application/json;q=0.5' }))).toBe(false);
    expect(wantsJson(event({ accept: 'application/json;q=0' }))).toBe(false);
    expect(wantsJson(event({ accept: 'application/json' }))).toBe(true);
    expect(wantsJson(event({ accept: 'application/json, text/html;q=0.9' }))).toBe(true);
    // The routes for programs (status, decisions as JSON) stay JSON unless a browser asks for a page.
    expect(wantsHtml(event({}))).toBe(false);
    expect(wantsHtml(event({ accept: '*/*' }))).toBe(false);
    expect(wantsHtml(event({ accept: 'text/html' }))).toBe(true);
    expect(wantsHtml(event({ 'content-type': 'application/x-www-form-urlencoded' }))).toBe(true);
    expect(wantsHtml(event({ 'content-type': 'application/json' }))).toBe(false);
  });
});

describe('the emails of a review, on its page', () => {
  const page = (r: Review) => reviewPage({ review: r, token: 't', zone: 'Europe/London', now: OPENED });

  it('names who was emailed and when, and who still waits for their email', () => {
    const r = purchaseOrder();
    const [first, ...rest] = r.route[0]!.approvers;
    const emailed = {
      ...r,
      emailed: { step: 0, to: { [first!.id]: new Date(OPENED.getTime() + MINUTE).toISOString() } },
    };
    const html = page(emailed);
    expect(html).toContain(`<dt>Emails</dt><dd>emailed ${first!.name} at `);
    expect(html).toContain(
      `waiting to be emailed: ${rest.map((a) => a.name).join(' and ')} (emails go out at the sending rate)</dd>`,
    );
  });

  it('says nothing once every approver has been emailed, or of another step', () => {
    const r = purchaseOrder();
    const at = OPENED.toISOString();
    const all = { ...r, emailed: { step: 0, to: Object.fromEntries(r.route[0]!.approvers.map((a) => [a.id, at])) } };
    expect(page(all)).not.toContain('<dt>Emails</dt>');
    const stale = { ...r, emailed: { step: 1, to: Object.fromEntries(r.route[0]!.approvers.map((a) => [a.id, at])) } };
    expect(page(stale)).toContain('<dt>Emails</dt><dd>waiting to be emailed: ');
  });
});
