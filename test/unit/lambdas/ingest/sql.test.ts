import {
  buildStatusUpsert,
  isTransientDatabaseError,
  RATE_COPY_COLUMNS,
  ratePrecedenceKey,
  RATES_COPY_SQL,
  RATES_INSERT_SQL,
  RATES_REPLACE_SQL,
  RATES_ROLLUP_LOCK_SQL,
  RATES_ROLLUP_RECOMPUTE_SQL,
  RATES_STAGE_SQL,
} from '../../../../lambdas/ingest';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 678);

describe('rate write statements', () => {
  it('merges from the staging table the COPY fills, replacing a stored row only with a state of greater precedence', () => {
    expect(RATES_COPY_SQL).toBe(`COPY mdc_ingest_rates (${RATE_COPY_COLUMNS}) FROM STDIN`);
    expect(RATES_STAGE_SQL).toMatch(/^CREATE TEMP TABLE IF NOT EXISTS mdc_ingest_rates \(LIKE price_change_rates\) ON COMMIT DELETE ROWS$/);
    expect(RATES_INSERT_SQL).toMatch(/FROM mdc_ingest_rates\s+ON CONFLICT \(exchange, symbol, time\) DO NOTHING/);
    expect(RATES_REPLACE_SQL).toMatch(/FROM mdc_ingest_rates\s+ON CONFLICT \(exchange, symbol, time\) DO UPDATE/);
    expect(RATES_REPLACE_SQL).toContain(`WHERE ${ratePrecedenceKey('EXCLUDED')} > ${ratePrecedenceKey('p')}`);
    expect(ratePrecedenceKey('p')).toMatch(/^\(p\.evaluated_at, -cardinality\(p\.flags\), /);
  });

  it('merges only inserted rows into the rollup and recomputes the minutes of replaced ones after locking them', () => {
    expect(RATES_INSERT_SQL).toMatch(/FROM \(\s+SELECT m\.bucket[\s\S]+FROM inserted GROUP BY 1, 2, 3/);
    expect(RATES_INSERT_SQL).toMatch(/rows = r\.rows \+ EXCLUDED\.rows/);
    expect(RATES_ROLLUP_LOCK_SQL).toMatch(/ORDER BY r\.exchange, r\.symbol, r\.bucket\s+FOR UPDATE$/);
    expect(RATES_ROLLUP_RECOMPUTE_SQL).toMatch(/rows = EXCLUDED\.rows/);
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
