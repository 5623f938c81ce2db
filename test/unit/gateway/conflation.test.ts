import { Conflator, type ConflatorOptions, type OutgoingRate } from '../../../services/gateway/conflation';

const rate = (symbol: string, ts: number): OutgoingRate => ({ symbol, ts, tradeTs: ts, json: `{"symbol":"${symbol}","ts":"${ts}"}` });

function setup(overrides: Partial<ConflatorOptions> = {}) {
  const sent: OutgoingRate[][] = [];
  const state = { writable: true, slow: 0, conflated: 0, stale: 0 };
  const conflator = new Conflator({
    intervalMs: 250,
    slowAfterMs: 1000,
    retryMs: 50,
    writable: () => state.writable,
    send: (rates) => sent.push(rates),
    onSlow: () => state.slow++,
    onConflated: (n) => (state.conflated += n),
    onStale: (n) => (state.stale += n),
    now: () => Date.now(),
    ...overrides,
  });
  const symbolsTs = () => sent.map((frame) => frame.map((r) => `${r.symbol}@${r.ts}`));
  return { conflator, sent, state, symbolsTs };
}

describe('Conflator', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('sends the first update of a symbol at once', () => {
    // Prepare
    const { conflator, symbolsTs } = setup();

    // Act
    conflator.offer([rate('BTC', 1), rate('ETH', 1)]);

    // Assert
    expect(symbolsTs()).toEqual([['BTC@1', 'ETH@1']]);
  });

  it('sends at most one update per symbol per interval, always the newest', () => {
    // Prepare
    const { conflator, symbolsTs, state } = setup();
    conflator.offer([rate('BTC', 1)]);

    // Act
    jest.advanceTimersByTime(100);
    conflator.offer([rate('BTC', 2)]);
    jest.advanceTimersByTime(50);
    conflator.offer([rate('BTC', 3)]);
    jest.advanceTimersByTime(99);
    const beforeDue = symbolsTs().length;
    jest.advanceTimersByTime(1);

    // Assert
    expect(beforeDue).toBe(1);
    expect(symbolsTs()).toEqual([['BTC@1'], ['BTC@3']]);
    expect(state.conflated).toBe(1);
  });

  it('sends what arrives during a window in one frame at its end, then goes idle', () => {
    // Prepare
    const { conflator, symbolsTs } = setup();
    conflator.offer([rate('BTC', 1)]);

    // Act
    jest.advanceTimersByTime(10);
    conflator.offer([rate('BTC', 2), rate('ETH', 2)]);
    jest.advanceTimersByTime(100);
    conflator.offer([rate('SOL', 3)]);
    jest.advanceTimersByTime(140);
    const afterWindow = symbolsTs().length;
    jest.advanceTimersByTime(1000);
    conflator.offer([rate('ETH', 4)]);

    // Assert
    expect(afterWindow).toBe(2);
    expect(symbolsTs()).toEqual([['BTC@1'], ['BTC@2', 'ETH@2', 'SOL@3'], ['ETH@4']]);
  });

  it('sends every update with interval 0', () => {
    // Prepare
    const { conflator, symbolsTs } = setup({ intervalMs: 0 });

    // Act
    conflator.offer([rate('BTC', 1)]);
    conflator.offer([rate('BTC', 2)]);
    conflator.offer([rate('BTC', 3)]);

    // Assert
    expect(symbolsTs()).toEqual([['BTC@1'], ['BTC@2'], ['BTC@3']]);
  });

  it('sends every update of a batch with interval 0, in order, in one frame', () => {
    // Prepare
    const { conflator, symbolsTs, state } = setup({ intervalMs: 0 });

    // Act
    conflator.offer([rate('BTC', 1), rate('ETH', 1), rate('BTC', 2), rate('BTC', 2)]);

    // Assert
    expect(symbolsTs()).toEqual([['BTC@1', 'ETH@1', 'BTC@2']]);
    expect(state.stale).toBe(1);
  });

  it('never sends a ts older than or equal to one the client holds', () => {
    // Prepare
    const { conflator, symbolsTs, state } = setup({ intervalMs: 0 });
    conflator.offer([rate('BTC', 5)]);

    // Act
    conflator.offer([rate('BTC', 4)]);
    conflator.offer([rate('BTC', 5)]);
    conflator.offer([rate('BTC', 6)]);

    // Assert
    expect(symbolsTs()).toEqual([['BTC@5'], ['BTC@6']]);
    expect(state.stale).toBe(2);
  });

  it('keeps only the newest value per symbol while the socket is full, then sends those', () => {
    // Prepare
    const { conflator, symbolsTs, state } = setup({ intervalMs: 0 });
    state.writable = false;

    // Act
    for (let ts = 1; ts <= 100; ts++) conflator.offer([rate('BTC', ts), rate('ETH', ts)]);
    const pendingWhileFull = conflator.pendingCount;
    state.writable = true;
    jest.advanceTimersByTime(50);

    // Assert
    expect(pendingWhileFull).toBe(2);
    expect(symbolsTs()).toEqual([['BTC@100', 'ETH@100']]);
    expect(state.conflated).toBe(198);
  });

  it('reports a client that stays unwritable past the bound once, and stops', () => {
    // Prepare
    const { conflator, state, sent } = setup();
    state.writable = false;
    conflator.offer([rate('BTC', 1)]);

    // Act
    jest.advanceTimersByTime(999);
    const before = state.slow;
    jest.advanceTimersByTime(100);
    conflator.offer([rate('BTC', 2)]);
    jest.advanceTimersByTime(5000);

    // Assert
    expect(before).toBe(0);
    expect(state.slow).toBe(1);
    expect(sent).toEqual([]);
  });

  it('forgives a client that catches up before the bound', () => {
    // Prepare
    const { conflator, state } = setup();
    state.writable = false;
    conflator.offer([rate('BTC', 1)]);
    jest.advanceTimersByTime(900);

    // Act
    state.writable = true;
    jest.advanceTimersByTime(100);
    state.writable = false;
    conflator.offer([rate('BTC', 2)]);
    jest.advanceTimersByTime(900);

    // Assert
    expect(state.slow).toBe(0);
    expect(conflator.isBehind).toBe(true);
  });

  it('holds updates during a snapshot and drops those the snapshot already covers', () => {
    // Prepare
    const { conflator, symbolsTs } = setup({ intervalMs: 0 });
    const snapshots: string[][] = [];
    conflator.hold();
    conflator.offer([rate('BTC', 3), rate('ETH', 9)]);

    // Act
    conflator.release([rate('BTC', 5), rate('ETH', 7)], (fresh) => snapshots.push(fresh.map((r) => `${r.symbol}@${r.ts}`)));
    conflator.offer([rate('BTC', 4), rate('BTC', 6)]);

    // Assert
    expect(snapshots).toEqual([['BTC@5', 'ETH@7']]);
    expect(symbolsTs()).toEqual([['ETH@9'], ['BTC@6']]);
  });

  it('leaves out of a snapshot what the client already holds newer', () => {
    // Prepare
    const { conflator } = setup({ intervalMs: 0 });
    conflator.offer([rate('BTC', 10)]);
    const snapshots: number[][] = [];

    // Act
    conflator.hold();
    conflator.release([rate('BTC', 8), rate('ETH', 8)], (fresh) => snapshots.push(fresh.map((r) => r.ts)));

    // Assert
    expect(snapshots).toEqual([[8]]);
  });

  it('forgets unsubscribed symbols, pending ones included', () => {
    // Prepare
    const { conflator, symbolsTs } = setup();
    conflator.offer([rate('BTC', 1)]);
    conflator.offer([rate('BTC', 2)]);

    // Act
    conflator.forget(['BTC']);
    jest.advanceTimersByTime(1000);
    conflator.offer([rate('BTC', 1)]);

    // Assert
    expect(symbolsTs()).toEqual([['BTC@1'], ['BTC@1']]);
  });
});
