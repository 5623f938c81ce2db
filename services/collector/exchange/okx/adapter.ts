import type { ExchangeAdapter } from '../adapter';
import { SymbolDirectory } from '../symbol-directory';
import { OkxStreamProtocol, type OkxStreamProtocolOptions } from './protocol';
import { createOkxRestLimiters, OkxRestClient, type OkxRestClientOptions, type OkxRestLimiters } from './rest-client';

export interface OkxAdapterOptions {
  stream?: Omit<OkxStreamProtocolOptions, 'directory'>;
  rest?: Omit<OkxRestClientOptions, 'limiters' | 'directory'>;
  /** Share one set of endpoint limiters between every client that uses the same IP. */
  limiters?: OkxRestLimiters;
}

export interface OkxAdapter extends ExchangeAdapter {
  readonly protocol: OkxStreamProtocol;
  readonly rest: OkxRestClient;
  /** Shared by both sides: `rest.listSymbols()` fills it, `protocol.streamsForSymbol` reads it. */
  readonly directory: SymbolDirectory;
  readonly limiters: OkxRestLimiters;
}

export function createOkxAdapter(options: OkxAdapterOptions = {}): OkxAdapter {
  const directory = new SymbolDirectory('okx');
  const limiters = options.limiters ?? createOkxRestLimiters();
  return {
    exchange: 'okx',
    protocol: new OkxStreamProtocol({ ...options.stream, directory }),
    rest: new OkxRestClient({ ...options.rest, limiters, directory }),
    directory,
    limiters,
    restLimits: () => Object.fromEntries(Object.entries(limiters).map(([endpoint, limiter]) => [endpoint, limiter.state()])),
    close: () => {
      for (const limiter of Object.values(limiters)) limiter.close();
    },
  };
}
