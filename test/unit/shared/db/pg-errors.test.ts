import { classifyPgError, isConnectionLost } from '../../../../services/shared/db';
import { CollectorError } from '../../../../services/shared/errors';

const pgError = (code: string, message = `failure ${code}`) => Object.assign(new Error(message), { code });

describe('classifyPgError', () => {
  it.each([
    ['28P01 invalid password', pgError('28P01', 'password authentication failed for user "mdc"'), 'credentials'],
    ['28000 invalid authorization', pgError('28000'), 'credentials'],
    ['57014 statement timeout', pgError('57014', 'canceling statement due to statement timeout'), 'timeout'],
    ['55P03 lock timeout', pgError('55P03'), 'timeout'],
    ['ETIMEDOUT', pgError('ETIMEDOUT'), 'timeout'],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect'), 'timeout'],
    ['a query read timeout', new Error('Query read timeout'), 'timeout'],
    ['a connection timeout', new Error('Connection terminated due to connection timeout'), 'timeout'],
    ['ECONNREFUSED', pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'), 'retryable'],
    ['ECONNRESET', pgError('ECONNRESET'), 'retryable'],
    ['ENOTFOUND', pgError('ENOTFOUND'), 'retryable'],
    ['08006 connection failure', pgError('08006'), 'retryable'],
    ['57P01 admin shutdown', pgError('57P01', 'terminating connection due to administrator command'), 'retryable'],
    ['57P03 cannot connect now', pgError('57P03'), 'retryable'],
    ['53300 too many connections', pgError('53300'), 'retryable'],
    ['40001 serialization failure', pgError('40001'), 'retryable'],
    ['40P01 deadlock', pgError('40P01'), 'retryable'],
    ['a lost connection', new Error('Connection terminated unexpectedly'), 'retryable'],
    ['23505 unique violation', pgError('23505'), 'constraint'],
    ['23514 check violation', pgError('23514'), 'constraint'],
    ['22003 numeric out of range', pgError('22003'), 'constraint'],
    ['42P01 undefined table', pgError('42P01'), 'other'],
    ['a plain error', new Error('column "x" does not exist'), 'other'],
    ['undefined', undefined, 'other'],
    ['null', null, 'other'],
    ['a string', 'boom', 'other'],
    ['a number code', { code: 28 }, 'other'],
  ])('classifies %s', (_label, error, kind) => {
    // Act
    const classified = classifyPgError(error);

    // Assert
    expect(classified).toBe(kind);
  });

  it('classifies a wrapping error by the SQLSTATE it wraps', () => {
    // Prepare
    const wrapped = new CollectorError('INGEST_DATABASE_UNAVAILABLE', 'writing the batch failed: password authentication failed', { cause: pgError('28P01') });

    // Act
    const classified = classifyPgError(wrapped);

    // Assert
    expect(classified).toBe('credentials');
  });

  it('prefers a code anywhere in the chain over a message', () => {
    // Prepare: the wrapper repeats the message of a lost connection, the cause says it was refused credentials.
    const wrapped = new Error('Connection terminated: password authentication failed', { cause: pgError('28P01') });

    // Act
    const classified = classifyPgError(wrapped);

    // Assert
    expect(classified).toBe('credentials');
  });
});

describe('isConnectionLost', () => {
  it.each([
    ['a server-side termination (57P01)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['a reset socket', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ["node-postgres's own message", new Error('Connection terminated unexpectedly')],
    ['a wrapped cause', new Error('write failed', { cause: Object.assign(new Error('x'), { code: '08006' }) })],
  ])('is true for %s', (_name, error) => {
    // Act
    const lost = isConnectionLost(error);

    // Assert
    expect(lost).toBe(true);
  });

  it.each([
    ['a syntax error', Object.assign(new Error('syntax error'), { code: '42601' })],
    ['a constraint violation', Object.assign(new Error('violates check'), { code: '23514' })],
    ['a statement timeout', Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014' })],
  ])('is false for %s', (_name, error) => {
    // Act
    const lost = isConnectionLost(error);

    // Assert
    expect(lost).toBe(false);
  });
});
