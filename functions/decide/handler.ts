import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import httpUrlencodeBodyParser from '@middy/http-urlencode-body-parser';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { config } from '../config.ts';
import { logger } from '../adapters/logger.ts';
import { count, measure, Metric, observability } from '../adapters/observability.ts';
import { now as clockNow } from '../adapters/clock.ts';
import { linkKeyFrom, linkKeyMiddleware } from '../adapters/link-key.ts';
import { policy } from '../adapters/policy-files.ts';
import { reviewsTable } from '../adapters/reviews-table.ts';
import { startResume } from '../adapters/workflows.ts';
import { decide as decideReview } from '../domain/decision.ts';
import { AlreadyDecided, ReviewNotFound, TokenUsed } from '../domain/errors.ts';
import { verifyDecisionToken } from '../domain/tokens.ts';
import { valueAt, type Review } from '../domain/review.ts';
import { reviewView } from '../http/review-view.ts';
import {
  BadRequest,
  httpErrors,
  json,
  securityHeaders,
  seeOther,
  wantsHtml,
  type HttpResult,
} from '../http/responses.ts';

/** A decision as JSON (`edits`: path -> value) or as the page's form (`edit.<path>` fields). */
const DecisionRequest = z.object({
  token: z
    .string({ error: 'token is required: use the link from your email' })
    .min(1, 'token is required: use the link from your email'),
  decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
  reason: z.string().max(2000, 'reason must be at most 2,000 characters').optional(),
  edits: z.record(z.string(), z.unknown()).optional(),
});
type DecisionRequest = z.infer<typeof DecisionRequest>;

function parseRequest(event: APIGatewayProxyEventV2): DecisionRequest {
  const body = event.body as unknown;
  if (!body || typeof body !== 'object')
    throw new BadRequest('send the decision as JSON or as a form: token, decision, reason, edits');
  const fields = { ...(body as Record<string, unknown>) };
  // The page's form names edits `edit.<path>`; a form sends strings, so values are typed by the action's own fields.
  const formEdits = Object.entries(fields).filter(([k]) => k.startsWith('edit.'));
  if (formEdits.length) {
    fields.edits = Object.fromEntries(formEdits.map(([k, v]) => [k.slice('edit.'.length), v]));
    for (const [k] of formEdits) delete fields[k];
  }
  if (fields.reason === '') delete fields.reason;
  const parsed = DecisionRequest.safeParse(fields);
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  return parsed.data;
}

/** Form values arrive as text: read them as the type the action's field already has, and drop unchanged ones. */
function typedEdits(
  review: Review,
  edits: Record<string, unknown> | undefined,
  fromForm: boolean,
): Record<string, unknown> | undefined {
  if (!edits) return undefined;
  const base = review.proposedEdit?.action ?? review.action;
  const out: Record<string, unknown> = {};
  for (const [path, raw] of Object.entries(edits)) {
    const current = valueAt(base, path);
    let value = raw;
    if (fromForm && typeof raw === 'string') {
      if (typeof current === 'number') {
        value = raw.trim() === '' ? Number.NaN : Number(raw.replace(/,/g, ''));
        if (!Number.isFinite(value)) throw new BadRequest(`${path}: "${raw}" is not a number`);
      } else if (current !== undefined && typeof current !== 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          throw new BadRequest(`${path}: not valid JSON`);
        }
      }
    }
    if (JSON.stringify(value) !== JSON.stringify(current)) out[path] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

export async function decide(event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> {
  const request = parseRequest(event);
  try {
    return await record(event, context, request);
  } catch (err) {
    // A double click or a second approver too late: show what stands, not an error page.
    if (!(err instanceof AlreadyDecided || err instanceof TokenUsed)) throw err;
    const reviewId = event.pathParameters?.id ?? '';
    if (wantsHtml(event))
      return seeOther(
        `/reviews/${encodeURIComponent(reviewId)}?t=${encodeURIComponent(request.token)}&done=${err instanceof TokenUsed ? 'used' : 'already'}`,
      );
    const current = await reviewsTable(config().REVIEWS_TABLE).get(reviewId);
    return json(409, { error: err.code, message: err.message, ...(current ? { review: reviewView(current) } : {}) });
  }
}

async function record(event: APIGatewayProxyEventV2, context: Context, request: DecisionRequest): Promise<HttpResult> {
  const reviewId = event.pathParameters?.id ?? '';
  const now = clockNow();
  const claims = await verifyDecisionToken(linkKeyFrom(context), request.token, { reviewId }, now);
  const fromForm = (event.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
  const table = reviewsTable(config().REVIEWS_TABLE);

  // Optimistic concurrency: on a lost race the store decides again against what is there now.
  const { result, review: saved } = await table.mutate(reviewId, (review) => {
    if (!review) throw new ReviewNotFound(reviewId);
    if (review.usedLinks?.includes(claims.nonce)) {
      if (review.status !== 'PENDING') throw new AlreadyDecided(review.id, review.decision);
      throw new TokenUsed();
    }
    const decided = decideReview(
      review,
      {
        approverId: claims.approverId,
        decision: request.decision,
        ...(request.reason !== undefined ? { reason: request.reason } : {}),
        ...(request.edits ? { edits: typedEdits(review, request.edits, fromForm) } : {}),
      },
      policy(),
      now,
    );
    return { next: decided.next, entries: decided.entries, result: decided, consumeLink: claims.nonce };
  });
  if (!saved) throw new ReviewNotFound(reviewId);
  count(Metric.Decisions, { decision: request.decision });
  if (result.decided) measure(Metric.DecisionLatency, now.getTime() - Date.parse(saved.createdAt));
  logger.info('decision recorded', {
    reviewId,
    approver: claims.approverId,
    decision: request.decision,
    decided: result.decided,
    status: saved.status,
  });

  if (result.decided) {
    try {
      // The restart. If it fails, the review stays decided and the sweeper re-drives it from DynamoDB.
      const executionArn = await startResume(config().RESUME_STATE_MACHINE_ARN, reviewId);
      logger.info('resume started', { reviewId, executionArn });
    } catch (err) {
      logger.error('resume could not be started; the sweeper will re-drive it', { reviewId, error: err as Error });
    }
  }
  if (wantsHtml(event)) {
    const done = saved.status === 'PENDING' ? 'recorded' : saved.status.toLowerCase();
    return seeOther(`/reviews/${encodeURIComponent(reviewId)}?t=${encodeURIComponent(request.token)}&done=${done}`);
  }
  return json(200, reviewView(saved));
}

export const handler = middy<APIGatewayProxyEventV2, HttpResult>(decide)
  .use(observability())
  .use(httpHeaderNormalizer())
  .use(httpJsonBodyParser({ disableContentTypeError: true }))
  .use(httpUrlencodeBodyParser({ disableContentTypeError: true }))
  .use(linkKeyMiddleware())
  .use(securityHeaders())
  .use(httpErrors());
