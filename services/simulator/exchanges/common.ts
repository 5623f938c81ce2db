import { formatE8 } from '../decimal';

/**
 * `968_200_000_000` -> `"9682"`, `"0.0002"`: OKX and Bybit print prices and sizes
 * without trailing zeros, unlike Binance's fixed eight decimals.
 */
export function trimmedE8(value: number): string {
  const text = formatE8(value);
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}

/** A float volume (a sum) printed with at most eight decimals and no trailing zeros. */
export function trimmedVolume(value: number): string {
  const text = value.toFixed(8).replace(/0+$/, '');
  return text.endsWith('.') ? text.slice(0, -1) : text;
}

/** Hex connection ids like the exchanges' (`connId` / `conn_id`), unique per server. */
export class ConnectionIds {
  private next = 1;

  constructor(private readonly salt: number) {}

  take(): string {
    const value = ((this.salt << 16) ^ this.next++) >>> 0;
    return value.toString(16).padStart(8, '0');
  }
}

export const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };

/** `"9682.00000000"` -> `"9682"`: a Binance-style decimal string in OKX / Bybit form. */
export function trimDecimalText(text: string): string {
  if (!text.includes('.')) return text;
  const trimmed = text.replace(/0+$/, '');
  return trimmed.endsWith('.') ? trimmed.slice(0, -1) : trimmed;
}
