// Emails wait their turn: with SES allowing 2 emails a second, a burst of proposals opens every review and
// announces it at once, and every approver's email still goes out, throttled sends retried with backoff.
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { reviewIdFor } from '../../functions/domain/ids.ts';
import { clients, signedFetch } from '../support/local.ts';
import { purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews({ sesQuota: { maxSendRate: 2, max24HourSend: 50_000 } });
const REVIEWS = 8;

it('opens and announces every review of a burst at once, and emails every approver once SES lets it', async () => {
  const { h, reviews } = local;
  const proposals = Array.from({ length: REVIEWS }, () => purchaseOrder(5000));
  const { eventBridge } = clients(h.app.url);
  for (let i = 0; i < proposals.length; i += 4) {
    const out = await eventBridge.send(
      new PutEventsCommand({
        Entries: proposals.slice(i, i + 4).map((p) => ({
          EventBusName: 'hitl-dev',
          Source: 'agent.test',
          DetailType: 'Action Proposed',
          Detail: JSON.stringify(p),
        })),
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
  }
  await h.app.stepFunctions.idle();
  await h.app.bus.idle();
  // Intake did not wait for SES: every review is open and announced, whatever the emails are doing.
  const requested = h.app.bus.events.filter((e) => e.DetailType === 'Approval Requested');
  expect(requested).toHaveLength(REVIEWS);
  expect(h.app.bus.events.filter((e) => e.DetailType === 'Intake Failed')).toEqual([]);

  // Each $5,000 purchase order goes to three managers: 24 emails at 2 a second, the throttled ones backing off.
  const ids = proposals.map((p) => reviewIdFor(p.agentId, p.proposalId));
  const approversOf = async (id: string) => (await reviews.get(id))?.route[0]?.approvers.map((a) => a.id) ?? [];
  const expected = (await Promise.all(ids.map(approversOf))).flat().length;
  expect(expected).toBe(3 * REVIEWS);
  for (let i = 0; i < 120 && h.app.mail.sent < expected; i++) {
    h.app.clock.advance(5_000);
    await h.app.idle();
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(h.app.mail.sent).toBe(expected);
  expect(h.app.mail.throttled).toBeGreaterThan(0);

  // Each review records who was emailed, and each approver has exactly one link.
  for (const id of ids) {
    const review = await reviews.get(id);
    expect(Object.keys(review?.emailed?.to ?? {}).sort()).toEqual((await approversOf(id)).sort());
    const links = await reviews.linksFor(review!);
    expect(links.map((l) => l.approverId).sort()).toEqual((await approversOf(id)).sort());
  }
  // The status says who was emailed when (until then, `waiting`).
  const status = (await (await signedFetch(h.app.url, 'GET', `/reviews/${ids[0]}/status`)).json()) as {
    notifications: { approverId: string; emailedAt?: string; waiting?: boolean }[];
  };
  expect(status.notifications).toHaveLength(3);
  for (const n of status.notifications) expect(n).toEqual({ approverId: n.approverId, emailedAt: expect.any(String) });
  // Nothing is left in the queue, and nothing went to its dead-letter queue.
  const [queue, dlq] = ['hitl-gate-dev-notifications', 'hitl-gate-dev-notifications-dlq'].map(
    (name) => h.app.sqs.queues.find((q) => q.name === name)!,
  );
  expect(h.app.sqs.counts(queue!.url)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
  expect(h.app.sqs.counts(dlq!.url)).toEqual({ visible: 0, notVisible: 0, delayed: 0 });
}, 120_000);
