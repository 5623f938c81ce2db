import { SQSClient } from '@aws-sdk/client-sqs';
import { NodeHttpHandler } from '@smithy/node-http-handler';

export interface CollectorSqsClientSettings {
  region: string;
  endpoint?: string;
  /** SQS_REQUEST_TIMEOUT_MS: the longest one attempt (connect, send, response) may take. */
  requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
}

/**
 * Two attempts: one retry absorbs a single dropped connection or throttle, while a
 * blackholed endpoint fails the call after about 2 x the request timeout. The
 * sender then spills to disk and probes again on its own schedule; SDK retries
 * beyond that would only delay the spill.
 */
export const SQS_MAX_ATTEMPTS = 2;

/**
 * The SQS client of the history sender. The SDK's defaults have no connection or
 * request timeout, so an endpoint that stops answering without closing the socket
 * would hold a SendMessageBatch, and every batch queued behind it, for minutes.
 * `throwOnRequestTimeout` makes an exceeded `requestTimeout` fail the attempt (by
 * default the handler only logs a warning); `connectionTimeout` bounds a connect
 * whose SYN goes unanswered (at most 1 s: a TCP connect within a region takes
 * milliseconds, and the request timeout still bounds the whole attempt).
 */
export function createCollectorSqsClient(settings: CollectorSqsClientSettings): SQSClient {
  const timeout = settings.requestTimeoutMs;
  return new SQSClient({
    region: settings.region,
    ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    maxAttempts: settings.maxAttempts ?? SQS_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({ connectionTimeout: Math.min(timeout, 1000), requestTimeout: timeout, throwOnRequestTimeout: true }),
  });
}
