import type { ExchangeAdapter } from '../adapter';
import type { SlidingWindowLimiter } from '../request-rate';
import { SymbolDirectory } from '../symbol-directory';
import { BybitStreamProtocol, type BybitStreamProtocolOptions } from './protocol';
import { BybitRestClient, type BybitRestClientOptions, createBybitRestLimiter } from './rest-client';

export interface BybitAdapterOptions {
  stream?: Omit<BybitStreamProtocolOptions, 'directory'>;
  rest?: Omit<BybitRestClientOptions, 'limiter' | 'directory'>;
  /** Share one limiter between every client that uses the same IP. */
  limiter?: SlidingWindowLimiter;
}

export interface BybitAdapter extends ExchangeAdapter {
  readonly protocol: BybitStreamProtocol;
  readonly rest: BybitRestClient;
  readonly directory: SymbolDirectory;
  readonly limiter: SlidingWindowLimiter;
}

export function createBybitAdapter(options: BybitAdapterOptions = {}): BybitAdapter {
  const directory = new SymbolDirectory('bybit');
  const limiter = options.limiter ?? createBybitRestLimiter();
  return {
    exchange: 'bybit',
    protocol: new BybitStreamProtocol({ ...options.stream, directory }),
    rest: new BybitRestClient({ ...options.rest, limiter, directory }),
    directory,
    limiter,
    restLimits: () => ({ ip: limiter.state() }),
    close: () => limiter.close(),
  };
}
