import { judgeStep, type StepObservation } from '../../../../bench/support/gateway-load';

const steady: StepObservation = { targetClients: 1000, connectedAtStart: 1000, connectedAtEnd: 1000, closedByCode: {}, p50BySecond: [5, 6, 5, 7, 6, 5, 6, 5], silentClientProcesses: 0 };

describe('judgeStep', () => {
  it('holds when every client connected and stayed and the latency is flat', () => {
    // Act
    const verdict = judgeStep(steady);

    // Assert
    expect(verdict).toEqual({ held: true, reasons: [] });
  });

  it('names clients that never connected and those disconnected, by close code', () => {
    // Act
    const verdict = judgeStep({ ...steady, connectedAtStart: 990, connectedAtEnd: 900, closedByCode: { 1013: 90, 1006: 0 } });

    // Assert
    expect(verdict.held).toBe(false);
    expect(verdict.reasons).toEqual(['10 of 1000 clients never connected', 'clients disconnected during the measurement: 90 × 1013']);
  });

  it('calls latency that keeps growing unbounded, not a few ms of noise', () => {
    // Act
    const growing = judgeStep({ ...steady, p50BySecond: [20, 40, 200, 400, 800, 1600, 3200, 6400] });
    const noisy = judgeStep({ ...steady, p50BySecond: [2, 2, 9, 9, 20, 20, 30, 30] });

    // Assert
    expect(growing.held).toBe(false);
    expect(growing.reasons).toEqual(['latency kept growing: per-second p50 40 ms in the first quarter, 6400 ms in the last']);
    expect(noisy.held).toBe(true);
  });

  it('does not hold when client processes went silent or no update arrived', () => {
    // Act
    const verdict = judgeStep({ ...steady, silentClientProcesses: 1, p50BySecond: [Number.NaN, Number.NaN] });

    // Assert
    expect(verdict.reasons).toEqual(['1 client processes did not report in time (saturated)', 'no trade update reached a client']);
  });
});
