import { SlidingWindowLimiter } from '../../../../services/collector/exchange';

describe('SlidingWindowLimiter', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2024, 0, 1, 12, 0, 0) });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('grants the budget at once, then releases waiters FIFO as grants leave the window', async () => {
    // Prepare
    const limiter = new SlidingWindowLimiter({ name: 'test', limit: 4, windowMs: 2000, safetyRatio: 0.5 });
    const order: number[] = [];
    await limiter.acquire();
    await jest.advanceTimersByTimeAsync(500);
    await limiter.acquire();
    // Act
    const third = limiter.acquire().then(() => order.push(3));
    const fourth = limiter.acquire().then(() => order.push(4));
    await jest.advanceTimersByTimeAsync(1500);
    const afterFirstLeft = [...order];
    await jest.advanceTimersByTimeAsync(500);
    await Promise.all([third, fourth]);
    // Assert
    expect(limiter.budget).toBe(2);
    expect(afterFirstLeft).toEqual([3]);
    expect(order).toEqual([3, 4]);
  });

  it('never grants more than the budget within any window length, even across window edges', async () => {
    // Prepare
    const limiter = new SlidingWindowLimiter({ name: 'test', limit: 10, windowMs: 1000, safetyRatio: 1 });
    const grantedAt: number[] = [];
    // Act
    const all = Array.from({ length: 35 }, () => limiter.acquire().then(() => grantedAt.push(Date.now())));
    await jest.advanceTimersByTimeAsync(5000);
    await Promise.all(all);
    // Assert
    const worst = Math.max(...grantedAt.map((t) => grantedAt.filter((u) => u >= t && u < t + 1000).length));
    expect(grantedAt).toHaveLength(35);
    expect(worst).toBe(10);
  });

  it('refuses at once when the queue is full, and holds everything during a pause', async () => {
    // Prepare
    const limiter = new SlidingWindowLimiter({ name: 'okx /x', limit: 1, windowMs: 1000, safetyRatio: 1, maxQueued: 1 });
    await limiter.acquire();
    const queued = limiter.acquire();
    // Act
    const refused = expect(limiter.acquire()).rejects.toMatchObject({ code: 'REST_QUEUE_FULL', limiter: 'okx /x' });
    limiter.pause(5000);
    await jest.advanceTimersByTimeAsync(4000);
    const stateDuringPause = limiter.state();
    await jest.advanceTimersByTimeAsync(1001);
    // Assert
    await refused;
    expect(stateDuringPause).toEqual({ inWindow: 0, budget: 1, queued: 1, pausedUntil: Date.UTC(2024, 0, 1, 12, 0, 5) });
    await expect(queued).resolves.toBeUndefined();
  });

  it('rejects waiters on close and on their abort signal', async () => {
    // Prepare
    const limiter = new SlidingWindowLimiter({ name: 'test', limit: 1, windowMs: 1000, safetyRatio: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = expect(limiter.acquire(controller.signal)).rejects.toMatchObject({ code: 'REST_WAIT_ABORTED' });
    const closed = expect(limiter.acquire()).rejects.toMatchObject({ code: 'REST_BUDGET_CLOSED' });
    // Act
    controller.abort(new Error('caller gave up'));
    limiter.close();
    // Assert
    await aborted;
    await closed;
    await expect(limiter.acquire()).rejects.toMatchObject({ code: 'REST_BUDGET_CLOSED' });
  });
});
