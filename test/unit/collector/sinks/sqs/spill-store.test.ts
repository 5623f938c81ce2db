import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpillStore } from '../../../../../services/collector/sinks/sqs';

describe('SpillStore', () => {
  let directory: string;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'mdc-spill-test-'));
  });

  afterEach(() => {
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
    expect(reopened.bytes).toBe(2 * 8 + 8);
  });

  it('refuses appends past its size cap instead of growing', () => {
    // Prepare
    const store = new SpillStore(directory, 20);

    // Act
    const accepted = store.append(['{"a":"0123456789"}']);
    const refused = store.append(['{"b":1}']);

    // Assert
    expect(accepted).toBe(true);
    expect(refused).toBe(false);
    expect(store.bytes).toBe(19);
  });
});
