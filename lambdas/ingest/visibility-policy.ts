import { IngestQueueError } from './errors';

/**
 * How long a record that failed for a dependency (database unreachable, timed
 * out, credentials refused, secret lookup failed) stays invisible before its
 * next receive: `min(baseSeconds * 2^(receiveCount - 1), maxSeconds)`.
 */
export interface VisibilityBackoffPolicy {
  baseSeconds: number;
  maxSeconds: number;
}

/** SQS refuses a visibility timeout above 12 hours (counted from the receive). */
export const SQS_MAX_VISIBILITY_SECONDS = 43_200;

/**
 * 30 s first: below the queue's own visibility timeout (six times the function
 * timeout), so a short outage (an RDS failover, a proxy restart) costs less
 * delay than before, not more. Capped at 1 hour: after the database returns,
 * a record waits at most an hour to be stored. The cost of the cap is the
 * number of receives an outage as long as the retention takes (see
 * receivesWithin), which sets the queue's maxReceiveCount. A 12 h cap would
 * need only 18 receives but leave history up to 12 h behind after a long
 * outage; 1 h keeps the catch-up bounded and the request far from the 12 h
 * limit SQS counts from the receive.
 */
export const DEFAULT_VISIBILITY_BACKOFF: VisibilityBackoffPolicy = { baseSeconds: 30, maxSeconds: 3_600 };

/** Seconds of invisibility after the receive numbered `receiveCount` (1 for the first) failed. */
export function visibilityBackoffSeconds(receiveCount: number, policy: VisibilityBackoffPolicy = DEFAULT_VISIBILITY_BACKOFF): number {
  const n = Number.isFinite(receiveCount) && receiveCount >= 1 ? Math.floor(receiveCount) : 1;
  // 2^40 x any base is far beyond the cap; bounding the exponent keeps the product finite.
  const seconds = policy.baseSeconds * 2 ** Math.min(n - 1, 40);
  return Math.max(0, Math.min(Math.round(seconds), policy.maxSeconds, SQS_MAX_VISIBILITY_SECONDS));
}

/**
 * How many times a record that fails on every receive (the database down for
 * the whole retention) is received before the queue drops it at the end of its
 * retention: the first receive at once, each next one after the backoff of the
 * one before. With maxReceiveCount at least this, such an outage never moves a
 * record to the DLQ. Processing time between receives is left out, which makes
 * the count an upper bound.
 */
export function receivesWithin(retentionSeconds: number, policy: VisibilityBackoffPolicy = DEFAULT_VISIBILITY_BACKOFF): number {
  if (!(policy.baseSeconds > 0)) throw new RangeError('backoff base must be positive');
  let receives = 1;
  let at = 0;
  for (;;) {
    at += visibilityBackoffSeconds(receives, policy);
    if (at >= retentionSeconds) return receives;
    receives += 1;
  }
}

/**
 * The queue URL of an SQS queue ARN, as Lambda's records carry it
 * (`arn:aws:sqs:us-east-1:123456789012:name` -> `https://sqs.us-east-1.amazonaws.com/123456789012/name`).
 */
export function queueUrlFromArn(arn: string): string {
  const parts = arn.split(':');
  const [prefix, partition, service, region, account, name] = parts;
  if (parts.length !== 6 || prefix !== 'arn' || service !== 'sqs' || !region || !/^\d{12}$/.test(account ?? '') || !name) {
    throw new IngestQueueError(`not an SQS queue ARN: ${arn}`);
  }
  const domain = partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${region}.${domain}/${account}/${name}`;
}
