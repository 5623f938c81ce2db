import type Redis from 'ioredis';
import { serializeSnapshot } from '../../../../lambdas/api/cache/snapshot-publisher';
import { SymbolSource, type DesiredConfiguration } from '../../../../services/collector/symbols';
import type { ConfigSnapshot } from '../../../../services/shared/config-snapshot';
import type { Logger } from '../../../../services/shared/logger';

/** The two reads a refresh makes, over one stored value: the head (GETRANGE) and the whole snapshot (GET). */
class FakeSnapshotRedis {
  value: string | null = null;
  readonly getrange = jest.fn(async (_key: string, start: number, end: number) => (this.value ?? '').slice(start, end + 1));
  readonly get = jest.fn(async () => this.value);
}

const snapshot = (epoch: number, version: number, symbols: string[]): ConfigSnapshot => ({
  version,
  epoch,
  symbols: symbols.map((symbol) => ({ exchange: 'binance', symbol, enabled: true })),
  settings: {},
});

function source(redis: FakeSnapshotRedis) {
  const applied: DesiredConfiguration[] = [];
  const error = jest.fn();
  const logger = { debug: jest.fn(), info: jest.fn(), warn: jest.fn(), error } as unknown as Logger;
  const symbolSource = new SymbolSource({
    exchange: 'binance',
    redis: redis as unknown as Redis,
    fallbackSymbols: async () => ['FALLBACKUSDT'],
    pollIntervalMs: 1000,
    onChange: (config) => void applied.push(config),
    logger,
  });
  return { symbolSource, applied, error };
}

describe('SymbolSource apply rule', () => {
  it('applies a lower version of another epoch, and says so in an error log', async () => {
    // Prepare: the collector holds version 120; the database was restored to 80 and reconciliation started epoch 1.
    const redis = new FakeSnapshotRedis();
    const { symbolSource, applied, error } = source(redis);
    redis.value = serializeSnapshot(snapshot(0, 120, ['BTCUSDT', 'ETHUSDT']));
    await symbolSource.refresh();

    // Act
    redis.value = serializeSnapshot(snapshot(1, 81, ['BTCUSDT']));
    await symbolSource.refresh();

    // Assert
    expect(applied.map((c) => [c.epoch, c.version, c.symbols])).toEqual([
      [0, 120, ['BTCUSDT', 'ETHUSDT']],
      [1, 81, ['BTCUSDT']],
    ]);
    expect([symbolSource.epoch, symbolSource.version]).toEqual([1, 81]);
    expect(error).toHaveBeenCalledWith(expect.stringContaining('another epoch'), expect.objectContaining({ heldEpoch: 0, heldVersion: 120, epoch: 1, version: 81 }));
  });

  it('ignores a lower version of the epoch it holds without reading the whole snapshot', async () => {
    // Prepare
    const redis = new FakeSnapshotRedis();
    const { symbolSource, applied } = source(redis);
    redis.value = serializeSnapshot(snapshot(1, 120, ['BTCUSDT']));
    await symbolSource.refresh();
    redis.get.mockClear();

    // Act
    redis.value = serializeSnapshot(snapshot(1, 81, ['ETHUSDT']));
    await symbolSource.refresh();

    // Assert
    expect(applied).toHaveLength(1);
    expect([symbolSource.epoch, symbolSource.version]).toEqual([1, 120]);
    expect(redis.get).not.toHaveBeenCalled();
  });

  it('treats a snapshot without an epoch (an older API) as epoch 0', async () => {
    // Prepare
    const redis = new FakeSnapshotRedis();
    const { symbolSource, applied } = source(redis);
    redis.value = JSON.stringify({ version: 7, symbols: [{ exchange: 'binance', symbol: 'BTCUSDT', enabled: true }], settings: {} });
    await symbolSource.refresh();

    // Act: the same version without an epoch again, then the next one.
    await symbolSource.refresh();
    redis.value = JSON.stringify({ version: 8, symbols: [{ exchange: 'binance', symbol: 'SOLUSDT', enabled: true }], settings: {} });
    await symbolSource.refresh();

    // Assert
    expect(applied.map((c) => [c.epoch, c.version, c.symbols])).toEqual([
      [0, 7, ['BTCUSDT']],
      [0, 8, ['SOLUSDT']],
    ]);
  });
});
