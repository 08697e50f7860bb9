// The command line of `npm run load`: every flag with its range, refused with the range when out of it.
import { eachFlag, parseMix, type Tier } from './cost-model.ts';

export interface LoadFlags {
  /** Proposals a second. */
  rate: number;
  /** Seconds of load. */
  duration: number;
  mix: Record<Tier, number>;
  /** steady: spread over each second; burst: each second's proposals at once, at its start. */
  shape: 'steady' | 'burst';
  /** SES's maximum sending rate in local mode (and the senders' MAIL_SEND_RATE). */
  sesRate: number;
  /** SES's daily quota in local mode. */
  sesDaily: number;
  /** Lambda's concurrent executions for the account (AWS's default 1,000). */
  lambdaConcurrency: number;
  /** EventBridge PutEvents requests a second (AWS's default 10,000). */
  putEventsRate: number;
  /** Step Functions StartExecution for Express workflows a second, and its bucket (AWS's default 6,000). */
  startRate: number;
  /** How long to wait for the backlog to drain after the load, in seconds, before reporting what is left. */
  drainLimit: number;
  json: boolean;
}

export class LoadFlagError extends Error {
  override readonly name = 'LoadFlagError';
}

const RANGES = {
  '--rate': { key: 'rate', min: 1, max: 2000 },
  '--duration': { key: 'duration', min: 1, max: 3600 },
  '--ses-rate': { key: 'sesRate', min: 1, max: 100_000 },
  '--ses-daily': { key: 'sesDaily', min: 1, max: 1_000_000_000 },
  '--drain-limit': { key: 'drainLimit', min: 1, max: 86_400 },
  '--lambda-concurrency': { key: 'lambdaConcurrency', min: 1, max: 100_000 },
  '--putevents-rate': { key: 'putEventsRate', min: 1, max: 1_000_000 },
  '--start-rate': { key: 'startRate', min: 1, max: 1_000_000 },
} as const;

export const LOAD_USAGE =
  'Usage: npm run load -- [--rate 1..2000] [--duration 1..3600] [--mix 70/20/8/2] [--shape steady|burst] [--ses-rate 1..100000] [--ses-daily 1..1000000000] [--drain-limit 1..86400] [--lambda-concurrency 1..100000] [--putevents-rate 1..1000000] [--start-rate 1..1000000] [--json]';

export function parseLoadFlags(argv: string[]): LoadFlags {
  const flags: LoadFlags = {
    rate: 20,
    duration: 10,
    mix: { low: 70, medium: 20, high: 8, critical: 2 },
    shape: 'steady',
    sesRate: 14,
    sesDaily: 50_000,
    drainLimit: 1800,
    lambdaConcurrency: 1_000,
    putEventsRate: 10_000,
    startRate: 6_000,
    json: false,
  };
  eachFlag(
    argv,
    (m) => new LoadFlagError(`${m} ${LOAD_USAGE}`),
    ({ arg, name, inline, value }) => {
      if (name in RANGES) {
        const { key, min, max } = RANGES[name as keyof typeof RANGES];
        const v = value();
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < min || n > max)
          throw new LoadFlagError(`${name} must be a whole number from ${min} to ${max}, got "${v}".`);
        flags[key] = n;
        return;
      }
      switch (name) {
        case '--mix':
          flags.mix = parseMix(value(), (m) => new LoadFlagError(m));
          break;
        case '--shape': {
          const v = value();
          if (v !== 'steady' && v !== 'burst')
            throw new LoadFlagError(`--shape must be "steady" or "burst", got "${v}".`);
          flags.shape = v;
          break;
        }
        case '--json':
          if (inline !== undefined) throw new LoadFlagError('--json takes no value.');
          flags.json = true;
          break;
        default:
          throw new LoadFlagError(`unknown flag "${arg}". ${LOAD_USAGE}`);
      }
    },
  );
  return flags;
}

/** The p-th percentile (0..100) of some numbers, nearest rank; undefined for none. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
