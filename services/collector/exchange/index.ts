export type { ExchangeRestClient, ExchangeStreamProtocol, FrameResult, ParseContext, RejectReason } from './types';
