import { parseE8 } from '../../decimal';
import { InstrumentsFormatError } from '../../errors';
import type { SymbolSpec } from '../../universe';
import { trimmedE8 } from '../common';

/** One row of `GET /api/v5/public/instruments`, as OKX sends it (all strings). */
export type OkxInstrumentRow = Record<string, string>;

/** `BTC-USDT` for a spec: OKX names a spot pair `<base>-<quote>`. */
export function okxInstIdOf(spec: Pick<SymbolSpec, 'baseAsset' | 'quoteAsset'>): string {
  return `${spec.baseAsset}-${spec.quoteAsset}`;
}

/** OKX's instrument states map onto the universe's: only `live` trades. */
function statusOfState(state: string): string {
  return state === 'live' ? 'TRADING' : state.toUpperCase();
}

function text(row: Record<string, unknown>, key: string, index: number): string {
  const value = row[key];
  if (typeof value !== 'string') throw new InstrumentsFormatError(`instruments data[${index}] lacks the string field ${key}; is this a GET /api/v5/public/instruments?instType=SPOT response?`);
  return value;
}

export interface OkxUniverse {
  specs: SymbolSpec[];
  /** Rows by instId, served back unchanged. */
  rows: Map<string, OkxInstrumentRow>;
}

/**
 * Universe from a real `GET /api/v5/public/instruments?instType=SPOT` response:
 * every spot instrument keeps its row (served back verbatim), its state, tick
 * (`tickSz`) and lot (`lotSz`); a tick or lot finer than 1e-8 falls back to 1e-8.
 */
export function okxInstrumentsUniverse(json: unknown): OkxUniverse {
  const body = json as { code?: unknown; data?: unknown } | null;
  if (!body || !Array.isArray(body.data) || body.data.length === 0) throw new InstrumentsFormatError('instruments file has no data array; expected {"code":"0","data":[...]}');
  const specs: SymbolSpec[] = [];
  const rows = new Map<string, OkxInstrumentRow>();
  body.data.forEach((entry: unknown, index: number) => {
    if (typeof entry !== 'object' || entry === null) throw new InstrumentsFormatError(`instruments data[${index}] is not an object`);
    const row = entry as Record<string, unknown>;
    if (row.instType !== 'SPOT') return;
    const instId = text(row, 'instId', index);
    const baseCcy = text(row, 'baseCcy', index);
    const quoteCcy = text(row, 'quoteCcy', index);
    if (instId !== `${baseCcy}-${quoteCcy}`) throw new InstrumentsFormatError(`instruments data[${index}]: instId ${instId} is not ${baseCcy}-${quoteCcy}`);
    let tickE8: number;
    let stepE8: number;
    try {
      tickE8 = parseE8(text(row, 'tickSz', index)) || 1;
      stepE8 = parseE8(text(row, 'lotSz', index)) || 1;
    } catch (cause) {
      if (cause instanceof InstrumentsFormatError) throw cause;
      throw new InstrumentsFormatError(`instruments ${instId} has an invalid tickSz/lotSz`, { cause });
    }
    specs.push({ symbol: `${baseCcy}${quoteCcy}`.toUpperCase(), baseAsset: baseCcy, quoteAsset: quoteCcy, status: statusOfState(text(row, 'state', index)), tickE8, stepE8, filters: [], extra: {} });
    rows.set(instId, Object.fromEntries(Object.entries(row).map(([k, v]) => [k, String(v)])));
  });
  if (specs.length === 0) throw new InstrumentsFormatError('instruments file lists no SPOT instrument');
  if (new Set(specs.map((s) => s.symbol)).size !== specs.length) throw new InstrumentsFormatError('instruments file maps two instruments to the same base+quote symbol');
  return { specs, rows };
}

/** A synthetic instrument row in OKX's field order, for universes without a real file. */
export function syntheticInstrumentRow(spec: SymbolSpec): OkxInstrumentRow {
  const lot = trimmedE8(spec.stepE8);
  return {
    alias: '',
    baseCcy: spec.baseAsset,
    category: '1',
    ctMult: '',
    ctType: '',
    ctVal: '',
    ctValCcy: '',
    expTime: '',
    instFamily: '',
    instId: okxInstIdOf(spec),
    instType: 'SPOT',
    lever: '',
    listTime: '1548133413000',
    lotSz: lot,
    maxIcebergSz: '9999999999',
    maxLmtSz: '9999999999',
    maxMktSz: '1000000',
    maxStopSz: '1000000',
    maxTriggerSz: '9999999999',
    maxTwapSz: '9999999999',
    minSz: lot,
    optType: '',
    quoteCcy: spec.quoteAsset,
    settleCcy: '',
    state: spec.status === 'TRADING' ? 'live' : 'suspend',
    stk: '',
    tickSz: trimmedE8(spec.tickE8),
    uly: '',
  };
}
