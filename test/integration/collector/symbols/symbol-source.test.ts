import Redis from 'ioredis';
import { serializeSnapshot } from '../../../../lambdas/api/cache/snapshot-publisher';
import { SymbolSource, type DesiredConfiguration } from '../../../../services/collector/symbols';
import { CONFIG_SNAPSHOT_KEY, CONFIG_UPDATES_CHANNEL, type ConfigSnapshot } from '../../../../services/shared/config-snapshot';
import { openTestRedis, type TestRedis } from '../../../support';

const snapshot = (version: number, symbols: string[], settings: ConfigSnapshot['settings'] = {}, epoch = 0): ConfigSnapshot => ({
  version,
  epoch,
  symbols: symbols.map((symbol) => ({ exchange: 'binance', symbol, enabled: true })),
  settings,
});

async function waitFor(what: string, probe: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SymbolSource against Redis', () => {
  let redis: TestRedis;
  let client: Redis;
  let source: SymbolSource | undefined;
  let applied: DesiredConfiguration[];

  const start = async (pollIntervalMs = 500) => {
    source = new SymbolSource({ exchange: 'binance', redis: client, fallbackSymbols: async () => ['FALLBACKUSDT'], pollIntervalMs, onChange: (config) => void applied.push(config) });
    await source.start();
  };

  beforeEach(async () => {
    redis = await openTestRedis();
    client = new Redis(redis.url);
    applied = [];
  });

  afterEach(async () => {
    await source?.stop();
    source = undefined;
    client.disconnect();
    await redis.cleanup();
  });

  it('collects the fallback symbols while Redis holds no snapshot', async () => {
    // Act
    await start();

    // Assert
    expect(applied).toEqual([{ symbols: ['FALLBACKUSDT'], settings: {}, version: undefined, epoch: undefined, source: 'environment' }]);
  });

  it('applies a snapshot at start and a newer one on its notification, with its settings', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(3, ['ETHUSDT', 'BTCUSDT'])));
    await start(60_000);

    // Act
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(4, ['BTCUSDT'], { persistIntervalMs: 2000 })));
    await redis.client.publish(CONFIG_UPDATES_CHANNEL, '4');
    await waitFor('version 4', () => source!.version === 4);

    // Assert
    expect(applied.map((c) => [c.version, c.symbols])).toEqual([
      [3, ['BTCUSDT', 'ETHUSDT']],
      [4, ['BTCUSDT']],
    ]);
    expect(applied[1]!.settings).toEqual({ persistIntervalMs: 2000 });
  });

  it('ignores an older snapshot', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(5, ['BTCUSDT'])));
    await start(60_000);

    // Act
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(4, ['ETHUSDT'])));
    await source!.refresh();

    // Assert
    expect(source!.version).toBe(5);
    expect(applied).toHaveLength(1);
  });

  it('applies a lower version of another epoch (a restored database) at its notification', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(120, ['BTCUSDT', 'ETHUSDT'])));
    await start(60_000);

    // Act
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(81, ['BTCUSDT'], {}, 1)));
    await redis.client.publish(CONFIG_UPDATES_CHANNEL, '{"version":81,"epoch":1}');
    await waitFor('epoch 1', () => source!.epoch === 1);

    // Assert
    expect(applied.map((c) => [c.epoch, c.version, c.symbols])).toEqual([
      [0, 120, ['BTCUSDT', 'ETHUSDT']],
      [1, 81, ['BTCUSDT']],
    ]);
  });

  it('applies a change whose notification was lost at the next poll', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(1, ['BTCUSDT'])));
    await start(500);

    // Act: written without PUBLISH, as when the notification is lost.
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(2, ['BTCUSDT', 'SOLUSDT'])));

    // Assert
    await waitFor('the poll to apply version 2', () => source!.version === 2);
    expect(applied[1]!.symbols).toEqual(['BTCUSDT', 'SOLUSDT']);
  });

  it('reads only the head of an unchanged snapshot when it polls', async () => {
    // Prepare
    const many = Array.from({ length: 2000 }, (_, i) => `S${String(i).padStart(5, '0')}USDT`);
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(7, many)));
    const get = jest.spyOn(client, 'get');
    await start(60_000);
    get.mockClear();

    // Act
    for (let i = 0; i < 5; i += 1) await source!.refresh();

    // Assert
    expect(get).not.toHaveBeenCalled();
    expect(applied).toHaveLength(1);
  });

  it('keeps the current configuration when the key holds an invalid snapshot', async () => {
    // Prepare
    await redis.client.set(CONFIG_SNAPSHOT_KEY, serializeSnapshot(snapshot(1, ['BTCUSDT'])));
    await start(60_000);

    // Act
    await redis.client.set(CONFIG_SNAPSHOT_KEY, '{"version":2,"symbols":"not a list"}');
    await source!.refresh();

    // Assert
    expect(source!.version).toBe(1);
    expect(applied).toHaveLength(1);
  });
});
