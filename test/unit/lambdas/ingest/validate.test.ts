import { InvalidMessageError, parseHistoryMessage } from '../../../../lambdas/ingest';
import { ratesBody, row, statusBody } from '../../../integration/ingest/fixtures';

describe('parseHistoryMessage', () => {
  it('accepts a rates message and a status snapshot of the contract', () => {
    const rates = parseHistoryMessage(ratesBody([row(1_700_000_000_000, 'BTCUSDT', '43000.12', 1_700_000_000_900)]));
    expect(rates.kind).toBe('rates');
    const status = parseHistoryMessage(statusBody(1_700_000_000_000, [{ connectionId: 'k1', state: 'open', streams: 3, lastMessageAt: null, reconnects: 0, errors: 0 }]));
    expect(status.kind).toBe('status');
  });

  it.each([
    ['not JSON', '{"v":1,'],
    ['an unknown kind', JSON.stringify({ v: 1, kind: 'trades', exchange: 'binance' })],
    ['another version', ratesBody([row(1, 'BTCUSDT', '1', 1)]).replace('"v":1', '"v":2')],
    ['a non-positive price', ratesBody([row(1, 'BTCUSDT', '0', 1)])],
    ['a float price', ratesBody([[1, 'BTCUSDT', 1.5 as unknown as string, null, null, null, [], 1]])],
    ['a lower-case symbol', ratesBody([row(1, 'btcusdt', '1', 1)])],
    ['no rows', ratesBody([])],
    ['an unknown flag', ratesBody([[1, 'BTCUSDT', '1', null, null, null, ['odd' as 'gap'], 1]])],
    ['a time beyond Date', ratesBody([row(9e15, 'BTCUSDT', '1', 1)])],
    ['a counter beyond integer', statusBody(1, [{ connectionId: 'k', state: 'open', streams: 2 ** 31, lastMessageAt: null, reconnects: 0, errors: 0 }])],
  ])('rejects %s with InvalidMessageError', (_label, body) => {
    expect(() => parseHistoryMessage(body)).toThrow(InvalidMessageError);
  });

  it('names the offending field', () => {
    expect(() => parseHistoryMessage(ratesBody([row(1, 'btc', '1', 1)]))).toThrow(/rows\.0\.1/);
  });
});
