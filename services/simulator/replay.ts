import { parseE8 } from './decimal';
import { ReplayFormatError } from './errors';
import type { AggTradeRecord } from './history';

/**
 * One recorded trade. A Binance line keeps its original text so a Binance simulator
 * re-sends it byte for byte; other exchanges re-encode `trade`.
 */
export interface ReplayEvent {
  stream: string;
  /** The project's symbol: upper-case base + quote (`BTCUSDT`). */
  symbol: string;
  eventTime: number;
  trade: AggTradeRecord;
  /** The recorded line, as sent to combined-stream connections (Binance recordings). */
  combined?: string;
  /** The recorded `data` object, as sent to raw connections (Binance recordings). */
  payload?: string;
}

function field<T>(data: Record<string, unknown>, key: string, type: 'number' | 'string' | 'boolean', line: number): T {
  const value = data[key];
  if (typeof value !== type || (type === 'number' && !Number.isFinite(value))) throw new ReplayFormatError(line, `field ${key} must be a ${type}`);
  return value as T;
}

/**
 * Parses one line of a recorded combined stream: `{"stream":"btcusdt@aggTrade","data":{...}}`
 * with an aggTrade or trade payload. Prices and quantities must be plain decimals.
 */
export function parseReplayLine(text: string, line: number): ReplayEvent {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (cause) {
    throw new ReplayFormatError(line, 'not JSON', { cause });
  }
  const { stream, data } = (message ?? {}) as { stream?: unknown; data?: unknown };
  if (typeof stream !== 'string' || typeof data !== 'object' || data === null) throw new ReplayFormatError(line, 'not a combined-stream message {"stream","data"}');
  const record = data as Record<string, unknown>;
  const kind = field<string>(record, 'e', 'string', line);
  const symbol = field<string>(record, 's', 'string', line);
  const eventTime = field<number>(record, 'E', 'number', line);
  let priceE8: number;
  let qtyE8: number;
  try {
    priceE8 = parseE8(field<string>(record, 'p', 'string', line));
    qtyE8 = parseE8(field<string>(record, 'q', 'string', line));
  } catch (cause) {
    if (cause instanceof ReplayFormatError) throw cause;
    throw new ReplayFormatError(line, 'price or quantity is not a decimal', { cause });
  }
  const T = field<number>(record, 'T', 'number', line);
  const m = field<boolean>(record, 'm', 'boolean', line);
  let trade: AggTradeRecord;
  if (kind === 'aggTrade') {
    trade = { a: field(record, 'a', 'number', line), f: field(record, 'f', 'number', line), l: field(record, 'l', 'number', line), T, priceE8, qtyE8, m };
  } else if (kind === 'trade') {
    const t = field<number>(record, 't', 'number', line);
    trade = { a: t, f: t, l: t, T, priceE8, qtyE8, m };
  } else {
    throw new ReplayFormatError(line, `event type ${kind} cannot be replayed (aggTrade or trade only)`);
  }
  return { stream, symbol, eventTime, trade, combined: text, payload: JSON.stringify(data) };
}

/** Parses a whole recording; blank lines are skipped, at most `maxEvents` are accepted. */
export function parseReplay(content: string, maxEvents: number): ReplayEvent[] {
  const events: ReplayEvent[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const text = (lines[i] as string).trim();
    if (text === '') continue;
    if (events.length === maxEvents) throw new ReplayFormatError(i + 1, `more than ${maxEvents} events; raise maxReplayEvents`);
    events.push(parseReplayLine(text, i + 1));
  }
  if (events.length === 0) throw new ReplayFormatError(0, 'the recording is empty');
  return events;
}

const CAPTURE_LINE = /^(\d+(?:\.\d+)?): (.*)$/;

function okxString(entry: Record<string, unknown>, key: string, line: number): string {
  const value = entry[key];
  if (typeof value !== 'string' || value === '') throw new ReplayFormatError(line, `OKX trade field ${key} must be a non-empty string`);
  return value;
}

/**
 * Trades of one line of an OKX WebSocket capture (`<receipt time>: <message>`):
 * the entries of a spot `trades` push, one event each, with OKX's tradeId as the
 * trade id and the taker side as `m` (a sell taker means the buyer made the
 * market). Other lines (the header, requests, acks, other channels, futures and
 * swaps) carry no spot trade and give none.
 */
export function parseOkxCaptureLine(text: string, line: number): ReplayEvent[] {
  const match = CAPTURE_LINE.exec(text);
  if (!match) return [];
  let message: unknown;
  try {
    message = JSON.parse(match[2] as string);
  } catch {
    return [];
  }
  const { arg, data } = (message ?? {}) as { arg?: { channel?: unknown; instId?: unknown }; data?: unknown };
  if (arg?.channel !== 'trades' || typeof arg.instId !== 'string' || !Array.isArray(data)) return [];
  const instId = arg.instId;
  const parts = instId.split('-');
  if (parts.length !== 2) return [];
  const symbol = parts.join('').toUpperCase();
  return data.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) throw new ReplayFormatError(line, 'an OKX trades entry is not an object');
    const row = entry as Record<string, unknown>;
    const id = Number(okxString(row, 'tradeId', line));
    const T = Number(okxString(row, 'ts', line));
    if (!Number.isSafeInteger(id) || !Number.isSafeInteger(T)) throw new ReplayFormatError(line, 'OKX tradeId and ts must be integers');
    let priceE8: number;
    let qtyE8: number;
    try {
      priceE8 = parseE8(okxString(row, 'px', line));
      qtyE8 = parseE8(okxString(row, 'sz', line));
    } catch (cause) {
      if (cause instanceof ReplayFormatError) throw cause;
      throw new ReplayFormatError(line, 'OKX px or sz is not a decimal', { cause });
    }
    return { stream: `trades:${instId}`, symbol, eventTime: T, trade: { a: id, f: id, l: id, T, priceE8, qtyE8, m: row.side === 'sell' } };
  });
}

/**
 * Parses a whole recording for `exchange`: Binance combined-stream lines (any
 * exchange: the trades are re-encoded) or an OKX capture (OKX only, since its
 * instrument ids name OKX pairs). At most `maxEvents` trades are accepted.
 */
export function parseRecording(content: string, maxEvents: number, exchange: string): ReplayEvent[] {
  const end = content.indexOf('\n');
  const firstLine = (end < 0 ? content : content.slice(0, end)).trim();
  if (firstLine.startsWith('{') || firstLine === '') return parseReplay(content, maxEvents);
  if (exchange !== 'okx') throw new ReplayFormatError(1, `this looks like an OKX capture (<time>: <message> lines); replay it with exchange okx, or give ${exchange} Binance combined-stream lines`);
  const events: ReplayEvent[] = [];
  const lines = content.split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const event of parseOkxCaptureLine((lines[i] as string).trim(), i + 1)) {
      if (events.length === maxEvents) throw new ReplayFormatError(i + 1, `more than ${maxEvents} events; raise maxReplayEvents`);
      events.push(event);
    }
  }
  if (events.length === 0) throw new ReplayFormatError(0, 'the capture has no spot trades push');
  // Receipt order is not trade order across instruments; the cursor needs time order (stable within a pair).
  return events.sort((a, b) => a.eventTime - b.eventTime);
}

/**
 * Pacing of a recording: event i is due when (E_i - E_0) / speed has elapsed since
 * `start`. The exchange clock reads E_0 before the start and follows the recording
 * after it, never ahead of an event that is due but not yet sent.
 */
export class ReplayCursor {
  private startedAt: number | undefined;
  private next = 0;
  private readonly firstTime: number;

  constructor(
    private readonly events: readonly ReplayEvent[],
    private readonly speed: number,
  ) {
    this.firstTime = (events[0] as ReplayEvent).eventTime;
  }

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  get position(): number {
    return this.next;
  }

  get total(): number {
    return this.events.length;
  }

  start(now: number): void {
    this.startedAt ??= now;
  }

  /** Events due at `now`, at most `max` (the rest stay due for the next call). */
  due(now: number, max: number): ReplayEvent[] {
    if (this.startedAt === undefined) return [];
    const horizon = this.firstTime + (now - this.startedAt) * this.speed;
    const out: ReplayEvent[] = [];
    while (this.next < this.events.length && out.length < max) {
      const event = this.events[this.next] as ReplayEvent;
      if (event.eventTime > horizon) break;
      out.push(event);
      this.next += 1;
    }
    return out;
  }

  /** Exchange time (ms) at wall time `now`. */
  clock(now: number): number {
    if (this.startedAt === undefined) return this.firstTime;
    const horizon = Math.floor(this.firstTime + (now - this.startedAt) * this.speed);
    const pending = this.events[this.next];
    if (pending && pending.eventTime <= horizon) return (this.events[this.next - 1] ?? pending).eventTime;
    return horizon;
  }
}
