// The decision flow as an approver lives it, in a real browser: the email's link, the page, the forms,
// the redirect after a decision, and what reaches the agent on the bus.
import {
  browserHarness,
  form,
  linkFor as emailedLink,
  outcomes as published,
  propose as proposeOn,
  screenshot,
  submit,
} from './pages.ts';

const env = browserHarness();

const MANAGER = 'mira.okafor@example.com';

/** A $5,000 purchase order (medium: one of the managers decides) with a summary of its own, put on the bus. */
const propose = (summary: string) => proposeOn(env.h, { summary });
const linkFor = (reviewId: string) => emailedLink(env.h, reviewId, MANAGER);
const outcomes = (reviewId: string) => published(env.h, reviewId);

/** The review as the status API shows it (same link, asking for JSON). */
async function status(link: string) {
  const res = await fetch(link, { headers: { accept: 'application/json' } });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; decision?: unknown; approvals: string[]; history: { what: string }[] };
}

describe('decision page in a browser', () => {
  it('an approver opens the link from the outbox, lowers the amount and approves', async () => {
    const summary = 'Laptops for the Lisbon team';
    const { reviewId } = await propose(summary);

    const page = await env.browser.newPage();
    await page.goto(`${env.h.app.url}/_local/outbox`);
    const row = page.locator('tbody tr').filter({ hasText: MANAGER }).filter({ hasText: summary });
    await row.getByRole('link', { name: `Purchase order $5,000.00: "${summary}" · decide by`, exact: false }).click();
    await page.waitForURL(/\/_local\/outbox\/.+\.eml$/);

    // The link in the message targets the top window, as a mail client opens it.
    await page.frameLocator('iframe[title="Message body"]').getByRole('link', { name: 'Open the review' }).click();
    await page.waitForURL(new RegExp(`/reviews/${reviewId}\\?t=`));

    // The heading is hitl-gate's words (the kind and the amount); the agent's summary is quoted data.
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Purchase order $5,000.00');
    await expect(page.locator('.summary q.agent').textContent()).resolves.toBe(summary);
    const facts = page.locator('dl.facts');
    const fact = (name: string) => facts.locator(`dt:text-is("${name}") + dd`).textContent();
    await expect(fact('Requested by')).resolves.toBe('sam.rivera through the agent procurement-agent');
    await expect(fact('Risk')).resolves.toMatch(/^medium risk/);
    await expect(fact('Why a person decides')).resolves.toContain('asks a manager to check this purchase order');
    await expect(fact('Policy')).resolves.toContain('purchase-order-manager');
    await expect(fact('Status')).resolves.toBe('Waiting for a decision');
    await expect(fact('Waiting for')).resolves.toContain('Mira Okafor');
    const deadline = Date.parse(
      (await page.locator('dl.key dt:text-is("Decide by") + dd time').getAttribute('datetime'))!,
    );
    expect(deadline - Date.now()).toBeGreaterThan(3.9 * 3600_000);
    expect(deadline - Date.now()).toBeLessThanOrEqual(4 * 3600_000);

    await expect(page.getByText('You decide as Mira Okafor.').count()).resolves.toBe(1);
    await expect(form(page, 'Approve').getByRole('button', { name: 'Approve', exact: true }).count()).resolves.toBe(1);
    const edit = form(page, 'Edit and approve');
    const amountField = edit.getByLabel('Amount (USD)');
    await expect(amountField.getAttribute('name')).resolves.toBe('edit.amount.value');
    await expect(amountField.inputValue()).resolves.toBe('5000');
    await expect(edit.getByLabel('Summary').inputValue()).resolves.toBe(summary);
    const reject = form(page, 'Reject');
    await expect(reject.getByLabel(/^Reason/).getAttribute('required')).resolves.not.toBeNull();

    await amountField.fill('800');
    const response = await submit(page, edit.getByRole('button', { name: 'Approve with these changes' }));
    // Post/Redirect/Get: the POST answered 303, the page that follows is a plain GET.
    expect(response.status()).toBe(200);
    expect(response.request().redirectedFrom()?.method()).toBe('POST');
    expect((await response.request().redirectedFrom()!.response())!.status()).toBe(303);
    expect(page.url()).toMatch(/done=approved/);

    // One banner, green, saying who approved and that it was changed.
    await expect(page.locator('.banner').count()).resolves.toBe(1);
    await expect(page.locator('.banner.ok strong').textContent()).resolves.toBe(
      'Approved by Mira Okafor, with changes',
    );
    await expect(page.locator('.banner.ok').textContent()).resolves.toContain('New York time.');
    await expect(page.locator('h1 .amount').textContent()).resolves.toBe('$800.00');
    await expect(
      page
        .locator('tbody tr')
        .filter({ hasText: 'Mira Okafor' })
        .filter({ hasText: 'approved' })
        .filter({ hasText: /5000\b.*\b800\b/ })
        .count(),
    ).resolves.toBe(1);
    await expect(page.locator('form').count()).resolves.toBe(0);
    await page.close();

    await env.h.app.idle();
    const granted = outcomes(reviewId).filter((e) => e.type === 'Approval Granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]!.detail).toMatchObject({
      action: { amount: { value: 800, currency: 'USD' } },
      edited: true,
      decidedBy: [{ id: 'mira.okafor', kind: 'person' }],
    });
  });

  it('an approver rejects another with a reason', async () => {
    const { reviewId } = await propose('Standing desks for the Porto office');
    const link = await linkFor(reviewId);
    const page = await env.browser.newPage();
    await page.goto(link);
    const reject = form(page, 'Reject');
    const button = reject.getByRole('button', { name: 'Reject', exact: true });

    // An empty reason: the browser's own validation keeps the form from being sent.
    const posts: string[] = [];
    page.on('request', (r) => void (r.method() === 'POST' && posts.push(r.url())));
    await button.click();
    await expect(
      reject.getByLabel(/^Reason/).evaluate((el) => (el as HTMLTextAreaElement).validity.valueMissing),
    ).resolves.toBe(true);
    await page.waitForTimeout(150);
    expect(posts).toEqual([]);
    expect(page.url()).toBe(link);
    expect((await status(link)).status).toBe('PENDING');

    const reason = 'We already have enough desks in Porto.';
    await reject.getByLabel(/^Reason/).fill(reason);
    const response = await submit(page, button);
    expect(response.status()).toBe(200);
    expect(posts).toHaveLength(1);
    await expect(page.locator('.banner').count()).resolves.toBe(1);
    await expect(
      page.locator('.banner.bad').filter({ hasText: 'Rejected by Mira Okafor' }).filter({ hasText: reason }).count(),
    ).resolves.toBe(1);
    await page.close();

    await env.h.app.idle();
    const rejected = outcomes(reviewId).filter((e) => e.type === 'Approval Rejected');
    expect(rejected).toHaveLength(1);
    expect(rejected[0]!.detail).toMatchObject({ reason, decidedBy: [{ id: 'mira.okafor', kind: 'person' }] });
    expect(outcomes(reviewId).map((e) => e.type)).not.toContain('Approval Granted');
  });

  it('opening the link changes nothing', async () => {
    const { reviewId } = await propose('Monitors for the support desk');
    const link = await linkFor(reviewId);
    const before = await status(link);
    const page = await env.browser.newPage();
    for (let i = 0; i < 3; i++) expect((await page.goto(link))!.status()).toBe(200);
    await page.close();
    await env.h.app.idle();

    const after = await status(link);
    expect(after.status).toBe('PENDING');
    expect(after.decision).toBeUndefined();
    expect(after.approvals).toEqual([]);
    expect(after.history.map((e) => e.what)).toEqual(['opened', 'notified']);
    expect(after.history).toEqual(before.history);
    expect(outcomes(reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
  });

  it('a second click on a used link shows the outcome, not an error page', async () => {
    const { reviewId } = await propose('Headsets for the call centre');
    const link = await linkFor(reviewId);
    const page = await env.browser.newPage();
    // The same link opened earlier in another tab, whose form is still on screen.
    const stale = await env.browser.newPage();
    await stale.goto(link);
    await page.goto(link);
    await submit(page, form(page, 'Approve').getByRole('button', { name: 'Approve', exact: true }));
    await expect(page.locator('.banner.ok strong').textContent()).resolves.toBe('Approved by Mira Okafor');

    // Back: the page is no-store, so the browser loads it again and it shows the outcome, with no form to send.
    expect((await page.goBack())!.status()).toBe(200);
    expect(page.url()).toBe(link);
    await expect(page.locator('form').count()).resolves.toBe(0);
    await expect(page.locator('.banner').count()).resolves.toBe(1);
    await expect(page.locator('.banner.ok strong').textContent()).resolves.toBe('Approved by Mira Okafor');

    // The form still on screen in the other tab, sent again: the same request, so the same answer, not an error.
    const response = await submit(stale, form(stale, 'Approve').getByRole('button', { name: 'Approve', exact: true }));
    expect(response.status()).toBe(200);
    expect(stale.url()).toMatch(/done=approved/);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text the approver sees, not the DOM property.
    const text = await stale.locator('body').innerText();
    expect(text).not.toMatch(
      /error|exception|stack|\bat \S+ \(|internal|something went wrong|not yours|does not work/i,
    );
    await expect(stale.locator('.banner').count()).resolves.toBe(1);
    await expect(stale.locator('.banner.ok strong').textContent()).resolves.toBe('Approved by Mira Okafor');
    await expect(stale.locator('form').count()).resolves.toBe(0);
    await page.close();
    await stale.close();

    await env.h.app.idle();
    expect(outcomes(reviewId).filter((e) => e.type === 'Approval Granted')).toHaveLength(1);
  });

  it('the page is usable without JavaScript', async () => {
    const { reviewId } = await propose('Chairs for the meeting rooms');
    const link = await linkFor(reviewId);
    const context = await env.browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(link);
    await form(page, 'Approve').getByLabel('Note (optional)').fill('Fine within the quarter budget.');
    const response = await submit(page, form(page, 'Approve').getByRole('button', { name: 'Approve', exact: true }));
    expect(response.status()).toBe(200);
    await expect(page.locator('.banner.ok strong').textContent()).resolves.toBe('Approved by Mira Okafor');
    await context.close();

    await env.h.app.idle();
    const granted = outcomes(reviewId).filter((e) => e.type === 'Approval Granted');
    expect(granted).toHaveLength(1);
    expect(granted[0]!.detail).toMatchObject({
      reason: 'Fine within the quarter budget.',
      edited: false,
      action: { amount: { value: 5000 } },
    });
  });

  it('the decision page passes basic accessibility checks and sends its security headers', async () => {
    const { reviewId } = await propose('Docking stations for the design team');
    const link = await linkFor(reviewId);
    const page = await env.browser.newPage();
    const cspViolations: string[] = [];
    page.on(
      'console',
      (m) => void (/Content Security Policy|Refused to/i.test(m.text()) && cspViolations.push(m.text())),
    );
    const response = (await page.goto(link))!;

    const headers = response.headers();
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).toContain("form-action 'self'");
    expect(headers['cache-control']).toBe('no-store');

    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.locator('h1').count()).resolves.toBe(1);
    await expect(page.title()).resolves.toContain('Docking stations for the design team');

    // Every visible field is found by its label, and the label names that very field.
    const fields = page.locator('input:not([type=hidden]), textarea, select');
    const n = await fields.count();
    // approve note, a standing approval and its duration; reject reason; amount, summary, note, a standing approval
    // and its duration in the edit form
    expect(n).toBe(9);
    for (let i = 0; i < n; i++) {
      const field = fields.nth(i);
      const id = await field.getAttribute('id');
      const label = (await page.locator(`label[for="${id}"]`).textContent())!.trim();
      expect(label).not.toBe('');
      const byLabel = page.getByLabel(label, { exact: true });
      // The same label text may name a field in each form ("Note (optional)"): the field is among them.
      const ids = await byLabel.evaluateAll((els) => els.map((e) => e.id));
      expect(ids).toContain(id);
    }

    // Buttons have names, and the three decisions are found by them.
    const buttons = page.getByRole('button');
    const names = (await buttons.allInnerTexts()).map((t) => t.trim());
    expect(names).toEqual(['Approve', 'Reject', 'Approve with these changes']);
    for (const name of names) await expect(page.getByRole('button', { name, exact: true }).count()).resolves.toBe(1);

    // The CSP lets the page's own stylesheet in (its hash matches): the styles apply and nothing was refused.
    await expect(page.locator('body').evaluate((b) => getComputedStyle(b).backgroundColor)).resolves.toBe(
      'rgb(245, 246, 248)',
    );
    expect(cspViolations).toEqual([]);

    // Nothing spills sideways, even on a phone.
    for (const width of [1280, 375, 320]) {
      await page.setViewportSize({ width, height: 900 });
      await expect(
        page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
      ).resolves.toBe(true);
    }
    await page.setViewportSize({ width: 1000, height: 900 });
    await page.close();
    expect(outcomes(reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
  });
});

describe('a standing approval from the page', () => {
  it('a manager ticks "also approve later proposals like this one": the next order to that vendor is approved by it, and the page lists it', async () => {
    const target = `browser-vendor-${process.pid}`;
    const { reviewId } = await proposeOn(env.h, { summary: 'Monthly paper order', target });
    const link = await linkFor(reviewId);
    const page = await env.browser.newPage();
    await page.goto(link);
    const standing = page.getByLabel('Also approve later proposals like this one', { exact: false });
    await expect(page.locator('label[for="standing"]').textContent()).resolves.toContain(
      `purchase_order, target ${target}, at most $5,000.00`,
    );
    await expect(page.locator('#standing-duration').inputValue()).resolves.toBe('8h');
    await standing.check();
    await page.locator('#standing-duration').fill('2h');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'decision-phone-standing');
    await page.getByRole('button', { name: 'Approve', exact: true }).click();
    await page.waitForURL(/done=approved/);
    const listed = page.locator('section.grants li');
    await expect(listed.count()).resolves.toBe(1);
    await expect(listed.textContent()).resolves.toMatch(/by Mira Okafor: purchase_order, target .+; used 0 times/);

    const next = await proposeOn(env.h, { summary: 'Paper again', target, amount: { value: 1200, currency: 'USD' } });
    await env.h.app.idle();
    expect(outcomes(next.reviewId).map((e) => e.type)).toEqual(['Approval Granted']);
    await page.reload();
    await expect(page.locator('section.grants li').textContent()).resolves.toContain('used 1 time');
    await page.close();
  });

  it("a manager edits the amount down and ticks the edit form's standing approval: its scope is the edited amount", async () => {
    const target = `browser-edit-vendor-${process.pid}`;
    const { reviewId } = await proposeOn(env.h, { summary: 'Chairs', target });
    const page = await env.browser.newPage();
    await page.goto(await linkFor(reviewId));
    const edit = page.locator('form.edit');
    await expect(edit.locator('label[for="edit-standing"]').textContent()).resolves.toContain(
      `purchase_order, target ${target}, at most the amount you set`,
    );
    await edit.getByLabel('Amount (USD)').fill('3000');
    await edit.getByLabel('Also approve later proposals like the edited one', { exact: false }).check();
    await edit.locator('#edit-standing-duration').fill('1h');
    await page.setViewportSize({ width: 390, height: 844 });
    await edit.scrollIntoViewIfNeeded();
    await screenshot(page, 'decision-phone-edit-standing');
    await page.getByRole('button', { name: 'Approve with these changes' }).click();
    await page.waitForURL(/done=approved/);
    await expect(page.locator('section.grants li').textContent()).resolves.toContain(
      `purchase_order, target ${target}, at most $3,000.00`,
    );
    await page.close();

    const inside = await proposeOn(env.h, { summary: 'More chairs', target, amount: { value: 3000, currency: 'USD' } });
    const above = await proposeOn(env.h, { summary: 'Desks', target, amount: { value: 3000.01, currency: 'USD' } });
    await env.h.app.idle();
    expect(outcomes(inside.reviewId).map((e) => e.type)).toEqual(['Approval Granted']);
    expect(outcomes(above.reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
  });
});
