// The approver's inbox through local mode: the approver index behind the real SDK, the emailed inbox link, and
// batches decided in one POST, each review its own conditional decision ending in exactly one outcome.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ReviewsTable } from '../../functions/adapters/reviews-table.ts';
import { MAX_BATCH } from '../../functions/domain/inbox.ts';
import { purchaseOrder, schemaChange } from '../support/proposals.ts';
import { type OpenedReview, useLocalReviews } from '../support/reviews.ts';

const local = useLocalReviews();
const MANAGER = { id: 'mira.okafor', email: 'mira.okafor@example.com' };
const TEN_MINUTES = 600_000;

/** Reviews opened ten minutes apart, so their deadlines (4 h after opening) are in the order opened. */
async function openInOrder(values: number[]): Promise<OpenedReview[]> {
  const opened: OpenedReview[] = [];
  for (const value of values) {
    opened.push(await local.reviews.open(purchaseOrder(value)));
    local.h.app.clock.advance(TEN_MINUTES);
  }
  return opened;
}

const rowsOf = (body: Record<string, any>, ids: string[]) =>
  (body.reviews as Record<string, any>[]).filter((r) => ids.includes(r.reviewId));
const selection = (row: Record<string, any>) => ({
  reviewId: row.reviewId,
  step: row.step,
  actionHash: row.actionHash,
});

function adapter() {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: local.h.app.url,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  return new ReviewsTable(doc, local.reviews.table);
}

describe('the inbox', () => {
  it("lists an approver's pending reviews from the approver index, oldest deadline first, and a GET changes nothing", async () => {
    const opened = await openInOrder([3000, 4000, 5000]);
    const ids = opened.map((o) => o.id);
    const { token, url } = await local.reviews.inboxLinkOf(MANAGER.email);
    expect(new URL(url).pathname).toBe('/inbox');

    const listed = await local.reviews.inbox(token);
    expect(listed.status).toBe(200);
    expect(listed.body.approverId).toBe(MANAGER.id);
    const rows = rowsOf(listed.body, ids);
    expect(rows.map((r) => r.reviewId)).toEqual(ids);
    const deadlines = (listed.body.reviews as { deadline: string }[]).map((r) => r.deadline);
    expect(deadlines).toEqual([...deadlines].sort());
    expect(rows[0]).toMatchObject({
      step: 0,
      actionHash: opened[0]!.review.actionHash,
      type: 'purchase_order',
      summary: 'Purchase order for $3000',
      amount: { value: 3000, currency: 'USD' },
      proposalId: opened[0]!.proposal.proposalId,
    });
    // Deadlines in the approver's own zone (the directory says New York), as the review page shows them.
    expect(rows[0]!.deadlineText).toMatch(/New York time$/);

    // The row's link opens the review's page as a decision link for this approver and step would.
    const page = await fetch(`${local.h.app.url}${rows[0]!.page}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('You decide as Mira Okafor');

    // HTML by default: the link in an email is for people.
    const html = await fetch(url);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await html.text();
    for (const o of opened) expect(text).toContain(`value="${o.id}:0:${o.review.actionHash}"`);

    // Opening the inbox wrote nothing: every review is at the version it was opened with.
    for (const o of opened) expect((await local.reviews.get(o.id))!.version).toBe(o.review.version);
  });

  it('reads one row per review waiting for the approver, and nothing else, in one Query', async () => {
    const table = adapter();
    const before = await table.inbox(MANAGER.id);
    await openInOrder([2000, 2500]);
    const after = await table.inbox(MANAGER.id);
    expect(after.rows).toHaveLength(before.rows.length + 2);
    expect(after.itemsRead).toBe(after.rows.length);
    // The other managers of the step wait on the same reviews; the CFO on none of them.
    expect((await table.inbox('daniel.reyes')).rows.map((r) => r.reviewId)).toEqual(after.rows.map((r) => r.reviewId));
    const cfo = await table.inbox('helen.cho');
    expect(cfo.rows.filter((r) => after.rows.some((a) => a.reviewId === r.reviewId))).toEqual([]);
  });

  it('approves three reviews in one POST, each ending in exactly one outcome event, and takes them off every inbox', async () => {
    const opened = await openInOrder([6000, 7000, 8000]);
    const ids = opened.map((o) => o.id);
    const { token } = await local.reviews.inboxLinkOf(MANAGER.email);
    const rows = rowsOf((await local.reviews.inbox(token)).body, ids);
    const answer = await local.reviews.decideInbox({
      token,
      decision: 'approve',
      reason: 'Budgeted',
      reviews: rows.map(selection),
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r: Record<string, any>) => [r.reviewId, r.result, r.review.status])).toEqual(
      ids.map((id) => [id, 'decided', 'APPROVED']),
    );
    await local.h.app.idle();
    for (const id of ids) {
      expect(local.reviews.outcomesOf(id).map((e) => e.detailType)).toEqual(['Approval Granted']);
      expect(local.reviews.resumesOf(id)).toHaveLength(1);
      const stored = (await local.reviews.get(id))!;
      expect(stored).toMatchObject({ status: 'COMPLETED', decision: { by: [{ id: MANAGER.id }], reason: 'Budgeted' } });
    }
    for (const approver of [MANAGER.id, 'daniel.reyes', 'raj.patel']) {
      const left = await adapter().inbox(approver);
      expect(left.rows.filter((r) => ids.includes(r.reviewId))).toEqual([]);
    }

    // The same POST again (its answer was lost) gets the same answers and decides nothing more.
    const again = await local.reviews.decideInbox({
      token,
      decision: 'approve',
      reason: 'Budgeted',
      reviews: rows.map(selection),
    });
    expect(again.body.results.map((r: Record<string, any>) => r.result)).toEqual(['decided', 'decided', 'decided']);
    await local.h.app.idle();
    for (const id of ids) expect(local.reviews.outcomesOf(id)).toHaveLength(1);
  });

  it('answers a mixed batch per review (decided, already decided, not yours, changed) and still decides the others', async () => {
    const [taken, mine, changed] = await openInOrder([4100, 4200, 4300]);
    const cfos = await local.reviews.open(purchaseOrder(50_000));
    const { token } = await local.reviews.inboxLinkOf(MANAGER.email);
    const rows = rowsOf((await local.reviews.inbox(token)).body, [taken!.id, mine!.id, changed!.id]);
    // Another manager decides one first, from their email.
    const daniel = taken!.links.find((l) => l.approverId === 'daniel.reyes')!;
    expect(
      (await local.reviews.decide(taken!.id, { token: daniel.token, decision: 'reject', reason: 'No budget' })).status,
    ).toBe(200);

    const answer = await local.reviews.decideInbox({
      token,
      decision: 'approve',
      reviews: [
        selection(rows[0]!),
        { reviewId: cfos.id, step: 0, actionHash: cfos.review.actionHash },
        selection(rows[1]!),
        // What the row showed is not the action under approval now.
        { ...selection(rows[2]!), actionHash: 'f'.repeat(64) },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((r: Record<string, any>) => [r.reviewId, r.result])).toEqual([
      [taken!.id, 'already-decided'],
      [cfos.id, 'not-yours'],
      [mine!.id, 'decided'],
      [changed!.id, 'changed'],
    ]);
    expect(answer.body.results[0].message).toMatch(/already rejected by daniel\.reyes/);
    expect(answer.body.results[3].message).toMatch(/changed since you loaded it/);
    await local.h.app.idle();
    expect(local.reviews.outcomesOf(taken!.id).map((e) => e.detailType)).toEqual(['Approval Rejected']);
    expect(local.reviews.outcomesOf(mine!.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
    expect(local.reviews.outcomesOf(cfos.id)).toEqual([]);
    expect(local.reviews.outcomesOf(changed!.id)).toEqual([]);
    expect((await local.reviews.get(changed!.id))!).toMatchObject({
      status: 'PENDING',
      version: changed!.review.version,
    });
  });

  it("records one approval of a quorum's two, keeps the review in the other approvers' inboxes, and decides on the second", async () => {
    const critical = await local.reviews.open(schemaChange());
    const [first, second] = critical.review.route[0]!.approvers;
    const firstToken = await local.reviews.signInbox({ approverId: first!.id });
    const row = selection(rowsOf((await local.reviews.inbox(firstToken)).body, [critical.id])[0]!);
    const recorded = await local.reviews.decideInbox({ token: firstToken, decision: 'approve', reviews: [row] });
    expect(recorded.body.results).toMatchObject([
      {
        reviewId: critical.id,
        result: 'recorded',
        message: expect.stringMatching(/^Your approval is recorded\. 1 of 2 approvals/),
      },
    ]);
    expect(rowsOf((await local.reviews.inbox(firstToken)).body, [critical.id])).toEqual([]);
    const secondToken = await local.reviews.signInbox({ approverId: second!.id });
    const waiting = rowsOf((await local.reviews.inbox(secondToken)).body, [critical.id]);
    expect(waiting).toMatchObject([{ approvals: 1, quorum: 2 }]);
    const decided = await local.reviews.decideInbox({
      token: secondToken,
      decision: 'approve',
      reviews: [selection(waiting[0]!)],
    });
    expect(decided.body.results).toMatchObject([{ result: 'decided', review: { status: 'APPROVED' } }]);
    await local.h.app.idle();
    expect(local.reviews.outcomesOf(critical.id).map((e) => e.detailType)).toEqual(['Approval Granted']);
  });

  it("moves a review to the next step's inboxes when it escalates", async () => {
    const [o] = await openInOrder([4800]);
    const table = adapter();
    expect((await table.inbox(MANAGER.id)).rows.map((r) => r.reviewId)).toContain(o!.id);
    await local.reviews.sweepAfter(4 * 3_600_000 + 60_000);
    const after = (await local.reviews.get(o!.id))!;
    expect(after).toMatchObject({ status: 'PENDING', step: 1 });
    const next = after.route[1]!.approvers.map((a) => a.id);
    expect((await table.inbox(MANAGER.id)).rows.map((r) => r.reviewId)).not.toContain(o!.id);
    for (const id of next)
      expect((await table.inbox(id)).rows.filter((r) => r.reviewId === o!.id)).toMatchObject([{ step: 1 }]);
    // The manager's row of the first step, posted back late, decides nothing: the review moved on from her.
    const token = await local.reviews.signInbox({ approverId: MANAGER.id });
    const late = await local.reviews.decideInbox({
      token,
      decision: 'approve',
      reviews: [{ reviewId: o!.id, step: 0, actionHash: o!.review.actionHash }],
    });
    expect(late.body.results.map((r: Record<string, any>) => r.result)).toEqual(['not-yours']);
  });

  it('rejects several with one reason, and refuses a reject without one before deciding anything', async () => {
    const opened = await openInOrder([4400, 4500]);
    const { token } = await local.reviews.inboxLinkOf(MANAGER.email);
    const reviews = rowsOf(
      (await local.reviews.inbox(token)).body,
      opened.map((o) => o.id),
    ).map(selection);
    const refused = await local.reviews.decideInbox({ token, decision: 'reject', reviews });
    expect(refused).toMatchObject({
      status: 400,
      body: { error: 'BadRequest', message: expect.stringMatching(/reason is required to reject/) },
    });
    for (const o of opened) expect((await local.reviews.get(o.id))!.status).toBe('PENDING');
    const answer = await local.reviews.decideInbox({ token, decision: 'reject', reason: 'Not this quarter', reviews });
    expect(answer.body.results.map((r: Record<string, any>) => [r.result, r.review.status])).toEqual([
      ['decided', 'REJECTED'],
      ['decided', 'REJECTED'],
    ]);
    await local.h.app.idle();
    for (const o of opened)
      expect(local.reviews.outcomesOf(o.id).map((e) => e.detailType)).toEqual(['Approval Rejected']);
  });
});

describe('the inbox link', () => {
  it('is bound to one person and one purpose: a decision link is no inbox link, and an inbox link decides no review', async () => {
    const [o] = await openInOrder([4600]);
    const decisionLink = o!.links[0]!;
    expect(await local.reviews.inbox(decisionLink.token)).toMatchObject({
      status: 401,
      body: { error: 'TokenInvalid', message: expect.stringMatching(/not your inbox/) },
    });
    const inbox = await local.reviews.signInbox({ approverId: MANAGER.id });
    const page = await fetch(`${local.h.app.url}/reviews/${o!.id}?t=${encodeURIComponent(inbox)}`, {
      headers: { accept: 'application/json' },
    });
    expect(page.status).toBe(401);
    expect(await local.reviews.decide(o!.id, { token: inbox, decision: 'approve' })).toMatchObject({
      status: 401,
      body: { error: 'TokenInvalid', message: expect.stringMatching(/inbox link/) },
    });
    // Another person's inbox link lists their reviews, not Mira's, and decides as them: this one is not theirs.
    const cfo = await local.reviews.signInbox({ approverId: 'helen.cho' });
    const theirs = await local.reviews.inbox(cfo);
    expect(theirs.body.reviews.map((r: { reviewId: string }) => r.reviewId)).not.toContain(o!.id);
    const row = { reviewId: o!.id, step: 0, actionHash: o!.review.actionHash };
    const answer = await local.reviews.decideInbox({ token: cfo, decision: 'approve', reviews: [row] });
    expect(answer.body.results.map((r: Record<string, any>) => r.result)).toEqual(['not-yours']);
    expect((await local.reviews.get(o!.id))!.status).toBe('PENDING');
  });

  it('expires, and a missing, tampered or expired token gets a 401 saying so', async () => {
    const now = new Date(local.h.app.clock.now() - 2 * 86_400_000);
    const expired = await local.reviews.signInbox(
      { approverId: MANAGER.id, expiresAt: new Date(now.getTime() + 60_000) },
      now,
    );
    expect(await local.reviews.inbox(expired)).toMatchObject({ status: 401, body: { error: 'TokenExpired' } });
    const missing = await fetch(`${local.h.app.url}/inbox`, { headers: { accept: 'application/json' } });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ message: expect.stringMatching(/inbox link from your email/) });
    const good = await local.reviews.signInbox({ approverId: MANAGER.id });
    expect(await local.reviews.inbox(`${good.slice(0, -2)}xx`)).toMatchObject({
      status: 401,
      body: { error: 'TokenInvalid' },
    });
  });

  it('refuses a batch that is not one the inbox offers with a 400 saying what is wrong, and decides nothing', async () => {
    const [o] = await openInOrder([4700]);
    const token = await local.reviews.signInbox({ approverId: MANAGER.id });
    const row = { reviewId: o!.id, step: 0, actionHash: o!.review.actionHash };
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ token, decision: 'approve' }, /select at least one review/],
      [{ token, decision: 'approve', reviews: [] }, /select at least one review/],
      [{ token, decision: 'maybe', reviews: [row] }, /decision must be "approve" or "reject"/],
      [{ decision: 'approve', reviews: [row] }, /token is required/],
      [{ token, decision: 'approve', reviews: [row, row] }, /selected twice/],
      [{ token, decision: 'approve', reviews: [{ ...row, actionHash: 'abc' }] }, /64 hex digits/],
      [{ token, decision: 'approve', reviews: [{ ...row, reviewId: 'x'.repeat(300) }] }, /not a review id/],
      [{ token, decision: 'approve', reviews: Array(MAX_BATCH + 1).fill(row) }, new RegExp(`at most ${MAX_BATCH}`)],
    ];
    for (const [body, message] of cases)
      expect(await local.reviews.decideInbox(body)).toMatchObject({
        status: 400,
        body: { message: expect.stringMatching(message) },
      });
    // A form whose ticked value is not a row's.
    const form = await fetch(`${local.h.app.url}/inbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, decision: 'approve', review: 'not-a-row' }).toString(),
    });
    expect(form.status).toBe(400);
    expect(await form.text()).toContain('is not one the inbox offers');
    expect((await local.reviews.get(o!.id))!).toMatchObject({ status: 'PENDING', version: o!.review.version });
  });
});
