export type { ExchangeRestClient, ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext, RejectReason, TradeIdSemantics } from './types';
export type { ExchangeAdapter } from './adapter';
export * from './binance';
export * from './weight-budget';
