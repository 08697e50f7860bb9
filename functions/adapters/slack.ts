// Slack's Web API through the official client (@slack/web-api), with the stage's bot token. Local mode
// changes only SLACK_API_URL (its small Slack on the same port); the token and the signing secret are
// Secrets Manager secrets read through Parameter Store's reference path, as the link-signing key is.
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import { config } from '../config.ts';
import { type Slack, SlackNotSent, SlackRefused } from '../app/ports.ts';

/** A secret is read again after this long, so a rotated token is picked up without a deploy. */
const SECRET_TTL_MS = 15 * 60_000;

let ssm: SSMClient | undefined;
const secrets = new Map<string, { value: Promise<string>; until: number }>();

/** A SecureString (a Secrets Manager reference) by name, cached per container for SECRET_TTL_MS. */
export function readSecret(name: string): Promise<string> {
  const cached = secrets.get(name);
  if (cached && cached.until > Date.now()) return cached.value;
  ssm ??= new SSMClient({});
  const value = ssm.send(new GetParametersCommand({ Names: [name], WithDecryption: true })).then((out) => {
    const found = out.Parameters?.[0]?.Value;
    if (!found) throw new Error(`the secret ${name} is missing`);
    return found;
  });
  // A failed read is not kept: the next call tries again.
  value.catch(() => secrets.delete(name));
  secrets.set(name, { value, until: Date.now() + SECRET_TTL_MS });
  return value;
}

/** Slack's answers that say the call would be refused again (a bad channel, token or message): everything else is tried later. */
const TRY_LATER = new Set(['ratelimited', 'internal_error', 'fatal_error', 'service_unavailable', 'request_timeout']);

/** The client's errors as the port's: SlackNotSent (try again later) or SlackRefused (it would be refused again). */
function slackError(err: unknown): Error {
  const e = err as { code?: string; data?: { error?: string }; message?: string };
  const text = e.data?.error ?? e.message ?? String(err);
  if (e.code === ErrorCode.PlatformError && !TRY_LATER.has(String(e.data?.error))) return new SlackRefused(text);
  if (e.code === ErrorCode.HTTPError && /\b4\d\d\b/.test(String(e.message)) && !/\b429\b/.test(String(e.message)))
    return new SlackRefused(text);
  if (Object.values(ErrorCode).includes(e.code as ErrorCode)) return new SlackNotSent(text);
  return err instanceof Error ? err : new Error(text);
}

let client: { token: string; web: WebClient } | undefined;

async function web(): Promise<WebClient> {
  const token = await readSecret(config().SLACK_BOT_TOKEN_PARAMETER);
  if (client?.token !== token)
    client = {
      token,
      web: new WebClient(token, {
        slackApiUrl: config().SLACK_API_URL,
        // No retries here: a notification is retried by its queue with backoff, and a click answers within 3 s.
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout: 2500,
        logLevel: LogLevel.ERROR,
        allowAbsoluteUrls: false,
      }),
    };
  return client.web;
}

async function call<T>(run: (web: WebClient) => Promise<T>): Promise<T> {
  try {
    return await run(await web());
  } catch (err) {
    throw slackError(err);
  }
}

/** The Slack port, on Slack's Web API with the stage's bot token. */
export function stageSlack(): Slack {
  return {
    async post(m) {
      const out = await call((w) =>
        w.chat.postMessage({ channel: m.channel, text: m.text, blocks: [...m.blocks] as never }),
      );
      if (!out.channel || !out.ts) throw new SlackNotSent('chat.postMessage answered without channel and ts');
      return { channel: out.channel, ts: out.ts };
    },
    async update(m) {
      await call((w) => w.chat.update({ channel: m.channel, ts: m.ts, text: m.text, blocks: [...m.blocks] as never }));
    },
    async tell({ channel, user, text }) {
      await call((w) => w.chat.postEphemeral({ channel, user, text }));
    },
    async openModal(triggerId, view) {
      await call((w) => w.views.open({ trigger_id: triggerId, view: view as never }));
    },
  };
}
