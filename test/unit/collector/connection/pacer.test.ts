import { MessagePacer, type PacedMessage, PacerQueueFullError } from '../../../../services/collector/connection';

describe('MessagePacer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  function pacer(options: ConstructorParameters<typeof MessagePacer>[1] = {}): { pacer: MessagePacer; sent: Array<PacedMessage & { at: number }> } {
    const sent: Array<PacedMessage & { at: number }> = [];
    return { pacer: new MessagePacer((m) => sent.push({ ...m, at: Date.now() }), options), sent };
  }

  /** Largest number of sends in any half-open window [t, t + 1000), as Binance's per-second counter sees them. */
  function maxPerSecond(times: number[]): number {
    let best = 0;
    for (const start of times) best = Math.max(best, times.filter((t) => t >= start && t < start + 1000).length);
    return best;
  }

  it('sends at most 4 messages in any second by default, whatever the mix', () => {
    const { pacer: p, sent } = pacer({ maxQueuedRequests: 100 });
    for (let i = 0; i < 40; i++) p.request(`r${i}`);
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(700);
      p.pong(Buffer.from(String(i)));
      p.ping();
    }
    jest.advanceTimersByTime(60_000);
    expect(sent).toHaveLength(60);
    expect(maxPerSecond(sent.map((m) => m.at))).toBeLessThanOrEqual(4);
  });

  it('sends pongs before pings before requests, and coalesces control frames', () => {
    const { pacer: p, sent } = pacer();
    p.request('first');
    p.request('second');
    p.request('third');
    p.ping();
    p.ping();
    p.pong(Buffer.from('old'));
    p.pong(Buffer.from('new'));
    jest.advanceTimersByTime(5_000);
    expect(sent.map((m) => (m.kind === 'text' ? m.text : m.kind === 'pong' ? `pong:${m.data.toString()}` : 'ping'))).toEqual(['first', 'pong:new', 'ping', 'second', 'third']);
  });

  it('starts the reply deadline when a request leaves, not when it is queued', () => {
    const { pacer: p } = pacer();
    const sentAt: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 3; i++) p.request(`r${i}`, () => sentAt.push(Date.now() - start));
    jest.advanceTimersByTime(2_000);
    expect(sentAt).toEqual([0, 250, 500]);
  });

  it('bounds the request queue and refuses with a typed error rather than dropping', () => {
    const { pacer: p, sent } = pacer({ maxQueuedRequests: 3 });
    p.request('a'); // sent at once with the initial token
    p.request('b');
    p.request('c');
    p.request('d');
    expect(p.hasRoom).toBe(false);
    expect(() => p.request('e')).toThrow(PacerQueueFullError);
    // Control frames are never refused: they are coalesced instead.
    p.pong(Buffer.from('x'));
    jest.advanceTimersByTime(5_000);
    expect(sent.map((m) => (m.kind === 'text' ? m.text : m.kind))).toEqual(['a', 'pong', 'b', 'c', 'd']);
  });

  it('builds a lazy request body only when its token is due, and an empty one costs no token', () => {
    const { pacer: p, sent } = pacer();
    p.request('now');
    let pending = ['a'];
    p.request(() => {
      const text = pending.join(',');
      pending = [];
      return text === '' ? undefined : text;
    });
    p.request(() => undefined);
    p.request('after');
    pending.push('b', 'c');
    jest.advanceTimersByTime(250);
    expect(sent.map((m) => (m.kind === 'text' ? m.text : m.kind))).toEqual(['now', 'a,b,c']);
    jest.advanceTimersByTime(250);
    expect(sent.map((m) => (m.kind === 'text' ? m.text : m.kind))).toEqual(['now', 'a,b,c', 'after']);
  });

  it('reset forgets queued work for a dead socket', () => {
    const { pacer: p, sent } = pacer();
    p.request('a');
    p.request('b');
    p.reset();
    jest.advanceTimersByTime(5_000);
    expect(sent.map((m) => (m.kind === 'text' ? m.text : m.kind))).toEqual(['a']);
    expect(p.queuedRequests).toBe(0);
  });
});
