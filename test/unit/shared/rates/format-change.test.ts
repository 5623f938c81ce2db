import { formatChange } from '../../../../services/shared/rates';

describe('formatChange', () => {
  it.each([
    [1.25, '1.25'],
    [-0.4213, '-0.4213'],
    [5e-7, '0.0000005'],
    [-1e-9, '0'],
    [100, '100'],
    [0.123456789, '0.12345679'],
  ])('writes %p as the plain decimal %p', (value, text) => {
    // Act / Assert
    expect(formatChange(value)).toBe(text);
  });

  it('leaves unknown changes empty so the hash field is removed', () => {
    // Act / Assert
    expect(formatChange(undefined)).toBe('');
    expect(formatChange(Number.NaN)).toBe('');
  });
});
