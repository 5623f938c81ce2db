/**
 * Stream names of the OKX adapter: `<channel>:<instId>` (`trades:BTC-USDT`), the
 * pair OKX itself uses to name a subscription (`arg`), so acks and pushes map back
 * to the stream without a lookup.
 */
export const TRADES_CHANNEL = 'trades';

export interface OkxArg {
  channel: string;
  instId: string;
}

export function okxStream(channel: string, instId: string): string {
  return `${channel}:${instId}`;
}

export function okxArgOf(stream: string): OkxArg | undefined {
  const colon = stream.indexOf(':');
  if (colon <= 0 || colon === stream.length - 1) return undefined;
  return { channel: stream.slice(0, colon), instId: stream.slice(colon + 1) };
}

/** Spot instruments are `BASE-QUOTE`; futures (`BTC-USD-220527`) and swaps (`UNI-USD-SWAP`) have more parts. */
export function isSpotInstId(instId: string): boolean {
  const dash = instId.indexOf('-');
  return dash > 0 && dash < instId.length - 1 && instId.indexOf('-', dash + 1) < 0;
}

/** `BTC-USDT` -> `BTCUSDT`: the project's symbol is base + quote, upper-case. */
export function symbolOfSpotInstId(instId: string): string {
  return instId.replace('-', '').toUpperCase();
}
