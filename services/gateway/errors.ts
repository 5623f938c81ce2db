import { CollectorError } from '../shared/errors';

/**
 * The `code` of an `{"type":"error"}` message, also the `reason` label of
 * gateway_bad_client_messages_total. docs/stream.md lists each one.
 */
export const ERROR_CODES = [
  'bad_json',
  'bad_message',
  'unknown_op',
  'unknown_channel',
  'bad_field',
  'unknown_exchange',
  'too_many_subscriptions',
  'not_subscribed',
  'rate_limited',
  'message_too_large',
  'binary_not_supported',
  'snapshot_failed',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** A client message the gateway refuses; answered with an error message, the connection stays open. */
export class ProtocolError extends CollectorError {
  constructor(
    readonly errorCode: ErrorCode,
    message: string,
    /** The `id` of the offending message when it had a usable one. */
    readonly id: MessageId | null = null,
  ) {
    super(`GATEWAY_${errorCode.toUpperCase()}`, message);
  }
}

/** A client-chosen correlation id: a number or a short string. */
export type MessageId = number | string;

/** The token signing keys could not be read from Secrets Manager at start-up; the message names the secret and what to fix. */
export class TokenKeyError extends CollectorError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('GATEWAY_TOKEN_KEYS_UNAVAILABLE', message, options);
  }
}
