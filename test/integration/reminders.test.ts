// Reminders before a deadline through the real wiring: the scheduled sweeper finds a pending review in the due
// index at its reminder time (the policy's remindAt), claims the reminder with a conditional write and emails
// the current approvers again, with new links. Local mode's test clock makes the hours pass.
import { proposal, purchaseOrder } from '../support/proposals.ts';
import { useLocalReviews } from '../support/reviews.ts';
import type { SweepResult } from '../../functions/sweep/handler.ts';

const local = useLocalReviews();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const REMINDER = /Reminder: (\d+)% of the time to decide has passed \(review /;
/** The deadline an approver email states, as the exact instant its HTML keeps in <time datetime>. */
const DUE = /<th[^>]*>Decide by<\/th><td><time datetime="([^"]+)">/;
const LINK = /Open the review to approve, edit or reject: (\S+)/;

const sweepAfter = (ms: number) => local.reviews.sweepAfter(ms);
/** Moves time on and runs two sweeps at once, as a slow sweep overlapping the next minute's would. */
async function afterTwoSweeps(ms: number): Promise<SweepResult[]> {
  local.h.app.clock.advance(ms);
  const results = (await Promise.all([
    local.h.app.schedules.fire('sweep'),
    local.h.app.schedules.fire('sweep'),
  ])) as SweepResult[];
  await local.h.app.idle();
  return results;
}
/** The reminder emails the sweeper sent about one review: to whom, at which percentage, with which deadline and link. */
async function remindersOf(id: string) {
  const mail = await local.h.app.mail.list();
  return mail
    .filter((m) => m.text.includes(`(review ${id})`) && REMINDER.test(m.text))
    .map((m) => {
      const [, percent] = REMINDER.exec(m.text)!;
      const due = DUE.exec(m.html)?.[1];
      return { to: m.to, subject: m.subject, percent: Number(percent), due, link: LINK.exec(m.text)?.[1] };
    });
}
const timesReminded = (sweeps: SweepResult[], id: string) =>
  sweeps.flatMap((s) => s.reminded).filter((r) => r === id).length;
const eventsOf = (id: string) =>
  local.h.app.bus.events
    .filter((e) => e.Source === 'hitl.gate' && JSON.parse(e.Detail).reviewId === id)
    .map((e) => e.DetailType);

describe('reminders before the deadline', () => {
  it('reminds the managers of a $5,000 purchase order at 2 h and 3 h 36 m, once each, then escalates at 4 h as before', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    const managers = opened.review.route[0]!.approvers.map((a) => a.email);
    expect(opened.review.route[0]!.remindAt).toEqual([50, 90]);
    expect(managers).toHaveLength(3);

    expect((await sweepAfter(2 * HOUR - MINUTE)).reminded).not.toContain(opened.id);
    expect(await remindersOf(opened.id)).toEqual([]);

    // 50% of 4 h: two sweeps at once remind once.
    const half = await afterTwoSweeps(MINUTE);
    expect(timesReminded(half, opened.id)).toBe(1);
    const first = await remindersOf(opened.id);
    expect(first.map((m) => m.to[0]).sort()).toEqual([...managers].sort());
    for (const m of first) {
      expect(m).toMatchObject({
        percent: 50,
        due: opened.review.deadline,
        subject: expect.stringContaining(`Purchase order $5,000.00: "${opened.proposal.action.summary}" · decide by `),
      });
      // A new link, not the one of the first email.
      expect(m.link).toBeDefined();
      expect(opened.links.map((l) => l.url)).not.toContain(m.link);
    }
    expect((await local.reviews.get(opened.id))!.history.filter((h) => h.what === 'reminder_sent')).toHaveLength(1);

    // Nothing more until 90%.
    expect((await sweepAfter(HOUR + 35 * MINUTE)).reminded).not.toContain(opened.id);
    expect(await remindersOf(opened.id)).toHaveLength(3);

    // 90% of 4 h (3 h 36 m): again once, however many sweeps run.
    const ninety = await afterTwoSweeps(MINUTE);
    expect(timesReminded(ninety, opened.id)).toBe(1);
    expect((await sweepAfter(MINUTE)).reminded).not.toContain(opened.id);
    const all = await remindersOf(opened.id);
    expect(
      all
        .filter((m) => m.percent === 90)
        .map((m) => m.to[0])
        .sort(),
    ).toEqual([...managers].sort());
    expect(all).toHaveLength(6);

    // The 4 h breach escalates to the finance director as before; that step asks for no reminders.
    const breach = await sweepAfter(23 * MINUTE + MINUTE);
    expect(breach.breached).toContain(opened.id);
    expect(breach.reminded).not.toContain(opened.id);
    const escalated = await local.reviews.get(opened.id);
    expect(escalated).toMatchObject({ status: 'PENDING', step: 1, remindersSent: [] });
    expect(eventsOf(opened.id)).toEqual(['Approval Requested', 'Review SLA Breached', 'Review Escalated']);
    expect(escalated!.history.map((h) => h.what)).toEqual([
      'opened',
      'notified',
      'reminder_sent',
      'reminder_sent',
      'sla_breached',
      'escalated',
    ]);
    expect((await sweepAfter(3 * HOUR)).reminded).not.toContain(opened.id);
    expect(await remindersOf(opened.id)).toHaveLength(6);
  });

  it('sends no reminder once the review is decided, and a reminder link decides like the first one', async () => {
    const opened = await local.reviews.open(purchaseOrder(5000));
    await sweepAfter(2 * HOUR);
    const [reminder] = await remindersOf(opened.id);
    expect(reminder).toMatchObject({ percent: 50 });

    const token = new URL(reminder!.link!).searchParams.get('t')!;
    expect((await local.reviews.decide(opened.id, { token, decision: 'approve' })).status).toBe(200);
    await local.h.app.idle();

    const sweeps = [await sweepAfter(HOUR + 36 * MINUTE), await sweepAfter(30 * MINUTE)];
    expect(timesReminded(sweeps, opened.id)).toBe(0);
    expect(sweeps.flatMap((s) => s.breached)).not.toContain(opened.id);
    expect(await remindersOf(opened.id)).toHaveLength(3);
    expect(eventsOf(opened.id)).toEqual(['Approval Requested', 'Approval Granted']);
    expect((await local.reviews.get(opened.id))!.status).toBe('COMPLETED');
  });

  it('sends none where the policy asks for none: a $50,000 purchase order waits for the CFO without reminders', async () => {
    const opened = await local.reviews.open(purchaseOrder(50000));
    expect(opened.review.route[0]!.remindAt).toBeUndefined();
    const sweeps = [await sweepAfter(12 * HOUR), await sweepAfter(11 * HOUR + 59 * MINUTE)];
    expect(timesReminded(sweeps, opened.id)).toBe(0);
    expect(await remindersOf(opened.id)).toEqual([]);
    expect((await local.reviews.get(opened.id))!.status).toBe('PENDING');
  });

  it('reminds the approvers of a critical change before each deadline, in every reminder cycle', async () => {
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
    const approvers = opened.review.route[0]!.approvers.map((a) => a.email);
    await sweepAfter(2 * HOUR);
    const first = await remindersOf(opened.id);
    expect(first.map((m) => m.to[0]).sort()).toEqual([...approvers].sort());
    expect(first.every((m) => m.percent === 50 && m.subject.startsWith('Critical: Database schema change:'))).toBe(
      true,
    );
    // The deadline passes: the review stays open for a new 4 h, with its reminders again.
    await sweepAfter(2 * HOUR);
    const cycled = await local.reviews.get(opened.id);
    expect(cycled).toMatchObject({ status: 'PENDING', step: 0, remindersSent: [] });
    await sweepAfter(2 * HOUR);
    expect((await remindersOf(opened.id)).filter((m) => m.due === cycled!.deadline)).toHaveLength(approvers.length);
  });
});
