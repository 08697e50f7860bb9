// Opening a review through local mode and deciding it the way an approver does: from the emailed link, over HTTP.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { clients, startHarness, type Harness } from './local.ts';
import type { ActionProposed } from '../../events/index.ts';
import type { Review } from '../../functions/domain/review.ts';
import { restoredReview } from '../../functions/adapters/review-item.ts';
import type { SweepResult } from '../../functions/sweep/handler.ts';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { newNonce, signDecisionToken, signInboxToken } from '../../functions/domain/tokens.ts';

const LINK = /Open the review to approve, edit or reject: (\S+)/;
const INBOX_LINK = /Everything waiting for you: (\S+)/;
const LINK_KEY_SECRET = 'hitl-gate-dev-link-signing-key';
const DAY = 24 * 3600_000;

export interface EmailedLink {
  approverId: string;
  email: string;
  url: string;
  token: string;
}

export interface OpenedReview {
  id: string;
  proposal: ActionProposed;
  review: Review;
  /** One emailed link per approver of the current step, in route order. */
  links: EmailedLink[];
}

export interface DecisionBody {
  token?: string;
  decision?: 'approve' | 'reject';
  reason?: string;
  edits?: Record<string, unknown>;
  standing?: { duration: string };
}

/** What an approver's client sees: the status and the parsed JSON body. */
export interface Answer {
  status: number;
  body: Record<string, any>;
}

/** Helpers bound to one harness: propose, read the store and the outbox, sign links, decide. */
export function reviewsOf(h: Harness) {
  const aws = clients(h.app.url);
  const table = h.app.wiring.environment.REVIEWS_TABLE!;
  const resumeArn = h.app.wiring.stateMachines.find((m) => m.key === 'resume')!.arn;
  const outbox = join(h.dataDir, 'outbox');
  // Parsed messages by file: the outbox only grows, so each message is parsed once.
  const parsed = new Map<string, { to: string[]; text: string }>();
  let key: Uint8Array | undefined;

  async function messages() {
    const files = (await readdir(outbox)).filter((f) => f.endsWith('.eml'));
    for (const f of files) if (!parsed.has(f)) parsed.set(f, await h.app.mail.read(f));
    return [...parsed.values()];
  }

  async function get(id: string): Promise<Review | undefined> {
    const { Item } = await aws.dynamo.send(
      new GetCommand({ TableName: table, Key: { pk: `REVIEW#${id}`, sk: 'META' }, ConsistentRead: true }),
    );
    if (!Item) return undefined;
    // The document client reads a string set as a Set; the product's own adapter hands reviews a plain list, with
    // what the stored item leaves out put back (review-item.ts). The item's own attributes (keys, TTL) stay.
    const { usedLinks, ...review } = Item;
    return restoredReview({
      ...review,
      ...(usedLinks instanceof Set ? { usedLinks: [...usedLinks] as string[] } : {}),
    } as Review);
  }

  /** The emailed links of a review, one per approver it was sent to. */
  async function linksFor(review: Review): Promise<EmailedLink[]> {
    const approvers = review.route[review.step]?.approvers ?? [];
    const links: EmailedLink[] = [];
    for (const m of await messages()) {
      if (!m.text.includes(`(review ${review.id})`)) continue;
      const url = LINK.exec(m.text)?.[1];
      const approver = approvers.find((a) => m.to.includes(a.email));
      if (!url || !approver) continue;
      links.push({ approverId: approver.id, email: approver.email, url, token: new URL(url).searchParams.get('t')! });
    }
    return links.sort(
      (a, b) => approvers.findIndex((p) => p.id === a.approverId) - approvers.findIndex((p) => p.id === b.approverId),
    );
  }

  async function signingKey(): Promise<Uint8Array> {
    if (!key) {
      const secrets = JSON.parse(await readFile(join(h.dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
      key = new TextEncoder().encode(secrets[LINK_KEY_SECRET]!);
    }
    return key;
  }

  return {
    table,
    resumeArn,
    get,
    linksFor,
    signingKey,

    /** Puts "Action Proposed" on the bus with the real EventBridge client and waits for intake to finish. */
    async open(proposal: ActionProposed): Promise<OpenedReview> {
      const out = await aws.eventBridge.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: 'hitl-dev',
              Source: 'agent.test',
              DetailType: 'Action Proposed',
              Detail: JSON.stringify(proposal),
            },
          ],
        }),
      );
      if (out.FailedEntryCount) throw new Error(`PutEvents refused the proposal: ${JSON.stringify(out.Entries)}`);
      await h.app.idle();
      const id = reviewIdFor(proposal.agentId, proposal.proposalId);
      const review = await get(id);
      if (!review) throw new Error(`no review ${id} after intake`);
      return { id, proposal, review, links: await linksFor(review) };
    },

    /** A genuine link as notify-approvers would sign it (fresh nonce, valid a day), unless the claims say otherwise. */
    async sign(
      claims: { reviewId: string; approverId: string; step?: number; nonce?: string; expiresAt?: Date },
      now = new Date(),
      signWith?: Uint8Array,
    ): Promise<string> {
      return signDecisionToken(
        signWith ?? (await signingKey()),
        {
          reviewId: claims.reviewId,
          approverId: claims.approverId,
          step: claims.step ?? 0,
          nonce: claims.nonce ?? newNonce(),
          expiresAt: claims.expiresAt ?? new Date(now.getTime() + DAY),
        },
        now,
      );
    },

    /** The inbox link of the latest email to one approver (every approver email carries one). */
    async inboxLinkOf(email: string): Promise<{ url: string; token: string }> {
      const url = (await messages())
        .filter((m) => m.to.includes(email))
        .flatMap((m) => INBOX_LINK.exec(m.text)?.[1] ?? [])
        .at(-1);
      if (!url) throw new Error(`no email to ${email} carries an inbox link`);
      return { url, token: new URL(url).searchParams.get('t')! };
    },

    /** A genuine inbox link as notify-approvers would sign it (fresh nonce, valid a day), unless the claims say otherwise. */
    async signInbox(
      claims: { approverId: string; nonce?: string; expiresAt?: Date },
      now = new Date(),
    ): Promise<string> {
      return signInboxToken(
        await signingKey(),
        {
          approverId: claims.approverId,
          nonce: claims.nonce ?? newNonce(),
          expiresAt: claims.expiresAt ?? new Date(now.getTime() + DAY),
        },
        now,
      );
    },

    /** GET /inbox?t=… as JSON: the approver's rows, oldest deadline first. */
    async inbox(token: string): Promise<Answer> {
      const res = await fetch(`${h.app.url}/inbox?t=${encodeURIComponent(token)}`, {
        headers: { accept: 'application/json' },
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },

    /** POST /inbox as JSON, as a program would: several reviews decided in one request. */
    async decideInbox(body: Record<string, unknown>): Promise<Answer> {
      const res = await fetch(`${h.app.url}/inbox`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Record<string, any> };
    },

    /** POST /reviews/{id}/decision as JSON, as a program would. */
    async decide(id: string, body: DecisionBody): Promise<Answer> {
      const res = await fetch(`${h.app.url}/reviews/${encodeURIComponent(id)}/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, any>) : {} };
    },

    /** Moves simulated time on, runs the scheduled sweep as its timer would, and waits for what follows. */
    async sweepAfter(ms: number): Promise<SweepResult> {
      h.app.clock.advance(ms);
      const result = (await h.app.schedules.fire('sweep')) as SweepResult;
      await h.app.idle();
      return result;
    },

    /** Every message the outbox holds about one review. */
    async messagesAbout(id: string) {
      return (await messages()).filter((m) => m.text.includes(`(review ${id})`));
    },

    /** The resume executions started for one review. */
    resumesOf(id: string) {
      return h.app.stepFunctions.executions.filter(
        (e) => e.stateMachineArn === resumeArn && (JSON.parse(e.input) as { reviewId?: string }).reviewId === id,
      );
    },

    /** Outcome events (source hitl.gate) about one review, with their details parsed. */
    outcomesOf(id: string) {
      return h.app.bus.events
        .filter((e) => e.Source === 'hitl.gate' && e.DetailType !== 'Approval Requested')
        .map((e) => ({ detailType: e.DetailType, detail: JSON.parse(e.Detail) as Record<string, any> }))
        .filter((e) => e.detail.reviewId === id);
    },
  };
}

/** One local mode for a test file, with the review helpers bound to it (started before, closed after its tests). */
export function useLocalReviews(options: Parameters<typeof startHarness>[1] = {}): {
  h: Harness;
  reviews: ReturnType<typeof reviewsOf>;
} {
  const ctx = {} as { h: Harness; reviews: ReturnType<typeof reviewsOf> };
  beforeAll(async () => {
    ctx.h = await startHarness({}, options);
    ctx.reviews = reviewsOf(ctx.h);
  });
  afterAll(() => ctx.h?.close());
  return ctx;
}
