import type { ExchangeAdapter } from '../adapter';
import { RequestWeightBudget, type RequestWeightBudgetOptions } from '../weight-budget';
import { BinanceStreamProtocol, type BinanceStreamProtocolOptions } from './protocol';
import { BinanceRestClient, type BinanceRestClientOptions } from './rest-client';

export interface BinanceAdapterOptions {
  stream?: BinanceStreamProtocolOptions;
  rest?: Omit<BinanceRestClientOptions, 'budget'>;
  /** Options of the budget created when `budget` is absent. */
  weight?: RequestWeightBudgetOptions;
  /** Share one budget between every client that uses the same IP. */
  budget?: RequestWeightBudget;
}

export interface BinanceAdapter extends ExchangeAdapter {
  readonly protocol: BinanceStreamProtocol;
  readonly rest: BinanceRestClient;
  readonly budget: RequestWeightBudget;
}

export function createBinanceAdapter(options: BinanceAdapterOptions = {}): BinanceAdapter {
  const budget = options.budget ?? new RequestWeightBudget(options.weight);
  return {
    exchange: 'binance',
    protocol: new BinanceStreamProtocol(options.stream),
    rest: new BinanceRestClient({ ...options.rest, budget }),
    budget,
    restLimits: () => ({ ...budget.state() }),
    close: () => budget.close(),
  };
}
