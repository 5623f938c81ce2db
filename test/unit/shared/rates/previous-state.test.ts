import { decodePreviousState } from '../../../../services/shared/rates';

describe('decodePreviousState', () => {
  it('reads every field, unknown changes absent', () => {
    // Act
    const state = decodePreviousState('ETHUSDT', '5000|3500.10|4990|1.5||-0.25|gap,stale');

    // Assert
    expect(state).toEqual({ symbol: 'ETHUSDT', priceText: '3500.10', ts: 5000, tradeTs: 4990, change1m: 1.5, change5m: undefined, change15m: -0.25, flags: ['gap', 'stale'] });
  });

  it.each([
    ['too few fields', '5000|1.0|4990'],
    ['no price', '5000||4990||||'],
    ['a ts that is not a number', 'x|1.0|4990||||'],
    ['a change that is not a number', '5000|1.0|4990|abc|||'],
  ])('refuses %s', (_, text) => {
    // Act / Assert
    expect(decodePreviousState('ETHUSDT', text)).toBeUndefined();
  });
});
