// SLAs through the real wiring: the scheduled sweeper reads the due index, publishes "Review SLA Breached",
// the bus rule runs escalate, and the review moves up its chain or ends by the tier's onTimeout.
// Local mode's test clock makes the hours pass.
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { clients } from '../support/local.ts';
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';
import { keys, DUE_SHARDS } from '../../functions/adapters/reviews-table.ts';
import type { SweepResult } from '../../functions/sweep/handler.ts';

const local = useLocalReviews();

const HOUR = 3600_000;
const sweepAfter = (ms: number) => local.reviews.sweepAfter(ms);
const eventsOf = (id: string) =>
  local.h.app.bus.events
    .filter((e) => e.Source === 'hitl.gate' && JSON.parse(e.Detail).reviewId === id)
    .map((e) => ({ type: e.DetailType, at: e.time, detail: JSON.parse(e.Detail) }));

describe('the procurement story', () => {
  it('$5,000 waits 4 h for a manager, escalates to the finance director, who approves', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    expect(opened.review.route.map((s) => s.roles[0])).toEqual(['manager', 'finance_director', 'cfo']);
    expect((await sweepAfter(3 * HOUR)).breached).not.toContain(opened.id);

    const sweep = await sweepAfter(1 * HOUR + 60_000);
    expect(sweep.breached).toContain(opened.id);
    const escalated = await local.reviews.get(opened.id);
    expect(escalated).toMatchObject({ status: 'PENDING', step: 1, approvals: [] });
    expect(eventsOf(opened.id).map((e) => e.type)).toEqual([
      'Approval Requested',
      'Review SLA Breached',
      'Review Escalated',
    ]);

    // The manager's old link no longer decides; the finance director's new one does.
    const late = await local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' });
    expect(late).toMatchObject({ status: 403, body: { error: 'NotCurrentApprover' } });
    const [directorLink] = await local.reviews.linksFor(escalated!);
    expect(directorLink!.approverId).toBe(escalated!.route[1]!.approvers[0]!.id);
    expect((await local.reviews.decide(opened.id, { token: directorLink!.token, decision: 'approve' })).status).toBe(
      200,
    );
    await local.h.app.idle();
    expect(eventsOf(opened.id).map((e) => e.type)).toEqual([
      'Approval Requested',
      'Review SLA Breached',
      'Review Escalated',
      'Approval Granted',
    ]);
    expect((await local.reviews.get(opened.id))!.status).toBe('COMPLETED');
  });

  it('$50,000 goes to the CFO; with no answer it expires, fails closed, and the waiting caller fails with ReviewExpired', async () => {
    const opened = await local.reviews.open(purchaseOrder(50000, { taskToken: 'not-a-real-token' }));
    expect(opened.review.route.map((s) => s.roles[0])).toEqual(['cfo']);
    await sweepAfter(24 * HOUR + 60_000);
    const expired = await local.reviews.get(opened.id);
    expect(expired).toMatchObject({
      status: 'COMPLETED',
      decision: { outcome: 'expired', by: [{ id: 'policy', kind: 'policy' }] },
    });
    expect(eventsOf(opened.id).map((e) => e.type)).toEqual([
      'Approval Requested',
      'Review SLA Breached',
      'Approval Expired',
    ]);
    // The caller's token was not issued by local mode's Step Functions: resume reports it undeliverable and still completes.
    expect(expired!.history.map((e) => e.what)).toEqual(['opened', 'notified', 'sla_breached', 'expired', 'completed']);
  });

  it('keeps a critical change open whatever the time: escalates, then reminds, never expires', async () => {
    const opened = await local.reviews.open(
      proposal({
        agentId: 'migration-agent',
        action: {
          type: 'db_schema_change',
          summary: 'Add index on orders.customer_id',
          target: 'production/orders-db',
          amount: undefined,
        },
      }),
    );
    for (let i = 0; i < 4; i++) await sweepAfter(2 * 24 * HOUR);
    const still = await local.reviews.get(opened.id);
    expect(still!.status).toBe('PENDING');
    expect(still!.history.filter((e) => e.what === 'reminded').length).toBeGreaterThanOrEqual(1);
    expect(eventsOf(opened.id).filter((e) => e.type === 'Review Escalated').length).toBeGreaterThanOrEqual(2);
    expect(eventsOf(opened.id).some((e) => e.type === 'Approval Expired')).toBe(false);
  });
});

describe('races at the deadline', () => {
  it('ends in exactly one outcome when a decision races the sweeper', async () => {
    for (let i = 0; i < 5; i++) {
      const opened = await local.reviews.open(purchaseOrder(50000));
      local.h.app.clock.advance(24 * HOUR + 60_000);
      const [decision] = await Promise.all([
        local.reviews.decide(opened.id, { token: opened.links[0]!.token, decision: 'approve' }),
        local.h.app.schedules.fire('sweep'),
        local.h.app.schedules.fire('sweep'),
      ]);
      await local.h.app.idle();
      const outcomes = eventsOf(opened.id).filter((e) => ['Approval Granted', 'Approval Expired'].includes(e.type));
      expect(outcomes).toHaveLength(1);
      const final = await local.reviews.get(opened.id);
      expect(final!.status).toBe('COMPLETED');
      expect(outcomes[0]!.type).toBe(final!.decision!.outcome === 'approved' ? 'Approval Granted' : 'Approval Expired');
      expect(decision.status === 200).toBe(final!.decision!.outcome === 'approved');
    }
  });
});

describe('a sweep with a review it cannot handle', () => {
  it('still handles the other due reviews instead of failing the whole sweep', async () => {
    const { dynamo } = clients(local.h.app.url);
    const table = local.h.app.wiring.environment.REVIEWS_TABLE!;
    const opened = await local.reviews.open(purchaseOrder(5000));
    // A damaged item (no route) that is due: breaching it fails.
    const bad = 'rv-damaged';
    const past = new Date(local.h.app.clock.now() + 3 * HOUR).toISOString();
    await dynamo.send(
      new PutCommand({
        TableName: table,
        Item: {
          ...keys.review(bad),
          id: bad,
          status: 'PENDING',
          deadline: past,
          dueShard: keys.dueShard(bad),
          dueAt: past,
          version: 1,
          history: [],
        },
      }),
    );
    const sweep = await sweepAfter(4 * HOUR + 60_000);
    expect(sweep.breached).toContain(opened.id);
    expect(sweep.breached).not.toContain(bad);
    expect((await local.reviews.get(opened.id))!.step).toBe(1);
  });
});

describe('the sweeper reads only what is due', () => {
  // The same with a 10,000-review backlog, and what it costs, is `npm run bench:sweep`.
  it('reads about 20 items with 1,000 reviews pending and 20 due', async () => {
    const { dynamo } = clients(local.h.app.url);
    const table = local.h.app.wiring.environment.REVIEWS_TABLE!;
    // Everything earlier in this file is settled first, so the count is this test's own.
    await sweepAfter(7 * 24 * HOUR);
    const now = local.h.app.clock.now();
    const ids = Array.from({ length: 1_000 }, (_, i) => `bulk-${i.toString(16).padStart(8, '0')}`);
    let next = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (next < ids.length) {
          const i = next++;
          const id = ids[i]!;
          // Pending reviews as the table keeps them: 20 already due, the rest due in a day.
          const dueAt = new Date(now + (i < 20 ? -60_000 : 24 * HOUR)).toISOString();
          await dynamo.send(
            new PutCommand({
              TableName: table,
              Item: {
                ...keys.review(id),
                id,
                status: 'PENDING',
                dueShard: keys.dueShard(id),
                dueAt,
                version: 1,
                history: [],
              },
            }),
          );
        }
      }),
    );
    const sweep = (await local.h.app.schedules.fire('sweep')) as SweepResult;
    expect(sweep.itemsRead).toBeGreaterThanOrEqual(20);
    expect(sweep.itemsRead).toBeLessThanOrEqual(20 + DUE_SHARDS);
  }, 60_000);
});
