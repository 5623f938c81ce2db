import { mergeMessages } from '../../../../lambdas/ingest';
import type { HistoryMessage, RateRow } from '../../../../services/shared/history';
import { ratesBody, row, statusBody } from '../../../integration/ingest/fixtures';

const parse = (body: string) => JSON.parse(body) as HistoryMessage;
const T = 1_700_000_000_000;

const permutations = <X>(items: X[]): X[][] =>
  items.length <= 1 ? [items] : items.flatMap((item, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]));

describe('mergeMessages', () => {
  it('keeps one row per (exchange, symbol, time), the one with the highest evaluatedAt, in any order', () => {
    const older = parse(ratesBody([row(T, 'BTCUSDT', '100', T + 100), row(T, 'ETHUSDT', '10', T + 100)]));
    const newer = parse(ratesBody([row(T, 'BTCUSDT', '101', T + 900)]));
    for (const order of [[older, newer], [newer, older]]) {
      const merged = mergeMessages(order);
      expect(merged.rateRowsIn).toBe(3);
      expect(merged.rateDuplicates).toBe(1);
      expect(merged.rates.find((r) => r.symbol === 'BTCUSDT')).toMatchObject({ price: '101', evaluatedAt: T + 900 });
    }
  });

  it('treats other exchanges and other intervals as other rows', () => {
    const merged = mergeMessages([
      parse(ratesBody([row(T, 'BTCUSDT', '100', T)])),
      parse(ratesBody([row(T, 'BTCUSDT', '100', T)], { exchange: 'okx' })),
      parse(ratesBody([row(T + 1000, 'BTCUSDT', '100', T + 1000)])),
    ]);
    expect(merged.rates).toHaveLength(3);
    expect(merged.rateDuplicates).toBe(0);
  });

  it('on equal evaluatedAt keeps the same row whatever the delivery order: the one without gap', () => {
    // Prepare: two collectors evaluated the same instant; one had a gap open.
    const withGap = parse(ratesBody([[T, 'BTCUSDT', '100', 0.5, null, -1, ['gap'], T + 500]]));
    const complete = parse(ratesBody([[T, 'BTCUSDT', '100.5', 0.7, null, -1, [], T + 500]]));

    // Act
    const forward = mergeMessages([withGap, complete]);
    const backward = mergeMessages([complete, withGap]);

    // Assert
    expect(forward.rates).toEqual([expect.objectContaining({ price: '100.5', flags: [], change1m: 0.7 })]);
    expect(backward.rates).toEqual(forward.rates);
    expect(forward.rateDuplicates).toBe(1);
  });

  it('on equal evaluatedAt and flags breaks the tie over the contents, in any order', () => {
    // Prepare: every pair differs in one field only, NULL against a number included.
    const base: RateRow = [T, 'BTCUSDT', '100', 0.5, null, -1, ['stale'], T];
    const variants: RateRow[] = [
      base,
      [T, 'BTCUSDT', '100', 0.5, null, -1, ['anomaly'], T],
      [T, 'BTCUSDT', '99.9', 0.5, null, -1, ['stale'], T],
      [T, 'BTCUSDT', '100', null, null, -1, ['stale'], T],
      [T, 'BTCUSDT', '100', 0.5, 2, -1, ['stale'], T],
      [T, 'BTCUSDT', '100', 0.5, null, -3, ['stale'], T],
    ];

    // Act
    const results = permutations(variants).map((order) => mergeMessages(order.map((r) => parse(ratesBody([r])))).rates);

    // Assert
    for (const rates of results) expect(rates).toEqual(results[0]);
    expect(results[0]).toHaveLength(1);
  });

  it('collapses status entries per (collector, connection) to the newest snapshot', () => {
    const conn = (state: string) => ({ connectionId: 'k1', state, streams: 2, lastMessageAt: T, reconnects: 0, errors: 0 });
    const merged = mergeMessages([parse(statusBody(T + 5, [conn('open')])), parse(statusBody(T, [conn('connecting')])), parse(statusBody(T, [conn('open')], 'c2'))]);
    expect(merged.statusSnapshots).toBe(3);
    expect(merged.statuses).toHaveLength(2);
    expect(merged.statuses.find((s) => s.collectorId === 'c1')).toMatchObject({ state: 'open', updatedAt: T + 5, exchange: 'binance' });
  });
});
