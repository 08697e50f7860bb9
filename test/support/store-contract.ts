// What hitl-gate relies on from a ReviewStore, as plain data to compare across stores: the DynamoDB adapter
// on dynalite and on DynamoDB Local (test/integration/store-fidelity.test.ts) and the in-memory store the
// use-case tests run on (test/unit/memory-store.test.ts) must all give the same answers.
import { LinkAlreadyUsed, type ReviewStore, StaleReview } from '../../functions/app/ports.ts';
import { newReview, type Review } from '../../functions/domain/review.ts';
import { shippedPolicy } from './policy.ts';
import { purchaseOrder } from './proposals.ts';

export const NOW = new Date('2026-11-24T09:00:00.000Z');
export const open = (value: number, at = NOW) => {
  const p = purchaseOrder(value);
  return newReview(p, shippedPolicy.classify(p.action, p), at);
};
const outcome = (fn: () => Promise<unknown>) =>
  fn().then(
    () => 'ok',
    (e: Error) => e.name,
  );

/** The behaviours the product relies on, as plain data to compare across stores. */
export async function scenario(table: ReviewStore) {
  const a = open(5000);
  const first = await table.open(a);
  const again = await table.open({ ...a, reason: 'a duplicate event' });
  const read = (await table.get(a.id))!;
  const approved: Review = {
    ...read,
    approvals: [{ approverId: 'raj.patel', at: NOW.toISOString(), actionHash: read.actionHash }],
    version: read.version + 1,
  };
  const entry = { at: NOW.toISOString(), what: 'approved' as const, by: { id: 'raj.patel', kind: 'person' as const } };
  const saved = await outcome(() => table.save(read, approved, [entry], { consumeLink: 'nonce-1' }));
  const reused = await outcome(() =>
    table.save({ ...read, version: read.version + 1 }, { ...approved, version: read.version + 2 }, [entry], {
      consumeLink: 'nonce-1',
    }),
  );
  const stale = await outcome(() => table.save(read, approved, [entry]));
  const after = (await table.get(a.id))!;

  // Due index: two pending reviews past their deadline, one not yet, one completed.
  const due1 = await table.open(open(5000, new Date(NOW.getTime() - 5 * 3600_000)));
  const due2 = await table.open(open(50000, new Date(NOW.getTime() - 30 * 3600_000)));
  const third = (await table.open(open(5000, NOW))).review.id;
  const done = (await table.open(open(500, new Date(NOW.getTime() - 9 * 3600_000)))).review;
  await table.save(done, { ...done, status: 'COMPLETED', version: done.version + 1 }, []);
  const due = await table.due(NOW);
  // Approver index: raj.patel approved `a` (no row left for him there); the CFO waits only on the large order.
  const mine = new Set([a.id, due1.review.id, due2.review.id, third]);
  // Only this scenario's reviews: a table shared with other tests holds theirs too.
  const inboxOf = async (approver: string) =>
    (await table.inbox(approver)).rows.map((r) => r.reviewId).filter((id) => mine.has(id));
  const byDeadline = [due1.review.id, ...[a.id, third].sort()];

  return {
    created: [first.created, again.created, again.review.reason === a.reason],
    saved,
    reused,
    stale,
    history: after.history.map((h) => h.what),
    usedLinks: after.usedLinks,
    approvals: after.approvals.map((x) => x.approverId),
    version: after.version,
    due: due.ids.sort(),
    expectedDue: [due1.review.id, due2.review.id].sort(),
    inbox: { mira: await inboxOf('mira.okafor'), raj: await inboxOf('raj.patel'), cfo: await inboxOf('helen.cho') },
    expectedInbox: { mira: byDeadline, raj: byDeadline.filter((id) => id !== a.id), cfo: [due2.review.id] },
  };
}

/** What every store answers in `scenario` (and `due` equals `expectedDue`). */
export const EXPECTED = {
  created: [true, false, true],
  saved: 'ok',
  reused: LinkAlreadyUsed.name,
  stale: StaleReview.name,
  history: ['opened', 'approved'],
  usedLinks: ['nonce-1'],
  approvals: ['raj.patel'],
  version: 2,
};
