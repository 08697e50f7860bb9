import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import type { Email, Mailer } from '../app/ports.ts';
import { tracer } from './observability.ts';

/** The Mailer on SES v2 (locally, the same call fills the outbox): sends from `from`, returns SES's message id. */
export function sesMailer(from: () => string): Mailer {
  const client = tracer.captureAWSv3Client(new SESv2Client({}));
  return { send: (email) => sendEmail(client, from(), email) };
}

async function sendEmail(client: SESv2Client, from: string, email: Email): Promise<string> {
  const out = await client.send(
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
  );
  return out.MessageId ?? '';
}
