/**
 * What a failed SendMessageBatch call means for the sender, decided from the
 * error alone (pure, so every class is testable without SQS):
 *
 * - `retryable`: the network, throttling or SQS itself; the same request can
 *   succeed later unchanged. Back off and keep order.
 * - `too-large`: this request is too big (bytes or entries). Sending it in
 *   smaller pieces succeeds; sending it again as it is never does.
 * - `refused`: SQS refuses every request of this collector (credentials, IAM,
 *   the queue or its KMS key gone). Only an operator fixes it: alarm, keep
 *   everything on disk, probe with a capped backoff.
 * - `invalid`: any other client error. It may belong to one message of the
 *   request, so the request is split until the message that causes it stands
 *   alone; that one is counted and set aside so it never blocks the rest.
 */
export type SendFailureClass = 'retryable' | 'too-large' | 'refused' | 'invalid';

export interface SendFailure {
  kind: SendFailureClass;
  /** The SDK's error name or code, for logs and metric labels. */
  code: string;
}

const TOO_LARGE = new Set(['BatchRequestTooLong', 'TooManyEntriesInBatchRequest', 'AWS.SimpleQueueService.BatchRequestTooLong', 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest', 'RequestEntityTooLarge']);

const REFUSED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'AuthorizationError',
  'CredentialsProviderError',
  'ExpiredToken',
  'ExpiredTokenException',
  'IncompleteSignature',
  'InvalidAddress',
  'InvalidClientTokenId',
  'InvalidSecurity',
  'KmsAccessDenied',
  'KMS.AccessDeniedException',
  'KmsDisabled',
  'KMS.DisabledException',
  'KmsInvalidKeyUsage',
  'KmsInvalidState',
  'KMS.InvalidStateException',
  'KmsNotFound',
  'KMS.NotFoundException',
  'MissingAuthenticationToken',
  'NonExistentQueue',
  'AWS.SimpleQueueService.NonExistentQueue',
  'QueueDoesNotExist',
  'QueueDeletedRecently',
  'SignatureDoesNotMatch',
  'UnrecognizedClientException',
]);

const RETRYABLE = new Set([
  'RequestThrottled',
  'ThrottlingException',
  'Throttling',
  'KmsThrottled',
  'KMS.ThrottlingException',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'OverLimit',
  // The signature's clock check: refreshed on the next attempt once the clock is fixed or the SDK corrected its offset.
  'RequestExpired',
]);

interface SdkErrorShape {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

export function classifySendError(error: unknown): SendFailure {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const names = [e.Code, e.name, e.code].filter((value): value is string => typeof value === 'string' && value !== 'Error');
  const code = names[0] ?? 'UNKNOWN';
  for (const name of names) {
    if (TOO_LARGE.has(name)) return { kind: 'too-large', code: name };
    if (REFUSED.has(name)) return { kind: 'refused', code: name };
    if (RETRYABLE.has(name)) return { kind: 'retryable', code: name };
  }
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  if (status === 413) return { kind: 'too-large', code };
  if (status === 401 || status === 403) return { kind: 'refused', code };
  if (e.$retryable || status === 429 || (status !== undefined && status >= 500) || e.$fault === 'server') return { kind: 'retryable', code };
  if (status !== undefined && status >= 400) return { kind: 'invalid', code };
  // No HTTP answer at all: a socket error, DNS, a timeout of our own. The endpoint may come back.
  return { kind: 'retryable', code };
}
