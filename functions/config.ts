// Configuration comes from the environment, validated per setting on first use: each function is given
// only the settings it uses (serverless.yml), so a setting is required where it is read, not everywhere.
// Endpoints are not here: the AWS SDK reads AWS_ENDPOINT_URL itself, so local mode points every client
// at itself from the edge. Checked by hand, not with zod: every function reads its settings, and most
// use no schema library otherwise (zod is 96 KB of a bundle).

/** A setting's check: its value from the environment's text (undefined: not set), or a Problem. */
type Check<T> = (raw: string | undefined) => T;

class Problem extends Error {}

const required = (raw: string | undefined, fallback?: string): string => {
  const value = raw ?? fallback;
  if (value === undefined) throw new Problem('is not set for this function (serverless.yml environment)');
  return value;
};

const text =
  (min: number, fallback?: string): Check<string> =>
  (raw) => {
    const value = required(raw, fallback);
    if (value.length < min) throw new Problem(`must be at least ${min} characters, got "${value}"`);
    return value;
  };

const optionalText: Check<string | undefined> = (raw) => raw;

const email: Check<string> = (raw) => {
  const value = required(raw);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Problem(`must be an email address, got "${value}"`);
  return value;
};

const url =
  (fallback?: string): Check<string> =>
  (raw) => {
    const value = required(raw, fallback);
    if (!URL.canParse(value)) throw new Problem(`must be a URL, got "${value}"`);
    return value;
  };

const positive =
  (fallback: number, { whole = false } = {}): Check<number> =>
  (raw) => {
    const value = raw === undefined ? fallback : raw.trim() === '' ? Number.NaN : Number(raw);
    if (!(value > 0 && Number.isFinite(value)) || (whole && !Number.isInteger(value)))
      throw new Problem(`must be a positive ${whole ? 'whole ' : ''}number, got "${raw}"`);
    return value;
  };

const Settings = {
  STAGE: text(1, 'dev'),
  REVIEWS_TABLE: text(3),
  EVENT_BUS_NAME: text(1),
  POLICY_FILE: text(1, 'policy/default.yml'),
  DIRECTORY_FILE: text(1, 'policy/directory.yml'),
  MAIL_FROM: email,
  /** Base URL of the HTTP API, for the links in emails. */
  PUBLIC_URL: url(),
  RESUME_STATE_MACHINE_ARN: text(1),
  /** The notifications queue's URL (SQS): emails wait there for their turn at the sending rate. */
  NOTIFICATION_QUEUE_URL: url(),
  /** Emails per second the account may send (SES's maximum sending rate), shared by the senders. */
  MAIL_SEND_RATE: positive(14),
  /** How many batches the notifications queue hands the sender at once (its mapping's maximumConcurrency). */
  MAIL_SENDERS: positive(2, { whole: true }),
  /** Receives of a notification before SQS moves it to the dead-letter queue (the queue's maxReceiveCount). */
  MAIL_MAX_RECEIVES: positive(10, { whole: true }),
  /** Parameter Store name of the decision links' HMAC key. */
  LINK_KEY_PARAMETER: text(1),
  /** Slack's Web API (local mode: its small Slack on the same port), ending in a slash. */
  SLACK_API_URL: url('https://slack.com/api/'),
  /** Parameter Store name (a Secrets Manager reference) of the Slack app's bot token. */
  SLACK_BOT_TOKEN_PARAMETER: text(1),
  /** Parameter Store name (a Secrets Manager reference) of the Slack app's signing secret. */
  SLACK_SIGNING_SECRET_PARAMETER: text(1),
  /** Days a completed review stays in the table before DynamoDB's TTL removes it. */
  RETENTION_DAYS: positive(365, { whole: true }),
  /** Where bundled files (policy, directory) live: the Lambda task root, or the project root locally. */
  LAMBDA_TASK_ROOT: optionalText,
};
export type Config = { readonly [K in keyof typeof Settings]: ReturnType<(typeof Settings)[K]> };

/** One setting's value from its text in the environment (undefined: not set); throws what is wrong with it. */
export function parseSetting<K extends keyof typeof Settings>(name: K, raw: string | undefined): Config[K] {
  try {
    return Settings[name](raw) as Config[K];
  } catch (err) {
    if (err instanceof Problem) throw new Error(`hitl-gate configuration is invalid: ${name} ${err.message}`);
    throw err;
  }
}

const cache = new Map<string, unknown>();

function read(name: keyof typeof Settings): unknown {
  if (cache.has(name)) return cache.get(name);
  const value = parseSetting(name, process.env[name]);
  cache.set(name, value);
  return value;
}

const view = Object.defineProperties(
  {},
  Object.fromEntries(
    Object.keys(Settings).map((name) => [name, { enumerable: true, get: () => read(name as keyof typeof Settings) }]),
  ),
) as Config;

/** The settings, each parsed and validated once when first read. */
export function config(): Config {
  return view;
}
