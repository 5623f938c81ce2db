export type { ExchangeRestClient, ExchangeStreamProtocol, FrameResult, ParseContext, RejectReason } from './types';
export type { ExchangeAdapter } from './adapter';
export * from './binance';
export * from './weight-budget';
