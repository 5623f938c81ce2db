import { CollectorError } from '../../../shared';

/** The caller asked the protocol for something Binance would refuse (a bug in the caller). */
export class ProtocolUsageError extends CollectorError {
  constructor(message: string) {
    super('PROTOCOL_USAGE', message);
  }
}

export type BinanceRestErrorCode =
  /** 4xx other than 429/418: the request is wrong (bad symbol, bad parameter); retrying cannot help. */
  | 'REST_REJECTED'
  /** 429 persisted through the allowed retries. */
  | 'REST_RATE_LIMITED'
  /** 418: the IP is banned until `retryAfterMs` from the response. */
  | 'REST_IP_BANNED'
  /** 5xx, timeouts or network errors persisted through the allowed retries. */
  | 'REST_UNAVAILABLE'
  /** 200 with a body that is not what the endpoint documents. */
  | 'REST_MALFORMED';

export interface BinanceRestErrorDetails {
  endpoint: string;
  status?: number;
  /** Binance's error code from the body, e.g. -1121 (invalid symbol). */
  exchangeCode?: number;
  exchangeMessage?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** A failed Binance REST call, with Binance's own code and message when it sent one. */
export class BinanceRestError extends CollectorError {
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly exchangeCode: number | undefined;
  readonly exchangeMessage: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: BinanceRestErrorCode, message: string, details: BinanceRestErrorDetails) {
    super(code, message, { cause: details.cause });
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.exchangeCode = details.exchangeCode;
    this.exchangeMessage = details.exchangeMessage;
    this.retryAfterMs = details.retryAfterMs;
  }
}
