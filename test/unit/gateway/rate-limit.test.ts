import { ConnectionCounter, TokenBucket } from '../../../services/gateway/rate-limit';

describe('TokenBucket', () => {
  it('allows the burst, then the refill rate', () => {
    // Prepare
    let now = 0;
    const bucket = new TokenBucket(10, 3, () => now);

    // Act
    const burst = [bucket.take(), bucket.take(), bucket.take(), bucket.take()];
    now += 100;
    const refilled = [bucket.take(), bucket.take()];
    now += 10_000;
    const capped = Array.from({ length: 4 }, () => bucket.take());

    // Assert
    expect(burst).toEqual([true, true, true, false]);
    expect(refilled).toEqual([true, false]);
    expect(capped).toEqual([true, true, true, false]);
  });
});

describe('ConnectionCounter', () => {
  it('caps connections per address and in total, and frees slots on release', () => {
    // Prepare
    const counter = new ConnectionCounter(2, 3);

    // Act
    const answers = [counter.tryAcquire('a'), counter.tryAcquire('a'), counter.tryAcquire('a'), counter.tryAcquire('b'), counter.tryAcquire('c')];
    counter.release('a');
    const afterRelease = counter.tryAcquire('c');

    // Assert
    expect(answers).toEqual([undefined, undefined, 'ip_limit', undefined, 'capacity']);
    expect(afterRelease).toBeUndefined();
    expect(counter.size).toBe(3);
  });
});
