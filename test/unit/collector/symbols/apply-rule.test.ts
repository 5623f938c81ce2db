import { decideApply } from '../../../../services/collector/symbols/apply-rule';

describe('decideApply', () => {
  it('applies the first snapshot', () => {
    // Act
    const decision = decideApply(undefined, { epoch: 0, version: 1 });

    // Assert
    expect(decision).toBe('apply');
  });

  it('applies a later version of the epoch it holds', () => {
    // Act
    const decision = decideApply({ epoch: 2, version: 10 }, { epoch: 2, version: 11 });

    // Assert
    expect(decision).toBe('apply');
  });

  it.each([
    ['an older', 9],
    ['the same', 10],
  ])('ignores %s version of the epoch it holds', (_label, version) => {
    // Act
    const decision = decideApply({ epoch: 2, version: 10 }, { epoch: 2, version });

    // Assert
    expect(decision).toBe('ignore');
  });

  it.each([
    ['a later epoch with a lower version (the database was restored)', { epoch: 1, version: 81 }],
    ['another epoch with the same version', { epoch: 1, version: 120 }],
    ['an earlier epoch (Redis holds only what the API published)', { epoch: 0, version: 5 }],
  ])('applies %s', (_label, next) => {
    // Act
    const decision = decideApply({ epoch: next.epoch === 0 ? 3 : 0, version: 120 }, next);

    // Assert
    expect(decision).toBe('apply-new-epoch');
  });
});
