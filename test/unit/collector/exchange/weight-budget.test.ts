import { RequestWeightBudget, WeightBudgetClosedError, WeightQueueFullError, WeightTooLargeError } from '../../../../services/collector/exchange';

const MINUTE_START = Date.UTC(2024, 0, 1, 12, 0, 0);

describe('RequestWeightBudget', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: MINUTE_START + 1_000 });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('grants up to the safety share of the limit, then holds requests until the next minute', async () => {
    // Prepare
    const budget = new RequestWeightBudget({ limitPerMinute: 100, safetyRatio: 0.8 });
    for (let i = 0; i < 20; i++) await budget.acquire(4);
    const granted: number[] = [];
    // Act
    const waiting = budget.acquire(4).then(() => granted.push(Date.now()));
    await jest.advanceTimersByTimeAsync(58_999);
    const beforeRollover = granted.length;
    await jest.advanceTimersByTimeAsync(1);
    await waiting;
    // Assert
    expect(beforeRollover).toBe(0);
    expect(granted).toEqual([MINUTE_START + 60_000]);
    expect(budget.state()).toEqual({ used: 4, budget: 80, queued: 0, pausedUntil: 0 });
  });

  it('serves waiting requests first in, first out', async () => {
    // Prepare
    const budget = new RequestWeightBudget({ limitPerMinute: 10, safetyRatio: 1 });
    await budget.acquire(10);
    const order: string[] = [];
    // Act
    const big = budget.acquire(8).then(() => order.push('big'));
    const small = budget.acquire(1).then(() => order.push('small'));
    await jest.advanceTimersByTimeAsync(60_000);
    await Promise.all([big, small]);
    // Assert
    expect(order).toEqual(['big', 'small']);
  });

  it('refuses at once when the wait queue is full', async () => {
    // Prepare
    const budget = new RequestWeightBudget({ limitPerMinute: 10, safetyRatio: 1, maxQueued: 2 });
    await budget.acquire(10);
    const queued = [budget.acquire(1), budget.acquire(1)];
    // Act
    const refused = budget.acquire(1);
    // Assert
    await expect(refused).rejects.toBeInstanceOf(WeightQueueFullError);
    await expect(refused).rejects.toMatchObject({ code: 'REST_QUEUE_FULL' });
    await jest.advanceTimersByTimeAsync(60_000);
    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined]);
  });

  it('refuses a weight larger than the whole budget', async () => {
    // Prepare
    const budget = new RequestWeightBudget({ limitPerMinute: 10, safetyRatio: 0.5 });
    // Act
    const result = budget.acquire(6);
    // Assert
    await expect(result).rejects.toBeInstanceOf(WeightTooLargeError);
  });

  it('adopts a higher used weight reported by the server', async () => {
    // Prepare
    const budget = new RequestWeightBudget({ limitPerMinute: 100, safetyRatio: 1 });
    await budget.acquire(4);
    // Act
    budget.observeUsedWeight(98);
    budget.observeUsedWeight(50);
    let granted = false;
    const waiting = budget.acquire(4).then(() => {
      granted = true;
    });
    await jest.advanceTimersByTimeAsync(1_000);
    // Assert
    expect(budget.state().used).toBe(98);
    expect(granted).toBe(false);
    await jest.advanceTimersByTimeAsync(59_000);
    await waiting;
    expect(granted).toBe(true);
  });

  it('pauses every request until Retry-After has passed', async () => {
    // Prepare
    const budget = new RequestWeightBudget();
    const granted: number[] = [];
    // Act
    budget.pause(3_000);
    const first = budget.acquire(1).then(() => granted.push(Date.now()));
    const second = budget.acquire(20).then(() => granted.push(Date.now()));
    await jest.advanceTimersByTimeAsync(2_999);
    const early = granted.length;
    await jest.advanceTimersByTimeAsync(1);
    await Promise.all([first, second]);
    // Assert
    expect(early).toBe(0);
    expect(granted).toEqual([MINUTE_START + 4_000, MINUTE_START + 4_000]);
  });

  it('keeps the later of two pauses', async () => {
    // Prepare
    const budget = new RequestWeightBudget();
    budget.pause(10_000);
    // Act
    budget.pause(2_000);
    // Assert
    expect(budget.state().pausedUntil).toBe(MINUTE_START + 11_000);
  });

  it('drops a waiting request whose caller aborts', async () => {
    // Prepare
    const budget = new RequestWeightBudget();
    budget.pause(5_000);
    const controller = new AbortController();
    const waiting = budget.acquire(1, controller.signal);
    // Act
    controller.abort();
    // Assert
    await expect(waiting).rejects.toMatchObject({ code: 'REST_WAIT_ABORTED' });
    expect(budget.state().queued).toBe(0);
  });

  it('rejects waiting and new requests once closed', async () => {
    // Prepare
    const budget = new RequestWeightBudget();
    budget.pause(5_000);
    const waiting = budget.acquire(1);
    // Act
    budget.close();
    // Assert
    await expect(waiting).rejects.toBeInstanceOf(WeightBudgetClosedError);
    await expect(budget.acquire(1)).rejects.toBeInstanceOf(WeightBudgetClosedError);
  });
});
