import { DEFAULT_LIVENESS, LivenessMonitor } from '../../../../services/collector/connection';

describe('LivenessMonitor', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('pings after idleMs of silence and declares the connection dead pongTimeoutMs later', () => {
    const pings: number[] = [];
    const dead: number[] = [];
    const monitor = new LivenessMonitor(() => pings.push(Date.now()), () => dead.push(Date.now()), { idleMs: 1_000, pongTimeoutMs: 500 });
    monitor.start();
    jest.advanceTimersByTime(999);
    expect(pings).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(pings).toEqual([1_000]);
    jest.advanceTimersByTime(499);
    expect(dead).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(dead).toEqual([1_500]);
  });

  it('with the defaults a silent connection is declared dead within 9 s, leaving the rest of the 15 s budget to reconnect', () => {
    const dead: number[] = [];
    const monitor = new LivenessMonitor(() => undefined, () => dead.push(Date.now()));
    monitor.start();
    jest.advanceTimersByTime(15_000);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toBeLessThanOrEqual(DEFAULT_LIVENESS.idleMs + DEFAULT_LIVENESS.pongTimeoutMs);
    expect(DEFAULT_LIVENESS.idleMs + DEFAULT_LIVENESS.pongTimeoutMs).toBeLessThanOrEqual(9_000);
  });

  it('keeps a quiet connection alive when its pings are answered', () => {
    const dead: number[] = [];
    let pings = 0;
    const monitor = new LivenessMonitor(
      () => {
        pings += 1;
        // The server answers our ping 50 ms later with a pong.
        setTimeout(() => monitor.frame(), 50);
      },
      () => dead.push(Date.now()),
      { idleMs: 1_000, pongTimeoutMs: 500 },
    );
    monitor.start();
    jest.advanceTimersByTime(60_000);
    expect(dead).toEqual([]);
    // One ping per idle period: a quiet connection costs about 1 message a second here, 0.2 with the defaults.
    expect(pings).toBeGreaterThan(50);
    expect(pings).toBeLessThanOrEqual(60);
  });

  it('never pings while frames keep arriving', () => {
    let pings = 0;
    const monitor = new LivenessMonitor(() => (pings += 1), () => undefined, { idleMs: 1_000, pongTimeoutMs: 500 });
    monitor.start();
    for (let i = 0; i < 100; i++) {
      jest.advanceTimersByTime(300);
      monitor.frame();
    }
    expect(pings).toBe(0);
    monitor.stop();
    jest.advanceTimersByTime(10_000);
    expect(pings).toBe(0);
  });
});
