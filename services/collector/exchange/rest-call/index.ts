export { RestCaller } from './call';
export type { EnvelopeVerdict, RestCallerOptions } from './call';
export { ExchangeRestError } from './errors';
export type { ExchangeRestErrorCode, ExchangeRestErrorDetails } from './errors';
