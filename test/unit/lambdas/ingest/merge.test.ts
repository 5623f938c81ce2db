import { mergeMessages } from '../../../../lambdas/ingest';
import type { HistoryMessage } from '../../../../services/shared/history';
import { ratesBody, row, statusBody } from '../../../integration/ingest/fixtures';

const parse = (body: string) => JSON.parse(body) as HistoryMessage;
const T = 1_700_000_000_000;

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

  it('keeps the first of rows with equal evaluatedAt, as the database keeps the stored one', () => {
    const merged = mergeMessages([parse(ratesBody([row(T, 'BTCUSDT', '100', T)])), parse(ratesBody([row(T, 'BTCUSDT', '999', T)]))]);
    expect(merged.rates).toEqual([expect.objectContaining({ price: '100' })]);
  });

  it('collapses status entries per (collector, connection) to the newest snapshot', () => {
    const conn = (state: string) => ({ connectionId: 'k1', state, streams: 2, lastMessageAt: T, reconnects: 0, errors: 0 });
    const merged = mergeMessages([parse(statusBody(T + 5, [conn('open')])), parse(statusBody(T, [conn('connecting')])), parse(statusBody(T, [conn('open')], 'c2'))]);
    expect(merged.statusSnapshots).toBe(3);
    expect(merged.statuses).toHaveLength(2);
    expect(merged.statuses.find((s) => s.collectorId === 'c1')).toMatchObject({ state: 'open', updatedAt: T + 5, exchange: 'binance' });
  });
});
