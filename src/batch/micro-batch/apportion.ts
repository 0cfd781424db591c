import type { Nano } from '../../pricing/money.ts';

/**
 * Splits an integer `total` into parts proportional to `weights` that add up to `total` exactly
 * (largest remainder). Zero weights everywhere split evenly.
 */
export function apportion(total: number, weights: number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((accumulated, weight) => accumulated + weight, 0);
  const effective = sum > 0 ? weights : weights.map(() => 1);
  const effectiveSum = sum > 0 ? sum : weights.length;
  const exact = effective.map((weight) => (total * weight) / effectiveSum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((accumulated, part) => accumulated + part, 0);
  const order = exact.map((value, index) => ({ index, remainder: value - Math.floor(value) })).sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of order) {
    if (left <= 0) break;
    parts[index] += 1;
    left -= 1;
  }
  return parts;
}

/** `apportion` for money: nano-dollars are integers, so the parts add up to the packed call's cost. */
export const apportionNano = (total: Nano, weights: number[]): Nano[] => apportion(total, weights);
