import { priceTextOf } from '../../../../services/collector/rates/price-text';

describe('priceTextOf: the exchange text back from the number', () => {
  it.each([
    ['97000.01000000'],
    ['0.00000001'],
    ['0.00012300'],
    ['1.00000000'],
    ['19344.80000000'],
    ['9999999.99999999'],
    ['42'],
  ])('recovers %s exactly', (text) => {
    // Act
    const recovered = priceTextOf(Number(text), text);

    // Assert
    expect(recovered).toBe(text);
  });

  it('refuses a magnitude at which two texts of that scale share a double', () => {
    // Prepare: 17 significant digits do not fit a double.
    const text = '123456789.12345678';

    // Act
    const recovered = priceTextOf(Number(text), text);

    // Assert
    expect(recovered).toBeUndefined();
  });

  it('keeps the scale that String(Number(text)) loses', () => {
    // Prepare
    const text = '0.00000100';

    // Act
    const recovered = priceTextOf(Number(text), '5.00000000');

    // Assert
    expect(String(Number(text))).toBe('0.000001');
    expect(recovered).toBe(text);
  });
});
