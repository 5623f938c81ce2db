import { OPERATIONS, type ApiDependencies } from '../../../../lambdas/api';
import type { InstrumentLookup, InstrumentsReader } from '../../../../lambdas/api/cache';
import { checkInstrumentAdmission } from '../../../../lambdas/api/store';
import { decodeInstrument, encodeInstrument } from '../../../../services/shared/rates';
import { fakeLogger, thrownApiError } from './helpers';

const listed = (tradable: boolean, native = 'BTC-USDT'): InstrumentLookup => ({ known: true, listing: { native, tradable } });

describe('checkInstrumentAdmission (the exchange collector\'s instrument list)', () => {
  it.each([
    ['nothing published for the exchange', { known: false } as InstrumentLookup, true],
    ['a tradable pair enabled', listed(true), true],
    ['a listed pair not trading, disabled', listed(false), false],
    ['a pair the exchange stopped listing, disabled', { known: true, listing: undefined } as InstrumentLookup, false],
  ])('admits %s', (_label, lookup, enabled) => {
    expect(() => checkInstrumentAdmission(lookup, 'okx', 'BTCUSDT', enabled)).not.toThrow();
  });

  it('refuses a pair the exchange does not list with 422 UNKNOWN_PAIR', () => {
    // Act
    const error = thrownApiError(() => checkInstrumentAdmission({ known: true, listing: undefined }, 'okx', 'NOPEUSDT', true));

    // Assert
    expect([error.status, error.code]).toEqual([422, 'UNKNOWN_PAIR']);
    expect(error.message).toContain('okx does not list NOPEUSDT');
  });

  it('refuses to enable a listed pair the exchange does not trade now, naming its native id', () => {
    // Act
    const error = thrownApiError(() => checkInstrumentAdmission(listed(false, 'LUNA-USDT'), 'okx', 'LUNAUSDT', true));

    // Assert
    expect([error.status, error.code]).toEqual([409, 'PAIR_NOT_TRADING']);
    expect(error.message).toContain('LUNA-USDT');
  });
});

describe('instrument values', () => {
  it('round-trip the native id and the tradable flag', () => {
    expect(decodeInstrument(encodeInstrument({ native: 'BTC-USDT', tradable: true }))).toEqual({ native: 'BTC-USDT', tradable: true });
    expect(decodeInstrument(encodeInstrument({ native: 'X:Y', tradable: false }))).toEqual({ native: 'X:Y', tradable: false });
  });

  it.each([null, undefined, '', 'T:', 'X:BTC', 'BTC-USDT'])('reads %j as no listing', (value) => {
    expect(decodeInstrument(value)).toBeUndefined();
  });
});

describe('PUT /v1/symbols: the instrument check', () => {
  function deps(lookup: () => Promise<InstrumentLookup>) {
    const metrics: Array<[string, string, number]> = [];
    const log = fakeLogger();
    const putSymbol = jest.fn(async () => ({ value: { exchange: 'okx', symbol: 'BTCUSDT', enabled: true, streams: ['aggTrade'], version: 3, updatedAt: '', updatedBy: '' }, committedVersion: undefined, created: false }));
    const value = {
      configStore: { putSymbol },
      instruments: { lookup: jest.fn(lookup) } as unknown as InstrumentsReader,
      logger: log.logger,
      metrics: { addMetric: (name: string, unit: string, v: number) => metrics.push([name, unit, v]) },
    } as unknown as ApiDependencies;
    return { value, putSymbol, metrics, log };
  }
  const request = (symbol: string) => ({ pathParams: { exchange: 'okx', symbol }, query: {}, body: { enabled: true }, headers: new Map<string, string>(), caller: 'arn:aws:iam::1:user/op', requestId: 'r1' });

  it('refuses before writing when the exchange does not list the pair', async () => {
    // Prepare
    const f = deps(async () => ({ known: true, listing: undefined }));

    // Act
    const outcome = OPERATIONS.putSymbol(request('NOPEUSDT'), f.value);

    // Assert
    await expect(outcome).rejects.toMatchObject({ status: 422, code: 'UNKNOWN_PAIR' });
    expect(f.putSymbol).not.toHaveBeenCalled();
  });

  it('writes when Redis cannot be read, counting and logging the skipped check', async () => {
    // Prepare
    const f = deps(async () => {
      throw new Error('Command timed out');
    });

    // Act
    const response = await OPERATIONS.putSymbol(request('BTCUSDT'), f.value);

    // Assert
    expect(response.statusCode).toBe(200);
    expect(f.putSymbol).toHaveBeenCalled();
    expect(f.metrics).toContainEqual(['InstrumentCheckSkipped', 'Count', 1]);
    expect(f.log.warn).toHaveBeenCalledWith(expect.stringContaining('instrument list unreadable'), expect.objectContaining({ exchange: 'okx', symbol: 'BTCUSDT' }));
  });
});
