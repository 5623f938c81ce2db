import { ProtocolError } from '../../../services/gateway/errors';
import { SubscriptionRegistry } from '../../../services/gateway/subscriptions';

const followers = (registry: SubscriptionRegistry<string>, exchange: string, symbol: string) => {
  const seen: string[] = [];
  registry.forEachFollower(exchange, symbol, (client) => seen.push(client));
  return seen.sort();
};

describe('SubscriptionRegistry', () => {
  it('indexes clients by symbol and by "*", visiting each follower once', () => {
    // Prepare
    const registry = new SubscriptionRegistry<string>(100);

    // Act
    registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] }, 1);
    registry.subscribe('b', { channel: 'rates', exchange: 'binance', symbols: '*' }, 1);
    registry.subscribe('b', { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] }, 2);
    registry.subscribe('c', { channel: 'rates', exchange: 'other', symbols: ['BTCUSDT'] }, 1);

    // Assert
    expect(followers(registry, 'binance', 'BTCUSDT')).toEqual(['a', 'b']);
    expect(followers(registry, 'binance', 'SOLUSDT')).toEqual(['b']);
    expect(followers(registry, 'other', 'BTCUSDT')).toEqual(['c']);
    expect(registry.size).toBe(5);
  });

  it('reports the symbols a subscribe added', () => {
    // Prepare
    const registry = new SubscriptionRegistry<string>(100);
    registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] }, 1);

    // Act
    const result = registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] }, 2);

    // Assert
    expect(result).toEqual({ channel: 'rates', exchange: 'binance', added: ['ETHUSDT'] });
    expect(registry.countOf('a')).toBe(2);
  });

  it('refuses a subscribe beyond the per-connection bound and changes nothing', () => {
    // Prepare
    const registry = new SubscriptionRegistry<string>(3);
    registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['AA', 'BB'] }, 1);

    // Act
    let refused: unknown;
    try {
      registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['CC', 'DD'] }, 9);
    } catch (error) {
      refused = error;
    }
    registry.subscribe('a', { channel: 'health' }, 10);

    // Assert
    expect(refused).toBeInstanceOf(ProtocolError);
    expect(refused).toMatchObject({ errorCode: 'too_many_subscriptions', id: 9 });
    expect(followers(registry, 'binance', 'CC')).toEqual([]);
    expect(registry.countOf('a')).toBe(3);
  });

  it('unsubscribes symbols, "*", movers and health, and says when nothing matched', () => {
    // Prepare
    const registry = new SubscriptionRegistry<string>(100);
    registry.subscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['AA', 'BB'] }, 1);
    registry.subscribe('a', { channel: 'movers', exchange: 'binance', window: '5m', limit: 20 }, 2);
    registry.subscribe('a', { channel: 'health' }, 3);

    // Act
    const symbols = registry.unsubscribe('a', { channel: 'rates', exchange: 'binance', symbols: ['AA', 'ZZ'] });
    const movers = registry.unsubscribe('a', { channel: 'movers', exchange: 'binance', window: '5m', limit: 1 });
    const again = registry.unsubscribe('a', { channel: 'movers', exchange: 'binance', window: '5m', limit: 1 });
    const all = registry.unsubscribe('a', { channel: 'rates', exchange: 'binance', symbols: '*' });
    const health = registry.unsubscribe('a', { channel: 'health' });

    // Assert
    expect([symbols, movers, again, all, health]).toEqual([{ removed: ['AA'] }, { removed: [] }, false, { removed: '*' }, { removed: [] }]);
    expect(registry.size).toBe(0);
    expect(registry.moversKeys()).toEqual([]);
  });

  it('keeps movers limits per client and drops everything of a client that left', () => {
    // Prepare
    const registry = new SubscriptionRegistry<string>(100);
    registry.subscribe('a', { channel: 'movers', exchange: 'binance', window: '1m', limit: 5 }, 1);
    registry.subscribe('b', { channel: 'movers', exchange: 'binance', window: '1m', limit: 20 }, 1);
    registry.subscribe('b', { channel: 'rates', exchange: 'binance', symbols: '*' }, 2);
    registry.subscribe('b', { channel: 'health' }, 3);

    // Act
    registry.remove('b');

    // Assert
    expect([...registry.moversSubscribers('binance:1m')]).toEqual([['a', 5]]);
    expect(registry.moversKeys()).toEqual([{ key: 'binance:1m', exchange: 'binance', window: '1m' }]);
    expect(followers(registry, 'binance', 'AA')).toEqual([]);
    expect(registry.healthSubscribers().size).toBe(0);
    expect(registry.size).toBe(1);
  });
});
