/**
 * The hot spots of a V8 `.cpuprofile` (node --cpu-prof): self time per function
 * and per file, so the benchmark report names where the gateway's CPU goes.
 */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }>;
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  /** `function (file:line)`, or the file alone in the by-file list. */
  name: string;
  /** Share of all samples, percent. */
  selfPercent: number;
  selfMs: number;
}

export interface ProfileSummary {
  totalMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

/** `file:///work/x/services/gateway/hub.ts` -> `services/gateway/hub.ts` (relative to `root` when under it). */
function shortUrl(url: string, root: string): string {
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice('file://'.length)) : url;
  if (root && path.startsWith(`${root}/`)) return path.slice(root.length + 1);
  return path;
}

function top(map: Map<string, number>, totalHits: number, msPerHit: number, limit: number): HotSpot[] {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, hits]) => ({ name, selfPercent: Number(((hits / totalHits) * 100).toFixed(1)), selfMs: Math.round(hits * msPerHit) }));
}

export function summarizeProfile(profile: CpuProfile, root = '', limit = 15): ProfileSummary {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let totalHits = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    totalHits += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    // Nodes without a script (idle, GC, program, native code) are grouped under their own name.
    const file = url === '' ? functionName || '(native)' : shortUrl(url, root);
    // V8 lines are 0-based; TypeScript runs as tsx's output, whose lines are not the source's, so its files go without.
    const where = url === '' ? '' : url.endsWith('.ts') ? ` (${file})` : ` (${file}:${lineNumber + 1})`;
    const name = `${functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + hits);
    byFile.set(file, (byFile.get(file) ?? 0) + hits);
  }
  // startTime / endTime are in microseconds.
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalHits === 0 ? 0 : totalMs / totalHits;
  return { totalMs: Math.round(totalMs), functions: top(byFunction, Math.max(1, totalHits), msPerHit, limit), files: top(byFile, Math.max(1, totalHits), msPerHit, limit) };
}
