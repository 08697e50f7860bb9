import * as z from 'zod';

// Configuration comes from the environment, validated once per container. Endpoints are not here:
// the AWS SDK reads AWS_ENDPOINT_URL itself, so local mode points every client at itself from the edge.
const Env = z.object({
  STAGE: z.string().min(1).default('dev'),
  REVIEWS_TABLE: z.string().min(3),
  EVENT_BUS_NAME: z.string().min(1),
  POLICY_FILE: z.string().min(1).default('policy/default.yml'),
  DIRECTORY_FILE: z.string().min(1).default('policy/directory.yml'),
  MAIL_FROM: z.email(),
  /** Base URL of the HTTP API, for the links in emails. */
  PUBLIC_URL: z.url(),
  RESUME_STATE_MACHINE_ARN: z.string().min(1).optional(),
  /** Parameter Store name of the decision links' HMAC key. */
  LINK_KEY_PARAMETER: z.string().min(1),
  /** Where bundled files (policy, directory) live: the Lambda task root, or the project root locally. */
  LAMBDA_TASK_ROOT: z.string().optional(),
});
export type Config = z.infer<typeof Env>;

let cached: Config | undefined;

export function config(): Config {
  if (cached) return cached;
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`hitl-gate configuration is invalid: ${problems}`);
  }
  cached = parsed.data;
  return cached;
}
