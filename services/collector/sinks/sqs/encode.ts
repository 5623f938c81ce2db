import { HISTORY_MESSAGE_VERSION, type RateRow } from '../../../shared/history';

export interface BatchHeader {
  exchange: string;
  collectorId: string;
  intervalMs: number;
}

/**
 * Packs rows into SQS message bodies of at most `maxBytes` UTF-8 bytes each (the
 * contract of services/shared/history). Rows are serialized once and joined, so
 * packing costs one JSON.stringify per row.
 */
export function packRateRows(rows: readonly RateRow[], header: BatchHeader, maxBytes: number): string[] {
  const prefix = `{"v":${HISTORY_MESSAGE_VERSION},"kind":"rates","exchange":${JSON.stringify(header.exchange)},"collectorId":${JSON.stringify(header.collectorId)},"intervalMs":${header.intervalMs},"rows":[`;
  const suffix = ']}';
  const overhead = Buffer.byteLength(prefix) + suffix.length;
  const bodies: string[] = [];
  let parts: string[] = [];
  let size = overhead;
  for (const row of rows) {
    const text = JSON.stringify(row);
    // Symbols and prices are ASCII, so characters are bytes.
    const extra = text.length + (parts.length > 0 ? 1 : 0);
    if (parts.length > 0 && size + extra > maxBytes) {
      bodies.push(prefix + parts.join(',') + suffix);
      parts = [];
      size = overhead;
    }
    parts.push(text);
    size += text.length + (parts.length > 1 ? 1 : 0);
  }
  if (parts.length > 0) bodies.push(prefix + parts.join(',') + suffix);
  return bodies;
}
