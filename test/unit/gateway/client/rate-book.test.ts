import { RateBook, type StreamRate } from '../../../../services/gateway/client';

const rate = (symbol: string, ts: number, price = '1'): StreamRate => ({ symbol, price, ts: String(ts), tradeTs: String(ts - 5), flags: '' });

describe('RateBook', () => {
  it('keeps the newest ts per symbol and reports only what changed', () => {
    // Prepare
    const book = new RateBook();
    book.apply([rate('BTCUSDT', 2_000, '2'), rate('ETHUSDT', 2_000)]);

    // Act: a late snapshot crosses a newer update
    const changed = book.apply([rate('BTCUSDT', 1_000, '1'), rate('ETHUSDT', 3_000, '3'), rate('BTCUSDT', 2_000, '9')]);

    // Assert
    expect(changed.map((r) => `${r.symbol}@${r.ts}`)).toEqual(['ETHUSDT@3000']);
    expect(book.get('BTCUSDT')?.price).toBe('2');
    expect(book.size).toBe(2);
  });

  it('drops symbols no longer followed', () => {
    // Prepare
    const book = new RateBook();
    book.apply([rate('BTCUSDT', 1), rate('ETHUSDT', 1)]);

    // Act
    book.retain(new Set(['ETHUSDT']));

    // Assert
    expect([...book.values()].map((r) => r.symbol)).toEqual(['ETHUSDT']);
  });
});
