import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { tracer } from './observability.ts';

const client = tracer.captureAWSv3Client(new SESv2Client({}));

export interface Email {
  to: string[];
  subject: string;
  text: string;
  html: string;
}

/** Sends through SES v2 (locally, the same call fills the outbox). Returns SES's message id. */
export async function sendEmail(from: string, email: Email): Promise<string> {
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
