import { SendEmailCommand, SESv2Client, SESv2ServiceException } from '@aws-sdk/client-sesv2';
import { type Email, MailRefused, type Mailer, MailNotSent } from '../app/ports.ts';
import { config } from '../config.ts';
import { tracer } from './observability.ts';

/** The Mailer on SES v2 (locally, the same call fills the outbox): sends from `from`, returns SES's message id. */
export function sesMailer(from: () => string): Mailer {
  const client = tracer.captureAWSv3Client(new SESv2Client({}));
  return { send: (email) => sendEmail(client, from(), email) };
}

/** The Mailer port, sending from the function's MAIL_FROM. */
export const stageMailer = (): Mailer => sesMailer(() => config().MAIL_FROM);

/** Base URL of the HTTP API (PUBLIC_URL), for the links in emails. */
export const publicUrl = (): string => config().PUBLIC_URL;

// SES's answers that mean "not now" rather than "never" (throttling, a paused account, a permission to fix): not sent, may be later.
const NOT_NOW = new Set([
  'TooManyRequestsException',
  'LimitExceededException',
  'SendingPausedException',
  'AccountSuspendedException',
]);

/** SES's own refusals as the port's (the message certainly did not go out); anything else stays as it is: unknown. */
export function mailError(err: unknown): unknown {
  if (!(err instanceof SESv2ServiceException)) return err;
  const status = err.$metadata?.httpStatusCode ?? 0;
  if (NOT_NOW.has(err.name) || status === 429 || status === 401 || status === 403)
    return new MailNotSent(`${err.name}: ${err.message}`, { cause: err });
  if (status >= 400 && status < 500) return new MailRefused(`${err.name}: ${err.message}`, { cause: err });
  return err;
}

async function sendEmail(client: SESv2Client, from: string, email: Email): Promise<string> {
  const out = await client
    .send(
      new SendEmailCommand({
        FromEmailAddress: from,
        Destination: { ToAddresses: email.to },
        Content: {
          Simple: {
            Subject: { Data: email.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
          },
        },
      }),
    )
    .catch((err: unknown) => {
      throw mailError(err);
    });
  return out.MessageId ?? '';
}
