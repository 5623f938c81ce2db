export { ExchangeClock } from './exchange-clock';
export type { ExchangeClockOptions } from './exchange-clock';
