// Slack through local Slack's page in a real browser, on a phone and on a desktop: a support lead approves one
// refund from the channel's message, another rejects one with a reason in the modal; each ends in the same one
// outcome event as an email decision. Screenshots under test-artifacts/screenshots/ for a person to look at.
import type { Page } from 'playwright-core';
import { reviewsOf } from '../support/reviews.ts';
import { browserHarness, outcomes, propose, screenshot, submit } from './pages.ts';

const env = browserHarness();
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

/** A refund up to $10,000: the shipped policy asks the support leads in C0SUPPORTLEADS. */
const refund = (value: number, summary: string) =>
  propose(env.h, { type: 'refund', summary, amount: { value, currency: 'USD' } }, { agentId: 'support-agent' });

async function slackAs(user: string, viewport: { width: number; height: number }): Promise<Page> {
  const page = await env.browser.newPage({ viewport });
  expect((await page.goto(`${env.h.app.url}/_local/slack?as=${user}`))!.status()).toBe(200);
  return page;
}

/** The channel message of a review, where the review says it is. */
async function messageOf(page: Page, reviewId: string) {
  const ts = (await reviewsOf(env.h).get(reviewId))?.slackMessages?.[0]?.ts;
  if (!ts) throw new Error(`no Slack message for ${reviewId}`);
  return page.locator(`li.message[data-ts="${ts}"]`);
}

describe('Slack approvals on the local Slack page', () => {
  it('approves a refund from the channel message on a phone, with one outcome event', async () => {
    const { reviewId } = await refund(45, 'Refund for order 1042 <script>document.title="x"</script>');
    const page = await slackAs('U0GRACEKIM', PHONE);
    const message = await messageOf(page, reviewId);
    await expect(message.textContent()).resolves.toContain('Refund of $45.00');
    // The agent's words are data on the page: the script is text, never run.
    await expect(message.textContent()).resolves.toContain('<script>');
    expect(await page.title()).not.toBe('x');
    const approve = message.locator('button[data-action-id="hitl_approve"]');
    const box = await approve.boundingBox();
    expect(box!.y + box!.height).toBeLessThanOrEqual(PHONE.height);
    await screenshot(page, 'slack-phone');
    const answer = await submit(page, message.getByRole('button', { name: 'Approve' }));
    expect(answer.status()).toBe(200);
    await env.h.app.idle();
    await page.reload();
    await expect((await messageOf(page, reviewId)).textContent()).resolves.toContain('Approved by Grace Kim');
    expect(await (await messageOf(page, reviewId)).locator('button[data-action-id="hitl_approve"]').count()).toBe(0);
    await screenshot(page, 'slack-phone-approved');
    const events = outcomes(env.h, reviewId).filter((e) => e.type !== 'Approval Requested');
    expect(events.map((e) => e.type)).toEqual(['Approval Granted']);
  });

  it('rejects a refund with a reason from the modal on a desktop, with one outcome event', async () => {
    const { reviewId } = await refund(80, 'Refund for order 1043');
    const page = await slackAs('U0JONASBERG', DESKTOP);
    await submit(page, (await messageOf(page, reviewId)).getByRole('button', { name: 'Reject' }));
    const modal = page.locator('textarea');
    await expect(modal.count()).resolves.toBe(1);
    await screenshot(page, 'slack-desktop-reject-modal');
    await modal.fill('The order shipped on time; no refund is due');
    const answer = await submit(page, page.locator('button[data-submit]'));
    expect(answer.status()).toBe(200);
    await env.h.app.idle();
    await page.reload();
    await expect((await messageOf(page, reviewId)).textContent()).resolves.toContain('Rejected by Jonas Berg');
    await screenshot(page, 'slack-desktop-rejected');
    const events = outcomes(env.h, reviewId).filter((e) => e.type !== 'Approval Requested');
    expect(events.map((e) => e.type)).toEqual(['Approval Rejected']);
    expect(JSON.stringify(events[0]?.detail)).toContain('The order shipped on time; no refund is due');
  });
});
