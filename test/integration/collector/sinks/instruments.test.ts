import type { SymbolInfo } from '../../../../services/collector/domain';
import { writeInstruments } from '../../../../services/collector/sinks/redis';
import { InstrumentsReader } from '../../../../lambdas/api/cache';
import { INSTRUMENTS_TTL_SECONDS, instrumentsKey } from '../../../../services/shared/rates';
import { openTestRedis, type TestRedis } from '../../../support';

const info = (symbol: string, nativeSymbol: string, tradable = true): SymbolInfo => ({ symbol, nativeSymbol, baseAsset: symbol.slice(0, 3), quoteAsset: symbol.slice(3), status: tradable ? 'live' : 'suspend', tradable });

describe('instruments:<exchange> between the collector and the config API', () => {
  let redis: TestRedis;

  beforeAll(async () => {
    redis = await openTestRedis();
  });

  afterAll(async () => {
    await redis.cleanup();
  });

  it('publishes the list for the API to look pairs up, with the native id and a TTL', async () => {
    // Prepare
    const reader = new InstrumentsReader(redis.client);
    const list = Array.from({ length: 1201 }, (_, i) => info(`C${i}USDT`, `C${i}-USDT`));
    list.push(info('LUNAUSDT', 'LUNA-USDT', false));

    // Act
    const written = await writeInstruments(redis.client, 'okx', list);

    // Assert
    expect(written).toBe(1202);
    expect(await redis.client.hlen(instrumentsKey('okx'))).toBe(1202);
    expect(await reader.lookup('okx', 'C1200USDT')).toEqual({ known: true, listing: { native: 'C1200-USDT', tradable: true } });
    expect(await reader.lookup('okx', 'LUNAUSDT')).toEqual({ known: true, listing: { native: 'LUNA-USDT', tradable: false } });
    expect(await reader.lookup('okx', 'NOPEUSDT')).toEqual({ known: true, listing: undefined });
    expect(await reader.lookup('bybit', 'BTCUSDT')).toEqual({ known: false });
    const ttl = await redis.client.ttl(instrumentsKey('okx'));
    expect(ttl).toBeGreaterThan(INSTRUMENTS_TTL_SECONDS - 60);
  });

  it('replaces the list whole, so a delisted pair drops out, and keeps it when the exchange listed nothing', async () => {
    // Prepare
    await writeInstruments(redis.client, 'bybit', [info('BTCUSDT', 'BTCUSDT'), info('OLDUSDT', 'OLDUSDT')]);

    // Act
    await writeInstruments(redis.client, 'bybit', [info('BTCUSDT', 'BTCUSDT')]);
    const emptyWrite = await writeInstruments(redis.client, 'bybit', []);

    // Assert
    expect(emptyWrite).toBe(0);
    expect(await redis.client.hkeys(instrumentsKey('bybit'))).toEqual(['BTCUSDT']);
  });
});
