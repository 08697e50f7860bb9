// The approver's inbox on a 390x844 phone: everything waiting, oldest deadline first, deadlines in the approver's
// zone, the agent's words as data; three reviews ticked and approved in one post, one result line each, and each
// review ending in exactly one outcome event. Screenshots under test-artifacts/screenshots/ for a person to look at.
import type { Page } from 'playwright-core';
import { browserHarness, linkFor, outcomes, propose, screenshot, submit } from './pages.ts';

const env = browserHarness();
const MIRA = 'mira.okafor@example.com'; // a manager; America/New_York in policy/directory.yml
const PHONE = { width: 390, height: 844 };
const TEN_MINUTES = 600_000;

/** The inbox link in the latest email one approver received, read from its plain text. */
async function inboxLinkFor(to: string): Promise<string> {
  const mail = (await env.h.app.mail.list()).filter((m) => m.to.includes(to)).at(-1);
  const link = mail?.text.match(/Everything waiting for you: (\S+)/)?.[1];
  if (!link) throw new Error(`no email to ${to} carries an inbox link`);
  return link;
}

async function openInbox(link: string): Promise<Page> {
  const page = await env.browser.newPage({ viewport: PHONE });
  expect((await page.goto(link))!.status()).toBe(200);
  return page;
}

const clockIn = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso));

describe('the inbox on a phone', () => {
  it('lists three reviews oldest deadline first and approves them in one post, each with one outcome', async () => {
    const summaries = ['Desks for Lisbon', 'Monitors <img src=x onerror="document.title=1">', 'Chairs for Porto'];
    const ids: string[] = [];
    for (const [i, summary] of summaries.entries()) {
      ids.push((await propose(env.h, { summary, amount: { value: 2000 + i * 1000, currency: 'USD' } })).reviewId);
      env.h.app.clock.advance(TEN_MINUTES);
    }
    const page = await openInbox(await inboxLinkFor(MIRA));
    await expect(page.locator('h1').textContent()).resolves.toBe('3 waiting for you');
    const rows = page.locator('li.item');
    await expect(rows.locator('label').allTextContents()).resolves.toEqual([
      'Purchase order $2,000.00',
      'Purchase order $3,000.00',
      'Purchase order $4,000.00',
    ]);
    // The agent's words are data: quoted, never markup.
    await expect(rows.locator('.summary q.agent').allTextContents()).resolves.toEqual(summaries);
    expect(await page.locator('li.item img').count()).toBe(0);
    // Mira reads New York time, with how long is left.
    const first = rows.first().locator('time');
    const deadline = (await first.getAttribute('datetime'))!;
    await expect(first.textContent()).resolves.toContain(`${clockIn(deadline, 'America/New_York')} New York time`);
    await expect(rows.first().locator('.left').textContent()).resolves.toMatch(/^\(in \d h( \d+ min)?\)$/);
    // The first row, its box and its link fit the first screen of the phone.
    const box = await rows.first().boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    await screenshot(page, 'inbox-phone');
    await screenshot(page, 'inbox-phone-full', true);

    for (const label of await rows.locator('label').all()) await label.click();
    const answer = await submit(page, page.getByRole('button', { name: 'Approve selected' }));
    expect(answer.status()).toBe(200);
    await expect(page.locator('h1').textContent()).resolves.toBe('3 of 3 went through');
    const lines = page.locator('ul.results li');
    await expect(
      lines.evaluateAll((ls) => ls.map((l) => [l.getAttribute('data-review'), l.getAttribute('data-result')])),
    ).resolves.toEqual(ids.map((id) => [id, 'decided']));
    await expect(lines.first().getAttribute('class')).resolves.toBe('banner ok');
    await screenshot(page, 'inbox-results-phone');
    await env.h.app.idle();
    for (const id of ids)
      expect(outcomes(env.h, id).map((e) => e.type)).toEqual(['Approval Requested', 'Approval Granted']);

    // Back to the inbox: nothing waits any more.
    await submit(page, page.getByRole('link', { name: 'Back to your inbox' }));
    await expect(page.locator('h1').textContent()).resolves.toBe('Nothing is waiting for you');
    await page.close();
  });

  it('keeps the decision docked at the bottom of the screen when the list is longer than the screen', async () => {
    for (let i = 0; i < 7; i++) await propose(env.h, { summary: `Laptop ${i + 1} for the new hires` });
    const page = await openInbox(await inboxLinkFor(MIRA));
    expect(await page.evaluate(() => document.documentElement.scrollHeight)).toBeGreaterThan(PHONE.height * 1.5);
    const approve = page.getByRole('button', { name: 'Approve selected' });
    const reject = page.getByRole('button', { name: 'Reject selected' });
    const onScreen = async () =>
      Promise.all(
        [approve, reject].map(async (b) => {
          const box = (await b.boundingBox())!;
          return box.y >= 0 && box.y + box.height <= PHONE.height;
        }),
      );
    // In the first screen, halfway down, and at the end, where it follows the last row instead of covering it.
    await expect(onScreen()).resolves.toEqual([true, true]);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight / 3));
    await expect(onScreen()).resolves.toEqual([true, true]);
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await expect(onScreen()).resolves.toEqual([true, true]);
    const last = (await page.locator('li.item').last().boundingBox())!;
    const docked = (await page.locator('section.decide').boundingBox())!;
    expect(last.y + last.height).toBeLessThanOrEqual(docked.y);
    await screenshot(page, 'inbox-phone-long');
    await page.close();
  });

  it('opens a review from its row, and says what is wrong with a reject without a reason, deciding nothing', async () => {
    const { reviewId } = await propose(env.h, { summary: 'Projector for the board room' });
    const page = await openInbox(await inboxLinkFor(MIRA));
    const row = page.locator('li.item', { hasText: 'Projector for the board room' });
    await row.locator('label').click();
    const refused = await submit(page, page.getByRole('button', { name: 'Reject selected' }));
    expect(refused.status()).toBe(400);
    await expect(page.locator('.banner').textContent()).resolves.toContain('reason is required to reject');
    await page.goBack();
    await submit(
      page,
      page
        .locator('li.item', { hasText: 'Projector for the board room' })
        .getByRole('link', { name: 'Open the review' }),
    );
    await expect(page.locator('.summary q.agent').textContent()).resolves.toBe('Projector for the board room');
    await expect(page.getByRole('button', { name: 'Approve', exact: true }).isVisible()).resolves.toBe(true);
    expect(outcomes(env.h, reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
    await page.close();
  });

  it('lists the standing approvals Mira made and revokes one with a reason, on a phone', async () => {
    const target = `vendor-revoke-${Date.now()}`;
    const { reviewId } = await propose(env.h, { summary: 'Toner for the office', target });
    const token = new URL(await linkFor(env.h, reviewId, MIRA)).searchParams.get('t');
    const granted = await fetch(`${env.h.app.url}/reviews/${encodeURIComponent(reviewId)}/decision`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token, decision: 'approve', reason: 'Regular supplier', standing: { duration: '4h' } }),
    });
    expect(granted.status).toBe(200);
    const grantId = ((await granted.json()) as { grant: { grantId: string } }).grant.grantId;
    await env.h.app.idle();
    const page = await openInbox(await inboxLinkFor(MIRA));
    const grant = page.locator(`li.grant[data-grant="${grantId}"]`);
    await expect(grant.textContent()).resolves.toContain(target);
    await grant.getByLabel('Why revoke it?').fill('The vendor changed its prices');
    await screenshot(page, 'inbox-phone-grants');
    const answer = await submit(page, grant.getByRole('button', { name: 'Revoke' }));
    expect(answer.status()).toBe(200);
    await expect(page.locator('.banner').textContent()).resolves.toContain('It approves nothing more');
    await submit(page, page.getByRole('link', { name: 'Back to your inbox' }));
    const after = page.locator(`li.grant[data-grant="${grantId}"]`);
    await expect(after.textContent()).resolves.toContain('Revoked');
    await expect(after.textContent()).resolves.toContain('The vendor changed its prices');
    expect(await after.getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    // The next order to the vendor waits for a person again.
    const next = await propose(env.h, { summary: 'More toner', target, amount: { value: 1200, currency: 'USD' } });
    expect(outcomes(env.h, next.reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
    await page.close();
  });
});
