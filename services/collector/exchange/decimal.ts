/** Longest price or quantity string accepted; Binance sends at most ~20 characters. */
const MAX_DECIMAL_LENGTH = 40;

const DIGIT_0 = 48;
const DIGIT_9 = 57;
const DOT = 46;

/**
 * True for a plain non-negative decimal (`123`, `0.00120000`): digits with at most
 * one inner dot, no sign, exponent, NaN or Infinity. A char loop rather than a
 * regex because it runs twice per trade on the hot path. `requireNonZero` also
 * demands a non-zero digit, which rejects `0.000` without a float conversion.
 */
export function isDecimalString(text: string, requireNonZero: boolean): boolean {
  const length = text.length;
  if (length === 0 || length > MAX_DECIMAL_LENGTH) return false;
  let dot = -1;
  let nonZero = false;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === DOT) {
      if (dot !== -1 || i === 0 || i === length - 1) return false;
      dot = i;
    } else if (code < DIGIT_0 || code > DIGIT_9) {
      return false;
    } else if (code !== DIGIT_0) {
      nonZero = true;
    }
  }
  return nonZero || !requireNonZero;
}
