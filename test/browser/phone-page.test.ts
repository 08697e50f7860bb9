// The decision page as a busy approver reads it on a 390x844 phone and a 1280x900 desktop: what the agent wants,
// by when in their own time zone, and the two buttons in the first screen; a critical review unlike a medium one;
// a quorum's progress in words; one banner after a decision, in the colour of its meaning. Each page is kept as a
// screenshot under test-artifacts/screenshots/ for a person to look at.
import { request } from 'node:http';
import type { Page } from 'playwright-core';
import { agentText } from '../../functions/http/html.ts';
import { browserHarness, form, linkFor, outcomes, propose, screenshot, submit } from './pages.ts';

const env = browserHarness();

const MIRA = 'mira.okafor@example.com'; // a manager; America/New_York in policy/directory.yml
const SAM = 'sam.adeyemi@example.com'; // a DBA; Europe/London
const LENA = 'lena.fischer@example.com'; // a DBA; Europe/Berlin
const SCREENS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 900 },
] as const;

async function open(link: string, screen: (typeof SCREENS)[number]): Promise<Page> {
  const page = await env.browser.newPage({ viewport: { width: screen.width, height: screen.height } });
  expect((await page.goto(link))!.status()).toBe(200);
  return page;
}

/** The bottom edge of an element, in CSS pixels from the top of the page (the first screen ends at its height). */
async function bottomOf(locator: ReturnType<Page['locator']>): Promise<number> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('not visible');
  return box.y + box.height;
}

/** The wall-clock time of an instant in a zone, as en-US says it ("2:38 PM"), worked out here, not by the page. */
const clockIn = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit' }).format(new Date(iso));

const approveButton = (page: Page) => form(page, 'Approve').getByRole('button', { name: 'Approve', exact: true });
const rejectButton = (page: Page) => form(page, 'Reject').getByRole('button', { name: 'Reject', exact: true });

/** A production schema change: critical, two of the DBAs and engineering leads must approve. */
const schemaChange = {
  type: 'db_schema_change',
  summary: 'Add an index on orders.customer_id',
  target: 'production/orders',
  amount: undefined,
  payload: {
    sql: 'CREATE INDEX CONCURRENTLY idx_orders_customer\n  ON orders (customer_id);\n-- </pre><script>document.title="owned"</script>',
    ticket: 'OPS-1234',
  },
};

describe('the decision page on a phone and a desktop', () => {
  it.each(SCREENS)(
    "shows a $5,000 purchase order, its reference, the deadline in the approver's zone and both buttons in the first screen ($name)",
    async (screen) => {
      const { p, reviewId } = await propose(env.h, { summary: '12 laptops for the Lisbon team' });
      const link = await linkFor(env.h, reviewId, MIRA);
      const page = await open(link, screen);

      const firstScreen = screen.height;
      expect(await bottomOf(approveButton(page))).toBeLessThanOrEqual(firstScreen);
      expect(await bottomOf(rejectButton(page))).toBeLessThanOrEqual(firstScreen);
      expect(await bottomOf(page.getByRole('link', { name: /then approve$/ }))).toBeLessThanOrEqual(firstScreen);
      for (const what of ['h1', '.summary', 'dl.key'])
        expect(await bottomOf(page.locator(what).first())).toBeLessThanOrEqual(firstScreen);

      await expect(page.locator('h1').textContent()).resolves.toBe('Purchase order $5,000.00');
      await expect(page.locator('.summary q.agent').textContent()).resolves.toBe('12 laptops for the Lisbon team');
      const key = (name: string) => page.locator(`dl.key dt:text-is("${name}") + dd`);
      await expect(key('Reference').textContent()).resolves.toBe(p.proposalId);
      await expect(key('If you approve').textContent()).resolves.toBe(
        'The agent places this purchase order for $5,000.00.',
      );

      // Mira reads New York time: the hour there, said so, and how long is left.
      const deadline = (await key('Decide by').locator('time').getAttribute('datetime'))!;
      const decideBy = (await key('Decide by').textContent())!;
      expect(decideBy).toContain(`${clockIn(deadline, 'America/New_York')} New York time`);
      expect(decideBy).not.toContain(clockIn(deadline, 'UTC'));
      expect(decideBy).toMatch(/\(in (3 h 5\d min|4 h)\)$/);
      // The history is in the same zone (its heading says which).
      await expect(page.locator('h2', { hasText: 'History' }).textContent()).resolves.toBe('History (New York time)');
      const opened = page.locator('tbody tr').first().locator('time');
      await expect(opened.textContent()).resolves.toContain(
        clockIn((await opened.getAttribute('datetime'))!, 'America/New_York'),
      );
      // Nothing spills sideways.
      await expect(
        page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
      ).resolves.toBe(true);

      await screenshot(page, `purchase-order-${screen.name}`);
      await screenshot(page, `purchase-order-${screen.name}-full`, true);
      await page.close();
      expect(outcomes(env.h, reviewId).map((e) => e.type)).toEqual(['Approval Requested']);
    },
  );

  it('keeps both buttons in the first screen of a phone when the agent writes as much as it may', async () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');
    const { p, reviewId } = await propose(
      env.h,
      { summary: words(400).slice(0, 2000), target: `supplier-${'x'.repeat(500)}` },
      { proposalId: `PO-${'9'.repeat(250)}` },
    );
    const page = await open(await linkFor(env.h, reviewId, MIRA), SCREENS[0]);
    await screenshot(page, 'long-texts-phone');
    expect(await bottomOf(approveButton(page))).toBeLessThanOrEqual(844);
    expect(await bottomOf(rejectButton(page))).toBeLessThanOrEqual(844);
    // What the first screen cuts short, the details show as far as agent text is ever shown (500 characters).
    await expect(page.locator('.summary q.agent').textContent()).resolves.toMatch(/…$/);
    await expect(page.locator('dl.facts dt:text-is("Full summary") + dd').textContent()).resolves.toBe(
      agentText(p.action.summary),
    );
    await expect(page.locator('dl.facts dt:text-is("Full reference") + dd').textContent()).resolves.toBe(p.proposalId);
    await expect(page.locator('dl.facts dt:text-is("Target") + dd').textContent()).resolves.toBe(
      agentText(p.action.target),
    );
    await expect(
      page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).resolves.toBe(true);
    await page.close();
  });

  it('marks a critical review as critical, unlike a medium one, and shows its SQL as escaped code', async () => {
    const medium = await propose(env.h, { summary: 'Monitors for the support desk' });
    const critical = await propose(env.h, schemaChange, { agentId: 'schema-agent' });
    const looks = async (page: Page) =>
      page.locator('section.ask').evaluate((el) => {
        const s = getComputedStyle(el);
        return { border: s.borderTopColor, background: s.backgroundColor };
      });

    const mediumPage = await open(await linkFor(env.h, medium.reviewId, MIRA), SCREENS[0]);
    const page = await open(await linkFor(env.h, critical.reviewId, SAM), SCREENS[0]);
    expect(await looks(page)).not.toEqual(await looks(mediumPage));
    await expect(mediumPage.locator('.critical-label').count()).resolves.toBe(0);
    await expect(page.locator('.critical-label').textContent()).resolves.toBe(
      'Critical · blocked until 2 people approve',
    );
    await expect(page.locator('h1').textContent()).resolves.toBe('Database schema change');
    expect(await bottomOf(approveButton(page))).toBeLessThanOrEqual(844);
    expect(await bottomOf(rejectButton(page))).toBeLessThanOrEqual(844);
    await expect(page.locator('dl.key dt:text-is("If you approve") + dd').textContent()).resolves.toBe(
      'The agent runs the change below on production/orders.',
    );
    await expect(page.locator('dl.key dt:text-is("Approvals") + dd').textContent()).resolves.toBe(
      '0 of 2 approvals: nobody has approved yet; waiting for two more of Raj Patel, Sam Adeyemi or Lena Fischer.',
    );
    // Sam reads London time.
    await expect(page.locator('dl.key dt:text-is("Decide by") + dd').textContent()).resolves.toContain('London time');

    // The SQL as it was written, line breaks kept, as text: the markup in it is shown, never run.
    const sql = page.getByRole('figure', { name: /^SQL/ }).locator('pre');
    await expect(sql.textContent()).resolves.toBe(schemaChange.payload.sql);
    await expect(page.locator('script').count()).resolves.toBe(0);
    await expect(page.title()).resolves.not.toBe('owned');
    await expect(
      page
        .getByRole('figure', { name: /^Other details/ })
        .locator('pre')
        .textContent(),
    ).resolves.toBe(JSON.stringify({ ticket: 'OPS-1234' }, null, 2));

    await screenshot(mediumPage, 'medium-phone');
    await screenshot(page, 'critical-phone');
    await screenshot(page, 'critical-phone-full', true);
    await page.setViewportSize({ width: 1280, height: 900 });
    await screenshot(page, 'critical-desktop');
    await mediumPage.close();
    await page.close();
  });

  it('after the first of two approvals says so in words, waits only for the others, and after the second shows one green banner', async () => {
    const { reviewId } = await propose(env.h, schemaChange, { agentId: 'schema-agent' });
    const samLink = await linkFor(env.h, reviewId, SAM);
    const lenaLink = await linkFor(env.h, reviewId, LENA);

    const sam = await open(samLink, SCREENS[0]);
    await submit(sam, approveButton(sam));
    expect(sam.url()).toMatch(/done=recorded/);
    const progress = '1 of 2 approvals: Sam Adeyemi approved; waiting for one more of Raj Patel or Lena Fischer.';
    await expect(sam.locator('.banner').count()).resolves.toBe(1);
    await expect(sam.locator('.banner.ok').textContent()).resolves.toContain(progress);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the text the approver sees.
    const text = await sam.locator('body').innerText();
    expect(text).not.toMatch(/already used this link/i);
    await expect(sam.locator('dl.facts dt:text-is("Waiting for") + dd').textContent()).resolves.toBe(
      'any one of Raj Patel or Lena Fischer',
    );
    await expect(sam.locator('form').count()).resolves.toBe(0);
    await screenshot(sam, 'quorum-first-approval-phone');

    // The same link opened again later: still progress, not a complaint.
    await sam.goto(samLink);
    await expect(sam.locator('.banner').count()).resolves.toBe(1);
    await expect(sam.locator('.banner.ok').textContent()).resolves.toContain(`You approved this. ${progress}`);

    const lena = await open(lenaLink, SCREENS[0]);
    await expect(lena.locator('dl.key dt:text-is("Approvals") + dd').textContent()).resolves.toBe(progress);
    await expect(lena.locator('dl.key dt:text-is("Decide by") + dd').textContent()).resolves.toContain('Berlin time');
    await submit(lena, approveButton(lena));
    await expect(lena.locator('.banner').count()).resolves.toBe(1);
    await expect(lena.locator('.banner.ok strong').textContent()).resolves.toBe(
      'Approved by Sam Adeyemi and Lena Fischer',
    );
    await expect(lena.locator('.banner').evaluate((b) => getComputedStyle(b).backgroundColor)).resolves.toBe(
      'rgb(232, 246, 236)',
    );
    await screenshot(lena, 'quorum-approved-phone');
    await sam.close();
    await lena.close();
    await env.h.app.idle();
    expect(outcomes(env.h, reviewId).filter((e) => e.type === 'Approval Granted')).toHaveLength(1);
  });

  /** The page after a decision: exactly one banner, of this tone and background colour, with this title and text. */
  async function expectOneBanner(page: Page, tone: 'ok' | 'bad', background: string, title: string, text: string) {
    const banner = page.locator('.banner');
    await expect(banner.count()).resolves.toBe(1);
    await expect(banner.getAttribute('class')).resolves.toBe(`banner ${tone}`);
    await expect(banner.evaluate((b) => getComputedStyle(b).backgroundColor)).resolves.toBe(background);
    await expect(banner.locator('strong').textContent()).resolves.toBe(title);
    await expect(banner.textContent()).resolves.toContain(text);
  }

  it.each(SCREENS)('shows one banner after an approval (green) and after a rejection (red) ($name)', async (screen) => {
    const approved = await propose(env.h, { summary: 'Desks for the Porto office' });
    const rejected = await propose(env.h, { summary: 'A second espresso machine' });

    const a = await open(await linkFor(env.h, approved.reviewId, MIRA), screen);
    await submit(a, approveButton(a));
    await expectOneBanner(a, 'ok', 'rgb(232, 246, 236)', 'Approved by Mira Okafor', 'New York time');
    await screenshot(a, `approved-${screen.name}`);

    const r = await open(await linkFor(env.h, rejected.reviewId, MIRA), screen);
    await form(r, 'Reject')
      .getByLabel(/^Reason/)
      .fill('We have one already.');
    await submit(r, rejectButton(r));
    await expectOneBanner(r, 'bad', 'rgb(253, 236, 235)', 'Rejected by Mira Okafor', '“We have one already.”');
    await screenshot(r, `rejected-${screen.name}`);
    await a.close();
    await r.close();
  });
});

/** A GET with exactly these headers (fetch always adds an Accept; a mail client's preview or curl may send none). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? '', body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the link in an email is for people', () => {
  it('answers a plain GET with the page, and JSON only when JSON is asked for', async () => {
    const { reviewId } = await propose(env.h, { summary: 'Keyboards for the new hires' });
    const link = await linkFor(env.h, reviewId, MIRA);
    const people: Record<string, string>[] = [{}, { accept: '*/*' }, { accept: 'text/html, application/json;q=0.5' }];
    for (const headers of people) {
      const res = await rawGet(link, headers);
      expect({ headers, status: res.status, type: res.type }).toEqual({
        headers,
        status: 200,
        type: 'text/html; charset=utf-8',
      });
      expect(res.body).toContain('<h1 id="ask-h">');
    }
    for (const accept of ['application/json', 'application/json, text/html;q=0.9']) {
      const res = await rawGet(link, { accept });
      expect(res.type).toBe('application/json');
      expect(JSON.parse(res.body)).toMatchObject({ reviewId, status: 'PENDING' });
    }
    // A broken link opened by a person: a page that says what is wrong, not JSON.
    const broken = await rawGet(link.replace(/t=[^&]+/, 't=not-a-token'), {});
    expect(broken.status).toBe(401);
    expect(broken.type).toBe('text/html; charset=utf-8');
  });
});
