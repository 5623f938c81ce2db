import { LogThrottle } from '../../../services/shared';

describe('LogThrottle', () => {
  it('lets the first occurrence through, then reports how many repeats it held back', () => {
    // Prepare
    let now = 0;
    const throttle = new LogThrottle(1000, () => now);

    // Act
    const first = throttle.admit('redis');
    const repeats = [throttle.admit('redis'), throttle.admit('redis')];
    now = 1000;
    const next = throttle.admit('redis');

    // Assert
    expect(first).toEqual({ suppressed: 0 });
    expect(repeats).toEqual([undefined, undefined]);
    expect(next).toEqual({ suppressed: 2 });
  });

  it('throttles each key on its own and forgets the oldest past its bound', () => {
    // Prepare
    const throttle = new LogThrottle(1000, () => 0, 2);

    // Act
    throttle.admit('a');
    throttle.admit('b');
    throttle.admit('c');

    // Assert: 'a' was forgotten, so it logs again; 'c' is still throttled.
    expect(throttle.admit('a')).toEqual({ suppressed: 0 });
    expect(throttle.admit('c')).toBeUndefined();
  });
});
