export { BYBIT_WS_PATH, BybitStreamProtocol, DEFAULT_BYBIT_WS_URL } from './protocol';
export type { BybitStreamProtocolOptions } from './protocol';
export { BybitRestClient, createBybitRestLimiter, DEFAULT_BYBIT_REST_URL } from './rest-client';
export type { BybitRestClientOptions } from './rest-client';
export { createBybitAdapter } from './adapter';
export type { BybitAdapter, BybitAdapterOptions } from './adapter';
export { parseBybitFrame } from './parse-frame';
export { BYBIT_MAX_KLINES_PAGE, BYBIT_MAX_RECENT_TRADES, BYBIT_REST_LIMITS, BYBIT_WS_LIMITS } from './limits';
