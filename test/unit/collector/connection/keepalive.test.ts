import { KeepaliveTimer } from '../../../../services/collector/connection';

describe('KeepaliveTimer', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('pings after intervalMs without traffic, then once per quiet interval', () => {
    // Prepare
    const pings: number[] = [];
    const keepalive = new KeepaliveTimer(() => pings.push(Date.now()), { intervalMs: 1_000 });

    // Act
    keepalive.start();
    jest.advanceTimersByTime(3_500);

    // Assert
    expect(pings).toEqual([1_000, 2_000, 3_000]);
  });

  it('does not ping while traffic flows, and pings a full interval after the last of it', () => {
    // Prepare
    const pings: number[] = [];
    const keepalive = new KeepaliveTimer(() => pings.push(Date.now()), { intervalMs: 1_000 });
    keepalive.start();

    // Act
    for (let i = 0; i < 10; i++) {
      jest.advanceTimersByTime(600);
      keepalive.activity();
    }
    const whileBusy = [...pings];
    jest.advanceTimersByTime(1_000);

    // Assert
    expect(whileBusy).toEqual([]);
    expect(pings).toEqual([7_000]);
  });

  it('stops pinging when stopped', () => {
    // Prepare
    const pings: number[] = [];
    const keepalive = new KeepaliveTimer(() => pings.push(Date.now()), { intervalMs: 1_000 });
    keepalive.start();
    jest.advanceTimersByTime(1_000);

    // Act
    keepalive.stop();
    jest.advanceTimersByTime(10_000);

    // Assert
    expect(pings).toEqual([1_000]);
  });

  it('refuses an interval that is not a positive number', () => {
    expect(() => new KeepaliveTimer(() => undefined, { intervalMs: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
  });
});
