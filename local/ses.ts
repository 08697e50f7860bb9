// Local SES v2: SendEmail writes a real MIME message (RFC 5322, built by nodemailer's composer)
// to the outbox folder, where a person opens it in the outbox page or any mail client.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { AwsError } from './errors.ts';

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
const EMAIL = /^[^\s@<>]+@[^\s@<>]+$/;

export class LocalMail {
  readonly #dir: string;
  sent = 0;

  constructor(outboxDir: string) {
    this.#dir = outboxDir;
  }

  async init(): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
  }

  async sendEmail(req: SendEmailRequest): Promise<{ MessageId: string }> {
    const messageId = `${Date.now().toString(36)}-${randomUUID()}`;
    let mime: Buffer;
    if (req.Content?.Raw?.Data) {
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
