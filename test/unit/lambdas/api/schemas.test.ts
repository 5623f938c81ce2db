import type { z } from 'zod';
import {
  HISTORY_INTERVALS,
  HISTORY_CSV_MAX_LIMIT,
  HISTORY_MAX_LIMIT,
  historyQuerySchema,
  listRatesQuerySchema,
  listSymbolsQuerySchema,
  pairPathSchema,
  patchSettingsBodySchema,
  putSymbolBodySchema,
  RATES_MAX_LIMIT,
  SETTING_RANGES,
} from '../../../../lambdas/api/schemas';

/** The issues of a refused input; fails the test when the input is accepted. */
function refusal(schema: z.ZodType, input: unknown): z.core.$ZodIssue[] {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to be refused, got ${JSON.stringify(result.data)}`);
  return result.error.issues;
}

function accepted<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(`expected ${JSON.stringify(input)} to be accepted: ${result.error.message}`);
  return result.data;
}

describe('historyQuerySchema', () => {
  describe('from / to', () => {
    it.each([
      ['UTC with Z', '2026-11-25T10:00:00Z', Date.UTC(2026, 10, 25, 10, 0, 0)],
      ['UTC with fractional seconds', '2026-11-25T10:00:00.250Z', Date.UTC(2026, 10, 25, 10, 0, 0, 250)],
      ['a +01:00 offset', '2026-11-25T10:00:00+01:00', Date.UTC(2026, 10, 25, 9, 0, 0)],
      ['a -05:30 offset', '2026-11-25T10:00:00-05:30', Date.UTC(2026, 10, 25, 15, 30, 0)],
      ['a +00:00 offset', '2026-11-25T10:00:00+00:00', Date.UTC(2026, 10, 25, 10, 0, 0)],
      ['epoch milliseconds', '1700000000000', 1_700_000_000_000],
      ['epoch zero', '0', 0],
    ])('accepts %s as the right epoch ms', (_label, value, expectedMs) => {
      // Act
      const query = accepted(historyQuerySchema, { from: value, to: value });

      // Assert
      expect(query.from).toBe(expectedMs);
      expect(query.to).toBe(expectedMs);
    });

    it.each([
      ['a date-time without offset', '2026-11-25T10:00:00'],
      ['a date alone', '2026-11-25'],
      ['garbage', 'yesterday'],
      ['a negative number', '-5'],
      ['a fractional number', '1700000000000.5'],
      ['an exponent', '1.7e12'],
      ['a number beyond 15 digits', '9999999999999999'],
      ['an impossible date', '2026-02-30T10:00:00Z'],
      ['an offset without colon', '2026-11-25T10:00:00+0100'],
      ['an empty value', ''],
      ['a number with spaces', ' 1700000000000'],
    ])('refuses %s', (_label, value) => {
      // Act
      const fromIssues = refusal(historyQuerySchema, { from: value });
      const toIssues = refusal(historyQuerySchema, { to: value });

      // Assert
      expect(fromIssues.map((issue) => issue.path)).toEqual([['from']]);
      expect(toIssues.map((issue) => issue.path)).toEqual([['to']]);
    });
  });

  describe('limit', () => {
    it.each([
      ['1', 1],
      ['1000', 1000],
      [String(HISTORY_MAX_LIMIT), HISTORY_MAX_LIMIT],
      [String(HISTORY_CSV_MAX_LIMIT), HISTORY_CSV_MAX_LIMIT],
      ['007', 7],
    ])('accepts %s', (value, expected) => {
      // Act
      const query = accepted(historyQuerySchema, { limit: value });

      // Assert
      expect(query.limit).toBe(expected);
    });

    it.each([['0'], [String(HISTORY_CSV_MAX_LIMIT + 1)], ['-1'], ['1.5'], ['ten'], [''], ['1e3'], [' 5'], ['1234567']])('refuses %p', (value) => {
      // Act
      const issues = refusal(historyQuerySchema, { limit: value });

      // Assert
      expect(issues.map((issue) => issue.path)).toEqual([['limit']]);
    });
  });

  it.each(HISTORY_INTERVALS.map((interval) => [interval]))('accepts interval %s', (interval) => {
    // Act
    const query = accepted(historyQuerySchema, { interval });

    // Assert
    expect(query.interval).toBe(interval);
  });

  it.each([['1h '], ['30m'], ['1w'], ['']])('refuses interval %p', (interval) => {
    // Act
    const issues = refusal(historyQuerySchema, { interval });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([['interval']]);
  });

  it('accepts a base64url cursor and refuses other characters', () => {
    // Act
    const query = accepted(historyQuerySchema, { cursor: 'cmF3OjE3MDAwMDAwMDAwMDAwMDA' });
    const issues = refusal(historyQuerySchema, { cursor: 'abc=/+' });

    // Assert
    expect(query.cursor).toBe('cmF3OjE3MDAwMDAwMDAwMDAwMDA');
    expect(issues.map((issue) => issue.path)).toEqual([['cursor']]);
  });

  it('accepts no parameters at all', () => {
    // Act
    const query = accepted(historyQuerySchema, {});

    // Assert
    expect(query).toEqual({});
  });

  it('refuses an unknown query parameter', () => {
    // Act
    const issues = refusal(historyQuerySchema, { from: '0', form: '1' });

    // Assert
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['form'] })]);
  });
});

describe('listRatesQuerySchema and listSymbolsQuerySchema', () => {
  it('bounds the rates limit by RATES_MAX_LIMIT', () => {
    // Act
    const atMax = accepted(listRatesQuerySchema, { limit: String(RATES_MAX_LIMIT) });
    const issues = refusal(listRatesQuerySchema, { limit: String(RATES_MAX_LIMIT + 1) });

    // Assert
    expect(atMax.limit).toBe(RATES_MAX_LIMIT);
    expect(issues.map((issue) => issue.path)).toEqual([['limit']]);
  });

  it('accepts enabled only as the strings true and false', () => {
    // Act
    const enabled = accepted(listSymbolsQuerySchema, { enabled: 'false' });
    const issues = refusal(listSymbolsQuerySchema, { enabled: '1' });

    // Assert
    expect(enabled.enabled).toBe('false');
    expect(issues.map((issue) => issue.path)).toEqual([['enabled']]);
  });
});

describe('putSymbolBodySchema', () => {
  it.each([
    [{ enabled: true }],
    [{ enabled: false }],
    [{ enabled: true, streams: ['aggTrade'] }],
  ])('accepts %j', (body) => {
    // Act
    const parsed = accepted(putSymbolBodySchema, body);

    // Assert
    expect(parsed).toEqual(body);
  });

  it.each([
    ['an empty body', {}, ['enabled']],
    ['streams without enabled', { streams: ['aggTrade'] }, ['enabled']],
    ['enabled as a string', { enabled: 'true' }, ['enabled']],
    ['enabled as a number', { enabled: 1 }, ['enabled']],
    ['enabled null', { enabled: null }, ['enabled']],
    ['an unknown stream kind', { enabled: true, streams: ['trade'] }, ['streams', 0]],
    ['no streams', { enabled: true, streams: [] }, ['streams']],
    ['a repeated stream', { enabled: true, streams: ['aggTrade', 'aggTrade'] }, ['streams']],
    ['streams as a string', { enabled: true, streams: 'aggTrade' }, ['streams']],
  ])('refuses %s', (_label, body, path) => {
    // Act
    const issues = refusal(putSymbolBodySchema, body);

    // Assert
    expect(issues.map((issue) => issue.path)).toContainEqual(path);
  });

  it('refuses an unknown field, such as a typo of enabled', () => {
    // Act
    const issues = refusal(putSymbolBodySchema, { enabled: true, enable: false });

    // Assert
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['enable'] })]);
  });

  it.each([[null], [[]], ['{"enabled":true}']])('refuses a body that is not an object: %p', (body) => {
    // Act
    const issues = refusal(putSymbolBodySchema, body);

    // Assert
    expect(issues.length).toBeGreaterThan(0);
  });
});

describe('patchSettingsBodySchema', () => {
  const settings = Object.keys(SETTING_RANGES) as Array<keyof typeof SETTING_RANGES>;
  /** How far past a bound a value must be to be outside it. */
  const step = (setting: keyof typeof SETTING_RANGES): number => (setting === 'anomalyThresholdPct' ? 0.0001 : 1);

  it('covers the four runtime settings', () => {
    // Assert
    expect([...settings].sort()).toEqual(['anomalyThresholdPct', 'maxStreamsPerConnection', 'persistIntervalMs', 'staleAfterMs']);
  });

  it.each(settings.flatMap((setting) => [[setting, 'min', SETTING_RANGES[setting].min] as const, [setting, 'max', SETTING_RANGES[setting].max] as const]))('accepts %s exactly at its %s (%d)', (setting, _bound, value) => {
    // Act
    const body = accepted(patchSettingsBodySchema, { [setting]: value });

    // Assert
    expect(body).toEqual({ [setting]: value });
  });

  it.each(
    settings.flatMap((setting) => [
      [setting, 'below its min', SETTING_RANGES[setting].min - step(setting)] as const,
      [setting, 'above its max', SETTING_RANGES[setting].max + step(setting)] as const,
    ]),
  )('refuses %s %s (%d)', (setting, _label, value) => {
    // Act
    const issues = refusal(patchSettingsBodySchema, { [setting]: value });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([[setting]]);
  });

  it.each(['persistIntervalMs', 'staleAfterMs', 'maxStreamsPerConnection'] as const)('refuses a fraction for the whole number %s', (setting) => {
    // Act
    const issues = refusal(patchSettingsBodySchema, { [setting]: SETTING_RANGES[setting].min + 0.5 });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([[setting]]);
  });

  it('accepts a fraction for anomalyThresholdPct', () => {
    // Act
    const body = accepted(patchSettingsBodySchema, { anomalyThresholdPct: 2.5 });

    // Assert
    expect(body).toEqual({ anomalyThresholdPct: 2.5 });
  });

  it.each(settings.map((setting) => [setting]))('refuses %s as a string', (setting) => {
    // Act
    const issues = refusal(patchSettingsBodySchema, { [setting]: String(SETTING_RANGES[setting].min) });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([[setting]]);
  });

  it('accepts null, which resets a setting to the collector default', () => {
    // Prepare
    const allNull = Object.fromEntries(settings.map((setting) => [setting, null]));

    // Act
    const body = accepted(patchSettingsBodySchema, allNull);

    // Assert
    expect(body).toEqual(allNull);
  });

  it('refuses an empty object', () => {
    // Act
    const issues = refusal(patchSettingsBodySchema, {});

    // Assert
    expect(issues).toEqual([expect.objectContaining({ path: [], message: expect.stringMatching(/at least one setting/) })]);
  });

  it('refuses an unknown field', () => {
    // Act
    const issues = refusal(patchSettingsBodySchema, { persistIntervalMs: 500, persistInterval: 500 });

    // Assert
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['persistInterval'] })]);
  });
});

describe('pairPathSchema', () => {
  it.each([
    [{ exchange: 'binance', symbol: 'BTCUSDT' }],
    [{ exchange: 'okx5', symbol: '1000SHIBUSDT' }],
    [{ exchange: 'ab', symbol: 'A'.repeat(20) }],
  ])('accepts %j', (params) => {
    // Act
    const parsed = accepted(pairPathSchema, params);

    // Assert
    expect(parsed).toEqual(params);
  });

  it.each([
    ['a lower-case symbol', 'btcusdt'],
    ['a mixed-case symbol', 'BTCusdt'],
    ['a quote and SQL comment', "BTC'--"],
    ['a statement separator', 'BTCUSDT;DROP'],
    ['a parent directory', '..'],
    ['an encoded slash', 'BTC%2FUSDT'],
    ['a slash', 'BTC/USDT'],
    ['21 characters', 'A'.repeat(21)],
    ['one character', 'B'],
    ['an empty symbol', ''],
    ['a space', 'BTC USDT'],
    ['a trailing newline', 'BTCUSDT\n'],
  ])('refuses %s as symbol', (_label, symbol) => {
    // Act
    const issues = refusal(pairPathSchema, { exchange: 'binance', symbol });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([['symbol']]);
  });

  it.each([['Binance'], ["binance'--"], ['..'], ['bin%2Fance'], ['b'], ['a'.repeat(21)]])('refuses %p as exchange', (exchange) => {
    // Act
    const issues = refusal(pairPathSchema, { exchange, symbol: 'BTCUSDT' });

    // Assert
    expect(issues.map((issue) => issue.path)).toEqual([['exchange']]);
  });

  it('refuses an unknown path parameter', () => {
    // Act
    const issues = refusal(pairPathSchema, { exchange: 'binance', symbol: 'BTCUSDT', proxy: 'x' });

    // Assert
    expect(issues).toEqual([expect.objectContaining({ code: 'unrecognized_keys', keys: ['proxy'] })]);
  });
});
