import { createLogger } from '../../../services/shared';
import type { RateFields } from '../../../services/shared/rates';
import { StreamHub, type HubSettings, type RatesSource } from '../../../services/gateway/hub';
import { GatewayMetrics } from '../../../services/gateway/metrics';
import type { Mover } from '../../../services/gateway/protocol';
import type { Transport } from '../../../services/gateway/session';

const rate = (symbol: string, ts: number, price = '1'): RateFields => ({ symbol, price, ts: String(ts), tradeTs: String(ts), flags: '' });

class FakeTransport implements Transport {
  readonly kind = 'ws' as const;
  readonly messages: Record<string, unknown>[] = [];
  buffered = 0;
  closedWith: number | undefined;
  write(_type: string, text: string): void {
    this.messages.push(JSON.parse(text) as Record<string, unknown>);
  }
  bufferedAmount(): number {
    return this.buffered;
  }
  close(code: number): void {
    this.closedWith = code;
  }
  types(): string[] {
    return this.messages.map((m) => String(m.type));
  }
}

class FakeSource implements RatesSource {
  hashes = new Map<string, RateFields>();
  ranks: { highest: Mover[]; lowest: Mover[] } = { highest: [], lowest: [] };
  async snapshot(_exchange: string, symbols: '*' | readonly string[]): Promise<RateFields[]> {
    return symbols === '*' ? [...this.hashes.values()] : symbols.flatMap((s) => (this.hashes.has(s) ? [this.hashes.get(s)!] : []));
  }
  async rankEnds(): Promise<{ highest: Mover[]; lowest: Mover[] }> {
    return this.ranks;
  }
  async collectors(): Promise<Record<string, string>[]> {
    return [{ collectorId: 'c1', state: 'running' }];
  }
}

const settings: HubSettings = {
  exchanges: ['binance'],
  conflateMs: 0,
  maxSubscriptions: 10,
  maxConnections: 100,
  maxConnectionsPerIp: 100,
  messageRate: 5,
  messageBurst: 5,
  maxBufferedBytes: 1000,
  slowClientMs: 500,
  moversIntervalMs: 1000,
  moversMaxLimit: 50,
  healthIntervalMs: 1000,
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('StreamHub', () => {
  let source: FakeSource;
  let metrics: GatewayMetrics;
  let hub: StreamHub;

  const connect = (overrides: Partial<HubSettings> = {}) => {
    if (Object.keys(overrides).length > 0) hub = new StreamHub({ ...settings, ...overrides }, source, metrics, createLogger({ serviceName: 'test', logLevel: 'SILENT' }));
    const transport = new FakeTransport();
    const session = hub.open(transport, '10.0.0.1');
    return { transport, session };
  };

  beforeEach(() => {
    source = new FakeSource();
    metrics = new GatewayMetrics();
    hub = new StreamHub(settings, source, metrics, createLogger({ serviceName: 'test', logLevel: 'SILENT' }));
  });

  it('answers a subscribe with subscribed, then the snapshot, then updates', async () => {
    // Prepare
    source.hashes.set('BTCUSDT', rate('BTCUSDT', 10));
    const { transport, session } = connect();

    // Act
    hub.handleMessage(session, JSON.stringify({ op: 'subscribe', id: 1, channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] }));
    hub.deliver('binance', [rate('BTCUSDT', 9), rate('BTCUSDT', 11)]);
    hub.flushBatch();
    await settle();
    hub.deliver('binance', [rate('BTCUSDT', 12), rate('ETHUSDT', 12)]);
    hub.flushBatch();

    // Assert
    expect(transport.messages).toEqual([
      { type: 'subscribed', id: 1 },
      { type: 'snapshot', channel: 'rates', exchange: 'binance', rates: [rate('BTCUSDT', 10)] },
      { type: 'update', channel: 'rates', exchange: 'binance', rates: [rate('BTCUSDT', 11)] },
      { type: 'update', channel: 'rates', exchange: 'binance', rates: [rate('BTCUSDT', 12)] },
    ]);
  });

  it('measures fan-out latency once per frame, only for trades newer than the last seen, not for re-evaluations of quiet symbols', async () => {
    // Prepare
    const { session } = connect();
    hub.handleMessage(session, JSON.stringify({ op: 'subscribe', id: 1, channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT', 'ETHUSDT'] }));
    await settle();
    const firstSeen = async () => {
      hub.deliver('binance', [{ ...rate('BTCUSDT', 15), tradeTs: '1' }, rate('ETHUSDT', 15)]);
      hub.flushBatch();
      return frameCount();
    };
    const reevaluation: RateFields = { ...rate('BTCUSDT', 30), tradeTs: '20' };
    const frameCount = async () => (await metrics.fanoutLatency.get()).values.find((v) => v.metricName === 'gateway_fanout_latency_seconds_count')?.value ?? 0;

    // Act
    const afterFirstSeen = await firstSeen();
    hub.deliver('binance', [rate('BTCUSDT', 20), rate('ETHUSDT', 21)]);
    hub.flushBatch();
    const afterTrades = await frameCount();
    hub.deliver('binance', [reevaluation]);
    hub.flushBatch();
    const afterReevaluation = await frameCount();

    // Assert
    expect(afterFirstSeen).toBe(0);
    expect(afterTrades).toBe(1);
    expect(afterReevaluation).toBe(1);
  });

  it('never sends a ts back, whichever collector published it', async () => {
    // Prepare
    const { transport, session } = connect();
    hub.subscribe(session, { channel: 'rates', exchange: 'binance', symbols: '*' }, 1, true);
    await settle();

    // Act
    for (const ts of [5, 7, 6]) hub.deliver('binance', [rate('BTCUSDT', ts)]);
    hub.flushBatch();
    for (const ts of [7, 8, 3]) hub.deliver('binance', [rate('BTCUSDT', ts)]);
    hub.flushBatch();

    // Assert: one frame per batch, every newer update in order, nothing older
    const frames = transport.messages.filter((m) => m.type === 'update').map((m) => (m.rates as RateFields[]).map((r) => Number(r.ts)));
    expect(frames).toEqual([[5, 7], [8]]);
  });

  it('keeps serving a fast client while a slow one is skipped, and closes the slow one with 1013', async () => {
    // Prepare
    jest.useFakeTimers();
    try {
      const fast = connect();
      const slow = connect();
      for (const client of [fast, slow]) hub.subscribe(client.session, { channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] }, 1, true);
      await jest.advanceTimersByTimeAsync(1);
      slow.transport.buffered = 5000;

      // Act
      for (let ts = 1; ts <= 10; ts++) {
        hub.deliver('binance', [rate('BTCUSDT', ts)]);
        await jest.advanceTimersByTimeAsync(100);
      }

      // Assert
      expect(fast.transport.messages.filter((m) => m.type === 'update')).toHaveLength(10);
      expect(slow.transport.messages.filter((m) => m.type === 'update')).toHaveLength(0);
      expect(slow.transport.closedWith).toBe(1013);
      expect(fast.transport.closedWith).toBeUndefined();
      expect((await metrics.slowDisconnects.get()).values.find((v) => v.labels.reason === 'behind')?.value).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('closes at once a client whose buffer passes the hard bound', async () => {
    // Prepare
    const { transport, session } = connect();
    transport.buffered = 4001;

    // Act
    hub.handleMessage(session, '{"op":"ping","id":1}');

    // Assert
    expect(transport.closedWith).toBe(1013);
    expect(transport.messages).toEqual([]);
  });

  it('answers bad input with an error naming it, counts it, and keeps the connection', async () => {
    // Prepare
    const { transport, session } = connect();

    // Act
    for (const text of ['{', '{"op":"dance","id":3}', '{"op":"subscribe","id":4,"channel":"rates","exchange":"kraken","symbols":"*"}', '{"op":"unsubscribe","id":5,"channel":"health"}']) hub.handleMessage(session, text);

    // Assert
    expect(transport.messages.map((m) => [m.id, m.code])).toEqual([
      [null, 'bad_json'],
      [3, 'unknown_op'],
      [4, 'unknown_exchange'],
      [5, 'not_subscribed'],
    ]);
    expect(transport.closedWith).toBeUndefined();
    const counted = (await metrics.badClientMessages.get()).values.filter((v) => v.value > 0).map((v) => v.labels.reason);
    expect(counted.sort()).toEqual(['bad_json', 'not_subscribed', 'unknown_exchange', 'unknown_op']);
  });

  it('drops messages past the rate limit with one error per second', () => {
    // Prepare
    const { transport, session } = connect();

    // Act
    for (let i = 0; i < 20; i++) hub.handleMessage(session, JSON.stringify({ op: 'ping', id: i }));

    // Assert
    expect(transport.types()).toEqual(['pong', 'pong', 'pong', 'pong', 'pong', 'error']);
    expect(transport.messages[5]).toMatchObject({ code: 'rate_limited' });
  });

  it('stops updates of an unsubscribed symbol', async () => {
    // Prepare
    const { transport, session } = connect();
    hub.subscribe(session, { channel: 'rates', exchange: 'binance', symbols: ['AAUSDT', 'BBUSDT'] }, 1, true);
    await settle();

    // Act
    hub.handleMessage(session, JSON.stringify({ op: 'unsubscribe', id: 2, channel: 'rates', exchange: 'binance', symbols: ['AAUSDT'] }));
    hub.deliver('binance', [rate('AAUSDT', 1), rate('BBUSDT', 1)]);
    hub.flushBatch();

    // Assert
    expect(transport.messages.slice(-2)).toEqual([
      { type: 'unsubscribed', id: 2 },
      { type: 'update', channel: 'rates', exchange: 'binance', rates: [rate('BBUSDT', 1)] },
    ]);
  });

  it('sends movers on subscribe and then only when they change', async () => {
    // Prepare
    jest.useFakeTimers();
    try {
      source.ranks = { highest: [{ symbol: 'AA', change: '2' }], lowest: [{ symbol: 'BB', change: '-1' }] };
      hub.start();
      const { transport, session } = connect();

      // Act
      hub.subscribe(session, { channel: 'movers', exchange: 'binance', window: '5m', limit: 5 }, 2, true);
      await jest.advanceTimersByTimeAsync(2500);
      source.ranks = { highest: [{ symbol: 'CC', change: '3' }], lowest: [] };
      await jest.advanceTimersByTimeAsync(1000);
      hub.stop();

      // Assert
      expect(transport.messages).toEqual([
        { type: 'subscribed', id: 2 },
        { type: 'movers', exchange: 'binance', window: '5m', gainers: [{ symbol: 'AA', change: '2' }], losers: [{ symbol: 'BB', change: '-1' }] },
        { type: 'movers', exchange: 'binance', window: '5m', gainers: [{ symbol: 'CC', change: '3' }], losers: [] },
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('refuses connections over the per-address cap', () => {
    // Prepare
    hub = new StreamHub({ ...settings, maxConnectionsPerIp: 1 }, source, metrics, createLogger({ serviceName: 'test', logLevel: 'SILENT' }));

    // Act
    const answers = [hub.admit('1.1.1.1'), hub.admit('1.1.1.1'), hub.admit('2.2.2.2')];

    // Assert
    expect(answers).toEqual([undefined, 'ip_limit', undefined]);
  });
});
