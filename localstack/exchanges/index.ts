export { LocalPlanError, parseExchanges, parseFeed, planLocalExchanges } from './plan';
export type { LocalExchange, LocalFeed } from './plan';
