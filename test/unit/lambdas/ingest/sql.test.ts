import { buildRatesUpsert, buildStatusUpsert, isTransientDatabaseError, ratePrecedenceKey, RATES_UPSERT_SQL } from '../../../../lambdas/ingest';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('buildRatesUpsert', () => {
  it('passes one array per column, in the order of the unnest casts', () => {
    const statement = buildRatesUpsert([
      { time: T, exchange: 'binance', symbol: 'BTCUSDT', price: '43000.10000000', change1m: 0.1, change5m: null, change15m: -2, flags: ['backfilled', 'gap'], evaluatedAt: T + 1 },
      { time: T, exchange: 'binance', symbol: 'ETHUSDT', price: '2500', change1m: null, change5m: null, change15m: null, flags: [], evaluatedAt: T + 2 },
    ]);
    expect(statement.text).toBe(RATES_UPSERT_SQL);
    expect(statement.values).toEqual([
      ['2026-01-02T03:04:05.678Z', '2026-01-02T03:04:05.678Z'],
      ['binance', 'binance'],
      ['BTCUSDT', 'ETHUSDT'],
      ['43000.10000000', '2500'],
      [0.1, null],
      [null, null],
      [-2, null],
      ['backfilled,gap', ''],
      ['2026-01-02T03:04:05.679Z', '2026-01-02T03:04:05.680Z'],
    ]);
  });

  it('replaces a stored row only with a state of greater precedence: newer, or as new and first in content order', () => {
    expect(RATES_UPSERT_SQL).toMatch(/ON CONFLICT \(exchange, symbol, time\) DO UPDATE/);
    expect(RATES_UPSERT_SQL).toContain(`WHERE ${ratePrecedenceKey('EXCLUDED')} > ${ratePrecedenceKey('p')}`);
    expect(ratePrecedenceKey('p')).toMatch(/^\(p\.evaluated_at, -cardinality\(p\.flags\), /);
  });
});

describe('buildStatusUpsert', () => {
  it('maps snapshot time to updated_at and keeps an unknown last message as NULL', () => {
    const statement = buildStatusUpsert([
      { collectorId: 'c1', connectionId: 'k1', exchange: 'binance', state: 'open', streams: 200, lastMessageAt: null, reconnects: 1, errors: 2, updatedAt: T },
    ]);
    expect(statement.values).toEqual([['c1'], ['k1'], ['binance'], ['open'], [200], [null], [1], [2], ['2026-01-02T03:04:05.678Z']]);
    expect(statement.text).toMatch(/WHERE s\.updated_at < EXCLUDED\.updated_at/);
  });
});

describe('isTransientDatabaseError', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, true],
    [new Error('Connection terminated unexpectedly'), true],
    [{ code: '57014' }, true], // statement_timeout
    [{ code: '08006' }, true],
    [{ code: '42P01' }, true], // table missing: schema not migrated yet
    [{ code: '23514' }, false], // CHECK violation (or no partition for the row)
    [{ code: '22003' }, false], // numeric out of range
  ])('%p -> %p', (error, transient) => {
    expect(isTransientDatabaseError(error)).toBe(transient);
  });
});
