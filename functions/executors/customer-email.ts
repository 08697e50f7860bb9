// customer_email: an email to a customer, sent by hitl-gate exactly as approved (possibly reworded by the approver).
import * as z from 'zod';
import type { Action } from '../../events/index.ts';
import { MailNotSent, MailRefused, type Mailer } from '../app/ports.ts';
import type { Review } from '../domain/review.ts';
import { esc } from '../http/html.ts';
import { NotPerformed } from './not-performed.ts';

export const schema = z.object({
  target: z.email("must be the customer's email address"),
  payload: z.object({
    subject: z.string().trim().min(1, 'must not be empty').max(200),
    body: z.string().trim().min(1, 'must not be empty').max(50_000),
  }),
});

/** Sends the approved email; returns SES's message id as the execution's reference. */
export async function perform(action: Action, review: Review, ports: { mailer: Mailer }): Promise<string> {
  const { target, payload } = schema.parse(action);
  return ports.mailer
    .send({
      to: [target],
      subject: payload.subject,
      text: payload.body,
      html: `<!doctype html><html><body><div style="white-space:pre-wrap">${esc(payload.body)}</div><!-- hitl-gate review ${esc(review.id)} --></body></html>`,
    })
    .catch((err: unknown) => {
      if (err instanceof MailNotSent || err instanceof MailRefused)
        throw new NotPerformed(err.message, err instanceof MailNotSent, { cause: err });
      throw err;
    });
}
