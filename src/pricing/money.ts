/**
 * Money is integer nano-dollars (1 USD = 1e9). A token of a $0.01 per 1M tokens model costs 10
 * nano-dollars. Prices are held exactly as bigint "nano-dollars per 1M tokens" parsed from decimal
 * strings, and a request's cost is computed in bigint and rounded half-up to a nano-dollar once.
 * Binary floats are never summed.
 */
export type Nano = number;

const NANO_PER_USD = 1_000_000_000n;

/** Parses a decimal USD amount ("2.5", 0.075, "1e-7") into exact nano-dollars per unit, as bigint scaled by 1e9. */
export function parseUsdToNano(value: number | string): bigint {
  let text = typeof value === 'number' ? numberToPlainString(value) : value.trim();
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`Not a decimal amount: ${String(value)}`);
  const negative = text.startsWith('-');
  if (negative) text = text.slice(1);
  const [whole, fraction = ''] = text.split('.');
  if (fraction.length > 9 && /[1-9]/.test(fraction.slice(9))) {
    throw new Error(`Amount ${String(value)} has more precision than a nano-dollar`);
  }
  const nano = BigInt(whole) * NANO_PER_USD + BigInt((fraction + '000000000').slice(0, 9));
  return negative ? -nano : nano;
}

function numberToPlainString(value: number): string {
  if (!Number.isFinite(value)) throw new Error(`Not a finite amount: ${value}`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  // Shortest round-trip representation, then expand the exponent without going through floats.
  const [mantissa, exponentText] = text.toLowerCase().split('e');
  const exponent = Number(exponentText);
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '');
  const [intPart, fracPart = ''] = digits.split('.');
  const all = intPart + fracPart;
  const pointIndex = intPart.length + exponent;
  let result: string;
  if (pointIndex <= 0) result = '0.' + '0'.repeat(-pointIndex) + all;
  else if (pointIndex >= all.length) result = all + '0'.repeat(pointIndex - all.length);
  else result = all.slice(0, pointIndex) + '.' + all.slice(pointIndex);
  return (negative ? '-' : '') + result;
}

/** tokens × (USD per 1M tokens, as nano-per-1M bigint), kept in the 1e-15 USD unit to add exactly. */
export function tokenCostFemto(tokens: number, pricePerMillionNano: bigint): bigint {
  return BigInt(tokens) * pricePerMillionNano;
}

/** Rounds a 1e-15 USD amount half-up to integer nano-dollars. */
export function femtoToNano(femto: bigint): Nano {
  const million = 1_000_000n;
  const rounded = femto >= 0n ? (femto + million / 2n) / million : -((-femto + million / 2n) / million);
  return Number(rounded);
}

/** Formats nano-dollars as a decimal USD string without trailing zeros ("0.00325", "0"). */
export function formatUsd(nano: Nano): string {
  const negative = nano < 0;
  const abs = BigInt(Math.abs(nano));
  const whole = abs / NANO_PER_USD;
  const fraction = (abs % NANO_PER_USD).toString().padStart(9, '0').replace(/0+$/, '');
  return (negative ? '-' : '') + whole.toString() + (fraction ? '.' + fraction : '');
}

/** nano-dollars → USD number, for display and JSON reports only (never for sums). */
export function nanoToUsdNumber(nano: Nano): number {
  return Number(formatUsd(nano));
}

export function usdToNano(usd: number | string): Nano {
  return Number(parseUsdToNano(usd));
}
