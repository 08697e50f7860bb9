// The inbox's pure parts: its links (one person, one purpose, an expiry), the nonces its decisions claim, the rows
// a review gives its approvers' inboxes and their order, and the batch request's checks.
import { createHmac } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { TokenExpired, TokenInvalid } from '../../functions/domain/errors.ts';
import { type InboxRow, inboxRows, MAX_BATCH, oldestDeadlineFirst } from '../../functions/domain/inbox.ts';
import { decide } from '../../functions/domain/decision.ts';
import { newReview } from '../../functions/domain/review.ts';
import {
  INBOX_LINK_DAYS,
  inboxDecisionNonce,
  signDecisionToken,
  signInboxToken,
  verifyDecisionToken,
  verifyInboxToken,
} from '../../functions/domain/tokens.ts';
import { parseInboxPost, parseInboxRequest, selectionValue } from '../../functions/http/inbox-request.ts';
import { shippedPolicy } from '../support/policy.ts';
import { purchaseOrder, schemaChange } from '../support/proposals.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 7);
const NOW = new Date('2026-11-24T09:00:00.000Z');
const WEEK = new Date(NOW.getTime() + INBOX_LINK_DAYS * 86_400_000);
const REVIEW = 'rv-0123456789abcdef0123456789abcdef';
const HASH = 'a'.repeat(64);

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
function handSigned(payload: object): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', KEY).update(input).digest('base64url')}`;
}

const opened = (p = purchaseOrder(5000), at = NOW) => newReview(p, shippedPolicy.classify(p.action, p), at);

describe('inbox links', () => {
  const inbox = () => signInboxToken(KEY, { approverId: 'mira.okafor', nonce: 'inbox-nonce-1', expiresAt: WEEK }, NOW);

  it('round-trip the approver, the nonce and the expiry', async () => {
    await expect(verifyInboxToken(KEY, await inbox(), NOW)).resolves.toEqual({
      approverId: 'mira.okafor',
      nonce: 'inbox-nonce-1',
      expiresAt: WEEK,
    });
  });

  it('are refused as a decision link, and a decision link is refused as an inbox link', async () => {
    await expect(verifyDecisionToken(KEY, await inbox(), { reviewId: REVIEW }, NOW)).rejects.toThrow(
      new TokenInvalid("This is your inbox link, not a review's link: open the review from your inbox."),
    );
    const decision = await signDecisionToken(
      KEY,
      { reviewId: REVIEW, approverId: 'mira.okafor', step: 0, nonce: 'n1', expiresAt: WEEK },
      NOW,
    );
    await expect(verifyInboxToken(KEY, decision, NOW)).rejects.toThrow(/opens one review, not your inbox/);
  });

  it('refuse a decision link signed before links had a purpose, and accept it as the decision link it is', async () => {
    const legacy = handSigned({
      iss: 'hitl-gate',
      sub: 'mira.okafor',
      aud: REVIEW,
      jti: 'n2',
      step: 0,
      iat: NOW.getTime() / 1000,
      exp: WEEK.getTime() / 1000,
    });
    await expect(verifyInboxToken(KEY, legacy, NOW)).rejects.toBeInstanceOf(TokenInvalid);
    await expect(verifyDecisionToken(KEY, legacy, { reviewId: REVIEW }, NOW)).resolves.toMatchObject({ nonce: 'n2' });
  });

  it('refuse a token of another purpose, one naming a review, and an expired one', async () => {
    const claims = {
      iss: 'hitl-gate',
      sub: 'mira.okafor',
      jti: 'n3',
      iat: NOW.getTime() / 1000,
      exp: WEEK.getTime() / 1000,
    };
    await expect(verifyInboxToken(KEY, handSigned({ ...claims, purpose: 'admin' }), NOW)).rejects.toBeInstanceOf(
      TokenInvalid,
    );
    await expect(
      verifyInboxToken(KEY, handSigned({ ...claims, purpose: 'inbox', aud: REVIEW }), NOW),
    ).rejects.toBeInstanceOf(TokenInvalid);
    await expect(verifyInboxToken(KEY, await inbox(), new Date(WEEK.getTime() + 1000))).rejects.toBeInstanceOf(
      TokenExpired,
    );
  });

  it('derive a different nonce per review, step and action, and the same one for the same request', () => {
    const base = inboxDecisionNonce('inbox-nonce-1', REVIEW, 0, HASH);
    expect(inboxDecisionNonce('inbox-nonce-1', REVIEW, 0, HASH)).toBe(base);
    const others = [
      inboxDecisionNonce('inbox-nonce-2', REVIEW, 0, HASH),
      inboxDecisionNonce('inbox-nonce-1', 'rv-ffffffffffffffffffffffffffffffff', 0, HASH),
      inboxDecisionNonce('inbox-nonce-1', REVIEW, 1, HASH),
      inboxDecisionNonce('inbox-nonce-1', REVIEW, 0, 'b'.repeat(64)),
    ];
    expect(new Set([base, ...others]).size).toBe(5);
    expect(base).toMatch(/^[\w-]{22}$/);
  });
});

describe('inbox rows', () => {
  it('give a pending review one row per approver of its current step, with what the inbox shows', () => {
    const review = opened();
    const rows = inboxRows(review);
    expect(rows.map((r) => r.approverId)).toEqual(review.route[0]!.approvers.map((a) => a.id));
    expect(rows[0]).toEqual({
      reviewId: review.id,
      approverId: review.route[0]!.approvers[0]!.id,
      step: 0,
      actionHash: review.actionHash,
      type: 'purchase_order',
      summary: review.action.summary,
      amount: { value: 5000, currency: 'USD' },
      proposalId: review.proposalId,
      tier: 'medium',
      pattern: review.pattern,
      deadline: review.deadline,
      quorum: 1,
      approvals: 0,
    });
  });

  it('leave out an approver whose approval counts already, and the requester; a decided review has none', () => {
    const critical = opened(schemaChange());
    const [first, second] = critical.route[0]!.approvers;
    const { next } = decide(critical, { approverId: first!.id, decision: 'approve' }, shippedPolicy, NOW);
    expect(next.status).toBe('PENDING');
    expect(inboxRows(next).map((r) => [r.approverId, r.approvals])).toEqual(
      critical.route[0]!.approvers.filter((a) => a.id !== first!.id).map((a) => [a.id, 1]),
    );
    expect(inboxRows({ ...critical, requestedBy: second!.id }).map((r) => r.approverId)).not.toContain(second!.id);
    const approved = decide(next, { approverId: second!.id, decision: 'approve' }, shippedPolicy, NOW).next;
    expect(approved.status).toBe('APPROVED');
    expect(inboxRows(approved)).toEqual([]);
  });

  it('follow the action under approval: an edit gives the rows its hash', () => {
    const review = opened(schemaChange());
    const edited = {
      ...review,
      proposedEdit: { action: review.action, actionHash: HASH, by: 'x', at: NOW.toISOString(), changes: [] },
    };
    expect(inboxRows(edited).every((r) => r.actionHash === HASH)).toBe(true);
  });

  it('are listed oldest deadline first, ties by review id, and rows without a deadline last', () => {
    const row = (reviewId: string, deadline?: string): InboxRow => ({
      ...inboxRows(opened())[0]!,
      reviewId,
      ...(deadline ? { deadline } : { deadline: undefined }),
    });
    const rows = [
      row('rv-3', '2026-11-25T10:00:00.000Z'),
      row('rv-4'),
      row('rv-2', '2026-11-24T10:00:00.000Z'),
      row('rv-1', '2026-11-25T10:00:00.000Z'),
    ];
    expect(oldestDeadlineFirst(rows).map((r) => r.reviewId)).toEqual(['rv-2', 'rv-1', 'rv-3', 'rv-4']);
    expect(rows.map((r) => r.reviewId)).toEqual(['rv-3', 'rv-4', 'rv-2', 'rv-1']);
  });
});

describe('a batch request', () => {
  const form = (body: Record<string, unknown>) =>
    ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }) as unknown as APIGatewayProxyEventV2;
  const row = { reviewId: REVIEW, step: 1, actionHash: HASH };

  it("reads the form's ticked rows, one or several, as the selections they name", () => {
    expect(parseInboxRequest(form({ token: 't', decision: 'approve', review: selectionValue(row) })).reviews).toEqual([
      row,
    ]);
    const other = { ...row, reviewId: 'rv-ffffffffffffffffffffffffffffffff' };
    const two = parseInboxRequest(
      form({
        token: 't',
        decision: 'reject',
        reason: ' Over budget ',
        review: [selectionValue(row), selectionValue(other)],
      }),
    );
    expect(two).toMatchObject({ decision: 'reject', reason: 'Over budget', reviews: [row, other] });
  });

  it('refuses with what is wrong: nothing ticked, a reject without a reason, a row twice, too many, a value the inbox never offers', () => {
    const refused = (body: Record<string, unknown>) => {
      try {
        parseInboxRequest(form(body));
      } catch (err) {
        return [(err as { statusCode?: number }).statusCode, (err as Error).message];
      }
      return 'accepted';
    };
    expect(refused({ token: 't', decision: 'approve' })).toEqual([400, 'reviews: select at least one review']);
    expect(refused({ token: 't', decision: 'reject', reason: '  ', review: selectionValue(row) })).toEqual([
      400,
      'reason is required to reject: say why, once for all the reviews you selected',
    ]);
    expect(refused({ token: 't', decision: 'approve', review: [selectionValue(row), selectionValue(row)] })).toEqual([
      400,
      `review ${REVIEW} is selected twice`,
    ]);
    const many = Array.from({ length: MAX_BATCH + 1 }, (_, i) =>
      selectionValue({ ...row, reviewId: `rv-${i.toString(16).padStart(32, '0')}` }),
    );
    expect(refused({ token: 't', decision: 'approve', review: many })).toEqual([
      400,
      `reviews: select at most ${MAX_BATCH} reviews at a time`,
    ]);
    expect(refused({ token: 't', decision: 'approve', review: `${REVIEW}:x:abc` })).toEqual([
      400,
      `review "${REVIEW}:x:abc" is not one the inbox offers: reload your inbox`,
    ]);
  });
});

describe("a granter's revoke from the inbox", () => {
  const post = (body: Record<string, unknown>) =>
    ({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body }) as unknown as APIGatewayProxyEventV2;

  it('reads the grant and the reason, trimmed', () => {
    expect(parseInboxPost(post({ token: 't', revoke: 'purchase_order.abc', reason: '  Prices changed ' }))).toEqual({
      kind: 'revoke',
      token: 't',
      revoke: 'purchase_order.abc',
      reason: 'Prices changed',
    });
  });

  it('refuses a revoke without a reason, a reason over 2,000 characters, no token or no grant, saying what is wrong', () => {
    expect(() => parseInboxPost(post({ token: 't', revoke: 'g' }))).toThrow(/reason is required/);
    expect(() => parseInboxPost(post({ token: 't', revoke: 'g', reason: ' ' }))).toThrow(/reason is required/);
    expect(() => parseInboxPost(post({ token: 't', revoke: 'g', reason: 'x'.repeat(2001) }))).toThrow(/at most 2,000/);
    expect(() => parseInboxPost(post({ revoke: 'g', reason: 'x' }))).toThrow(/token is required/);
    expect(() => parseInboxPost(post({ token: 't', revoke: '', reason: 'x' }))).toThrow(/name the standing approval/);
  });

  it('leaves a batch decision to the batch parser', () => {
    const batch = parseInboxPost(post({ token: 't', decision: 'approve', review: `${REVIEW}:1:${HASH}` }));
    expect(batch).toMatchObject({ kind: 'decide', decision: 'approve', reviews: [{ reviewId: REVIEW, step: 1 }] });
  });
});
