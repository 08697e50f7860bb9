// Local SES v2: SendEmail writes a real MIME message (RFC 5322, built by nodemailer's composer)
// to the outbox folder, where a person opens it in the outbox page or any mail client.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { AwsError } from './errors.ts';
import { TokenBucket } from './quotas.ts';

interface Content {
  Data?: string;
  Charset?: string;
}
export interface SendEmailRequest {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  Content?: { Simple?: { Subject?: Content; Body?: { Text?: Content; Html?: Content } }; Raw?: { Data?: string } };
}

export interface OutboxMessage {
  file: string;
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  date: Date;
  text: string;
  html: string;
}

const badRequest = (message: string) => new AwsError('BadRequestException', message);

/**
 * SES's sending quotas (its developer guide, "Managing your Amazon SES sending quotas"): a maximum sending rate
 * (recipients per second) and a daily quota (recipients in the last 24 hours), each refused past it with
 * TooManyRequestsException (429) in SES v2, "Maximum sending rate exceeded." or "Daily message quota exceeded.";
 * in the sandbox, mail only to verified identities (MessageRejected). A new production account starts at 14
 * per second and 50,000 a day, the sandbox at 1 per second and 200 a day.
 */
export interface SendingQuota {
  maxSendRate: number;
  max24HourSend: number;
  /** Sandbox: every recipient must be a verified identity (an address, or a domain as `@example.org`). */
  verified?: readonly string[];
}

export const PRODUCTION_QUOTA: SendingQuota = { maxSendRate: 14, max24HourSend: 50_000 };
export const SANDBOX_QUOTA: Omit<SendingQuota, 'verified'> = { maxSendRate: 1, max24HourSend: 200 };

const DAY_MS = 86_400_000;

/** SES's quotas as a token bucket of one second's sends, and the sends of the last 24 hours, on local mode's clock. */
class Quota {
  readonly #q: SendingQuota;
  readonly #now: () => number;
  readonly #second: TokenBucket;
  readonly #day: { at: number; n: number }[] = [];
  throttled = 0;

  constructor(q: SendingQuota, now: () => number) {
    this.#q = q;
    this.#now = now;
    this.#second = new TokenBucket(q.maxSendRate, q.maxSendRate, now);
  }

  take(recipients: string[]): void {
    const verified = this.#q.verified;
    if (verified) {
      const unverified = recipients.filter((r) => {
        const address = r.toLowerCase();
        return !verified.some((v) =>
          v.startsWith('@') ? address.endsWith(v.toLowerCase()) : v.toLowerCase() === address,
        );
      });
      if (unverified.length)
        throw new AwsError(
          'MessageRejected',
          `Email address is not verified. The following identities failed the check in region LOCAL: ${unverified.join(', ')}`,
        );
    }
    const now = this.#now();
    const n = Math.max(1, recipients.length);
    while (this.#day.length && this.#day[0]!.at <= now - DAY_MS) this.#day.shift();
    const today = this.#day.reduce((sum, d) => sum + d.n, 0);
    if (today + n > this.#q.max24HourSend) {
      this.throttled++;
      throw new AwsError('TooManyRequestsException', 'Daily message quota exceeded.', 429);
    }
    if (!this.#second.take(n)) {
      this.throttled++;
      throw new AwsError('TooManyRequestsException', 'Maximum sending rate exceeded.', 429);
    }
    this.#day.push({ at: now, n });
  }
}
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export class LocalMail {
  readonly #dir: string;
  readonly #quota: Quota;
  sent = 0;

  constructor(outboxDir: string, quota: SendingQuota = PRODUCTION_QUOTA, now: () => number = Date.now) {
    this.#dir = outboxDir;
    this.#quota = new Quota(quota, now);
  }

  /** Sends SES refused for its sending rate or daily quota (TooManyRequestsException). */
  get throttled(): number {
    return this.#quota.throttled;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  async sendEmail(req: SendEmailRequest): Promise<{ MessageId: string }> {
    const messageId = `${Date.now().toString(36)}-${randomUUID()}`;
    let mime: Buffer;
    if (req.Content?.Raw?.Data) {
      const d = req.Destination ?? {};
      this.#quota.take([...(d.ToAddresses ?? []), ...(d.CcAddresses ?? []), ...(d.BccAddresses ?? [])]);
      mime = Buffer.from(req.Content.Raw.Data, 'base64');
    } else {
      const from = req.FromEmailAddress;
      if (!from || !EMAIL.test(from)) throw badRequest('FromEmailAddress is required and must be an email address.');
      const to = req.Destination?.ToAddresses ?? [];
      const all = [...to, ...(req.Destination?.CcAddresses ?? []), ...(req.Destination?.BccAddresses ?? [])];
      if (all.length === 0) throw badRequest('Destination must name at least one recipient.');
      const bad = all.find((a) => !EMAIL.test(a));
      if (bad) throw badRequest(`Invalid recipient address: ${bad}`);
      const simple = req.Content?.Simple;
      if (!simple?.Subject?.Data) throw badRequest('Content.Simple.Subject.Data is required.');
      if (!simple.Body?.Text?.Data && !simple.Body?.Html?.Data)
        throw badRequest('Content.Simple.Body needs Text or Html.');
      this.#quota.take(all);
      mime = await new MailComposer({
        from,
        to,
        cc: req.Destination?.CcAddresses,
        bcc: req.Destination?.BccAddresses,
        replyTo: req.ReplyToAddresses,
        subject: simple.Subject.Data,
        text: simple.Body.Text?.Data,
        html: simple.Body.Html?.Data,
        messageId: `<${messageId}@local.hitl-gate>`,
        date: new Date(),
      })
        .compile()
        .build();
    }
    await writeFile(join(this.#dir, `${messageId}.eml`), mime);
    this.sent++;
    return { MessageId: messageId };
  }

  /** The outbox, newest first. */
  async list(): Promise<OutboxMessage[]> {
    const files = (await readdir(this.#dir).catch(() => [] as string[]))
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .reverse();
    return Promise.all(files.map((f) => this.read(f)));
  }

  async read(file: string): Promise<OutboxMessage> {
    if (!/^[\w.-]+\.eml$/.test(file)) throw new AwsError('NotFoundException', `no message ${file}`, 404);
    const raw = await readFile(join(this.#dir, file)).catch(() => {
      throw new AwsError('NotFoundException', `no message ${file}`, 404);
    });
    const mail: ParsedMail = await simpleParser(raw);
    const addresses = (a: ParsedMail['to']) =>
      (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address ?? ''));
    return {
      file,
      messageId: file.replace(/\.eml$/, ''),
      from: addresses(mail.from as ParsedMail['to'])[0] ?? '',
      to: addresses(mail.to),
      subject: mail.subject ?? '',
      date: mail.date ?? new Date(0),
      text: mail.text ?? '',
      html: typeof mail.html === 'string' ? mail.html : '',
    };
  }

  async raw(file: string): Promise<Buffer> {
    if (!/^[\w.-]+\.eml$/.test(file)) throw new AwsError('NotFoundException', `no message ${file}`, 404);
    return readFile(join(this.#dir, file));
  }
}

/**
 * The quota local mode applies, from its environment: HITL_SES_RATE (emails a second) and HITL_SES_DAILY (a day)
 * over a production account's defaults; HITL_SES_SANDBOX=1 for the sandbox's (1 a second, 200 a day, and only
 * the identities HITL_SES_VERIFIED lists, comma-separated: addresses, or domains as `@example.org`).
 */
export function sesQuotaFrom(env: Record<string, string | undefined>): SendingQuota {
  const sandbox = env.HITL_SES_SANDBOX === '1';
  const base = sandbox ? SANDBOX_QUOTA : PRODUCTION_QUOTA;
  const number = (name: string, fallback: number, max: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || n > max)
      throw new Error(`${name}=${raw}: must be a number greater than 0 and at most ${max}`);
    return n;
  };
  return {
    maxSendRate: number('HITL_SES_RATE', base.maxSendRate, 100_000),
    max24HourSend: number('HITL_SES_DAILY', base.max24HourSend, 1_000_000_000),
    ...(sandbox
      ? {
          verified: (env.HITL_SES_VERIFIED ?? '')
            .split(',')
            .map((v) => v.trim())
            .filter(Boolean),
        }
      : {}),
  };
}
