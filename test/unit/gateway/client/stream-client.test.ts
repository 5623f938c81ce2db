import { StreamClient, type SocketLike, type StreamState } from '../../../../services/gateway/client';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: unknown[] = [];
  closed: { code?: number; reason?: string } | undefined;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 3;
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: object): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
}

function setup(token?: string | (() => Promise<string>)) {
  const sockets: FakeSocket[] = [];
  const states: StreamState[] = [];
  const changes: string[][] = [];
  const client = new StreamClient({
    url: 'ws://gateway/v1/stream',
    token,
    subscriptions: [{ channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] }, { channel: 'health' }],
    socketFactory: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    backoff: { initialMs: 1_000, maxMs: 8_000, random: () => 1 },
    pingIntervalMs: 10_000,
    silenceTimeoutMs: 25_000,
    onState: (state) => states.push(state),
    onRates: (changed) => changes.push(changed.map((r) => `${r.symbol}@${r.ts}`)),
  });
  return { client, sockets, states, changes };
}

const flush = () => new Promise<void>((resolve) => jest.requireActual<typeof import('node:timers')>('node:timers').setImmediate(resolve));

describe('StreamClient', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('subscribes on open and applies snapshot and updates newest-ts-wins', async () => {
    // Prepare
    const { client, sockets, changes } = setup();
    client.start();
    await flush();

    // Act
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'snapshot', channel: 'rates', exchange: 'binance', rates: [{ symbol: 'BTCUSDT', price: '1', ts: '2000', tradeTs: '1990', flags: '' }] });
    sockets[0]!.receive({ type: 'update', channel: 'rates', exchange: 'binance', rates: [{ symbol: 'BTCUSDT', price: '0', ts: '1000', tradeTs: '990', flags: '' }] });

    // Assert
    expect(sockets[0]!.sent).toEqual([
      { op: 'subscribe', id: 1, channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] },
      { op: 'subscribe', id: 2, channel: 'health' },
    ]);
    expect(changes).toEqual([['BTCUSDT@2000']]);
    expect(client.bookOf('binance').get('BTCUSDT')?.price).toBe('1');
    client.stop();
  });

  it('keeps one book per exchange, so the same pair on two exchanges stays two rates, and reports every snapshot', async () => {
    // Prepare
    const snapshots: string[] = [];
    const changes: string[] = [];
    const sockets: FakeSocket[] = [];
    const client = new StreamClient({
      url: 'ws://gateway/v1/stream',
      subscriptions: [
        { channel: 'rates', exchange: 'binance', symbols: '*' },
        { channel: 'rates', exchange: 'okx', symbols: '*' },
        { channel: 'rates', exchange: 'bybit', symbols: '*' },
      ],
      socketFactory: (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
      onRates: (changed, book, kind, exchange) => changes.push(`${kind} ${exchange} ${changed.map((r) => r.price).join(',')} of ${book.size}`),
      onSnapshot: (exchange, book) => snapshots.push(`${exchange}:${book.size}`),
    });
    client.start();
    await flush();
    sockets[0]!.open();

    // Act
    sockets[0]!.receive({ type: 'snapshot', channel: 'rates', exchange: 'binance', rates: [{ symbol: 'BTCUSDT', price: '64000', ts: '2000', tradeTs: '1990', flags: '' }] });
    sockets[0]!.receive({ type: 'snapshot', channel: 'rates', exchange: 'okx', rates: [{ symbol: 'BTCUSDT', price: '64010', ts: '1000', tradeTs: '990', flags: '' }] });
    sockets[0]!.receive({ type: 'snapshot', channel: 'rates', exchange: 'bybit', rates: [] });
    sockets[0]!.receive({ type: 'update', channel: 'rates', exchange: 'okx', rates: [{ symbol: 'BTCUSDT', price: '64020', ts: '1500', tradeTs: '1490', flags: '' }] });

    // Assert
    expect(client.bookOf('binance').get('BTCUSDT')?.price).toBe('64000');
    expect(client.bookOf('okx').get('BTCUSDT')?.price).toBe('64020');
    expect(client.bookOf('bybit').size).toBe(0);
    expect(snapshots).toEqual(['binance:1', 'okx:1', 'bybit:0']);
    expect(changes).toEqual(['snapshot binance 64000 of 1', 'snapshot okx 64010 of 1', 'update okx 64020 of 1']);
    client.stop();
  });

  it('reconnects with backoff after a drop and subscribes again, including subscriptions added later', async () => {
    // Prepare
    const { client, sockets, states } = setup();
    client.start();
    await flush();
    sockets[0]!.open();
    client.subscribe({ channel: 'chart', exchange: 'binance', symbol: 'BTCUSDT' });

    // Act
    sockets[0]!.drop();
    jest.advanceTimersByTime(999);
    const beforeDelay = sockets.length;
    jest.advanceTimersByTime(1);
    await flush();
    sockets[1]!.open();

    // Assert
    expect(beforeDelay).toBe(1);
    expect(sockets).toHaveLength(2);
    expect(states).toEqual(['open', 'reconnecting', 'open']);
    expect(sockets[1]!.sent).toEqual([
      { op: 'subscribe', id: 4, channel: 'rates', exchange: 'binance', symbols: ['BTCUSDT'] },
      { op: 'subscribe', id: 5, channel: 'health' },
      { op: 'subscribe', id: 6, channel: 'chart', exchange: 'binance', symbol: 'BTCUSDT' },
    ]);
    client.stop();
  });

  it('grows the delay while connections keep failing and resets it once data flows', async () => {
    // Prepare
    const { client, sockets } = setup();
    client.start();
    await flush();

    // Act: two failures in a row, then a connection that delivers a snapshot, then a drop
    sockets[0]!.drop();
    jest.advanceTimersByTime(1_000);
    await flush();
    sockets[1]!.drop();
    jest.advanceTimersByTime(1_999);
    const afterSecondFailure = sockets.length;
    jest.advanceTimersByTime(1);
    await flush();
    sockets[2]!.open();
    sockets[2]!.receive({ type: 'snapshot', channel: 'rates', exchange: 'binance', rates: [] });
    sockets[2]!.drop();
    jest.advanceTimersByTime(1_000);
    await flush();

    // Assert
    expect(afterSecondFailure).toBe(2);
    expect(sockets).toHaveLength(4);
    client.stop();
  });

  it('puts a fresh token on every connection URL', async () => {
    // Prepare
    let issued = 0;
    const { client, sockets } = setup(async () => `t${++issued}`);
    client.start();
    await flush();

    // Act
    sockets[0]!.drop();
    jest.advanceTimersByTime(1_000);
    await flush();

    // Assert
    expect(sockets.map((s) => s.url)).toEqual(['ws://gateway/v1/stream?token=t1', 'ws://gateway/v1/stream?token=t2']);
    client.stop();
  });

  it('pings while open and replaces a connection that went silent', async () => {
    // Prepare
    const { client, sockets, states } = setup();
    client.start();
    await flush();
    sockets[0]!.open();

    // Act
    jest.advanceTimersByTime(10_000);
    const pings = sockets[0]!.sent.filter((m) => (m as { op: string }).op === 'ping').length;
    jest.advanceTimersByTime(20_000);

    // Assert
    expect(pings).toBe(1);
    expect(sockets[0]!.closed).toEqual({ code: 4000, reason: 'silent' });
    expect(states).toContain('stale');
    jest.advanceTimersByTime(1_000);
    await flush();
    expect(sockets).toHaveLength(2);
    client.stop();
  });

  it('stops for good: no reconnect after stop', async () => {
    // Prepare
    const { client, sockets, states } = setup();
    client.start();
    await flush();
    sockets[0]!.open();

    // Act
    client.stop();
    jest.advanceTimersByTime(60_000);

    // Assert
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.closed).toEqual({ code: 1000, reason: 'client stopped' });
    expect(states[states.length - 1]).toBe('closed');
  });
});
