/**
 * Exact decimal handling for prices and quantities. Values are kept as integers of
 * 1e-8 units (Binance's 8 decimal places) so rounding to a tick or step never goes
 * through binary floating point, and formatting is a cheap integer split.
 */
export const E8 = 100_000_000;

/** `"0.01000000"` -> 1_000_000. Throws on anything that is not a plain non-negative decimal. */
export function parseE8(text: string): number {
  const match = /^(\d+)(?:\.(\d{1,8})\d*)?$/.exec(text);
  if (!match) throw new RangeError(`not a decimal: ${JSON.stringify(text)}`);
  const whole = Number(match[1]);
  const fraction = Number(((match[2] ?? '') + '00000000').slice(0, 8));
  return whole * E8 + fraction;
}

/** 968_200_000_000 -> `"9682.00000000"`, the way Binance prints spot prices. */
export function formatE8(value: number): string {
  const whole = Math.floor(value / E8);
  const fraction = value - whole * E8;
  const digits = String(fraction);
  return `${whole}.${'00000000'.slice(digits.length)}${digits}`;
}

/** Nearest multiple of `stepE8`, at least one step (a trade never has price or size 0). */
export function roundToStep(value: number, stepE8: number): number {
  const steps = Math.round(value / stepE8);
  return (steps < 1 ? 1 : steps) * stepE8;
}

/** A float volume printed with 8 decimals (kline and ticker volumes are sums, not exact inputs). */
export function formatVolume(value: number): string {
  return value.toFixed(8);
}
