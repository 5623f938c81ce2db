/**
 * Epoch milliseconds stay below 1e14 until the year 5138 while epoch microseconds
 * passed 1e15 in 2001, so the magnitude tells the unit of a `timeUnit=MICROSECOND`
 * feed without the connection having to say which it asked for.
 */
const MICROSECOND_THRESHOLD = 1e14;

/** Binance time in ms, converting a microsecond value (truncated to a whole ms). */
export function toMilliseconds(value: number): number {
  return value > MICROSECOND_THRESHOLD ? Math.floor(value / 1000) : value;
}
