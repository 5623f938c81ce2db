export { SlidingWindowLimiter } from './sliding-window-limiter';
export type { SlidingWindowLimiterOptions, SlidingWindowState } from './sliding-window-limiter';
export { RateLimiterClosedError, RateQueueFullError, RateWaitAbortedError } from './errors';
