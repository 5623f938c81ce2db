/**
 * Time and timers behind one interface so every timing rule of the connection
 * layer (backoff, pacing, liveness, rotation) runs under jest fake timers or a
 * hand-driven clock without a real socket.
 */
export interface TimerHandle {
  /** Lets the process exit while the timer is pending; no-op for fake handles. */
  unref?(): unknown;
}

export interface Scheduler {
  /** Wall-clock epoch milliseconds. */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
}

/**
 * Resolves the global timer functions at call time rather than at import time, so
 * `jest.useFakeTimers()` installed after this module loaded still takes effect.
 */
export const systemScheduler: Scheduler = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimeout: (handle) => {
    if (handle !== undefined) clearTimeout(handle as NodeJS.Timeout);
  },
};

/** The collector's exchange clock (see DESIGN.md): follows the feed's event times. */
export interface ExchangeClock {
  now(): number;
  observe(eventTime: number): void;
  /** False until an exchange time was observed; trade time checks wait for it. */
  readonly synchronized: boolean;
}
