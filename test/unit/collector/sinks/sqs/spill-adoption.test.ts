import type { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CollectorMetrics } from '../../../../../services/collector/metrics';
import { SpillAdoption, spillDirectoryName, SpillStore, SqsHistorySender } from '../../../../../services/collector/sinks/sqs';

const NOW = 10_000_000;
const ORPHAN_AFTER = 120_000;

describe('SpillAdoption', () => {
  let root: string;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mdc-adopt-'));
  });

  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** A directory another task left: its spill segments and its last heartbeat. */
  function leftBehind(name: string, bodies: string[][], heartbeatAt: number): void {
    const store = new SpillStore(join(root, name), 1_000_000, 1);
    for (const group of bodies) store.append(group);
    store.close();
    writeFileSync(join(root, name, '.owner.json'), JSON.stringify({ owner: name, heartbeatAt }));
  }

  function adopter(name: string, metrics?: CollectorMetrics): { store: SpillStore; adoption: SpillAdoption } {
    const store = new SpillStore(join(root, name), 1_000_000);
    return { store, adoption: new SpillAdoption({ root, ownerName: name, store, orphanAfterMs: ORPHAN_AFTER, now: () => NOW, metrics }) };
  }

  function drain(store: SpillStore): string[] {
    const bodies: string[] = [];
    for (let segment = store.oldest(); segment; segment = store.oldest()) {
      bodies.push(...segment.bodies);
      store.remove(segment.name);
    }
    return bodies;
  }

  it('moves the segments of a task that stopped beating into its own store, and removes the empty directory', () => {
    // Prepare
    leftBehind('task-old', [['{"n":1}'], ['{"n":2}', '{"n":3}']], NOW - ORPHAN_AFTER - 1);
    const metrics = new CollectorMetrics({ collectDefaults: false });
    const { store, adoption } = adopter('task-new', metrics);

    // Act
    adoption.start();
    adoption.stop();

    // Assert
    expect(existsSync(join(root, 'task-old'))).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['task-new']);
    expect(store.isEmpty).toBe(false);
    expect(drain(store)).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
  });

  it('leaves the directory of a live task alone', () => {
    // Prepare
    leftBehind('task-live', [['{"n":1}']], NOW - 5_000);
    const { store, adoption } = adopter('task-new');

    // Act
    const moved = adoption.adoptOrphans();

    // Assert
    expect(moved).toBe(0);
    expect(store.isEmpty).toBe(true);
    expect(readdirSync(join(root, 'task-live')).filter((n) => n.startsWith('spill-'))).toHaveLength(1);
  });

  it('never adopts twice: a second task finds nothing left once the first has claimed it', () => {
    // Prepare
    leftBehind('task-dead', [['{"n":1}'], ['{"n":2}']], NOW - ORPHAN_AFTER - 1);
    const first = adopter('task-a');
    const second = adopter('task-b');

    // Act
    const movedByFirst = first.adoption.adoptOrphans();
    first.adoption.heartbeat();
    const movedBySecond = second.adoption.adoptOrphans();

    // Assert: the first task's own (live) directory is not taken either.
    expect(movedByFirst).toBe(2);
    expect(movedBySecond).toBe(0);
    expect(drain(first.store)).toEqual(['{"n":1}', '{"n":2}']);
    expect(second.store.isEmpty).toBe(true);
  });

  it('takes over the claim of an adopter that died while moving files, once it has gone quiet', () => {
    // Prepare: a claim left half done long ago, and a fresh claim of a live adopter.
    leftBehind('.adopting-task-x-1-task-dead', [['{"n":7}']], NOW - 10 * ORPHAN_AFTER);
    const stale = new Date(NOW - 2 * ORPHAN_AFTER);
    utimesSync(join(root, '.adopting-task-x-1-task-dead'), stale, stale);
    mkdirSync(join(root, '.adopting-task-y-2-task-other'));
    const fresh = new Date(NOW);
    utimesSync(join(root, '.adopting-task-y-2-task-other'), fresh, fresh);
    const { store, adoption } = adopter('task-new');

    // Act
    const moved = adoption.adoptOrphans();

    // Assert
    expect(moved).toBe(1);
    expect(drain(store)).toEqual(['{"n":7}']);
    expect(existsSync(join(root, '.adopting-task-y-2-task-other'))).toBe(true);
  });

  it('lets the sender replay an adopted spill to SQS', async () => {
    // Prepare
    leftBehind('task-killed', [['{"batch":1}', '{"batch":2}']], NOW - ORPHAN_AFTER - 1);
    const sent: string[] = [];
    const client = { send: async (command: SendMessageBatchCommand) => sent.push(...(command.input.Entries ?? []).map((e) => e.MessageBody!)) && {} } as unknown as SQSClient;
    const { store, adoption } = adopter('task-new');
    const sender = new SqsHistorySender({ client, queueUrl: 'q', spill: store, idleMs: 5 });

    // Act
    adoption.start();
    sender.start();
    for (let i = 0; i < 200 && !store.isEmpty; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    await sender.close(100);
    adoption.stop();

    // Assert
    expect(sent).toEqual(['{"batch":1}', '{"batch":2}']);
    expect(store.isEmpty).toBe(true);
  });

  it('names directories after collector ids without letting one escape the root', () => {
    // Act / Assert
    expect(spillDirectoryName('ip-10-0-1-23.ec2.internal-7')).toBe('ip-10-0-1-23_ec2_internal-7');
    expect(spillDirectoryName('../../etc')).toBe('etc');
    expect(spillDirectoryName('..')).toBe('collector');
  });
});
