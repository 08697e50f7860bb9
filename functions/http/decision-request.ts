// A decision as the HTTP API receives it: JSON (`edits`: path -> value) or the page's form (`edit.<path>` fields).
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { describeIssues } from '../../events/index.ts';
import { valueAt, type Review } from '../domain/review.ts';
import { BadRequest } from './errors.ts';

/** A decision as JSON (`edits`: path -> value) or as the page's form (`edit.<path>` fields). */
const DecisionRequest = z.object({
  token: z
    .string({ error: 'token is required: use the link from your email' })
    .min(1, 'token is required: use the link from your email'),
  decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
  reason: z.string().max(2000, 'reason must be at most 2,000 characters').optional(),
  edits: z.record(z.string(), z.unknown()).optional(),
  standing: z
    .strictObject(
      { duration: z.string({ error: 'standing.duration is required: how long, such as 4h' }).max(20) },
      { error: 'standing must be { "duration": "4h" }: how long later proposals of the same scope are approved' },
    )
    .optional(),
});
export type DecisionRequest = z.infer<typeof DecisionRequest>;

export function parseDecisionRequest(event: APIGatewayProxyEventV2): DecisionRequest {
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
  // The page's form: a checkbox `standing` and its duration `standingDuration`; unchecked, the duration is ignored.
  if (typeof fields.standing === 'string' || 'standingDuration' in fields) {
    const checked = fields.standing === 'on';
    fields.standing = checked ? { duration: fields.standingDuration ?? '' } : undefined;
    delete fields.standingDuration;
  }
  const parsed = DecisionRequest.safeParse(fields);
  if (!parsed.success) throw new BadRequest(describeIssues(parsed.error).join('; '));
  return parsed.data;
}

/** Form values arrive as text: read them as the type the action's field already has, and drop unchanged ones. */
export function typedEdits(
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
