import { checkPairAdmission, type PairListing } from '../../../../lambdas/api/store';
import { thrownApiError } from './helpers';

const listing = (overrides: Partial<PairListing>): PairListing => ({ listed: true, knownExchange: true, status: 'TRADING', ...overrides });

describe('checkPairAdmission', () => {
  it.each([
    ['a TRADING pair enabled', listing({}), true],
    ['a TRADING pair disabled', listing({}), false],
    ['a BREAK pair disabled', listing({ status: 'BREAK' }), false],
    ['a pair of an exchange trading_pairs does not list, enabled', listing({ listed: false, knownExchange: false, status: null }), true],
  ])('admits %s', (_label, pair, enabled) => {
    // Act
    const check = () => checkPairAdmission(pair, 'binance', 'BTCUSDT', enabled);

    // Assert
    expect(check).not.toThrow();
  });

  it.each(['BREAK', 'HALT', 'END_OF_DAY'])('refuses to enable a %s pair with 409 PAIR_NOT_TRADING naming the status', (status) => {
    // Act
    const error = thrownApiError(() => checkPairAdmission(listing({ status }), 'binance', 'LUNAUSDT', true));

    // Assert
    expect(error.status).toBe(409);
    expect(error.code).toBe('PAIR_NOT_TRADING');
    expect(error.message).toContain(`binance:LUNAUSDT has status ${status}`);
    expect(error.details).toEqual([{ field: 'body.enabled', reason: `the pair's status is ${status}, not TRADING` }]);
  });

  it.each([true, false])('refuses a pair missing from a listed exchange with 422 UNKNOWN_PAIR (enabled: %p)', (enabled) => {
    // Act
    const error = thrownApiError(() => checkPairAdmission(listing({ listed: false, status: null }), 'binance', 'NOPEUSDT', enabled));

    // Assert
    expect(error.status).toBe(422);
    expect(error.code).toBe('UNKNOWN_PAIR');
  });
});
