import { CollectorError } from '../../../shared';

export type ExchangeRestErrorCode =
  /** The request is wrong (unknown pair, bad parameter): retrying cannot help. */
  | 'REST_REJECTED'
  /** "Too many requests" persisted through the allowed retries. */
  | 'REST_RATE_LIMITED'
  /** The exchange refuses this IP for a while (Bybit's 403); every request is paused until `retryAfterMs`. */
  | 'REST_IP_BANNED'
  /** 5xx, a busy code, timeouts or network errors persisted through the allowed retries. */
  | 'REST_UNAVAILABLE'
  /** A 2xx body that is not what the endpoint documents. */
  | 'REST_MALFORMED'
  /** The exchange has no endpoint for the request (Bybit cannot page trades by id). */
  | 'BACKFILL_UNSUPPORTED';

export interface ExchangeRestErrorDetails {
  exchange: string;
  endpoint: string;
  status?: number;
  /** The exchange's own code from the body (OKX `code`, Bybit `retCode`). */
  exchangeCode?: number;
  exchangeMessage?: string;
  retryAfterMs?: number;
  cause?: unknown;
}

/** A failed OKX or Bybit REST call, with the HTTP status and the exchange's own code and message. */
export class ExchangeRestError extends CollectorError {
  readonly exchange: string;
  readonly endpoint: string;
  readonly status: number | undefined;
  readonly exchangeCode: number | undefined;
  readonly exchangeMessage: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ExchangeRestErrorCode, message: string, details: ExchangeRestErrorDetails) {
    super(code, message, { cause: details.cause });
    this.exchange = details.exchange;
    this.endpoint = details.endpoint;
    this.status = details.status;
    this.exchangeCode = details.exchangeCode;
    this.exchangeMessage = details.exchangeMessage;
    this.retryAfterMs = details.retryAfterMs;
  }
}
