// A person's view of local mode in a real browser: the outbox lists the approver emails and opens them.
import { eventually } from '../support/local.ts';
import { browserHarness, propose } from './pages.ts';

const env = browserHarness();

describe('outbox page in a browser', () => {
  it('says so when nothing has been sent yet', async () => {
    const page = await env.browser.newPage();
    await page.goto(`${env.h.app.url}/_local/outbox`);
    await expect(page.locator('.empty').textContent()).resolves.toBe('No email sent yet.');
    await page.close();
  });

  it('lists the email sent to each approver of a $5,000 purchase order and shows its content', async () => {
    await propose(env.h, { summary: 'Purchase order for $5000' });
    const messages = await eventually(async () => {
      const list = await env.h.app.mail.list();
      return list.length > 0 ? list : undefined;
    }, 'an email in the outbox');

    const page = await env.browser.newPage();
    await page.goto(`${env.h.app.url}/_local/outbox`);
    await expect(page.title()).resolves.toContain('Outbox');
    const rows = page.locator('tbody tr');
    expect(await rows.count()).toBe(messages.length);
    await expect(page.locator('tbody').textContent()).resolves.toContain(messages[0]!.to[0]);

    await page
      .getByRole('link', { name: /^Purchase order \$5,000\.00: "Purchase order for \$5000" · decide by / })
      .first()
      .click();
    await page.waitForURL(/\/_local\/outbox\/.+\.eml$/);
    const body = page.frameLocator('iframe[title="Message body"]');
    await expect(body.locator('body').textContent()).resolves.toContain('$5,000.00');
    await expect(body.getByRole('link', { name: 'Open the review' }).getAttribute('href')).resolves.toMatch(
      new RegExp(`^${env.h.app.url}/reviews/rv-[0-9a-f]{32}\\?t=[\\w.-]+$`),
    );
    await expect(page.locator('pre').first().textContent()).resolves.toContain('Purchase order for $5000');
    await page.close();
  });
});
