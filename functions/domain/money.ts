// Money as the policy compares it: exact minor units (cents), never floats.

const AMOUNT_TEXT = /^\d+(\.\d{1,2})?$/;
const MAX_AMOUNT = 1e12;
/** The largest amount a proposal may carry (the event schema's limit), in cents. */
export const MAX_AMOUNT_CENTS = MAX_AMOUNT * 100;

/** An amount in exact minor units (cents), or undefined for anything negative, fractional beyond cents or not a number. */
export function toMinorUnits(value: unknown): number | undefined {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0 || value > MAX_AMOUNT) return undefined;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else return undefined;
  if (!AMOUNT_TEXT.test(text)) return undefined;
  const [whole = '0', fraction = ''] = text.split('.');
  const cents = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  return cents <= MAX_AMOUNT_CENTS ? cents : undefined;
}

/** `USD 10,000.00`, from cents, with no float arithmetic. */
export function formatMoney(cents: number, currency: string): string {
  const whole = Math.floor(cents / 100)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${whole}.${String(cents % 100).padStart(2, '0')}`;
}
