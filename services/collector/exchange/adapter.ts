import type { ExchangeRestClient, ExchangeStreamProtocol } from './types';

/** Everything the collector needs from one exchange: its stream protocol and its REST side. */
export interface ExchangeAdapter {
  readonly exchange: string;
  readonly protocol: ExchangeStreamProtocol;
  readonly rest: ExchangeRestClient;
}
