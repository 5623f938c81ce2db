export type { ExchangeRestClient, ExchangeStreamProtocol, FrameResult, KeepalivePolicy, ParseContext, RejectReason, TradeIdSemantics } from './types';
export type { ExchangeAdapter } from './adapter';
export { SymbolDirectory, SymbolDirectoryError } from './symbol-directory';
export type { SymbolDirectoryErrorCode } from './symbol-directory';
export * from './binance';
export * from './weight-budget';
export * from './request-rate';
export * from './rest-call';
export * from './okx';
