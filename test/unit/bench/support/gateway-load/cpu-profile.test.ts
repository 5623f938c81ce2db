import { summarizeProfile, type CpuProfile } from '../../../../bench/support/gateway-load';

const node = (id: number, functionName: string, url: string, lineNumber: number, hitCount: number) => ({ id, callFrame: { functionName, url, lineNumber }, hitCount });

describe('summarizeProfile', () => {
  it('ranks functions and files by self time, relative to the repository root, with lines for JavaScript only', () => {
    // Prepare: 100 ms, 10 samples.
    const profile: CpuProfile = {
      startTime: 0,
      endTime: 100_000,
      nodes: [
        node(1, '(root)', '', -1, 0),
        node(2, 'deliver', 'file:///repo/services/gateway/hub.ts', 340, 4),
        node(3, 'flushBatch', 'file:///repo/services/gateway/hub.ts', 360, 1),
        node(4, 'send', 'file:///repo/node_modules/ws/lib/websocket.js', 9, 3),
        node(5, '(garbage collector)', '', -1, 2),
        node(6, 'deliver', 'file:///repo/services/gateway/hub.ts', 340, 0),
      ],
    };

    // Act
    const summary = summarizeProfile(profile, '/repo', 3);

    // Assert
    expect(summary.totalMs).toBe(100);
    expect(summary.functions).toEqual([
      { name: 'deliver (services/gateway/hub.ts)', selfPercent: 40, selfMs: 40 },
      { name: 'send (node_modules/ws/lib/websocket.js:10)', selfPercent: 30, selfMs: 30 },
      { name: '(garbage collector)', selfPercent: 20, selfMs: 20 },
    ]);
    expect(summary.files[0]).toEqual({ name: 'services/gateway/hub.ts', selfPercent: 50, selfMs: 50 });
  });

  it('gives empty lists for a profile without samples', () => {
    // Act
    const summary = summarizeProfile({ startTime: 0, endTime: 0, nodes: [node(1, '(root)', '', -1, 0)] });

    // Assert
    expect(summary).toEqual({ totalMs: 0, functions: [], files: [] });
  });
});
