import type Redis from 'ioredis';
import { parseRateHash, RATE_EXCHANGES, RatesReader, symbolIndexKey } from '../../../../lambdas/api/cache/rates-reader';

const TS = 1_700_000_000_000;

describe('parseRateHash', () => {
  it('types a full rates hash', () => {
    // Prepare
    const hash = { price: '97123.45000000', ts: String(TS), tradeTs: String(TS - 150), change_1m: '0.5', change_5m: '-1.25', change_15m: '0', flags: 'stale,gap' };

    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', hash);

    // Assert
    expect(rate).toEqual({
      exchange: 'binance',
      symbol: 'BTCUSDT',
      price: '97123.45000000',
      ts: TS,
      time: '2023-11-14T22:13:20.000Z',
      tradeTs: TS - 150,
      change_1m: 0.5,
      change_5m: -1.25,
      change_15m: 0,
      flags: ['stale', 'gap'],
    });
  });

  it('keeps the price string exact', () => {
    // Act
    const rate = parseRateHash('binance', 'SHIBUSDT', { price: '0.00001234000000', ts: String(TS) });

    // Assert
    expect(rate?.price).toBe('0.00001234000000');
  });

  it('gives null for missing, empty or non-numeric changes', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), change_1m: '', change_5m: 'NaN' });

    // Assert
    expect(rate).toMatchObject({ change_1m: null, change_5m: null, change_15m: null });
  });

  it('gives no flags for an empty or missing flags field', () => {
    // Act
    const empty = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), flags: '' });
    const missing = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS) });

    // Assert
    expect(empty?.flags).toEqual([]);
    expect(missing?.flags).toEqual([]);
  });

  it('drops flags it does not know', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), flags: 'odd,anomaly,,backfilled,STALE' });

    // Assert
    expect(rate?.flags).toEqual(['anomaly', 'backfilled']);
  });

  it('takes ts as the trade time when tradeTs is missing or not a number', () => {
    // Act
    const missing = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS) });
    const invalid = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: String(TS), tradeTs: 'x' });

    // Assert
    expect(missing?.tradeTs).toBe(TS);
    expect(invalid?.tradeTs).toBe(TS);
  });

  it('gives time as the ISO-8601 UTC form of ts', () => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', { price: '1', ts: '1795600800123' });

    // Assert
    expect(rate?.time).toBe('2026-11-25T10:00:00.123Z');
  });

  it.each([
    ['an empty (expired) hash', {}],
    ['a hash without price', { ts: String(TS) }],
    ['a hash without ts', { price: '1' }],
    ['a hash whose ts is not a number', { price: '1', ts: 'soon' }],
  ])('gives undefined for %s', (_label, hash) => {
    // Act
    const rate = parseRateHash('binance', 'BTCUSDT', hash);

    // Assert
    expect(rate).toBeUndefined();
  });
});

/** The Redis calls RatesReader.list makes, over in-memory sorted sets and hashes; SCAN and KEYS throw. */
function fakeRedis(sets: Record<string, string[]>, hashes: Record<string, Record<string, string>>) {
  const calls: string[] = [];
  const zrange = async (key: string, start: number, stop: string | number) => {
    calls.push(`zrange ${key} ${start} ${stop}`);
    const members = sets[key] ?? [];
    const end = Number(stop) < 0 ? members.length : Number(stop) + 1;
    return members.slice(start, end);
  };
  const redis = {
    exists: async (key: string) => (sets[key] ? 1 : 0),
    zrange,
    scanStream: () => {
      throw new Error('SCAN must not be used');
    },
    keys: () => {
      throw new Error('KEYS must not be used');
    },
    pipeline: () => {
      const queued: Array<() => Promise<unknown>> = [];
      const pipeline = {
        hgetall: (key: string) => {
          calls.push(`hgetall ${key}`);
          queued.push(async () => hashes[key] ?? {});
          return pipeline;
        },
        zrange: (key: string, start: number, stop: string) => {
          queued.push(() => zrange(key, start, stop));
          return pipeline;
        },
        exec: async () => Promise.all(queued.map(async (run) => [null, await run()])),
      };
      return pipeline;
    },
  };
  return { redis: redis as unknown as Redis, calls };
}

const hash = (price: string, extra: Record<string, string> = {}) => ({ price, ts: String(TS), tradeTs: String(TS), flags: '', ...extra });

describe('RatesReader.list', () => {
  it('reads the symbol index in pages, bounded by the limit, skipping members whose hash expired', async () => {
    // Prepare: 3,000 indexed symbols, every third one expired.
    const symbols = Array.from({ length: 3000 }, (_, i) => `S${String(i).padStart(4, '0')}USDT`);
    const hashes = Object.fromEntries(symbols.filter((_, i) => i % 3 !== 0).map((symbol) => [`rates:binance:${symbol}`, hash('1')]));
    const { redis, calls } = fakeRedis({ [symbolIndexKey('binance')]: symbols }, hashes);

    // Act
    const rates = await new RatesReader(redis).list({ exchange: 'binance', limit: 100 });

    // Assert
    expect(rates).toHaveLength(100);
    expect(rates[0]!.symbol).toBe('S0001USDT');
    expect(rates.map((r) => r.symbol)).toEqual([...rates.map((r) => r.symbol)].sort());
    expect(calls.filter((c) => c.startsWith('hgetall')).length).toBeLessThanOrEqual(240);
  });

  it('lists symbols without any known change from the index', async () => {
    // Prepare: NEWUSDT has no change yet, so no rank set holds it.
    const { redis } = fakeRedis(
      { [symbolIndexKey('binance')]: ['BTCUSDT', 'NEWUSDT'], 'rates:binance:rank:1m': ['BTCUSDT'] },
      { 'rates:binance:BTCUSDT': hash('2', { change_1m: '0.5' }), 'rates:binance:NEWUSDT': hash('3') },
    );

    // Act
    const rates = await new RatesReader(redis).list({ exchange: 'binance', limit: 10 });

    // Assert
    expect(rates.map((r) => [r.symbol, r.change_1m])).toEqual([
      ['BTCUSDT', 0.5],
      ['NEWUSDT', null],
    ]);
  });

  it('falls back to the union of the rank sets where no index exists, in symbol order', async () => {
    // Prepare
    const { redis } = fakeRedis(
      { 'rates:binance:rank:1m': ['SOLUSDT', 'BTCUSDT'], 'rates:binance:rank:15m': ['ETHUSDT', 'BTCUSDT'] },
      { 'rates:binance:BTCUSDT': hash('2'), 'rates:binance:ETHUSDT': hash('3'), 'rates:binance:SOLUSDT': hash('4') },
    );

    // Act
    const rates = await new RatesReader(redis).list({ exchange: 'binance', limit: 10 });

    // Assert
    expect(rates.map((r) => r.symbol)).toEqual(['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
  });

  it('lists the known exchanges in order when none is given, up to the limit', async () => {
    // Prepare
    const { redis } = fakeRedis(
      { [symbolIndexKey('okx')]: ['BTCUSDT'], [symbolIndexKey('binance')]: ['BTCUSDT', 'ETHUSDT'] },
      { 'rates:binance:BTCUSDT': hash('1'), 'rates:binance:ETHUSDT': hash('2'), 'rates:okx:BTCUSDT': hash('3') },
    );

    // Act
    const all = await new RatesReader(redis).list({ limit: 10 });
    const two = await new RatesReader(redis).list({ limit: 2 });

    // Assert
    expect(RATE_EXCHANGES).toEqual(['binance', 'bybit', 'okx']);
    expect(all.map((r) => `${r.exchange}:${r.symbol}`)).toEqual(['binance:BTCUSDT', 'binance:ETHUSDT', 'okx:BTCUSDT']);
    expect(two).toHaveLength(2);
  });
});
