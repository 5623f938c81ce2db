import { encodeMessage, ratesFrame } from '../../../../../services/gateway/protocol';
import { scanFrame } from '../../../../bench/support/gateway-load';

const rate = (symbol: string, ts: number, tradeTs: number, extra: Record<string, string> = {}) => JSON.stringify({ symbol, price: '1.50000000', ts: String(ts), tradeTs: String(tradeTs), ...extra, flags: 'stale,gap' });

describe('scanFrame', () => {
  it('reads symbol, ts and tradeTs of every rate of a frame the gateway assembles', () => {
    // Prepare
    const frame = ratesFrame('update', 'binance', [rate('BTCUSDT', 1700000000123, 1700000000120, { change_5m: '-0.4' }), rate('ETHUSDT', 1700000000200, 1700000000200)]);

    // Act
    const scanned = scanFrame(frame);

    // Assert
    expect(scanned).toEqual({
      type: 'update',
      rates: [
        { symbol: 'BTCUSDT', ts: 1700000000123, tradeTs: 1700000000120 },
        { symbol: 'ETHUSDT', ts: 1700000000200, tradeTs: 1700000000200 },
      ],
    });
    expect(scanned.rates).toEqual(
      (JSON.parse(frame) as { rates: Array<{ symbol: string; ts: string; tradeTs: string }> }).rates.map((r) => ({ symbol: r.symbol, ts: Number(r.ts), tradeTs: Number(r.tradeTs) })),
    );
  });

  it('reads snapshots, including an empty one', () => {
    // Act
    const full = scanFrame(ratesFrame('snapshot', 'binance', [rate('SOLUSDT', 5, 4)]));
    const empty = scanFrame(ratesFrame('snapshot', 'binance', []));

    // Assert
    expect(full).toEqual({ type: 'snapshot', rates: [{ symbol: 'SOLUSDT', ts: 5, tradeTs: 4 }] });
    expect(empty).toEqual({ type: 'snapshot', rates: [] });
  });

  it('gives only the type of other messages', () => {
    // Act
    const movers = scanFrame(encodeMessage({ type: 'movers', exchange: 'binance', window: '5m', gainers: [{ symbol: 'AA', change: '1' }], losers: [] }));
    const subscribed = scanFrame(encodeMessage({ type: 'subscribed', id: 1 }));
    const junk = scanFrame('not json');

    // Assert
    expect(movers).toEqual({ type: 'movers', rates: [] });
    expect(subscribed).toEqual({ type: 'subscribed', rates: [] });
    expect(junk).toEqual({ type: '', rates: [] });
  });
});
