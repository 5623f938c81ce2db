export { ExchangeClock } from './exchange-clock';
