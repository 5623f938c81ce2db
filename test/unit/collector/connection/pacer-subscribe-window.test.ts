import { MessagePacer, type PacedMessage } from '../../../../services/collector/connection';

describe('MessagePacer subscribe window (OKX: 480 subscription requests an hour per connection)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 5_000_000 }));
  afterEach(() => jest.useRealTimers());

  function pacer(limit: number, windowMs: number): { pacer: MessagePacer; sent: Array<PacedMessage & { at: number }> } {
    const sent: Array<PacedMessage & { at: number }> = [];
    const p = new MessagePacer((m) => sent.push({ ...m, at: Date.now() }), { ratePerSecond: 10, burst: 1, maxQueuedRequests: 100, subscribeWindow: { limit, windowMs } });
    return { pacer: p, sent };
  }

  const texts = (sent: PacedMessage[]): string[] => sent.flatMap((m) => (m.kind === 'text' ? [m.text] : []));

  it('holds counted requests past the limit until the oldest send leaves the window', () => {
    // Prepare
    const { pacer: p, sent } = pacer(3, 60_000);

    // Act
    for (let i = 0; i < 5; i++) p.request(`sub${i}`, undefined, { counted: true });
    jest.advanceTimersByTime(59_000);
    const beforeWindowEnds = texts(sent);
    jest.advanceTimersByTime(2_000);

    // Assert
    expect(beforeWindowEnds).toEqual(['sub0', 'sub1', 'sub2']);
    expect(texts(sent)).toEqual(['sub0', 'sub1', 'sub2', 'sub3', 'sub4']);
    const times = sent.map((m) => m.at - 5_000_000);
    expect(times[3]).toBeGreaterThanOrEqual(60_000);
  });

  it('lets uncounted requests (keepalive pings) pass counted ones that must wait', () => {
    // Prepare
    const { pacer: p, sent } = pacer(1, 3_600_000);
    p.request('sub0', undefined, { counted: true });
    p.request('sub1', undefined, { counted: true });

    // Act
    p.request('ping');
    jest.advanceTimersByTime(1_000);

    // Assert
    expect(texts(sent)).toEqual(['sub0', 'ping']);
    expect(p.queuedRequests).toBe(1);
  });

  it('does not count a deferred body that built nothing', () => {
    // Prepare
    const { pacer: p, sent } = pacer(1, 60_000);

    // Act
    p.request(() => undefined, undefined, { counted: true });
    p.request('sub1', undefined, { counted: true });
    jest.advanceTimersByTime(1_000);

    // Assert
    expect(texts(sent)).toEqual(['sub1']);
  });

  it('never lets a window hold more than the limit over a long run', () => {
    // Prepare
    const { pacer: p, sent } = pacer(4, 10_000);

    // Act
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 3; i++) p.request(`r${round}.${i}`, undefined, { counted: true });
      jest.advanceTimersByTime(3_000);
    }
    jest.advanceTimersByTime(100_000);

    // Assert
    const times = sent.map((m) => m.at);
    expect(times).toHaveLength(30);
    for (const start of times) expect(times.filter((t) => t >= start && t < start + 10_000).length).toBeLessThanOrEqual(4);
  });
});
