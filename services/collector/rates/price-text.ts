/**
 * Exchange price text back from the number the price history keeps, so states
 * for past instants carry the exact exchange string without a string per
 * history entry (a pointer and a string object per trade would more than double
 * the history's memory at tens of thousands of trades a second).
 *
 * Binance prints every price of a symbol with the same number of decimals
 * ("97000.01000000", "0.00001234"): the scale is read off any text of the
 * symbol, and `value.toFixed(scale)` gives the text back exactly when one unit
 * of the last decimal is more than two doubles apart at that magnitude: then the
 * decimal with `scale` digits nearest to the double is the one it was parsed
 * from. For 8 decimals that holds below about 2.2e7, above any Binance price
 * (`String(Number(text))` would not do: "0.00000100" becomes "1e-6", and the
 * precedence key compares `price::text`, which keeps the scale).
 *
 * Returns undefined when the text cannot be recovered exactly.
 */
export function priceTextOf(value: number, sample: string): string | undefined {
  if (!Number.isFinite(value)) return undefined;
  const point = sample.indexOf('.');
  const scale = point < 0 ? 0 : sample.length - point - 1;
  if (scale > 20 || !(Math.abs(value) * Number.EPSILON * 2 < 10 ** -scale)) return undefined;
  const text = value.toFixed(scale);
  return Number(text) === value ? text : undefined;
}
