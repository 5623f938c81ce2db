export { DEFAULT_OKX_WS_URL, OKX_WS_PATH, OkxStreamProtocol } from './protocol';
export type { OkxStreamProtocolOptions } from './protocol';
export { createOkxRestLimiters, DEFAULT_OKX_REST_URL, OkxRestClient } from './rest-client';
export type { OkxRestClientOptions, OkxRestLimiters } from './rest-client';
export { createOkxAdapter } from './adapter';
export type { OkxAdapter, OkxAdapterOptions } from './adapter';
export { parseOkxFrame } from './parse-frame';
export { OKX_MAX_CANDLES_PAGE, OKX_MAX_TRADES_PAGE, OKX_REST_LIMITS, OKX_WS_LIMITS } from './limits';
export type { OkxEndpoint } from './limits';
