import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePromtool } from '../../../localstack/env/promtool';

describe('ensurePromtool', () => {
  const saved = process.env.PROMTOOL;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'promtool-'));
  });

  afterEach(() => {
    if (saved === undefined) delete process.env.PROMTOOL;
    else process.env.PROMTOOL = saved;
    rmSync(dir, { recursive: true, force: true });
  });

  it('uses the binary PROMTOOL names without looking further', () => {
    // Prepare
    const binary = join(dir, 'promtool');
    writeFileSync(binary, '#!/bin/sh\n', { mode: 0o755 });
    process.env.PROMTOOL = binary;

    // Act
    const found = ensurePromtool();

    // Assert
    expect(found).toBe(binary);
  });

  it('refuses a PROMTOOL that does not exist instead of installing something else', () => {
    // Prepare
    process.env.PROMTOOL = join(dir, 'missing');

    // Act
    const act = () => ensurePromtool();

    // Assert
    expect(act).toThrow(expect.objectContaining({ code: 'LOCAL_DEPENDENCY_MISSING', message: expect.stringContaining(`PROMTOOL=${join(dir, 'missing')} does not exist`) }));
  });
});
