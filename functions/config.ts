import * as z from 'zod';

// Configuration comes from the environment, validated per setting on first use: each function is given
// only the settings it uses (serverless.yml), so a setting is required where it is read, not everywhere.
// Endpoints are not here: the AWS SDK reads AWS_ENDPOINT_URL itself, so local mode points every client
// at itself from the edge.
const Settings = {
  STAGE: z.string().min(1).default('dev'),
  REVIEWS_TABLE: z.string().min(3),
  EVENT_BUS_NAME: z.string().min(1),
  POLICY_FILE: z.string().min(1).default('policy/default.yml'),
  DIRECTORY_FILE: z.string().min(1).default('policy/directory.yml'),
  MAIL_FROM: z.email(),
  /** Base URL of the HTTP API, for the links in emails. */
  PUBLIC_URL: z.url(),
  RESUME_STATE_MACHINE_ARN: z.string().min(1),
  /** The notifications queue's URL (SQS): emails wait there for their turn at the sending rate. */
  NOTIFICATION_QUEUE_URL: z.url(),
  /** Emails per second the account may send (SES's maximum sending rate), shared by the senders. */
  MAIL_SEND_RATE: z.coerce.number().positive().default(14),
  /** How many batches the notifications queue hands the sender at once (its mapping's maximumConcurrency). */
  MAIL_SENDERS: z.coerce.number().int().positive().default(2),
  /** Receives of a notification before SQS moves it to the dead-letter queue (the queue's maxReceiveCount). */
  MAIL_MAX_RECEIVES: z.coerce.number().int().positive().default(10),
  /** Parameter Store name of the decision links' HMAC key. */
  LINK_KEY_PARAMETER: z.string().min(1),
  /** Days a completed review stays in the table before DynamoDB's TTL removes it. */
  RETENTION_DAYS: z.coerce.number().int().positive().default(365),
  /** Where bundled files (policy, directory) live: the Lambda task root, or the project root locally. */
  LAMBDA_TASK_ROOT: z.string().optional(),
};
export type Config = { readonly [K in keyof typeof Settings]: z.infer<(typeof Settings)[K]> };

const cache = new Map<string, unknown>();

function read(name: keyof typeof Settings): unknown {
  if (cache.has(name)) return cache.get(name);
  const parsed = Settings[name].safeParse(process.env[name]);
  if (!parsed.success) {
    const problem =
      process.env[name] === undefined
        ? 'is not set for this function (serverless.yml environment)'
        : parsed.error.issues.map((i) => i.message).join('; ');
    throw new Error(`hitl-gate configuration is invalid: ${name} ${problem}`);
  }
  cache.set(name, parsed.data);
  return parsed.data;
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
