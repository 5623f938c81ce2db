export { BinanceStreamProtocol, DEFAULT_BINANCE_WS_URL } from './protocol';
export type { BinanceStreamProtocolOptions } from './protocol';
export { BinanceRestClient, DEFAULT_BINANCE_REST_URL, MAX_REST_PAGE } from './rest-client';
export type { BinanceRestClientOptions } from './rest-client';
export { createBinanceAdapter } from './adapter';
export type { BinanceAdapter, BinanceAdapterOptions } from './adapter';
export { BinanceRestError, ProtocolUsageError } from './errors';
export type { BinanceRestErrorCode, BinanceRestErrorDetails } from './errors';
export { DEFAULT_MAX_FRAME_BYTES, parseBinanceFrame, streamTypeOf } from './parse-frame';
