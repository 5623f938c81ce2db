import type { Trade } from '../../../services/collector/domain';
import type { ExchangeStreamProtocol, FrameResult, ParseContext } from '../../../services/collector/exchange';

/** Parses recorded frames with a collector adapter's protocol, as its connection would. */
export function parseAll(protocol: ExchangeStreamProtocol, frames: readonly string[], streams: readonly string[]): FrameResult[] {
  const known = new Set(streams);
  return frames.map((text) => {
    const now = Date.now();
    const context: ParseContext = { receivedAt: now, receivedAtMono: 0, exchangeNow: now, maxClockDistanceMs: 60_000, clockSynchronized: false, isKnownStream: (s) => known.has(s) };
    return protocol.parseFrame(text, context);
  });
}

export function tradesOf(results: readonly FrameResult[]): Trade[] {
  return results.flatMap((r) => (r.kind === 'trade' ? [r.trade] : r.kind === 'trades' ? r.trades : []));
}
