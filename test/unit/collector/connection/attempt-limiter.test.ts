import { ConnectionAttemptLimiter } from '../../../../services/collector/connection';

describe('ConnectionAttemptLimiter', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('lets up to 250 attempts through per 5 minutes by default and delays the rest, never refusing', () => {
    const limiter = new ConnectionAttemptLimiter();
    const delays = Array.from({ length: 600 }, () => limiter.reserve());
    expect(delays.slice(0, 250).every((d) => d === 0)).toBe(true);
    expect(delays.slice(250, 500).every((d) => d === 300_000)).toBe(true);
    expect(delays.slice(500).every((d) => d === 600_000)).toBe(true);
  });

  it('keeps every sliding window under the limit when attempts are spread out', () => {
    const limiter = new ConnectionAttemptLimiter({ maxAttempts: 10, windowMs: 1_000 });
    const slots: number[] = [];
    for (let i = 0; i < 100; i++) {
      jest.advanceTimersByTime(37);
      slots.push(Date.now() + limiter.reserve());
    }
    slots.sort((a, b) => a - b);
    for (const start of slots) expect(slots.filter((t) => t > start - 1_000 && t <= start).length).toBeLessThanOrEqual(10);
  });

  it('frees slots as the window slides', () => {
    const limiter = new ConnectionAttemptLimiter({ maxAttempts: 2, windowMs: 1_000 });
    expect(limiter.reserve()).toBe(0);
    jest.advanceTimersByTime(400);
    expect(limiter.reserve()).toBe(0);
    expect(limiter.reserve()).toBe(600);
    jest.advanceTimersByTime(1_000);
    expect(limiter.reserve()).toBe(0);
  });
});
