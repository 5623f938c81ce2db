import { classifySendError } from '../../../../../services/collector/sinks/sqs';

const sdk = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, ...(status ? { $metadata: { httpStatusCode: status } } : {}), ...extra });

describe('classifySendError', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' }), 'retryable'],
    ['a socket timeout of our own', sdk('TimeoutError'), 'retryable'],
    ['throttling', sdk('ThrottlingException', 400), 'retryable'],
    ['a KMS throttle', sdk('KmsThrottled', 400), 'retryable'],
    ['an SQS 503', sdk('ServiceUnavailable', 503), 'retryable'],
    ['an unnamed 500', sdk('UnknownError', 500), 'retryable'],
    ['a 429', sdk('SlowDown', 429), 'retryable'],
    ['an error the SDK marks retryable', sdk('Whatever', 400, { $retryable: {} }), 'retryable'],
    ['a request over 256 KiB', sdk('BatchRequestTooLong', 400), 'too-large'],
    ['more than 10 entries', sdk('TooManyEntriesInBatchRequest', 400), 'too-large'],
    ['HTTP 413', sdk('Unknown', 413), 'too-large'],
    ['missing IAM permission', sdk('AccessDenied', 403), 'refused'],
    ['a deleted queue', sdk('QueueDoesNotExist', 400), 'refused'],
    ['the legacy queue code', sdk('AWS.SimpleQueueService.NonExistentQueue', 400), 'refused'],
    ['a disabled KMS key', sdk('KmsDisabled', 400), 'refused'],
    ['unknown credentials', sdk('InvalidClientTokenId', 403), 'refused'],
    ['no credentials at all', sdk('CredentialsProviderError'), 'refused'],
    ['an unnamed 403', sdk('Forbidden', 403), 'refused'],
    ['an invalid message', sdk('InvalidMessageContents', 400), 'invalid'],
    ['an invalid parameter', sdk('InvalidParameterValue', 400), 'invalid'],
  ])('%s is %s', (_, error, kind) => {
    // Act
    const failure = classifySendError(error);

    // Assert
    expect(failure.kind).toBe(kind);
  });

  it('names the code for logs and metric labels', () => {
    // Act
    const failure = classifySendError(sdk('AccessDenied', 403));
    const unnamed = classifySendError('something odd');

    // Assert
    expect(failure.code).toBe('AccessDenied');
    expect(unnamed).toEqual({ kind: 'retryable', code: 'UNKNOWN' });
  });
});
