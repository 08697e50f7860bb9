// The use cases in app/, on in-memory ports (test/support/memory-store.ts, ports.ts): the lifecycle's
// races, redeliveries and lost restarts, without local mode. The same paths run end to end in
// test/integration and test/e2e; here they run in milliseconds, with the races forced.
import { decideReview } from '../../functions/app/decide.ts';
import { escalateReview } from '../../functions/app/escalate.ts';
import { MAX_ATTEMPTS, mutate } from '../../functions/app/mutate.ts';
import { notifyStep } from '../../functions/app/notify.ts';
import { ActionDeferred, executeAction } from '../../functions/app/execute.ts';
import { completeReview, reportToCaller } from '../../functions/app/complete.ts';
import { loadOutcome } from '../../functions/app/restart.ts';
import { sweep } from '../../functions/app/sweep.ts';
import { cancelReview } from '../../functions/app/cancel.ts';
import { MailNotSent, MailRefused } from '../../functions/app/ports.ts';
import { AlreadyDecided, ReviewBusy, TokenUsed, TokenWrongStep } from '../../functions/domain/errors.ts';
import {
  claimExecution,
  claimNotification,
  RESTART_LEASE_MS,
  NOTIFY_LEASE_MS,
  newReview,
  REDRIVE_AFTER_MS,
  type Review,
} from '../../functions/domain/review.ts';
import { verifyDecisionToken } from '../../functions/domain/tokens.ts';
import { statusOf } from '../support/errors.ts';
import { shippedPolicy } from '../support/policy.ts';
import { proposal, purchaseOrder, schemaChange } from '../support/proposals.ts';
import { TEST_LINK_KEY, type TestDeps, testDeps } from '../support/ports.ts';
import type { ActionProposed } from '../../events/index.ts';

const NOW = new Date('2026-11-24T09:00:00.000Z');
const HOUR = 3600_000;
const KEY = TEST_LINK_KEY;
const LINK = /Open the review to approve, edit or reject: (\S+)/;

let deps: TestDeps;
beforeEach(() => {
  deps = testDeps(shippedPolicy, NOW);
});

async function opened(p: ActionProposed = purchaseOrder(5000)): Promise<Review> {
  const { review } = await deps.store.open(newReview(p, shippedPolicy.classify(p.action, p), deps.clock.now()));
  await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-1' });
  return (await deps.store.get(review.id)) as Review;
}

/** The links emailed so far, with their verified claims. */
async function links() {
  return Promise.all(
    deps.mailer.sent.flatMap((m) => {
      const url = LINK.exec(m.text)?.[1];
      if (!url) return [];
      const u = new URL(url);
      const reviewId = decodeURIComponent(u.pathname.split('/').at(-1) ?? '');
      return [verifyDecisionToken(KEY, u.searchParams.get('t') ?? '', { reviewId }, deps.clock.now())];
    }),
  );
}

const approve = async (reviewId: string, claims: { approverId: string; nonce: string; step: number }) =>
  decideReview(deps, {
    reviewId,
    approverId: claims.approverId,
    nonce: claims.nonce,
    step: claims.step,
    decision: 'approve',
  });

describe('notifying a step', () => {
  it('emails each approver once per step: the claiming execution may send again, another may not', async () => {
    const review = await opened();
    const first = deps.mailer.sent.length;
    expect(first).toBe(review.route[0]?.approvers.length);
    expect(await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-2' })).toEqual({ notified: [] });
    expect(deps.mailer.sent).toHaveLength(first);
    const retry = await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-1' });
    expect(retry.notified).toHaveLength(first);
    expect(retry.event?.detailType).toBe('Approval Requested');
  });
});

describe('deciding', () => {
  it('records an approval, restarts the review, and refuses the same link for another decision with the review as it is', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    const { review: decided, decided: ended } = await approve(review.id, link);
    expect(ended).toBe(true);
    expect(decided.status).toBe('APPROVED');
    expect(deps.workflows.restarted).toEqual([review.id]);
    const again = await decideReview(deps, { ...link, reviewId: review.id, decision: 'reject', reason: 'no' }).catch(
      (e: unknown) => e,
    );
    expect(again).toBeInstanceOf(AlreadyDecided);
    expect(again).toMatchObject({ current: { id: review.id, status: 'APPROVED' } });
    expect(statusOf(again)).toBe(409);
  });

  it('ends concurrent approvals by two approvers in one decision: the loser is told it was already decided', async () => {
    const review = await opened();
    const [a, b] = await links();
    if (!a || !b) throw new Error('expected two approvers at the manager step');
    const results = await Promise.allSettled([approve(review.id, a), approve(review.id, b)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(AlreadyDecided);
    const saved = (await deps.store.get(review.id)) as Review;
    expect(saved.history.filter((h) => h.what === 'approved')).toHaveLength(1);
    expect(deps.workflows.restarted).toEqual([review.id]);
  });

  it('answers a request repeated after its answer was lost as the first one, deciding once', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    const first = await approve(review.id, link);
    const saves = deps.store.saves;
    const retry = await approve(review.id, link);
    expect(retry).toEqual({ review: first.review, decided: false });
    expect(deps.store.saves).toBe(saves);
    expect(deps.workflows.restarted).toEqual([review.id]);
    expect(first.review.history.filter((h) => h.what === 'approved')).toHaveLength(1);
  });

  it('decides once when the same link is sent twice at once, whichever write lands first; both get the answer', async () => {
    const p = proposal({ action: { type: 'purchase_order', amount: { value: 50_000, currency: 'USD' } } });
    const review = await opened(p);
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    const both = await Promise.all([approve(review.id, link), approve(review.id, link)]);
    expect(both.map((b) => b.review.version)).toEqual([both[0]!.review.version, both[0]!.review.version]);
    const saved = (await deps.store.get(review.id)) as Review;
    expect(saved.history.filter((h) => h.what === 'approved')).toHaveLength(1);
    expect(saved.usedLinks).toEqual([link.nonce]);
  });

  it('refuses a link that approved toward a quorum when it is used to reject, as used (409)', async () => {
    const review = await opened(schemaChange());
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    const first = await approve(review.id, link);
    expect(first).toMatchObject({ decided: false, review: { status: 'PENDING', quorum: 2 } });
    const err = await decideReview(deps, { ...link, reviewId: review.id, decision: 'reject', reason: 'no' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TokenUsed);
    expect(statusOf(err)).toBe(409);
  });

  it('answers ReviewBusy (409) with the review as it is after MAX_ATTEMPTS lost races, never a raw conflict', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    // Someone else writes before every save: a reminder claim that changes nothing a decision cares about.
    deps.store.beforeSave = async (prev) => {
      const current = (await deps.store.get(prev.id)) as Review;
      deps.store.beforeSave = undefined;
      await deps.store.save(current, { ...current, version: current.version + 1 }, []);
      deps.store.beforeSave = busy;
    };
    const busy = deps.store.beforeSave;
    deps.store.saves = 0;
    const err = await approve(review.id, link).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReviewBusy);
    expect(err).toMatchObject({ current: { id: review.id, status: 'PENDING' } });
    expect(statusOf(err)).toBe(409);
    expect(deps.store.saves).toBe(2 * MAX_ATTEMPTS);
  });

  it('keeps a decision whose restart could not be started, and the sweep re-drives it', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    deps.workflows.failures = 1;
    const { review: decided } = await approve(review.id, link);
    expect(decided.status).toBe('APPROVED');
    expect(deps.workflows.restarted).toEqual([]);
    deps.clock.advance(REDRIVE_AFTER_MS);
    expect((await sweep(deps)).redriven).toEqual([review.id]);
    expect(deps.workflows.restarted).toEqual([review.id]);
    // Re-driven once: the next sweep waits longer before trying again.
    expect((await sweep(deps)).redriven).toEqual([]);
  });

  it('lets a cancellation and an approval racing end in exactly one outcome', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    const by = { id: 'arn:aws:iam::000000000000:role/agent', kind: 'system' as const };
    const both = await Promise.allSettled([
      approve(review.id, link),
      cancelReview(deps, { reviewId: review.id, by, reason: 'withdrawn by the agent' }),
    ]);
    expect(both.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const saved = (await deps.store.get(review.id)) as Review;
    expect(['APPROVED', 'CANCELLED']).toContain(saved.status);
    expect(deps.workflows.restarted).toEqual([review.id]);
  });
});

describe('time: breaches, escalation, reminders', () => {
  it('publishes a breach once when two sweeps overlap, and escalates once when the breach is delivered twice', async () => {
    const review = await opened();
    deps.clock.advance(4 * HOUR);
    const [one, two] = await Promise.all([sweep(deps), sweep(deps)]);
    expect([...(one?.breached ?? []), ...(two?.breached ?? [])]).toEqual([review.id]);
    expect(deps.bus.published.map((e) => e.detailType)).toEqual(['Review SLA Breached']);

    const breach = { eventId: 'event-1', reviewId: review.id, step: 0 };
    const mailed = deps.mailer.sent.length;
    expect(await escalateReview(deps, breach)).toEqual({ result: 'escalated' });
    const escalated = (await deps.store.get(review.id)) as Review;
    expect(escalated.step).toBe(1);
    const cfoEmails = deps.mailer.sent.length - mailed;
    expect(cfoEmails).toBe(escalated.route[1]?.approvers.length);

    // The same event again (EventBridge is at-least-once): no second change, the follow-up sent again.
    expect(await escalateReview(deps, breach)).toEqual({ result: 'stale' });
    const after = (await deps.store.get(review.id)) as Review;
    expect(after.version).toBe(escalated.version);
    expect(deps.bus.published.filter((e) => e.detailType === 'Review Escalated')).toHaveLength(2);
    expect(
      new Set(
        deps.bus.published.filter((e) => e.detailType === 'Review Escalated').map((e) => JSON.stringify(e.detail)),
      ).size,
    ).toBe(1);
  });

  it('reminds at 50% once, however many sweeps run', async () => {
    const review = await opened();
    const mailed = deps.mailer.sent.length;
    deps.clock.advance(2 * HOUR);
    const sweeps = await Promise.all([sweep(deps), sweep(deps), sweep(deps)]);
    expect(sweeps.flatMap((s) => s.reminded)).toEqual([review.id]);
    expect(deps.mailer.sent.length - mailed).toBe(review.route[0]?.approvers.length);
  });
});

describe('the restart', () => {
  it('lets one restart at a time finish a review, takes over a dead one after the lease, and completes once', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    await approve(review.id, link);
    const first = await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-1' });
    expect(first).toMatchObject({ done: false, event: { detailType: 'Approval Granted' } });
    expect(await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-1' })).toMatchObject({ done: false });
    expect(await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-2' })).toEqual({
      reviewId: review.id,
      done: true,
    });
    deps.clock.advance(2 * 60_000);
    const takeover = await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-2' });
    expect(takeover).toMatchObject({ done: false });
    // The outcome published again by the restart that took over carries the same outcomeId.
    const idOf = (r: typeof first) => (r.done ? undefined : r.event.detail.outcomeId);
    expect(idOf(takeover)).toMatch(/^out-[0-9a-f]{32}$/);
    expect(idOf(takeover)).toBe(idOf(first));
    const done = await Promise.all([
      completeReview(deps, { reviewId: review.id }),
      completeReview(deps, { reviewId: review.id }),
    ]);
    expect(done.map((d) => d.completed).sort()).toEqual([false, true]);
    expect(await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-3' })).toMatchObject({ done: true });
  });

  it('performs an approved customer email once, however many restarts ask', async () => {
    const p = proposal({
      action: {
        type: 'customer_email',
        summary: 'Apology for the late delivery',
        target: 'ana.costa@example.com',
        payload: { subject: 'Your order', body: 'We are sorry.' },
      },
    });
    const review = await opened(p);
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    await approve(review.id, link);
    const before = deps.mailer.sent.length;
    const runs = await Promise.allSettled([
      executeAction(deps, { reviewId: review.id, executionRef: 'restart-1' }),
      executeAction(deps, { reviewId: review.id, executionRef: 'restart-2' }),
    ]);
    // The claim comes before the send: one run sends, the other is told to come back for the result.
    expect(runs.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(runs.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []))[0]).toBeInstanceOf(ActionDeferred);
    expect(deps.mailer.sent.length - before).toBe(1);
    expect(await executeAction(deps, { reviewId: review.id, executionRef: 'restart-3' })).toMatchObject({
      executed: true,
      result: 'performed',
    });
    expect(deps.mailer.sent.length - before).toBe(1);
    const saved = (await deps.store.get(review.id)) as Review;
    expect(saved.history.filter((h) => h.what === 'executed')).toHaveLength(1);
  });
});

describe('an action hitl-gate performs, at most once', () => {
  const customerEmail = () =>
    proposal({
      action: {
        type: 'customer_email',
        summary: 'Apology for the late delivery',
        target: 'ana.costa@example.com',
        payload: { subject: 'Your order', body: 'We are sorry.' },
      },
    });

  async function approved(): Promise<Review> {
    const review = await opened(customerEmail());
    const link = (await links()).find((l) => l.reviewId === review.id);
    if (!link) throw new Error('no link emailed');
    return (await approve(review.id, link)).review;
  }

  const outcomeOf = async (id: string) => {
    const loaded = await loadOutcome(deps, { reviewId: id, executionRef: 'publish-1' });
    if (loaded.done) throw new Error('expected an outcome to publish');
    return loaded;
  };

  it('records "unknown" and never sends again when an earlier attempt claimed it and stopped before the result', async () => {
    const review = await approved();
    const before = deps.mailer.sent.length;
    // The send fails in a way that does not say whether SES took it (a timeout after the request left).
    deps.mailer.fail = { error: new Error('socket hang up'), after: true };
    const first = await executeAction(deps, { reviewId: review.id, executionRef: 'restart-1' });
    expect(first).toMatchObject({ result: 'unknown' });
    deps.mailer.fail = undefined;
    expect(await executeAction(deps, { reviewId: review.id, executionRef: 'restart-2' })).toMatchObject({
      result: 'unknown',
    });
    expect(deps.mailer.sent.length - before).toBe(1);
    // A crash between the claim and the result leaves the claim alone: the re-drive finds it after the lease.
    const crashed = await approved();
    await mutate(deps.store, crashed.id, (r) => claimExecution(r!, 'restart-dead', deps.clock.now()));
    deps.clock.advance(RESTART_LEASE_MS + 1);
    const sent = deps.mailer.sent.length;
    const redriven = await executeAction(deps, { reviewId: crashed.id, executionRef: 'redrive-1' });
    expect(redriven).toEqual({ executed: true, result: 'unknown' });
    expect(deps.mailer.sent.length).toBe(sent);
    const outcome = await outcomeOf(crashed.id);
    expect(outcome).toMatchObject({
      execute: false,
      event: { detail: { performedBy: 'hitl-gate', executionResult: 'unknown' } },
    });
    const saved = (await deps.store.get(crashed.id)) as Review;
    expect(saved.history.at(-1)).toMatchObject({ what: 'execution_unknown' });
  });

  it('records "failed" when the provider refuses the message, and never retries it', async () => {
    const review = await approved();
    const before = deps.mailer.sent.length;
    deps.mailer.fail = { error: new MailRefused('MessageRejected: Email address is not verified.') };
    expect(await executeAction(deps, { reviewId: review.id, executionRef: 'restart-1' })).toEqual({
      executed: true,
      result: 'failed',
    });
    deps.mailer.fail = undefined;
    expect(await executeAction(deps, { reviewId: review.id, executionRef: 'restart-2' })).toMatchObject({
      result: 'failed',
    });
    expect(deps.mailer.sent.length).toBe(before);
    expect((await outcomeOf(review.id)).event.detail).toMatchObject({
      executionResult: 'failed',
      executionError: 'MessageRejected: Email address is not verified.',
    });
  });

  it('gives the claim back when the provider throttles, so a later attempt sends it once', async () => {
    const review = await approved();
    const before = deps.mailer.sent.length;
    deps.mailer.fail = { error: new MailNotSent('TooManyRequestsException: Maximum sending rate exceeded.') };
    const throttled = await executeAction(deps, { reviewId: review.id, executionRef: 'restart-1' }).catch(
      (e: unknown) => e,
    );
    expect(throttled).toBeInstanceOf(ActionDeferred);
    expect(((await deps.store.get(review.id)) as Review).execution).toBeUndefined();
    deps.mailer.fail = undefined;
    expect(await executeAction(deps, { reviewId: review.id, executionRef: 'restart-1' })).toMatchObject({
      result: 'performed',
      ref: `message-${before + 1}`,
    });
    expect(deps.mailer.sent.length - before).toBe(1);
  });
});

describe('answering the caller', () => {
  const DURABLE_ID = Buffer.from('{"executionId":"e-2","operationId":"op-7"}').toString('base64');

  it("answers a durable function's callback through the durable functions port, once, and a task token through Step Functions", async () => {
    const review = await opened(purchaseOrder(5000, { callback: { durableCallbackId: DURABLE_ID } }));
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    await approve(review.id, link);
    const loaded = await loadOutcome(deps, { reviewId: review.id, executionRef: 'exec-1' });
    if (loaded.done || !loaded.callback) throw new Error('expected a callback to answer');
    expect(loaded.callback).toEqual({
      durableCallbackId: DURABLE_ID,
      success: true,
      output: JSON.stringify(loaded.event.detail),
    });
    expect(await reportToCaller(deps, { reviewId: review.id, callback: loaded.callback })).toEqual({
      delivered: true,
    });
    expect(deps.durableFunctions.answered).toEqual([loaded.callback]);
    expect(deps.workflows.answered).toEqual([]);

    const taskToken = { taskToken: 'token-9', success: true as const, output: '{}' };
    await reportToCaller(deps, { reviewId: review.id, callback: taskToken });
    expect(deps.workflows.answered).toEqual([taskToken]);
    expect(deps.durableFunctions.answered).toHaveLength(1);
  });

  it('reports a durable function no longer waiting as not delivered, without failing the restart', async () => {
    const callback = {
      durableCallbackId: DURABLE_ID,
      success: false as const,
      error: 'HumanRejected' as const,
      cause: '{}',
    };
    expect(await reportToCaller(deps, { reviewId: 'rv-1', callback })).toEqual({ delivered: true });
    expect(await reportToCaller(deps, { reviewId: 'rv-1', callback })).toEqual({
      delivered: false,
      reason: 'CallbackTimeoutException',
    });
  });
});

describe('text that is not valid Unicode', () => {
  it('refuses an edit holding a lone surrogate as an invalid edit (422), changing nothing', async () => {
    const review = await opened();
    const [link] = await links();
    if (!link) throw new Error('no link emailed');
    for (const edits of [
      { summary: 'Laptops \ud800' },
      { summary: '\udc00' },
      { 'amount.value': 4000, summary: 'a\ud83d' },
    ]) {
      const err = await decideReview(deps, {
        reviewId: review.id,
        approverId: link.approverId,
        nonce: link.nonce,
        step: link.step,
        decision: 'approve',
        edits: () => edits,
      }).catch((e: unknown) => e);
      expect(statusOf(err)).toBe(422);
      expect(String((err as Error).message)).toMatch(/summary: must be valid Unicode text/);
    }
    expect((await deps.store.get(review.id))?.version).toBe(review.version);
  });
});

describe('a link decides only for its step', () => {
  it('refuses a step-1 link after escalation even when its approver sits in step 2 too (403), and takes the new one', async () => {
    const p = purchaseOrder(5000);
    const draft = newReview(p, shippedPolicy.classify(p.action, p), deps.clock.now());
    const [first, second] = draft.route;
    if (!first || !second) throw new Error('expected a two-step route');
    // The same person approves at both steps.
    const both = { ...second, approvers: [...second.approvers, ...first.approvers] };
    const { review } = await deps.store.open({ ...draft, route: [first, both] });
    await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-1' });
    const [old] = await links();
    if (!old) throw new Error('no link emailed');
    deps.clock.advance(4 * HOUR);
    await sweep(deps);
    expect(await escalateReview(deps, { eventId: 'breach-1', reviewId: review.id, step: 0 })).toEqual({
      result: 'escalated',
    });
    const err = await approve(review.id, old).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenWrongStep);
    expect(statusOf(err)).toBe(403);
    expect((await deps.store.get(review.id))?.status).toBe('PENDING');
    const fresh = (await links()).find((l) => l.step === 1 && l.approverId === old.approverId);
    if (!fresh) throw new Error('no step-2 link for the same approver');
    expect((await approve(review.id, fresh)).review.status).toBe('APPROVED');
  });
});

describe('a notification whose emails never went out', () => {
  it('is sent by the sweeper once the claim is older than the lease, and only then', async () => {
    const p = purchaseOrder(5000);
    const { review } = await deps.store.open(newReview(p, shippedPolicy.classify(p.action, p), deps.clock.now()));
    // Intake claimed the notification, then died before any email went out.
    await mutate(deps.store, review.id, (current) =>
      claimNotification(current as Review, 'intake-dead', deps.clock.now()),
    );
    // Its redelivery is another execution: within the lease it must not send (the first one may still).
    expect(await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-2' })).toEqual({ notified: [] });
    expect((await sweep(deps)).notified).toEqual([]);
    expect(deps.mailer.sent).toHaveLength(0);
    deps.clock.advance(NOTIFY_LEASE_MS);
    const swept = await sweep(deps);
    expect(swept.notified).toEqual([review.id]);
    expect(deps.mailer.sent.map((m) => m.to[0]).sort()).toEqual(review.route[0]?.approvers.map((a) => a.email).sort());
    expect(deps.bus.published.map((e) => e.detailType)).toEqual(['Approval Requested']);
    // Marked sent: later sweeps and redeliveries leave it alone.
    deps.clock.advance(NOTIFY_LEASE_MS);
    expect((await sweep(deps)).notified).toEqual([]);
    expect(await notifyStep(deps, { reviewId: review.id, executionRef: 'intake-3' })).toEqual({ notified: [] });
    expect(deps.mailer.sent).toHaveLength(review.route[0]?.approvers.length ?? 0);
  });
});
