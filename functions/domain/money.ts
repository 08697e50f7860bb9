// Money as the policy compares it (exact minor units, cents, never floats) and as people read it: one format.

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

const formats = new Map<string, Intl.NumberFormat | undefined>();

/** One Intl format per currency, always with cents so an edited 4,999.50 never shows as 5,000 (undefined: not a code Intl knows). */
function formatOf(currency: string): Intl.NumberFormat | undefined {
  if (!formats.has(currency)) {
    let format: Intl.NumberFormat | undefined;
    try {
      format = new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency,
        minimumFractionDigits: 2,
        maximumFractionDigits: 2,
      });
    } catch {
      format = undefined;
    }
    formats.set(currency, format);
  }
  return formats.get(currency);
}

/**
 * The one money format of pages, emails and policy texts: `$5,000.00`, `€1,200.00`, `CA$80.00`, from cents.
 * The digits go to Intl as a decimal string, so no float rounding; a code Intl does not know reads `XYZ 12.00`.
 */
export function formatMoney(cents: number, currency: string): string {
  const decimal = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
  const format = formatOf(currency);
  if (format) return format.format(decimal as unknown as number);
  const whole = decimal.slice(0, -3).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${currency} ${whole}${decimal.slice(-3)}`;
}

/** An action's amount for people; a value the policy could not read as money is shown as it came, after its currency. */
export function formatAmount(amount: { value: unknown; currency: string } | undefined): string | undefined {
  if (!amount) return undefined;
  const cents = toMinorUnits(amount.value);
  return cents === undefined ? `${amount.currency} ${String(amount.value)}` : formatMoney(cents, amount.currency);
}
