import { ExchangeClock } from '../../../../services/collector/clock';

describe('ExchangeClock', () => {
  let mono: number;
  let wall: number;
  const clock = () => new ExchangeClock(() => mono, () => wall);

  beforeEach(() => {
    mono = 1000;
    wall = 5_000_000;
  });

  it('uses local time until the first event', () => {
    // Act
    const subject = clock();

    // Assert
    expect(subject.now()).toBe(5_000_000);
    expect(subject.synchronized).toBe(false);
  });

  it('follows the largest event time, advanced by monotonic time since it arrived', () => {
    // Prepare
    const subject = clock();

    // Act
    subject.observe(1_000_000);
    mono += 250;

    // Assert: local wall time (skewed by hours) plays no part.
    expect(subject.now()).toBe(1_000_250);
  });

  it('never moves backwards when an older or delayed event arrives', () => {
    // Prepare
    const subject = clock();
    subject.observe(1_000_000);
    mono += 500;

    // Act: an event stamped 100 ms after the anchor arrives 500 ms later.
    subject.observe(1_000_100);
    subject.observe(900_000);

    // Assert
    expect(subject.now()).toBe(1_000_500);
  });

  it('follows a replay running faster than real time event by event', () => {
    // Prepare: a dense recording (a trade every 100 ms) played at 100x.
    const subject = clock();
    subject.observe(1_000_000);

    // Act: 1.2 s of exchange time in 12 ms, twelve events.
    for (let i = 1; i <= 12; i += 1) {
      mono += 1;
      subject.observe(1_000_000 + i * 100);
    }

    // Assert
    expect(subject.now()).toBe(1_001_200);
  });

  it('follows a sparse replay across a quiet stretch once a majority of the recent events are past it', () => {
    // Prepare: a quiet minute in the recording, played at 120x: the next trade is
    // 60 s of exchange time ahead after 0.5 s.
    const subject = clock();
    for (let i = 0; i < 15; i += 1) subject.observe(1_000_000 + i);
    const afterGap = 1_060_000;
    const seen: number[] = [];

    // Act: the trades after the gap, 1 ms of exchange time apart, played at once.
    mono += 500;
    for (let i = 0; i < 8; i += 1) {
      subject.observe(afterGap + i);
      seen.push(subject.now());
    }

    // Assert: held for seven events (they could be wild), followed on the eighth, never past the feed.
    expect(seen.slice(0, 7).every((t) => t < 1_001_000)).toBe(true);
    expect(seen[7]).toBeGreaterThanOrEqual(afterGap);
    expect(seen[7]).toBeLessThanOrEqual(afterGap + 7);
  });

  it('two events minutes ahead do not move the clock (issue 11: every real trade was refused afterwards)', () => {
    // Prepare: a live feed, one trade every 10 ms.
    const subject = clock();
    let exchange = 1_000_000;
    const tick = () => {
      mono += 10;
      exchange += 10;
    };
    for (let i = 0; i < 100; i += 1) {
      tick();
      subject.observe(exchange);
    }

    // Act: two events 9 minutes ahead of the clock, then the feed goes on.
    tick();
    subject.observe(subject.now() + 9 * 60_000);
    tick();
    subject.observe(subject.now() + 9 * 60_000);
    for (let i = 0; i < 50; i += 1) {
      tick();
      subject.observe(exchange);
    }

    // Assert: still the feed's time, so its trades stay within MAX_CLOCK_DISTANCE_MS.
    expect(subject.now()).toBe(exchange);
  });

  it('a persistent jump of the feed is followed within a majority of the window, and stays', () => {
    // Prepare
    const subject = clock();
    for (let i = 0; i < 30; i += 1) {
      mono += 10;
      subject.observe(1_000_000 + mono);
    }
    const shift = 5 * 60_000;
    const seen: number[] = [];

    // Act: the exchange's time is 5 minutes ahead from now on.
    for (let i = 0; i < 20; i += 1) {
      mono += 10;
      subject.observe(1_000_000 + shift + mono);
      seen.push(subject.now() - (1_000_000 + mono));
    }

    // Assert
    expect(seen.findIndex((lead) => lead === shift)).toBe(7);
    expect(seen.slice(7).every((lead) => lead === shift)).toBe(true);
  });

  it('a forward step within the tolerance is taken at once, and only that far', () => {
    // Prepare
    const subject = new ExchangeClock(() => mono, () => wall, { stepToleranceMs: 1000 });
    subject.observe(1_000_000);

    // Act: one event 900 ms ahead, one 5 s ahead of that.
    subject.observe(1_000_900);
    subject.observe(1_005_900);

    // Assert
    expect(subject.now()).toBe(1_000_900);
  });

  it('refuses a window that is not a positive integer', () => {
    expect(() => new ExchangeClock(() => mono, () => wall, { window: 0 })).toThrow(RangeError);
  });
});
