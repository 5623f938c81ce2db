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

  it('jumps forward with a replay running faster than real time', () => {
    // Prepare
    const subject = clock();
    subject.observe(1_000_000);
    mono += 10;

    // Act: 120x replay: 1.2 s of exchange time in 10 ms.
    subject.observe(1_001_200);

    // Assert
    expect(subject.now()).toBe(1_001_200);
  });
});
