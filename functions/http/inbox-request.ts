// A batch decision as the inbox's form posts it (`review` fields of `<reviewId>:<step>:<actionHash>`) or as JSON
// (`reviews: [{ reviewId, step, actionHash }]`), with the inbox link's token, checked before anything is decided.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { isReviewId } from '../domain/ids.ts';
import { type InboxSelection, MAX_BATCH } from '../domain/inbox.ts';
import { MAX_REASON_LENGTH } from '../domain/review.ts';
import { BadRequest } from './errors.ts';
import { RevokeReason } from './revoke-request.ts';

const Selection = z.object({
  reviewId: z.string().refine(isReviewId, 'is not a review id'),
  step: z.number().int().min(0),
  actionHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be the 64 hex digits of the action hash the inbox showed'),
});

const InboxRequest = z.object({
  token: z
    .string({ error: 'token is required: use the inbox link from your email' })
    .min(1, 'token is required: use the inbox link from your email'),
  decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
  reason: z.string().trim().max(MAX_REASON_LENGTH, 'reason must be at most 2,000 characters').optional(),
  reviews: z
    .array(Selection, { error: 'select at least one review' })
    .min(1, 'select at least one review')
    .max(MAX_BATCH, `select at most ${MAX_BATCH} reviews at a time`),
});
export type InboxRequest = z.infer<typeof InboxRequest> & { reviews: InboxSelection[] };

/** The granter's revocation of one standing approval they made, from their inbox. */
const RevokeRequest = z.object({
  token: InboxRequest.shape.token,
  revoke: z
    .string({ error: 'revoke must name the standing approval to revoke' })
    .min(1, 'revoke must name the standing approval to revoke')
    .max(300, 'revoke must name the standing approval to revoke'),
  reason: RevokeReason,
});
export type InboxRevokeRequest = z.infer<typeof RevokeRequest>;

/** A form's `review` value: `<reviewId>:<step>:<actionHash>`, as the inbox's checkbox carries it. */
export const selectionValue = (s: InboxSelection) => `${s.reviewId}:${s.step}:${s.actionHash}`;

function fromForm(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const [reviewId, step, actionHash, ...rest] = value.split(':');
  if (rest.length || reviewId === undefined || step === undefined || actionHash === undefined || !/^\d+$/.test(step))
    throw new BadRequest(`review "${value.slice(0, 100)}" is not one the inbox offers: reload your inbox`);
  return { reviewId, step: Number(step), actionHash };
}

/**
 * POST /inbox's two requests: a batch decision, or (with `revoke`) the revocation of one standing approval the
 * inbox's person made, with its reason.
 */
export function parseInboxPost(
  event: APIGatewayProxyEventV2,
): ({ kind: 'decide' } & InboxRequest) | ({ kind: 'revoke' } & InboxRevokeRequest) {
  const body = event.body as unknown;
  if (body && typeof body === 'object' && 'revoke' in body) {
    const parsed = RevokeRequest.safeParse(body);
    if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
    return { kind: 'revoke', ...parsed.data };
  }
  return { kind: 'decide', ...parseInboxRequest(event) };
}

export function parseInboxRequest(event: APIGatewayProxyEventV2): InboxRequest {
  const body = event.body as unknown;
  if (!body || typeof body !== 'object')
    throw new BadRequest('send the decision as a form or as JSON: token, decision, reason, reviews');
  const fields = { ...(body as Record<string, unknown>) };
  // A form names each ticked row `review`; one tick arrives as a string, several as a list.
  if ('review' in fields) {
    const ticked = fields.review;
    fields.reviews = (Array.isArray(ticked) ? ticked : [ticked]).map(fromForm);
    delete fields.review;
  }
  if (fields.reason === '') delete fields.reason;
  const parsed = InboxRequest.safeParse(fields);
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  const request = parsed.data;
  if (request.decision === 'reject' && !request.reason)
    throw new BadRequest('reason is required to reject: say why, once for all the reviews you selected');
  const seen = new Set<string>();
  for (const { reviewId } of request.reviews) {
    if (seen.has(reviewId)) throw new BadRequest(`review ${reviewId} is selected twice`);
    seen.add(reviewId);
  }
  return request;
}
