import fs, { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSpillLine, encodeSpillLine, SpillStore } from '../../../../../services/collector/sinks/sqs';

describe('SpillStore', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'mdc-spill-test-'));
  });

  afterEach(() => {
    jest.restoreAllMocks();
    rmSync(directory, { recursive: true, force: true });
  });

  it('replays oldest first across segments and survives a restart', () => {
    // Prepare: small segments so three appends make three files.
    const store = new SpillStore(directory, 1_000_000, 8);
    store.append(['{"n":1}']);
    store.append(['{"n":2}', '{"n":3}']);
    store.append(['{"n":4}']);
    store.close();

    // Act: a new process opens the same directory.
    const reopened = new SpillStore(directory, 1_000_000, 8);
    const first = reopened.oldest()!;
    reopened.remove(first.name);
    const second = reopened.oldest()!;

    // Assert
    expect(first.bodies).toEqual(['{"n":1}']);
    expect(second.bodies).toEqual(['{"n":2}', '{"n":3}']);
    expect(reopened.bytes).toBe(3 * encodeSpillLine('{"n":1}').length);
  });

  it('refuses appends past its size cap instead of growing', () => {
    // Prepare
    const line = encodeSpillLine('{"a":"0123456789"}');
    const store = new SpillStore(directory, line.length + 5);

    // Act
    const accepted = store.append(['{"a":"0123456789"}']);
    const refused = store.append(['{"b":1}']);

    // Assert
    expect(accepted).toBe(true);
    expect(refused).toBe(false);
    expect(store.bytes).toBe(line.length);
  });

  it('skips and counts a line a crash cut short, and never returns it as a body', () => {
    // Prepare: a whole line, then half of one with no newline (the task died mid-write).
    const store = new SpillStore(directory, 1_000_000);
    store.append(['{"n":1}']);
    store.close();
    const [name] = readdirSync(directory);
    const torn = encodeSpillLine('{"n":2,"rows":[1,2,3]}');
    appendFileSync(join(directory, name!), torn.slice(0, torn.length - 6));

    // Act
    const segment = new SpillStore(directory, 1_000_000).oldest()!;

    // Assert
    expect(segment.bodies).toEqual(['{"n":1}']);
    expect(segment.tornLines).toBe(1);
  });

  it('finishes a short write instead of leaving a torn line', () => {
    // Prepare: the file system takes at most 7 bytes a call.
    const real = fs.writeSync;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset: number, length: number) => real(fd, buffer, offset, Math.min(length, 7))) as typeof fs.writeSync);
    const store = new SpillStore(directory, 1_000_000);

    // Act
    store.append(['{"n":1,"price":"97000.10"}', '{"n":2}']);
    store.close();

    // Assert
    const segment = new SpillStore(directory, 1_000_000).oldest()!;
    expect(segment.bodies).toEqual(['{"n":1,"price":"97000.10"}', '{"n":2}']);
    expect(segment.tornLines).toBe(0);
  });

  it('cuts a failed write back to the last whole line and starts a new segment for the next append', () => {
    // Prepare: the second append fails after writing part of its data (a disk filling up).
    const store = new SpillStore(directory, 1_000_000);
    store.append(['{"n":1}']);
    const real = fs.writeSync;
    let calls = 0;
    jest.spyOn(fs, 'writeSync').mockImplementation(((fd: number, buffer: Buffer, offset: number) => {
      calls += 1;
      if (calls === 1) return real(fd, buffer, offset, 5);
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);

    // Act
    expect(() => store.append(['{"n":2}'])).toThrow('ENOSPC');
    jest.restoreAllMocks();
    store.append(['{"n":3}']);
    store.close();

    // Assert: no torn line anywhere, and both whole bodies replay.
    const reopened = new SpillStore(directory, 1_000_000);
    const bodies: string[] = [];
    let torn = 0;
    for (let segment = reopened.oldest(); segment; segment = reopened.oldest()) {
      bodies.push(...segment.bodies);
      torn += segment.tornLines;
      reopened.remove(segment.name);
    }
    expect(bodies).toEqual(['{"n":1}', '{"n":3}']);
    expect(torn).toBe(0);
    expect(readdirSync(directory)).toEqual([]);
  });

  it('checks each line: a changed byte fails, the original passes', () => {
    // Prepare
    const line = encodeSpillLine('{"price":"1.5"}').trimEnd();

    // Act
    const good = decodeSpillLine(line);
    const flipped = decodeSpillLine(line.replace('1.5', '1.6'));
    const bare = decodeSpillLine('{"price":"1.5"}');

    // Assert
    expect(good).toBe('{"price":"1.5"}');
    expect(flipped).toBeUndefined();
    expect(bare).toBeUndefined();
  });
});
