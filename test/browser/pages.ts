// What the browser tests of the decision page share: putting a proposal on the bus, the link an approver was
// emailed, what hitl-gate published, a click that submits a form, and screenshots kept as test artefacts.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Browser, Page, Response } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { clients, ROOT, startHarness, type Harness } from '../support/local.ts';
import { proposal } from '../support/proposals.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import type { ActionProposed } from '../../events/index.ts';

/** Local mode and Debian's chromium for one test file: started before its tests, closed after them. */
export function browserHarness(): { readonly h: Harness; readonly browser: Browser } {
  const env = {} as { h: Harness; browser: Browser };
  beforeAll(async () => {
    env.h = await startHarness();
    env.browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await env.browser?.close();
    await env.h?.close();
  });
  return env;
}

type ActionOverrides = Partial<ActionProposed['action']>;

/** A proposal (a $5,000 purchase order unless `action` says otherwise) put on the bus, once intake is done. */
export async function propose(
  h: Harness,
  action: ActionOverrides,
  extra: Partial<Omit<ActionProposed, 'action'>> = {},
): Promise<{ p: ActionProposed; reviewId: string }> {
  const p = proposal({
    requestedBy: 'sam.rivera',
    ...extra,
    action: { type: 'purchase_order', amount: { value: 5000, currency: 'USD' }, ...action },
  });
  const out = await clients(h.app.url).eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: 'hitl-dev',
          Source: 'agent.procurement',
          DetailType: 'Action Proposed',
          Detail: JSON.stringify(p),
        },
      ],
    }),
  );
  expect(out.FailedEntryCount).toBe(0);
  await h.app.idle();
  return { p, reviewId: reviewIdFor(p.agentId, p.proposalId) };
}

/** The review link in the (latest) email one approver received, read from its plain text. */
export async function linkFor(h: Harness, reviewId: string, to: string): Promise<string> {
  const mail = (await h.app.mail.list()).filter((m) => m.to.includes(to) && m.text.includes(reviewId)).at(-1);
  const link = mail?.text.match(/Open the review to approve, edit or reject: (\S+)/)?.[1];
  if (!link) throw new Error(`no email to ${to} for ${reviewId}`);
  return link;
}

/** What hitl-gate published about a review. */
export function outcomes(h: Harness, reviewId: string) {
  return h.app.bus.events
    .filter((e) => e.Source === 'hitl.gate')
    .map((e) => ({ type: e.DetailType, detail: JSON.parse(e.Detail) as Record<string, any> }))
    .filter((e) => e.detail.reviewId === reviewId);
}

/** Click a submit button and return the final response of the navigation it starts (after any redirect). */
export async function submit(page: Page, button: ReturnType<Page['getByRole']>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().isNavigationRequest() && r.status() !== 303),
    button.click(),
  ]);
  await page.waitForLoadState();
  return response;
}

export const form = (page: Page, name: string) => page.getByRole('form', { name, exact: true });

/** Where screenshots go: test artefacts, git-ignored, kept after the run for a person to look at. */
export const SCREENSHOTS = join(ROOT, 'test-artifacts', 'screenshots');

/** The first screen as the approver sees it (`full`: the whole page), saved under SCREENSHOTS; returns its path. */
export async function screenshot(page: Page, name: string, full = false): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: full });
  return path;
}
