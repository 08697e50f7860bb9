// Durations as people write them in policy files: 30m, 4h, 2d, 1d12h, 1h30m.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
/** An SLA longer than a year is a typo, not a policy. */
export const MAX_DURATION_MS = 365 * DAY;

/** Milliseconds for `30m`, `4h`, `2d`, `1d12h`, `1h30m`; undefined for anything else, zero or over a year. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || !(m[1] ?? m[2] ?? m[3])) return undefined;
  const ms = Number(m[1] ?? 0) * DAY + Number(m[2] ?? 0) * HOUR + Number(m[3] ?? 0) * MINUTE;
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** The shortest text parseDuration reads back to the same whole minutes: 5400000 -> "1h30m". */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / MINUTE));
  const d = Math.floor(minutes / (24 * 60));
  const h = Math.floor((minutes % (24 * 60)) / 60);
  const m = minutes % 60;
  const text = `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}`;
  return text || '0m';
}
